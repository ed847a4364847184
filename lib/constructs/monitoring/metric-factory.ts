import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DIMENSION, type MetricName } from '../../../lambdas/domain/alerting/metrics.js';

/** How a metric is aggregated for an alarm or a graph. */
export interface MetricOptions {
  /** @default 'Maximum' for ages (`…Seconds`), 'Sum' otherwise */
  readonly statistic?: string;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
  /** @default - the metric name */
  readonly label?: string;
}

/**
 * The project's metrics as CloudWatch metric objects, from the catalog's
 * names and dimensions (lambdas/domain/alerting/metrics.ts): one namespace,
 * typed names, no metric name spelled in a construct.
 */
export class MetricFactory {
  constructor(private readonly namespace: string) {}

  /** A metric of the project's namespace with exactly these dimensions. */
  metric(name: MetricName, dimensions: Readonly<Record<string, string>>, options: MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: { ...dimensions },
      statistic: options.statistic ?? (name.endsWith('Seconds') ? 'Maximum' : 'Sum'),
      period: options.period ?? Duration.minutes(5),
      label: options.label,
    });
  }

  /** A plan-level metric (`{Plan}`). */
  plan(name: MetricName, plan: string, options: MetricOptions = {}): cloudwatch.Metric {
    return this.metric(name, { [DIMENSION.plan]: plan }, options);
  }

  /** A drill metric of a plan in a region (`{Plan, Region}`). */
  drill(name: MetricName, plan: string, region: string, options: MetricOptions = {}): cloudwatch.Metric {
    return this.metric(name, { [DIMENSION.plan]: plan, [DIMENSION.region]: region }, options);
  }

  /** A DR bucket metric (`{Bucket}`). */
  bucket(name: MetricName, bucket: string, options: MetricOptions = {}): cloudwatch.Metric {
    return this.metric(name, { [DIMENSION.bucket]: bucket }, options);
  }
}
