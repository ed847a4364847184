import { availableParallelism } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import { readRanges } from '../../adapters/aws/s3/ranges.js';
import { TWO_THREADS_MIN_BYTES } from '../../adapters/host/crc64-thread.js';
import { SplitStreamWorker } from '../../adapters/host/rdb-split-stream.js';
import { isRdbEnvelope } from '../../adapters/storage/rdb-envelope.js';
import { KEY_DIGESTS_IN_MEMORY } from '../../domain/rdb/format/key-digests.js';
import { type RdbKeySink, RdbParser } from '../../domain/rdb/format/parser.js';
import { readHeadContext, type SegmentContext, segmentContext, takeSegment } from '../../domain/rdb/format/split.js';
import type { RdbCheckpoint } from '../../domain/rdb/report.js';
import type { HandedKeys } from '../../domain/serve/index-segment.js';
import type { IndexedVerification } from '../keys/rdb-index-pass.js';
import type { RdbVerifier } from '../../domain/rdb/verifier.js';

/**
 * One invocation of the DR verify job on two threads (the split
 * verification, domain/rdb/format/split.ts): this thread parses the object
 * from the invocation's start C, a worker (adapters/host/rdb-split-stream.ts)
 * from a top-level boundary X past the middle of what is left; both byte
 * streams are ranged GETs made here (readRanges, If-Match on the ETag), the
 * worker's handed over as they come. This thread stops at X and takes the
 * worker's part in: done at the object's end, or paused at a boundary Y once
 * the deadline passed, which leaves this parser paused at Y with the CRC-64
 * of [0, Y): its checkpoint is the one a single thread writes there, and the
 * next invocation resumes from it as from any. Everything else is one
 * thread's work: this thread did not reach X before the deadline (it pauses
 * on its own, the worker's part is dropped), the worker found no start,
 * failed, crashed, or its part cannot be merged (this thread reads on from X
 * alone). A split can only save time, never change a verdict. The key
 * index beside the copy (copy-key-index.ts) follows the same split: this
 * thread's parser has the index's sink (its keys placed
 * from this very parse), the worker's parser through its own (its keys
 * handed over with its part, used only once the part is taken).
 */

/**
 * One thread's speed assumed when placing X: the split puts before X at
 * most what one thread verifies in half the time left at this speed, so
 * this thread normally stops at X well before the deadline. Conservative:
 * the verifier parses about 250 MB/s on one core from a local file
 * (bench/README.md; a Lambda vCPU may be slower), and 50 MB/s is the slow
 * S3 rate MAX_VERIFY_INVOCATIONS is sized for. Too low only costs speed: the
 * worker's part then runs past the middle and pauses at the deadline.
 */
export const ONE_THREAD_BYTES_PER_SECOND = 50e6;

/** The head read to learn the file's context (version, magic, `ctime`) when the invocation starts at byte 0. */
const HEAD_BYTES = 64 << 10;

/** The parser options of a DR copy: ElastiCache exports always carry a CRC-64. */
const MAX_VALUE_BYTES = 512 << 20;

/** @internal The two-thread path's settings (the tests lower the threshold and watch the merge). */
export interface TwoThreadSettings {
  /** Bytes left from which two threads verify. @default TWO_THREADS_MIN_BYTES */
  readonly minBytes?: number;
  /** Cores this process may use. @default os.availableParallelism() */
  readonly cores?: number;
  /** Where the worker's search starts, when past the invocation's start (else the plan's X). */
  readonly at?: number;
  /** Offsets the worker tries, and keys a trial reads: see findSegmentStart. */
  readonly tries?: number;
  readonly trialKeys?: number;
  /** Bytes the worker holds for its search. @default 16 MiB */
  readonly holdBytes?: number;
  /** Wait for the worker's start before this thread reads (the tests' workers load TypeScript slowly). */
  readonly awaitStart?: boolean;
  /** Told once the worker started: the tests end it as a crash would. */
  readonly started?: (worker: SplitStreamWorker) => Promise<void> | void;
  /** Told whether the worker's part was taken (true) or why not, and where it started. */
  readonly observe?: (taken: true | string, from?: number) => void;
}

