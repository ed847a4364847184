import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import {
  createSnapshot,
  describeReplicationGroup,
  describeServerlessCache,
  isAlreadyExists,
  isQuotaExceeded,
  listTargetSnapshots,
  tagSnapshot,
  type SnapshotSource,
  type SnapshotSummary,
} from '../../adapters/aws/elasticache.js';
import { describeError, isBusy, isThrottling } from '../../adapters/aws/errors.js';
import { isOwnedBy, planSnapshotTags, toRecoveryPoints, type PlanOwner } from '../../adapters/aws/plan-snapshots.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import { mapConcurrent, RetriesExhaustedError, retryWithBackoff, throttleRetry, type ThrottleRetry } from '../../adapters/aws/retry.js';
import type { ProbeInvoker } from '../../adapters/aws/probe-invoke.js';
import { runFailureMessage } from '../../domain/plans/run-failure.js';
import type { ScheduledDeps } from '../kernel/deps.js';
import { formatCanary, type ProbeResult } from '../../domain/plans/probe.js';
import { resolveTargets } from '../../adapters/aws/targets.js';
import { formatSnapshotName, parseSnapshotName } from '../../domain/plans/naming.js';
import type { SnapshotRunInput } from '../../domain/plans/plan-input.js';
import { classifyTier } from '../../domain/plans/tier.js';
import { DEFAULT_COLLAPSE_THRESHOLD_PCT, type Collapse } from '../../domain/plans/collapse.js';
import {
  collapseMarkState,
  collapseMarkValue,
  JUDGED_OK_MARK,
  judgePoint,
  missingHolds,
  probeKeyspace,
  UNJUDGED_MARK,
  type CountedPoint,
} from '../../domain/points/collapse-points.js';
import { TAGS, type TargetRef, type Tier } from '../../domain/plans/types.js';

/** Why a target failed, for reports and for the on-call reader. */
export type FailureReason = 'busy' | 'throttled' | 'quota' | 'not-found' | 'unavailable' | 'snapshot-failed' | 'conflict' | 'error';

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
  /** The new snapshot was judged a keyspace collapse (the detail; see the tripwire). */
  readonly collapsed?: string;
  /** The tripwire's state for the target after this run (see {@link TripwireResult}). */
  readonly tripwire?: TripwireResult;
  /** The plan probes and the probe failed: the snapshot was taken uncounted (the run fails, naming it). */
  readonly probeError?: string;
}

/** What the keyspace-collapse tripwire found and did for one target. */
export interface TripwireResult {
  /** Active (unreleased) collapsed points of the target, oldest first. */
  readonly collapsed: readonly string[];
  /** Holds added this run, `snapshot → keyspace-collapsed:<point>`. */
  readonly holdsAdded: readonly { readonly snapshot: string; readonly hold: string }[];
  /** Points judged a collapse now, not at creation (the plan's tags could not be read then). */
  readonly markedLate?: readonly string[];
  /** Why the tripwire could not finish (the next run does). */
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
  /** Plan-level problems (tag selection or tag lookup failed); they fail the run too. */
  readonly problems: readonly string[];
  readonly results: readonly SnapshotTargetResult[];
}

/** Thrown after every target was tried when at least one failed, so Lambda errors and alarms see it. */
export class SnapshotRunFailedError extends Error {
  constructor(readonly report: SnapshotRunReport) {
    super(
      runFailureMessage(
        report.plan,
        report.problems,
        'snapshot',
        report.results.filter((r) => r.outcome === 'failed').map((r) => ({ target: r.target, why: `${r.reason}: ${r.error}` })),
      ),
    );
    this.name = 'SnapshotRunFailedError';
  }
}

/** Everything a run needs from the outside world; `probe` when plans probe. */
export type SnapshotDeps = ScheduledDeps & { readonly probe?: ProbeInvoker };

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
class TickSnapshotFailedError extends Error {
  override readonly name = 'TickSnapshotFailedError';
}
class NameConflictError extends Error {
  override readonly name = 'NameConflictError';
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
  const owner: PlanOwner = { deployment: input.deployment, plan: input.plan };
  const retryThrottled = throttleRetry(deps.clock, deadline, deps.throttleDelayMs);
  const problems: string[] = [];

