/**
 * A file read twice must be the same file both times: `migrate --from-rdb`
 * verifies a file whole before writing any key, then reads it again to
 * write. A byte changed in between (the file rewritten in place, replaced
 * by a rename such as a BGSAVE's, a shorter copy) would otherwise reach the
 * target before the file's own CRC-64, at its end, could catch it. So the
 * first read records a CRC-64 per 1 MiB block, and the second hands on no
 * byte whose block does not match. Pure; 8 bytes of memory per MiB.
 *
 * The CRC-64 runs over the whole file once (the same CRC-64/Jones as the
 * file's trailer), and what is recorded is its value at each block's end: a
 * block of the second read is checked from the recorded value before it, so
 * it matches exactly when its own CRC-64 does (the CRC is linear: the state
 * it starts from adds the same term to both). The same run gives the first
 * read the file's own checksum ({@link BlockDigests.crcBefore}): the parser
 * need not checksum the file a second time.
 */
import { Crc64 } from './codecs/crc64.js';

/** Bytes per block. */
export const BLOCK_BYTES = 1 << 20;

/** The file differs from the one verified, from `offset` on. */
export class FileChangedError extends Error {
  /**
   * @param offset the first byte not as verified (0 when the file is refused before a byte of it is read)
   * @param atEnd found at the read's end (the file held open changed while it was read), not at a block: where within
   *   the read it changed is not known
   */
  constructor(
    readonly offset: number,
    detail: string,
    readonly atEnd = false,
  ) {
    super(detail);
    this.name = 'FileChangedError';
  }
}

/** The block CRCs of one read of a file. */
export class BlockDigests {
  /** The running CRC-64 at each block's end. */
  private readonly digests: bigint[] = [];
  /**
   * The last blocks' bytes, by reference (the caller never writes into a
   * chunk it gave), so {@link crcBefore} can stop inside them: the current
   * block's pieces and the two blocks before it.
   */
  private recent: Uint8Array[][] = [[]];

  /** @param blockBytes bytes per block (tests make blocks small). */
  constructor(private readonly blockBytes = BLOCK_BYTES) {
    if (!Number.isInteger(blockBytes) || blockBytes < 1) throw new Error(`blockBytes must be a positive integer, got ${blockBytes}`);
  }

  private crc = new Crc64();
  private inBlock = 0;
  private total = 0;
  private done = false;

  /** Adds the next bytes of the first read (kept by reference until two more blocks have passed: never write into them). */
  update(chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(chunk.length - at, this.blockBytes - this.inBlock);
      this.crc.update(chunk, at, at + take);
      this.recent[this.recent.length - 1]!.push(take === chunk.length ? chunk : chunk.subarray(at, at + take));
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
    this.inBlock = 0;
    this.recent.push([]);
    if (this.recent.length > 3) this.recent.shift();
  }

  /** Drops the last blocks' bytes kept for {@link crcBefore} (it answers undefined inside them from then on). */
  release(): void {
    this.recent = [[]];
  }

  /**
   * After {@link finish}: the CRC-64 of the file's bytes [0, offset) (the
   * checksum its trailer at `offset` must hold), from the running CRC; or
   * undefined when `offset` lies before the last two blocks (bytes no longer
   * held: a file with over a block of bytes after its trailer).
   */
  crcBefore(offset: number): bigint | undefined {
    if (!this.done) throw new Error('BlockDigests.crcBefore before finish');
    if (!Number.isInteger(offset) || offset < 0 || offset > this.total) throw new RangeError(`offset ${offset} is outside the ${this.total} bytes read`);
    const block = Math.floor(offset / this.blockBytes);
    const start = block * this.blockBytes;
    const before = block === 0 ? 0n : this.digests[block - 1]!;
    if (offset === start) return before;
    // finish() closed the last block: recent ends with an empty list, the closed blocks before it.
    const pieces = this.recent[this.recent.length - 1 - (this.digests.length - block)];
    if (pieces === undefined) return undefined;
    const crc = Crc64.resume(before);
    let at = start;
    for (const piece of pieces) {
      if (at >= offset) break;
      const take = Math.min(piece.length, offset - at);
      crc.update(piece, 0, take);
      at += take;
    }
    return at === offset ? crc.value : undefined;
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
    // Each block from the running CRC the first read had at its start (see the module comment).
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
      crc = Crc64.resume(this.digests[block]!);
      block++;
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
          yield* handOver(pieces);
          pieces = [];
        }
      }
    }
    if (inBlock > 0) {
      settle();
      yield* handOver(pieces);
    }
    if (block !== this.digests.length)
      throw new FileChangedError(block * this.blockBytes, `it ends at byte ${block * this.blockBytes}, shorter than the ${this.total} bytes verified`);
  }
}

/**
 * The pieces of a block, each forgotten here as it is handed on: a block
 * held whole until its last piece is read keeps the end of a big key (up to
 * a block of it) alive past the collection made once that key is written
 * (read-rdb-batches.ts).
 */
function* handOver(pieces: Uint8Array[]): Generator<Uint8Array> {
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    pieces[i] = EMPTY_PIECE;
    yield piece;
  }
}

const EMPTY_PIECE = new Uint8Array(0);
