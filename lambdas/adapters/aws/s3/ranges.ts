import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { setMaxListeners } from 'node:events';
import type { CallWrapper } from '../elasticache.js';
import { describeError, errorName, httpStatus, isThrottling } from '../errors.js';

/**
 * One S3 object read by parallel ranged GETs and yielded in order, for the
 * RDB verifier (CLI `verify-rdb s3://…` and the verify-rdb Lambda).
 *
 * Why: a single GET stream of S3 runs at tens of MB/s, and DR copies of
 * ElastiCache shards reach hundreds of GB. S3's own guidance is byte-range
 * fetches on several connections; the verifier is a streaming parser and
 * needs the bytes in order, with bounded memory.
 *
 * Why hand-written: no maintained npm package does ordered, parallel ranged
 * GETs as a stream on the v3 SDK. `@aws-sdk/lib-storage` uploads only;
 * `s3-readstream` (v3) fetches one range after another (no parallelism, no
 * If-Match, no retry of a broken body); `s3-download-stream` and the
 * `s3`/`s3-client` family are built on the v2 SDK and unmaintained. What is
 * needed is about a hundred lines: a sliding window of parts over
 * AbortController.
 *
 * How: the object is cut into parts of `partBytes`. A window of at most
 * `concurrency` consecutive parts is in flight or buffered; the first part
 * of the window (the head) is yielded chunk by chunk as its bytes arrive,
 * the later ones buffer until their turn. When the head has been yielded the
 * window slides by one part and the next GET starts. So no more than
 * `concurrency` GETs run at once and no more than `concurrency` parts
 * (`concurrency × partBytes` bytes) are held.
 */

const direct: CallWrapper = (call) => call();

const MiB = 1024 * 1024;
const DEFAULT_PART_BYTES = 8 * MiB;
const DEFAULT_CONCURRENCY = 8;
const DEFAULT_ATTEMPTS = 3;
/** First wait before a part is asked again (doubles per attempt, at most 2 s). */
const RETRY_DELAY_MS = 100;

/** What a ranged read needs to know of the object (from HeadObject). */
export interface ObjectIdentity {
  readonly size: number;
  readonly etag?: string;
  readonly versionId?: string;
  /** When this version was written (a replica: when it landed). */
  readonly lastModified?: Date;
  /** Its user metadata (`x-amz-meta-…`, names lower-cased without the prefix). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** HeadObject → size, ETag, version id (VersionId passed when given), Last-Modified, user metadata. */
export async function headObject(client: S3Client, bucket: string, key: string, versionId?: string, wrap: CallWrapper = direct): Promise<ObjectIdentity> {
  const out = await wrap(() => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId })));
  if (out.ContentLength === undefined) throw new Error(`s3://${bucket}/${key}: HeadObject answered without a Content-Length`);
  return {
    size: out.ContentLength,
    etag: out.ETag,
    versionId: out.VersionId,
    ...(out.LastModified ? { lastModified: out.LastModified } : {}),
    ...(out.Metadata ? { metadata: out.Metadata } : {}),
  };
}

export interface RangedReadOptions {
  readonly bucket: string;
  readonly key: string;
  /**
   * Pins one version. Reading a version needs s3:GetObjectVersion; to read
   * the current version with s3:GetObject alone, leave it out and pass `etag`.
   */
  readonly versionId?: string;
  /** Sent as If-Match on every part: an object replaced meanwhile fails with ObjectChangedError instead of mixing two versions' bytes. */
  readonly etag?: string;
  /** First byte to read (a resume offset). @default 0 */
  readonly start?: number;
  /** End of the read, exclusive: the object's size. */
  readonly end: number;
  /** Bytes per ranged GET. @default 8 MiB */
  readonly partBytes?: number;
  /** Ranged GETs in flight at once; 1 = a single sequential stream of parts. @default 8 */
  readonly concurrency?: number;
  /** Attempts per part when its request or body stream fails with a transient error. @default 3 */
  readonly attempts?: number;
  readonly wrap?: CallWrapper;
}

/** The object changed between the HeadObject and a ranged GET (S3 answered 412 to If-Match). */
export class ObjectChangedError extends Error {
  override readonly name = 'ObjectChangedError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly etag: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(`s3://${bucket}/${key} changed while it was read: it no longer has ETag ${etag ?? '(none given)'} (If-Match failed); read it again`, options);
  }
}

/** An answer that is not the bytes asked for: not retried (asking again gets the same answer). */
class WrongPartError extends Error {
  override readonly name = 'WrongPartError';
}

/** A body that ended before the bytes its Content-Range announced: retried (a cut connection). */
class ShortBodyError extends Error {
  override readonly name = 'ShortBodyError';
}

/** One ranged GET's share of the read: bytes [first, last], inclusive as in a Range header. */
interface Part {
  readonly first: number;
  readonly last: number;
  /** Received and not yet yielded. */
  chunks: Uint8Array[];
  /** Bytes received so far, over all attempts (a retry asks for the rest only). */
  received: number;
  done: boolean;
  /** Settles when the part is done, failed or stopped; never rejects. */
  task: Promise<void>;
}

type Body = AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => unknown };

/**
 * The object's bytes [start, end) in order, as chunks, read by up to `concurrency` ranged GETs at once.
 * Memory: at most `concurrency` parts are held (buffered parts waiting for their turn + the part being yielded).
 * Stopping early (break / return() on the iterator) aborts the requests in flight (AbortController) and leaves nothing running.
 * Throws ObjectChangedError on 412 PreconditionFailed (If-Match), and the last error after `attempts` for a failing part (naming the range).
 */
