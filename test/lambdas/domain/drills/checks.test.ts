import { describe, expect, it } from 'vitest';
import {
  checkCanary,
  checkExpectKeys,
  checkExpectValues,
  checkHistogram,
  checkKeyCount,
  checkSample,
  drillReport,
  formatHistogram,
  keyCountBounds,
  parseKeyspace,
  sampleAllocation,
  toleranceKeys,
  typeBucket,
  type ScanSummary,
} from '../../../../lambdas/domain/drills/checks.js';
import { ExactExpiries, formatExpiryHistogram, histogramOf } from '../../../../lambdas/domain/rdb/expiry-histogram.js';

const scan = (byType: Record<string, number>, extra: Partial<ScanSummary> = {}): ScanSummary => ({
  keys: Object.values(byType).reduce((a, n) => a + n, 0),
  byType,
  volatile: 0,
  vanished: 0,
  ttlProblems: 0,
  ...extra,
});

describe('typeBucket', () => {
  it.each([
    ['string', 'string'],
    ['stream', 'stream'],
    ['zset', 'zset'],
    ['array', 'array'], // Redis 8.8's sparse array: the RDB verifier counts it as array too, so the drill's histograms agree
    ['ReJSON-RL', 'module'],
    ['none', undefined],
  ])('%s → %s', (reply, bucket) => expect(typeBucket(reply)).toBe(bucket));
});

describe('parseKeyspace', () => {
  it('reads every database, sorted, and ignores other lines', () => {
    const info = '# Keyspace\r\ndb3:keys=1,expires=0,avg_ttl=0\r\ndb0:keys=12,expires=3,avg_ttl=1000\r\n';
    expect(parseKeyspace(info)).toEqual([
      { db: 0, keys: 12, expires: 3 },
      { db: 3, keys: 1, expires: 0 },
    ]);
  });
  it('is empty for an empty server', () => expect(parseKeyspace('# Keyspace\r\n')).toEqual([]));
});

describe('toleranceKeys', () => {
  it.each([
    [1000, 1, 10],
    [999, 1, 9],
    [1000, 0.3, 3],
    [1000, 0, 0],
    [0, 5, 0],
    [1_000_000, 100, 1_000_000],
  ])('%d keys at %d %% → %d', (keys, pct, tol) => expect(toleranceKeys(keys, pct)).toBe(tol));
});

describe('checkCanary', () => {
  it.each([
    [undefined, null, true, true],
    ['c-1', 'c-1', true, undefined],
    ['c-1', 'c-0', false, undefined],
    ['c-1', null, false, undefined],
  ])('recorded %s, found %s → ok %s', (expected, found, ok, skipped) => {
    const r = checkCanary(expected, found);
    expect(r).toMatchObject({ name: 'canary', ok });
    expect(r.skipped).toBe(skipped);
  });
  it('says the canary key is missing', () => expect(checkCanary('c-1', null).found).toBe('redis-dr:canary missing'));
  it('cuts long values', () => expect(checkCanary('x'.repeat(100), 'y').expected.length).toBeLessThanOrEqual(40));
});

/** The check time of these tests, and a window of 2 s before it (the scan began at `from`). */
const T = Date.parse('2026-11-23T10:04:05Z');
const W = { from: T - 2000, to: T };
const HOUR = 3_600_000;
/** A file written an hour before the check: 312 keys expire 10 minutes after it (gone by the check), 200 two hours after it (still there). */
const BASE = T - HOUR;
const fileExpiries = [...Array<number>(312).fill(BASE + 600_000), ...Array<number>(200).fill(BASE + 2 * HOUR)];
const histogram = formatExpiryHistogram(histogramOf(BASE, fileExpiries))!;
/** The same, plus 20 keys in the bucket the check falls in (2896 s..4096 s after the file): 10 expired at 3000 s, 10 not at 4000 s. */
const straddling = formatExpiryHistogram(
  histogramOf(BASE, [...fileExpiries, ...Array<number>(10).fill(BASE + 3_000_000), ...Array<number>(10).fill(BASE + 4_000_000)]),
)!;

