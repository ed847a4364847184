/**
 * Verifying an RDB file on two cores. A plain local file from 32 MiB on: each
 * thread parses and checksums a part of it (verifyRdbFileSplit; the design in
 * domain/rdb/format/split.ts). Otherwise: the parser runs on this thread and the
 * CRC-64 of the same bytes in a worker thread, each chunk handed over (moved,
 * not copied, where the caller owns it) once the parser is done with it. The
 * CRC-64 was about a third of a single-threaded verification's time
 * (bench/verify-rdb); beside the parser it costs this thread only the hand-over.
 *
 * The worker runs the same WebAssembly loop as rdb/codecs/crc64.ts, sent to it
 * as bytes with its tables (no module file to find: the CLI runs from dist/,
 * the Lambda from one bundle). The parser says how far the checksummed range
 * is known (`checksumEnd`: up to the bytes it committed, and exactly up to the
 * trailer once it read it), so the worker never checksums a byte past the
 * trailer; the few uncommitted bytes at a chunk's end are held back (copied)
 * until the parser commits them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { borrowCrc64InputArea, Crc64, crc64WasmImage, returnCrc64InputArea } from '../../domain/rdb/codecs/crc64.js';
import { RdbFormatError } from '../../domain/rdb/errors.js';
import { type DuplicateKey, HANDED_SHARDS_FROM, KEY_DIGESTS_IN_MEMORY } from '../../domain/rdb/format/key-digests.js';
import { RdbParser } from '../../domain/rdb/format/parser.js';
import { takeSegment } from '../../domain/rdb/format/split.js';
import type { RdbReport } from '../../domain/rdb/report.js';
import { createRdbVerifier, type RdbVerifier, type RdbVerifierOptions, verifyRdbStream } from '../../domain/rdb/verifier.js';
import { spilledShardReader } from './key-digest-spill.js';
import { FILE_CHUNK_BYTES, type SplitCheckInput, type SplitWorkerMessage, splitWorkerData } from './rdb-split-worker.js';
import { SPLIT_WORKER_BOOTSTRAP, SPLIT_WORKER_FILE, secondCoreFree, takeSplitWorkerStandby, VERIFY_THREADS_ENV } from './split-worker-start.js';
import { startWorker, type Worker } from './worker-thread.js';
import { pageAligned, readAhead } from './direct-io.js';

/** Bytes handed to the worker and not yet checksummed before this thread waits (bounds memory when the worker falls behind). */
const MAX_IN_FLIGHT_BYTES = 8 << 20;
/** Buffers kept for reuse: fresh ones cost page faults and garbage collection on every chunk. */
const SPARE_BUFFERS = 16;

/**
 * The worker: plain JavaScript run with `eval` (it needs no file of its own).
 * Messages in: `{ buffer, offset, length }` (bytes to add) or `{ value: true }`;
 * out: `{ done: length, buffer }` per piece (the buffer handed back), `{ lo, hi }` for a value.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, tables, stateAt, bufferAt, bufferBytes } = workerData;
const { exports } = new WebAssembly.Instance(new WebAssembly.Module(module));
const memory = new Uint8Array(exports.memory.buffer);
memory.set(tables, 0);
const view = new DataView(exports.memory.buffer);
parentPort.on('message', (m) => {
  if (m.value) {
    parentPort.postMessage({ lo: view.getUint32(stateAt, true), hi: view.getUint32(stateAt + 4, true) });
    return;
  }
  const data = new Uint8Array(m.buffer, m.offset, m.length);
  for (let at = 0; at < data.length; at += bufferBytes) {
    const piece = Math.min(bufferBytes, data.length - at);
    memory.set(data.subarray(at, at + piece), bufferAt);
    exports.run(bufferAt, bufferAt + piece);
  }
  // The bytes go back to be freed where the garbage is collected often (the worker allocates almost nothing,
  // so chunks it dropped would pile up as external memory until its rare collections).
  const moved = m.buffer instanceof SharedArrayBuffer ? [] : [m.buffer];
  parentPort.postMessage({ done: m.length, buffer: m.buffer }, moved);
});
`;

/** A CRC-64/Jones computed in a worker thread over the bytes {@link Crc64Thread.add}ed, in order. */
export class Crc64Thread {
  private readonly worker: Worker;
  private inFlight = 0;
  private wake: (() => void) | undefined;
  private valueWanted: ((value: bigint) => void) | undefined;
  private failure: Error | undefined;
  /** Buffers the worker handed back, for {@link readFileChunks} to read into again. */
  readonly spare: ArrayBuffer[] = [];

