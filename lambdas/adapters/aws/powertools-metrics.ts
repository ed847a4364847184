/**
 * The Powertools-backed metrics sink of the Lambda entry points (kept apart
 * from the metric names so that jobs, and the CLI that imports them, never
 * load Powertools).
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsSink } from './metrics.js';

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
