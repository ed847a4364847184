import { describe, expect, it } from 'vitest';
import { localDrillChecks, localDrillExpected } from '../../../../lambdas/domain/drills/local.js';
import { ExactExpiries } from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import type { RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';

const report = (over: Partial<RdbReport> = {}): RdbReport => ({
  ok: true,
  version: 10,
  checksum: 'ok',
  keys: 1000,
  expires: 100,
  databases: [0],
  byType: { string: 900, hash: 100 },
  auxFields: {},
  functionLibraries: 0,
  ...over,
});

const scan = (keys: number, byType: Record<string, number>, volatile = 0) => ({ keys, byType, volatile, vanished: 0, ttlProblems: 0 });
const samples = Array.from({ length: 100 }, () => ({ type: 'string', pttl: -1 }));

const T = Date.parse('2026-11-23T10:04:05Z');
const window = { from: T - 1000, to: T };
/** A file written 10 minutes before the check: 30 keys expired before it was written, 40 expire 5 minutes after it, 30 in a day. */
const FILE = T - 600_000;
function fileExpiries(): ExactExpiries {
  const e = new ExactExpiries();
  for (const [n, at] of [
    [30, FILE - 1000],
    [40, FILE + 300_000],
    [30, FILE + 86_400_000],
  ] as const)
    for (let i = 0; i < n; i++) e.add(at);
  return e;
}

describe('localDrillExpected', () => {
  it('expects every key of the file (the checks subtract those expired by the check), empty ones were never counted', () => {
    const e = localDrillExpected(report({ expiredKeys: 30, emptyKeys: 7, expiryHistogram: 'abc/0.1e' }));
    expect(e.keyCount).toEqual({ keys: 1000, expires: 100, expiries: ['abc/0.1e'] });
    expect(e.histogram).toEqual({ keys: 1000, expires: 100, expiries: ['abc/0.1e'], byType: { string: 900, hash: 100 } });
  });

  it("--expect-key-count replaces the file's count in the key-count check only", () => {
    const e = localDrillExpected(report(), 5000);
    expect(e.keyCount.keys).toBe(5000);
    expect(e.histogram.keys).toBe(1000);
  });
});

describe('localDrillChecks', () => {
  const base = { tolerancePct: 0, expectKeys: [] as string[], sampleSize: 100 };

  it('passes a load missing exactly the keys expired by the check, with no tolerance', () => {
    const rdb = report({ expiredKeys: 30 });
    const results = localDrillChecks(rdb, base, { dbsize: 930, scan: scan(930, { string: 840, hash: 90 }, 30), exists: [], samples, window }, fileExpiries());
    expect(results.map((c) => [c.name, c.ok, c.skipped ?? false])).toEqual([
      ['key-count', true, false],
      ['type-histogram', true, false],
      ['expect-keys', true, true],
      ['sample', true, false],
    ]);
    expect(results[0]!.expected).toBe('1000 recorded, 70 expired by the check at 2026-11-23T10:04:05.000Z (file expiries): exactly 930 (tolerance 0 % = 0)');
  });

  it.each([
    ['one key with a later expiry missing', 929, { string: 839, hash: 90 }, 30],
    ['one key without expiry missing', 929, { string: 840, hash: 89 }, 30],
    ['1 % missing', 920, { string: 830, hash: 90 }, 30],
  ])('fails at tolerance 0: %s (keys with an expiry are no excuse beyond those expired)', (_, dbsize, byType, volatile) => {
    const results = localDrillChecks(
      report({ expiredKeys: 30 }),
      base,
      { dbsize, scan: scan(dbsize, byType, volatile), exists: [], samples, window },
      fileExpiries(),
    );
    expect(results.filter((c) => !c.ok).map((c) => c.name)).toEqual(['key-count', 'type-histogram']);
  });

  it('--expect-key-count 120000 --tolerance-pct 0 fails with 99,541 keys, though 20,459 keys have an expiry (none expired by the check)', () => {
    const expiries = new ExactExpiries();
    for (let i = 0; i < 20_459; i++) expiries.add(T + 3_600_000);
    const rdb = report({ keys: 100_000, expires: 20_459, byType: { string: 100_000 } });
    const [count] = localDrillChecks(
      rdb,
      { ...base, expectKeyCount: 120_000 },
      { dbsize: 99_541, scan: scan(99_541, { string: 99_541 }), exists: [], samples, window },
      expiries,
    );
    expect(count).toMatchObject({ ok: false, expected: expect.stringContaining('120000 recorded, 0 expired by the check'), found: '99541 keys' });
  });

  it('fails a count off by more than the tolerance, and names missing keys', () => {
    const results = localDrillChecks(
      report({ expires: 0 }),
      { ...base, tolerancePct: 1, expectKeys: ['a', 'b'], expectKeyCount: 1100 },
      {
        dbsize: 1000,
        scan: scan(1000, { string: 900, hash: 100 }),
        exists: [true, false],
        samples,
        window,
      },
    );
    const byName = Object.fromEntries(results.map((c) => [c.name, c]));
    expect(byName['key-count']).toMatchObject({
      ok: false,
      expected: '1100 recorded, 0 expired by the check at 2026-11-23T10:04:05.000Z (no key has an expiry): 1089..1111 (tolerance 1 % = 11)',
      found: '1000 keys; 1000 without a TTL, recorded 1100: keys that never had a TTL are missing (at most 11 fewer allowed)',
    });
    expect(byName['type-histogram']!.ok).toBe(true);
    expect(byName['expect-keys']).toMatchObject({ ok: false, found: 'missing: b' });
  });
});
