/**
 * `redis-dr prune --plan <name> --dry-run`: the prune job itself
 * ({@link runPrunePlan}) with deletions off, against the primary region. It
 * reads what the prune Lambda reads (the plan's targets, their manual
 * snapshots, the Tagging API's ownership tags) and runs the same rules with
 * the same safety rails; the decisions it saw say which snapshots are kept
 * (with the rules that keep each) and which the next scheduled run would
 * delete. Deleting is the scheduled Lambda's job, within its IAM scope and
 * per-run cap.
 */
import type { PlanConfig, RedisDrConfig } from '../../../lib/config/index.js';
import { pruneRunInput } from '../../../lib/deployment.js';
import { targetPlan, type TargetPlan } from '../../domain/plans/retention-plan.js';
import type { OperatorClients } from '../kernel/clients.js';
import type { JobOutcome } from '../kernel/outcome.js';
import { PruneRunFailedError, pruneRunFailed, type PruneRunReport, type PruneTargetResult, runPrunePlan } from './prune.js';

/** What a dry run found. */
export interface PruneDryRun {
  readonly plan: string;
  readonly region: string;
  readonly now: string;
  /** Deletions per target per run: more than this waits for later runs. */
  readonly maxDeletesPerTarget: number;
  readonly targets: readonly TargetPlan[];
  /** The tag selection could not be resolved. */
  readonly problems: readonly string[];
  /**
   * The run's own per-target results (sorted by target): a safety rail's
   * hold (a keyspace collapse among them) with its reason, what this run
   * would delete (within the per-run cap), what it defers, the untagged
   * count, and a listing that failed.
   */
  readonly results: readonly PruneTargetResult[];
  /** Targets a safety rail holds: nothing of theirs would be deleted. */
  readonly held: number;
  /**
   * How the scheduled run would end: `failed` when it would fail (a listing
   * failed, or the tag selection did: the prune Lambda throws), else `ok`
   * (a hold is the rail working: the run succeeds, the hold is reported).
   */
  readonly outcome: Extract<JobOutcome, 'ok' | 'failed'>;
}

/**
 * Runs the plan's prune with `dryRun` on and returns each target's decision
 * and the run's own report. A run the scheduled Lambda would fail (a tag
 * selection or a listing that failed) is `outcome: 'failed'`, with what it
 * did decide still there; any other error is thrown.
 */
export async function pruneDryRun(config: RedisDrConfig, aws: OperatorClients, plan: PlanConfig): Promise<PruneDryRun> {
  const region = config.primary.region;
  const input = pruneRunInput(config.name, plan, true);
  const decided = new Map<string, TargetPlan>();
  let at = new Date(aws.clock.now());
  let report: PruneRunReport;
  try {
    report = await runPrunePlan(input, aws.deps(region), (target, points, decision, now) => {
      at = now;
      // A target without a single snapshot shows with nothing to keep (no rail to judge yet).
      decided.set(target.id, points.length === 0 ? { target: target.id, keep: [], delete: [], ignored: [] } : targetPlan(target.id, decision));
    });
  } catch (err) {
    if (!(err instanceof PruneRunFailedError)) throw err;
    report = err.report;
  }
  return {
    plan: plan.name,
    region,
    now: at.toISOString(),
    maxDeletesPerTarget: input.maxDeletesPerTarget,
    targets: [...decided.values()].sort((a, b) => a.target.localeCompare(b.target)),
    problems: report.problems,
    results: [...report.results].sort((a, b) => a.target.localeCompare(b.target)),
    held: report.held,
    outcome: pruneRunFailed(report) ? 'failed' : 'ok',
  };
}
