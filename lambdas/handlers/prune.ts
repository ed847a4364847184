import { deleteSnapshot, isSnapshotNotFound, listTargetSnapshots } from '../adapters/elasticache.js';
import { describeError, isBusy, isThrottling } from '../adapters/errors.js';
import { DIMENSION, METRIC } from '../adapters/metrics.js';
import { mapConcurrent, RetriesExhaustedError, retryWithBackoff, type RetryOptions } from '../adapters/retry.js';
import { scheduledHandler, type ScheduledDeps } from '../adapters/runtime.js';
import { snapshotTagsBySources, TAG_FILTER_MAX_VALUES } from '../adapters/tagging.js';
import { resolveTargets } from '../adapters/targets.js';
import { isSnapshotOf } from '../domain/naming.js';
import { pruneRunInputSchema, type PruneRunInput } from '../domain/plan-input.js';
import { selectExpired, type HoldReason } from '../domain/retention.js';
import { isTier, TAGS, type RecoveryPoint, type TargetRef } from '../domain/types.js';

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
  readonly results: readonly PruneTargetResult[];
}

/** Thrown after the whole run when a listing or a deletion failed. */
export class PruneRunFailedError extends Error {
  constructor(readonly report: PruneRunReport) {
    const failed = report.results.filter((r) => r.error || r.failed.length > 0);
    super(
      `plan ${report.plan}: pruning failed for ${failed.length} target(s): ` +
        failed.map((r) => `${r.target} (${r.error ?? r.failed.map((f) => `${f.snapshot}: ${f.error}`).join(', ')})`).join('; '),
    );
    this.name = 'PruneRunFailedError';
  }
}

/** Everything a run needs from the outside world. */
export type PruneDeps = ScheduledDeps;

/**
 * One prune tick of a plan. Per target: list its `rdr-` snapshots (status,
 * time), join the Tagging API's view (managed, plan, tier), let the pure GFS
 * selection decide with its safety rails, and delete what it marks expired,
 * oldest first, at most `maxDeletesPerTarget` per run. In dry-run mode nothing
 * is deleted. Snapshots of caches that left the plan are never pruned here.
 */
export async function runPrunePlan(input: PruneRunInput, deps: PruneDeps): Promise<PruneRunReport> {
  const started = deps.clock.now();
  const now = input.scheduledTime ? new Date(input.scheduledTime) : new Date(started);
  const deadline = started + input.budgetSeconds * 1000;
  const retry = (retryable: (e: unknown) => boolean): RetryOptions => ({
    retryable,
    deadline,
    baseDelayMs: deps.throttleDelayMs,
    maxDelayMs: 20_000,
    clock: deps.clock,
  });
  const planDims = { [DIMENSION.plan]: input.plan };

  const targets = (await retryWithBackoff(() => resolveTargets(deps.tagging, input.targets), retry(isThrottling))).value;
  deps.metrics.put(METRIC.targetsResolved, targets.length, 'Count', planDims);

  // Tags of all managed snapshots of this plan, 20 sources per query, queries in parallel.
  const chunks: string[][] = [];
  for (let i = 0; i < targets.length; i += TAG_FILTER_MAX_VALUES) {
    chunks.push(targets.slice(i, i + TAG_FILTER_MAX_VALUES).map((t) => t.id));
  }
  const tagMaps = await mapConcurrent(chunks, deps.concurrency, async (sources) =>
    (
      await retryWithBackoff(
        () => snapshotTagsBySources(deps.tagging, { [TAGS.managed]: 'true', [TAGS.plan]: input.plan }, TAGS.source, sources),
        retry(isThrottling),
      )
    ).value,
  );
  const tagsByName = new Map(tagMaps.flatMap((m) => [...m]));

  const results = await mapConcurrent(targets, deps.concurrency, (target) =>
    pruneTarget(target, input, now, tagsByName, retry, deps),
  );

  for (const r of results) {
    const dims = { ...planDims, [DIMENSION.target]: r.target };
    deps.metrics.put(input.dryRun ? METRIC.snapshotsWouldDelete : METRIC.snapshotsDeleted, input.dryRun ? r.wouldDelete.length : r.deleted.length, 'Count', dims);
    deps.metrics.put(METRIC.snapshotDeleteFailed, r.failed.length + (r.error ? 1 : 0), 'Count', dims);
    deps.metrics.put(METRIC.pruneHeld, r.hold ? 1 : 0, 'Count', dims);
    deps.metrics.put(METRIC.pruneDeferred, r.deferred.length, 'Count', dims);
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
    results,
  };
  deps.metrics.put(METRIC.snapshotsDeleted, report.deleted, 'Count', planDims);
  deps.metrics.put(METRIC.snapshotDeleteFailed, report.failed, 'Count', planDims);
  deps.metrics.put(METRIC.pruneHeld, report.held, 'Count', planDims);
  deps.log.info('prune run finished', { ...report, results: undefined });
  if (report.failed > 0) throw new PruneRunFailedError(report);
  return report;
}

