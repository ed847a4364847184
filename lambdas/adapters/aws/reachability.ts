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

/** The SDK's standard retry with the given schedule, counting answers into {@link reachability}. */
export class CountingRetryStrategy extends ConfiguredRetryStrategy {
  override recordSuccess(token: Token): void {
    reachability.answered++;
    super.recordSuccess(token);
  }

  override refreshRetryTokenForRetry(token: Token, info: ErrorInfo): ReturnType<ConfiguredRetryStrategy['refreshRetryTokenForRetry']> {
    if (answeredBy(info.error)) reachability.answered++;
    else {
      reachability.unanswered++;
      reachability.lastUnanswered = info.error;
    }
    return super.refreshRetryTokenForRetry(token, info);
  }
}
