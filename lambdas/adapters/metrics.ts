/**
 * Where handlers send metrics. Production writes CloudWatch Embedded Metric
 * Format through Lambda Powertools; tests use an in-memory sink.
 */
export interface MetricsSink {
  /** Records one data point with exactly these dimensions. */
  put(name: string, value: number, unit: MetricUnitName, dimensions: Readonly<Record<string, string>>): void;
}

/** Units the project uses. */
export type MetricUnitName = 'Count' | 'Seconds';

/** Metric names, in one place: alarms (alerting capability) refer to the same constants. */
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
  /** Freshness (Plan+Target, per region): seconds since the last successful drill. */
  lastDrillAge: 'LastSuccessfulDrillAgeSeconds',
} as const;

/**
 * Dimension names. `Plan` alone for plan totals; `Plan`+`Target` per cache.
 * DR copies are counted per `Bucket` (totals) and `Bucket`+`Target`.
 */
export const DIMENSION = { plan: 'Plan', target: 'Target', bucket: 'Bucket' } as const;
