import {
  describeSnapshotDetail,
  isAlreadyExists,
  isQuotaExceeded,
  listTargetSnapshots,
  startSnapshotExport,
  tagSnapshot,
  type SnapshotDetail,
} from '../../adapters/aws/elasticache.js';
import { describeError, isBusy, isThrottling } from '../../adapters/aws/errors.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import { planSnapshotTags, toRecoveryPoints, type PlanOwner } from '../../adapters/aws/plan-snapshots.js';
import { mapConcurrent, RetriesExhaustedError, throttleRetry, type ThrottleRetry } from '../../adapters/aws/retry.js';
import { runFailureMessage } from '../../domain/plans/run-failure.js';
import type { ScheduledDeps } from '../kernel/deps.js';
import { addObjectTags, listObjects } from '../../adapters/aws/s3/objects.js';
import { resolveTargets } from '../../adapters/aws/targets.js';
import { exportObjectKey, exportObjectTags } from '../../domain/points/export-objects.js';
import { copyExportUnderOrgRoot } from './org-export-copy.js';
import {
  classifyCandidate,
  exportAttempts,
  newestFirst,
  nextExportStep,
  retryTargetTags,
  type ExportAttempt,
  type ExportSkipReason,
  type ExportStep,
} from '../../domain/dr-copies/export-plan.js';
import type { ExportRunInput } from '../../domain/plans/plan-input.js';
import { TAGS, type TargetRef, type Tier } from '../../domain/plans/types.js';
import { heldTierValue } from '../../domain/plans/collapse.js';
import { setCopyTiers } from './collapse-copies.js';

/** Why a snapshot's export failed this run. */
export type ExportFailureReason =
  /** The latest export left some shards only; the next attempt is the repair. */
  | 'incomplete'
  /** Half-finished and no attempt left: someone has to look. */
  | 'gave-up'
  /** The target's snapshots could not be listed. */
  | 'listing'
  | 'throttled'
  | 'quota'
  | 'error';

/** What happened to one snapshot (or, with an empty `snapshot`, to a target whose listing failed). */
export interface ExportSnapshotResult {
  readonly target: string;
  readonly kind: TargetRef['kind'];
  /** Empty when the target's snapshots could not be listed. */
  readonly snapshot: string;
  readonly tier?: Tier;
  /**
   * `started` an export, `completed` (objects tagged, snapshot marked),
   * `in-progress` (an export runs), `waiting` (snapshot not ready yet),
   * `backlog` (beyond this run's start limit or budget), `failed`, `skipped`.
   */
  readonly outcome: 'started' | 'completed' | 'in-progress' | 'waiting' | 'backlog' | 'failed' | 'skipped';
  /** The export started, to start, or finalized (`TargetSnapshotName`). */
  readonly exportName?: string;
  readonly attempt?: number;
  /** Shards tagged when completed. */
  readonly shards?: number;
  /** For a half-finished export: its next attempt was started, waits in the backlog, or already runs. */
  readonly retry?: 'started' | 'backlog' | 'in-progress';
  readonly reason?: ExportFailureReason | ExportSkipReason;
  /** Why it waits, is in progress, or failed, in words. */
  readonly detail?: string;
  readonly error?: string;
}

/** What one export run did. */
export interface ExportRunReport {
  readonly plan: string;
  readonly targets: number;
  /** Exports started this run (first attempts and retries). */
  readonly started: number;
  readonly completed: number;
  readonly inProgress: number;
  /** Exports due but not started: start limit or budget reached. */
  readonly backlog: number;
  readonly failed: number;
  readonly skipped: number;
  /** Candidates not ready to export yet (`creating`). */
  readonly waiting: number;
  /** Plan-level problems (tag selection failed); they fail the run too. */
  readonly problems: readonly string[];
  readonly results: readonly ExportSnapshotResult[];
}