  const { targets, selectionError } = await resolveTargets(deps, input.targets, retryThrottled);
  if (selectionError) problems.push(selectionError);
  deps.metrics.put(METRIC.targetsResolved, targets.length, 'Count', planDims);
  if (targets.length === 0) {
    throw new Error(
      selectionError
        ? `plan ${input.plan}: ${selectionError}`
        : `plan ${input.plan} selected no caches: check targets.replicationGroupIds, serverlessCacheNames, selectByTags and selectWithoutTag`,
    );
  }

  // This plan's own snapshots (tags), for tier history and name ownership. If
  // the lookup fails the backups are still taken (they matter most) on the
  // safe side of the tier (see previousRecoveryPoint), and the run reports the problem.
  let owned: ReadonlyMap<string, Record<string, string>> | undefined;
  try {
    owned = await planSnapshotTags(
      deps.tagging,
      owner,
      targets.map((t) => t.id),
      {
        concurrency: deps.concurrency,
        retry: retryThrottled,
      },
    );
  } catch (err) {
    problems.push(`snapshot tag lookup failed, new snapshots tagged monthly (the safe side): ${describeError(err)}`);
  }

  const results = await mapConcurrent(targets, deps.concurrency, (target) => snapshotTarget(target, input, owner, owned, tick, deadline, retryThrottled, deps));

  for (const r of results) {
    const dims = { ...planDims, [DIMENSION.target]: r.target };
    deps.metrics.put(METRIC.snapshotsCreated, r.outcome === 'created' ? 1 : 0, 'Count', dims);
    deps.metrics.put(METRIC.snapshotsFailed, r.outcome === 'failed' ? 1 : 0, 'Count', dims);
    deps.metrics.put(METRIC.snapshotAttempts, r.attempts, 'Count', dims);
    if (r.tripwire) deps.metrics.put(METRIC.keyspaceCollapsed, r.tripwire.collapsed.length, 'Count', dims);
    if (r.tripwire?.error) problems.push(`${r.target}: keyspace-collapse tripwire: ${r.tripwire.error}`);
    // ProbeFailed is a metric no alarm watches: a probe failing every run would leave the tripwire blind behind OK runs.
    if (r.probeError)
      problems.push(
        `${r.target}: probe failed, ${r.snapshot} taken without canary and key count (the keyspace-collapse tripwire cannot judge it, a drill cannot check its canary): ${r.probeError}`,
      );
  }
  // Only when every target's marks were read: a 0 for "not known" would resolve the page of an active collapse.
  if (results.every((r) => r.tripwire))
    deps.metrics.put(
      METRIC.keyspaceCollapsed,
      results.reduce((n, r) => n + (r.tripwire?.collapsed.length ?? 0), 0),
      'Count',
      planDims,
    );
  const count = (o: SnapshotTargetResult['outcome']) => results.filter((r) => r.outcome === o).length;
  const report: SnapshotRunReport = {
    plan: input.plan,
    scheduledTime: tick.toISOString(),
    targets: targets.length,
    created: count('created'),
    existing: count('exists'),
    failed: count('failed'),
    problems,
    results,
  };
  deps.metrics.put(METRIC.snapshotsCreated, report.created, 'Count', planDims);
  deps.metrics.put(METRIC.snapshotsFailed, report.failed, 'Count', planDims);
  deps.log.info('snapshot run finished', { ...report, results: undefined });
  if (report.failed > 0 || problems.length > 0) throw new SnapshotRunFailedError(report);
  return report;
}

