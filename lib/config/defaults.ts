/**
 * Limits and defaults of the deployment config, each declared once: the
 * schema, the cross-field checks, the constructs and the docs read them here.
 */
import type { TierCounts } from '../../lambdas/domain/plans/settings.js';
import { REGION_NAMES } from './regions.js';

/**
 * At most 20 manual snapshots per node in a rolling 24 h.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups.html#backups-constraints
 */
export const MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY = 20;
/**
 * At most 24 snapshots per serverless cache in a rolling 24 h.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups.html#backups-constraints
 */
export const MAX_SERVERLESS_SNAPSHOTS_PER_DAY = 24;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Prune schedule used when a plan's retention gives none: every hour at :30. */
export const DEFAULT_PRUNE_CRON = 'cron(30 * * * ? *)';

/** Drill schedule used when a plan's drill gives none: Sundays 04:00. */
export const DEFAULT_DRILL_CRON = 'cron(0 4 ? * SUN *)';

/** Export reconciler schedule used when a plan's export gives none: every 15 minutes. */
export const DEFAULT_EXPORT_CRON = 'cron(0/15 * * * ? *)';

/** How far ahead schedules are simulated: long enough for monthly patterns and both DST changes. */
export const HORIZON_DAYS = 400;

/** Regions aws-cdk-lib knows (its region facts, as lib/config/regions.ts snapshots them), sorted. */
export const KNOWN_REGIONS = REGION_NAMES;
/** Regions suggested when a region is not recognised at all. */
export const REGION_SUGGESTIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

/** Time zone of a schedule that names none. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** Drill verification defaults (`drill.verify`), declared where the CLI reads them without loading the CDK. */
export { DEFAULT_DRILL_SAMPLE_SIZE, DEFAULT_KEY_COUNT_TOLERANCE_PCT } from '../../lambdas/domain/drills/defaults.js';

/** Where a plan's drills run when `drill.where` is not given. */
export const DEFAULT_DRILL_WHERE = 'both';

/** Values of `drill.where`. */
export const DRILL_WHERE = ['primary', 'dr', 'both'] as const;

/** Keyspace-collapse threshold (`collapseThresholdPct`), declared with the tripwire it configures. */
export { DEFAULT_COLLAPSE_THRESHOLD_PCT } from '../../lambdas/domain/plans/collapse.js';

/** Retention counts per tier, declared with the schema the config and the prune Lambda share. */
export { DEFAULT_RETENTION_COUNTS, type TierCounts } from '../../lambdas/domain/plans/settings.js';
/**
 * Days exported copies of each tier are kept in S3: the plan's
 * `export.expireDays`, else what its retention counts imply (hourly
 * ceil(hourly/24)+1, daily daily+1, weekly 7*weekly+1, monthly 31*monthly+1).
 * The schema fills the defaults with it and the vault check compares against it.
 */
export function tierExpireDays(counts: TierCounts, given: Partial<TierCounts>): TierCounts {
  return {
    hourly: given.hourly ?? Math.ceil(counts.hourly / 24) + 1,
    daily: given.daily ?? counts.daily + 1,
    weekly: given.weekly ?? 7 * counts.weekly + 1,
    monthly: given.monthly ?? 31 * counts.monthly + 1,
  };
}
