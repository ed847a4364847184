import { z } from 'zod';
import {
  collapseThresholdPctSchema,
  maxDeletesPerTargetSchema,
  maxStartsPerRunSchema,
  minTierSchema,
  retentionCountsSchema,
  rpoMinutesSchema,
} from './settings.js';
import type { RetentionPolicy } from './types.js';

/**
 * Input the scheduled Lambdas receive from EventBridge Scheduler. The CDK
 * constructs build it from the validated config (lib/deployment.ts); handlers
 * parse it with these schemas, whose plan settings are the config's own
 * objects (settings.ts): one range and one message per setting.
 */

/**
 * Which caches a plan backs up (same shape as the config's `targets`; drill inputs take it too): explicit ids, every
 * cache carrying all of `selectByTags`, and every cache of the region without the tag key `selectWithoutTag` (an
 * organization's default tier: docs/org.md), each a union with the others.
 */
export const targetSelectionSchema = z.strictObject({
  replicationGroupIds: z.array(z.string()).default([]),
  serverlessCacheNames: z.array(z.string()).default([]),
  selectByTags: z.record(z.string(), z.string()).default({}),
  selectWithoutTag: z.string().min(1).optional(),
});
export type TargetSelection = z.infer<typeof targetSelectionSchema>;

/** The label of a plan's run-time selection (tags, or the caches without a tag) where a failed lookup is reported. */
export const RUN_TIME_SELECTION = 'selection';

/**
 * The plan selects caches at run time (by tags, or those without a tag key), not only by the ids it lists: its
 * targets are known only by looking, and its copies are found by listing every `rdr-` name.
 */
export function selectsAtRunTime(targets: { readonly selectByTags?: Readonly<Record<string, string>>; readonly selectWithoutTag?: string }): boolean {
  return Object.keys(targets.selectByTags ?? {}).length > 0 || targets.selectWithoutTag !== undefined;
}

/** The plan's run-time selection in words (`caches tagged k=v`, `caches without a <key> tag`), for reports and policies. */
export function runTimeSelectionWords(targets: { readonly selectByTags?: Readonly<Record<string, string>>; readonly selectWithoutTag?: string }): string[] {
  return [
    ...Object.entries(targets.selectByTags ?? {}).map(([k, v]) => `caches tagged ${k}=${v}`),
    ...(targets.selectWithoutTag !== undefined ? [`caches without a ${targets.selectWithoutTag} tag`] : []),
  ];
}

/** An ISO-8601 instant (the Scheduler's `<aws.scheduler.scheduled-time>`, filled in at run time). */
export const isoInstant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 instant' });

/** Input of the snapshot Lambda, one invocation per plan per tick. */
export const snapshotRunInputSchema = z.strictObject({
  /** Deployment (config `name`): snapshots carry it, so two deployments never touch each other's. */
  deployment: z.string().min(1),
  plan: z.string().min(1),
  targets: targetSelectionSchema,
  timeZone: z.string().min(1),
  /** Seconds the run may spend retrying busy or throttled targets. */
  budgetSeconds: z.number().int().positive(),
  /** `<aws.scheduler.scheduled-time>`; absent on manual invocations (then: now). */
  scheduledTime: isoInstant.optional(),
  /** Probe each replication group before its snapshot (canary + key count); absent: no probe. */
  probe: z.strictObject({ authSecretArn: z.string().optional() }).optional(),
  /** The plan's `collapseThresholdPct` (keyspace-collapse tripwire); absent: the default, 50. */
  collapseThresholdPct: collapseThresholdPctSchema.optional(),
});
export type SnapshotRunInput = z.infer<typeof snapshotRunInputSchema>;

/** Input of the prune Lambda, one invocation per plan per tick. */
export const pruneRunInputSchema = z.strictObject({
  deployment: z.string().min(1),
  plan: z.string().min(1),
  targets: targetSelectionSchema,
  timeZone: z.string().min(1),
  rpoMinutes: rpoMinutesSchema,
  retention: retentionCountsSchema,
  /** The plan exports this tier and higher: the newest such snapshot not yet exported is kept. */
  exportMinTier: minTierSchema.optional(),
  dryRun: z.boolean(),
  /** Deletions per target per run; the rest waits for the next run. */
  maxDeletesPerTarget: maxDeletesPerTargetSchema,
  budgetSeconds: z.number().int().positive(),
  scheduledTime: isoInstant.optional(),
});
export type PruneRunInput = z.infer<typeof pruneRunInputSchema>;

/** The retention policy a prune input applies (the Lambda, `prune --dry-run` and `retention plan` alike). */
export function retentionPolicyOf(input: Pick<PruneRunInput, 'retention' | 'rpoMinutes' | 'timeZone' | 'exportMinTier'>): RetentionPolicy {
  return { ...input.retention, rpoMinutes: input.rpoMinutes, timeZone: input.timeZone, exportMinTier: input.exportMinTier, keepCollapsed: true };
}