  private constructor(image: NonNullable<ReturnType<typeof crc64WasmImage>>) {
    this.worker = startWorker(WORKER_SOURCE, { workerData: image });
    this.worker.on('message', (m: { done?: number; buffer?: ArrayBuffer; lo?: number; hi?: number }) => {
      if (m.done !== undefined) {
        this.inFlight -= m.done;
        if (m.buffer && this.spare.length < SPARE_BUFFERS) this.spare.push(m.buffer);
        this.wakeUp();
      } else if (m.lo !== undefined && m.hi !== undefined) {
        this.valueWanted?.((BigInt(m.hi) << 32n) | BigInt(m.lo));
      }
    });
    const failed = (err: Error): void => {
      this.failure ??= err;
      this.wakeUp();
    };
    this.worker.on('error', failed);
    this.worker.on('exit', (code) => failed(new Error(`the CRC-64 worker thread exited (code ${code}) before the file was checksummed`)));
  }

  /** A started worker, or undefined where WebAssembly is unavailable (the caller checksums on its own thread). */
  static start(): Crc64Thread | undefined {
    const image = crc64WasmImage();
    return image && new Crc64Thread(image);
  }

  /**
   * Adds `bytes` to the checksum. With `transfer`, its whole ArrayBuffer moves
   * to the worker (the caller must not touch it again; only when the caller
   * owns it alone); else the bytes are copied.
   */
  add(bytes: Uint8Array, transfer: boolean): void {
    if (bytes.length === 0) return;
    this.throwIfFailed();
    this.inFlight += bytes.length;
    const piece = transfer ? bytes : bytes.slice();
    // Shared memory (readFileChunks' buffers) is shared, not moved.
    const moved: ArrayBuffer[] = piece.buffer instanceof SharedArrayBuffer ? [] : [piece.buffer as ArrayBuffer];
    this.worker.postMessage({ buffer: piece.buffer, offset: piece.byteOffset, length: piece.length }, moved);
  }