async function snapshotTarget(
  target: TargetRef,
  input: SnapshotRunInput,
  owner: PlanOwner,
  owned: ReadonlyMap<string, Record<string, string>> | undefined,
  tick: Date,
  deadline: number,
  retryThrottled: ThrottleRetry,
  deps: SnapshotDeps,
): Promise<SnapshotTargetResult> {
  const base = { target: target.id, kind: target.kind, snapshot: '' };
  let attempts = 0;
  try {
    const snapshot = formatSnapshotName(target.id, tick);
    base.snapshot = snapshot;
    const { value } = await retryWithBackoff(
      async () => {
        attempts++;
        return attemptSnapshot(target, snapshot, input, owner, owned, tick, retryThrottled, deps);
      },
      {
        // Throttled calls are retried one by one inside the attempt; this loop
        // waits for a busy cache (on the long scale) and starts over.
        retryable: (err) => isBusy(err) || err instanceof TargetBusyError,
        deadline,
        baseDelayMs: deps.busyDelayMs,
        maxDelayMs: 60_000,
        clock: deps.clock,
      },
    );
    deps.log.info(value.outcome === 'created' ? 'snapshot created' : 'snapshot already exists', {
      ...base,
      tier: value.tier,
      attempts,
    });
    if (value.collapse) {
      deps.log.error('keyspace collapsed: the snapshot is marked, the points before it are held', { ...base, collapse: value.collapse });
    }
    const { collapse, createdTags, ...rest } = value;
    const tripwire = await runTripwire(target, owner, owned, createdTags && { name: snapshot, tags: createdTags }, input, retryThrottled, deps);
    return { ...base, ...rest, attempts, ...(collapse ? { collapsed: collapse.detail } : {}), tripwire };
  } catch (err) {
    const cause = err instanceof RetriesExhaustedError ? err.cause : err;
    const reason = failureReason(cause);
    const error = describeError(cause);
    deps.log.error('snapshot failed', { ...base, reason, error, attempts });
    // The holds of an earlier collapse are kept up even when this tick's snapshot failed.
    const tripwire = await runTripwire(target, owner, owned, undefined, input, retryThrottled, deps);
    return { ...base, outcome: 'failed', attempts, reason, error, tripwire };
  }
}

/**
 * The keyspace-collapse tripwire for one target, level-triggered: every
 * active (unreleased) collapse of the target holds every available point of
 * this plan before it (`redis-dr:hold`, which pruning keeps), and holds a
 * failed run left out are added by the next. Counted points without a
 * verdict are judged here too, oldest first, and marked: those created while
 * the plan's tags could not be read (`unjudged`) and an unmarked newest one.
 * Never throws: an error is
 * returned, the run then fails and the next run repairs. `undefined` when
 * the plan's tags could not be read: nothing is known, nothing is counted.
 */