describe('keyCountBounds and checkKeyCount', () => {
  it.each([
    // keys, surely gone, may have expired, pct, min, max
    [1000, 0, 0, 1, 990, 1010],
    [1000, 0, 0, 0, 1000, 1000],
    [1000, 100, 100, 0, 900, 900],
    [1000, 100, 100, 1, 890, 910],
    [1000, 90, 100, 0, 900, 910],
    [10, 0, 20, 0, 0, 10],
  ])('%d keys, %d gone, at most %d expired, %d %% → %d..%d', (keys, gone, atMost, pct, min, max) => {
    expect(keyCountBounds(keys, { gone, atMost }, pct)).toMatchObject({ min, max });
  });

  it.each<[string, Parameters<typeof checkKeyCount>[0], number, number, boolean]>([
    // The probe's count alone: nothing may be missing.
    ['count only, exact', { keys: 1000 }, 1000, 0, true],
    ['count only, within 1 %', { keys: 1000 }, 990, 1, true],
    ['count only, beyond 1 % short', { keys: 1000 }, 989, 1, false],
    ['count only, beyond 1 % over', { keys: 1000 }, 1011, 1, false],
    ['count only, one missing at 0 %', { keys: 1000 }, 999, 0, false],
    // Expiry histogram: exactly the 312 expired keys may be missing.
    ['histogram, exactly the expired keys missing', { keys: 5001, expires: 512, expiries: [histogram] }, 4689, 0, true],
    ['histogram, one more missing', { keys: 5001, expires: 512, expiries: [histogram] }, 4688, 0, false],
    ['histogram, an expired key still counted', { keys: 5001, expires: 512, expiries: [histogram] }, 4690, 0, false],
    ['histogram, 1 % missing at 0 %', { keys: 5001, expires: 512, expiries: [histogram] }, 4689 - 50, 0, false],
    ['histogram, 1 % missing at 1 %', { keys: 5001, expires: 512, expiries: [histogram] }, 4689 - 50, 1, true],
    // Two shards: their histograms add up.
    ['two shards', { keys: 10_002, expires: 1024, expiries: [histogram, histogram] }, 10_002 - 624, 0, true],
    ['two shards, one missing', { keys: 10_002, expires: 1024, expiries: [histogram, histogram] }, 10_002 - 625, 0, false],
    // The bucket the check falls in: its 20 keys may or may not have expired.
    ['straddling bucket, none of it expired', { keys: 5021, expires: 532, expiries: [straddling] }, 4709, 0, true],
    ['straddling bucket, all of it expired', { keys: 5021, expires: 532, expiries: [straddling] }, 4689, 0, true],
    ['straddling bucket, one more missing', { keys: 5021, expires: 532, expiries: [straddling] }, 4688, 0, false],
    // A summary from before histograms: every key with an expiry may be gone (and none surely is).
    ['no expiry times recorded', { keys: 1000, expires: 100 }, 900, 0, true],
    ['no expiry times recorded, one more', { keys: 1000, expires: 100 }, 899, 0, false],
    ['no expiry times recorded, over', { keys: 1000, expires: 100 }, 1001, 0, false],
    ['no key with an expiry', { keys: 1000, expires: 0 }, 999, 0, false],
  ])('%s: expected %o, found %d, %d %%', (_, expected, found, pct, ok) => {
    expect(checkKeyCount(expected, found, pct, W).ok).toBe(ok);
  });

  it.each<[string, number, number, boolean]>([
    // The straddling bucket's 20 keys may have expired: that allowance must not cover keys that never had a TTL.
    ['20 keys short, all of them with a TTL', 4709 - 20, 532 - 20 - 312, true],
    ['20 keys short, all of them without a TTL', 4709 - 20, 532 - 312, false],
    ['one key without a TTL missing, the rest present', 4709 - 1, 532 - 312, false],
  ])('keys without a TTL must all be there (a restore neither gains nor loses expiries): %s', (_, found, volatileFound, ok) => {
    const r = checkKeyCount({ keys: 5021, expires: 532, expiries: [straddling] }, found, 0, W, undefined, { keys: found, volatile: volatileFound });
    expect(r.ok).toBe(ok);
    if (!ok) expect(r.found).toContain('keys that never had a TTL are missing');
  });

  it('with no key count recorded, an empty restore fails (nothing says the point was empty); keys found skip the check', () => {
    expect(checkKeyCount({}, 0, 0, W)).toMatchObject({ ok: false, found: '0 keys', expected: expect.stringContaining('enable the probe') });
    expect(checkKeyCount({}, 12, 0, W)).toMatchObject({ ok: true, skipped: true });
  });

  it('exact expiry times (a file read on the spot) subtract exactly the keys expired by the count', () => {
    const exact = new ExactExpiries();
    for (const e of [...fileExpiries, T - 1, T, T + 1]) exact.add(e);
    // T - 1 expired by the count, T and T + 1 not (a key expires once the server's clock passes its time).
    const at = { from: T, to: T };
    expect(checkKeyCount({ keys: 5004 }, 4691, 0, at, exact)).toMatchObject({ ok: true, expected: expect.stringContaining(': exactly 4691 (') });
    expect(checkKeyCount({ keys: 5004 }, 4690, 0, at, exact).ok).toBe(false);
    expect(checkKeyCount({ keys: 5004 }, 4692, 0, at, exact).ok).toBe(false);
    // The scan began at T - 2, before T - 1 expired: that key may still be counted.
    const during = { from: T - 2, to: T };
    expect(checkKeyCount({ keys: 5004 }, 4692, 0, during, exact)).toMatchObject({
      ok: true,
      expected:
        '5004 recorded, 312..313 expired by the check at 2026-11-23T10:04:05.000Z (file expiries; 1 expiring during the check may still be counted): 4691..4692 (tolerance 0 % = 0)',
    });
    expect(checkKeyCount({ keys: 5004 }, 4690, 0, during, exact).ok).toBe(false);
  });

  it('is skipped when no count was recorded', () => {
    expect(checkKeyCount({}, 5, 1, W)).toMatchObject({ ok: true, skipped: true, found: '5 keys' });
  });

  it('states what was recorded, what expired by the check and why, and the accepted count', () => {
    expect(checkKeyCount({ keys: 5001, expires: 512, expiries: [histogram] }, 4689, 0, W).expected).toBe(
      '5001 recorded, 312 expired by the check at 2026-11-23T10:04:05.000Z (expiry histogram): exactly 4689 (tolerance 0 % = 0)',
    );
    expect(checkKeyCount({ keys: 5021, expires: 532, expiries: [straddling] }, 4689, 1, W).expected).toBe(
      '5021 recorded, 312..332 expired by the check at 2026-11-23T10:04:05.000Z (expiry histogram; 20 in the histogram bucket the check falls in may or may not have expired): 4639..4759 (tolerance 1 % = 50)',
    );
    expect(checkKeyCount({ keys: 1000, expires: 100 }, 850, 1, W).expected).toBe(
      '1000 recorded, 0..100 expired by the check at 2026-11-23T10:04:05.000Z (no expiry times recorded: any of the 100 keys with an expiry may have expired): 890..1010 (tolerance 1 % = 10)',
    );
  });
});

