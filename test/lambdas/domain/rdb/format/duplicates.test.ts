/**
 * The duplicate-member check begun without a count (format/duplicates.ts `beginGrowing`: a listpack whose header
 * counts 65535, read once as it streams by): exact while its table can hold the members exactly, doubling as it fills;
 * past that, on a sample that halves each time the table fills again, said as its detection probability. And the same
 * verdict as a check begun with the count wherever both are exact.
 */
import { describe, expect, it } from 'vitest';
import { DuplicateCheck } from '../../../../../lambdas/domain/rdb/format/duplicates.js';

/** A member's two fingerprint lanes, spread (a multiplicative hash of its index), as FNV-1a spreads real members. */
const lanes = (i: number): [number, number] => [Math.imul(i + 1, 0x9e3779b1), Math.imul(i + 7, 0x85ebca77) ^ (i >>> 3)];

describe('DuplicateCheck without a count', () => {
  it('is exact while the table can hold the members: 200,000 new ones, then every one again found, as with the count', () => {
    const growing = new DuplicateCheck();
    const counted = new DuplicateCheck();
    growing.beginGrowing();
    counted.begin(200_000);
    let said = 0; // one expect, not one a member: 200,000 expects cost seconds
    for (let i = 0; i < 200_000; i++) {
      const [a, b] = lanes(i);
      if (growing.seen(a, b)) said++;
      if (counted.seen(a, b)) said++;
    }
    expect(said, 'no member new to the collection said twice').toBe(0);
    // Members seen before the table grew (the first 768) and after: every one found again.
    for (const i of [0, 1, 500, 767, 768, 5000, 123_456, 199_999]) {
      expect(growing.seen(...lanes(i)), `member ${i}`).toBe(true);
      expect(counted.seen(...lanes(i)), `member ${i}`).toBe(true);
    }
    expect(growing.grownDetection).toBe(1);
  });

  it('past the exact table (1.5 million members), samples: 1 of 2 buckets, said as a detection of 1/2; never a false duplicate', () => {
    const d = new DuplicateCheck();
    d.beginGrowing();
    const n = 2_000_000;
    let said = 0;
    for (let i = 0; i < n; i++) {
      const [a, b] = lanes(i);
      if (d.seen(a, b)) said++;
    }
    expect(said, 'no member new to the collection said twice').toBe(0);
    expect(d.grownDetection).toBe(1 / 2);
    // The members the sample keeps (an even second lane) are found again, wherever they came; the others go unchecked.
    let kept = 0;
    let found = 0;
    for (let i = 0; i < n; i += 997) {
      const [a, b] = lanes(i);
      if ((b >>> 0) % 2 === 0) {
        kept++;
        if (d.seen(a, b)) found++;
      } else expect(d.seen(a, b)).toBe(false);
    }
    expect(kept).toBeGreaterThan(500);
    expect(found).toBe(kept);
    // Begun with a count, the next collection says nothing of the last one's sample.
    d.begin(10);
    expect(d.grownDetection).toBe(1);
  });

  it('a collection begun with its count after one that grew is checked in a table begun again (nothing carried over)', () => {
    const d = new DuplicateCheck();
    d.beginGrowing();
    for (let i = 0; i < 50_000; i++) d.seen(...lanes(i));
    d.begin(3);
    expect(d.seen(...lanes(1))).toBe(false);
    expect(d.seen(...lanes(2))).toBe(false);
    expect(d.seen(...lanes(1))).toBe(true);
    d.beginGrowing();
    expect(d.seen(...lanes(1))).toBe(false);
  });
});
