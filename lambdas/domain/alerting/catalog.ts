/**
 * The on-call contract, in one place: every alarm kind with its title,
 * severity, runbook, metric and what docs/alerts.md says about it. The
 * monitoring constructs build alarms from it, the alert formatter and the
 * Lambdas' pages read it, `status` and docs/alerts.md (generated, checked by a
 * test) too. Pure.
 *
 * A kind without a runbook, with a runbook file that is not in
 * {@link RUNBOOKS}, or with an unknown severity does not compile.
 */
import { METRIC } from './metrics.js';
import { VAULT_ARMING_GRACE_DAYS } from '../plans/vault-arming.js';

/** The runbooks on-call follows (repository paths; a test checks each exists). */
export const RUNBOOKS = {
  backupsStopped: 'docs/runbooks/backups-stopped.md',
  drCopies: 'docs/runbooks/dr-copies.md',
  restoreDrill: 'docs/runbooks/restore-drill.md',
  corruption: 'docs/runbooks/corruption.md',
  pipelineErrors: 'docs/runbooks/pipeline-errors.md',
  keyspaceCollapse: 'docs/runbooks/keyspace-collapse.md',
  flushAll: 'docs/runbooks/flushall.md',
} as const;

/** A runbook path. */
export type Runbook = (typeof RUNBOOKS)[keyof typeof RUNBOOKS];

/** How urgent an alarm is while in ALARM. */
export const ALARM_SEVERITIES = ['critical', 'high', 'warning'] as const;
/** A severity an alarm kind can have. */
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];
/**
 * The `severity` attribute of every page: an alarm's severity, `info` for a
 * report that needs no action (a passed drill), `ok` for a resolved alarm.
 */
export const PAGE_SEVERITIES = [...ALARM_SEVERITIES, 'info', 'ok'] as const;
/** A page's severity. */
export type AlertSeverity = (typeof PAGE_SEVERITIES)[number];

/** Which region's stack deploys a kind's alarms. */
export type AlarmRegion = 'primary' | 'dr' | 'both';

/** What one alarm kind means to on-call. */
export interface AlarmKind {
  /** Short phrase for subjects and headlines. */
  readonly title: string;
  /** Severity while in ALARM. */
  readonly severity: AlarmSeverity;
  /** What on-call follows. */
  readonly runbook: Runbook;
  /**
   * The metric the alarm watches: `namespace: 'project'` for ours (the
   * deployment's `metricsNamespace`), else the AWS namespace. `names` are the
   * metric names that identify the kind when an alarm's name does not.
   */
  readonly metric: { readonly namespace: 'project' | `AWS/${string}`; readonly names: readonly string[]; readonly dimensions: string };
  /** Freshness kinds: what the age measures (ages page with the age of the last good one). */
  readonly freshness?: string;
  /** `resource` kinds are about a function, queue or schedule group, not a plan. */
  readonly scope: 'plan' | 'resource';
  /** For docs/alerts.md: where, when, missing data, likely causes, first steps. */
  readonly doc: {
    readonly region: string;
    readonly fires: string;
    /** `breaching`, `not breaching`, or per region when they differ. */
    readonly missingData: 'breaching' | 'not breaching' | `kept (${string})` | `primary: ${string}; DR: ${string}`;
    readonly causes: string;
    readonly firstSteps: string;
  };
}

