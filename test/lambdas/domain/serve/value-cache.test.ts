import { describe, expect, it } from 'vitest';
import { dumpPayload } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { execute } from '../../../../lambdas/domain/serve/commands.js';
import { MEMO_BYTES_PER_MEMBER, type ServeContext, type Session, ValueCache } from '../../../../lambdas/domain/serve/context.js';
import { type IndexedKey, KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';

/** A string's RDB encoding (a 6-bit length, then the bytes). */
const rdbString = (s: string): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);

/** A point of two strings whose payloads are read at once (as from a local file) or through a promise (as from S3), counting reads. */
function point(atOnce: boolean, cache: ValueCache) {
  const values = new Map<number, string>([
    [100, 'small'],
    [200, 'x'.repeat(60)],
  ]);
  const b = new KeyIndexBuilder();
  b.add({ db: 0, name: Buffer.from('a'), type: 0, valueAt: 100, valueEnd: 106, expireAtMs: null });
  b.add({ db: 0, name: Buffer.from('b'), type: 0, valueAt: 200, valueEnd: 261, expireAtMs: null });
  const reads: number[] = [];
  const read = (key: IndexedKey): Buffer => {
    reads.push(key.valueAt);
    const p = dumpPayload(0, rdbString(values.get(key.valueAt)!), 10);
    return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  };
  const ctx: ServeContext = {
    index: b.finish(10),
    payload: (key) => (atOnce ? read(key) : Promise.resolve(read(key))),
    now: () => 0,
    port: 0,
    databases: 16,
    cache,
    about: { location: 'test', redisVersion: '7.0.0', startedAtMs: 0 },
  };
  const session: Session = { id: 1, db: 0, proto: 2, name: null, authenticated: true, closing: false };
  return { ctx, session, reads };
}

const GET = (key: string): Buffer[] => [Buffer.from('GET'), Buffer.from(key)];

describe('serve: the GET path', () => {
  it('answers GET at once, without a promise, when the value is read at once (a local file)', () => {
    const { ctx, session } = point(true, new ValueCache());
    const reply = execute(ctx, session, GET('a'));
    expect(reply).not.toBeInstanceOf(Promise);
    expect(reply).toEqual({ t: 'bulk', b: Buffer.from('small') });
    expect(execute(ctx, session, GET('missing'))).toEqual({ t: 'null' });
  });

  it('answers through a promise when the read is one (S3), with the same reply', async () => {
    const { ctx, session } = point(false, new ValueCache());
    const reply = execute(ctx, session, GET('a'));
    expect(reply).toBeInstanceOf(Promise);
    expect(await reply).toEqual({ t: 'bulk', b: Buffer.from('small') });
  });

  it('answers an error reply, not a throw, when the value cannot be read at once', () => {
    const { ctx, session } = point(true, new ValueCache());
    const broken: ServeContext = {
      ...ctx,
      payload: () => {
        throw new Error('file gone');
      },
    };
    expect(execute(broken, session, GET('a'))).toEqual({ t: 'error', s: 'ERR redis-dr serve could not answer GET: file gone' });
  });
});