/** Thrown after every candidate was tried when an export (or a listing) failed, so Lambda errors and alarms see it. */
export class ExportRunFailedError extends Error {
  constructor(readonly report: ExportRunReport) {
    super(
      runFailureMessage(
        report.plan,
        report.problems,
        'export',
        report.results.filter((r) => r.outcome === 'failed').map((r) => ({ target: r.snapshot || r.target, why: `${r.reason}: ${r.error ?? r.detail ?? ''}` })),
      ),
    );
    this.name = 'ExportRunFailedError';
  }
}

/** Everything a run needs from the outside world. */
export type ExportDeps = ScheduledDeps;

/** A snapshot to export, with what its tags say. */
interface Candidate {
  readonly target: TargetRef;
  readonly name: string;
  readonly createdAt: Date;
  readonly status: string;
  readonly tier: Tier;
  readonly tags: Readonly<Record<string, string>>;
}

/** A candidate with its next step, after looking at its objects. */
interface Planned {
  readonly candidate: Candidate;
  readonly step: ExportStep;
  /** Described when the bucket held objects of it. */
  readonly detail?: SnapshotDetail;
  /** A start beyond this run's limit. */
  readonly overLimit?: boolean;
}

/**
 * At most `limit` export starts per run, granted in candidate order (newest
 * first) whatever order the candidates are decided in: a claim waits until
 * every earlier candidate has said whether it wants a start. Every candidate
 * claims exactly once, so nobody waits forever.
 */
class StartSlots {
  private readonly wants: { promise: Promise<boolean>; resolve: (wants: boolean) => void }[];

  constructor(
    candidates: number,
    private readonly limit: number,
  ) {
    this.wants = Array.from({ length: candidates }, () => {
      let resolve!: (wants: boolean) => void;
      const promise = new Promise<boolean>((r) => (resolve = r));
      return { promise, resolve };
    });
  }

  /** Records whether candidate `index` wants a start; true when it gets one. */
  async claim(index: number, wants: boolean): Promise<boolean> {
    this.wants[index]!.resolve(wants);
    if (!wants) return false;
    const earlier = await Promise.all(this.wants.slice(0, index).map((w) => w.promise));
    return earlier.filter(Boolean).length < this.limit;
  }
}

/** Shared by the steps of one run. */
interface RunContext {
  readonly input: ExportRunInput;
  readonly deps: ExportDeps;
  readonly deadline: number;
  readonly retry: ThrottleRetry;
}

/**
 * One export tick of a plan, a level-triggered reconciler. It lists the
 * plan's snapshots on every target, keeps those of tier `minTier` or higher
 * not yet marked `redis-dr:exported`, and per snapshot, newest first, looks
 * at the objects its exports left in the bucket: none → start an export
 * (at most `maxStartsPerRun` per run, the rest is backlog); complete → tag
 * each shard object with tier and metadata, then mark the snapshot exported;
 * half-finished → start the next attempt under a new name and report it.
 * Nothing is ever deleted. One snapshot's failure never stops the others.
 */