/** Input of the freshness monitor, one invocation per region per tick (all plans of the deployment). */
export const freshnessInputSchema = z.strictObject({
  deployment: z.string().min(1),
  /** Which ages this region measures: primary (snapshots, exports, primary drills) or dr (verified copies, DR drills). */
  where: z.enum(['primary', 'dr']),
  plans: z.array(
    z.strictObject({
      plan: z.string().min(1),
      targets: targetSelectionSchema,
      /** Measure exported copies (primary) / verified copies (dr). */
      exports: z.boolean(),
      /** Measure the last successful drill in this region. */
      drills: z.boolean(),
      /**
       * Primary: the plan's snapshot schedule. A target with no snapshot yet
       * is measured from the first snapshot it fires after the schedule group
       * was created (`scheduleGroupArn`).
       */
      snapshotSchedule: z.strictObject({ cron: z.string().min(1), timeZone: z.string().min(1) }).optional(),
    }),
  ),
  /**
   * Primary: the deployment's schedule group. Its creation is when snapshot
   * protection started. Absent: a target with no snapshot yet has no data point.
   */
  scheduleGroupArn: z.string().optional(),
  /** DR: the bucket with the copies. */
  bucket: z.string().min(3).optional(),
  /**
   * The drill state machine of this region, when drills run here. Its
   * creation is when drill protection started: the drill age of a plan with
   * no succeeded drill yet is measured from it.
   */
  drillStateMachineArn: z.string().optional(),
  /**
   * DR: the verify state machine. Its creation is when copy protection
   * started: the verified-copy age of a target with no verified copy yet is
   * measured from it. Absent: such a target has no data point.
   */
  verifyStateMachineArn: z.string().optional(),
  /**
   * The vault: a copy is verified only by the vault verifier's verdict object
   * naming its current version (domain/vault/vault-verdict.ts); verdict
   * tags are not trusted (replication copies them from the workload account).
   */
  vaultVerdicts: z.boolean().optional(),
  /**
   * An organization's vault (config `vault.organizationId`): the member accounts that must replicate into it, each
   * measured by the newest replica under its own `<account>/<region>/rdr-` (one bounded listing per account, never
   * the bucket's root): {@link METRIC.vaultAccountReplicaAge} with dimension `Account`.
   */
  vaultAccounts: z
    // A 12-digit id, as points/account-prefix.ts's orgEvidenceSchema (points/ stands above plans/: docs/layer-order.json).
    .array(z.strictObject({ account: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit account id' }), region: z.string().min(1) }))
    .optional(),
  /**
   * The scheduled scrub of `bucket` (the DR scrub, the vault's): the age of its newest record under `prefix` (the
   * key's time), `ScrubRecordAgeSeconds` with dimension `Bucket`. None yet: counted from the creation of its schedule
   * (`scheduleArn`, GetSchedule); a schedule that does not exist gives no data point. Without `scheduleArn` (`redis-dr
   * status`, which reads no schedule), none yet is a gap.
   */
  scrub: z.strictObject({ prefix: z.string().min(1), scheduleArn: z.string().min(1).optional() }).optional(),
  /**
   * List every cache of the region and emit `UnprotectedCaches` (the
   * coverage inventory: caches no plan names that could be protected).
   * Plans name primary-region caches, so in the DR region every cache but
   * redis-dr's own drill caches counts.
   */
  coverage: z.boolean().optional(),
  budgetSeconds: z.number().int().positive(),
  scheduledTime: isoInstant.optional(),
});
export type FreshnessInput = z.infer<typeof freshnessInputSchema>;

/** Input of the export Lambda, one invocation per plan per tick. */
export const exportRunInputSchema = z.strictObject({
  deployment: z.string().min(1),
  plan: z.string().min(1),
  targets: targetSelectionSchema,
  /** Export recovery points of this tier or higher. */
  minTier: minTierSchema,
  /** The export bucket (same region as the snapshots). */
  bucket: z.string().min(3),
  /** Exports started per run at most; the rest wait for the next run. */
  maxStartsPerRun: maxStartsPerRunSchema,
  budgetSeconds: z.number().int().positive(),
  /**
   * A vault of an organization (config `vault.organizationId`): `<account>/<region>/` of the export bucket
   * (lambdas/domain/points/account-prefix.ts builds it; the job refuses another shape). Each finished export's
   * shards are copied there, the prefix the export bucket replicates into the organization's vault.
   */
  orgRoot: z.string().min(1).optional(),
  scheduledTime: isoInstant.optional(),
});
export type ExportRunInput = z.infer<typeof exportRunInputSchema>;