/** The alarm kinds, by the `<kind>` part of alarm names (docs/alerts.md lists them in this order). */
export const ALARM_KINDS = {
  'recovery-point-age': {
    title: 'no new recovery point',
    severity: 'critical',
    runbook: RUNBOOKS.backupsStopped,
    metric: { namespace: 'project', names: [METRIC.recoveryPointAge], dimensions: '{Plan}, max' },
    freshness: 'recovery point (snapshot)',
    scope: 'plan',
    doc: {
      region: 'primary',
      fires: "the newest available snapshot of a target is older than the plan's RPO",
      missingData: 'breaching',
      causes: 'snapshots failing or not scheduled, quota, cache busy for hours',
      firstSteps: 'snapshot Lambda errors and logs; `aws scheduler get-schedule`; take a manual snapshot',
    },
  },
  'snapshot-failed': {
    title: 'snapshots failing',
    severity: 'high',
    runbook: RUNBOOKS.backupsStopped,
    metric: { namespace: 'project', names: [METRIC.snapshotsFailed], dimensions: '{Plan}, sum' },
    scope: 'plan',
    doc: {
      region: 'primary',
      fires: 'a scheduled snapshot failed',
      missingData: 'not breaching',
      causes: 'quota, permissions, cache deleted or unavailable',
      firstSteps: "the run's error names each target and reason",
    },
  },
  'prune-held': {
    title: 'pruning held, backups failing',
    severity: 'warning',
    runbook: RUNBOOKS.backupsStopped,
    metric: { namespace: 'project', names: [METRIC.pruneHeld], dimensions: '{Plan}, sum' },
    scope: 'plan',
    doc: {
      region: 'primary',
      fires: 'pruning refused by a safety rail (newest snapshot failed or older than RPO)',
      missingData: 'kept (the state holds between the prune runs that count it)',
      causes: 'backups are failing: nothing is deleted until they recover',
      firstSteps: 'fix the snapshots first',
    },
  },
  'prune-failed': {
    title: 'snapshot deletion failing',
    severity: 'warning',
    runbook: RUNBOOKS.backupsStopped,
    metric: { namespace: 'project', names: [METRIC.snapshotDeleteFailed], dimensions: '{Plan}, sum' },
    scope: 'plan',
    doc: {
      region: 'primary',
      fires: 'a prune run could not list or delete a snapshot (retried next run)',
      missingData: 'not breaching',
      causes: 'permissions (the tag condition), a snapshot in use, an API fault',
      firstSteps: "the prune Lambda's error names each snapshot and reason; `redis-dr prune -c config/<env>.json --plan <plan> --dry-run`",
    },
  },
  'snapshots-untagged': {
    title: 'snapshots without ownership tags',
    severity: 'warning',
    runbook: RUNBOOKS.backupsStopped,
    metric: { namespace: 'project', names: [METRIC.snapshotsUntagged], dimensions: '{Plan}, max' },
    scope: 'plan',
    doc: {
      region: 'primary',
      fires: '`rdr-` snapshots of a target carry no tags the Tagging API returns: they are never pruned',
      missingData: 'kept (the state holds between the prune runs that count it)',
      causes: 'snapshots made by hand with our naming, tags removed, a Tagging API blind spot',
      firstSteps: '`aws elasticache list-tags-for-resource` on the snapshot; tag or delete it by hand',
    },
  },
  'exported-copy-age': {
    title: 'exports stalled',
    severity: 'high',
    runbook: RUNBOOKS.drCopies,
    metric: { namespace: 'project', names: [METRIC.exportedCopyAge], dimensions: '{Plan}, max' },
    freshness: 'exported copy',
    scope: 'plan',
    doc: {
      region: 'primary',
      fires: 'the newest exported copy is older than RPO + 120 min',
      missingData: 'breaching',
      causes: 'export Lambda failing, bucket policy, half-finished exports',
      firstSteps: 'export Lambda errors; `ExportsFailed`; the bucket policy for `<region>.elasticache-snapshot.amazonaws.com`',
    },
  },
  'export-failed': {
    title: 'exports failing',
    severity: 'high',
    runbook: RUNBOOKS.drCopies,
    metric: { namespace: 'project', names: [METRIC.exportsFailed], dimensions: '{Plan}, sum' },
    scope: 'plan',
    doc: {
      region: 'primary',
      fires: 'an export failed (retried every run)',
      missingData: 'not breaching',
      causes: 'permissions, bucket policy, `incomplete` exports',
      firstSteps: "the run's error names the snapshot and reason",
    },
  },
  'verified-copy-age': {
    title: 'no new verified DR copy',
    severity: 'high',
    runbook: RUNBOOKS.drCopies,
    metric: { namespace: 'project', names: [METRIC.verifiedCopyAge], dimensions: '{Plan}, max' },
    freshness: 'verified DR copy',
    scope: 'plan',
    doc: {
      region: 'dr',
      fires: 'the newest complete, verified DR copy is older than RPO + 120 min',
      missingData: 'breaching',
      causes: 'replication stopped, verification failing, exports stopped',
      firstSteps: "S3 replication metrics; verify-rdb errors; the primary's `exported-copy-age`",
    },
  },
  'replication-failed': {
    title: 'S3 replication failing',
    severity: 'high',
    runbook: RUNBOOKS.drCopies,
    metric: { namespace: 'AWS/S3', names: ['OperationsFailedReplication'], dimensions: '{SourceBucket, DestinationBucket, RuleId}' },
    scope: 'plan',
    doc: {
      region:
        'primary: the rule to the DR bucket with `dr.replicationTimeControl` or `dr.replicationMetrics`; the rule into the vault (`replication-failed-vault`) always',
      fires: 'S3 could not replicate an exported copy (to the DR bucket, or into the vault)',
      missingData: 'not breaching',
      causes: 'permissions of the replication role, the DR or vault bucket policy, Object Lock settings, the vault stack not deployed yet',
      firstSteps: 'S3 replication metrics; re-copy failed objects with S3 Batch Replication',
    },
  },
  'keyspace-collapsed': {
    title: 'keyspace collapsed',
    severity: 'critical',
    runbook: RUNBOOKS.keyspaceCollapse,
    metric: { namespace: 'project', names: [METRIC.keyspaceCollapsed], dimensions: '{Plan} (primary) or {Bucket} (DR), max' },
    scope: 'plan',
    doc: {
      region: 'both',
      fires:
        "a recovery point's key count (or size) dropped past the plan's collapseThresholdPct against the fullest good point of the same target in the last 7 days, so a slow drain trips too (0 keys always); the points before it are held from pruning and S3 expiry — a collapse is never silently rotated away",
      missingData:
        'kept (the state holds between the runs that count the collapses not released: the snapshot runs on the primary, each DR copy verification in the DR region)',
      causes:
        'an accidental FLUSHALL or FLUSHDB, a mass delete or expiry, a slow drain (a job deleting or expiring a share of the keys every hour), a deploy that wrote to the wrong database; rarely an intended cleanup',
      firstSteps:
        '`redis-dr status` shows the held points; confirm on the cache (DBSIZE); recover with `migrate --from-rdb` from the held point; then `redis-dr retention release`',
    },
  },
  'rdb-corrupt': {
    title: 'corrupt DR copy',
    severity: 'critical',
    runbook: RUNBOOKS.corruption,
    metric: { namespace: 'project', names: [METRIC.rdbCorrupt], dimensions: '{Bucket}, sum' },
    scope: 'plan',
    doc: {
      region: 'dr',
      fires: 'a DR copy failed RDB verification',
      missingData: 'not breaching',
      causes: 'corruption in export or transfer, a bug in a writer',
      firstSteps: "`redis-dr verify-rdb s3://<dr-bucket>/<key>`; compare with the export bucket's copy",
    },
  },
  'rdb-verify-errors': {
    title: 'DR copy verification failing',
    severity: 'warning',
    runbook: RUNBOOKS.drCopies,
    metric: { namespace: 'project', names: [METRIC.rdbVerifyErrors], dimensions: '{Bucket}, sum' },
    scope: 'plan',
    doc: {
      region: 'dr',
      fires: 'a verification could not finish',
      missingData: 'not breaching',
      causes: 'permissions, tagging refused',
      firstSteps: 'verify-rdb logs',
    },
  },
  'verify-failed': {
    title: 'DR copy verification gave up',
    severity: 'high',
    runbook: RUNBOOKS.drCopies,
    metric: { namespace: 'AWS/States', names: ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'], dimensions: 'of the verify state machine, sum' },
    scope: 'plan',
    doc: {
      region: 'dr',
      fires: 'a verification failed every retry, timed out or was aborted: that copy has no verdict',
      missingData: 'not breaching',
      causes: 'permissions, a copy replaced again and again while read, a Lambda timing out before a key boundary',
      firstSteps: 'the execution history of `redis-dr-<deployment>-verify-rdb` (its error and cause); verify-rdb logs',
    },
  },
  'scrub-age': {
    title: 'the daily scrub stopped',
    // Not high: every copy was verified on arrival and stays restorable; what stopped is the re-read that finds a
    // copy gone bad since, whose window (scrub.days) a few days' delay only widens. As rdb-verify-errors (a check
    // that could not run), not as rdb-corrupt (a copy found bad).
    severity: 'warning',
    runbook: RUNBOOKS.corruption,
    metric: { namespace: 'project', names: [METRIC.scrubRecordAge], dimensions: '{Bucket}, max' },
    freshness: 'scrub record',
    scope: 'plan',
    doc: {
      region: 'dr; vault account (`scrub-age-vault`: the vault scrub, where its freshness monitor runs)',
      fires:
        "the scrub's newest record (`scrub/redis-dr-scrub-<time>.json` in the DR bucket, `redis-dr-vault-scrub/redis-dr-scrub-<time>.json` in the vault's; the time in its key) is older than two daily runs + 60 min; a record dated after now past the clock skew is not taken (the run of the monitor fails naming it); before the first record, counted from the creation of the scrub's schedule",
      missingData: 'breaching',
      causes:
        'the scrub schedule disabled or deleted, its invoke role or the function broken before the run started (no invocation, so no lambda-errors), the freshness monitor dead',
      firstSteps:
        "`redis-dr doctor` (the scrub schedule's state); `aws scheduler get-schedule` in the DR schedule group; the DLQ; the scrub function's logs; run it once by hand",
    },
  },
  'vault-stale': {
    title: 'no new verified replica in the vault',
    severity: 'high',
    runbook: RUNBOOKS.drCopies,
    metric: {
      namespace: 'project',
      names: [METRIC.verifiedCopyAge, METRIC.vaultAccountReplicaAge],
      dimensions: '{Plan, Target} per named cache, {Plan} per tag-selected plan, max (vault account); {Account} per member account (organization vault)',
    },
    freshness: 'verified vault replica',
    scope: 'plan',
    doc: {
      region: 'vault account',
      fires:
        "the newest complete replica of a cache in the vault bucket with an `ok` verdict object of the vault's verifier (never a tag) is older than its plan's RPO + 120 min (one alarm per cache the config names, `vault-stale-<plan>-<cache>`; one per tag-selected plan, `vault-stale-<plan>`); measured by the vault's freshness monitor; a cache with no verified replica yet is counted from the arrival of the first replica of any cache in the vault (the switches arm with it, so workload stacks deployed days after the vault page nobody), and reports 0 until one has arrived, " +
        `for at most ${VAULT_ARMING_GRACE_DAYS} days after the vault's deploy: a vault that never receives a replica pages from then on. ` +
        "In a vault granted by organization (`vault.organizationId`), whose replicas lie under each account's prefix, one alarm per member account the org config lists whose tiers replicate (`vault-stale-account-<id>`, on `" +
        METRIC.vaultAccountReplicaAge +
        "` {Account}): the newest replica under `<account>/<primary region>/rdr-` (its arrival) is older than the longest RPO of the account's exporting tiers + 120 min; an account with no replica at all has no data point and pages (no grace: the org config says it replicates) (org.md)",
      missingData: 'breaching',
      causes:
        'exports of that cache (or of every cache of that account) stopped, the replication rule to the vault was removed or fails (role, bucket policy, KMS key), the export tags do not replicate, verification or its retention extension failing, the vault stack is not deployed; for an account: its member stacks were deleted, or the account is compromised or out',
      firstSteps:
        'the export bucket replication status (`aws s3api head-object` ReplicationStatus), the workload account export alarms, `verify-failed-vault` and the vault verify executions',
    },
  },
  'drill-failed': {
    title: 'restore drill failed',
    severity: 'high',
    runbook: RUNBOOKS.restoreDrill,
    metric: { namespace: 'AWS/States', names: ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'], dimensions: 'of the drill state machine, sum' },
    scope: 'plan',
    doc: {
      region: 'both (where drills run)',
      fires: 'a restore drill failed, timed out or was aborted',
      missingData: 'not breaching',
      causes: 'see the drill report',
      firstSteps: 'the SNS drill report; the execution history',
    },
  },
  'drill-rto': {
    title: 'drill RTO over objective',
    severity: 'warning',
    runbook: RUNBOOKS.restoreDrill,
    metric: { namespace: 'project', names: [METRIC.drillRtoSeconds], dimensions: '{Plan, Region}, max over 1 h' },
    scope: 'plan',
    doc: {
      region: 'both (where drills run)',
      fires: 'a drill passed but took longer than `drill.rtoMinutes` (start → data verified)',
      missingData: 'not breaching',
      causes: 'larger dataset, smaller node type, slow seeding from S3',
      firstSteps: "the drill report's timings; `drill.nodeType`",
    },
  },
  'drill-age': {
    title: 'no successful restore drill',
    severity: 'high',
    runbook: RUNBOOKS.restoreDrill,
    metric: { namespace: 'project', names: [METRIC.lastDrillAge], dimensions: '{Plan}, max' },
    freshness: 'successful restore drill',
    scope: 'plan',
    doc: {
      region: 'both (where drills run)',
      fires: 'no successful drill within the drill interval + `maxHours`',
      missingData: 'breaching',
      causes: 'drills failing or not scheduled (dead man)',
      firstSteps: 'the drill schedule; recent executions',
    },
  },
  'unprotected-caches': {
    title: 'caches no plan protects',
    severity: 'warning',
    runbook: RUNBOOKS.backupsStopped,
    metric: { namespace: 'project', names: [METRIC.unprotectedCaches], dimensions: 'no dimensions (per region), min over 1 day' },
    scope: 'resource',
    doc: {
      region: 'both',
      fires: 'a cache of the region that could be protected was in no plan at every hourly listing for a day',
      missingData: 'not breaching',
      causes: 'a new cache nobody added to a plan; a tag selection that no longer matches; a cache restored in the DR region after a failover',
      firstSteps: '`redis-dr status -c <config> --coverage` lists each cache with its plan; add the cache to a plan (or tag it for a selection)',
    },
  },
  'lambda-errors': {
    title: 'Lambda errors',
    severity: 'high',
    runbook: RUNBOOKS.pipelineErrors,
    metric: { namespace: 'AWS/Lambda', names: ['Errors'], dimensions: 'of each function' },
    scope: 'resource',
    doc: {
      region: 'both',
      fires: 'a function invocation threw',
      missingData: 'not breaching',
      causes: "see the function's logs",
      firstSteps: 'CloudWatch Logs of the function named in the alarm',
    },
  },
  'lambda-throttles': {
    title: 'Lambda throttled',
    severity: 'warning',
    runbook: RUNBOOKS.pipelineErrors,
    metric: { namespace: 'AWS/Lambda', names: ['Throttles'], dimensions: 'of each function' },
    scope: 'resource',
    doc: {
      region: 'both',
      fires: 'a function was throttled',
      missingData: 'not breaching',
      causes: 'account concurrency exhausted',
      firstSteps: 'Lambda concurrency in the account',
    },
  },
  'dlq-messages': {
    title: 'failed events in DLQ',
    severity: 'high',
    runbook: RUNBOOKS.pipelineErrors,
    metric: { namespace: 'AWS/SQS', names: ['ApproximateNumberOfMessagesVisible'], dimensions: 'of the dead-letter queue' },
    scope: 'resource',
    doc: {
      region: 'both',
      fires: 'scheduled work could not run',
      missingData: 'not breaching',
      causes: 'a function failing every retry, Scheduler unable to deliver',
      firstSteps: 'read the messages, fix, redrive',
    },
  },
  'scheduler-errors': {
    title: 'schedule target errors',
    severity: 'high',
    runbook: RUNBOOKS.pipelineErrors,
    metric: {
      namespace: 'AWS/Scheduler',
      names: ['TargetErrorCount', 'TargetErrorThrottledCount', 'InvocationDroppedCount', 'InvocationsFailedToBeSentToDeadLetterCount'],
      dimensions: '{ScheduleGroup}',
    },
    scope: 'resource',
    doc: {
      region: 'both',
      fires: 'Scheduler could not invoke a target',
      missingData: 'not breaching',
      causes: 'permissions of the schedule role, deleted target',
      firstSteps: "the schedule group's schedules and roles",
    },
  },
} as const satisfies Record<string, AlarmKind>;

/** A `<kind>` of alarm names. */
export type AlarmKindName = keyof typeof ALARM_KINDS;

/** Every alarm kind, in catalog order. */
export const ALARM_KIND_NAMES = Object.keys(ALARM_KINDS) as AlarmKindName[];

/**
 * Kinds of pages that are not one of our alarms: the drill report (every
 * drill), failed executions (through the formatter), an alarm whose name does
 * not follow ours, and events the formatter does not know.
 */
export const PAGE_KINDS = {
  'restore-drill': { runbook: RUNBOOKS.restoreDrill },
  'state-machine': { runbook: RUNBOOKS.restoreDrill },
  alarm: { runbook: RUNBOOKS.pipelineErrors },
  // A DR copy in a format the verifier cannot judge (written by a newer engine): not corrupt, not verified.
  'rdb-unsupported': { runbook: RUNBOOKS.drCopies },
  unknown: { runbook: RUNBOOKS.pipelineErrors },
  // `redis-dr selftest`'s TEST message through the alert path: nothing to act on.
  selftest: { runbook: RUNBOOKS.pipelineErrors },
  // The scheduled DR report's one line with its location (info); a report it could not write is the function's error alarm.
  'dr-report': { runbook: RUNBOOKS.pipelineErrors },
  // A page that did not reach one of alerts.integrations (PagerDuty, Opsgenie, chat): sent through the others.
  'delivery-failed': { runbook: RUNBOOKS.pipelineErrors },
} as const satisfies Record<string, { runbook: Runbook }>;

/** The `kind` attribute of a page: an alarm kind or a page kind. */
export type PageKind = AlarmKindName | keyof typeof PAGE_KINDS;

/** The runbook of an alarm or page kind. */
export function runbookOf(kind: PageKind): Runbook {
  return kind in ALARM_KINDS ? ALARM_KINDS[kind as AlarmKindName].runbook : PAGE_KINDS[kind as keyof typeof PAGE_KINDS].runbook;
}