export async function runExportPlan(input: ExportRunInput, deps: ExportDeps): Promise<ExportRunReport> {
  const deadline = deps.clock.now() + input.budgetSeconds * 1000;
  const owner: PlanOwner = { deployment: input.deployment, plan: input.plan };
  const retry = throttleRetry(deps.clock, deadline, deps.throttleDelayMs);
  const ctx: RunContext = { input, deps, deadline, retry };
  const planDims = { [DIMENSION.plan]: input.plan };

  const { targets, selectionError } = await resolveTargets(deps, input.targets, retry);
  deps.metrics.put(METRIC.targetsResolved, targets.length, 'Count', planDims);
  // Tier and ownership come from tags only: without them nothing can be exported.
  const owned = await planSnapshotTags(
    deps.tagging,
    owner,
    targets.map((t) => t.id),
    {
      concurrency: deps.concurrency,
      retry,
    },
  );

  const listed = await mapConcurrent(targets, deps.concurrency, (target) => targetCandidates(target, owner, owned, ctx));
  const candidates = newestFirst(listed.flatMap((l) => l.candidates));
  // Each candidate is looked at and acted on in one go (no run spends its
  // budget inspecting a long backlog before starting anything); start slots
  // still go to the newest snapshots first.
  const slots = new StartSlots(candidates.length, input.maxStartsPerRun);
  const done = await mapConcurrent(candidates, deps.concurrency, async (c, index) => {
    // inspect() reports its failures as results; the catch only guards the
    // slot ledger (a claim left unmade would stall every later candidate).
    const planned = await inspect(c, ctx).catch((err: unknown) => failed(baseResult(c), err, ctx, 'looking at the export failed'));
    const wantsStart = 'step' in planned && planned.step.step === 'start';
    const granted = await slots.claim(index, wantsStart);
    return 'step' in planned ? carryOut({ ...planned, overLimit: wantsStart && !granted }, ctx) : planned;
  });
  const heldFailures = (
    await mapConcurrent(
      listed.flatMap((l) => l.held),
      deps.concurrency,
      (h) => holdCopies(h, ctx),
    )
  ).filter((r): r is ExportSnapshotResult => r !== undefined);
  const results = [...listed.flatMap((l) => l.results), ...done, ...heldFailures];

  const report = summarize(input.plan, targets.length, selectionError ? [selectionError] : [], results);
  for (const target of targets) {
    putCounts(
      ctx,
      { ...planDims, [DIMENSION.target]: target.id },
      results.filter((r) => r.target === target.id),
    );
  }
  putCounts(ctx, planDims, results);
  deps.log.info('export run finished', { ...report, results: undefined });
  if (report.failed > 0 || report.problems.length > 0) throw new ExportRunFailedError(report);
  return report;
}

/** A target's candidates (and its skipped snapshots, or its listing failure, as results). */
async function targetCandidates(
  target: TargetRef,
  owner: PlanOwner,
  owned: ReadonlyMap<string, Record<string, string>>,
  ctx: RunContext,
): Promise<{ candidates: Candidate[]; results: ExportSnapshotResult[]; held: HeldExport[] }> {
  let summaries;
  try {
    summaries = await listTargetSnapshots(ctx.deps.elasticache, target, ctx.retry);
  } catch (err) {
    const error = describeError(unwrap(err));
    ctx.deps.log.error('listing snapshots failed; nothing exported for this target', { target: target.id, error });
    return { candidates: [], results: [{ target: target.id, kind: target.kind, snapshot: '', outcome: 'failed', reason: 'listing', error }], held: [] };
  }
  const candidates: Candidate[] = [];
  const results: ExportSnapshotResult[] = [];
  const held: HeldExport[] = [];
  for (const point of toRecoveryPoints(summaries, target.id, owned, owner)) {
    if (point.managed && point.exported && point.held !== undefined) held.push({ target, name: point.name, tier: point.tier });
    const tags = owned.get(point.name) ?? {};
    const verdict = classifyCandidate(point, tags, ctx.input.minTier);
    if (verdict.kind === 'candidate') {
      candidates.push({ target, name: point.name, createdAt: point.createdAt, status: point.status, tier: verdict.tier, tags });
    } else if (verdict.kind === 'skipped') {
      ctx.deps.log.warn('snapshot not exported', { target: target.id, snapshot: point.name, reason: verdict.reason });
      results.push({ target: target.id, kind: target.kind, snapshot: point.name, outcome: 'skipped', reason: verdict.reason });
    }
  }
  return { candidates, results, held };
}

/** An exported snapshot a keyspace collapse holds: its copies in the export bucket must be held too. */
interface HeldExport {
  readonly target: TargetRef;
  readonly name: string;
  readonly tier?: Tier;
}

/**
 * Keeps the export-bucket copies of held snapshots out of the lifecycle
 * rules: their tier tag moved to `held-<tier>` (level-triggered, every run;
 * S3 replication carries the change to the DR copies). Release puts it back
 * (`retention release`); this job never does. A failure is the snapshot's
 * result, the next run tries again.
 */
