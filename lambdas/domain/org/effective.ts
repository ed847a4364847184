/**
 * The org config's questions answered: an account's effective plans, every
 * problem of the whole organization (each account merged: a conflict in
 * any refuses the config, as a deploy would), and the tier a cache's
 * `redis-dr:tier` tag opts it into. Pure.
 */
import { show } from '../plans/problems.js';
import { TAGS } from '../plans/types.js';
import { type EffectivePlans, type EffectiveTier, type MergeResult, mergeLevels } from './merge.js';
import { accountLevels, type OrgTree, tierChoice, treeProblems } from './tree.js';

/**
 * The tag an application team puts on a cache to opt it into a tier
 * (`redis-dr:tier=gold`). The same key as a recovery point's GFS tier tag
 * (hourly…): on a cache it names a protection tier, on a snapshot or an
 * exported object its GFS tier; tier names never are GFS names (tier-settings.ts).
 */
export const CACHE_TIER_TAG = TAGS.tier;

/** `account`'s effective plans, or why there are none (in no OU, a conflict on its path). */
export function effectivePlans(tree: OrgTree, account: string): MergeResult {
  const levels = accountLevels(tree, account);
  if (!Array.isArray(levels)) return { ok: false, problems: [levels.problem] };
  return mergeLevels(Object.keys(tree.root.tiers), levels);
}

/**
 * Every problem of the organization: the tree's own, then each account's
 * merge (a conflict is reported once, however many accounts inherit it).
 */
export function orgProblems(tree: OrgTree): string[] {
  const structural = treeProblems(tree);
  if (structural.length > 0) return structural;
  const problems = new Set<string>();
  for (const ou of tree.organizationalUnits) {
    for (const account of ou.accounts) {
      const merged = effectivePlans(tree, account);
      if (!merged.ok) for (const p of merged.problems) problems.add(p);
    }
  }
  return [...problems];
}

/** The tier a cache with `tags` gets: its tag's, else the account's default, else none (not opted in). */
export type CacheTier = { readonly tier: EffectiveTier; readonly by: 'tag' | 'default' } | { readonly tier: undefined } | { readonly problem: string };

/**
 * The tier of a cache from its tags: the `redis-dr:tier` tag naming a tier,
 * else the account's default tier; a tag naming no tier is a problem (the
 * cache is not silently given another tier).
 */
export function tierOfCache(plans: EffectivePlans, tags: Readonly<Record<string, string>>): CacheTier {
  const tagged = tags[CACHE_TIER_TAG];
  const names = plans.tiers.map((t) => t.name);
  if (tagged !== undefined) {
    const tier = plans.tiers.find((t) => t.name === tagged);
    if (tier === undefined) return { problem: `tag ${CACHE_TIER_TAG} names no tier, got ${show(tagged)}: ${tierChoice(tagged, names)}` };
    return { tier, by: 'tag' };
  }
  const dflt = plans.defaultTier && plans.tiers.find((t) => t.name === plans.defaultTier!.value);
  return dflt ? { tier: dflt, by: 'default' } : { tier: undefined };
}

/**
 * The tier an account's caches without a `redis-dr:tier` tag fall under, in words: the default tier's plan in the
 * member stacks selects them besides the caches tagged with it (lib/constructs/org/member-config.ts,
 * `selectWithoutTag`: every Valkey and Redis OSS cache of the account's primary region without the tag key, but
 * redis-dr's own drill restores); none when no level sets `defaultTier`.
 */
export function untaggedTier(plans: Pick<EffectivePlans, 'defaultTier'>): string {
  const d = plans.defaultTier;
  if (d === undefined) return 'not protected (no level sets defaultTier: tag a cache to opt it in)';
  return `tier ${d.value} (defaultTier, from ${d.source}): the member stacks' ${d.value} plan selects every Valkey and Redis OSS cache of the primary region without the tag, beside those tagged ${CACHE_TIER_TAG}=${d.value}`;
}

/**
 * The regions whose drill network the org config names (`drill.network`: primary, `drill.drNetwork`: DR), so the
 * member stacks can drill there: a template knows each account's network only as SSM parameters.
 */
export interface DrillNetworks {
  readonly primary: boolean;
  readonly dr: boolean;
}

