import { describe, expect, it } from 'vitest';
import { bucketSpan, EXPIRY_BUCKETS, formatExpiryHistogram, histogramKeys, histogramOf } from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import { formatRdbSummary, parseRdbSummary, verdictTags } from '../../../../lambdas/domain/points/rdb-summary.js';
import type { RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';

const report = (overrides: Partial<RdbReport>): RdbReport => ({
  ok: true,
  version: 11,
  checksum: 'ok',
  keys: 1200,
  expires: 30,
  databases: [0],
  byType: { hash: 200, string: 1000 },
  auxFields: {},
  functionLibraries: 0,
  ...overrides,
});

describe('RDB summary tag', () => {
  it.each([
    [
      'types in a fixed order, zero counts left out',
      report({ byType: { hash: 200, string: 1000, list: 0 } }),
      'v=11 keys=1200 expires=30 string=1000 hash=200',
    ],
    ['module types after the known ones', report({ byType: { 'ReJSON-RL': 2, string: 1 } }), 'v=11 keys=1200 expires=30 string=1 ReJSON-RL=2'],
    ['an empty file', report({ keys: 0, expires: 0, byType: {} }), 'v=11 keys=0 expires=0'],
    [
      'a corrupt file with where and why, unsafe characters replaced',
      report({ ok: false, error: { offset: 81234, message: 'unexpected end of file (wanted 5 bytes; got "2")' } }),
      'v=11 keys=1200 expires=30 error@81234=unexpected end of file wanted 5 bytes got 2',
    ],
    ['a checksum mismatch without a parse error', report({ ok: false, checksum: 'mismatch' }), 'v=11 keys=1200 expires=30 error@0=checksum mismatch'],
    [
      'a valid copy that needs a server with 101 databases and compiles function code: verified, and the tag says both',
      report({ databases: [0, 100], needsDatabases: 101, functionLibraries: 2 }),
      'v=11 keys=1200 expires=30 dbs=0+100 fn=2 string=1000 hash=200',
    ],
    [
      'a key stored twice: corrupt',
      report({ ok: false, error: { offset: 90, message: 'a key is stored twice in database 0: Redis refuses the file ("Duplicated key found in RDB file")' } }),
      'v=11 keys=1200 expires=30 error@90=a key is stored twice in database 0: Redis refuses the file Duplicated key found in RDB file',
    ],
  ])('formats %s', (_what, input, expected) => {
    expect(formatRdbSummary(input)).toBe(expected);
    expect(expected).toMatch(/^[\p{L}\p{N} +\-=._:/@]*$/u);
  });

  it("fits S3's 256-character tag value however long the reason", () => {
    const long = formatRdbSummary(report({ ok: false, error: { offset: 1, message: 'x'.repeat(1000) } }));
    expect(long.length).toBe(256);
    const many = formatRdbSummary(report({ byType: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`module-type-${i}`, i + 1])) }));
    expect(many.length).toBeLessThanOrEqual(256);
  });

  it('parses what it formats', () => {
    expect(parseRdbSummary(formatRdbSummary(report({})))).toEqual({ version: 11, keys: 1200, expires: 30, byType: { string: 1000, hash: 200 } });
    expect(parseRdbSummary(formatRdbSummary(report({ databases: [0, 100], functionLibraries: 2 })))).toEqual({
      version: 11,
      keys: 1200,
      expires: 30,
      byType: { string: 1000, hash: 200 },
      databases: [0, 100],
      functionLibraries: 2,
    });
    expect(parseRdbSummary('v=9 keys=3 expires=0 error@77=bad length')).toEqual({
      version: 9,
      keys: 3,
      expires: 0,
      byType: {},
      error: { offset: 77, message: 'bad length' },
    });
  });

  it('carries the expiry histogram, merged to fit the tag, every key with an expiry still counted', () => {
    const base = Date.parse('2026-11-23T09:00:00Z');
    const small = formatExpiryHistogram(histogramOf(base, [base + 5000, base + 600_000]))!;
    const one = formatRdbSummary(report({ expires: 2, expiryHistogram: small }));
    expect(one).toBe(`v=11 keys=1200 expires=2 string=1000 hash=200 ttl=${small}`);
    expect(parseRdbSummary(one)).toMatchObject({ expires: 2, expiryHistogram: small });
    // Every bucket of the grid used: too long for the tag as it is.
    const spread = Array.from({ length: EXPIRY_BUCKETS }, (_, k) =>
      Array<number>(1000 + k).fill(k === EXPIRY_BUCKETS - 1 ? bucketSpan(base, k).from : bucketSpan(base, k).to),
    ).flat();
    const full = formatExpiryHistogram(histogramOf(base, spread))!;
    const fitted = formatRdbSummary(report({ expires: spread.length, expiryHistogram: full }));
    expect(full.length).toBeGreaterThan(256);
    expect(fitted.length).toBeLessThanOrEqual(256);
    expect(fitted).toMatch(/^[\p{L}\p{N} +\-=._:/@]*$/u);
    const parsed = parseRdbSummary(fitted)!;
    expect(histogramKeys(parsed.expiryHistogram!)).toBe(spread.length);
  });

  it('rejects a summary whose histogram does not parse', () => {
    expect(parseRdbSummary('v=11 keys=3 expires=1 string=3 ttl=abc/zz.1')).toBeUndefined();
  });

  it.each([undefined, '', 'ok', 'v=x keys=1 expires=0', 'v=1 keys=1 expires=0 string=many'])('rejects %j', (value) => {
    expect(parseRdbSummary(value)).toBeUndefined();
  });

  it('writes the verdict and the summary, nothing else', () => {
    expect(verdictTags(report({}))).toEqual({ 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=1200 expires=30 string=1000 hash=200' });
    expect(verdictTags(report({ ok: false }))['redis-dr:verified']).toBe('corrupt');
  });
});
