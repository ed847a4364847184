/**
 * The settings of an organization's protection tier (gold, silver, bronze…):
 * each setting declared once, as one leaf (`rpoMinutes`, `retention.daily`,
 * `vault.enabled`), from the plan settings' own schemas where one exists
 * (plans/settings.ts), so a tier's value reads the same as a plan's. Every
 * level of the org config (root, OU, account) writes the same shape, every
 * leaf optional: the merge (merge.ts) fills each leaf from the deepest level
 * that sets it, else from {@link TIER_DEFAULTS}. Pure.
 */
import { z } from 'zod';
import { says } from '../plans/problems.js';
import { minTierSchema, retentionCountsSchema, rpoMinutesSchema, vaultDaysSchema } from '../plans/settings.js';
import { TIERS } from '../plans/types.js';

const whole = (min: number, max: number, fix: string) =>
  z
    .number({ error: says('must be a number', fix) })
    .int({ error: says('must be a whole number', fix) })
    .min(min, { error: says(`must be >= ${min}`, fix) })
    .max(max, { error: says(`must be <= ${max}`, fix) });

const counts = retentionCountsSchema.shape;

/**
 * Where a tier's drills run, as a plan's `drill.where`: `primary` restores the native snapshot, `dr` the DR copies
 * (exports on), `both` each in its region.
 */
const DRILL_WHERE_SCHEMA = z.enum(['primary', 'dr', 'both'], { error: says('must be "primary", "dr" or "both"') });

/** Every setting of a tier by its path, with its schema (no defaults here: a leaf left out is inherited). */
export const TIER_LEAVES = {
  rpoMinutes: rpoMinutesSchema,
  'retention.hourly': counts.hourly.unwrap(),
  'retention.daily': counts.daily.unwrap(),
  'retention.weekly': counts.weekly.unwrap(),
  'retention.monthly': counts.monthly.unwrap(),
  'retention.minKeep': counts.minKeep.unwrap(),
  'export.enabled': z.boolean(),
  'export.minTier': minTierSchema,
  'drill.enabled': z.boolean(),
  'drill.everyDays': whole(1, 366, 'a drill every 1 to 366 days, e.g. 7 for weekly'),
  'drill.rtoMinutes': whole(1, 10080, 'minutes from drill start to a verified restore, e.g. 60'),
  'drill.where': DRILL_WHERE_SCHEMA,
  'drill.fromVault': z.boolean(),
  'vault.enabled': z.boolean(),
  'vault.retentionDays': vaultDaysSchema,
} as const;

/** A setting of a tier, by path: `rpoMinutes`, `retention.daily`. */
export type TierLeaf = keyof typeof TIER_LEAVES;
/** The leaves in the order they are printed. */
export const TIER_LEAF_NAMES = Object.keys(TIER_LEAVES) as TierLeaf[];
/** A leaf's value. */
export type TierValue = number | boolean | string;

/**
 * What a leaf is when no level sets it; `rpoMinutes` has none (each tier
 * must say its RPO, at the root or below). Retention counts are the plans'
 * defaults; export, drills and the vault off unless a level turns them on.
 */
export const TIER_DEFAULTS: Readonly<Partial<Record<TierLeaf, TierValue>>> = {
  'retention.hourly': 24,
  'retention.daily': 7,
  'retention.weekly': 4,
  'retention.monthly': 12,
  'retention.minKeep': 3,
  'export.enabled': false,
  'export.minTier': 'hourly',
  'drill.enabled': false,
  'drill.everyDays': 7,
  'drill.rtoMinutes': 60,
  // The native snapshot, which needs no export; a deployment config's plans default to both (docs/org.md).
  'drill.where': 'primary',
  // The DR copies in the account's own DR bucket; true seeds the DR-region drill from the account's vault replica.
  'drill.fromVault': false,
  'vault.enabled': false,
  'vault.retentionDays': 35,
};

/** The nested object schema of the leaves under one group (`retention`), each optional. */
function group<const P extends string>(prefix: P, description: string) {
  const shape = Object.fromEntries(
    TIER_LEAF_NAMES.filter((leaf) => leaf.startsWith(`${prefix}.`)).map((leaf) => [leaf.slice(prefix.length + 1), TIER_LEAVES[leaf].optional()]),
  );
  return z.strictObject(shape).optional().meta({ description });
}

/**
 * One level's settings of one tier (root, OU or account), every leaf
 * optional: `{ "rpoMinutes": 60, "retention": { "daily": 14 }, "vault": { "enabled": true } }`.
 */
export const tierOverrideSchema = z
  .strictObject({
    rpoMinutes: rpoMinutesSchema.optional(),
    retention: group('retention', 'Retention counts per GFS tier (hourly, daily, weekly, monthly) and minKeep.'),
    export: group('export', 'Export to S3 and copy to the DR region: enabled, minTier.'),
    drill: group(
      'drill',
      'Restore drills: enabled, everyDays, rtoMinutes, where (primary, dr or both), fromVault (the DR drill seeds from the vault replica).',
    ),
    vault: group('vault', "Replicas into the organization's vault: enabled, retentionDays."),
  })
  .meta({ description: 'Settings of one tier at this level; each one left out is inherited from the level above.' });

/** One level's settings of one tier. */
export type TierOverride = z.infer<typeof tierOverrideSchema>;

/**
 * A tier's name: lowercase, and not a GFS tier (`hourly`…), which the
 * snapshots' own `redis-dr:tier` tag uses, so that a name means one thing.
 */
export const tierNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, { error: says('must be 1-32 lowercase letters, digits or hyphens, starting with a letter', 'e.g. "gold"') })
  .refine((name) => !(TIERS as readonly string[]).includes(name), {
    error: says('is a recovery-point tier name (hourly, daily, weekly, monthly)', 'name protection tiers otherwise, e.g. gold, silver, bronze'),
  });

/** The leaves a level sets, flattened: `{ "retention.daily": 14 }`. */
export function leavesOf(override: TierOverride): Partial<Record<TierLeaf, TierValue>> {
  const out: Partial<Record<TierLeaf, TierValue>> = {};
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    if (typeof value === 'object') {
      for (const [inner, v] of Object.entries(value as Record<string, TierValue | undefined>)) if (v !== undefined) out[`${key}.${inner}` as TierLeaf] = v;
    } else out[key as TierLeaf] = value;
  }
  return out;
}
