import { describe, expect, it } from 'vitest';
import { localDrillChecks, localDrillExpected } from '../../../lambdas/domain/drill-local';
import type { RdbReport } from '../../../lambdas/domain/rdb/verifier';

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

describe('localDrillExpected', () => {
  it('expects the keys that load: already expired ones are dropped, empty ones were never counted', () => {
    const e = localDrillExpected(report({ expiredKeys: 30, emptyKeys: 7 }));
    expect(e.keyCount).toEqual({ keys: 970, expires: 70 });
    // The histogram counts the expired keys by type: all keys with an expiry may be short.
    expect(e.histogram).toEqual({ keys: 970, expires: 100, byType: { string: 900, hash: 100 } });
  });

  it('--expect-key-count replaces the file\'s count in the key-count check only', () => {
    const e = localDrillExpected(report(), 5000);
    expect(e.keyCount.keys).toBe(5000);
    expect(e.histogram.keys).toBe(1000);
  });
});

describe('localDrillChecks', () => {
  const base = { tolerancePct: 0, expectKeys: [] as string[], sampleSize: 100 };

  it('passes a load that dropped exactly the expired keys, with no tolerance', () => {
    const rdb = report({ expiredKeys: 30 });
    const results = localDrillChecks(rdb, base, { dbsize: 970, scan: scan(970, { string: 880, hash: 90 }, 70), exists: [], samples });
    expect(results.map((c) => [c.name, c.ok, c.skipped ?? false])).toEqual([
      ['key-count', true, false],
      ['type-histogram', true, false],
      ['expect-keys', true, true],
      ['sample', true, false],
    ]);
  });

  it('fails a count off by more than the tolerance, and names missing keys', () => {
    const results = localDrillChecks(report({ expires: 0 }), { ...base, tolerancePct: 1, expectKeys: ['a', 'b'], expectKeyCount: 1100 }, {
      dbsize: 1000,
      scan: scan(1000, { string: 900, hash: 100 }),
      exists: [true, false],
      samples,
    });
    const byName = Object.fromEntries(results.map((c) => [c.name, c]));
    expect(byName['key-count']).toMatchObject({ ok: false, expected: '1100 keys: 1089..1111 (tolerance 1 % = 11)', found: '1000 keys' });
    expect(byName['type-histogram']!.ok).toBe(true);
    expect(byName['expect-keys']).toMatchObject({ ok: false, found: 'missing: b' });
  });
});
