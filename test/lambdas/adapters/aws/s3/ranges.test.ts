import { GetObjectCommand, HeadObjectCommand, S3Client, type GetObjectCommandInput, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { headObject, ObjectChangedError, readRanges, type RangedReadOptions } from '../../../../../lambdas/adapters/aws/s3/ranges.js';
import { awsError } from '../../../../support/fakes.js';
import { mulberry32 } from '../../../../support/prng.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
const ETAG = '"0123456789abcdef0123456789abcdef"';

/** Seeded bytes, so that a part out of place or a byte twice shows. */
function bytes(size: number, seed = 7): Buffer {
  const random = mulberry32(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** How one answer's body streams. */
interface BodyPlan {
  /** Bytes per chunk. @default 17 */
  readonly chunk?: number;
  /** Wait before each chunk (a slow connection). */
  readonly delayMs?: number;
  /** The stream fails (ECONNRESET) once this many bytes were sent. */
  readonly failAfter?: number;
  /** The stream sends this many bytes and then nothing, ever (until destroyed). */
  readonly stallAfter?: number;
  /** The stream ends cleanly after this many bytes (fewer than announced). */
  readonly endAfter?: number;
}

/** A streaming body as the SDK returns it (a Node Readable with the SDK's mixin). */
function streamBody(data: Buffer, plan: BodyPlan, onClose: () => void): GetObjectCommandOutput['Body'] {
  const chunk = plan.chunk ?? 17;
  let at = 0;
  let timer: NodeJS.Timeout | undefined;
  const stream = new Readable({
    read() {
      const step = (): void => {
        timer = undefined;
        if (plan.failAfter !== undefined && at >= plan.failAfter) {
          this.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
          return;
        }
        if (plan.stallAfter !== undefined && at >= plan.stallAfter) return;
        if (at >= Math.min(data.length, plan.endAfter ?? Infinity)) {
          this.push(null);
          return;
        }
        const stop = Math.min(data.length, at + chunk, plan.failAfter ?? Infinity, plan.stallAfter ?? Infinity, plan.endAfter ?? Infinity);
        const next = data.subarray(at, stop);
        at = stop;
        this.push(next);
      };
      if (plan.delayMs) timer = setTimeout(step, plan.delayMs);
      else step();
    },
    destroy(err, callback) {
      if (timer) clearTimeout(timer);
      callback(err);
    },
  });
  stream.once('close', onClose);
  return sdkStreamMixin(stream) as GetObjectCommandOutput['Body'];
}

/** What the fake S3 saw. */
interface Served {
  readonly gets: GetObjectCommandInput[];
  readonly signals: (AbortSignal | undefined)[];
  /** Answers whose body is open now, and the most at once. */
  inFlight: number;
  maxInFlight: number;
  closed: number;
}

interface ServeOptions {
  readonly etag?: string;
  /** The body of the n-th GET (0-based) asking for [first, last]. */
  readonly plan?: (first: number, last: number, nth: number) => BodyPlan;
  /** Replaces the answer of the n-th GET: an error to throw, or headers to change. */
  readonly answer?: (input: GetObjectCommandInput, nth: number) => Error | Partial<GetObjectCommandOutput> | undefined;
  /** The request itself never answers (the SDK's rejects when its signal aborts). */
  readonly hang?: (nth: number) => 'honour-abort' | 'ignore-abort' | undefined;
}

/** A GetObject that answers byte ranges of `data` as S3 does (206 + Content-Range; a range past the end is cut at the end). */
function serve(data: Buffer, options: ServeOptions = {}): Served {
  const served: Served = { gets: [], signals: [], inFlight: 0, maxInFlight: 0, closed: 0 };
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    // The send's second argument (options with abortSignal), read while the stub is still being invoked.
    const signal = ((s3.send.lastCall.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    const nth = served.gets.length;
    served.gets.push(input);
    served.signals.push(signal);
    const hang = options.hang?.(nth);
    if (hang) {
      return new Promise((_resolve, reject) => {
        if (hang === 'honour-abort') signal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
      });
    }
    const etag = options.etag ?? ETAG;
    if (input.IfMatch !== undefined && input.IfMatch !== etag)
      throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
    const m = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    if (!m) throw new Error(`test S3: unexpected Range ${input.Range}`);
    const first = Number(m[1]);
    if (first >= data.length) throw awsError('InvalidRange', 'The requested range is not satisfiable', 416);
    const last = Math.min(Number(m[2]), data.length - 1);
    const custom = options.answer?.(input, nth);
    if (custom instanceof Error) throw custom;
    served.inFlight++;
    served.maxInFlight = Math.max(served.maxInFlight, served.inFlight);
    const body = streamBody(data.subarray(first, last + 1), options.plan?.(first, last, nth) ?? {}, () => {
      served.inFlight--;
      served.closed++;
    });
    return Promise.resolve({ Body: body, ContentRange: `bytes ${first}-${last}/${data.length}`, ContentLength: last - first + 1, ETag: etag, ...custom });
  });
  return served;
}

/** Reads the whole generator; returns the bytes and the chunks' count. */
async function collect(source: AsyncIterable<Uint8Array>, each?: (chunk: Uint8Array, before: number) => void | Promise<void>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for await (const chunk of source) {
    await each?.(chunk, at);
    parts.push(chunk);
    at += chunk.byteLength;
  }
  return Buffer.concat(parts);
}

/** The Range headers a read of [start, end) in parts of `partBytes` must send, in order. */
function expectedRanges(start: number, end: number, partBytes: number): string[] {
  const ranges: string[] = [];
  for (let first = start; first < end; first += partBytes) ranges.push(`bytes=${first}-${Math.min(end, first + partBytes) - 1}`);
  return ranges;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeEach(() => {
  s3.reset();
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('headObject', () => {
  it('returns the size, ETag and version id, and passes the VersionId through the wrapper', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 123_456_789_012, ETag: ETAG, VersionId: 'v7' });
    let wrapped = 0;
    const identity = await headObject(client, 'copies', 'rdr-a.rdb', 'v7', (call) => (wrapped++, call()));
    expect(identity).toEqual({ size: 123_456_789_012, etag: ETAG, versionId: 'v7' });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: 'copies', Key: 'rdr-a.rdb', VersionId: 'v7' });
    expect(wrapped).toBe(1);
  });

  it('refuses an answer without a size', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: ETAG });
    await expect(headObject(client, 'copies', 'k')).rejects.toThrow('s3://copies/k: HeadObject answered without a Content-Length');
  });
});

