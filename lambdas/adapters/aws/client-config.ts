/** How this project's AWS SDK clients are configured: the retry schedule, and the tuning of the scheduled jobs. */
import type { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { CountingRetryStrategy } from './reachability.js';

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
 * throttling to ~6 calls/s (bench/README.md, fleet). It counts whether AWS
 * answered at all (reachability.ts).
 */
export function sdkClientConfig(): { retryStrategy: ConfiguredRetryStrategy } {
  return {
    retryStrategy: new CountingRetryStrategy(3, (attempt) => Math.round(TUNING.throttleDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2))),
  };
}

/**
 * Every S3 client's settings (the operator's, the Lambdas', a destination's):
 * our retry schedule, and path-style addressing when an endpoint is set in
 * the environment (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL): a
 * virtual-hosted name under a custom endpoint (`<bucket>.localhost`) does
 * not resolve. One configuration, so no client is left out.
 */
export function s3ClientConfig(env: NodeJS.ProcessEnv = process.env): ReturnType<typeof sdkClientConfig> & { forcePathStyle: boolean } {
  return { ...sdkClientConfig(), forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) };
}
