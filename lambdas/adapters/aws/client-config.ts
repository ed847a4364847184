/** How this project's AWS SDK clients are configured: the retry schedule, and the tuning of the scheduled jobs. */
import type { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { CountingRetryStrategy } from './reachability.js';

/**
 * Production tuning of the scheduled handlers (bench/fleet measures these).
 * REDIS_DR_CONCURRENCY overrides the concurrency.
 */
export const TUNING = { concurrency: 16, throttleDelayMs: 100, busyDelayMs: 5_000 } as const;

/**
 * How long a client waits on its socket (ms). The SDK's default is to wait forever for both: a connection that
 * never opens (a firewall's silent drop, a VPC without a route to the endpoint) and an answer that never comes over
 * a half-open connection. Then an operator's command hangs with nothing said, and a Lambda until its own timeout.
 * With these bounds such an attempt fails as a TimeoutError, which the retry strategy retries and counts as
 * unanswered (reachability.ts: the operator's commands then say it is a connection problem, exit 2).
 * - `connectMs`: the TCP and TLS connection's opening.
 * - `idleMs`: no byte either way for this long (the socket's idle time, not the request's: a long download or upload
 *   that keeps moving is never cut). The control planes (ElastiCache, STS, CloudFormation, …) answer in seconds.
 * - `dataIdleMs`: S3's. A reader that stops reading (back-pressure from a slow target) leaves the socket idle, so a
 *   generous bound; S3 keeps a long CompleteMultipartUpload busy with whitespace while it works (its API reference
 *   says so).
 * - `copyIdleMs`: a server-side copy's (CopyObject up to 5 GiB, UploadPartCopy of a part up to 5 GiB). S3's reference
 *   promises no whitespace for these: the copy's answer (a 200 that may carry the error) comes when it is done, the
 *   caller "must stay connected until the entire response" arrives, and how long a 5 GiB copy takes is not stated
 *   (SDK reports name a 1 GB copy waiting past a client's header timeout: aws-sdk-go-v2#712). So no bound shorter
 *   than the function that copies: past a Lambda's 15 minutes, as `invokeIdleMs`; its own timeout ends it first.
 * - `invokeIdleMs`: Lambda's Invoke waits with nothing on the socket while the function runs (at most 15 minutes).
 */
export const SOCKET_BOUNDS = { connectMs: 10_000, idleMs: 60_000, dataIdleMs: 300_000, copyIdleMs: 16 * 60_000, invokeIdleMs: 16 * 60_000 } as const;

/** The request handler's options for a client whose socket may stay idle for `idleMs` ({@link SOCKET_BOUNDS}). */
export interface SocketBoundsOptions {
  readonly connectionTimeout: number;
  readonly socketTimeout: number;
}

/**
 * SDK client settings: the SDK's standard retry (throttling, 5xx, network
 * errors) with our backoff schedule (from 100 ms, equal jitter) instead of its
 * 500 ms throttling base; handlers retry per call what outlasts it. Not
 * `adaptive`: its client-side rate limiter slowed a 1,000-target run under 10 %
 * throttling to ~6 calls/s (bench/README.md, fleet). It counts whether AWS
 * answered at all (reachability.ts). The socket's bounds: {@link SOCKET_BOUNDS}
 * (`idleMs` for a control plane unless told; `connectMs` given for a test only).
 */
export function sdkClientConfig(
  idleMs: number = SOCKET_BOUNDS.idleMs,
  connectMs: number = SOCKET_BOUNDS.connectMs,
): { retryStrategy: ConfiguredRetryStrategy; requestHandler: SocketBoundsOptions } {
  return {
    retryStrategy: new CountingRetryStrategy(3, (attempt) => Math.round(TUNING.throttleDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2))),
    requestHandler: { connectionTimeout: connectMs, socketTimeout: idleMs },
  };
}

/**
 * Every S3 client's settings (the operator's, the Lambdas', a destination's):
 * our retry schedule, S3's socket bounds ({@link SOCKET_BOUNDS}'s `dataIdleMs`),
 * and path-style addressing when an endpoint is set in
 * the environment (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL): a
 * virtual-hosted name under a custom endpoint (`<bucket>.localhost`) does
 * not resolve. One configuration, so no client is left out.
 */
export function s3ClientConfig(
  env: NodeJS.ProcessEnv = process.env,
  idleMs: number = SOCKET_BOUNDS.dataIdleMs,
): ReturnType<typeof sdkClientConfig> & { forcePathStyle: boolean } {
  return { ...sdkClientConfig(idleMs), forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) };
}
