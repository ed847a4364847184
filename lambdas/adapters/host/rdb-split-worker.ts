/**
 * The second thread of the split verification (domain/rdb/format/split.ts;
 * the first thread's side is verifyRdbFileOnTwoThreads in crc64-thread.ts):
 * it reads the file itself, learns its head's context (version, magic,
 * `ctime`), looks for a top-level boundary from the offset it is given on
 * (findSegmentStart), says where it starts as soon as it knows, then parses
 * and checksums the file from there to its end and hands its findings over:
 * counters and lists, the CRC-64 of its part, the trailer, and its
 * duplicate-key digests (moved, not copied; those it spilled stay in its
 * spill's folder, which the first thread reads and removes).
 *
 * Or, in stream mode (`stream` in its data: the DR verify Lambda), the
 * bytes from the search's start on come as messages from the thread that
 * reads them (S3 ranged GETs stay on that thread): the first few MiB are
 * held for the search, the rest parsed as they come, each message
 * acknowledged (`consumed`) so the sender bounds what is in flight; the
 * head's context comes with the data, and a `pause`
 * message ends the segment at its next top-level boundary (a paused
 * segment, domain/rdb/format/split.ts).
 *
 * Loaded as a module of its own (this file: the compiled one in dist/, the
 * TypeScript one through tsx under the tests, its own bundle beside the
 * Lambda's and the CLI's: SPLIT_WORKER_FILE in split-worker-start.ts), started
 * by a one-line `eval` worker that requires it (the parser is too large to ship
 * as source text, as the CRC-64 worker is), with its data, or in standby with
 * its data to come as its first message (split-worker-start.ts).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { RdbParser } from '../../domain/rdb/format/parser.js';
import { borrowCrc64InputArea } from '../../domain/rdb/codecs/crc64.js';
import {
  findSegmentStart,
  type RdbSegment,
  type ReadAt,
  readHeadContext,
  type SegmentContext,
  type SegmentParserOptions,
  type SegmentSearch,
  segmentOf,
  balancedStart,
} from '../../domain/rdb/format/split.js';
import { duplicateAmong, relabelRecords } from '../../domain/rdb/format/key-digests.js';
import { SEGMENT_DB } from '../../domain/rdb/format/parse-constants.js';
import type { HandedKeys } from '../../domain/serve/index-segment.js';
import { SegmentKeySink } from '../../domain/serve/segment-keys.js';
import { tempKeyDigestSpill } from './key-digest-spill.js';
import { SPLIT_WORKER_KIND } from './split-worker-start.js';

/**
 * The bytes of a local file read and parsed at a time, by this worker and by
 * the one-thread and first-thread reads (readFileChunksReused in
 * crc64-thread.ts): 2 MiB took 0.95 of the time of 1 MiB on the everyday
 * file, one CPU, 11 of 12 alternating rounds (fewer reads, checksum calls and
 * waits between chunks); 256 and 512 KiB were slower, 4 MiB no faster.
 */
export const FILE_CHUNK_BYTES = 2 << 20;

/** What the worker is started with. */
export interface SplitWorkerData {
  readonly kind: typeof SPLIT_WORKER_KIND;
  /** The file the worker reads (file mode); ignored in stream mode. */
  readonly path: string;
  /** Stream mode: the bytes from `search.from` on come as {@link SplitStreamInput} messages, not from `path`. */
  readonly stream?: {
    /** The file head's context (read by the sender from the head, or from a checkpoint). */
    readonly context: SegmentContext;
    /** Bytes held before the search runs (it cannot look past them). */
    readonly holdBytes: number;
    /**
     * Also index the segment's keys (the DR verifier's key index beside a
     * copy, jobs/dr-copies/copy-key-index.ts), from the segment's own parse
     * (as the first thread's index is from its own), its keys' rows and
     * names moved with `done` (domain/serve/index-segment.ts's HandedKeys).
     */
    readonly keyIndex?: boolean;
  };
  /** The file's size when measured (the search starts from `search.from`; the worker reads to the file's real end). */
  readonly size: number;
  readonly search: { readonly from: number; readonly tries?: number; readonly trialKeys?: number };
  /**
   * File mode: the first thread's progress, two Int32s it keeps current (KiB parsed, ms since it began): the search
   * then begins where both threads end together (balancedStart), `search.from` being the start while it has none.
   */
  readonly progress?: SharedArrayBuffer;
  readonly maxValueBytes: number;
  readonly requireChecksum: boolean;
  /** Spill the digests to temporary files in a new folder under this one beyond `keyDigestsInMemory` (without one, the check samples, as the first thread's). */
  readonly spillParent: string | undefined;
  readonly keyDigestsInMemory: number;
}

