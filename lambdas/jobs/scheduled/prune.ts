import { deleteSnapshot, isSnapshotNotFound, listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { describeError, isBusy } from '../../adapters/aws/errors.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import { planSnapshotTags, toRecoveryPoints, type PlanOwner } from '../../adapters/aws/plan-snapshots.js';
import { mapConcurrent, RetriesExhaustedError, throttleRetry, type ThrottleRetry } from '../../adapters/aws/retry.js';
import { runFailureMessage } from '../../domain/plans/run-failure.js';
import type { ScheduledDeps } from '../kernel/deps.js';
import { resolveTargets } from '../../adapters/aws/targets.js';
import { retentionPolicyOf, type PruneRunInput } from '../../domain/plans/plan-input.js';
import { selectExpired, type HoldReason, type RetentionDecision } from '../../domain/plans/retention.js';
import type { RecoveryPoint, TargetRef } from '../../domain/plans/types.js';

/** What pruning did for one target. */
export interface PruneTargetResult {
  readonly target: string;
  readonly kind: TargetRef['kind'];
  /** Set when a safety rail kept everything. */
  readonly hold?: { readonly reason: HoldReason; readonly detail: string };
  readonly kept: number;
  readonly deleted: readonly string[];
  /** Dry run: what would have been deleted. */
  readonly wouldDelete: readonly string[];
  /** Over the per-target cap, busy, or out of budget: left for the next run. */
  readonly deferred: readonly string[];
  readonly failed: readonly { readonly snapshot: string; readonly error: string }[];
  /** `rdr-` snapshots of the target without any tags (made by hand, or the Tagging API missed them). */
  readonly untagged: number;
  /** Listing the target's snapshots failed: nothing was decided for it. */
  readonly error?: string;
}

/** What one prune run did. */
export interface PruneRunReport {
  readonly plan: string;
  readonly dryRun: boolean;
  readonly targets: number;
  readonly deleted: number;
  readonly wouldDelete: number;
  readonly deferred: number;
  readonly held: number;
  readonly failed: number;
  /** Plan-level problems (tag selection failed); they fail the run too. */
  readonly problems: readonly string[];
  readonly results: readonly PruneTargetResult[];
}

/** Whether a run failed (a listing, a deletion or the tag selection): the run then throws {@link PruneRunFailedError}; a hold does not fail it. */
export function pruneRunFailed(report: Pick<PruneRunReport, 'failed' | 'problems'>): boolean {
  return report.failed > 0 || report.problems.length > 0;
}

/** Thrown after the whole run when a listing or a deletion failed. */
export class PruneRunFailedError extends Error {
  constructor(readonly report: PruneRunReport) {
    super(
      runFailureMessage(
        report.plan,
        report.problems,
        'pruning',
        report.results
          .filter((r) => r.error || r.failed.length > 0)
          .map((r) => ({ target: r.target, why: r.error ?? r.failed.map((f) => `${f.snapshot}: ${f.error}`).join(', ') })),
      ),
    );
    this.name = 'PruneRunFailedError';
  }
}

/** Everything a run needs from the outside world. */
export type PruneDeps = ScheduledDeps;

/**
 * Called with each target's decision before anything is deleted: how
 * `prune --dry-run` shows every point kept or deleted and why, from the
 * very run the scheduled Lambda makes.
 */
export type PruneDecisionObserver = (target: TargetRef, points: readonly RecoveryPoint[], decision: RetentionDecision, now: Date) => void;

/**
 * One prune tick of a plan. Per target: list its `rdr-` snapshots (status,
 * time), join the Tagging API's view (managed, plan, tier), let the pure GFS
 * selection decide with its safety rails, and delete what it marks expired,
 * oldest first, at most `maxDeletesPerTarget` per run. In dry-run mode nothing
 * is deleted (`onDecision` sees each target's decision either way).
 * Snapshots of caches that left the plan are never pruned here.
 */
export async function runPrunePlan(input: PruneRunInput, deps: PruneDeps, onDecision?: PruneDecisionObserver): Promise<PruneRunReport> {
  const started = deps.clock.now();
  // The rails judge against the later of the tick and the clock: an old event
  // (a retry, a replay by hand) must not make stale backups look fresh.
  const now = new Date(Math.max(started, input.scheduledTime ? Date.parse(input.scheduledTime) : 0));
  const deadline = started + input.budgetSeconds * 1000;
  const owner: PlanOwner = { deployment: input.deployment, plan: input.plan };
  const retryThrottled = throttleRetry(deps.clock, deadline, deps.throttleDelayMs);
  const planDims = { [DIMENSION.plan]: input.plan };

  const { targets, selectionError } = await resolveTargets(deps, input.targets, retryThrottled);
  deps.metrics.put(METRIC.targetsResolved, targets.length, 'Count', planDims);
  // Without ownership tags nothing can be proven ours: let a failure here fail the run.
  const owned = await planSnapshotTags(
    deps.tagging,
    owner,
    targets.map((t) => t.id),
    {
      concurrency: deps.concurrency,
      retry: retryThrottled,
    },
  );

  const results = await mapConcurrent(targets, deps.concurrency, (target) =>
    pruneTarget(target, input, owner, now, deadline, owned, retryThrottled, deps, onDecision),
  );

  for (const r of results) {
    const dims = { ...planDims, [DIMENSION.target]: r.target };
    deps.metrics.put(
      input.dryRun ? METRIC.snapshotsWouldDelete : METRIC.snapshotsDeleted,
      input.dryRun ? r.wouldDelete.length : r.deleted.length,
      'Count',
      dims,
    );
    deps.metrics.put(METRIC.snapshotDeleteFailed, r.failed.length + (r.error ? 1 : 0), 'Count', dims);
    deps.metrics.put(METRIC.pruneHeld, r.hold ? 1 : 0, 'Count', dims);
    deps.metrics.put(METRIC.pruneDeferred, r.deferred.length, 'Count', dims);
    deps.metrics.put(METRIC.snapshotsUntagged, r.untagged, 'Count', dims);
  }
  const sum = (f: (r: PruneTargetResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const report: PruneRunReport = {
    plan: input.plan,
    dryRun: input.dryRun,
    targets: targets.length,
    deleted: sum((r) => r.deleted.length),
    wouldDelete: sum((r) => r.wouldDelete.length),
    deferred: sum((r) => r.deferred.length),
    held: sum((r) => (r.hold ? 1 : 0)),
    failed: sum((r) => r.failed.length + (r.error ? 1 : 0)),
    problems: selectionError ? [selectionError] : [],
    results,
  };
  deps.metrics.put(METRIC.snapshotsDeleted, report.deleted, 'Count', planDims);
  deps.metrics.put(METRIC.snapshotDeleteFailed, report.failed, 'Count', planDims);
  deps.metrics.put(METRIC.pruneHeld, report.held, 'Count', planDims);
  // Alarmed on (snapshots-untagged): snapshots nothing can prove ours are never pruned.
  deps.metrics.put(
    METRIC.snapshotsUntagged,
    sum((r) => r.untagged),
    'Count',
    planDims,
  );
  deps.log.info('prune run finished', { ...report, results: undefined });
  if (pruneRunFailed(report)) throw new PruneRunFailedError(report);
  return report;
}

async function pruneTarget(
  target: TargetRef,
  input: PruneRunInput,
  owner: PlanOwner,
  now: Date,
  deadline: number,
  owned: ReadonlyMap<string, Record<string, string>>,
  retryThrottled: ThrottleRetry,
  deps: PruneDeps,
  onDecision: PruneDecisionObserver | undefined,
): Promise<PruneTargetResult> {
  const empty = { target: target.id, kind: target.kind, kept: 0, deleted: [], wouldDelete: [], deferred: [], failed: [], untagged: 0 };
  let summaries;
  try {
    summaries = await listTargetSnapshots(deps.elasticache, target, retryThrottled);
  } catch (err) {
    const error = describeError(err);
    deps.log.error('listing snapshots failed; nothing pruned for this target', { target: target.id, error });
    return { ...empty, error };
  }

  const points = toRecoveryPoints(summaries, target.id, owned, owner);
  // Count the rdr- snapshots the Tagging API knows nothing about, so a blind
  // spot there (nothing would ever be pruned) is visible.
  const untagged = points.filter((p) => !owned.has(p.name)).length;
  const decision = selectExpired(points, retentionPolicyOf(input), now);
  onDecision?.(target, points, decision, now);
  const base = { ...empty, untagged };

  if (decision.hold) {
    deps.log.warn('pruning held by a safety rail; nothing deleted', { target: target.id, ...decision.hold });
    return { ...base, hold: decision.hold, kept: decision.keep.length };
  }

  // Oldest first, so a capped run still makes progress where it matters most.
  const expired = [...decision.delete].sort((a, b) => a.point.createdAt.getTime() - b.point.createdAt.getTime());
  const batch = expired.slice(0, input.maxDeletesPerTarget);
  const deferred = expired.slice(input.maxDeletesPerTarget).map((e) => e.point.name);
  if (input.dryRun) {
    for (const e of batch) deps.log.info('dry run: would delete snapshot', { target: target.id, snapshot: e.point.name, reason: e.reason });
    return { ...base, kept: decision.keep.length, wouldDelete: batch.map((e) => e.point.name), deferred };
  }

  const deleted: string[] = [];
  const failed: { snapshot: string; error: string }[] = [];
  for (const e of batch) {
    if (deps.clock.now() >= deadline) {
      deferred.push(e.point.name);
      continue;
    }
    try {
      await retryThrottled(() => deleteSnapshot(deps.elasticache, target.kind, e.point.name));
      deps.log.info('deleted snapshot', { target: target.id, snapshot: e.point.name, reason: e.reason });
      deleted.push(e.point.name);
    } catch (err) {
      const cause = err instanceof RetriesExhaustedError ? err.cause : err;
      if (isSnapshotNotFound(cause)) {
        deleted.push(e.point.name);
      } else if (isBusy(cause)) {
        // e.g. still being exported: not an error, the next run retries.
        deps.log.info('snapshot busy; deletion deferred', { target: target.id, snapshot: e.point.name, error: describeError(cause) });
        deferred.push(e.point.name);
      } else {
        const error = describeError(cause);
        deps.log.error('deleting snapshot failed', { target: target.id, snapshot: e.point.name, error });
        failed.push({ snapshot: e.point.name, error });
      }
    }
  }
  return { ...base, kept: decision.keep.length, deleted, deferred, failed };
}