export async function* readRanges(client: S3Client, options: RangedReadOptions): AsyncGenerator<Uint8Array> {
  const { bucket, key, versionId, etag } = options;
  const start = options.start ?? 0;
  const { end } = options;
  const partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const wrap = options.wrap ?? direct;
  wholeNumber('start', start, 0);
  wholeNumber('end', end, start);
  wholeNumber('partBytes', partBytes, 1);
  wholeNumber('concurrency', concurrency, 1);
  wholeNumber('attempts', attempts, 1);
  if (start === end) return;

  const controller = new AbortController();
  const { signal } = controller;
  // Each request in flight listens on the signal (ours and the SDK's HTTP handler): not a leak.
  setMaxListeners(4 * concurrency + 16, signal);
  const where = `s3://${bucket}/${key}`;

  // The consumer waits on one promise that any part's progress resolves.
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
    notify();
  };

  const fetchPart = async (part: Part): Promise<void> => {
    const length = part.last - part.first + 1;
    for (let attempt = 1; ; attempt++) {
      const from = part.first + part.received;
      let body: Body | undefined;
      const onAbort = (): void => void body?.destroy?.(abortError(signal));
      try {
        const sent = wrap(() =>
          client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, IfMatch: etag, Range: `bytes=${from}-${part.last}` }), {
            abortSignal: signal,
          }),
        );
        // A client that answers after the abort anyway: its body is closed, not left holding a socket.
        sent.then(
          (out) => signal.aborted && discard(out.Body as Body | undefined),
          () => undefined,
        );
        const out = await untilAborted(sent, signal);
        body = out.Body as Body | undefined;
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) onAbort(); // aborted between the answer and here: the listener would never fire
        checkAnswer(out, from, part.last);
        if (!body) throw new ShortBodyError('the answer has no body');
        for await (const chunk of body) {
          if (chunk.byteLength === 0) continue;
          if (part.received + chunk.byteLength > length)
            throw new WrongPartError(`the body is longer than the ${length - (from - part.first)} bytes its Content-Range announced`);
          part.received += chunk.byteLength;
          part.chunks.push(chunk);
          notify();
        }
        if (part.received < length) throw new ShortBodyError(`the body ended after ${part.received - (from - part.first)} of ${part.last - from + 1} bytes`);
        part.done = true;
        notify();
        return;
      } catch (err) {
        discard(body);
        if (signal.aborted) return; // stopped by the consumer: nothing to report
        if (errorName(err) === 'PreconditionFailed' || httpStatus(err) === 412) return fail(new ObjectChangedError(bucket, key, etag, { cause: err }));
        if (!isTransient(err) || attempt >= attempts) {
          const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
          return fail(new Error(`reading ${where} bytes ${part.first}-${part.last} failed${tries}: ${describeError(err)}`, { cause: err }));
        }
        await sleep(Math.min(2_000, RETRY_DELAY_MS * 2 ** (attempt - 1)), signal);
        if (signal.aborted) return;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
  };

  const window: Part[] = [];
  let nextFirst = start;
  const fill = (): void => {
    while (window.length < concurrency && nextFirst < end) {
      const part: Part = { first: nextFirst, last: Math.min(end, nextFirst + partBytes) - 1, chunks: [], received: 0, done: false, task: Promise.resolve() };
      part.task = fetchPart(part);
      window.push(part);
      nextFirst = part.last + 1;
    }
  };

  try {
    fill();
    while (window.length > 0) {
      if (failure) throw failure.error;
      const head = window[0]!;
      if (head.chunks.length > 0) {
        const ready = head.chunks;
        head.chunks = [];
        for (const chunk of ready) yield chunk;
      } else if (head.done) {
        window.shift();
        fill();
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    controller.abort();
    await Promise.all(window.map((p) => p.task));
  }
}

function wholeNumber(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`readRanges: ${name} must be a whole number >= ${min}, got ${value}`);
}

/** The Content-Range (and Content-Length) must be exactly the bytes asked for: a shorter answer is an error, never accepted. */
function checkAnswer(out: { ContentRange?: string; ContentLength?: number }, from: number, last: number): void {
  const asked = `${from}-${last}`;
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(out.ContentRange ?? '');
  if (!m) {
    throw new WrongPartError(
      `asked for bytes ${asked}, got ${out.ContentRange ? `Content-Range ${out.ContentRange}` : 'no Content-Range (the endpoint ignored the Range header)'}`,
    );
  }
  const [first, got] = [Number(m[1]), Number(m[2])];
  if (first !== from || got !== last) {
    throw new WrongPartError(`asked for bytes ${asked}, got bytes ${first}-${got} of ${m[3]}${got < last ? ': the object is shorter than the read' : ''}`);
  }
  if (out.ContentLength !== undefined && out.ContentLength !== last - from + 1) {
    throw new WrongPartError(`asked for bytes ${asked} (${last - from + 1} bytes), got Content-Length ${out.ContentLength}`);
  }
}

/**
 * Worth asking again: an HTTP 5xx, 408 or throttling answer, and any failure
 * without an HTTP answer (a reset connection, a timeout, a body cut short).
 * Any other 4xx (no such key, access denied, invalid range) and a wrong part
 * would be answered the same way again.
 */
function isTransient(err: unknown): boolean {
  if (err instanceof WrongPartError) return false;
  if (errorName(err) === 'CredentialsProviderError') return false;
  if (isThrottling(err)) return true;
  const status = httpStatus(err);
  return status === undefined || status >= 500 || status === 408;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('the read was stopped'), { name: 'AbortError' });
}

/** `promise`, or a rejection as soon as `signal` aborts (whichever comes first). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Closes a body that will not be read to its end (frees its connection). */
function discard(body: Body | undefined): void {
  try {
    body?.destroy?.();
  } catch {
    // already closed
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