async function pruneTarget(
  target: TargetRef,
  input: PruneRunInput,
  now: Date,
  tagsByName: ReadonlyMap<string, Record<string, string>>,
  retry: (retryable: (e: unknown) => boolean) => RetryOptions,
  deps: PruneDeps,
): Promise<PruneTargetResult> {
  const empty = { target: target.id, kind: target.kind, kept: 0, deleted: [], wouldDelete: [], deferred: [], failed: [] };
  let summaries;
  try {
    summaries = (await retryWithBackoff(() => listTargetSnapshots(deps.elasticache, target), retry(isThrottling))).value;
  } catch (err) {
    const error = describeError(err);
    deps.log.error('listing snapshots failed; nothing pruned for this target', { target: target.id, error });
    return { ...empty, error };
  }

  const points: RecoveryPoint[] = summaries
    .filter((s) => isSnapshotOf(s.name, target.id))
    .map((s) => {
      const tags = tagsByName.get(s.name);
      const tier = tags?.[TAGS.tier];
      return {
        name: s.name,
        source: target.id,
        status: s.status,
        createdAt: s.createdAt,
        // Ours to prune only when the snapshot's own tags say so, for this plan.
        managed: tags?.[TAGS.managed] === 'true' && tags[TAGS.plan] === input.plan,
        tier: isTier(tier) ? tier : undefined,
        plan: tags?.[TAGS.plan],
      };
    });
  const decision = selectExpired(points, { ...input.retention, rpoMinutes: input.rpoMinutes, timeZone: input.timeZone }, now);

  if (decision.hold) {
    deps.log.warn('pruning held by a safety rail; nothing deleted', { target: target.id, ...decision.hold });
    return { ...empty, hold: decision.hold, kept: decision.keep.length };
  }

  // Oldest first, so a capped run still makes progress where it matters most.
  const expired = [...decision.delete].sort((a, b) => a.point.createdAt.getTime() - b.point.createdAt.getTime());
  const batch = expired.slice(0, input.maxDeletesPerTarget);
  const deferred = expired.slice(input.maxDeletesPerTarget).map((e) => e.point.name);
  if (input.dryRun) {
    for (const e of batch) deps.log.info('dry run: would delete snapshot', { target: target.id, snapshot: e.point.name, reason: e.reason });
    return { ...empty, kept: decision.keep.length, wouldDelete: batch.map((e) => e.point.name), deferred };
  }

  const deleted: string[] = [];
  const failed: { snapshot: string; error: string }[] = [];
  for (const e of batch) {
    if (deps.clock.now() >= retry(isThrottling).deadline) {
      deferred.push(e.point.name);
      continue;
    }
    try {
      await retryWithBackoff(() => deleteSnapshot(deps.elasticache, target.kind, e.point.name), retry(isThrottling));
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
  return { ...empty, kept: decision.keep.length, deleted, deferred, failed };
}

/** Lambda entry point: EventBridge Scheduler invokes it with a {@link PruneRunInput}. */
export const handler = scheduledHandler(pruneRunInputSchema, runPrunePlan);