async function holdCopies(h: HeldExport, ctx: RunContext): Promise<ExportSnapshotResult | undefined> {
  const base = { target: h.target.id, kind: h.target.kind, snapshot: h.name, tier: h.tier };
  try {
    const objects = await listObjects(ctx.deps.s3, ctx.input.bucket, `${h.name}-`, ctx.retry);
    const keys = exportAttempts(h.name, objects).flatMap((a) => a.shards.map((shard) => exportObjectKey(a.exportName, shard)));
    const change = await setCopyTiers(ctx.deps.s3, ctx.input.bucket, keys, true, ctx.retry);
    for (const c of change.changed)
      ctx.deps.log.warn('exported copy held: a later point of the target collapsed', {
        target: h.target.id,
        snapshot: h.name,
        key: c.key,
        from: c.from,
        to: c.to,
      });
    if (change.failed.length === 0) return undefined;
    const error = change.failed.map((f) => `${f.key}: ${f.error}`).join('; ');
    ctx.deps.log.error('holding the exported copies failed', { target: h.target.id, snapshot: h.name, error });
    return { ...base, outcome: 'failed', reason: 'error', error: `holding its copies failed: ${error}` };
  } catch (err) {
    return failed(base, err, ctx, 'holding the exported copies failed');
  }
}

/** Decides a candidate's next step from its status and the objects in the bucket; a failure becomes its result. */
async function inspect(c: Candidate, ctx: RunContext): Promise<Planned | ExportSnapshotResult> {
  const { deps, input } = ctx;
  const base = baseResult(c);
  if (deps.clock.now() >= ctx.deadline) return { ...base, outcome: 'backlog', detail: 'out of time before it was looked at' };
  const decide = (status: string, attempts: ExportAttempt[], shards?: number) =>
    nextExportStep({ snapshot: c.name, kind: c.target.kind, status, attempts, shards, now: new Date(deps.clock.now()) });
  try {
    // Not available: nothing to look at in the bucket yet (or an export runs).
    if (c.status !== 'available') return { candidate: c, step: decide(c.status, []) };
    const attempts = exportAttempts(c.name, await listObjects(deps.s3, input.bucket, `${c.name}-`, ctx.retry));
    if (attempts.length === 0) return { candidate: c, step: decide(c.status, attempts) };
    // Objects exist: how many shards, and is the snapshot still being exported?
    const detail = await ctx.retry(() => describeSnapshotDetail(deps.elasticache, c.target.kind, c.name));
    if (!detail) return { candidate: c, step: { step: 'skip', reason: 'gone' } };
    return { candidate: c, step: decide(detail.status, attempts, detail.shards), detail };
  } catch (err) {
    return failed(base, err, ctx, 'looking at the export failed');
  }
}

/** Carries out a planned step; a failure becomes the candidate's result. */
async function carryOut(p: Planned, ctx: RunContext): Promise<ExportSnapshotResult> {
  const { deps } = ctx;
  const { candidate: c, step } = p;
  const base = baseResult(c);
  const log = { target: c.target.id, snapshot: c.name };
  switch (step.step) {
    case 'in-progress':
      deps.log.info('export in progress', { ...log, detail: step.why });
      return { ...base, outcome: 'in-progress', detail: step.why };
    case 'wait':
      deps.log.info('snapshot not ready to export', { ...log, detail: step.why });
      return { ...base, outcome: 'waiting', detail: step.why };
    case 'skip':
      deps.log.warn('snapshot not exported', { ...log, reason: step.reason });
      return { ...base, outcome: 'skipped', reason: step.reason };
    case 'give-up':
      deps.log.error('export failed for good; objects kept for a person to look at', { ...log, detail: step.why });
      return { ...base, outcome: 'failed', reason: 'gave-up', attempt: step.attempt.attempt, detail: step.why, error: step.why };
    case 'finalize':
      return finalize(p, step, ctx);
    case 'start':
      return start(p, step, ctx);
  }
}