describe('checkHistogram', () => {
  const byType = { string: 600, hash: 300, list: 100 };
  it.each<[string, Parameters<typeof checkHistogram>[0], ScanSummary, number, boolean]>([
    ['exact', { keys: 1000, byType }, scan(byType), 0, true],
    ['a type short without expiries', { keys: 1000, byType }, scan({ ...byType, string: 599 }), 0, false],
    [
      'short by at most expires (no times recorded), spread over types',
      { keys: 1000, expires: 10, byType },
      scan({ string: 595, hash: 295, list: 100 }),
      0,
      true,
    ],
    ['short by more than expires', { keys: 1000, expires: 10, byType }, scan({ string: 595, hash: 294, list: 100 }), 0, false],
    ['tolerance adds to the shortfall', { keys: 1000, expires: 10, byType }, scan({ string: 590, hash: 290, list: 100 }), 1, true],
    ['a type over the recorded count', { keys: 1000, expires: 10, byType }, scan({ ...byType, hash: 301 }), 0, false],
    ['an unrecorded type', { keys: 1000, byType }, scan({ ...byType, stream: 1 }), 0, false],
    ['over within tolerance (SCAN duplicates)', { keys: 1000, byType }, scan({ ...byType, hash: 302 }), 0.5, true],
    ['more TTLs than the RDB had', { keys: 1000, expires: 10, byType }, scan(byType, { volatile: 11 }), 0, false],
    ['a nonsensical TTL', { keys: 1000, byType }, scan(byType, { ttlProblems: 1 }), 0, false],
    // With expiry times: short by exactly the keys expired by the check, not by every key with an expiry.
    [
      'histogram: short by the expired keys',
      { keys: 5001, expires: 512, expiries: [histogram], byType: { string: 4001, hash: 1000 } },
      scan({ string: 3689, hash: 1000 }, { volatile: 200 }),
      0,
      true,
    ],
    [
      'histogram: one more short',
      { keys: 5001, expires: 512, expiries: [histogram], byType: { string: 4001, hash: 1000 } },
      scan({ string: 3689, hash: 999 }, { volatile: 200 }),
      0,
      false,
    ],
    [
      'histogram: expired keys still with a TTL',
      { keys: 5001, expires: 512, expiries: [histogram], byType: { string: 4001, hash: 1000 } },
      scan({ string: 3689, hash: 1000 }, { volatile: 201 }),
      0,
      false,
    ],
  ])('%s', (_, expected, found, pct, ok) => {
    expect(checkHistogram(expected, found, pct, W).ok).toBe(ok);
  });

  it('is skipped without a recorded histogram, still showing what was found', () => {
    const r = checkHistogram({ keys: 3 }, scan({ string: 3 }), 0, W);
    expect(r).toMatchObject({ ok: true, skipped: true });
    expect(r.found).toContain('string=3');
  });

  it('names the problem and both histograms', () => {
    const r = checkHistogram({ keys: 1000, expires: 10, byType }, scan({ string: 580, hash: 300, list: 100 }), 0, W);
    expect(r.expected).toBe(
      'string=600 list=100 hash=300 (at most 0 more, at most 10 fewer: 0..10 expired by the check at 2026-11-23T10:04:05.000Z ' +
        '(no expiry times recorded: any of the 10 keys with an expiry may have expired) + tolerance 0 % = 0)',
    );
    expect(r.found).toMatch(/^string=580 list=100 hash=300 .*: 20 fewer than recorded$/);
  });
});

