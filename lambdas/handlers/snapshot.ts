import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import {
  createSnapshot,
  describeReplicationGroup,
  describeServerlessCache,
  isAlreadyExists,
  isQuotaExceeded,
  listTargetSnapshots,
  type SnapshotSource,
} from '../adapters/elasticache.js';
import { describeError, isThrottling, isTransient } from '../adapters/errors.js';
import { DIMENSION, METRIC } from '../adapters/metrics.js';
import { mapConcurrent, RetriesExhaustedError, retryWithBackoff } from '../adapters/retry.js';
import { scheduledHandler, type ScheduledDeps } from '../adapters/runtime.js';
import { resolveTargets } from '../adapters/targets.js';
import { formatSnapshotName, isSnapshotOf, parseSnapshotName } from '../domain/naming.js';
import { snapshotRunInputSchema, type SnapshotRunInput } from '../domain/plan-input.js';
import { classifyTier } from '../domain/tier.js';
import { TAGS, type TargetRef, type Tier } from '../domain/types.js';

/** Why a target failed, for reports and for the on-call reader. */
export type FailureReason = 'busy' | 'throttled' | 'quota' | 'not-found' | 'unavailable' | 'error';

/** Outcome for one target. */
export interface SnapshotTargetResult {
  readonly target: string;
  readonly kind: TargetRef['kind'];
  /** `created` now, `exists` from an earlier run of the same tick, or `failed`. */
  readonly outcome: 'created' | 'exists' | 'failed';
  readonly snapshot: string;
  readonly tier?: Tier;
  readonly attempts: number;
  readonly reason?: FailureReason;
  readonly error?: string;
}

/** What one run did, returned to the caller and logged. */
export interface SnapshotRunReport {
  readonly plan: string;
  readonly scheduledTime: string;
  readonly targets: number;
  readonly created: number;
  readonly existing: number;
  readonly failed: number;
  readonly results: readonly SnapshotTargetResult[];
}

/** Thrown after every target was tried when at least one failed, so Lambda errors and alarms see it. */
export class SnapshotRunFailedError extends Error {
  constructor(readonly report: SnapshotRunReport) {
    const failed = report.results.filter((r) => r.outcome === 'failed');
    super(
      `plan ${report.plan}: ${failed.length} of ${report.targets} target(s) failed: ` +
        failed.map((r) => `${r.target} (${r.reason}: ${r.error})`).join('; '),
    );
    this.name = 'SnapshotRunFailedError';
  }
}

/** Everything a run needs from the outside world. */
export type SnapshotDeps = ScheduledDeps;

/** Cache states worth waiting for within the budget (another operation will end). */
const BUSY_STATES = new Set(['snapshotting', 'modifying', 'creating', 'rebooting cluster node(s)']);

class TargetBusyError extends Error {
  override readonly name = 'TargetBusyError';
}
class TargetUnavailableError extends Error {
  override readonly name = 'TargetUnavailableError';
}
class TargetNotFoundError extends Error {
  override readonly name = 'TargetNotFoundError';
}

/**
 * One tick of a plan: resolve targets, then per target (bounded concurrency)
 * create `rdr-<target>-<yyyymmdd>-<hhmm>` tagged with plan, source and tier.
 * Idempotent per tick; busy or throttled targets are retried with backoff
 * within `budgetSeconds`; one target's failure never stops the others.
 */
export async function runSnapshotPlan(input: SnapshotRunInput, deps: SnapshotDeps): Promise<SnapshotRunReport> {
  const started = deps.clock.now();
  const tick = truncateToMinute(input.scheduledTime ? new Date(input.scheduledTime) : new Date(started));
  const deadline = started + input.budgetSeconds * 1000;
  const planDims = { [DIMENSION.plan]: input.plan };

  const targets = await retryWithBackoff(() => resolveTargets(deps.tagging, input.targets), {
    retryable: isThrottling,
    deadline,
    baseDelayMs: deps.throttleDelayMs,
    maxDelayMs: 20_000,
    clock: deps.clock,
  }).then((r) => r.value);
  deps.metrics.put(METRIC.targetsResolved, targets.length, 'Count', planDims);
  if (targets.length === 0) {
    throw new Error(
      `plan ${input.plan} selected no caches: check targets.replicationGroupIds, serverlessCacheNames and selectByTags`,
    );
  }

  const results = await mapConcurrent(targets, deps.concurrency, (target) =>
    snapshotTarget(target, input, tick, deadline, deps),
  );

  for (const r of results) {
    const dims = { ...planDims, [DIMENSION.target]: r.target };
    deps.metrics.put(METRIC.snapshotsCreated, r.outcome === 'created' ? 1 : 0, 'Count', dims);
    deps.metrics.put(METRIC.snapshotsFailed, r.outcome === 'failed' ? 1 : 0, 'Count', dims);
    deps.metrics.put(METRIC.snapshotAttempts, r.attempts, 'Count', dims);
  }
  const count = (o: SnapshotTargetResult['outcome']) => results.filter((r) => r.outcome === o).length;
  const report: SnapshotRunReport = {
    plan: input.plan,
    scheduledTime: tick.toISOString(),
    targets: targets.length,
    created: count('created'),
    existing: count('exists'),
    failed: count('failed'),
    results,
  };
  deps.metrics.put(METRIC.snapshotsCreated, report.created, 'Count', planDims);
  deps.metrics.put(METRIC.snapshotsFailed, report.failed, 'Count', planDims);
  deps.log.info('snapshot run finished', { ...report, results: undefined });
  if (report.failed > 0) throw new SnapshotRunFailedError(report);
  return report;
}