/** Starts an export (a first one, or the next attempt after a half-finished one) unless over the limit or budget. */
async function start(p: Planned, step: Extract<ExportStep, { step: 'start' }>, ctx: RunContext): Promise<ExportSnapshotResult> {
  const { deps, input } = ctx;
  const { candidate: c } = p;
  const log = { target: c.target.id, snapshot: c.name, exportName: step.exportName, attempt: step.attempt };
  const incomplete = step.incomplete
    ? `${step.incomplete.exportName} is incomplete: shard(s) ${step.incomplete.shards.join(', ')} of ${p.detail?.shards ?? '?'}`
    : undefined;
  const base = { ...baseResult(c), exportName: step.exportName, attempt: step.attempt };
  // A half-finished export is a failure to report, whatever became of its repair.
  const outcome = (next: 'started' | 'backlog' | 'in-progress', detail?: string): ExportSnapshotResult =>
    incomplete ? { ...base, outcome: 'failed', reason: 'incomplete', retry: next, detail: incomplete, error: incomplete } : { ...base, outcome: next, detail };

  if (p.overLimit || deps.clock.now() >= ctx.deadline) {
    const why = p.overLimit ? `start limit of ${input.maxStartsPerRun} reached` : 'out of time';
    deps.log.info('export waits for a later run', { ...log, detail: why, incomplete });
    return outcome('backlog', why);
  }
  try {
    // A retry's new name is no tagged snapshot: its request carries this deployment's tags for IAM to check.
    const targetTags = step.exportName === c.name ? undefined : retryTargetTags(input.deployment);
    await ctx.retry(() => startSnapshotExport(deps.elasticache, c.target.kind, c.name, step.exportName, input.bucket, targetTags));
  } catch (err) {
    const cause = unwrap(err);
    // The name is taken (objects appeared since the listing) or the snapshot
    // is busy (an export runs): look again next run.
    if (isAlreadyExists(cause) || isBusy(cause)) {
      const why = describeError(cause);
      deps.log.info('export not started: one seems to run already', { ...log, detail: why });
      return outcome('in-progress', why);
    }
    return failed(base, err, ctx, incomplete ? `${incomplete}; starting the next attempt failed` : 'starting the export failed');
  }
  if (incomplete) {
    deps.log.error('half-finished export found; next attempt started, leftovers kept', { ...log, incomplete });
  } else {
    deps.log.info('export started', log);
  }
  return outcome('started');
}

/** Tags every shard object with tier and metadata (merging), then marks the snapshot exported. Idempotent. */
async function finalize(p: Planned, step: Extract<ExportStep, { step: 'finalize' }>, ctx: RunContext): Promise<ExportSnapshotResult> {
  const { deps, input } = ctx;
  const { candidate: c, detail } = p;
  const base = { ...baseResult(c), exportName: step.attempt.exportName, attempt: step.attempt.attempt };
  if (deps.clock.now() >= ctx.deadline) {
    return { ...base, outcome: 'in-progress', detail: 'export complete; out of time to tag it, next run does' };
  }
  try {
    if (!detail?.arn) throw new Error(`ElastiCache returned no ARN for snapshot ${c.name}, so it cannot be marked exported`);
    // Key count recorded by the snapshot Lambda's probe, when it ran.
    const keys = /^\d+$/.test(c.tags[TAGS.keys] ?? '') ? Number(c.tags[TAGS.keys]) : undefined;
    for (let shard = 1; shard <= step.shards; shard++) {
      const tags = exportObjectTags({
        tier: c.tier,
        plan: input.plan,
        snapshot: c.name,
        createdAt: detail.createdAt,
        shard,
        shards: step.shards,
        engine: detail.engine,
        keys,
        canary: c.tags[TAGS.canary],
        // The source's slot layout, so DR restores and drills rebuild the same shards (not an even split).
        slots: detail.slots?.length === step.shards ? detail.slots[shard - 1] : undefined,
      });
      // A snapshot a keyspace collapse holds gets held copies from the start (no lifecycle rule matches them).
      if (c.tags[TAGS.hold] !== undefined) tags[TAGS.tier] = heldTierValue(c.tier);
      const key = exportObjectKey(step.attempt.exportName, shard);
      await addObjectTags(deps.s3, input.bucket, key, tags, { wrap: ctx.retry });
      // An organization's vault: the shard under <account>/<region>/ too, before the snapshot is marked exported (a failure here is retried).
      if (input.orgRoot) await copyExportUnderOrgRoot(deps.s3, input.bucket, key, input.orgRoot, tags, ctx.retry);
    }
    const arn = detail.arn;
    await ctx.retry(() => tagSnapshot(deps.elasticache, arn, { [TAGS.exported]: new Date(deps.clock.now()).toISOString() }));
  } catch (err) {
    return failed(base, err, ctx, 'finishing the export failed');
  }
  deps.log.info('export completed', { target: c.target.id, snapshot: c.name, exportName: step.attempt.exportName, shards: step.shards, tier: c.tier });
  return { ...base, outcome: 'completed', shards: step.shards };
}