describe('formatHistogram', () => {
  it('orders types as the RDB verifier does, others after, zeros left out', () => {
    expect(formatHistogram({ hash: 1, string: 2, zz: 1, list: 0, module: 4 })).toBe('string=2 hash=1 module=4 zz=1');
    expect(formatHistogram({})).toBe('(empty)');
  });
});

describe('checkExpectKeys', () => {
  it('passes when all exist, names the missing ones otherwise', () => {
    expect(checkExpectKeys(['a', 'b'], [true, true]).ok).toBe(true);
    expect(checkExpectKeys(['a', 'b', 'c'], [true, false, false])).toMatchObject({ ok: false, found: 'missing: b, c' });
  });
  it('is skipped without keys', () => expect(checkExpectKeys([], [])).toMatchObject({ ok: true, skipped: true }));
});

describe('checkExpectValues', () => {
  it.each<[string, Parameters<typeof checkExpectValues>[1], boolean, string]>([
    ['equal', { k: { kind: 'value', value: 'v' } }, true, 'all 1 equal'],
    ['different', { k: { kind: 'value', value: 'w' } }, false, 'k: "w"'],
    ['missing', { k: { kind: 'missing' } }, false, 'k: missing'],
    ['not read', {}, false, 'k: missing'],
    ['not a string', { k: { kind: 'wrong-type', type: 'hash' } }, false, 'k: is a hash, not a string'],
  ])('%s', (_, found, ok, text) => {
    expect(checkExpectValues({ k: 'v' }, found)).toMatchObject({ ok, found: text, expected: 'k="v"' });
  });
  it('is skipped without values', () => expect(checkExpectValues({}, {})).toMatchObject({ ok: true, skipped: true }));
});

