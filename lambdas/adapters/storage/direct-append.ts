/**
 * Appending to a new file past the page cache (O_DIRECT), for convert-rdb's
 * output (storage/output-file.ts): the bytes go from page-aligned staging
 * memory to the device, whole blocks at a time, while the next ones are
 * staged (up to three writes in flight); the last partial block, and whatever is
 * appended after {@link Appender.settle}, through the page cache, by the
 * file's own handle at its offset.
 *
 * Why: an output written through the page cache is as big as the input, and
 * every page of it is allocated, copied into and written back by the kernel
 * on the converting CPU (and on a virtual machine whose free memory goes back
 * to the host, first touched again at several times that cost). Past the page
 * cache that is a copy into the staging memory and the device's own transfer:
 * 553 MB written and read back took 0.07 + 0.05 s of system time against
 * 0.13–0.66 s + 0.07 through the page cache on the benchmark machine
 * (bench/README.md, convert-rdb, session 56), and the output no longer pushes
 * the host's cached files out. The read-back then reads the device
 * (host/crc64-thread.ts readFileChunksReused with `direct`), not pages this
 * process just filled: a truer read-back.
 *
 * A file system that refuses O_DIRECT at the open (tmpfs before Linux 6.6,
 * some FUSE ones), or a system without it, is written through the page cache,
 * as before; so is the rest of a file whose direct
 * write the kernel refused (EINVAL: an alignment it needs beyond 4,096 bytes),
 * from the same offset, nothing lost.
 */
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { DIRECT_ALIGN, type DirectHandle, openDirect, pageAligned } from '../host/direct-io.js';
import { writeAll } from './durable-file.js';

/** Bytes staged before a direct write: a multiple of {@link DIRECT_ALIGN}. */
export const STAGE_BYTES = 512 * DIRECT_ALIGN;
/**
 * Staging buffers: one filling while the others' writes are in flight. With one write in flight, the conversion
 * waited 102–109 ms in all for it before staging the next (a 553 MB output, one CPU: the thread pool's write gets
 * the CPU only between the conversion's turns); with three, 1.4–1.8 ms.
 */
export const STAGES = 4;

/** Appends to a file; every write is at an offset of its own, so the two handles never race for a position. */
export interface Appender {
  /**
   * Appends `chunk` (copied or written before this returns: the caller may reuse it). A direct write's error is thrown
   * by the next call that waits for it (this, {@link settle}).
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Waits for the writes asked and the direct writes in flight, and writes the staged rest through the page cache:
   * every byte appended so far is in the file (before it is read, synced or closed). Appends after it go through the
   * page cache.
   */
  settle(): Promise<void>;
  /** Whether the bytes still go past the page cache (false: none did, or since {@link settle} or a refusal). */
  readonly direct: boolean;
  /** Bytes appended so far (the file's size once settled). */
  readonly bytes: number;
  /** Whether any went past the page cache (then the file is best read back past it too: its pages are not there). */
  readonly bypassed: boolean;
  /** Waits for the writes asked and in flight (their errors ignored) and closes the direct handle; `fh` is the caller's to close. */
  release(): Promise<void>;
}

/**
 * An appender to the empty file `path` whose handle the caller holds (`fh`, opened for writing; it writes the bytes
 * that do not go past the page cache, and its sync syncs them all: fsync is of the file, not of a handle). Where the
 * file system refuses O_DIRECT, or there is no page-aligned memory, every byte goes through `fh`.
 */
export async function appender(fh: FileHandle, path: string): Promise<Appender> {
  const stages = pageAligned(STAGES * STAGE_BYTES);
  const dfh = stages === undefined ? undefined : await directHandleOf(fh, path);
  return dfh !== undefined ? new DirectAppender(fh, dfh, path, stages!) : new BufferedAppender(fh, path);
}

/**
 * A second handle of the file `fh` holds, opened by `path` with O_DIRECT; undefined where it cannot be had (any
 * failure to open it: `fh` writes every byte then), or where the name is no longer that file (another file put at
 * the temporary name since it was created: device and inode differ).
 */
async function directHandleOf(fh: FileHandle, path: string): Promise<DirectHandle | undefined> {
  let dfh: DirectHandle | undefined;
  try {
    dfh = await openDirect(path, constants.O_WRONLY);
    const [a, b] = await Promise.all([fh.stat({ bigint: true }), dfh.stat({ bigint: true })]);
    if (dfh.direct && a.dev === b.dev && a.ino === b.ino) return dfh;
  } catch {
    // No direct handle: the page cache, as before.
  }
  await dfh?.close().catch(() => undefined);
  return undefined;
}

