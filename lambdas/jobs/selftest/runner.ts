/**
 * The selftest's orchestrator: runs named steps one after the other, times
 * each, turns a failure into its cause and fix (lambdas/domain/selftest),
 * skips what depended on a failed step, and says every row as it ends. The
 * AWS selftest (./selftest.ts) and the demo (demo/run.ts, against the local
 * stand-in) run their steps through it, and both end with the same alert and
 * record steps (./shared-steps.ts).
 */
import { errorName } from '../../adapters/aws/errors.js';
import { explainFailure, type SelftestStep, selftestVerdict, type StepVerdict } from '../../domain/selftest/steps.js';

/** What a step's body returns: its detail, and `warned` with a cause when it passed with something to look at. */
export interface StepOutcome<T> {
  readonly value: T;
  readonly detail: string;
  readonly verdict?: Extract<StepVerdict, 'passed' | 'warned'>;
  readonly cause?: string;
  readonly fix?: string;
}

/** A failure a step explains itself (a replication FAILED, a corrupt verdict, a drill that timed out): its cause and fix as given. */
export class StepFailedError extends Error {
  override readonly name = 'StepFailedError';
  constructor(
    message: string,
    readonly fix: string,
    /** Whose role made the failing call, when not the step's (a drill's state machine role): named with an access denial. */
    readonly who?: string,
  ) {
    super(message);
  }
}

/** How a step is run. */
export interface StepOptions {
  /** Whose credentials or role make the step's calls, for an access denial's cause (`the operator's credentials`). */
  readonly who: string;
  /** The fix of a failure that is not an access denial. */
  readonly fix: string;
  /** Errors that end the whole run instead of failing the step (AWS not reachable at all, no credentials): rethrown. */
  readonly rethrow?: (err: unknown) => boolean;
}

/** Options of {@link SelftestRunner}. */
export interface RunnerOptions {
  /** Milliseconds now (the steps' times). */
  readonly now: () => number;
  /** Said when a step starts (live progress). */
  readonly onStart?: (step: string, region: string) => void;
  /** Said when a step ends, with its row. */
  readonly onStep?: (row: SelftestStep) => void;
}

/** Runs steps and keeps their rows. */
export class SelftestRunner {
  readonly steps: SelftestStep[] = [];

  constructor(private readonly o: RunnerOptions) {}

  /**
   * Runs one step; `undefined` when it failed (its row says why; the caller
   * skips what needed it). Errors are not rethrown (unless `rethrow` says so): a selftest reports
   * every step it could run.
   */
  async step<T>(name: string, region: string, options: StepOptions, body: () => Promise<StepOutcome<T>>): Promise<T | undefined> {
    const t0 = this.o.now();
    this.o.onStart?.(name, region);
    try {
      const out = await body();
      this.push({
        step: name,
        region,
        verdict: out.verdict ?? 'passed',
        seconds: (this.o.now() - t0) / 1000,
        detail: out.detail,
        ...(out.cause ? { cause: out.cause } : {}),
        ...(out.fix ? { fix: out.fix } : {}),
      });
      return out.value;
    } catch (err) {
      if (options.rethrow?.(err)) throw err;
      // A step's own words may still carry AWS's denial (a job reports a target's failure as text): it is explained the same way.
      const failure =
        err instanceof StepFailedError
          ? explainFailure({ name: err.name, message: err.message }, err.who ?? options.who, err.fix)
          : explainFailure({ name: errorName(err), message: err instanceof Error ? err.message : String(err) }, options.who, options.fix);
      this.push({ step: name, region, verdict: 'failed', seconds: (this.o.now() - t0) / 1000, detail: 'failed', ...failure });
      return undefined;
    }
  }

  /** A step that did not run, and why (a step it needs failed, or it was left out). */
  skip(name: string, region: string, why: string): void {
    this.push({ step: name, region, verdict: 'skipped', seconds: 0, detail: why });
  }

  /** Passed when no step failed or was skipped. */
  get verdict(): 'passed' | 'failed' {
    return selftestVerdict(this.steps);
  }

  private push(row: SelftestStep): void {
    this.steps.push(row);
    this.o.onStep?.(row);
  }
}