async function snapshotTarget(
  target: TargetRef,
  input: SnapshotRunInput,
  tick: Date,
  deadline: number,
  deps: SnapshotDeps,
): Promise<SnapshotTargetResult> {
  const snapshot = formatSnapshotName(target.id, tick);
  const base = { target: target.id, kind: target.kind, snapshot };
  let attempts = 0;
  try {
    const { value } = await retryWithBackoff(
      async () => {
        attempts++;
        return attemptSnapshot(target, snapshot, input, tick, deps);
      },
      {
        retryable: (err) => isTransient(err) || err instanceof TargetBusyError,
        deadline,
        baseDelayMs: (err) => (isThrottling(err) ? deps.throttleDelayMs : deps.busyDelayMs),
        maxDelayMs: 60_000,
        clock: deps.clock,
      },
    );
    deps.log.info(value.outcome === 'created' ? 'snapshot created' : 'snapshot already exists', {
      ...base,
      tier: value.tier,
      attempts,
    });
    return { ...base, ...value, attempts };
  } catch (err) {
    const cause = err instanceof RetriesExhaustedError ? err.cause : err;
    const reason = failureReason(cause);
    const error = describeError(cause);
    deps.log.error('snapshot failed', { ...base, reason, error, attempts });
    return { ...base, outcome: 'failed', attempts, reason, error };
  }
}

/** One attempt: look for this tick's snapshot, check the cache, create. */
async function attemptSnapshot(
  target: TargetRef,
  snapshot: string,
  input: SnapshotRunInput,
  tick: Date,
  deps: SnapshotDeps,
): Promise<{ outcome: 'created' | 'exists'; tier?: Tier }> {
  // Existing snapshots first: a rerun of this tick finds the cache busy with our
  // own snapshot, and must report success rather than wait for it.
  const existing = await listTargetSnapshots(deps.elasticache, target);
  if (existing.some((s) => s.name === snapshot)) return { outcome: 'exists' };

  const source = await snapshotSource(target, deps.elasticache);
  const previous = existing
    .filter((s) => s.status !== 'failed' && isSnapshotOf(s.name, target.id))
    .map((s) => parseSnapshotName(s.name)?.at.getTime() ?? 0)
    .filter((t) => t < tick.getTime())
    .reduce<number | undefined>((a, t) => (a === undefined || t > a ? t : a), undefined);
  const tier = classifyTier(previous === undefined ? undefined : new Date(previous), tick, input.timeZone);
  const tags = {
    [TAGS.managed]: 'true',
    [TAGS.plan]: input.plan,
    [TAGS.source]: target.id,
    [TAGS.sourceKind]: target.kind,
    [TAGS.tier]: tier,
  };
  try {
    await createSnapshot(deps.elasticache, source, snapshot, tags);
    return { outcome: 'created', tier };
  } catch (err) {
    if (isAlreadyExists(err)) return { outcome: 'exists' };
    throw err;
  }
}

/** Where to take the snapshot from, or why not now. */
async function snapshotSource(target: TargetRef, client: ElastiCacheClient): Promise<SnapshotSource> {
  if (target.kind === 'serverless-cache') {
    const cache = await describeServerlessCache(client, target.id);
    if (!cache) throw new TargetNotFoundError(`serverless cache ${target.id} does not exist`);
    assertAvailable(target, cache.status);
    return { kind: 'serverless-cache', serverlessCacheName: target.id };
  }
  const group = await describeReplicationGroup(client, target.id);
  if (!group) throw new TargetNotFoundError(`replication group ${target.id} does not exist`);
  assertAvailable(target, group.status);
  return { kind: 'replication-group', replicationGroupId: group.id, cacheClusterId: group.replicaClusterId };
}

function assertAvailable(target: TargetRef, status: string): void {
  if (status === 'available') return;
  if (BUSY_STATES.has(status)) throw new TargetBusyError(`${target.id} is ${status}`);
  throw new TargetUnavailableError(`${target.id} is ${status}`);
}

function failureReason(err: unknown): FailureReason {
  if (err instanceof TargetBusyError || (isTransient(err) && !isThrottling(err))) return 'busy';
  if (isThrottling(err)) return 'throttled';
  if (isQuotaExceeded(err)) return 'quota';
  if (err instanceof TargetNotFoundError) return 'not-found';
  if (err instanceof TargetUnavailableError) return 'unavailable';
  return 'error';
}

function truncateToMinute(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 60_000) * 60_000);
}

/** Lambda entry point: EventBridge Scheduler invokes it with a {@link SnapshotRunInput}. */
export const handler = scheduledHandler(snapshotRunInputSchema, runSnapshotPlan);