/** The drill networks an org config names (its `drill.network` and `drill.drNetwork`). */
export function drillNetworksOf(org: { readonly drill?: { readonly network?: unknown; readonly drNetwork?: unknown } }): DrillNetworks {
  return { primary: org.drill?.network !== undefined, dr: org.drill?.drNetwork !== undefined };
}

/** The regions a tier's drills ask for: none without `drill.enabled`, else its `drill.where`'s. */
export function drillRegions(tier: EffectiveTier): readonly ('primary' | 'dr')[] {
  if (tier.settings['drill.enabled'].value !== true) return [];
  const where = tier.settings['drill.where'].value;
  return where === 'both' ? ['primary', 'dr'] : where === 'dr' ? ['dr'] : ['primary'];
}

/** The regions the member stacks drill a tier in: those it asks for whose network the org config names. */
export function carriedDrillRegions(tier: EffectiveTier, networks: DrillNetworks): readonly ('primary' | 'dr')[] {
  return drillRegions(tier).filter((r) => networks[r]);
}

/**
 * A tier's drills the member stacks cannot carry, for want of that region's network: `<tier> drill.enabled (from
 * <level>)` for a primary-only tier, `<tier> drill.where "<where>" in the <region> region (from <level>)` otherwise.
 */
function drillsNotCarried(tier: EffectiveTier, networks: DrillNetworks): string[] {
  const s = tier.settings;
  return drillRegions(tier)
    .filter((r) => !networks[r])
    .map((r) =>
      s['drill.where'].value === 'primary'
        ? `${tier.name} drill.enabled (from ${s['drill.enabled'].source})`
        : `${tier.name} drill.where "${s['drill.where'].value}" in the ${r === 'dr' ? 'DR' : 'primary'} region (from ${s['drill.where'].source})`,
    );
}

/**
 * A tier's DR drill seeded from the vault (`drill.fromVault`): carried with the DR drill (the member DR drill lists
 * and copies the replicas under the account's own `<account>/<primary region>/` prefix of the organization's vault),
 * so named only when the DR drill itself is not carried (no DR-region network in the org config).
 */
function vaultDrillNotCarried(tier: EffectiveTier, networks: DrillNetworks): string[] {
  const from = tier.settings['drill.fromVault'];
  return from.value === true && !carriedDrillRegions(tier, networks).includes('dr') ? [`${tier.name} drill.fromVault (from ${from.source})`] : [];
}

/**
 * The tier settings the member stacks (StackSets, CDK Pipelines) do not carry, each `<tier> <setting> (from
 * <level>)`: restore drills in a region whose network the org config does not name (`drill.network`,
 * `drill.drNetwork`: each account's network is known to a template only as SSM parameters): docs/org.md, "What the
 * StackSets carry, and what not yet". Vault replication is carried (lib/constructs/org/member-vault.ts). Said at
 * synth and by `org plan`, so a tier that asks for what is not carried never reads as having it.
 */
export function notCarried(plans: EffectivePlans, drillNetworks: DrillNetworks): string[] {
  return plans.tiers.flatMap((t) => [...drillsNotCarried(t, drillNetworks), ...vaultDrillNotCarried(t, drillNetworks)]);
}

/** The drill schedules a member stack can give a tier, longest interval first (EventBridge Scheduler crons, 04:00). */
const DRILL_SCHEDULES = [
  { days: 31, cron: 'cron(0 4 1 * ? *)', says: 'monthly (the 1st, 04:00)' },
  { days: 7, cron: 'cron(0 4 ? * SUN *)', says: 'weekly (Sundays 04:00)' },
  { days: 1, cron: 'cron(0 4 * * ? *)', says: 'daily (04:00)' },
] as const;

/**
 * A tier's `drill.everyDays` as the member stacks' schedule: the longest of daily, weekly and monthly that is
 * not longer than asked, so an account drills at least as often as its tier says (every 14 days: weekly).
 */
export function drillSchedule(everyDays: number): { readonly cron: string; readonly says: string } {
  return DRILL_SCHEDULES.find((s) => s.days <= everyDays) ?? DRILL_SCHEDULES[DRILL_SCHEDULES.length - 1]!;
}
