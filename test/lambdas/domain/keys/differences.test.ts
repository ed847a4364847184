import { describe, expect, it } from 'vitest';
import { DifferenceTracker } from '../../../../lambdas/domain/keys/differences.js';

const key = (n: number) => Buffer.from(`k${n}`);

describe('DifferenceTracker', () => {
  it('starts with every kind at 0, in the order given', () => {
    const t = new DifferenceTracker(['kept-on-target', 'only-on-target', 'expired'], 10);
    expect(Object.keys(t.expected)).toEqual(['kept-on-target', 'only-on-target', 'expired']);
    expect(t).toMatchObject({ differences: 0, diffs: [], expectedDiffs: [], expected: { 'kept-on-target': 0, 'only-on-target': 0, expired: 0 } });
  });

  it('counts a difference without a kind as real, one with a kind as expected, each in its own list', () => {
    const t = new DifferenceTracker(['kept-on-target', 'expired'], 10);
    t.note(key(1), 'value');
    t.note(key(2), 'ttl', 'kept-on-target');
    t.note(key(3), 'missing-in-b', 'expired');
    expect(t.differences).toBe(1);
    expect(t.diffs).toEqual([{ key: key(1), reason: 'value' }]);
    expect(t.expected).toEqual({ 'kept-on-target': 1, expired: 1 });
    expect(t.expectedDiffs).toEqual([
      { key: key(2), reason: 'ttl', expected: 'kept-on-target' },
      { key: key(3), reason: 'missing-in-b', expected: 'expired' },
    ]);
  });

  it('lists the first maxDiffs of each list and counts them all', () => {
    const t = new DifferenceTracker(['expired'], 2);
    for (let i = 0; i < 5; i++) t.note(key(i), 'value');
    for (let i = 0; i < 4; i++) t.note(key(i), 'missing-in-a', 'expired');
    expect(t.differences).toBe(5);
    expect(t.diffs.map((d) => d.key.toString())).toEqual(['k0', 'k1']);
    expect(t.expected.expired).toBe(4);
    expect(t.expectedDiffs).toHaveLength(2);
  });
});
