/**
 * An account's effective tiers, merged from the levels it inherits (root,
 * its OUs outermost first, itself) the way AWS Backup merges effective
 * backup policies, setting by setting (docs/org.md, "How the levels merge"):
 *
 * 1. A level's value replaces what the levels above set (`@@assign`).
 * 2. A level may lock settings (`@@operators_allowed_for_child_policies:
 *    ["@@none"]`); a level below that sets a locked setting to another value
 *    is a conflict, refused naming both levels. The same value is no conflict.
 * 3. A setting no level sets takes its default (tier-settings.ts), and says so.
 * 4. A tier with no RPO, a vault without exports, or drills in the DR region
 *    without exports, is refused naming the levels that made it so.
 *
 * Every value carries the level it came from, which `redis-dr org plan` prints. Pure.
 */
import { show } from '../plans/problems.js';
import { TIER_DEFAULTS, TIER_LEAF_NAMES, type TierLeaf, type TierValue, leavesOf } from './tier-settings.js';
import type { OrgLevel } from './tree.js';

/** A value and the level it came from (a level's label, or `default`). */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/** The source of a value no level set. */
export const DEFAULT_SOURCE = 'default';

/** One tier as it applies to an account: every setting with its source. */
export interface EffectiveTier {
  readonly name: string;
  readonly settings: Readonly<Record<TierLeaf, Sourced<TierValue>>>;
}

/** What an account's caches get: the tier of an untagged cache (if any), and every tier. */
export interface EffectivePlans {
  /** The levels merged, root first (their labels). */
  readonly levels: readonly string[];
  readonly defaultTier?: Sourced<string>;
  readonly tiers: readonly EffectiveTier[];
}

/** The merge's answer: the effective plans, or every conflict found (one line each). */
export type MergeResult = { readonly ok: true; readonly plans: EffectivePlans } | { readonly ok: false; readonly problems: readonly string[] };

/** The (tier, leaf) pairs a lock covers; `defaultTier` is its own key. */
function lockedKeys(lock: string, tierNames: readonly string[]): string[] {
  if (lock === 'defaultTier') return ['defaultTier'];
  const [tier, ...rest] = lock.split('.');
  const prefix = rest.join('.');
  const tiers = tier === '*' ? tierNames : tierNames.filter((t) => t === tier);
  const leaves = TIER_LEAF_NAMES.filter((l) => prefix === '' || l === prefix || l.startsWith(`${prefix}.`));
  return tiers.flatMap((t) => leaves.map((l) => `${t}.${l}`));
}

/**
 * Merges `levels` (root first) for the tiers `tierNames` (the root's).
 * Collects every conflict rather than stopping at the first.
 */
export function mergeLevels(tierNames: readonly string[], levels: readonly OrgLevel[]): MergeResult {
  const problems: string[] = [];
  const current = new Map<string, Sourced<TierValue> & { path: string }>();
  const locks = new Map<string, { value: TierValue | undefined; level: OrgLevel }>();
  const set = (level: OrgLevel, key: string, field: string, value: TierValue): void => {
    const lock = locks.get(key);
    if (lock !== undefined && lock.value !== value) {
      problems.push(
        `${level.path}.${field} conflicts with a lock: ${level.label} sets ${key} = ${show(value)}, ${lock.level.label} (${lock.level.path}.locked) holds it at ${show(lock.value ?? 'unset')}: remove it from ${level.path}, or take the lock off ${lock.level.path}`,
      );
      return;
    }
    current.set(key, { value, source: level.label, path: `${level.path}.${field}` });
  };
  for (const level of levels) {
    if (level.defaultTier !== undefined) set(level, 'defaultTier', 'defaultTier', level.defaultTier);
    for (const [tier, override] of Object.entries(level.tiers ?? {})) {
      for (const [leaf, value] of Object.entries(leavesOf(override))) set(level, `${tier}.${leaf}`, `tiers.${tier}.${leaf}`, value as TierValue);
    }
    // A level's lock holds the value it leaves in force (its own, or what it inherited, or the default).
    for (const lock of level.locked ?? []) {
      for (const key of lockedKeys(lock, tierNames)) {
        if (locks.has(key)) continue;
        const leaf = key.slice(key.indexOf('.') + 1) as TierLeaf;
        locks.set(key, { value: current.get(key)?.value ?? (key === 'defaultTier' ? undefined : TIER_DEFAULTS[leaf]), level });
      }
    }
  }
  const tiers: EffectiveTier[] = tierNames.map((name) => {
    const settings = Object.fromEntries(
      TIER_LEAF_NAMES.map((leaf) => {
        const found = current.get(`${name}.${leaf}`);
        const value = found?.value ?? TIER_DEFAULTS[leaf];
        return [leaf, { value: value as TierValue, source: found?.source ?? DEFAULT_SOURCE }];
      }),
    ) as Record<TierLeaf, Sourced<TierValue>>;
    return { name, settings };
  });
  for (const tier of tiers) {
    const s = tier.settings;
    if (s.rpoMinutes.value === undefined)
      problems.push(`root.tiers.${tier.name}.rpoMinutes is required, got nothing: every tier says its RPO (e.g. 60), at the root or in each OU`);
    if (s['vault.enabled'].value === true && s['export.enabled'].value !== true) {
      const vault = current.get(`${tier.name}.vault.enabled`)!;
      const exp = current.get(`${tier.name}.export.enabled`);
      problems.push(
        `${vault.path} is true but ${tier.name}.export.enabled is false (${exp ? `${exp.source}, ${exp.path}` : 'the default'}): the vault holds replicas of the exports, turn export.enabled on where vault.enabled is`,
      );
    }
  }
  problems.push(...tiers.flatMap((t) => [...drDrillWithoutExports(t, current), ...vaultDrillWithoutParts(t, current)]));
  if (problems.length > 0) return { ok: false, problems };
  const dflt = current.get('defaultTier');
  return {
    ok: true,
    plans: {
      levels: levels.map((l) => l.label),
      ...(dflt ? { defaultTier: { value: String(dflt.value), source: dflt.source } } : {}),
      tiers,
    },
  };
}

