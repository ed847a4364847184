/**
 * The first thread's handle on a split worker in stream mode
 * (rdb-split-worker.ts): the caller reads the bytes (S3 ranged GETs on its
 * own thread, with their If-Match) and hands them over; the worker looks
 * for a top-level boundary in the first few MiB, parses and checksums from
 * there, and hands its segment back, done at the file's end or paused at a
 * boundary when told to pause. What is in flight is bounded: {@link
 * SplitStreamWorker.feed} waits while the worker has more than
 * `maxInFlightBytes` to get through.
 */
import type { SegmentContext } from '../../domain/rdb/format/split.js';
import { type SplitStreamInput, type SplitWorkerMessage, splitWorkerData } from './rdb-split-worker.js';
import { SPLIT_WORKER_BOOTSTRAP, SPLIT_WORKER_FILE } from './split-worker-start.js';
import { startWorker, type Worker } from './worker-thread.js';

/** Options of {@link SplitStreamWorker.start}. */
export interface SplitStreamOptions {
  /** The file's size. */
  readonly size: number;
  /** Where the bytes fed start, and how the start is looked for there (see findSegmentStart). */
  readonly search: { readonly from: number; readonly tries?: number; readonly trialKeys?: number };
  readonly maxValueBytes: number;
  readonly requireChecksum: boolean;
  /** The duplicate-key check's records in memory: the first parser's, so that both sample alike. */
  readonly keyDigestsInMemory: number;
  /** The file head's context (read from its first bytes, or a resumed verification's checkpoint). */
  readonly context: SegmentContext;
  /** Bytes held for the search. @default 16 MiB */
  readonly holdBytes?: number;
  /** Also index the segment's keys: its `done` outcome then carries them (`keyIndex`). @default false */
  readonly keyIndex?: boolean;
  /** Bytes fed and not yet taken by the worker before {@link SplitStreamWorker.feed} waits. @default 32 MiB */
  readonly maxInFlightBytes?: number;
  /** @internal The worker's file (the tests start a bundled one). @default SPLIT_WORKER_FILE */
  readonly file?: string;
}

/** How the worker's part ended: its segment (done or paused), or why there is none. */
export type SplitStreamOutcome = Extract<SplitWorkerMessage, { type: 'done' | 'failed' | 'none' }>;

/** A split worker fed by the caller. */
export class SplitStreamWorker {
  /** Where the worker's segment starts, once it found it; undefined when it found none or failed first. */
  readonly started: Promise<number | undefined>;
  /** The worker's outcome (never rejects: a crash is a `failed` outcome). */
  readonly outcome: Promise<SplitStreamOutcome>;
  private worker: Worker | undefined;
  private inFlight = 0;
  private wake: (() => void) | undefined;
  private over = false;
  private readonly maxInFlight: number;
  private readonly stopped: (m: SplitStreamOutcome) => void;

  private constructor(options: SplitStreamOptions) {
    if (!Number.isSafeInteger(options.search.from) || options.search.from < 0) {
      throw new RangeError(`the split search must start at a whole byte offset, got ${options.search.from}`);
    }
    this.maxInFlight = options.maxInFlightBytes ?? 32 << 20;
    const data = splitWorkerData({
      path: '',
      size: options.size,
      search: options.search,
      maxValueBytes: options.maxValueBytes,
      requireChecksum: options.requireChecksum,
      spillParent: undefined,
      keyDigestsInMemory: options.keyDigestsInMemory,
      stream: { holdBytes: options.holdBytes ?? 16 << 20, context: options.context, ...(options.keyIndex ? { keyIndex: true } : {}) },
    });
    const worker = startWorker(SPLIT_WORKER_BOOTSTRAP, { workerData: { ...data, file: options.file ?? SPLIT_WORKER_FILE } });
    this.worker = worker;
    let start!: (from: number | undefined) => void;
    this.started = new Promise((resolve) => (start = resolve));
    let settle!: (m: SplitStreamOutcome) => void;
    this.outcome = new Promise((resolve) => (settle = resolve));
    const ended = (m: SplitStreamOutcome): void => {
      this.over = true;
      start(undefined);
      settle(m);
      this.wakeUp();
    };
    this.stopped = ended;
    worker.on('message', (m: SplitWorkerMessage) => {
      if (m.type === 'consumed') {
        this.inFlight -= m.bytes;
        this.wakeUp();
      } else if (m.type === 'start') start(m.from);
      else if (m.type !== 'spill' && m.type !== 'checked') ended(m); // `checked` answers a file-mode hand-over only
    });
    worker.on('error', (err) => ended({ type: 'failed', reason: `the split worker failed: ${String(err)}` }));
    worker.on('exit', (code) => ended({ type: 'failed', reason: `the split worker exited (code ${code})` }));
  }

  /** Starts a worker (its module loads in the background: bytes fed meanwhile wait in its queue). */
  static start(options: SplitStreamOptions): SplitStreamWorker {
    return new SplitStreamWorker(options);
  }

  /** Whether the worker's outcome is known (it needs no more bytes). */
  get finished(): boolean {
    return this.over;
  }

  /**
   * Hands a copy of the next bytes over (the copy moves: the caller's
   * buffer may be an SDK stream's, shared with others), then waits while
   * the worker is more than the in-flight bound behind.
   */
  async feed(chunk: Uint8Array): Promise<void> {
    if (this.over || this.worker === undefined || chunk.length === 0) return;
    const bytes = new Uint8Array(chunk); // a copy: a Buffer's slice() would be a view of the same memory

    this.inFlight += bytes.length;
    this.send({ type: 'bytes', bytes }, [bytes.buffer]);
    while (this.inFlight > this.maxInFlight && !this.over) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** No more bytes will come. */
  end(): void {
    this.send({ type: 'end' });
  }

  /** Pause at the next top-level boundary (the deadline passed). */
  pause(): void {
    this.send({ type: 'pause' });
  }

  /** @internal Ends the thread as a crash would (its outcome is then `failed`, told by its exit): for the tests. */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Stops the worker (its outcome, if not known yet, is then `failed`). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w === undefined) return;
    w.removeAllListeners('exit');
    this.stopped({ type: 'failed', reason: 'the split worker was stopped' });
    await w.terminate();
  }

  private send(m: SplitStreamInput, transfer: ArrayBuffer[] = []): void {
    if (!this.over) this.worker?.postMessage(m, transfer);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
