/**
 * The plan settings a Lambda acts on, each declared once: the deployment
 * config's schema (lib/config/schema.ts) builds a plan from these objects,
 * and the Lambdas' inputs (plan-input.ts, the drill input, the copy
 * verification's settings) parse what the schedules send with the same
 * objects. So a setting has one range, one meaning and one message,
 * `<path> <what is wrong>, got <value>: <fix>`, whether the config or an
 * event carries it. Pure.
 *
 * The one way settings reach a Lambda is its input: the schedule's (or the
 * state machine task's) payload, built from the validated config by
 * lib/deployment.ts. Environment variables carry wiring only (topic ARNs,
 * the deployment name, tuning), never a plan setting.
 */
import { z } from 'zod';
import { defaultMessage, inputProblems, says } from './problems.js';
import { TIERS } from './types.js';

/** Default `collapseThresholdPct`: a drop of more than half the keys (or bytes) trips (domain collapse.ts). */
export const DEFAULT_COLLAPSE_THRESHOLD_PCT = 50;

/** Retention counts per tier, as a plan's `retention` gives them. */
export interface TierCounts {
  readonly hourly: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
}

/** Retention counts of a plan that gives none. */
export const DEFAULT_RETENTION_COUNTS: TierCounts = { hourly: 24, daily: 7, weekly: 4, monthly: 12 };

/**
 * A whole-number setting with a lower bound and a default; `fix` says what to
 * do instead of going below it (every count gets a reason and a fix).
 */
export const count = (min: number, dflt: number, description: string, fix: string) =>
  z
    .number({
      error: says('must be a number', (input) =>
        typeof input === 'string' && /^\s*-?\d+\s*$/.test(input) ? `write ${input.trim()} without quotes` : `write a whole number like ${dflt}`,
      ),
    })
    .int({ error: says('must be a whole number', `write a whole number like ${dflt}`) })
    .min(min, { error: says(`must be >= ${min}`, fix) })
    .default(dflt)
    .meta({ description });

/**
 * `collapseThresholdPct`: the keyspace-collapse tripwire (domain
 * collapse.ts). The config adds its default ({@link DEFAULT_COLLAPSE_THRESHOLD_PCT}).
 */
export const collapseThresholdPctSchema = z
  .number({ error: says('must be a number', `write a percentage like ${DEFAULT_COLLAPSE_THRESHOLD_PCT}`) })
  .min(0, { error: says('must be >= 0', 'set a percentage within 0..100; 100 pages only on an empty keyspace') })
  .max(100, { error: says('must be <= 100', 'set a percentage within 0..100; 100 pages only on an empty keyspace') });

/**
 * Checks a `collapseThresholdPct` that did not come through a schema (an
 * option, an argument) with {@link collapseThresholdPctSchema}.
 * @param field what the reader wrote it as, e.g. `--collapse-threshold-pct`
 * @throws Error naming the field, the value and the fix
 */
export function checkCollapseThresholdPct(value: unknown, field = 'collapseThresholdPct'): number {
  const parsed = collapseThresholdPctSchema.safeParse(value, { error: defaultMessage });
  if (!parsed.success)
    throw new Error(
      `${field} ${inputProblems(parsed.error)
        .map((p) => p.replace(/^input /, ''))
        .join('; ')}`,
    );
  return parsed.data;
}

/**
 * A `collapseThresholdPct` as a command line gives it (text): a number
 * written as one is checked as that number, anything else as the text it
 * is, so the option and the config say the same words for the same value.
 * @param field the option, e.g. `--collapse-threshold-pct`
 * @throws Error naming the field, the value and the fix
 */
export function parseCollapseThresholdPct(text: string, field: string): number {
  const n = Number(text);
  return checkCollapseThresholdPct(text.trim() !== '' && Number.isFinite(n) ? n : text, field);
}