/** A result without its outcome yet. */
type ResultBase = Omit<ExportSnapshotResult, 'outcome'>;

function baseResult(c: Candidate): ResultBase {
  return { target: c.target.id, kind: c.target.kind, snapshot: c.name, tier: c.tier };
}

/** The failed result for `err` (throttling that outlasted the budget, a quota, anything else), logged. */
function failed(base: ResultBase, err: unknown, ctx: RunContext, what: string): ExportSnapshotResult {
  const cause = unwrap(err);
  const reason: ExportFailureReason = isThrottling(cause) ? 'throttled' : isQuotaExceeded(cause) ? 'quota' : 'error';
  const error = describeError(cause);
  ctx.deps.log.error(what, { target: base.target, snapshot: base.snapshot, reason, error });
  return { ...base, outcome: 'failed', reason, error };
}

function unwrap(err: unknown): unknown {
  return err instanceof RetriesExhaustedError ? err.cause : err;
}

function summarize(plan: string, targets: number, problems: string[], results: ExportSnapshotResult[]): ExportRunReport {
  return {
    plan,
    targets,
    ...counts(results),
    skipped: count(results, (r) => r.outcome === 'skipped'),
    waiting: count(results, (r) => r.outcome === 'waiting'),
    problems,
    results,
  };
}

/** The counts metrics and reports share; a half-finished export counts as failed and by its repair. */
function counts(results: readonly ExportSnapshotResult[]): Record<'started' | 'completed' | 'inProgress' | 'backlog' | 'failed', number> {
  return {
    started: count(results, (r) => r.outcome === 'started' || r.retry === 'started'),
    completed: count(results, (r) => r.outcome === 'completed'),
    inProgress: count(results, (r) => r.outcome === 'in-progress' || r.retry === 'in-progress'),
    backlog: count(results, (r) => r.outcome === 'backlog' || r.retry === 'backlog'),
    failed: count(results, (r) => r.outcome === 'failed'),
  };
}

function count(results: readonly ExportSnapshotResult[], f: (r: ExportSnapshotResult) => boolean): number {
  return results.filter(f).length;
}

function putCounts(ctx: RunContext, dims: Record<string, string>, results: readonly ExportSnapshotResult[]): void {
  const c = counts(results);
  ctx.deps.metrics.put(METRIC.exportsStarted, c.started, 'Count', dims);
  ctx.deps.metrics.put(METRIC.exportsCompleted, c.completed, 'Count', dims);
  ctx.deps.metrics.put(METRIC.exportsFailed, c.failed, 'Count', dims);
  ctx.deps.metrics.put(METRIC.exportsInProgress, c.inProgress, 'Count', dims);
  ctx.deps.metrics.put(METRIC.exportBacklog, c.backlog, 'Count', dims);
}
