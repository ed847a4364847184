/**
 * A file read twice must be the same file both times: `migrate --from-rdb`
 * verifies a file whole before writing any key, then reads it again to
 * write. A byte changed in between (the file rewritten in place, replaced
 * by a rename such as a BGSAVE's, a shorter copy) would otherwise reach the
 * target before the file's own CRC-64, at its end, could catch it. So the
 * first read records a CRC-64 per 1 MiB block, and the second hands on no
 * byte whose block does not match. Pure; 8 bytes of memory per MiB.
 */
import { Crc64 } from './codecs/crc64.js';

/** Bytes per block. */
export const BLOCK_BYTES = 1 << 20;

/** The file differs from the one verified, from `offset` on. */
export class FileChangedError extends Error {
  constructor(
    readonly offset: number,
    detail: string,
  ) {
    super(detail);
    this.name = 'FileChangedError';
  }
}

/** The block CRCs of one read of a file. */
export class BlockDigests {
  private readonly digests: bigint[] = [];

  /** @param blockBytes bytes per block (tests make blocks small). */
  constructor(private readonly blockBytes = BLOCK_BYTES) {
    if (!Number.isInteger(blockBytes) || blockBytes < 1) throw new Error(`blockBytes must be a positive integer, got ${blockBytes}`);
  }

  private crc = new Crc64();
  private inBlock = 0;
  private total = 0;
  private done = false;

  /** Adds the next bytes of the first read. */
  update(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(chunk.length - at, this.blockBytes - this.inBlock);
      this.crc.update(chunk, at, at + take);
      this.inBlock += take;
      at += take;
      if (this.inBlock === this.blockBytes) this.close();
    }
    this.total += chunk.length;
  }

  /** Ends the first read. */
  finish(): this {
    if (!this.done && this.inBlock > 0) this.close();
    this.done = true;
    return this;
  }

  /** Bytes the first read saw. */
  get length(): number {
    return this.total;
  }

  private close(): void {
    this.digests.push(this.crc.value);
    this.crc = new Crc64();
    this.inBlock = 0;
  }

  /**
   * The second read, passed on block by block, each block only once it
   * matched the first read's (so at most one block, 1 MiB, is held back).
   * @throws FileChangedError at the first block that differs, or when the
   *   file is longer or shorter than it was.
   */
  async *check(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    if (!this.done) throw new Error('BlockDigests.check before finish');
    let pieces: Uint8Array[] = [];
    let crc = new Crc64();
    let inBlock = 0;
    let block = 0;
    const settle = (): void => {
      const start = block * this.blockBytes;
      if (block >= this.digests.length) throw new FileChangedError(start, `it is longer than the ${this.total} bytes verified`);
      const expectedLength = Math.min(this.blockBytes, this.total - start);
      if (inBlock !== expectedLength || crc.value !== this.digests[block]) {
        throw new FileChangedError(start, `bytes ${start}–${start + Math.max(inBlock, expectedLength) - 1} differ from the ones verified`);
      }
      block++;
      crc = new Crc64();
      inBlock = 0;
    };
    for await (const chunk of source) {
      for (let at = 0; at < chunk.length; ) {
        const take = Math.min(chunk.length - at, this.blockBytes - inBlock);
        crc.update(chunk, at, at + take);
        pieces.push(take === chunk.length ? chunk : chunk.subarray(at, at + take));
        inBlock += take;
        at += take;
        if (inBlock === this.blockBytes) {
          settle();
          yield* pieces;
          pieces = [];
        }
      }
    }
    if (inBlock > 0) {
      settle();
      yield* pieces;
    }
    if (block !== this.digests.length)
      throw new FileChangedError(block * this.blockBytes, `it ends at byte ${block * this.blockBytes}, shorter than the ${this.total} bytes verified`);
  }
}