async function runTripwire(
  target: TargetRef,
  owner: PlanOwner,
  owned: ReadonlyMap<string, Record<string, string>> | undefined,
  created: { name: string; tags: Record<string, string> } | undefined,
  input: SnapshotRunInput,
  retryThrottled: ThrottleRetry,
  deps: SnapshotDeps,
): Promise<TripwireResult | undefined> {
  // Without the plan's tags nothing can be judged, held or counted (reported as a run problem already).
  if (!owned) return undefined;
  const holdsAdded: { snapshot: string; hold: string }[] = [];
  const markedLate: string[] = [];
  let active: string[] = [];
  try {
    const tags = new Map(owned);
    if (created) tags.set(created.name, { ...(tags.get(created.name) ?? {}), ...created.tags });
    // From the tags alone first: the target's points of this plan, their counts and verdicts. The usual
    // run (no collapse anywhere) ends here without another call.
    const ours = [...tags]
      .filter(([name, t]) => t[TAGS.source] === target.id && isOwnedBy(t, owner) && parseSnapshotName(name) !== undefined)
      .map(([name, t]) => ({ name, at: parseSnapshotName(name)!.at, tags: t }))
      .sort((a, b) => b.at.getTime() - a.at.getTime());
    const counted = ours.filter((p) => probeKeyspace(p.tags) !== undefined).reverse();
    // Points without a verdict are judged here, oldest first: those created while the plan's tags could not be
    // read (`unjudged`), and the newest counted point if unmarked (a verdict lost in between).
    const threshold = input.collapseThresholdPct ?? DEFAULT_COLLAPSE_THRESHOLD_PCT;
    const verdicts: { name: string; value: string; collapse?: Collapse }[] = [];
    counted.forEach((p, i) => {
      const state = collapseMarkState(p.tags[TAGS.collapsed]);
      if (!(state === 'unjudged' || (state === undefined && i === counted.length - 1))) return;
      const history = counted.slice(0, i).map((q) => counted_(q.name, q.at, q.tags));
      const collapse = judgePoint(history, { point: p.name, keys: probeKeyspace(p.tags)!, createdAt: p.at }, threshold);
      // A good newest point that was never unjudged needs no mark (no call every run); the rest get their verdict.
      if (!collapse && state === undefined) return;
      const value = collapse ? collapseMarkValue(collapse) : JUDGED_OK_MARK;
      p.tags = { ...p.tags, [TAGS.collapsed]: value };
      verdicts.push({ name: p.name, value, collapse });
    });
    active = ours.filter((p) => collapseMarkState(p.tags[TAGS.collapsed]) === 'active').map((p) => p.name);
    if (active.length === 0 && verdicts.length === 0) return { collapsed: [], holdsAdded: [] };
    active.sort((a, b) => parseSnapshotName(a)!.at.getTime() - parseSnapshotName(b)!.at.getTime());

    // Something to hold: statuses and ARNs from ElastiCache.
    const summaries = await listTargetSnapshots(deps.elasticache, target, retryThrottled);
    const arnOf = new Map(summaries.map((s) => [s.name, s.arn]));
    const arn = (name: string, why: string): string => {
      const found = arnOf.get(name);
      if (!found) throw new Error(`ElastiCache returned no ARN for ${name}, so ${why}`);
      return found;
    };
    for (const v of verdicts) {
      const mark = { [TAGS.collapsed]: v.value };
      const markArn = arn(v.name, 'its verdict cannot be recorded');
      await retryThrottled(() => tagSnapshot(deps.elasticache, markArn, mark));
      tags.set(v.name, { ...(tags.get(v.name) ?? {}), ...mark });
      if (v.collapse) {
        markedLate.push(v.name);
        deps.log.error('keyspace collapsed (judged after creation): the snapshot is marked, the points before it are held', {
          target: target.id,
          collapse: v.collapse,
        });
      }
    }
    const candidates = toRecoveryPoints(summaries, target.id, tags, owner).map((p) => ({
      ...p,
      createdAt: parseSnapshotName(p.name)?.at ?? p.createdAt,
      mark: collapseMarkState(tags.get(p.name)?.[TAGS.collapsed]),
    }));
    // A point created seconds ago may not be listed yet: its collapse holds all the same.
    const listed = new Set(candidates.map((c) => c.name));
    const unlisted = active
      .filter((name) => !listed.has(name))
      .map((name) => ({ name, createdAt: parseSnapshotName(name)!.at, status: 'creating', managed: true, mark: 'active' as const }));
    for (const add of missingHolds([...candidates, ...unlisted])) {
      const holdArn = arn(add.snapshot, 'it cannot be held');
      await retryThrottled(() => tagSnapshot(deps.elasticache, holdArn, { [TAGS.hold]: add.hold }));
      holdsAdded.push(add);
      deps.log.warn('recovery point held: a later point of the target collapsed', { target: target.id, ...add });
    }
    return { collapsed: active, holdsAdded, ...(markedLate.length > 0 ? { markedLate } : {}) };
  } catch (err) {
    const error = describeError(err instanceof RetriesExhaustedError ? err.cause : err);
    deps.log.error('keyspace-collapse tripwire could not finish; the next run does', { target: target.id, error, holdsAdded });
    return { collapsed: active, holdsAdded, ...(markedLate.length > 0 ? { markedLate } : {}), error };
  }
}

/** A point as the tripwire judges it: the probe's count (without the canary) and its verdict. */
function counted_(name: string, createdAt: Date, tags: Readonly<Record<string, string>>): CountedPoint {
  return { name, createdAt, keys: probeKeyspace(tags), mark: collapseMarkState(tags[TAGS.collapsed]) };
}

