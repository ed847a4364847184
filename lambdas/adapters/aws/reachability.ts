/**
 * Whether AWS answered this process at all: every SDK client of the project
 * takes its retry strategy from client-config.ts, and that strategy counts
 * here each call AWS answered (a success, or an error with an HTTP status)
 * and keeps the last error that got no answer (refused, not resolved, timed
 * out). The operator's commands read it before they print (OperatorClients'
 * `assertReached`): a run in which nothing answered is a connection problem
 * (exit 2, one line), not a table of errors each blaming something else.
 * Process-wide on purpose: clients are made in several places (the
 * operator's, doctor's service clients, CloudWatch), all from the one config.
 */
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { httpStatus } from './errors.js';

/** Counts since the process started; readers compare against the counts they saw at their start. */
export interface Reachability {
  /** Calls AWS answered (a success or an HTTP error response). */
  answered: number;
  /** Attempts that got no HTTP answer at all. */
  unanswered: number;
  /** The error of the latest attempt without an answer. */
  lastUnanswered: unknown;
}

/** The process's counts (see the file's comment). */
export const reachability: Reachability = { answered: 0, unanswered: 0, lastUnanswered: undefined };

/** An error AWS sent (it has an HTTP status or response), as opposed to one raised before any answer. */
function answeredBy(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  return httpStatus(err) !== undefined || (err as { $response?: unknown }).$response !== undefined;
}

type Token = Parameters<ConfiguredRetryStrategy['recordSuccess']>[0];
type ErrorInfo = Parameters<ConfiguredRetryStrategy['refreshRetryTokenForRetry']>[1];

/**
 * How long an endpoint that gave no answer to any attempt of a call gets one
 * attempt per later call, unless it answers first: an operator's `status` or
 * `doctor` makes a dozen calls through several clients to the same endpoint,
 * and with nothing listening each call waited through its retries (3.2 and
 * 3.9 s to say "refused the connection"). Bounded in time because a Lambda
 * keeps its process between invocations.
 */
export const UNREACHABLE_HOLD_MS = 60_000;

/** Per endpoint (address and port, or host name, as the network error names it), when a whole call to it last went unanswered. */
const unreachableSince = new Map<string, number>();

/** The endpoint a network error names (ECONNREFUSED: address and port; ENOTFOUND: the host name); undefined when it names none. */
function endpointOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { address, hostname, port } = e as { address?: unknown; hostname?: unknown; port?: unknown };
    const host = typeof address === 'string' ? address : typeof hostname === 'string' ? hostname : undefined;
    if (host) return `${host}:${typeof port === 'number' ? port : ''}`;
  }
  return undefined;
}

/**
 * The SDK's standard retry with the given schedule, counting answers into
 * {@link reachability}. A call that got no answer is not retried when a whole
 * earlier call to the same endpoint got none, less than
 * {@link UNREACHABLE_HOLD_MS} ago (errors AWS sent are retried as ever; an
 * endpoint's answer ends its hold).
 */
export class CountingRetryStrategy extends ConfiguredRetryStrategy {
  override recordSuccess(token: Token): void {
    reachability.answered++;
    super.recordSuccess(token);
  }

  override async refreshRetryTokenForRetry(token: Token, info: ErrorInfo): ReturnType<ConfiguredRetryStrategy['refreshRetryTokenForRetry']> {
    if (answeredBy(info.error)) {
      reachability.answered++;
      return super.refreshRetryTokenForRetry(token, info);
    }
    reachability.unanswered++;
    reachability.lastUnanswered = info.error;
    const endpoint = endpointOf(info.error);
    const since = endpoint === undefined ? undefined : unreachableSince.get(endpoint);
    // The SDK's retry step throws the call's own error when no token comes (this message is never seen).
    if (since !== undefined && Date.now() - since < UNREACHABLE_HOLD_MS) throw new Error(`${endpoint} did not answer a whole call: not retried`);
    try {
      return await super.refreshRetryTokenForRetry(token, info);
    } catch (err) {
      if (endpoint !== undefined) unreachableSince.set(endpoint, Date.now());
      throw err;
    }
  }
}
