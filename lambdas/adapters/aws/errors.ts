/**
 * Classifies AWS SDK errors by name. Names are the SDK v3 exception class
 * names (`error.name`), pinned in tests against the SDK's own classes.
 */

/** The `name` of an error-like value, or `Error`. */
export function errorName(err: unknown): string {
  if (err && typeof err === 'object' && 'name' in err && typeof err.name === 'string') return err.name;
  return 'Error';
}

/** The HTTP status of the answer an SDK error carries; undefined when nothing answered (see isNetworkFailure). */
export function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** A short, log-safe description: name and message, never request payloads. */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `${errorName(err)}: ${message}`;
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'APICallRateForCustomerExceededFault',
]);

/** True for API rate limiting; the call may succeed when retried later. */
export function isThrottling(err: unknown): boolean {
  if (THROTTLING.has(errorName(err))) return true;
  return httpStatus(err) === 429;
}

/**
 * The cache (or snapshot) is in a state that refuses the call right now:
 * `snapshotting`, `modifying`, a snapshot being exported… Retry later.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateSnapshot.html#API_CreateSnapshot_Errors
 */
const BUSY = new Set([
  'InvalidReplicationGroupStateFault',
  'InvalidCacheClusterStateFault',
  'InvalidServerlessCacheStateFault',
  'InvalidSnapshotStateFault',
  'InvalidServerlessCacheSnapshotStateFault',
]);

/** True when the resource is busy with another operation. */
export function isBusy(err: unknown): boolean {
  return BUSY.has(errorName(err));
}

/** Codes of a request that never reached the service: no route, no name, nothing listening, a connection cut or timed out. */
const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'];

/** Whether `err` (or an error it wraps) says the endpoint could not be reached at all, as opposed to an answer from AWS. */
export function isNetworkFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.includes(code)) return true;
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError') return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && NETWORK_CODES.some((c) => new RegExp(`\\b${c}\\b`).test(message))) return true;
  }
  return false;
}
