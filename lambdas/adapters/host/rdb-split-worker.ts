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
 * Loaded as a module of its own (this file: the compiled one in dist/, the
 * TypeScript one through tsx under the tests), started by a one-line
 * `eval` worker that requires it: the parser is too large to ship as source
 * text, as the CRC-64 worker is.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { borrowCrc64InputArea } from '../../domain/rdb/codecs/crc64.js';
import {
  findSegmentStart,
  type RdbSegment,
  type ReadAt,
  readHeadContext,
  type SegmentContext,
  type SegmentParserOptions,
  segmentOf,
} from '../../domain/rdb/format/split.js';
import { tempKeyDigestSpill } from './key-digest-spill.js';

/** This module's file, for the worker to load. */
export const SPLIT_WORKER_FILE = __filename;

const KIND = 'redis-dr-rdb-split';

/** What the worker is started with. */
export interface SplitWorkerData {
  readonly kind: typeof KIND;
  readonly path: string;
  /** The file's size when measured (the search starts from `search.from`; the worker reads to the file's real end). */
  readonly size: number;
  readonly search: { readonly from: number; readonly tries?: number; readonly trialKeys?: number };
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
  | { readonly type: 'done'; readonly segment: RdbSegment; readonly shards: Uint32Array[] }
  | { readonly type: 'failed'; readonly reason: string };

/** The data a worker of this module is started with. */
export function splitWorkerData(data: Omit<SplitWorkerData, 'kind'>): SplitWorkerData {
  return { kind: KIND, ...data };
}

/**
 * The worker's bootstrap (an `eval` worker's source): loads this module,
 * through tsx when it is TypeScript (the tests), as an ES module from the
 * CLI's bundle; the module starts the work on load.
 */
export const SPLIT_WORKER_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const file = workerData.file;
if (file.endsWith('.ts')) { require('tsx/cjs/api').register(); require(file); }
else if (file.endsWith('.mjs')) import(require('node:url').pathToFileURL(file).href);
else require(file);
`;

function runSplitWorker(data: SplitWorkerData): void {
  const post = (m: SplitWorkerMessage, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(m, transfer);
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
    const options: SegmentParserOptions = {
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
    const context = readHeadContext(read, data.size, options);
    if (context === undefined) {
      post({ type: 'none', reason: 'the file head does not parse' });
      return;
    }
    const found = findSegmentStart(read, data.size, context, options, data.search);
    if (found === undefined) {
      post({ type: 'none', reason: `no top-level boundary found from byte ${data.search.from}` });
      return;
    }
    post({ type: 'start', from: found.from, context });
    const { parser } = found;
    // Into the CRC loop's own memory where it lends it: the parser's checksum reads the bytes in place.
    const chunkBytes = 1 << 20;
    const buffer = borrowCrc64InputArea(chunkBytes) ?? new Uint8Array(chunkBytes);
    for (let at = found.next; parser.state() !== 'failed'; ) {
      const got = readSync(file, buffer, 0, chunkBytes, at);
      if (got === 0) break;
      parser.push(buffer.subarray(0, got));
      at += got;
    }
    const segment = segmentOf(parser, found.from, context);
    if (typeof segment === 'string') {
      post({ type: 'failed', reason: segment });
      return;
    }
    const shards = Array.from({ length: 256 }, (_, s) => parser.keyDigests?.memoryRecords(s) ?? new Uint32Array(0));
    post({ type: 'done', segment, shards }, [...new Set(shards.map((s) => s.buffer as ArrayBuffer))]);
  } catch (e) {
    post({ type: 'failed', reason: `the split worker failed: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

if (!isMainThread && (workerData as Partial<SplitWorkerData> | null)?.kind === KIND) runSplitWorker(workerData as SplitWorkerData);