describe('ValueCache', () => {
  it('keeps no value under minBytes: each GET reads it again, and no decoded value stays to be copied by the GC', () => {
    const cache = new ValueCache(64 * 1024 * 1024, 64);
    const { ctx, session, reads } = point(true, cache);
    for (let i = 0; i < 3; i++) execute(ctx, session, GET('a'));
    expect(reads).toEqual([100, 100, 100]);
    expect(cache.size).toBe(0);
    // A value of at least minBytes (a 61-byte string: a 72-byte payload) is kept: read once.
    for (let i = 0; i < 3; i++) execute(ctx, session, GET('b'));
    expect(reads.filter((at) => at === 200)).toEqual([200]);
    expect(cache.size).toBe(1);
  });

  it('keeps every value without minBytes (S3: each read is a round trip)', async () => {
    const cache = new ValueCache();
    const { ctx, session, reads } = point(false, cache);
    for (let i = 0; i < 3; i++) await execute(ctx, session, GET('a'));
    expect(reads).toEqual([100]);
  });

  it('holds a value read twice at once (two requests before either read came back) once, and counts it once', async () => {
    const at = (valueAt: number): IndexedKey => ({ db: 0, name: Buffer.from(`k${valueAt}`), type: 0, valueAt, valueEnd: valueAt + 61, expireAtMs: null });
    const p = dumpPayload(0, rdbString('x'.repeat(60)), 10);
    const payload = () => Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    // Room for three 72-byte payloads.
    const cache = new ValueCache(3 * 72);
    const [one, two] = await Promise.all([cache.get(at(100), async () => payload()), cache.get(at(100), async () => payload())]);
    expect(two).toBe(one);
    cache.get(at(200), payload);
    cache.get(at(300), payload);
    // Counted twice, the budget had room for two: the value at 100 was let go for the one at 300.
    expect(cache.size).toBe(3);
  });
});

describe("ValueCache.memo: a held value's lookup maps, counted in the budget", () => {
  /** A 72-byte payload (a 61-byte string) at `at`, read into `cache`. */
  const read = (cache: ValueCache, at: number) => {
    const key: IndexedKey = { db: 0, name: Buffer.from(`k${at}`), type: 0, valueAt: at, valueEnd: at + 61, expireAtMs: null };
    const p = dumpPayload(0, rdbString('x'.repeat(60)), 10);
    return cache.get(key, () => Buffer.from(p.buffer, p.byteOffset, p.byteLength)) as Exclude<ReturnType<ValueCache['get']>, Promise<unknown>>;
  };

  it('is made once and kept with a held value; none for a value not held (it would serve one request)', () => {
    const cache = new ValueCache(1024 * 1024, 64);
    const v = read(cache, 100);
    let made = 0;
    const make = () => ({ made: ++made });
    const m = cache.memo(v, 'places', 10, make);
    expect(m).toEqual({ made: 1 });
    expect(cache.memo(v, 'places', 10, make)).toBe(m);
    expect(cache.memo(v, 'ranks', 10, make)).toEqual({ made: 2 });
    // Negative: a value the cache does not hold (under minBytes here) gets none, and nothing is made.
    const small = new ValueCache(1024 * 1024, 1000);
    expect(small.memo(read(small, 100), 'places', 10, make)).toBeUndefined();
    expect(made).toBe(2);
  });

  it('counts its cost: older values go to make room; a memo that cannot fit with its value is not made', () => {
    const members = 10;
    // Per member, and the members' text (at most the payload's 72 bytes).
    const cost = members * MEMO_BYTES_PER_MEMBER + 72;
    // Room for one value with two memos, or two values with one.
    const cache = new ValueCache(72 + 2 * cost + 36);
    read(cache, 100);
    const newer = read(cache, 200);
    expect(cache.size).toBe(2);
    expect(cache.memo(newer, 'places', members, () => 'memo')).toBe('memo');
    expect(cache.size).toBe(2);
    expect(cache.memo(newer, 'ranks', members, () => 'second')).toBe('second');
    // The older value let go for the second memo; the newer kept with both.
    expect(cache.size).toBe(1);
    expect(cache.memo(newer, 'places', members, () => 'again')).toBe('memo');
    // Too big for the budget with its value: not made (the caller walks the value), the value still held.
    expect(cache.memo(newer, 'big', 10 * members, () => 'never')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('goes with its value: a value let go has no memo left', () => {
    const cache = new ValueCache(2 * 72);
    const first = read(cache, 100);
    expect(cache.memo(first, 'places', 0, () => 'memo')).toBe('memo');
    read(cache, 200);
    read(cache, 300);
    expect(cache.size).toBe(2);
    expect(cache.memo(first, 'places', 0, () => 'made again')).toBeUndefined();
  });
});