/** What one invocation reads and until when. */
export interface SplitReadInput {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly size: number;
  /** The invocation's start: 0, or the checkpoint's offset. */
  readonly start: number;
  readonly resumeFrom?: RdbCheckpoint;
  readonly now: () => number;
  readonly deadline: number;
  readonly reads?: { readonly partBytes?: number; readonly concurrency?: number };
}

/** The worker's part of a copy's key index, once this thread took its part of the verification. */
export interface SplitIndexPart {
  /** Its bytes [from, end). */
  readonly from: number;
  readonly end: number;
  /** Its keys' rows and names, moved from the worker (domain/serve/index-segment.ts's HandedKeys), or why the worker has none. */
  readonly keys: HandedKeys | string;
  /** The database at `from` (the part's keys before its first SELECTDB are in it). */
  readonly db: number;
  /** The file's CRC-64 trailer, when the part read to the end (null otherwise, or all zeros). */
  readonly trailer: Uint8Array | null;
}

/** The key index taken from the verification's own parse (copy-key-index.ts): this thread's bytes, and the worker's part's keys. */
export interface SplitKeyIndex {
  /** The verification of this thread's bytes, its keys placed by the index: `parser` is built around the index's sink. */
  verifying(parser: (sink: RdbKeySink) => RdbParser, resumeFrom?: RdbCheckpoint): IndexedVerification;
  /** This thread's bytes read at file offset `at` (bytes read again, after a part not taken, come again: skipped). */
  push(chunk: Uint8Array, at: number): void;
  /** The worker's part was taken into the verification: its keys stand for the bytes from `from` on. */
  takePart(part: SplitIndexPart): void;
  /** The copy's length, told before the first byte (the index's buffers sized by it). */
  expect?(size: number): void;
}

/** Where the worker starts looking, and the head it assumes, when this invocation splits. */
export interface SplitPlan {
  readonly at: number;
  readonly context: SegmentContext;
}

/**
 * Whether this invocation verifies on two threads, and where: at least
 * `minBytes` left, two cores, a checkpoint with no hash templates (the
 * worker knows none), a plain file (not the LZ4 envelope: read from its
 * head at byte 0), and an X this thread reaches in half the time left at
 * {@link ONE_THREAD_BYTES_PER_SECOND}. Reads the head (64 KiB) when starting
 * at byte 0.
 */
export async function planSplit(input: SplitReadInput, settings: TwoThreadSettings = {}): Promise<SplitPlan | undefined> {
  const { size, start, resumeFrom } = input;
  if (size - start < (settings.minBytes ?? TWO_THREADS_MIN_BYTES)) return undefined;
  if ((settings.cores ?? availableParallelism()) < 2) return undefined;
  if (resumeFrom?.hashTemplates !== undefined && resumeFrom.hashTemplates.length > 0) return undefined;
  const reach = Math.floor((ONE_THREAD_BYTES_PER_SECOND * Math.max(0, input.deadline - input.now())) / 2000);
  const at = settings.at !== undefined && settings.at > start ? settings.at : start + Math.min(Math.floor((size - start) / 2), reach);
  if (at <= start || at >= size) return undefined;
  let context: SegmentContext | undefined;
  if (resumeFrom !== undefined) context = segmentContext(new RdbParser(MAX_VALUE_BYTES, true, resumeFrom));
  else {
    const head = await readAll(input, 0, Math.min(size, HEAD_BYTES));
    if (isRdbEnvelope(head)) return undefined;
    context = readHeadContext((offset, length) => head.subarray(offset, offset + length), size, { maxValueBytes: MAX_VALUE_BYTES, requireChecksum: true });
  }
  return context && { at, context };
}

/**
 * Verifies the object from `input.start` on two threads as {@link planSplit}
 * planned: returns the parser, paused (a checkpoint), failed or at the end.
 * Throws what this thread's reads throw (ObjectChangedError among them);
 * the worker's reads failing only drop its part.
 */