/**
 * Writes and the settling run one after the other in the order asked, whoever asks: a settle (a sync ahead, the start
 * of a read-back) asked while a write is under way waits for it, and none runs after one has failed (each throws that
 * failure).
 */
class InOrder {
  private tail: Promise<void> = Promise.resolve();
  private failure: { readonly error: unknown } | undefined;
  run(step: () => Promise<void>): Promise<void> {
    const done = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure.error;
      try {
        await step();
      } catch (error) {
        this.failure ??= { error };
        throw error;
      }
    });
    this.tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }
  /** Every step asked so far finished (failed or not). */
  idle(): Promise<void> {
    return this.tail;
  }
}

/** Every byte through the page cache, at its offset. */
class BufferedAppender implements Appender {
  readonly direct = false;
  readonly bypassed = false;
  bytes = 0;
  private readonly order = new InOrder();
  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
  ) {}
  write(chunk: Uint8Array): Promise<void> {
    const at = this.bytes;
    this.bytes += chunk.length;
    return this.order.run(() => writeAll(this.fh, chunk, this.path, at));
  }
  settle(): Promise<void> {
    return this.order.run(async () => undefined);
  }
  release(): Promise<void> {
    return this.order.idle();
  }
}

class DirectAppender implements Appender {
  direct = true;
  bypassed = false;
  /** The file offset the stage goes to: every byte before it is written or in flight. */
  private at = 0;
  /** The buffer being filled (of {@link STAGES}, in turn), and how much of it is. */
  private turn = 0;
  private stage: Uint8Array;
  private staged = 0;
  /** The direct writes in flight (of the other buffers), oldest first. */
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly fh: FileHandle,
    private readonly dfh: FileHandle,
    private readonly path: string,
    private readonly stages: Uint8Array,
  ) {
    this.stage = stages.subarray(0, STAGE_BYTES);
  }

  get bytes(): number {
    return this.at + this.staged;
  }

  private readonly order = new InOrder();

  write(chunk: Uint8Array): Promise<void> {
    return this.order.run(() => this.writeNow(chunk));
  }

  private async writeNow(chunk: Uint8Array): Promise<void> {
    for (let from = 0; from < chunk.length; ) {
      if (!this.direct) {
        // The kernel refused a direct write (or settle was called): what is staged, then the rest, through the page cache.
        await this.settleNow();
        await writeAll(this.fh, chunk.subarray(from), this.path, this.at);
        this.at += chunk.length - from;
        return;
      }
      const take = Math.min(chunk.length - from, STAGE_BYTES - this.staged);
      this.stage.set(chunk.subarray(from, from + take), this.staged);
      this.staged += take;
      from += take;
      if (this.staged === STAGE_BYTES) await this.flushStage();
    }
  }

  /** The full stage handed to the device (once the buffer after it is free again), the next buffer staged meanwhile. */
  private async flushStage(): Promise<void> {
    if (this.inFlight.length === STAGES - 1) await this.inFlight.shift();
    const bytes = this.stage;
    const at = this.at;
    this.at += STAGE_BYTES;
    this.staged = 0;
    this.turn = (this.turn + 1) % STAGES;
    this.stage = this.stages.subarray(this.turn * STAGE_BYTES, (this.turn + 1) * STAGE_BYTES);
    if (!this.direct) {
      await this.landed();
      await writeAll(this.fh, bytes, this.path, at);
      return;
    }
    this.bypassed = true;
    const write = writeAll(this.dfh, bytes, this.path, at).catch(async (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      // Refused before a byte moved (an alignment the device needs beyond 4,096 bytes): these bytes, and all after them,
      // through the page cache.
      this.direct = false;
      await writeAll(this.fh, bytes, this.path, at);
    });
    write.catch(() => undefined); // thrown by the call that waits for it, not left unhandled meanwhile
    this.inFlight.push(write);
  }

  /** Every write in flight finished (the first error thrown here, once all have settled). */
  private async landed(): Promise<void> {
    const all = this.inFlight.splice(0);
    const results = await Promise.allSettled(all);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** After the writes asked before it (a sync ahead and the read-back's start may both ask): every byte in the file. */
  settle(): Promise<void> {
    return this.order.run(() => this.settleNow());
  }

  private settled = false;

  private async settleNow(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.direct = false;
    await this.landed();
    const rest = this.stage.subarray(0, this.staged);
    this.staged = 0;
    if (rest.length > 0) await writeAll(this.fh, rest, this.path, this.at);
    this.at += rest.length;
  }

  async release(): Promise<void> {
    await this.order.idle();
    await this.landed().catch(() => undefined);
    this.direct = false;
    await this.dfh.close().catch(() => undefined);
  }
}
