import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

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
} as const;

/** Dimension names. `Plan` alone for plan totals; `Plan`+`Target` per cache. */
export const DIMENSION = { plan: 'Plan', target: 'Target' } as const;

/**
 * Powertools-backed sink: every data point is its own EMF record
 * (`singleMetric`), so per-target dimension sets never mix in one blob.
 */
export function powertoolsSink(metrics: Metrics): MetricsSink {
  return {
    put(name, value, unit, dimensions) {
      const single = metrics.singleMetric();
      // Exactly the given dimensions: no implicit `service`, so alarms can name the set.
      single.clearDefaultDimensions();
      single.addDimensions({ ...dimensions });
      single.addMetric(name, unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count, value);
    },
  };
}