export async function verifyRangesOnTwoThreads(
  input: SplitReadInput,
  plan: SplitPlan,
  settings: TwoThreadSettings = {},
  index?: SplitKeyIndex,
): Promise<Pick<RdbVerifier, 'checkpoint' | 'end'>> {
  // With the key index, this thread's parser has the index's sink: one parse, its keys placed.
  const indexed = index?.verifying((sink) => new RdbParser(MAX_VALUE_BYTES, true, input.resumeFrom, sink), input.resumeFrom);
  const main = indexed?.parser ?? new RdbParser(MAX_VALUE_BYTES, true, input.resumeFrom);
  const push = indexed ? indexed.push : (chunk: Uint8Array): void => main.push(chunk);
  const reads = {
    bucket: input.bucket,
    key: input.key,
    versionId: input.versionId,
    etag: input.etag,
    end: input.size,
    ...input.reads,
  };
  const pastDeadline = (): boolean => input.now() >= input.deadline;
  const worker = SplitStreamWorker.start({
    size: input.size,
    search: { from: plan.at, ...(settings.tries ? { tries: settings.tries } : {}), ...(settings.trialKeys ? { trialKeys: settings.trialKeys } : {}) },
    maxValueBytes: MAX_VALUE_BYTES,
    requireChecksum: true,
    keyDigestsInMemory: KEY_DIGESTS_IN_MEMORY,
    context: plan.context,
    ...(settings.holdBytes ? { holdBytes: settings.holdBytes } : {}),
    // The worker's parser places its part's keys as this thread's does its own (one parse each).
    ...(index ? { keyIndex: true } : {}),
  });
  let live = true;
  let from: number | undefined;
  let note: true | string = 'no start found before this thread reached the end';
  const drop = async (why: string): Promise<void> => {
    if (!live) return;
    live = false;
    note = why;
    await worker.close();
  };
  void worker.started.then((f) => {
    if (f === undefined || !live) return;
    from = f;
    main.stopAtBoundary(f);
  });
  // The worker's bytes, read here: a failed read only ends its part (this thread reads the same bytes itself then).
  const pump = (async () => {
    try {
      for await (const chunk of readRanges(input.s3, { ...reads, start: plan.at })) {
        if (!live || worker.finished) break;
        await worker.feed(chunk);
        if (pastDeadline()) worker.pause();
      }
    } catch {
      // Told through the worker's outcome: its part did not reach the end.
    } finally {
      worker.end();
    }
  })();
  try {
    if (settings.awaitStart) await worker.started;
    await settings.started?.(worker);
    let at = input.start;
    for (;;) {
      let offset = at;
      for await (const chunk of readRanges(input.s3, { ...reads, start: at })) {
        index?.push(chunk, offset);
        offset += chunk.length;
        push(chunk);
        // Past the deadline before X: pause at the next boundary (a pause asked only after a push: every invocation moves on).
        if (main.state() === 'reading' && pastDeadline()) main.pause();
        if (live && main.stopMissed) await drop('this thread passed the start without a boundary there');
        if (main.state() !== 'reading') break;
      }
      if (!(live && main.state() === 'paused' && main.pausedAt === from)) break;
      const result = await worker.outcome;
      const db = main.db; // the database at X, before the merge moves the parser on
      const taken = takeSegment(main, result, (s) => (result.type === 'done' ? [result.shards[s]!] : []));
      if (taken === true) {
        note = true;
        if (result.type === 'done')
          index?.takePart({
            from: result.segment.from,
            end: result.segment.total,
            keys: result.keyIndex ?? 'it was not asked for one',
            db,
            trailer: result.segment.trailer,
          });
        break;
      }
      await drop(taken);
      // Not taken: paused at X this thread holds a checkpoint as good as any; else it reads the worker's part itself.
      if (pastDeadline()) break;
      at = main.pausedAt;
      if (indexed) indexed.continueFromPause();
      else main.continueFromPause();
    }
    if (note !== true && live && main.state() === 'paused' && main.pausedAt !== from) note = 'this thread paused before the start (the deadline)';
    settings.observe?.(note, from);
    return indexed ? { checkpoint: () => main.checkpoint(), end: indexed.end } : main;
  } finally {
    live = false;
    await worker.close();
    await pump;
  }
}

/** The object's bytes [from, to), read whole. */
async function readAll(input: SplitReadInput, from: number, to: number): Promise<Uint8Array> {
  const out = new Uint8Array(to - from);
  let at = 0;
  for await (const chunk of readRanges(input.s3, {
    bucket: input.bucket,
    key: input.key,
    versionId: input.versionId,
    etag: input.etag,
    start: from,
    end: to,
  })) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
