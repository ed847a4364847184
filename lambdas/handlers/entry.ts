/**
 * The one shape of every Lambda entry point: validate the input (a bad input
 * throws, naming the field), add the Lambda context to every log line
 * (request id, cold start, function), annotate the X-Ray trace, run the job,
 * and flush metrics on every path, failures included.
 *
 * Powertools Logger, Metrics and Tracer and the SDK clients live here and in
 * the handler files, at module scope: created once per container, never by
 * importing a job (the CLI imports jobs and brings its own clients).
 * Service names come from POWERTOOLS_SERVICE_NAME, set per function by the
 * house construct.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import type { MetricsSink } from '../adapters/aws/metrics.js';
import { powertoolsSink } from '../adapters/aws/powertools-metrics.js';
import { systemClock } from '../adapters/aws/retry.js';
import { envInt } from './env.js';
import { s3ClientConfig, sdkClientConfig, TUNING } from '../adapters/aws/client-config.js';
import type { LogSink, ScheduledDeps } from '../jobs/kernel/deps.js';
import { defaultMessage, InvalidInput, inputProblems } from '../domain/plans/problems.js';

/** Structured JSON logs; every line of an invocation carries its Lambda context. */
export const logger = new Logger();
/** CloudWatch Embedded Metric Format. */
export const metrics = new Metrics();
/** X-Ray: a no-op outside Lambda or with POWERTOOLS_TRACE_ENABLED=false. */
export const tracer = new Tracer();

/** The logger as jobs see it. */
export const log: LogSink = {
  info: (message, extra = {}) => logger.info(message, extra),
  warn: (message, extra = {}) => logger.warn(message, extra),
  error: (message, extra = {}) => logger.error(message, extra),
};

/** The metrics sink jobs write to. */
export const metricsSink: MetricsSink = powertoolsSink(metrics);

/**
 * An AWS SDK v3 client with the project's retry settings and socket bounds, traced by X-Ray. `idleMs`: how long
 * its socket may stay idle when that is not a control plane's minute or S3's five (a Lambda invoked synchronously:
 * SOCKET_BOUNDS.invokeIdleMs; an S3 client for server-side copies: SOCKET_BOUNDS.copyIdleMs).
 */
export function awsClient<C extends object>(create: new (config: ReturnType<typeof sdkClientConfig>) => C, idleMs?: number): C {
  // S3 with the one S3 configuration (path-style under a custom endpoint).
  return tracer.captureAWSv3Client(new create((create as unknown) === S3Client ? s3ClientConfig(process.env, idleMs) : sdkClientConfig(idleMs)));
}

let scheduled: ScheduledDeps | undefined;

/**
 * The dependencies of the scheduled jobs (snapshot, prune, export, freshness,
 * drill select and reaper), created on first use and kept for the container.
 */
export function scheduledDeps(): ScheduledDeps {
  scheduled ??= {
    elasticache: awsClient(ElastiCacheClient),
    tagging: awsClient(ResourceGroupsTaggingAPIClient),
    s3: awsClient(S3Client),
    metrics: metricsSink,
    log,
    clock: systemClock,
    concurrency: envInt('REDIS_DR_CONCURRENCY', TUNING.concurrency),
    throttleDelayMs: TUNING.throttleDelayMs,
    busyDelayMs: TUNING.busyDelayMs,
  };
  return scheduled;
}

/** What an entry point validates its input with: a zod schema, or {@link anyInput}. */
export interface InputSchema<I> {
  parse(input: unknown, params?: z.core.ParseContext<z.core.$ZodIssue>): I;
}

/**
 * The input validated: a refused one throws {@link InvalidInput}, naming
 * each field, the value received and the fix (the config's words for the same
 * settings, lambdas/domain/plans/settings.ts), never a dump of zod issues.
 */
export function parseInput<I>(schema: InputSchema<I>, event: unknown): I {
  try {
    return schema.parse(event, { error: defaultMessage });
  } catch (err) {
    if (err instanceof z.ZodError) throw new InvalidInput(inputProblems(err), { cause: err });
    throw err;
  }
}

/** A Lambda entry point: `(event, context) => result`. */
export type LambdaHandler<R> = (event: unknown, context?: Context) => Promise<R>;

/**
 * Wraps a job as a Lambda entry point. `run` receives the validated input
 * ({@link parseInput}; and the Lambda context, for a job that watches its remaining time);
 * whatever it throws is logged with the request id and rethrown (async
 * retries, the DLQ and Step Functions must see it); metrics are flushed
 * whether it succeeded or not.
 */
export function lambdaEntry<I, R>(schema: InputSchema<I>, run: (input: I, context?: Context) => Promise<R>): LambdaHandler<R> {
  return async (event, context) => {
    if (context) logger.addContext(context);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await run(parseInput(schema, event), context);
    } catch (err) {
      logger.error('invocation failed', err instanceof Error ? err : String(err));
      throw err;
    } finally {
      // Per-dimension data points are published as they are put (singleMetric);
      // this writes whatever is still buffered, and stays quiet when nothing is.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/** Input that is passed on as received (its job validates what it reads). */
export const anyInput = { parse: (input: unknown): unknown => input };
