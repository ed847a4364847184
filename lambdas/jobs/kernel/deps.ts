/**
 * What jobs are given from outside: the clients, the metrics and log sinks,
 * the clock and the tuning. The Lambda entry points create the real ones
 * (lambdas/handlers/entry.ts), the CLI its own (cli/aws.ts), tests fakes.
 */
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { S3Client } from '@aws-sdk/client-s3';
import type { MetricsSink } from '../../adapters/aws/metrics.js';
import type { RetryClock } from '../../adapters/aws/retry.js';

/** Structured logging as handlers use it (Powertools Logger satisfies it). */
export interface LogSink {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
/** Everything a scheduled run needs from the outside world; tests pass fakes. */
export interface ScheduledDeps {
  readonly elasticache: ElastiCacheClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
  readonly s3: S3Client;
  readonly metrics: MetricsSink;
  readonly log: LogSink;
  readonly clock: RetryClock;
  /** Targets (or API queries) worked on at once. */
  readonly concurrency: number;
  /** First backoff ceiling after throttling, ms (the SDK has retried already). */
  readonly throttleDelayMs: number;
  /** First backoff ceiling for a busy cache (`snapshotting`, `modifying`), ms. */
  readonly busyDelayMs: number;
}
