import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { powertoolsSink, type MetricsSink } from './metrics.js';
import { systemClock, type RetryClock } from './retry.js';

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

// Module scope: clients and Powertools objects are created once per container.
const elasticache = new ElastiCacheClient(sdkClientConfig());
const tagging = new ResourceGroupsTaggingAPIClient(sdkClientConfig());
const s3 = new S3Client(sdkClientConfig());
const logger = new Logger();
const metrics = new Metrics();

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

/** Production dependencies of the scheduled handlers. */
export interface AwsRuntime {
  readonly deps: ScheduledDeps;
  /** Writes buffered metrics; call once per invocation, also on failure. */
  flush(): void;
}

/** The real AWS clients, Powertools logger/metrics and clock. */
export function awsRuntime(): AwsRuntime {
  return {
    deps: {
      elasticache,
      tagging,
      s3,
      metrics: powertoolsSink(metrics),
      log: {
        info: (message, extra = {}) => logger.info(message, extra),
        warn: (message, extra = {}) => logger.warn(message, extra),
        error: (message, extra = {}) => logger.error(message, extra),
      },
      clock: systemClock,
      concurrency: envInt('REDIS_DR_CONCURRENCY', TUNING.concurrency),
      throttleDelayMs: TUNING.throttleDelayMs,
      busyDelayMs: TUNING.busyDelayMs,
    },
    flush: () => metrics.publishStoredMetrics(),
  };
}

/**
 * A Lambda entry point for a scheduled run: parse the Scheduler input with
 * `schema` (a bad input throws, naming the field), run, and always flush metrics.
 */
export function scheduledHandler<I, R>(
  schema: { parse(input: unknown): I },
  run: (input: I, deps: ScheduledDeps) => Promise<R>,
): (event: unknown) => Promise<R> {
  return async (event) => {
    const runtime = awsRuntime();
    try {
      return await run(schema.parse(event), runtime.deps);
    } finally {
      runtime.flush();
    }
  };
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