/** One attempt: look for this tick's snapshot, check the cache, create. */
async function attemptSnapshot(
  target: TargetRef,
  snapshot: string,
  input: SnapshotRunInput,
  owner: PlanOwner,
  owned: ReadonlyMap<string, Record<string, string>> | undefined,
  tick: Date,
  retryThrottled: ThrottleRetry,
  deps: SnapshotDeps,
): Promise<{ outcome: 'created' | 'exists'; tier?: Tier; collapse?: Collapse; createdTags?: Record<string, string>; probeError?: string }> {
  // Existing snapshots first: a rerun of this tick finds the cache busy with our
  // own snapshot, and must report success rather than wait for it.
  const existing = await listTargetSnapshots(deps.elasticache, target, retryThrottled);
  const same = existing.find((s) => s.name === snapshot);
  if (same) return sameNameOutcome(same.status, snapshot, owned, owner);

  const { source, reach } = await retryThrottled(() => snapshotSource(target, deps.elasticache));
  const tier = classifyTier(previousRecoveryPoint(existing, target, owner, owned, tick), tick, input.timeZone);
  const probe = input.probe ? await probeBefore(target, snapshot, source, reach, input, deps) : undefined;
  const probed = probe && 'keys' in probe ? probe : undefined;
  const tags: Record<string, string> = {
    [TAGS.managed]: 'true',
    [TAGS.deployment]: input.deployment,
    [TAGS.plan]: input.plan,
    [TAGS.source]: target.id,
    [TAGS.sourceKind]: target.kind,
    [TAGS.tier]: tier,
    ...(probed ? { [TAGS.keys]: String(probed.keys), [TAGS.canary]: probed.canary } : {}),
    ...(probed?.expiries ? { [TAGS.expiries]: probed.expiries } : {}),
  };
  // The tripwire's verdict goes into the creation tags: a collapse is never a point without its mark.
  const collapse = probed && owned ? judgeAtCreation(existing, target, owner, owned, snapshot, tick, tags, input) : undefined;
  if (collapse) tags[TAGS.collapsed] = collapseMarkValue(collapse);
  // Counted, but the plan's tags could not be read: the next run judges it (and every point like it).
  if (probed && !owned) tags[TAGS.collapsed] = UNJUDGED_MARK;
  try {
    await retryThrottled(() => createSnapshot(deps.elasticache, source, snapshot, tags));
    return { outcome: 'created', tier, collapse, createdTags: tags, ...(probe && 'error' in probe ? { probeError: probe.error } : {}) };
  } catch (err) {
    if (isAlreadyExists(err)) return { outcome: 'exists' };
    throw err;
  }
}

/**
 * This tick's name is taken. Ours (or not yet indexed by the Tagging API: a
 * run of this tick seconds ago) → done. Failed → the tick is lost, say so.
 * Another plan's → two plans select this cache.
 */
function sameNameOutcome(
  status: string,
  snapshot: string,
  owned: ReadonlyMap<string, Record<string, string>> | undefined,
  owner: PlanOwner,
): { outcome: 'exists' } {
  if (status === 'failed') {
    throw new TickSnapshotFailedError(`${snapshot} exists and failed; the next scheduled run takes a new snapshot`);
  }
  const tags = owned?.get(snapshot);
  if (tags && !isOwnedBy(tags, owner)) {
    throw new NameConflictError(
      `${snapshot} belongs to plan ${tags[TAGS.plan] ?? '?'} of deployment ${tags[TAGS.deployment] ?? '?'}: a cache must be selected by one plan only`,
    );
  }
  return { outcome: 'exists' };
}

/**
 * Time of the previous *available* recovery point this plan owns (a snapshot
 * still creating may yet fail, so it does not count: a tier can only come out
 * too high, never too low). Without tag data nothing can be proven ours: a
 * hand-made or foreign `rdr-` snapshot taken as the previous point would give
 * the new one too low a tier (and retention would drop it early), so there is
 * no previous point and the tier is `monthly`, the safe side: kept longest.
 */
function previousRecoveryPoint(
  existing: readonly SnapshotSummary[],
  target: TargetRef,
  owner: PlanOwner,
  owned: ReadonlyMap<string, Record<string, string>> | undefined,
  tick: Date,
): Date | undefined {
  if (!owned) return undefined;
  const candidates = toRecoveryPoints(existing, target.id, owned, owner).filter((p) => p.managed);
  const times = candidates
    .filter((p) => p.status === 'available')
    .map((p) => parseSnapshotName(p.name)?.at.getTime())
    .filter((t): t is number => t !== undefined && t < tick.getTime());
  return times.length > 0 ? new Date(Math.max(...times)) : undefined;
}

/**
 * Judges the point about to be created (the probe's count) against the
 * fullest good point of the collapse window of this plan on the target (available or still
 * creating, counted, not collapsed).
 */
function judgeAtCreation(
  existing: readonly SnapshotSummary[],
  target: TargetRef,
  owner: PlanOwner,
  owned: ReadonlyMap<string, Record<string, string>>,
  snapshot: string,
  tick: Date,
  tags: Readonly<Record<string, string>>,
  input: SnapshotRunInput,
): Collapse | undefined {
  const keys = probeKeyspace(tags);
  if (keys === undefined) return undefined;
  const history = toRecoveryPoints(existing, target.id, owned, owner)
    .filter((p) => p.managed && p.status !== 'failed' && p.status !== 'deleting')
    .map((p) => counted_(p.name, parseSnapshotName(p.name)?.at ?? p.createdAt, owned.get(p.name) ?? {}));
  return judgePoint(history, { point: snapshot, keys, createdAt: tick }, input.collapseThresholdPct ?? DEFAULT_COLLAPSE_THRESHOLD_PCT);
}

