import { describe, expect, it } from 'vitest';
import { runTimeSelectionWords, selectsAtRunTime, targetSelectionSchema } from '../../../../lambdas/domain/plans/plan-input.js';
import { drillInputSchema } from '../../../../lambdas/domain/drills/drill.js';

describe("a plan's target selection", () => {
  it('selects at run time with tags or a tag key to be without, not with ids alone', () => {
    expect(selectsAtRunTime({ selectByTags: { team: 'shop' } })).toBe(true);
    expect(selectsAtRunTime({ selectByTags: {}, selectWithoutTag: 'redis-dr:tier' })).toBe(true);
    expect(selectsAtRunTime({ selectByTags: {} })).toBe(false);
    expect(selectsAtRunTime({})).toBe(false);
  });

  it('says the run-time selection in words, tags first', () => {
    expect(runTimeSelectionWords({ selectByTags: { 'redis-dr:tier': 'gold' }, selectWithoutTag: 'redis-dr:tier' })).toEqual([
      'caches tagged redis-dr:tier=gold',
      'caches without a redis-dr:tier tag',
    ]);
    expect(runTimeSelectionWords({ selectByTags: {} })).toEqual([]);
  });

  it('is one schema for the scheduled inputs and the drill input: selectWithoutTag kept, an empty key refused', () => {
    const targets = { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: {}, selectWithoutTag: 'redis-dr:tier' };
    expect(targetSelectionSchema.parse(targets)).toEqual(targets);
    expect(drillInputSchema.shape.targets).toBe(targetSelectionSchema);
    expect(targetSelectionSchema.safeParse({ ...targets, selectWithoutTag: '' }).success).toBe(false);
  });
});