describe('readRanges', () => {
  const base = { bucket: 'copies', key: 'rdr-a-20261121-0200-0001.rdb', etag: ETAG, versionId: 'v3' } as const;

  it.each([
    // size, start, partBytes, concurrency
    [1000, 0, 100, 1, 'a multiple of partBytes, one stream'],
    [1001, 0, 100, 8, 'one byte past a multiple'],
    [999, 0, 100, 8, 'one byte short of a multiple'],
    [1000, 250, 100, 8, 'a resume offset'],
    [1000, 999, 100, 8, 'the last byte only'],
    [50, 0, 100, 8, 'one part smaller than partBytes'],
    [100, 0, 100, 8, 'exactly one part'],
    [10_007, 0, 64, 8, 'many parts (157), eight at once'],
    [10_007, 13, 64, 1, 'many parts, one stream'],
    [10_007, 0, 64, 64, 'many parts, 64 at once'],
  ])(
    'size %i from %i in parts of %i, concurrency %i (%s): exact bytes, exact Range headers, VersionId and If-Match on every part',
    async (size, start, partBytes, concurrency) => {
      const data = bytes(size);
      const served = serve(data, { plan: () => ({ chunk: 17, delayMs: 1 }) });
      const out = await collect(readRanges(client, { ...base, start, end: size, partBytes, concurrency }));
      expect(out.equals(data.subarray(start))).toBe(true);
      expect(served.gets.map((g) => g.Range)).toEqual(expectedRanges(start, size, partBytes));
      for (const get of served.gets) expect(get).toEqual({ Bucket: base.bucket, Key: base.key, VersionId: 'v3', IfMatch: ETAG, Range: get.Range });
      expect(served.maxInFlight).toBeLessThanOrEqual(concurrency);
      expect(served.closed).toBe(served.gets.length);
    },
  );

  it('reads nothing and sends nothing when start == end', async () => {
    const served = serve(bytes(100));
    expect((await collect(readRanges(client, { ...base, start: 100, end: 100 }))).length).toBe(0);
    expect((await collect(readRanges(client, { ...base, end: 0 }))).length).toBe(0);
    expect(served.gets).toHaveLength(0);
  });

  it('defaults: 8 MiB parts, from byte 0, no VersionId or If-Match unless given', async () => {
    const size = 8 * 1024 * 1024 + 5;
    const data = bytes(size);
    const served = serve(data, { plan: () => ({ chunk: 1 << 20 }) });
    const out = await collect(readRanges(client, { bucket: 'b', key: 'k', end: size }));
    expect(out.equals(data)).toBe(true);
    expect(served.gets).toEqual([
      { Bucket: 'b', Key: 'k', VersionId: undefined, IfMatch: undefined, Range: 'bytes=0-8388607' },
      { Bucket: 'b', Key: 'k', VersionId: undefined, IfMatch: undefined, Range: 'bytes=8388608-8388612' },
    ]);
  });

  it.each([
    [{ start: -1, end: 10 }, /start must be a whole number >= 0, got -1/],
    [{ start: 11, end: 10 }, /end must be a whole number >= 11, got 10/],
    [{ end: 10, partBytes: 0 }, /partBytes must be a whole number >= 1, got 0/],
    [{ end: 10, concurrency: 0 }, /concurrency must be a whole number >= 1, got 0/],
    [{ end: 10, attempts: 1.5 }, /attempts must be a whole number >= 1, got 1.5/],
  ] as [Partial<RangedReadOptions> & { end: number }, RegExp][])('refuses %o', async (options, message) => {
    serve(bytes(10));
    await expect(collect(readRanges(client, { ...base, ...options }))).rejects.toThrow(message);
  });

  it.each([1, 2, 8])(
    'never has more than concurrency = %i GETs in flight, nor more than that many parts started ahead of the part being read',
    async (concurrency) => {
      const size = 64 * 40 + 3;
      const partBytes = 64;
      const data = bytes(size);
      const served = serve(data, { plan: (_f, _l, nth) => ({ chunk: 16, delayMs: nth % 3 }) });
      const out = await collect(readRanges(client, { ...base, end: size, partBytes, concurrency }), async (_chunk, before) => {
        // The consumer is slow: parts that arrive meanwhile wait in the window, which does not grow.
        expect(served.gets.length).toBeLessThanOrEqual(Math.floor(before / partBytes) + concurrency);
        if (before % 5 === 0) await new Promise((r) => setTimeout(r, 1));
      });
      expect(out.equals(data)).toBe(true);
      expect(served.maxInFlight).toBeLessThanOrEqual(concurrency);
      expect(served.maxInFlight).toBe(concurrency); // and the parallelism is used
    },
  );

  it('yields the first part as its bytes arrive, before that part has ended', async () => {
    const data = bytes(400);
    serve(data, { plan: (first) => (first === 0 ? { chunk: 10, stallAfter: 30 } : {}) });
    const reader = readRanges(client, { ...base, end: 400, partBytes: 100, concurrency: 4 });
    const firstChunk = await reader.next();
    expect(Buffer.from(firstChunk.value as Uint8Array).equals(data.subarray(0, 10))).toBe(true);
    await reader.return(undefined);
  });

  it('retries a body that breaks midway, asking for the rest of that part only, and the bytes are still exact', async () => {
    const data = bytes(1000);
    const tries = new Map<number, number>();
    const partOf = (range: string | undefined): number => Math.floor(Number(/^bytes=(\d+)/.exec(range ?? '')![1]) / 100);
    const served = serve(data, {
      // Part 2's first answer breaks after 40 bytes; part 4's first two break after 0 and 5 bytes.
      plan: (first) => {
        const part = Math.floor(first / 100);
        const n = tries.get(part) ?? 0;
        tries.set(part, n + 1);
        if (part === 2 && n === 0) return { failAfter: 40 };
        if (part === 4 && n === 0) return { failAfter: 0 };
        if (part === 4 && n === 1) return { failAfter: 5 };
        return {};
      },
    });
    const out = await collect(readRanges(client, { ...base, end: 1000, partBytes: 100, concurrency: 3 }));
    expect(out.equals(data)).toBe(true);
    const ranges = served.gets.map((g) => g.Range);
    expect(ranges.filter((r) => partOf(r) === 2)).toEqual(['bytes=200-299', 'bytes=240-299']);
    expect(ranges.filter((r) => partOf(r) === 4)).toEqual(['bytes=400-499', 'bytes=400-499', 'bytes=405-499']);
    expect(ranges).toHaveLength(10 + 3);
    expect(served.closed).toBe(13);
  });

  it('gives up on a part that always breaks after `attempts`, naming the range and keeping the cause', async () => {
    const data = bytes(1000);
    const served = serve(data, { plan: (first) => (first >= 300 && first < 400 ? { failAfter: 10 } : {}) });
    const error = await collect(readRanges(client, { ...base, end: 1000, partBytes: 100, concurrency: 4, attempts: 3 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('reading s3://copies/rdr-a-20261121-0200-0001.rdb bytes 300-399 failed after 3 attempts: Error: read ECONNRESET');
    expect(((error as Error).cause as { code?: string }).code).toBe('ECONNRESET');
    // 10 bytes arrive per try: the tries ask for 300-399, 310-399, 320-399.
    expect(served.gets.map((g) => g.Range).filter((r) => /^bytes=3\d\d-399$/.test(r!))).toEqual(['bytes=300-399', 'bytes=310-399', 'bytes=320-399']);
    expect(served.signals.every((s) => s?.aborted)).toBe(true);
    expect(served.inFlight).toBe(0);
  });

  it('retries a 5xx or throttled request, and not a 403', async () => {
    const data = bytes(300);
    let failures = 0;
    const served = serve(data, {
      answer: (input) => {
        if (input.Range !== 'bytes=100-199') return undefined;
        failures++;
        if (failures === 1) return awsError('InternalError', 'We encountered an internal error', 500);
        if (failures === 2) return awsError('SlowDown', 'Reduce your request rate', 503);
        return undefined;
      },
    });
    expect((await collect(readRanges(client, { ...base, end: 300, partBytes: 100, concurrency: 1 }))).equals(data)).toBe(true);
    expect(served.gets.map((g) => g.Range)).toEqual(['bytes=0-99', 'bytes=100-199', 'bytes=100-199', 'bytes=100-199', 'bytes=200-299']);

    s3.reset();
    const denied = serve(data, { answer: (input) => (input.Range === 'bytes=100-199' ? awsError('AccessDenied', 'Access Denied', 403) : undefined) });
    await expect(collect(readRanges(client, { ...base, end: 300, partBytes: 100, concurrency: 1 }))).rejects.toThrow(
      'reading s3://copies/rdr-a-20261121-0200-0001.rdb bytes 100-199 failed: AccessDenied: Access Denied',
    );
    expect(denied.gets.filter((g) => g.Range === 'bytes=100-199')).toHaveLength(1);
  });

  it('passes every GET through the wrapper (the caller’s throttling retry)', async () => {
    const data = bytes(500);
    serve(data);
    let wrapped = 0;
    await collect(readRanges(client, { ...base, end: 500, partBytes: 100, wrap: (call) => (wrapped++, call()) }));
    expect(wrapped).toBe(5);
  });

  it('throws ObjectChangedError on 412 (If-Match): the object was replaced after the HeadObject', async () => {
    const data = bytes(1000);
    const served = serve(data, { etag: '"replaced"', plan: () => ({ delayMs: 1 }) });
    const error = await collect(readRanges(client, { ...base, end: 1000, partBytes: 100 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectChangedError);
    const changed = error as ObjectChangedError;
    expect(changed.message).toBe(
      `s3://copies/rdr-a-20261121-0200-0001.rdb changed while it was read: it no longer has ETag ${ETAG} (If-Match failed); read it again`,
    );
    expect([changed.name, changed.bucket, changed.key, changed.etag]).toEqual(['ObjectChangedError', 'copies', 'rdr-a-20261121-0200-0001.rdb', ETAG]);
    expect((changed.cause as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(412);
    expect(served.gets.length).toBeLessThanOrEqual(8); // not retried, nothing new started
  });

  it('throws ObjectChangedError when a later part fails while the first is still being read', async () => {
    const data = bytes(1000);
    serve(data, {
      plan: (first) => (first === 0 ? { chunk: 10, delayMs: 5 } : {}),
      answer: (input) =>
        input.Range === 'bytes=300-399' ? awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412) : undefined,
    });
    let yielded = 0;
    await expect(collect(readRanges(client, { ...base, end: 1000, partBytes: 100, concurrency: 4 }), (c) => void (yielded += c.length))).rejects.toBeInstanceOf(
      ObjectChangedError,
    );
    expect(yielded).toBeLessThan(100); // failed fast, without waiting for the slow first part
  });

  it('breaking out of the loop aborts the GETs in flight, closes their bodies, and leaves no rejection behind', async () => {
    const data = bytes(2000);
    const served = serve(data, {
      plan: (first) => (first === 0 ? { chunk: 10 } : { chunk: 10, stallAfter: 20 }),
      hang: (nth) => (nth === 5 ? 'honour-abort' : nth === 6 ? 'ignore-abort' : undefined),
    });
    let seen = 0;
    for await (const chunk of readRanges(client, { ...base, end: 2000, partBytes: 100, concurrency: 8 })) {
      seen += chunk.length;
      if (seen >= 110) break; // part 0 and 10 bytes of part 1
    }
    expect(served.gets.length).toBe(9); // part 0 done, so part 8 started: 8 in flight when the loop stopped
    expect(served.signals.every((s) => s?.aborted)).toBe(true);
    expect(served.inFlight).toBe(0); // every body that was opened is closed
    await new Promise((r) => setTimeout(r, 20));
    expect(unhandled).toEqual([]);
  }, 10_000);

  describe('a short part is an error, never accepted', () => {
    it('an answer for fewer bytes than asked (the object is shorter than `end`): not retried', async () => {
      const data = bytes(250);
      const served = serve(data);
      await expect(collect(readRanges(client, { ...base, end: 300, partBytes: 100, concurrency: 1 }))).rejects.toThrow(
        'reading s3://copies/rdr-a-20261121-0200-0001.rdb bytes 200-299 failed: WrongPartError: asked for bytes 200-299, got bytes 200-249 of 250: the object is shorter than the read',
      );
      expect(served.gets.map((g) => g.Range)).toEqual(['bytes=0-99', 'bytes=100-199', 'bytes=200-299']);
    });

    it('a body that ends before the bytes its Content-Range announced: retried, then an error naming the range', async () => {
      const data = bytes(300);
      const served = serve(data, { plan: (first) => (first === 100 ? { endAfter: 60 } : first > 100 && first < 200 ? { endAfter: 0 } : {}) });
      await expect(collect(readRanges(client, { ...base, end: 300, partBytes: 100, concurrency: 1, attempts: 2 }))).rejects.toThrow(
        'reading s3://copies/rdr-a-20261121-0200-0001.rdb bytes 100-199 failed after 2 attempts: ShortBodyError: the body ended after 0 of 40 bytes',
      );
      expect(served.gets.map((g) => g.Range)).toEqual(['bytes=0-99', 'bytes=100-199', 'bytes=160-199']);
    });

    it('an answer without Content-Range (the Range header ignored) or with another Content-Length', async () => {
      const data = bytes(300);
      serve(data, { answer: (input) => (input.Range === 'bytes=0-99' ? { ContentRange: undefined, ContentLength: 300 } : undefined) });
      await expect(collect(readRanges(client, { ...base, end: 300, partBytes: 100 }))).rejects.toThrow(
        'bytes 0-99 failed: WrongPartError: asked for bytes 0-99, got no Content-Range (the endpoint ignored the Range header)',
      );
      s3.reset();
      serve(data, { answer: (input) => (input.Range === 'bytes=100-199' ? { ContentLength: 99 } : undefined) });
      await expect(collect(readRanges(client, { ...base, end: 300, partBytes: 100 }))).rejects.toThrow(
        'bytes 100-199 failed: WrongPartError: asked for bytes 100-199 (100 bytes), got Content-Length 99',
      );
    });

    it('a body longer than announced', async () => {
      const data = bytes(300);
      serve(data, {
        answer: (input) =>
          input.Range === 'bytes=0-99'
            ? { ContentRange: 'bytes 0-99/300', ContentLength: undefined, Body: streamBody(bytes(120), {}, () => undefined) }
            : undefined,
      });
      await expect(collect(readRanges(client, { ...base, end: 300, partBytes: 100 }))).rejects.toThrow(
        'bytes 0-99 failed: WrongPartError: the body is longer than the 100 bytes its Content-Range announced',
      );
    });
  });
});