/** How the probe reaches a replication group or serverless cache. */
interface Reach {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly clusterMode: 'enabled' | 'disabled';
}

/** Where to take the snapshot from (and where the probe connects), or why not now. */
async function snapshotSource(target: TargetRef, client: ElastiCacheClient): Promise<{ source: SnapshotSource; reach?: Reach }> {
  if (target.kind === 'serverless-cache') {
    const cache = await describeServerlessCache(client, target.id);
    if (!cache) throw new TargetNotFoundError(`serverless cache ${target.id} does not exist`);
    assertAvailable(target, cache.status);
    // Serverless: TLS always, and the endpoint speaks the cluster protocol (CLUSTER SLOTS names itself for every slot).
    return {
      source: { kind: 'serverless-cache', serverlessCacheName: target.id },
      reach: cache.endpoint && { ...cache.endpoint, tls: true, clusterMode: 'enabled' },
    };
  }
  const group = await describeReplicationGroup(client, target.id);
  if (!group) throw new TargetNotFoundError(`replication group ${target.id} does not exist`);
  assertAvailable(target, group.status);
  return {
    source: { kind: 'replication-group', replicationGroupId: group.id, cacheClusterId: group.replicaClusterId },
    reach: group.endpoint && { ...group.endpoint, tls: group.tls, clusterMode: group.clusterEnabled ? 'enabled' : 'disabled' },
  };
}

/**
 * The probe, just before the snapshot: the canary and the key count go into
 * the snapshot's tags. A probe that fails never stops the backup: the
 * snapshot is taken without them, `ProbeFailed` says so, and the run fails
 * after every target is done, naming it (its error, returned here).
 */
async function probeBefore(
  target: TargetRef,
  snapshot: string,
  source: SnapshotSource,
  reach: Reach | undefined,
  input: SnapshotRunInput,
  deps: SnapshotDeps,
): Promise<ProbeResult | { error: string }> {
  const dims = { [DIMENSION.plan]: input.plan, [DIMENSION.target]: target.id };
  try {
    if (!deps.probe) throw new Error('no probe function is configured (PROBE_FUNCTION_NAME)');
    if (!reach) throw new Error(`${target.id} has no endpoint to probe`);
    const nonce = Math.floor(deps.clock.random() * 2 ** 32).toString(36);
    const result = await deps.probe({
      ...reach,
      authSecretArn: input.probe?.authSecretArn,
      canary: formatCanary(snapshot, nonce, new Date(deps.clock.now())),
      // Snapshots of cluster-mode-disabled groups come from a replica: it must have the canary.
      waitReplicas: source.kind === 'replication-group' && source.cacheClusterId ? 1 : undefined,
    });
    deps.metrics.put(METRIC.probeFailed, 0, 'Count', dims);
    return result;
  } catch (err) {
    deps.metrics.put(METRIC.probeFailed, 1, 'Count', dims);
    const error = describeError(err);
    deps.log.error('probe failed; the snapshot is taken without canary and key count', { target: target.id, snapshot, error });
    return { error };
  }
}

function assertAvailable(target: TargetRef, status: string): void {
  if (status === 'available') return;
  if (BUSY_STATES.has(status)) throw new TargetBusyError(`${target.id} is ${status}`);
  throw new TargetUnavailableError(`${target.id} is ${status}`);
}

function failureReason(err: unknown): FailureReason {
  if (err instanceof TargetBusyError || isBusy(err)) return 'busy';
  if (isThrottling(err)) return 'throttled';
  if (isQuotaExceeded(err)) return 'quota';
  if (err instanceof TargetNotFoundError) return 'not-found';
  if (err instanceof TargetUnavailableError) return 'unavailable';
  if (err instanceof TickSnapshotFailedError) return 'snapshot-failed';
  if (err instanceof NameConflictError) return 'conflict';
  return 'error';
}

function truncateToMinute(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 60_000) * 60_000);
}
