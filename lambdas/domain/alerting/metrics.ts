/**
 * The project's CloudWatch metrics: names and dimensions. Pure. Jobs put
 * them (through lambdas/adapters/aws/metrics.ts), the alarms and the dashboard
 * (lib/constructs/monitoring/), the CLI and docs/alerts.md read them.
 */

/** Metric names, in one place: jobs put them, alarms, the dashboard, the CLI and docs read them. */
export const METRIC = {
  targetsResolved: 'TargetsResolved',
  snapshotsCreated: 'SnapshotsCreated',
  snapshotsFailed: 'SnapshotsFailed',
  snapshotAttempts: 'SnapshotAttempts',
  snapshotsDeleted: 'SnapshotsDeleted',
  snapshotsWouldDelete: 'SnapshotsWouldDelete',
  snapshotDeleteFailed: 'SnapshotDeleteFailed',
  pruneDeferred: 'PruneDeferred',
  pruneHeld: 'PruneHeld',
  snapshotsUntagged: 'SnapshotsUntagged',
  /** The probe could not write the canary or count keys (the snapshot is still taken, without them). */
  probeFailed: 'ProbeFailed',
  /** Exports started this run (CopySnapshot / ExportServerlessCacheSnapshot accepted). */
  exportsStarted: 'ExportsStarted',
  /** Exports found complete and finalized (objects tagged, snapshot marked) this run. */
  exportsCompleted: 'ExportsCompleted',
  /** Snapshots whose export step failed this run (retried next run). */
  exportsFailed: 'ExportsFailed',
  /** Exports still running at the end of the run. */
  exportsInProgress: 'ExportsInProgress',
  /** Snapshots waiting to be exported beyond this run's start limit. */
  exportBacklog: 'ExportBacklog',
  /** DR object verified intact (1) per verification. */
  rdbVerified: 'RdbVerified',
  /** DR object found corrupt (1) per verification. */
  rdbCorrupt: 'RdbCorrupt',
  /** DR object in a format the verifier cannot judge (1) per verification: neither verified nor corrupt. */
  rdbUnsupported: 'RdbUnsupported',
  /** Verifications that could not finish (read or tagging failed; retried). */
  rdbVerifyErrors: 'RdbVerifyErrors',
  /** Keys counted in a verified object. */
  rdbKeys: 'RdbKeys',
  /** Seconds one verification took. */
  rdbVerifySeconds: 'RdbVerifySeconds',
  /** Freshness (Plan+Target): age of the newest available managed snapshot, seconds. */
  recoveryPointAge: 'RecoveryPointAgeSeconds',
  /** Freshness (Plan+Target): age of the newest fully exported copy (snapshot tagged redis-dr:exported), seconds. */
  exportedCopyAge: 'ExportedCopyAgeSeconds',
  /** Freshness (Plan+Target, DR region): age of the newest complete, verified DR copy, seconds. */
  verifiedCopyAge: 'VerifiedCopyAgeSeconds',
  /**
   * Freshness of an organization's vault (Account): age of the newest replica under the account's
   * `<account>/<primary region>/rdr-` prefix (its arrival, LastModified), seconds. No replica: no data point.
   */
  vaultAccountReplicaAge: 'VaultAccountReplicaAgeSeconds',
  /**
   * Freshness of a scheduled scrub (Bucket: the DR bucket, or the vault's): age of its newest record
   * (`scrub/redis-dr-scrub-<time>.json`, the time in the key), seconds; none yet: since its schedule was created.
   */
  scrubRecordAge: 'ScrubRecordAgeSeconds',
  /** Freshness (Plan+Target, per region): seconds since the last successful drill. */
  lastDrillAge: 'LastSuccessfulDrillAgeSeconds',
  /** Drill (Plan+Target+Region, and Plan+Region): 1 when the drill passed (restored, verified, cleaned up), else 0. */
  drillSucceeded: 'DrillSucceeded',
  /** Drill: execution start → verified, seconds (the drill's measured RTO). */
  drillRtoSeconds: 'DrillRtoSeconds',
  /** Drill: CreateReplicationGroup → available, seconds. */
  restoreSeconds: 'RestoreSeconds',
  /** Drill: verification, seconds. */
  verifySeconds: 'VerifySeconds',
  /** Reaper (Region): drill clusters deleted because a drill left them behind. */
  drillClustersReaped: 'DrillClustersReaped',
  /**
   * Keyspace-collapse tripwire: active (unreleased) collapsed recovery points
   * of a target (Plan+Target, and Plan), from the snapshot job; collapsed
   * copies found on verification (Bucket+Target, and Bucket), from the DR
   * verifier. 0 when none.
   */
  keyspaceCollapsed: 'KeyspaceCollapsed',
  /**
   * Freshness (no dimensions, per region): caches of the region no plan
   * names that could be protected (domain/plans/coverage.ts), every run.
   */
  unprotectedCaches: 'UnprotectedCaches',
} as const;

/** A metric name of the project's namespace. */
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/**
 * Dimension names. `Plan` alone for plan totals; `Plan`+`Target` per cache.
 * DR copies are counted per `Bucket` (totals) and `Bucket`+`Target`, and in
 * an organization's vault also `Bucket`+`Account` (the replica's account
 * prefix), and its freshness per `Account`; drills per `Plan`+`Target`+`Region` and `Plan`+`Region`; the
 * reaper per `Region`.
 */
export const DIMENSION = { plan: 'Plan', target: 'Target', bucket: 'Bucket', region: 'Region', account: 'Account' } as const;