/**
 * A tier whose DR drill seeds from the vault (`drill.fromVault`) needs its replicas there (`vault.enabled`) and a drill
 * in the DR region (`drill.enabled`, `drill.where` `dr` or `both`), as a plan's `drill.fromVault` does
 * (lib/config/checks.ts `checkVaultDrill`): each missing part refused in one line naming the levels.
 */
function vaultDrillWithoutParts(tier: EffectiveTier, current: ReadonlyMap<string, Sourced<TierValue> & { path: string }>): string[] {
  const s = tier.settings;
  if (s['drill.fromVault'].value !== true) return [];
  // drill.fromVault is not its default here, so a level set it.
  const from = current.get(`${tier.name}.drill.fromVault`)!;
  const at = (leaf: string) => {
    const set = current.get(`${tier.name}.${leaf}`);
    return set ? `${set.source}, ${set.path}` : 'the default';
  };
  const problems: string[] = [];
  if (s['vault.enabled'].value !== true)
    problems.push(
      `${from.path} is true but ${tier.name}.vault.enabled is false (${at('vault.enabled')}): a vault drill seeds from the account's replicas in the organization's vault; turn vault.enabled on, or remove drill.fromVault`,
    );
  if (s['drill.enabled'].value !== true || s['drill.where'].value === 'primary')
    problems.push(
      `${from.path} is true but ${tier.name} does not drill in the DR region (drill.enabled ${show(s['drill.enabled'].value)} from ${at('drill.enabled')}, drill.where ${show(s['drill.where'].value)} from ${at('drill.where')}): a vault drill is the DR region's drill; set drill.enabled true and drill.where "dr" or "both", or remove drill.fromVault`,
    );
  return problems;
}

/**
 * A tier that drills in the DR region (`drill.where` `dr` or `both`) restores the DR copies, which only exports make:
 * without `export.enabled` it is refused naming the level of each, as a plan's `drill.where` is (lib/config/checks.ts).
 */
function drDrillWithoutExports(tier: EffectiveTier, current: ReadonlyMap<string, Sourced<TierValue> & { path: string }>): string[] {
  const s = tier.settings;
  if (s['drill.enabled'].value !== true || s['drill.where'].value === 'primary' || s['export.enabled'].value === true) return [];
  // drill.where is not its default here, so a level set it.
  const where = current.get(`${tier.name}.drill.where`)!;
  const exp = current.get(`${tier.name}.export.enabled`);
  return [
    `${where.path} is ${show(where.value)} but ${tier.name}.export.enabled is false (${exp ? `${exp.source}, ${exp.path}` : 'the default'}): a DR-region drill restores the DR copies, which exports make; turn export.enabled on, or set drill.where to "primary"`,
  ];
}
