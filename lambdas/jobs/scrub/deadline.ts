/**
 * The scheduled scrub's time budget: a Lambda killed at its timeout writes
 * nothing, so a run that would not finish its sample must stop while there
 * is still time to page and to write a PARTIAL record. Before each copy the
 * run asks whether the copy fits the time left (at the throughput measured so
 * far, else the rate `redis-dr cost` assumes for the scrub); during its
 * read, the body is cut at the deadline (a stalled GET included).
 */
import { DEFAULT_COST_ASSUMPTIONS } from '../../domain/cost/estimate.js';

/** Time kept back from the Lambda's timeout for the pages and the record's verified put. */
export const SCRUB_RESERVE_MS = 60_000;

/** A run's clock against its Lambda's remaining time. */
export class ScrubBudget {
  private readBytes = 0;
  private readMs = 0;
  /** Set once a read was cut at the deadline. */
  expired = false;

  /** `remainingMs`: the Lambda context's getRemainingTimeInMillis; none, no limit (the CLI). */
  constructor(
    private readonly remainingMs?: () => number,
    private readonly reserveMs: number = SCRUB_RESERVE_MS,
  ) {}

  /** Milliseconds left before the run must stop reading (Infinity without a limit). */
  left(): number {
    return this.remainingMs ? this.remainingMs() - this.reserveMs : Number.POSITIVE_INFINITY;
  }

  /** Whether a copy of `bytes` can be read before the deadline, at the throughput measured so far. */
  fits(bytes: number): boolean {
    const perMs = this.readMs > 0 && this.readBytes > 0 ? this.readBytes / this.readMs : DEFAULT_COST_ASSUMPTIONS.scrubMbPerSecond * 1000;
    return !this.expired && bytes / perMs < this.left();
  }

  /** A finished read: its bytes and time, for the next estimate. */
  measured(bytes: number, ms: number): void {
    this.readBytes += bytes;
    this.readMs += ms;
  }

  /**
   * `source` cut at the deadline: past it, or while a chunk is awaited when it
   * comes, the source is closed (its requests aborted) and the read fails with
   * {@link expired} set, so the caller discards the copy's result (not judged, never a bad copy).
   */
  bounded(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    if (!this.remainingMs) return source;
    const it = source[Symbol.asyncIterator]();
    const stop = (): never => {
      this.expired = true;
      void it.return?.();
      throw new Error('stopped at the time budget: not judged');
    };
    const next = async (): Promise<IteratorResult<Uint8Array>> => {
      const left = this.left();
      if (left <= 0) return stop();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), left);
      });
      try {
        const r = await Promise.race([it.next(), late]);
        return r === 'late' ? stop() : r;
      } finally {
        clearTimeout(timer);
      }
    };
    return { [Symbol.asyncIterator]: () => ({ next }) };
  }
}