/** What the worker posts, in this order: `start` or `none`; `spill` when it spills; `done` or `failed`. */
export type SplitWorkerMessage =
  | { readonly type: 'start'; readonly from: number; readonly context: SegmentContext }
  | { readonly type: 'none'; readonly reason: string }
  | { readonly type: 'spill'; readonly dir: string }
  | {
      readonly type: 'done';
      readonly segment: RdbSegment;
      readonly shards: Uint32Array[];
      /**
       * Stream mode with `keyIndex`: the keys of bytes [segment.from, segment.total), their rows and names moved (the
       * first thread checks every key against the range; those before the segment's first SELECTDB in database
       * SEGMENT_DB), or why there are none.
       */
      readonly keyIndex?: HandedKeys | string;
    }
  /** File mode, after `done` and a {@link SplitCheckInput}: the first key twice among the shards handed over (its database), or none. */
  | { readonly type: 'checked'; readonly db: number | null }
  | { readonly type: 'failed'; readonly reason: string }
  /** Stream mode: the bytes of that many `bytes` messages' worth are parsed or held (the sender may send more). */
  | { readonly type: 'consumed'; readonly bytes: number };

/** Stream mode: what the worker is sent, bytes in file order from `search.from`. */
export type SplitStreamInput =
  | { readonly type: 'bytes'; readonly bytes: Uint8Array }
  /** No more bytes: the file's end, or the sender stopped. */
  | { readonly type: 'end' }
  /** Pause at the next top-level boundary (a deadline). */
  | { readonly type: 'pause' };

/**
 * File mode, after `done`: the first thread hands over the digest records of
 * shards HANDED_SHARDS_FROM–255 (for each shard its parts: this worker's
 * records, moved back, and its own; `shards[0]` is shard HANDED_SHARDS_FROM)
 * to be checked here beside its check of the others, with the database the
 * worker's first keys are in (its segment began before it knew it).
 */
export interface SplitCheckInput {
  readonly type: 'check';
  readonly db: number;
  readonly shards: readonly (readonly Uint32Array[])[];
}

/** The data a worker of this module is started with. */
export function splitWorkerData(data: Omit<SplitWorkerData, 'kind'>): SplitWorkerData {
  return { kind: SPLIT_WORKER_KIND, ...data };
}

type Post = (m: SplitWorkerMessage, transfer?: ArrayBuffer[]) => void;

/** The parser options of the worker's data; a spill is told to the first thread as it starts. */
function segmentOptions(data: SplitWorkerData, post: Post): SegmentParserOptions {
  return {
    maxValueBytes: data.maxValueBytes,
    requireChecksum: data.requireChecksum,
    keyDigestsInMemory: data.keyDigestsInMemory,
    ...(data.spillParent !== undefined
      ? {
          keyDigestSpill: () => {
            const spill = tempKeyDigestSpill(data.spillParent);
            post({ type: 'spill', dir: spill.dir });
            return spill;
          },
        }
      : {}),
  };
}

/**
 * Posts the segment's findings (its digests moved, not copied), or why there
 * are none; whether it posted them. `index`: the segment's keys, from its own parse
 * (stream mode), handed over up to the segment's end.
 */
