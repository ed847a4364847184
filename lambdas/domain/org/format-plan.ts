/**
 * `redis-dr org plan`'s text: an account's levels, the tier of an untagged
 * cache, and each tier's settings with the level each came from. Pure.
 */
import { CACHE_TIER_TAG, notCarried } from './effective.js';
import type { EffectivePlans } from './merge.js';
import { TIER_LEAF_NAMES } from './tier-settings.js';

/** Rows as aligned columns (two spaces between, the last column unpadded). */
function aligned(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/** The lines of an account's effective plans; `tiers` limits them to those named. */
export function formatEffectivePlans(account: string, plans: EffectivePlans, tiers?: readonly string[]): string[] {
  const lines = [`account ${account}: ${plans.levels.join(' > ')}`];
  lines.push(
    plans.defaultTier
      ? `caches without a ${CACHE_TIER_TAG} tag: tier ${plans.defaultTier.value} (from ${plans.defaultTier.source})`
      : `caches without a ${CACHE_TIER_TAG} tag: not protected (no level sets defaultTier; tag a cache to opt it in)`,
  );
  for (const tier of plans.tiers.filter((t) => tiers === undefined || tiers.includes(t.name))) {
    lines.push('', `tier ${tier.name} (${CACHE_TIER_TAG}=${tier.name})`);
    const rows = [['setting', 'value', 'from'], ...TIER_LEAF_NAMES.map((leaf) => [leaf, String(tier.settings[leaf].value), tier.settings[leaf].source])];
    lines.push(...aligned(rows).map((l) => `  ${l}`));
    const missing = notCarried({ ...plans, tiers: [tier] });
    if (missing.length > 0)
      lines.push(
        `  NOT CARRIED YET by the StackSets and the pipeline: ${missing.map((m) => m.slice(tier.name.length + 1)).join(', ')}: this account gets no restore drills and no vault replication from them (docs/org.md, "What the StackSets carry, and what not yet")`,
      );
  }
  return lines;
}
