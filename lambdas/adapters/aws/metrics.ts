/**
 * Where jobs send metrics (names and dimensions: lambdas/domain/alerting/metrics.ts). Production writes CloudWatch Embedded Metric
 * Format through Lambda Powertools; tests use an in-memory sink.
 */
export interface MetricsSink {
  /** Records one data point with exactly these dimensions. */
  put(name: string, value: number, unit: MetricUnitName, dimensions: Readonly<Record<string, string>>): void;
}

/** Units the project uses. */
export type MetricUnitName = 'Count' | 'Seconds';