function postSegment(parser: RdbParser, from: number, context: SegmentContext, post: Post, index?: SegmentKeySink): boolean {
  const segment = segmentOf(parser, from, context);
  if (typeof segment === 'string') {
    post({ type: 'failed', reason: segment });
    return false;
  }
  const shards = Array.from({ length: 256 }, (_, s) => parser.keyDigests?.memoryRecords(s) ?? new Uint32Array(0));
  const keyIndex = index?.handOver(segment.total);
  const moved = [...new Set(shards.map((s) => s.buffer as ArrayBuffer))];
  if (keyIndex !== undefined && typeof keyIndex !== 'string') moved.push(keyIndex.rows.buffer as ArrayBuffer, keyIndex.names.buffer as ArrayBuffer);
  post({ type: 'done', segment, shards, ...(keyIndex !== undefined ? { keyIndex } : {}) }, moved);
  return true;
}

/**
 * After `done` (file mode): checks the shards the first thread may hand over
 * ({@link SplitCheckInput}) and says what it found; the first thread stops
 * the worker when it hands nothing over.
 */
function checkHandedShards(post: Post): void {
  parentPort!.once('message', (m: SplitCheckInput) => {
    if (m?.type !== 'check') return;
    for (const parts of m.shards) for (const part of parts) relabelRecords(part, SEGMENT_DB, m.db);
    const twice = duplicateAmong((s) => m.shards[s] ?? [], 0, m.shards.length);
    post({ type: 'checked', db: twice?.db ?? null });
  });
}

/**
 * The time between the worker's choice of its start and its parsing at the first thread's speed: the search and
 * the first megabytes parsed by code not yet optimized (measured: 61–102 ms from the search's start to the first
 * key parsed, on the CLI's two threads of a 480 MB file).
 */
export const WORKER_WARMUP_MS = 60;

/** Where the search begins, from the first thread's progress (see balancedStart). */
function balancedFrom(data: SplitWorkerData, progress: SharedArrayBuffer): number {
  const [parsedKiB, elapsedMs] = [Atomics.load(new Int32Array(progress), 0), Atomics.load(new Int32Array(progress), 1)];
  return balancedStart(data.size, parsedKiB * 1024, elapsedMs, WORKER_WARMUP_MS, data.search.from);
}

