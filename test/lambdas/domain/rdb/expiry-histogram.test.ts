import { describe, expect, it } from 'vitest';
import {
  bucketOffsets,
  bucketSpan,
  ExactExpiries,
  EXPIRY_BUCKETS,
  expiryBucket,
  fitExpiryHistogram,
  formatExpiryHistogram,
  histogramCounts,
  histogramKeys,
  histogramOf,
  parseExpiryHistogram,
} from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import { mulberry32 } from '../../../../lambdas/domain/keys/prng.js';

const BASE = Date.parse('2026-11-23T09:00:00Z');

describe('expiryBucket and bucketSpan', () => {
  it.each([
    [-1, 0],
    [0, 1],
    [1000, 1],
    [1001, 2],
    [1414, 2],
    [1415, 3],
    [2000, 3],
    [2001, 4],
    [3_600_000, 25],
    [1e15, EXPIRY_BUCKETS - 1],
  ])('offset %d ms → bucket %d, whose span holds it', (offset, k) => {
    expect(expiryBucket(offset)).toBe(k);
    const span = bucketSpan(BASE, k);
    expect(BASE + offset).toBeGreaterThanOrEqual(span.from);
    expect(BASE + offset).toBeLessThanOrEqual(span.to);
  });

  it('every offset lands in the bucket whose span holds it, at and around each edge', () => {
    for (let k = 1; k < EXPIRY_BUCKETS - 1; k++) {
      const { from, to } = bucketSpan(BASE, k);
      for (const at of [from, from + 1, to - 1, to]) expect(expiryBucket(at - BASE), `bucket ${k} at ${at - BASE}`).toBe(k);
      expect(expiryBucket(to + 1 - BASE)).toBe(k + 1);
      expect(bucketOffsets(k)).toEqual({ after: from - 1 - BASE, upTo: to - BASE });
    }
  });
});

describe('expiry histogram text form', () => {
  it('round-trips: base in seconds and non-empty buckets, base 36', () => {
    const h = histogramOf(BASE, [BASE - 5, BASE + 500, BASE + 500, BASE + 3_600_000]);
    const text = formatExpiryHistogram(h)!;
    expect(text).toBe(`${(BASE / 1000).toString(36)}/0.1/1.2/p.1`);
    expect(parseExpiryHistogram(text)).toEqual([
      { from: -Infinity, to: BASE - 1, keys: 1 },
      { from: BASE, to: BASE + 1000, keys: 2 },
      { ...bucketSpan(BASE, 25), keys: 1 },
    ]);
    expect(histogramKeys(text)).toBe(4);
  });

  it.each(['', 'x y', 'abc/1', 'abc/1.2/1.3', 'abc/2.1/1.1', 'abc/3_2.1', `abc/${EXPIRY_BUCKETS.toString(36)}.1`])('refuses %j', (text) => {
    expect(parseExpiryHistogram(text)).toBeUndefined();
  });

  it('refuses a base that is not whole seconds', () => {
    expect(() => formatExpiryHistogram({ baseMs: BASE + 1, counts: [] })).toThrow(/whole seconds/);
  });

  it('merges neighbouring buckets to fit, never losing a key, and says when nothing fits', () => {
    const random = mulberry32(7);
    const expiries = Array.from({ length: 5000 }, () => BASE + Math.floor(random() ** 4 * 86_400_000 * 30));
    const full = formatExpiryHistogram(histogramOf(BASE, expiries))!;
    const fitted = fitExpiryHistogram(full, 60)!;
    expect(fitted.length).toBeLessThanOrEqual(60);
    expect(fitted.length).toBeLessThan(full.length);
    expect(fitted).toMatch(/_/);
    expect(histogramKeys(fitted)).toBe(5000);
    expect(fitExpiryHistogram(full, 5)).toBeUndefined();
    expect(fitExpiryHistogram(full, 1000)).toBe(full);
  });

  it('is conservative at every time: at least `sure` and at most `maybe` keys had expired, merged or not', () => {
    const random = mulberry32(11);
    const expiries = Array.from({ length: 2000 }, () => BASE - 60_000 + Math.floor(random() * random() * 86_400_000 * 3));
    const exact = new ExactExpiries();
    for (const e of expiries) exact.add(e);
    const full = formatExpiryHistogram(histogramOf(BASE, expiries))!;
    for (const text of [full, fitExpiryHistogram(full, 80)!, fitExpiryHistogram(full, 30)!]) {
      const counts = histogramCounts([text])!;
      for (let i = 0; i < 500; i++) {
        const at = BASE - 120_000 + Math.floor(random() * 86_400_000 * 4);
        const truth = exact.expiredBy(at).sure;
        const { sure, maybe } = counts.expiredBy(at);
        expect(sure, `${text} at ${at}`).toBeLessThanOrEqual(truth);
        expect(maybe, `${text} at ${at}`).toBeGreaterThanOrEqual(truth);
      }
    }
  });

  it('sums the histograms of several shards', () => {
    const a = formatExpiryHistogram(histogramOf(BASE, [BASE + 10_000]))!;
    const b = formatExpiryHistogram(histogramOf(BASE + 3_600_000, [BASE + 3_610_000, BASE + 7_200_000]))!;
    expect(histogramCounts([a, b])!.expiredBy(BASE + 3_700_000)).toEqual({ sure: 2, maybe: 2 });
    expect(histogramCounts([a, 'not a histogram'])).toBeUndefined();
  });
});

describe('ExactExpiries', () => {
  it('counts the times before a moment (a key expires once the clock passes its time), in any order added', () => {
    const e = new ExactExpiries();
    for (let i = 3000; i >= 0; i--) e.add(BASE + i);
    expect(e.size).toBe(3001);
    expect(e.expiredBy(BASE)).toEqual({ sure: 0, maybe: 0 });
    expect(e.expiredBy(BASE + 1)).toEqual({ sure: 1, maybe: 1 });
    expect(e.expiredBy(BASE + 3000)).toEqual({ sure: 3000, maybe: 3000 });
    expect(e.expiredBy(BASE + 1e9)).toEqual({ sure: 3001, maybe: 3001 });
    e.add(BASE - 1);
    expect(e.expiredBy(BASE)).toEqual({ sure: 1, maybe: 1 });
  });
});