/** `rpoMinutes`: the recovery point objective. */
export const rpoMinutesSchema = z
  .number()
  .int()
  .min(5, { error: says('must be >= 5') })
  .meta({ description: 'Recovery point objective: alarm when the newest recovery point is older. At least the longest gap between scheduled runs.' });

/** A tier a plan exports (and drills, prunes around) from: `export.minTier`. */
export const minTierSchema = z.enum(TIERS, { error: says(`must be one of ${TIERS.join(', ')}`) });

/**
 * A plan's retention counts (config `retention`, the prune input's
 * `retention`, `redis-dr retention plan --policy`): keep the newest N of
 * each tier, and never fewer than `minKeep` available snapshots.
 */
export const retentionCountsSchema = z.strictObject({
  hourly: count(
    0,
    DEFAULT_RETENTION_COUNTS.hourly,
    'Keep the newest N recovery points of tier hourly or higher.',
    'set 0 to keep no hourly recovery points beyond the other tiers',
  ),
  daily: count(
    1,
    DEFAULT_RETENTION_COUNTS.daily,
    'Keep the newest N recovery points of tier daily or higher.',
    'keep at least the newest daily recovery point (set 1); to keep fewer hourly ones, lower hourly instead',
  ),
  weekly: count(
    0,
    DEFAULT_RETENTION_COUNTS.weekly,
    'Keep the newest N recovery points of tier weekly or higher.',
    'set 0 to keep no weekly recovery points beyond the other tiers',
  ),
  monthly: count(
    0,
    DEFAULT_RETENTION_COUNTS.monthly,
    'Keep the newest N monthly recovery points.',
    'set 0 to keep no monthly recovery points beyond the other tiers',
  ),
  minKeep: count(1, 3, 'Never delete the newest N available snapshots of a target.', 'the newest snapshot of a target is never deleted: set 1 or more'),
});
/** A plan's retention counts, validated. */
export type RetentionCounts = z.infer<typeof retentionCountsSchema>;

/** `retention.maxDeletesPerTarget`: deletions per target per prune run. */
export const maxDeletesPerTargetSchema = count(
  1,
  10,
  'Delete at most N snapshots of one target per prune run (oldest first); the rest waits for the next run.',
  'set 1 or more; to delete nothing, set retention.dryRun to true',
);

/** `export.maxStartsPerRun`: exports started per reconciler run. */
export const maxStartsPerRunSchema = count(
  1,
  5,
  'Exports started per run at most (newest first); the rest wait for the next run.',
  'set 1 or more; to export nothing, set export.enabled to false',
);

/** Days of Object Lock COMPLIANCE retention in the vault (`vault.retentionDays`, `vault.tierRetentionDays.<tier>`). */
export const vaultDaysSchema = z
  .number({ error: says('must be a number of days') })
  .int({ error: says('must be a whole number of days') })
  .min(1, { error: says('must be at least 1') })
  .max(36500, { error: says('must be at most 36500 (100 years)') });

/**
 * What the copy verification (verify-rdb, DR and vault) needs of the plans:
 * the verify state machine's task sends it with every invocation
 * (lib/constructs/dr-copies.ts, built by lib/deployment.ts `copyVerificationSettings`).
 */
export const copyVerificationSettingsSchema = z.strictObject({
  /** Each plan's `collapseThresholdPct`, by plan name (the copies' `redis-dr:plan` tag); a plan not named: the default. */
  collapseThresholdPct: z.record(z.string().min(1), collapseThresholdPctSchema),
  /**
   * The vault only: each tier's COMPLIANCE days (`vault.retentionDays` and
   * `vault.tierRetentionDays`, resolved). Absent: the DR copies, whose
   * retention the verifier does not touch.
   */
  vaultRetentionDays: z
    .strictObject(Object.fromEntries(TIERS.map((t) => [t, vaultDaysSchema])) as Record<(typeof TIERS)[number], typeof vaultDaysSchema>)
    .optional(),
});
/** The settings of {@link copyVerificationSettingsSchema}. */
export type CopyVerificationSettings = z.infer<typeof copyVerificationSettingsSchema>;
