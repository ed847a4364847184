import { describe, expect, it } from 'vitest';
import { heldTierValue, releasedTierValue } from '../../../lambdas/domain/plans/collapse.js';
import { TIERS } from '../../../lambdas/domain/plans/types.js';
import { lifecycleRules } from '../../../lib/constructs/recovery-bucket.js';
import { exampleConfig } from '../../support/synth.js';

/** The S3 half of the keyspace-collapse hold: a held copy's tier tag matches no lifecycle rule; released, it does again. */
describe('lifecycle rules and held copies', () => {
  const plans = exampleConfig().plans.filter((p) => p.export.enabled);
  const rules = lifecycleRules(plans);
  /** The rules whose tag filters all match `tags` (S3 ANDs a rule's tag filters). */
  const matching = (tags: Record<string, string>) =>
    rules.filter((r) => r.tagFilters !== undefined && Object.entries(r.tagFilters).every(([k, v]) => tags[k] === v));

  it.each(TIERS)('a %s copy expires by its rule; held, by none; released, by its rule again', (tier) => {
    const plan = plans[0]!.name;
    expect(matching({ 'redis-dr:plan': plan, 'redis-dr:tier': tier }).map((r) => r.id)).toEqual([`${plan}-${tier}`]);
    expect(matching({ 'redis-dr:plan': plan, 'redis-dr:tier': heldTierValue(tier) })).toEqual([]);
    expect(matching({ 'redis-dr:plan': plan, 'redis-dr:tier': releasedTierValue(heldTierValue(tier)) }).map((r) => r.id)).toEqual([`${plan}-${tier}`]);
  });
});
