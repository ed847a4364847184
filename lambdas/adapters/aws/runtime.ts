/**
 * What jobs share about their runtime, with no side effect at import: the
 * dependency types, env helpers that fail fast naming the variable, SDK client
 * settings and run-failure messages. The Lambda entry points create the real
 * clients and Powertools objects (lambdas/handlers/entry.ts); the CLI its own.
 */
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type { MetricsSink } from './metrics.js';
import type { RetryClock } from './retry.js';

/** Structured logging as handlers use it (Powertools Logger satisfies it). */
export interface LogSink {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** A required environment variable (`what` says what it is for); fails fast naming it. */
export function requiredEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} (${what}) is required, got ${JSON.stringify(value ?? null)}`);
  return value;
}

/**
 * Reads an environment variable once; fails fast naming the variable when it
 * is required and missing, or when it is not a positive integer where one is expected.
 */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`environment variable ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Production tuning of the scheduled handlers (bench/fleet measures these).
 * REDIS_DR_CONCURRENCY overrides the concurrency.
 */
export const TUNING = { concurrency: 16, throttleDelayMs: 100, busyDelayMs: 5_000 } as const;

/**
 * SDK client settings: the SDK's standard retry (throttling, 5xx, network
 * errors) with our backoff schedule (from 100 ms, equal jitter) instead of its
 * 500 ms throttling base; handlers retry per call what outlasts it. Not
 * `adaptive`: its client-side rate limiter slowed a 1,000-target run under 10 %
 * throttling to ~6 calls/s (bench/README.md, fleet).
 */
export function sdkClientConfig(): { retryStrategy: ConfiguredRetryStrategy } {
  return {
    retryStrategy: new ConfiguredRetryStrategy(3, (attempt) =>
      Math.round(TUNING.throttleDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)),
    ),
  };
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

/**
 * The message of a run that failed: plan-level problems first, then the
 * failed targets with why, one line each kind, so the Lambda error (and the
 * page it becomes) names everything that went wrong.
 */
export function runFailureMessage(
  plan: string,
  problems: readonly string[],
  what: string,
  failures: readonly { target: string; why: string }[],
): string {
  return [
    ...problems.map((p) => `plan ${plan}: ${p}`),
    ...(failures.length > 0
      ? [`plan ${plan}: ${what} failed for ${failures.length} target(s): ${failures.map((f) => `${f.target} (${f.why})`).join('; ')}`]
      : []),
  ].join('\n');
}