  /** Resolves once the worker has caught up enough that handing it more keeps memory bounded. */
  async drain(maxInFlight = MAX_IN_FLIGHT_BYTES): Promise<void> {
    while (this.inFlight > maxInFlight) {
      this.throwIfFailed();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.throwIfFailed();
  }

  /** The CRC-64 of every byte added so far. */
  async value(): Promise<bigint> {
    this.throwIfFailed();
    const value = new Promise<bigint>((resolve, reject) => {
      this.valueWanted = resolve;
      this.wake = () => this.failure && reject(this.failure);
    });
    this.worker.postMessage({ value: true });
    return value;
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

/**
 * The worker of {@link verifyRdbFileOnTwoThreads}: it reads the file itself, into its
 * own WebAssembly memory (page-aligned, not shared: the kernel's fast copy, and
 * the loop reads it in place), and checksums bytes [0, end). No bytes cross
 * between the threads: each reads the file from the page cache. It stays at
 * most `lead` bytes ahead of the parser (whose position it reads from
 * `progress[0]`, in MiB), so that a file larger than the page cache is not read
 * from disk twice. Out: `{ lo, hi }` once done, or `{ error }`.
 */
const FILE_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { module, tables, stateAt, path, end, chunkBytes, lead, progress } = workerData;
const { exports } = new WebAssembly.Instance(new WebAssembly.Module(module));
const at = exports.memory.buffer.byteLength;
exports.memory.grow(Math.ceil(chunkBytes / 65536));
const memory = new Uint8Array(exports.memory.buffer);
memory.set(tables, 0);
const parser = new Int32Array(progress);
let fd;
try {
  fd = openSync(path, 'r');
  for (let position = 0; position < end; ) {
    while (position - Atomics.load(parser, 0) * 1048576 > lead) Atomics.wait(parser, 0, Atomics.load(parser, 0), 1000);
    const read = readSync(fd, memory, at, Math.min(chunkBytes, end - position), position);
    if (read === 0) throw new Error('the file ended at byte ' + position + ' while being checksummed (it changed during the verification)');
    exports.run(at, at + read);
    position += read;
  }
  const view = new DataView(exports.memory.buffer);
  parentPort.postMessage({ lo: view.getUint32(stateAt, true), hi: view.getUint32(stateAt + 4, true) });
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message || e) });
} finally {
  if (fd !== undefined) closeSync(fd);
}
`;

/** How far (bytes) the file worker may read ahead of the parser. */
const FILE_WORKER_LEAD = 256 << 20;

/**
 * {@link verifyRdbStreamOnTwoThreads} for a plain local file of `size` bytes
 * that does not change while it is read. From {@link TWO_THREADS_MIN_BYTES}
 * on (without `expiryTimes`), each thread parses and checksums a part of the
 * file (verifyRdbFileSplit below: the parsing thread was the limit of the
 * CRC-only split, at about nine tenths of the work). Smaller files, and
 * those verified with `expiryTimes`, the earlier way: the parser reads the file on this
 * thread (as the one-thread path does, into the CRC module's lent memory),
 * and a worker reads it again on its own and checksums it. Nothing is handed
 * from thread to thread per chunk: on two cores the parser is the longer task,
 * and the message per chunk, the copies out of shared memory (several times
 * slower than from private memory) and the worker's replies all cost this
 * thread, which was the limit.
 *
 * The worker checksums all but the file's last 8 bytes, where an RDB file's
 * checksum is. A file whose checksummed range ends elsewhere (bytes after the
 * trailer, or a file cut short) is checksummed again on this thread from the
 * file, so the report is the one-thread report, field for field.
 */
export async function verifyRdbFileOnTwoThreads(
  path: string,
  size: number,
  options: Omit<RdbVerifierOptions, 'externalChecksum' | 'resumeFrom'> = {},
  /** @internal Where the second thread starts looking for its part (tests force small files to split), or false: the CRC-64 only. */
  split?: SplitSearch | false,
): Promise<RdbReport> {
  if (split !== false && options.expiryTimes === undefined && (split !== undefined || size >= TWO_THREADS_MIN_BYTES)) {
    return verifyRdbFileSplit(path, size, options, split ?? { from: Math.floor(size * SPLIT_AT), balance: true });
  }
  const image = crc64WasmImage();
  if (!image) return verifyRdbStream(readFileChunksReused(path), options);
  const chunkBytes = 1 << 20;
  const end = Math.max(0, size - 8);
  const progress = new SharedArrayBuffer(4);
  const parserAt = new Int32Array(progress);
  const worker = startWorker(FILE_WORKER_SOURCE, { workerData: { ...image, path, end, chunkBytes, lead: FILE_WORKER_LEAD, progress } });
  const checksum = new Promise<bigint>((resolve, reject) => {
    worker.on('message', (m: { lo?: number; hi?: number; error?: string }) => {
      if (m.error !== undefined) reject(new Error(`the CRC-64 worker thread could not read ${path}: ${m.error}`));
      else resolve((BigInt(m.hi!) << 32n) | BigInt(m.lo!));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the CRC-64 worker thread exited (code ${code}) before the file was checksummed`)));
  });
  checksum.catch(() => undefined); // awaited below only where the checksum is needed
  const verifier = createRdbVerifier({ ...options, externalChecksum: true });
  try {
    let read = 0;
    try {
      for await (const chunk of readFileChunksReused(path, chunkBytes)) {
        verifier.push(chunk);
        read += chunk.length;
        Atomics.store(parserAt, 0, Math.floor(read / chunkBytes));
        Atomics.notify(parserAt, 0);
      }
    } catch (err) {
      if (!(err instanceof RdbFormatError)) throw err;
      verifier.sourceFailed(err);
    }
    if (verifier.checksumPending) {
      verifier.settleChecksum(verifier.checksumEnd() === end ? await checksum : await checksumOnThisThread(path, verifier.checksumEnd()));
    }
    return verifier.end();
  } finally {
    // Wakes a worker waiting for the parser, then stops it.
    Atomics.store(parserAt, 0, 0x7fffffff);
    Atomics.notify(parserAt, 0);
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

/**
 * Where the second thread's part starts, as a share of the file, when it cannot go by this thread's progress
 * (`balance`: it is ready before this thread parsed anything): it starts later than this thread (its module loads)
 * and reads its start twice.
 */
const SPLIT_AT = 0.53;

/** @internal Where the split's second thread looks for its start: see findSegmentStart (domain/rdb/format/split.ts). */
export interface SplitSearch {
  readonly from: number;
  readonly tries?: number;
  readonly trialKeys?: number;
  /** Wait for the worker's start (or its word that it found none) before reading: the tests' workers load TypeScript slowly. */
  readonly awaitStart?: boolean;
  /**
   * The worker begins where both threads end together, by this thread's progress when it is ready (balancedStart in
   * domain/rdb/format/split.ts); `from` while there is none. Given as numbers (the tests), the progress the worker
   * finds until this thread's first chunk.
   */
  readonly balance?: boolean | { readonly parsedKiB: number; readonly elapsedMs: number };
  /** Told whether the worker's part was taken (true) or why not, where it started (if it found a start), and whether the worker was the standby one. */
  readonly observe?: (taken: true | string, from: number | undefined, standby: boolean) => void;
}

/**
 * {@link verifyRdbFileOnTwoThreads} by parsing the file's two parts at once
 * (the design and why it gives the one-thread report: domain/rdb/format/split.ts).
 * This thread parses and checksums the file from its start; a worker
 * (adapters/host/rdb-split-worker.ts) finds a top-level boundary from
 * `search.from` on and parses and checksums from there to the end. This
 * thread stops at that boundary if it comes to one exactly there and takes
 * the worker's findings in; in every other case (no boundary there, another
 * context, the worker's part failed, the worker failed) it reads on alone
 * and its verdict is the report. The duplicate-key check spills on each
 * side beyond half the memory one thread holds (so together they hold no
 * more); without a spill both sample as one thread would, and a merge that
 * could sample differently is not taken.
 */
async function verifyRdbFileSplit(
  path: string,
  size: number,
  options: Omit<RdbVerifierOptions, 'externalChecksum' | 'resumeFrom'>,
  search: SplitSearch,
): Promise<RdbReport> {
  const exact = options.keyDigestSpill !== undefined;
  const inMemory = options.keyDigestsInMemory ?? KEY_DIGESTS_IN_MEMORY;
  const perSide = exact ? Math.max(1, Math.floor(inMemory / 2)) : inMemory;
  const maxValueBytes = options.maxValueBytes ?? 512 * 1024 * 1024;
  const requireChecksum = options.requireChecksum ?? false;
  const main = new RdbParser(maxValueBytes, requireChecksum, undefined, undefined, undefined, false, undefined, undefined, options.keyDigestSpill, perSide);
  const { observe, awaitStart, balance, ...where } = search;
  // This thread's progress for the worker's choice of its start: KiB parsed and ms since the first read.
  const progressBuffer = balance ? new SharedArrayBuffer(8) : undefined;
  const progress = progressBuffer && new Int32Array(progressBuffer);
  if (progress && typeof balance === 'object') progress.set([balance.parsedKiB, balance.elapsedMs]);
  const workerData = splitWorkerData({
    path,
    size,
    search: { ...where, from: Math.max(0, Math.floor(where.from)) },
    ...(progressBuffer ? { progress: progressBuffer } : {}),
    maxValueBytes,
    requireChecksum,
    // The worker's spill goes into a folder of this thread's, removed at the end whatever the worker did (it may be
    // stopped between making its folder and saying so).
    spillParent: exact ? mkdtempSync(join(tmpdir(), 'redis-dr-split-')) : undefined,
    keyDigestsInMemory: perSide,
  });
  // The worker the CLI started in standby as it began (split-worker-start.ts), loaded by now or soon; else one of its own.
  const standby = takeSplitWorkerStandby();
  standby?.postMessage({ data: workerData });
  let worker: Worker | undefined = standby ?? startWorker(SPLIT_WORKER_BOOTSTRAP, { workerData: { ...workerData, file: SPLIT_WORKER_FILE } });
  let spillDir: string | undefined;
  /** Whether the worker's part was taken, or why not (for the tests). */
  let note: true | string = 'no start found before this thread reached the end';
  let from: number | undefined;
  let settle!: (m: Extract<SplitWorkerMessage, { type: 'done' | 'failed' }>) => void;
  const outcome = new Promise<Extract<SplitWorkerMessage, { type: 'done' | 'failed' }>>((resolve) => (settle = resolve));
  const stopWorker = async (): Promise<void> => {
    const w = worker;
    worker = undefined;
    if (w) {
      w.removeAllListeners('exit');
      await w.terminate();
    }
  };
  let started!: () => void;
  const startKnown = new Promise<void>((resolve) => (started = resolve));
  /** The worker's half of the duplicate-key check, once handed over; a string: why it never came. */
  let answer!: (outcome: { readonly twice: DuplicateKey | undefined } | string) => void;
  const checked = new Promise<{ readonly twice: DuplicateKey | undefined } | string>((resolve) => (answer = resolve));
  worker.on('message', (m: SplitWorkerMessage) => {
    if (m.type === 'checked') {
      answer({ twice: m.db === null ? undefined : { db: m.db } });
      return;
    }
    if (m.type !== 'spill') started();
    if (m.type === 'start') {
      from = m.from;
      main.stopAtBoundary(m.from);
    } else if (m.type === 'none' || (m.type === 'failed' && from === undefined)) note = m.reason;
    // The last folder named is the kept parser's: the search makes it last (findSegmentStart, format/split.ts).
    else if (m.type === 'spill') spillDir = m.dir;
    else if (m.type === 'done' || m.type === 'failed') settle(m);
    // No part to merge, or this thread is past it already: the worker's CPU is better left to others.
    if (m.type === 'none' || main.stopMissed) void stopWorker();
  });
  const failed = (reason: string): void => {
    if (from === undefined) note = reason;
    started();
    settle({ type: 'failed', reason });
    answer(`the split worker stopped before its half of the duplicate-key check (${reason})`);
  };
  worker.on('error', (err) => failed(String(err)));
  worker.on('exit', (code) => failed(`the split worker exited (code ${code})`));
  try {
    if (awaitStart) await startKnown;
    let read = 0;
    const began = Date.now();
    try {
      for await (const chunk of readFileChunksReused(path)) {
        const chunkBase = read;
        read += chunk.length;
        main.push(chunk);
        if (progress) {
          Atomics.store(progress, 0, read >>> 10);
          Atomics.store(progress, 1, Date.now() - began);
        }
        // A verdict before the boundary is the report: nothing after it changes it.
        if (main.state() === 'failed') break;
        if (main.state() !== 'paused') continue;
        const result = await outcome;
        const dir = spillDir;
        // Both sides' digests whole in memory: the worker checks the upper half of the shards beside this thread's
        // check of the lower half, instead of this thread checking all of them after the merge.
        const digests = main.keyDigests;
        const handOver =
          result.type === 'done' &&
          !result.segment.digestsSpilled &&
          digests !== undefined &&
          !digests.spilled &&
          digests.detectionProbability === 1 &&
          worker !== undefined;
        const boundaryDb = main.db;
        // Either side spilled: the worker's records stay in its spill until the final check reads them shard by shard
        // (10,000,000 keys: 80 MB not rewritten here and read back), through one reused buffer: only that check may read
        // through it (absorb keeps the arrays it is given). A spill never named is records not readable: no merge.
        const lazily = result.type === 'done' && digests?.exact === true && (digests.spilled || result.segment.digestsSpilled);
        const workerSpilled = result.type === 'done' && result.segment.digestsSpilled;
        const spilled = workerSpilled && lazily && dir ? spilledShardReader(dir) : undefined;
        const unreadable = workerSpilled && spilled === undefined;
        note = takeSegment(
          main,
          unreadable ? { reason: 'the worker spilled its key digests where this thread cannot read them' } : result,
          (s) => (result.type !== 'done' || (handOver && s >= HANDED_SHARDS_FROM) ? [] : [...(spilled ? [spilled.read(s)] : []), result.shards[s]!]),
          lazily,
        );
        if (note === true) {
          if (handOver && result.type === 'done' && digests !== undefined && worker !== undefined) {
            const mine = digests.handOver();
            const shards = mine.map((records, i) => [result.shards[HANDED_SHARDS_FROM + i]!, records]);
            worker.postMessage({ type: 'check', db: boundaryDb, shards } satisfies SplitCheckInput, [
              ...new Set(shards.flat().map((r) => r.buffer as ArrayBuffer)),
            ]);
            const twice = digests.findDuplicate(); // the shards this thread kept
            main.settleDuplicatesWith(twice !== undefined ? { twice } : await checked);
          }
          break;
        }
        // Not taken: this thread reads the worker's part itself, from the boundary (the bytes pushed after it were not read).
        void stopWorker();
        const at = main.pausedAt;
        main.continueFromPause();
        if (at < chunkBase) main.push(await readRange(path, at, chunkBase));
        main.push(chunk.subarray(Math.max(0, at - chunkBase)));
      }
    } catch (err) {
      if (!(err instanceof RdbFormatError)) throw err;
      main.sourceFailed(err);
    }
    if (main.stopMissed) note = 'this thread passed the start without a boundary there';
    observe?.(note, from, standby !== undefined);
    return main.end();
  } finally {
    await stopWorker();
    if (workerData.spillParent !== undefined) rmSync(workerData.spillParent, { recursive: true, force: true });
  }
}

/** The file's bytes [from, to) (a few: those a paused parser held back at a chunk's end). */
async function readRange(path: string, from: number, to: number): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const out = new Uint8Array(to - from);
    const { bytesRead } = await file.read(out, 0, out.length, from);
    return out.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** The CRC-64 of the file's bytes [0, end), read again on this thread (a file whose checksum is not its last 8 bytes). */
async function checksumOnThisThread(path: string, end: number): Promise<bigint> {
  const crc = new Crc64();
  let at = 0;
  for await (const chunk of readFileChunksReused(path)) {
    const take = Math.min(chunk.length, end - at);
    if (take <= 0) break;
    crc.update(chunk, 0, take);
    at += take;
  }
  if (at < end) throw new Error(`${path} ended at byte ${at} while being checksummed (it changed during the verification)`);
  return crc.value;
}

/** Options of {@link verifyRdbStreamOnTwoThreads}. */
export interface TwoThreadOptions extends Omit<RdbVerifierOptions, 'externalChecksum' | 'resumeFrom'> {
  /**
   * Whether a chunk `source` yielded may be moved to the worker once parsed
   * (its ArrayBuffer is the caller's alone and nothing reads it again, as a
   * `fs.createReadStream` chunk); else its bytes are copied.
   * @default () => false
   */
  readonly transferable?: (chunk: Uint8Array) => boolean;
}

/**
 * {@link verifyRdbStream} (rdb/verifier.ts) with the CRC-64 computed in a
 * worker thread beside the parser: the same report, field for field. Falls
 * back to one thread where WebAssembly is unavailable. `source` may be a
 * function of the worker, to read into the buffers it hands back
 * ({@link readFileChunks}). Errors of `source`
 * other than an {@link RdbFormatError} are thrown, as is a failure of the
 * worker (never a verdict).
 */
export async function verifyRdbStreamOnTwoThreads(
  source: AsyncIterable<Uint8Array> | ((worker: Crc64Thread | undefined) => AsyncIterable<Uint8Array>),
  options: TwoThreadOptions = {},
): Promise<RdbReport> {
  const { transferable, ...verifierOptions } = options;
  const crc = Crc64Thread.start();
  const verifier = createRdbVerifier({ ...verifierOptions, externalChecksum: crc !== undefined });
  try {
    const feed = new ChecksumFeed(verifier, crc);
    try {
      for await (const chunk of typeof source === 'function' ? source(crc) : source) {
        verifier.push(chunk);
        if (crc) {
          feed.after(chunk, transferable?.(chunk) ?? false);
          await crc.drain();
        }
      }
    } catch (err) {
      if (!(err instanceof RdbFormatError)) throw err;
      verifier.sourceFailed(err);
    }
    if (crc && verifier.checksumPending) verifier.settleChecksum(await crc.value());
    return verifier.end();
  } finally {
    await crc?.close();
  }
}

/**
 * Hands the worker each byte of the checksummed range once the parser has
 * committed it: whole chunks (moved when allowed), plus the copied few bytes a
 * chunk ended with before the parser committed them.
 */
class ChecksumFeed {
  /** File offset up to which bytes went to the worker. */
  private sent = 0;
  /** File offset of the next chunk. */
  private next = 0;
  /** Copies of the bytes [sent, next) not yet sent (at most a token's length, outside tiny chunks). */
  private held: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly verifier: RdbVerifier,
    private readonly crc: Crc64Thread | undefined,
  ) {}

  /** `chunk` was just pushed into the verifier. */
  after(chunk: Uint8Array, transfer: boolean): void {
    const crc = this.crc!;
    const base = this.next;
    this.next += chunk.length;
    const state = this.verifier.state;
    // A failed file needs no checksum; a finished one needs none past its trailer.
    if (state === 'failed' || (state === 'done' && this.sent >= this.verifier.checksumEnd())) {
      this.held = new Uint8Array(0);
      return;
    }
    const upTo = Math.min(this.verifier.checksumEnd(), this.next);
    const fromHeld = Math.min(upTo, base) - this.sent;
    if (fromHeld > 0) crc.add(this.held.subarray(0, fromHeld), false);
    if (upTo <= base) {
      // Nothing of this chunk is committed yet (a chunk smaller than a token): keep it all.
      const rest = this.held.subarray(Math.max(fromHeld, 0));
      this.held = state === 'done' ? new Uint8Array(0) : concat(rest, chunk);
      this.sent = upTo;
      return;
    }
    const own = upTo - base;
    // The uncommitted end of the chunk is copied before the chunk may move.
    this.held = state === 'done' ? new Uint8Array(0) : chunk.slice(own);
    crc.add(chunk.subarray(0, own), transfer);
    this.sent = upTo;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** @internal Lowers {@link TWO_THREADS_MIN_BYTES} (bytes): the installed CLI's test splits a small file. */
export const TWO_THREADS_MIN_BYTES_ENV = 'REDIS_DR_TWO_THREADS_MIN_BYTES';

/** The two-thread threshold: 32 MiB, or {@link TWO_THREADS_MIN_BYTES_ENV}'s whole number of bytes. */
export function twoThreadsMinBytes(value = process.env[TWO_THREADS_MIN_BYTES_ENV]): number {
  if (value === undefined || value === '') return 32 << 20;
  if (!/^[1-9]\d*$/.test(value))
    throw new Error(`${TWO_THREADS_MIN_BYTES_ENV} must be a whole number of bytes, got ${JSON.stringify(value)}: unset it for 32 MiB`);
  return Number(value);
}

/** Files from this size on are verified on two threads: below it, starting the worker (about 20–40 ms) costs more than it saves. */
export const TWO_THREADS_MIN_BYTES = twoThreadsMinBytes();

/**
 * Whether a file of `bytes` verifies faster on two threads here: large enough
 * (from {@link TWO_THREADS_MIN_BYTES}), and a second core free
 * ({@link secondCoreFree}, where `REDIS_DR_VERIFY_THREADS=1` or `2` decides
 * for a process pinned to cores of its own). `cores` and `load` default to this machine's.
 */
export function twoThreadsHelp(bytes: number, cores = availableParallelism(), load = loadavg()[0]!, threads = process.env[VERIFY_THREADS_ENV]): boolean {
  if (bytes < TWO_THREADS_MIN_BYTES) return false;
  return secondCoreFree(cores, load, threads);
}

/**
 * The bytes of the file at `path` in chunks of `chunkBytes`, each read into a
 * buffer of its own; with `reuse`, into page-aligned shared memory (the
 * kernel's fast copy; shared with the worker, not moved) and again into the
 * buffers the worker handed back once it checksummed them (no fresh memory per
 * chunk). Every chunk is the caller's alone (nothing else holds its buffer
 * until the worker has it). Opens the file when first iterated.
 */
export function readFileChunks(path: string, chunkBytes = 1 << 20, reuse?: Crc64Thread): AsyncGenerator<Uint8Array> {
  return readAhead(path, chunkBytes, () => {
    const spare = reuse?.spare.pop();
    if (spare && spare.byteLength === chunkBytes) return new Uint8Array(spare);
    return (reuse && pageAligned(chunkBytes, true)) || new Uint8Array(chunkBytes);
  });
}

/**
 * The bytes of the file at `path` in chunks of `chunkBytes`, read into two
 * page-aligned buffers in turn (one read ahead, as {@link readFileChunks}):
 * no fresh memory per chunk, and the kernel's copy into aligned memory is
 * the fast one. The buffers are the CRC-64 loop's own memory where it lends
 * it (rdb/codecs/crc64.ts), so the checksum reads each chunk in place. A
 * chunk's bytes are overwritten once the caller asks for the
 * chunk after it, so the caller must be done with each chunk by then (a
 * verifier that pushes it and keeps nothing; not a reader that holds views
 * across chunks, as the LZ4 envelope's does). Opens the file when first iterated (a descriptor: read, left open).
 * With `direct` (a path), read past the page cache ({@link readAhead}).
 */
export async function* readFileChunksReused(path: string | number, chunkBytes = FILE_CHUNK_BYTES, direct = false): AsyncGenerator<Uint8Array> {
  // Past the page cache each read waits for the device: two in flight, not one (direct-io.ts readAhead). With one, a
  // 553 MB read-back's wall time was 0.10 s over its CPU time on one CPU; with two, 0.01–0.02 s.
  const count = direct ? 3 : 2;
  const lent = borrowCrc64InputArea(count * chunkBytes);
  const buffers = lent ?? pageAligned(count * chunkBytes) ?? new Uint8Array(count * chunkBytes);
  let turn = 0;
  try {
    // Into the next buffer each time: the caller is done with a chunk before it asks for the one after it.
    yield* readAhead(
      path,
      chunkBytes,
      () => {
        const at = turn++ % count;
        return buffers.subarray(at * chunkBytes, (at + 1) * chunkBytes);
      },
      { direct, ahead: count - 1 },
    );
  } finally {
    if (lent) returnCrc64InputArea(lent);
  }
}
