import type { MetricsSink, MetricUnitName } from '../../lambdas/adapters/aws/metrics.js';
import type { RetryClock } from '../../lambdas/adapters/aws/retry.js';
import type { LogSink, ScheduledDeps } from '../../lambdas/jobs/kernel/deps.js';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';

/** A clock whose `sleep` advances time instantly; records every sleep. */
export class FakeClock implements RetryClock {
  readonly sleeps: number[] = [];
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.ms += ms;
  }
  random(): number {
    return 0.5;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** One recorded data point. */
export interface DataPoint {
  readonly name: string;
  readonly value: number;
  readonly unit: MetricUnitName;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Metrics kept in memory, queryable by name and dimensions. */
export class MemoryMetrics implements MetricsSink {
  readonly points: DataPoint[] = [];
  put(name: string, value: number, unit: MetricUnitName, dimensions: Readonly<Record<string, string>>): void {
    this.points.push({ name, value, unit, dimensions: { ...dimensions } });
  }
  /** Sum of the named metric over points whose dimensions equal `dimensions` exactly. */
  sum(name: string, dimensions: Record<string, string>): number {
    const key = JSON.stringify(Object.entries(dimensions).sort());
    return this.points.filter((p) => p.name === name && JSON.stringify(Object.entries(p.dimensions).sort()) === key).reduce((a, p) => a + p.value, 0);
  }
}

/** Log lines kept in memory. */
export class MemoryLog implements LogSink {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  info(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, extra });
  }
}

/** An SDK-shaped service error (what aws-sdk-client-mock rejects with). */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

/** Scheduled-handler dependencies with fakes (clients are plain: tests mock them with aws-sdk-client-mock). */
export function fakeDeps(startMs: number): ScheduledDeps & { clock: FakeClock; metrics: MemoryMetrics; log: MemoryLog } {
  return {
    elasticache: new ElastiCacheClient({ region: 'eu-west-1' }),
    tagging: new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1' }),
    s3: new S3Client({ region: 'eu-west-1' }),
    metrics: new MemoryMetrics(),
    log: new MemoryLog(),
    clock: new FakeClock(startMs),
    concurrency: 4,
    throttleDelayMs: 250,
    busyDelayMs: 5_000,
  };
}