describe('sampleAllocation', () => {
  it.each([
    [[100], 10, [10]],
    [[700, 200, 100], 10, [7, 2, 1]],
    [[1, 1, 1], 2, [1, 1, 0]],
    [[999, 1], 3, [3, 0]],
    [[0, 0], 5, [0, 0]],
    [[5, 5], 0, [0, 0]],
  ])('%o keys, %d samples → %o', (counts, size, alloc) => {
    expect(sampleAllocation(counts, size)).toEqual(alloc);
  });
  it('always allocates exactly size samples when there are keys', () => {
    for (const size of [1, 7, 100, 1000]) expect(sampleAllocation([3, 17, 0, 80], size).reduce((a, n) => a + n, 0)).toBe(size);
  });
});

describe('checkSample', () => {
  const ok = { type: 'string', pttl: -1 };
  it.each<[string, Parameters<typeof checkSample>[0], number, Record<string, number> | undefined, boolean]>([
    ['sane keys', [ok, { type: 'hash', pttl: 5000 }, { type: 'list', pttl: 0 }], 3, undefined, true],
    ['one vanished key is a tolerated race', [ok, { type: 'none', pttl: -2 }], 2, undefined, true],
    ['two vanished of 100 is not', [...Array(98).fill(ok), { type: 'none', pttl: -2 }, { type: 'string', pttl: -2 }], 100, undefined, false],
    ['a type the RDB did not have', [ok, { type: 'stream', pttl: -1 }], 2, { string: 5 }, false],
    ['a module type the RDB had', [{ type: 'ReJSON-RL', pttl: -1 }], 1, { module: 1 }, true],
    ['a nonsensical PTTL', [{ type: 'string', pttl: -3 }], 1, undefined, false],
  ])('%s', (_, samples, size, byType, expected) => {
    expect(checkSample(samples, size, byType).ok).toBe(expected);
  });
  it('is skipped for size 0 and for an empty cluster', () => {
    expect(checkSample([], 0)).toMatchObject({ ok: true, skipped: true });
    expect(checkSample([], 10)).toMatchObject({ ok: true, skipped: true, found: 'no keys to sample' });
  });
});

describe('drillReport', () => {
  const checks = { keyCountTolerancePct: 0, expectKeys: ['a'], expectValues: { a: '1' }, sampleSize: 1 };
  const found = {
    canary: 'c',
    dbsize: 2,
    scan: scan({ string: 2 }),
    exists: [true],
    values: { a: { kind: 'value' as const, value: '1' } },
    samples: [{ type: 'string', pttl: -1 }],
    window: W,
  };
  it('lists every check in order and is ok when none failed', () => {
    const r = drillReport({ keys: 2, canary: 'c', byType: { string: 2 } }, checks, found, 1.5);
    expect(r.checks.map((c) => c.name)).toEqual(['canary', 'key-count', 'type-histogram', 'expect-keys', 'expect-values', 'sample']);
    expect(r).toMatchObject({ ok: true, keys: 2, byType: { string: 2 }, seconds: 1.5 });
  });
  it('is not ok when one check failed', () => {
    const r = drillReport({ keys: 2, canary: 'other' }, checks, found, 1);
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['canary']);
  });
});