function runSplitWorker(data: SplitWorkerData): void {
  const post: Post = (m, transfer = []) => parentPort!.postMessage(m, transfer);
  let fd: number | undefined;
  try {
    fd = openSync(data.path, 'r');
    const file = fd;
    const read: ReadAt = (offset, length) => {
      const out = new Uint8Array(length);
      let n = 0;
      while (n < length) {
        const got = readSync(file, out, n, length - n, offset + n);
        if (got === 0) break;
        n += got;
      }
      return out.subarray(0, n);
    };
    const options = segmentOptions(data, post);
    const context = readHeadContext(read, data.size, options);
    if (context === undefined) {
      post({ type: 'none', reason: 'the file head does not parse' });
      return;
    }
    const search = data.progress === undefined ? data.search : { ...data.search, from: balancedFrom(data, data.progress) };
    const found = findSegmentStart(read, data.size, context, options, search);
    if (found === undefined) {
      post({ type: 'none', reason: `no top-level boundary found from byte ${search.from}` });
      return;
    }
    post({ type: 'start', from: found.from, context });
    const { parser } = found;
    // Into the CRC loop's own memory where it lends it: the parser's checksum reads the bytes in place.
    const chunkBytes = FILE_CHUNK_BYTES;
    const buffer = borrowCrc64InputArea(chunkBytes) ?? new Uint8Array(chunkBytes);
    for (let at = found.next; parser.state() !== 'failed'; ) {
      const got = readSync(file, buffer, 0, chunkBytes, at);
      if (got === 0) break;
      parser.push(buffer.subarray(0, got));
      at += got;
    }
    if (postSegment(parser, found.from, context, post)) checkHandedShards(post);
  } catch (e) {
    post({ type: 'failed', reason: `the split worker failed: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Stream mode (see the module comment): holds the first `holdBytes` (or all,
 * if fewer come), searches them for the start, then parses what follows as
 * it comes until the segment is done, failed or paused, and posts it once.
 */
function runStreamWorker(data: SplitWorkerData & { readonly stream: NonNullable<SplitWorkerData['stream']> }): void {
  const port = parentPort!;
  const post: Post = (m, transfer = []) => port.postMessage(m, transfer);
  const options = segmentOptions(data, post);
  const search: SegmentSearch = data.search;
  const { context } = data.stream;
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  let ended = false;
  let pauseWanted = false;
  let parser: RdbParser | undefined;
  let index: SegmentKeySink | undefined;
  let from = -1;
  let finished = false;
  const finish = (): void => {
    finished = true;
    if (parser !== undefined) postSegment(parser, from, context, post, index);
  };
  const give = (bytes: Uint8Array): void => {
    if (bytes.length > 0) {
      if (index) index.push(bytes);
      else parser!.push(bytes);
    }
    if (parser!.state() !== 'reading' || ended) finish();
  };
  const trySearch = (): void => {
    if (heldBytes < data.stream.holdBytes && !ended) return;
    const window = new Uint8Array(heldBytes);
    let at = 0;
    for (const h of held) {
      window.set(h, at);
      at += h.length;
    }
    held.length = 0;
    // Only what is held: a trial that would read past it fails (a start is looked for in the first few MiB).
    const read: ReadAt = (offset, length) => window.subarray(offset - search.from, offset - search.from + length);
    const found = findSegmentStart(read, data.size, context, options, search);
    if (found === undefined) {
      finished = true;
      post({ type: 'none', reason: `no top-level boundary found from byte ${search.from} in the first ${heldBytes} bytes` });
      return;
    }
    post({ type: 'start', from: found.from, context });
    parser = found.parser;
    from = found.from;
    if (data.stream.keyIndex) {
      // The segment read by a parser that places its keys: from its start again (the search's trial read a few keys).
      index = new SegmentKeySink(from, context, options, data.size);
      parser = index.parser;
      index.push(window.subarray(from - search.from, found.next - search.from));
    }
    if (pauseWanted) parser.pause();
    give(window.subarray(found.next - search.from));
  };
  port.on('message', (m: SplitStreamInput) => {
    try {
      if (m.type === 'bytes') {
        // Acknowledged whatever happens to them: the sender waits for room, never for a verdict.
        post({ type: 'consumed', bytes: m.bytes.length });
        if (finished) return;
        if (parser !== undefined) give(m.bytes);
        else {
          held.push(m.bytes);
          heldBytes += m.bytes.length;
          trySearch();
        }
      } else if (finished) return;
      else if (m.type === 'end') {
        ended = true;
        if (parser !== undefined) finish();
        else trySearch();
      } else if (m.type === 'pause') {
        pauseWanted = true;
        if (parser !== undefined) {
          parser.pause();
          if (parser.state() === 'paused') finish();
        }
      }
    } catch (e) {
      finished = true;
      post({ type: 'failed', reason: `the split worker failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  });
}

/** Runs the worker on `data`, in file or stream mode. */
function run(data: SplitWorkerData): void {
  if (data.stream !== undefined) runStreamWorker({ ...data, stream: data.stream });
  else runSplitWorker(data);
}

if (!isMainThread && (workerData as Partial<SplitWorkerData> | null)?.kind === SPLIT_WORKER_KIND) {
  // In standby (split-worker-start.ts), the data comes as the first message, once the verification takes the worker.
  if ((workerData as { standby?: boolean }).standby) parentPort!.once('message', (m: { data: SplitWorkerData }) => run(m.data));
  else run(workerData as SplitWorkerData);
}
