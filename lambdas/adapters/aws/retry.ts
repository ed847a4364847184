import { describeError, isThrottling } from './errors.js';

/**
 * Retries with capped exponential backoff and equal jitter inside a deadline.
 * The SDK already retries throttled calls a few times; this outer loop covers
 * what outlasts it (a cache that stays `snapshotting` for minutes, sustained
 * throttling across a large fleet) without ever running past the Lambda's budget.
 */

/** Clock and sleep, injected so tests run instantly and deterministically. */
export interface RetryClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Uniform random number in [0, 1). */
  random(): number;
}

/** The real clock. */
export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** Options for {@link retryWithBackoff}. */
export interface RetryOptions {
  /** Only errors for which this returns true are retried. */
  readonly retryable: (err: unknown) => boolean;
  /** Epoch milliseconds after which no new attempt starts. */
  readonly deadline: number;
  /**
   * First backoff ceiling in ms (doubles each attempt); a function picks it per
   * error (a throttled call wants a short wait, a busy cache a long one).
   */
  readonly baseDelayMs: number | ((err: unknown) => number);
  /** Largest backoff in ms. */
  readonly maxDelayMs: number;
  /** Clock and sleep. */
  readonly clock: RetryClock;
  /**
   * Hard cap on attempts, whatever the deadline says.
   * @default 30
   */
  readonly maxAttempts?: number;
}

/** Result with the number of attempts made, for reports and metrics. */
export interface Attempted<T> {
  readonly value: T;
  readonly attempts: number;
}

/** Error thrown when retries end; keeps the last failure as `cause`. */
export class RetriesExhaustedError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'RetriesExhaustedError';
  }
}

/**
 * Runs `fn` until it succeeds, a non-retryable error is thrown (rethrown as is),
 * or the next wait would cross the deadline (throws {@link RetriesExhaustedError}).
 */
export async function retryWithBackoff<T>(fn: () => Promise<T>, options: RetryOptions): Promise<Attempted<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(), attempts: attempt };
    } catch (err) {
      if (!options.retryable(err)) throw err;
      const base = typeof options.baseDelayMs === 'function' ? options.baseDelayMs(err) : options.baseDelayMs;
      const ceiling = Math.min(options.maxDelayMs, base * 2 ** (attempt - 1));
      const delay = Math.round(ceiling * (0.5 + options.clock.random() / 2));
      if (options.clock.now() + delay > options.deadline || attempt >= (options.maxAttempts ?? 30)) {
        throw new RetriesExhaustedError(`gave up after ${attempt} attempt(s) within the run's budget: ${describeError(err)}`, attempt, {
          cause: err,
        });
      }
      await options.clock.sleep(delay);
    }
  }
}

/** Runs a call, retrying it while it is throttled (and only then). */
export type ThrottleRetry = <T>(fn: () => Promise<T>) => Promise<T>;

/** A {@link ThrottleRetry} bounded by `deadline`, starting from `baseDelayMs`. */
export function throttleRetry(clock: RetryClock, deadline: number, baseDelayMs: number): ThrottleRetry {
  return (fn) => retryWithBackoff(fn, { retryable: isThrottling, deadline, baseDelayMs, maxDelayMs: 20_000, clock }).then((r) => r.value);
}

/**
 * Maps `items` with at most `concurrency` calls in flight, keeping order.
 * After a call fails no new call starts, and the first failure is thrown once
 * the calls in flight have settled. Hand-written (a few lines) rather than
 * p-limit, which is ESM-only while this package is CommonJS.
 */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
