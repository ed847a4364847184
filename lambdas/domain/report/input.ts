import { z } from 'zod';
import { targetSelectionSchema } from '../plans/plan-input.js';
import { accountRegionPrefix, orgEvidenceSchema } from '../points/account-prefix.js';

/**
 * What the DR report of an ElastiCache deployment reads, and where: the
 * regions, buckets, state machines and alarms of the deployment, and per plan
 * its targets and the limits its controls are judged against. Built from the
 * validated config by lib/deployment.ts (`reportRunInput`) for the scheduled
 * report function and for `redis-dr report -c`, so both read the same.
 */

const isoInstant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 instant' });

/** One plan: its targets and the limits of its controls. */
export const reportPlanSchema = z.strictObject({
  plan: z.string().min(1),
  targets: targetSelectionSchema,
  rpoMinutes: z.number().int().positive(),
  /** The plan's time zone: days of the RPO attainment are counted in it. */
  timeZone: z.string().min(1),
  /** The longest any recovery point of the plan is kept, in days (retention counts × tier length). */
  retentionDays: z.number().nonnegative(),
  /** The plan exports snapshots to the DR region (its cross-region copy). */
  exports: z.boolean(),
  /** Newest verified DR copy's allowed age, minutes (RPO + the export's allowance). */
  drCopyLimitMinutes: z.number().int().positive(),
  /** The plan's drill RTO target, seconds; absent when the plan runs no drill. */
  rtoTargetSeconds: z.number().positive().optional(),
  /** The plan's maximum retention, days (config `maxRetentionDays`): copies older are listed and judged with their hold. */
  maxRetentionDays: z.number().int().positive().optional(),
});

/** Input of the report job (scheduled function and CLI). */
export const reportInputSchema = z.strictObject({
  deployment: z.string().min(1),
  primaryRegion: z.string().min(1),
  drRegion: z.string().min(1),
  /** The DR bucket: the DR copies, and where scheduled reports are written. */
  drBucket: z.string().min(3),
  /** The vault bucket, when the config has a vault. */
  vault: z
    .strictObject({
      bucket: z.string().min(3),
      region: z.string().min(1),
      account: z.string().regex(/^\d{12}$/),
      /**
       * false: the reader has no access to the vault (the scheduled function: the vault bucket lets no
       * workload principal read), so its controls are not applicable here, with the command that reports them.
       */
      read: z.boolean().optional(),
    })
    .optional(),
  /**
   * A vault of an organization (config `vault.organizationId`): the DR bucket's account, under whose
   * `<account>/<region>/` prefix (domain/points/account-prefix.ts) the scheduled report is written too,
   * the prefix the DR bucket replicates into the vault.
   */
  orgEvidence: orgEvidenceSchema.optional(),
  plans: z.array(reportPlanSchema),
  /**
   * The separate drill account (config `drillAccount`): its drills are read from their signed records under
   * `drills/<region>/<plan>/` of its own bucket, which lets the workload account read that prefix only.
   */
  drillAccount: z
    .strictObject({
      account: z.string().regex(/^\d{12}$/),
      region: z.string().min(1),
      bucket: z.string().min(3),
      /** The plans that drill there. */
      plans: z.array(z.string().min(1)),
    })
    .optional(),
  /** The drill state machines by region, for the regions where a plan drills. */
  drillStateMachineArns: z.strictObject({ primary: z.string().optional(), dr: z.string().optional() }),
  /** Every alarm of the deployment starts with it. */
  alarmPrefix: z.string().min(1),
  /** Retention every cache must reach for the retention control, days. */
  minRetentionDays: z.number().int().positive(),
  /** Where the backup policy document is kept (config `report.policyDocument`): the report links to it. */
  policyDocument: z.string().min(1).optional(),
  /** The period (scheduled: the week or month that just ended; see `reportPeriod`). */
  period: z.enum(['weekly', 'monthly']).optional(),
  /** The scheduled time (EventBridge Scheduler's `<aws.scheduler.scheduled-time>`), the end of the period. */
  scheduledTime: isoInstant.optional(),
});
export type ReportInput = z.infer<typeof reportInputSchema>;
export type ReportPlan = z.infer<typeof reportPlanSchema>;

const DAY = 86_400_000;

/**
 * The period a scheduled report covers, ending at `at`: the 7 days before it
 * (weekly) or the calendar month before it in UTC (monthly: a schedule on the
 * 1st covers the whole previous month).
 */
export function reportPeriod(period: 'weekly' | 'monthly', at: Date): { since: Date; until: Date } {
  if (period === 'weekly') return { since: new Date(at.getTime() - 7 * DAY), until: at };
  const since = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, at.getUTCDate(), at.getUTCHours(), at.getUTCMinutes()));
  return { since, until: at };
}

/** Where a report of `until` is written in a bucket: `reports/<period>/<yyyy-mm-ddThhmmZ>/report.{html,json}` and `csv/…`. */
export function reportKeyPrefix(period: 'weekly' | 'monthly' | 'on-demand', until: Date): string {
  const stamp = until.toISOString().slice(0, 16).replace(':', '');
  return `${REPORTS_PREFIX}${period}/${stamp}Z/`;
}

/**
 * Where the organization's copy of a deployment's reports is written in the
 * DR bucket (and lands in the vault by replication): `<account>/<region>/`
 * (domain/points/account-prefix.ts), before {@link reportKeyPrefix}: the
 * layout `redis-dr report --org` reads (domain/org/rollup.ts). Empty without
 * `orgEvidence` (no organization: the reports under `reports/` replicate).
 */
export function orgReportRoot(input: Pick<ReportInput, 'orgEvidence' | 'drRegion'>): string {
  return input.orgEvidence ? accountRegionPrefix(input.orgEvidence.account, input.drRegion) : '';
}

/**
 * Where this deployment's export replicas lie in an organization's vault:
 * `<account>/<primary region>/`, the prefix the export function copies each
 * shard under (lib/deployment.ts vaultDrillPrefix); empty without
 * `orgEvidence` (the replicas are at the vault bucket's root).
 */
export function orgReplicaRoot(input: Pick<ReportInput, 'orgEvidence' | 'primaryRegion'>): string {
  return input.orgEvidence ? accountRegionPrefix(input.orgEvidence.account, input.primaryRegion) : '';
}

/** The prefix reports are written under, in the DR bucket and the vault bucket. */
export const REPORTS_PREFIX = 'reports/';
