import { describe, expect, it } from 'vitest';
import {
  collapseHold,
  detectCollapse,
  heldTierValue,
  parseCollapseHold,
  releasedTierValue,
  type KeyspaceSize,
} from '../../../../lambdas/domain/plans/collapse.js';

const p = (keys: number, bytes?: number, point = 'now'): KeyspaceSize => ({ point, keys, ...(bytes === undefined ? {} : { bytes }) });

describe('detectCollapse', () => {
  it.each<[string, KeyspaceSize | undefined, KeyspaceSize, number, 'keys' | 'bytes' | undefined]>([
    ['no earlier good point: nothing to judge', undefined, p(0), 50, undefined],
    ['an empty earlier point: nothing to judge', p(0, 100, 'was'), p(0), 50, undefined],
    ['0 keys after a non-empty point always trips', p(1, undefined, 'was'), p(0), 50, 'keys'],
    ['0 keys trips even with the threshold at 100', p(5000, undefined, 'was'), p(0), 100, 'keys'],
    ['a drop to 40 % trips at 50', p(10_000, undefined, 'was'), p(4_000), 50, 'keys'],
    ['a drop to exactly 50 % does not trip at 50', p(10_000, undefined, 'was'), p(5_000), 50, undefined],
    ['growth never trips', p(100, 1000, 'was'), p(200, 2000), 50, undefined],
    ['keys steady but bytes down 90 % trips on bytes', p(1000, 1_000_000, 'was'), p(1000, 100_000), 50, 'bytes'],
    ['bytes unknown on one side: keys only', p(1000, undefined, 'was'), p(1000, 10), 50, undefined],
    ['a 10 % drop trips at threshold 5', p(1000, undefined, 'was'), p(900), 5, 'keys'],
  ])('%s', (_name, previous, current, threshold, measure) => {
    expect(detectCollapse(previous, current, threshold)?.measure).toBe(measure);
  });

  it('names both points, the counts, the drop and the threshold', () => {
    const c = detectCollapse(p(120_000, undefined, 'rdr-app-20261120-0300'), p(48_000, undefined, 'rdr-app-20261121-0300'), 50);
    expect(c).toMatchObject({ point: 'rdr-app-20261121-0300', previous: 'rdr-app-20261120-0300', dropPct: 60 });
    expect(c!.detail).toContain('rdr-app-20261121-0300 holds 48000 keys, 60 % fewer than 120000 in rdr-app-20261120-0300 (threshold 50 %)');
  });

  it.each([-1, 101, Number.NaN])('refuses threshold %s', (t) => {
    expect(() => detectCollapse(p(1), p(1), t)).toThrow(/collapseThresholdPct must be (>= 0|<= 100|a number), got .*: (set|write) a percentage/);
  });
  it('refuses a negative count', () => expect(() => detectCollapse(p(-1), p(1))).toThrow(/must be >= 0/));
});

describe('holds', () => {
  it('round-trips the collapsed point through the hold value', () => {
    expect(parseCollapseHold(collapseHold({ point: 'rdr-a-20261121-0300' }, new Date('2026-11-21T03:00:00Z')))).toBe('rdr-a-20261121-0300');
    // A hold written before expiries existed still names its point.
    expect(parseCollapseHold('keyspace-collapsed:rdr-a-20261121-0300')).toBe('rdr-a-20261121-0300');
    expect(parseCollapseHold('legal')).toBeUndefined();
  });
  it.each([
    ['daily', 'held-daily'],
    ['held-weekly', 'held-weekly'],
  ])('held tier of %s is %s, released back', (tier, held) => {
    expect(heldTierValue(tier)).toBe(held);
    expect(releasedTierValue(held)).toBe(tier.replace('held-', ''));
  });
});
