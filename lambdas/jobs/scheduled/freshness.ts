import { listCaches } from '../../adapters/aws/caches.js';
import { listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { coverageOf, unprotectedCount, type CacheCoverage } from '../../domain/plans/coverage.js';
import { describeError } from '../../adapters/aws/errors.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import { planSnapshotTags, toRecoveryPoints, type PlanOwner } from '../../adapters/aws/plan-snapshots.js';
import { mapConcurrent, throttleRetry, type ThrottleRetry } from '../../adapters/aws/retry.js';
import { runFailureMessage } from '../../domain/plans/run-failure.js';
import type { ScheduledDeps } from '../kernel/deps.js';
import { listObjects, listObjectsBounded } from '../../adapters/aws/s3/objects.js';
import { accountRegionPrefix } from '../../domain/points/account-prefix.js';
import { clockCeiling } from '../../domain/points/clock-skew.js';
import { trustedCopyTags } from '../../adapters/records/verdict-objects.js';
import { resolveTargets } from '../../adapters/aws/targets.js';
import { assessDrExport } from '../../domain/drills/select.js';
import { ageSeconds, drExportsByTarget, MAX_EXPORTS_PER_TARGET, newestAvailable, type DrExport } from '../../domain/points/choice.js';
import {
  ALL_TARGETS,
  drillRunOf,
  exportPrefixes,
  MAX_DRILL_EXECUTIONS,
  newestDrills,
  newestExported,
  reportedAge,
  type DrillExecution,
  type DrillRun,
} from '../../domain/points/freshness.js';
import { type FreshnessInput, RUN_TIME_SELECTION, selectsAtRunTime } from '../../domain/plans/plan-input.js';
import { TAGS } from '../../domain/plans/types.js';
import { vaultArmingStart } from '../../domain/plans/vault-arming.js';
import { nextOccurrences } from '../../domain/plans/schedule.js';
import type { FreshnessReads } from '../dr-copies/copy-listing.js';
import { newestScrubRecord, SCRUB_RECORD_PREFIX } from '../../domain/scrub/record.js';

/**
 * Freshness monitor (both regions, every few minutes, all plans of the
 * deployment in one invocation): the source of the dead man's switches.
 * From the real state it emits, per plan and target (dimensions exactly
 * `Plan`, `Target`), ages in seconds at the time of the run:
 *
 * - primary: {@link METRIC.recoveryPointAge}, the newest `available`
 *   snapshot this deployment and plan own (tags from the Tagging API);
 *   with `exports`, {@link METRIC.exportedCopyAge}, the newest of them the
 *   export Lambda marked `redis-dr:exported`.
 * - dr (with `exports`): {@link METRIC.verifiedCopyAge}, `redis-dr:created`
 *   of the newest export in `bucket` a DR drill could restore (complete
 *   shard set, every object `redis-dr:verified=ok`, the plan's tag: the
 *   drill's own `assessDrExport`). Explicit ids name the targets; for
 *   tag-selected plans (no Tagging API for primary caches here) a target
 *   found in the bucket is the plan's when its newest plan-tagged export
 *   carries the plan's `redis-dr:plan` tag. The vault (`vaultVerdicts`):
 *   the same, with each replica's verdict taken from the vault verifier's
 *   verdict object naming its current version, never from its tags.
 * - both (with `drills` and `drillStateMachineArn`):
 *   {@link METRIC.lastDrillAge}, since the newest SUCCEEDED drill execution
 *   (of the last {@link MAX_DRILL_EXECUTIONS}) whose input names the plan:
 *   once with Target `all` (any target: drills rotate through targets, so
 *   this is what a "drills stopped passing" alarm watches) and once per
 *   target the drill output names (`drill.choice.target`).
 *
 * - with `scrub`: {@link METRIC.scrubRecordAge} (dimension `Bucket`), the
 *   newest record of the bucket's daily scrub ({@link measureScrub}).
 *
 * - with `coverage`: {@link METRIC.unprotectedCaches} (no dimensions),
 *   the caches of the region no plan names that could be protected
 *   (`coverageOf`; in the DR region no plan names any).
 *
 * No recovery point at all → no data point for that target (a warning and a
 * `gaps` entry): the alarms treat missing data as breaching, which is the
 * page. A very large made-up age would look like data and hide the cause.
 *
 * Except while protection is new (`reportedAge`): a DR target with no
 * verified copy yet is measured from the creation of the verify state
 * machine (`verifyStateMachineArn`), a plan with no succeeded drill yet from
 * the creation of the drill state machine, so right after a deploy the
 * alarms stay OK until the first copy or drill is overdue, and page from
 * then on. The vault (`vaultVerdicts`) counts instead from the first replica
 * that reached its bucket, and reports 0 before any did: it is deployed
 * first, and the workload stacks may follow much later. The monitor emits these from its first run, so a dead monitor
 * still pages through missing data. Primary snapshots and exports have no
 * such start here and page from the deploy until their first point.
 *
 * One target's failure never stops the others; after emitting what it
 * could, the run throws {@link FreshnessRunFailedError} naming every
 * failure, so Lambda errors alarm too.
 */

/** The age metrics this monitor emits. */
export type FreshnessMetric =
  | typeof METRIC.recoveryPointAge
  | typeof METRIC.exportedCopyAge
  | typeof METRIC.verifiedCopyAge
  | typeof METRIC.lastDrillAge
  | typeof METRIC.vaultAccountReplicaAge
  | typeof METRIC.scrubRecordAge;

/** One data point emitted. */
export interface FreshnessPoint {
  readonly plan: string;
  readonly target: string;
  readonly metric: FreshnessMetric;
  readonly seconds: number;
  /** The snapshot (or, for the verified DR copy, the export) whose age it is; absent for drills. */
  readonly recoveryPoint?: string;
  /** No point yet: the age is the time since protection started (grace, see {@link reportedAge}). */
  readonly sinceProtectionStart?: true;
}

/** A target with nothing to measure: no data point (the alarm sees missing data). */
export interface FreshnessGap {
  readonly plan: string;
  readonly target: string;
  readonly metric: FreshnessMetric;
  readonly why: string;
}

/** A measurement that could not be made (listing failed, out of time, …). */
export interface FreshnessFailure {
  readonly plan: string;
  /** A target id, `all` (drills), or `selection` (the plan's run-time selection: by tags, or without a tag). */
  readonly target: string;
  /** The metric not measured; absent when the failure cost every metric of the target. */
  readonly metric?: FreshnessMetric;
  readonly error: string;
}

/** What one freshness run measured. */
export interface FreshnessReport {
  readonly where: FreshnessInput['where'];
  readonly points: readonly FreshnessPoint[];
  /**
   * Per plan and metric, the worst age over its targets (dimension `Plan`
   * only): what the alarms watch, so tag-selected targets are covered too.
   * Absent when any target of the plan had a gap or failed (missing data
   * makes the alarm breach).
   */
  readonly planPoints: readonly { plan: string; metric: string; seconds: number }[];
  readonly gaps: readonly FreshnessGap[];
  readonly failed: readonly FreshnessFailure[];
  /** With `coverage`: every cache of the region and what protects it (absent when not asked or the listing failed). */
  readonly coverage?: readonly CacheCoverage[];
}

/**
 * Whether this run lists the region's caches: with `coverage`, once an hour
 * (the scheduled tick in the first 5 minutes of the hour; a run without a
 * scheduled time, started by hand, always). Listing every cache and its tags
 * every 5 minutes would cost 12 times the calls for an alarm that judges a day.
 */
export function coverageDue(input: Pick<FreshnessInput, 'coverage' | 'scheduledTime'>): boolean {
  if (!input.coverage) return false;
  return input.scheduledTime === undefined || new Date(input.scheduledTime).getUTCMinutes() < COVERAGE_EVERY_MINUTES;
}

/** The freshness schedule's interval: the one tick of each hour that lists caches falls within it. */
const COVERAGE_EVERY_MINUTES = 5;

/** The `plan` of a failure to list the region's caches (the coverage inventory). */
export const COVERAGE_FAILURE = 'coverage';

/** Thrown at the end of a run in which any measurement failed (after every data point it could make was emitted). */
export class FreshnessRunFailedError extends Error {
  constructor(readonly report: FreshnessReport) {
    const plans = [...new Set(report.failed.map((f) => f.plan))];
    super(
      plans
        .map((plan) =>
          runFailureMessage(
            plan,
            [],
            'freshness',
            report.failed.filter((f) => f.plan === plan).map((f) => ({ target: f.target, why: `${f.metric ?? 'all metrics'}: ${f.error}` })),
          ),
        )
        .join('\n'),
    );
    this.name = 'FreshnessRunFailedError';
  }
}

/** The newest succeeded executions of a drill state machine (each call through `wrap`). */
export type DrillHistory = (stateMachineArn: string, wrap: ThrottleRetry) => Promise<DrillExecution[]>;

/** When a state machine or schedule group (by ARN) was created; `undefined` when it does not exist (each call through `wrap`). */
export type ProtectionStart = (arn: string, wrap: ThrottleRetry) => Promise<Date | undefined>;

/** Everything a run needs from the outside world. */
export interface FreshnessDeps extends ScheduledDeps {
  readonly drillHistory: DrillHistory;
  /**
   * Reads when protection started, for targets with no point yet. Without
   * it such targets have no data point (`redis-dr status` shows them missing).
   * @default - no grace
   */
  readonly protectionStart?: ProtectionStart;
}

type PlanInput = FreshnessInput['plans'][number];

/** Shared by the steps of one run. */
interface Run {
  readonly input: FreshnessInput;
  readonly deps: FreshnessDeps;
  readonly now: Date;
  readonly deadline: number;
  readonly retry: ThrottleRetry;
  readonly points: FreshnessPoint[];
  readonly gaps: FreshnessGap[];
  readonly failed: FreshnessFailure[];
  /** DR listings by prefix and object tags by key, shared by the plans of the run. */
  readonly listings: FreshnessReads['listings'];
  readonly objectTags: FreshnessReads['objectTags'];
  /** Creation dates of state machines, read once per run. */
  readonly starts: Map<string, Promise<Date | undefined>>;
}

/** One freshness tick of a region. */
export async function runFreshness(
  input: FreshnessInput,
  deps: FreshnessDeps,
  reads: FreshnessReads = { listings: new Map(), objectTags: new Map() },
): Promise<FreshnessReport> {
  const deadline = deps.clock.now() + input.budgetSeconds * 1000;
  const run: Run = {
    input,
    deps,
    // Ages are measured at the moment the run starts, like the schedule's tick.
    now: new Date(deps.clock.now()),
    deadline,
    retry: throttleRetry(deps.clock, deadline, deps.throttleDelayMs),
    points: [],
    gaps: [],
    failed: [],
    listings: reads.listings,
    objectTags: reads.objectTags,
    starts: new Map(),
  };
  for (const plan of input.plans) {
    if (input.where === 'primary') await measurePrimary(run, plan);
    else if (plan.exports) await measureDr(run, plan);
  }
  await measureDrills(run);
  await measureVaultAccounts(run);
  await measureScrub(run);
  const coverage = coverageDue(input) ? await measureCoverage(run) : undefined;
  const planPoints = worstPerPlan(run);
  for (const p of planPoints) deps.metrics.put(p.metric, p.seconds, 'Seconds', { [DIMENSION.plan]: p.plan });

  const order = (a: { plan: string; target: string; metric?: string }, b: typeof a) =>
    a.plan.localeCompare(b.plan) || a.target.localeCompare(b.target) || (a.metric ?? '').localeCompare(b.metric ?? '');
  const report: FreshnessReport = {
    where: input.where,
    points: run.points.sort(order),
    planPoints,
    gaps: run.gaps.sort(order),
    failed: run.failed.sort(order),
    ...(coverage ? { coverage } : {}),
  };
  deps.log.info('freshness run finished', { where: input.where, points: report.points.length, gaps: report.gaps, failed: report.failed });
  if (report.failed.length > 0) throw new FreshnessRunFailedError(report);
  return report;
}

/**
 * The worst age per plan and metric. Drill age uses the plan's `all` point
 * (drills rotate through targets); the others the maximum over targets.
 */
function worstPerPlan(run: Run): { plan: string; metric: string; seconds: number }[] {
  const broken = new Set([...run.gaps, ...run.failed].map((g) => `${g.plan}\u0000${g.metric}`));
  const worst = new Map<string, { plan: string; metric: string; seconds: number }>();
  for (const p of run.points) {
    const key = `${p.plan}\u0000${p.metric}`;
    if (broken.has(key) || p.metric === METRIC.vaultAccountReplicaAge || p.metric === METRIC.scrubRecordAge) continue;
    if (p.metric === METRIC.lastDrillAge && p.target !== ALL_TARGETS) continue;
    const seen = worst.get(key);
    if (!seen || p.seconds > seen.seconds) worst.set(key, { plan: p.plan, metric: p.metric, seconds: p.seconds });
  }
  return [...worst.values()].sort((a, b) => a.plan.localeCompare(b.plan) || a.metric.localeCompare(b.metric));
}

/** The latest time a point read in this run may carry: the clock skew every reader allows, from the run's end. */
function latestHonest(run: Run): Date {
  return clockCeiling(new Date(run.deadline));
}

/**
 * Emits the age of `at`, or records a gap (no data point) when there is nothing. A point dated after the run
 * (past its budget and the clock skew every reader allows, domain/points/clock-skew.ts) is a failure, not age 0: a
 * wrong clock or a forged `redis-dr:created` tag (the vault's replicas carry the workload account's tags) would
 * otherwise read fresh until that date, whatever stopped meanwhile. The bound of every other reader (`vault status`,
 * doctor, report --org) from the run's end, so a copy `vault status` calls a recovery point is not paged as from the future.
 */
function record(run: Run, plan: string, target: string, metric: FreshnessMetric, at: Date | undefined, why: string, recoveryPoint?: string): void {
  if (!at) {
    run.deps.log.warn('nothing to measure: no data point, the alarm sees missing data', { plan, target, metric, why });
    run.gaps.push({ plan, target, metric, why });
    return;
  }
  if (at > latestHonest(run)) {
    const what = recoveryPoint ?? 'the newest point';
    const source = metric === METRIC.verifiedCopyAge ? `its objects' ${TAGS.created} tag` : 'the clock of the service that made it';
    const error = `${what} is dated ${at.toISOString()}, after this run (${run.now.toISOString()}): not counted as fresh; check ${source}`;
    fail(run, { plan, target, metric }, error);
    return;
  }
  const seconds = ageSeconds(at, run.now);
  run.deps.metrics.put(metric, seconds, 'Seconds', { [DIMENSION.plan]: plan, [DIMENSION.target]: target });
  run.points.push({ plan, target, metric, seconds, ...(recoveryPoint ? { recoveryPoint } : {}) });
}

/**
 * Like {@link record}, but a target with no point yet is measured from the
 * creation of `startArn` (the state machine whose work makes the points):
 * {@link reportedAge}. A start that cannot be read throws (the caller
 * records the failure: no data point, and the run fails).
 */
async function recordFromStart(
  run: Run,
  where: { plan: string; target: string; metric: FreshnessMetric },
  at: Date | undefined,
  why: string,
  start: string | Date | undefined,
  recoveryPoint?: string,
  firstDue?: (since: Date) => Date,
): Promise<void> {
  const { plan, target, metric } = where;
  if (at) return record(run, plan, target, metric, at, why, recoveryPoint);
  // A state machine's ARN (its creation), or the start itself (the vault: its first replica's arrival).
  const started = start instanceof Date ? start : await protectionStart(run, start);
  const startArn = start instanceof Date ? undefined : start;
  // Snapshots: from the first one the plan's schedule fires after protection started (the alarm's limit is the RPO alone).
  const since = started && firstDue ? firstDue(started) : started;
  const age = reportedAge(undefined, since, run.now);
  if (!age) {
    const cause = startArn && run.deps.protectionStart ? `; ${startArn} does not exist, so protection has no start` : '';
    return record(run, plan, target, metric, undefined, `${why}${cause}`);
  }
  run.deps.log.info('no point yet: age since protection started', { plan, target, metric, why, protectedSince: since!.toISOString(), seconds: age.seconds });
  run.deps.metrics.put(metric, age.seconds, 'Seconds', { [DIMENSION.plan]: plan, [DIMENSION.target]: target });
  run.points.push({ plan, target, metric, seconds: age.seconds, sinceProtectionStart: true });
}

/** When `arn` was created (read once per run); `undefined` without an ARN or a reader. */
function protectionStart(run: Run, arn: string | undefined): Promise<Date | undefined> {
  const read = run.deps.protectionStart;
  if (!arn || !read) return Promise.resolve(undefined);
  let start = run.starts.get(arn);
  if (!start) {
    start = read(arn, run.retry);
    run.starts.set(arn, start);
  }
  return start;
}

function fail(run: Run, failure: Omit<FreshnessFailure, 'error'>, err: unknown): void {
  const error = typeof err === 'string' ? err : describeError(err);
  run.deps.log.error('freshness not measured', { ...failure, error });
  run.failed.push({ ...failure, error });
}

/** Runs `measure` unless the budget is spent; either way a failure is recorded, never thrown. */
async function guarded(run: Run, failure: Omit<FreshnessFailure, 'error'>, measure: () => Promise<void>): Promise<void> {
  if (run.deps.clock.now() >= run.deadline) return fail(run, failure, 'out of time before it was measured');
  try {
    await measure();
  } catch (err) {
    fail(run, failure, err);
  }
}

// ---------------------------------------------------------------------------
// Primary region: snapshots and exported snapshots.

async function measurePrimary(run: Run, plan: PlanInput): Promise<void> {
  const { deps, input, retry } = run;
  const schedule = plan.snapshotSchedule;
  const firstSnapshot = schedule ? (since: Date) => nextOccurrences(schedule.cron, schedule.timeZone, since, 1)[0] ?? since : undefined;
  const owner: PlanOwner = { deployment: input.deployment, plan: plan.plan };
  const { targets, selectionError } = await resolveTargets(deps, plan.targets, retry);
  if (selectionError) fail(run, { plan: plan.plan, target: RUN_TIME_SELECTION }, selectionError);
  let tags: Map<string, Record<string, string>>;
  try {
    tags = await planSnapshotTags(
      deps.tagging,
      owner,
      targets.map((t) => t.id),
      { concurrency: deps.concurrency, retry },
    );
  } catch (err) {
    for (const t of targets) fail(run, { plan: plan.plan, target: t.id }, err);
    return;
  }
  await mapConcurrent(targets, deps.concurrency, (target) =>
    guarded(run, { plan: plan.plan, target: target.id }, async () => {
      const points = toRecoveryPoints(await listTargetSnapshots(deps.elasticache, target, retry), target.id, tags, owner);
      const newest = newestAvailable(points);
      const at = { plan: plan.plan, target: target.id };
      await recordFromStart(
        run,
        { ...at, metric: METRIC.recoveryPointAge },
        newest?.createdAt,
        `no available snapshot of plan ${plan.plan}`,
        input.scheduleGroupArn,
        newest?.name,
        firstSnapshot,
      );
      if (plan.exports) {
        const exported = newestExported(points, tags);
        const why = `no snapshot of plan ${plan.plan} marked ${TAGS.exported}`;
        await recordFromStart(run, { ...at, metric: METRIC.exportedCopyAge }, exported?.createdAt, why, input.scheduleGroupArn, exported?.name, firstSnapshot);
      }
    }),
  );
}

// ---------------------------------------------------------------------------
// An organization's vault: the newest replica of each member account that must replicate into it.

/** The `plan` of an organization vault account's points, gaps and failures (its `target` is the account). */
export const VAULT_ACCOUNTS = 'vault-accounts';

/**
 * Pages of 1,000 keys listed per account at most (a run's cost is bounded by the accounts, not by what they hold):
 * 20,000 replica objects, past what a member account keeps under its retention (caches × shards × kept exports).
 * An account past it is a failure named in the run (no data point, the run fails), never a guess.
 */
export const MAX_ACCOUNT_LISTING_PAGES = 20;

/**
 * Each `vaultAccounts` account: the age of the newest replica (its arrival, LastModified) under its own
 * `<account>/<region>/rdr-`, {@link METRIC.vaultAccountReplicaAge} with dimension `Account`. An account with no
 * replica has no data point (its alarm treats missing data as breaching): no grace, the org config says it replicates.
 */
async function measureVaultAccounts(run: Run): Promise<void> {
  const { input, deps } = run;
  const accounts = input.vaultAccounts ?? [];
  if (accounts.length === 0) return;
  const metric = METRIC.vaultAccountReplicaAge;
  const bucket = input.bucket;
  if (!bucket) {
    for (const a of accounts) fail(run, { plan: VAULT_ACCOUNTS, target: a.account, metric }, 'input.bucket is required with vaultAccounts, got none');
    return;
  }
  await mapConcurrent(accounts, deps.concurrency, ({ account, region }) =>
    guarded(run, { plan: VAULT_ACCOUNTS, target: account, metric }, async () => {
      const prefix = `${accountRegionPrefix(account, region)}rdr-`;
      const listed = await listObjectsBounded(deps.s3, bucket, prefix, MAX_ACCOUNT_LISTING_PAGES, run.retry);
      if (!listed.complete)
        throw new Error(
          `more than ${MAX_ACCOUNT_LISTING_PAGES * 1000} objects under s3://${bucket}/${prefix}: the newest is not known without listing the rest`,
        );
      let newest: { key: string; at: Date } | undefined;
      for (const o of listed.objects) if (o.lastModified && (!newest || o.lastModified > newest.at)) newest = { key: o.key, at: o.lastModified };
      if (!newest) {
        const why = `no replica under s3://${bucket}/${prefix}`;
        deps.log.warn('nothing to measure: no data point, the alarm sees missing data', { account, metric, why });
        run.gaps.push({ plan: VAULT_ACCOUNTS, target: account, metric, why });
        return;
      }
      const seconds = ageSeconds(newest.at, run.now);
      deps.metrics.put(metric, seconds, 'Seconds', { [DIMENSION.account]: account });
      run.points.push({ plan: VAULT_ACCOUNTS, target: account, metric, seconds, recoveryPoint: newest.key });
    }),
  );
}

// ---------------------------------------------------------------------------
// The scheduled scrub of the bucket (DR, or the vault's): its newest record.

/** The `plan` of the scrub's point, gap or failure (its `target` is the bucket). */
export const SCRUB_RECORDS = 'scrub';

/**
 * With `scrub`: the age of the scrub's newest record by its key's time (`newestScrubRecord`; the daily scrub writes one
 * at every run, PARTIAL too), {@link METRIC.scrubRecordAge} with dimension `Bucket`. None yet: since its schedule was
 * created (`reportedAge`, as drills count from their state machine's); a schedule that does not exist, no data point.
 * A record dated after now past the clock skew is not taken: the newest before it is measured, then the run fails naming it.
 */
async function measureScrub(run: Run): Promise<void> {
  const { input, deps } = run;
  const { scrub, bucket } = input;
  if (!scrub) return;
  const where = { plan: SCRUB_RECORDS, target: bucket ?? ALL_TARGETS, metric: METRIC.scrubRecordAge };
  if (!bucket) return fail(run, where, 'input.bucket is required with scrub, got none');
  await guarded(run, where, async () => {
    const listed = await listObjects(deps.s3, bucket, `${scrub.prefix}${SCRUB_RECORD_PREFIX}`, run.retry);
    const { newest, future } = newestScrubRecord(
      listed.map((o) => o.key.slice(scrub.prefix.length)),
      latestHonest(run),
    );
    const age = reportedAge(newest?.at, newest ? undefined : await protectionStart(run, scrub.scheduleArn), run.now);
    if (!age) {
      const why = `no scrub record under s3://${bucket}/${scrub.prefix}${scrub.scheduleArn && deps.protectionStart ? `; ${scrub.scheduleArn} does not exist, so the scrub has no start` : ''}`;
      deps.log.warn('nothing to measure: no data point, the alarm sees missing data', { ...where, why });
      run.gaps.push({ ...where, why });
    } else {
      deps.metrics.put(where.metric, age.seconds, 'Seconds', { [DIMENSION.bucket]: bucket });
      run.points.push({ ...where, seconds: age.seconds, ...(newest ? { recoveryPoint: `${scrub.prefix}${newest.name}` } : { sinceProtectionStart: true }) });
    }
    if (future.length > 0)
      throw new Error(
        `${future.map((n) => `s3://${bucket}/${scrub.prefix}${n}`).join(', ')}: dated after this run (${run.now.toISOString()}) past the clock skew, not counted; a record is named by its run's start: move it`,
      );
  });
}

// ---------------------------------------------------------------------------
// DR region: complete, verified copies in the DR bucket.

async function measureDr(run: Run, plan: PlanInput): Promise<void> {
  const { deps, input } = run;
  const metric = METRIC.verifiedCopyAge;
  const explicit = new Set([...plan.targets.replicationGroupIds, ...plan.targets.serverlessCacheNames].map((id) => id.toLowerCase()));
  const tagSelected = selectsAtRunTime(plan.targets);
  const bucket = input.bucket;
  if (!bucket) {
    const why = 'input.bucket is required when where is "dr" and the plan has exports, got none';
    fail(run, { plan: plan.plan, target: ALL_TARGETS, metric }, why);
    return;
  }
  let keys: string[];
  let start: string | Date | undefined = input.verifyStateMachineArn;
  try {
    const prefixes = exportPrefixes(tagSelected ? undefined : [...explicit]);
    keys = (await mapConcurrent(prefixes, deps.concurrency, (prefix) => listing(run, bucket, prefix))).flat();
    if (input.vaultVerdicts) start = await vaultProtectionStart(run, bucket);
  } catch (err) {
    for (const target of tagSelected ? [ALL_TARGETS] : [...explicit]) fail(run, { plan: plan.plan, target, metric }, err);
    return;
  }
  const byTarget = drExportsByTarget(keys, (target) => tagSelected || explicit.has(target));
  const missing = [...explicit].filter((id) => !byTarget.has(id));
  await mapConcurrent(missing, deps.concurrency, (id) =>
    guarded(run, { plan: plan.plan, target: id, metric }, () =>
      recordFromStart(run, { plan: plan.plan, target: id, metric }, undefined, `no exports in s3://${bucket}`, start),
    ),
  );
  let ours = missing.length;
  await mapConcurrent([...byTarget.entries()], deps.concurrency, ([target, exports]) =>
    guarded(run, { plan: plan.plan, target, metric }, async () => {
      const newest = await newestVerified(run, bucket, plan.plan, exports.slice(0, MAX_EXPORTS_PER_TARGET), explicit.has(target));
      if (newest === 'not-ours') return;
      ours += 1;
      await recordFromStart(run, { plan: plan.plan, target, metric }, newest.createdAt, newest.why, start, newest.exportName);
    }),
  );
  // A tag-selected plan with no copy in the bucket yet has no target to name: measure the plan as a whole.
  if (tagSelected && ours === 0 && !run.failed.some((f) => f.plan === plan.plan && f.metric === metric)) {
    await guarded(run, { plan: plan.plan, target: ALL_TARGETS, metric }, () =>
      recordFromStart(run, { plan: plan.plan, target: ALL_TARGETS, metric }, undefined, `no exports of plan ${plan.plan} in s3://${bucket}`, start),
    );
  }
}

/**
 * Where the vault's dead man's switches count from for a target without a
 * verified replica: the arrival (LastModified) of the oldest replica of any
 * target in the vault bucket, since replication into the vault works from
 * then. Not the vault's own deploy: the vault is deployed first, by other
 * people, and the workload stacks may follow days later. Before any replica
 * arrived, `now` (age 0) for VAULT_ARMING_GRACE_DAYS (domain/plans/vault-arming.ts) after the
 * vault's deploy (its verify state machine's creation), then the grace's end:
 * a vault that never receives a replica pages once the grace is over.
 * Read once per run.
 */
function vaultProtectionStart(run: Run, bucket: string): Promise<Date> {
  const key = `vault-first-replica:${bucket}`;
  let start = run.starts.get(key);
  if (!start) {
    start = listObjects(run.deps.s3, bucket, exportPrefixes(undefined)[0]!, run.retry).then(async (objects) => {
      const arrivals = objects.flatMap((o) => (o.lastModified ? [o.lastModified.getTime()] : []));
      if (arrivals.length > 0) return new Date(Math.min(...arrivals));
      const deployed = await protectionStart(run, run.input.verifyStateMachineArn);
      const start = vaultArmingStart(deployed, run.now);
      run.deps.log.info("vault: no replica has arrived yet; its dead man's switches arm with the first, or at the grace's end", {
        bucket,
        armedFrom: start.toISOString(),
      });
      return start;
    });
    run.starts.set(key, start);
  }
  return start as Promise<Date>;
}

/** Keys under `prefix`, listed once per run whichever plans ask. */
function listing(run: Run, bucket: string, prefix: string): Promise<string[]> {
  let keys = run.listings.get(prefix);
  if (!keys) {
    keys = listObjects(run.deps.s3, bucket, prefix, run.retry).then((objects) => objects.map((o) => o.key));
    run.listings.set(prefix, keys);
  }
  return keys;
}

/** An object's tags, read once per run whichever plans ask. */
function objectTags(run: Run, bucket: string, key: string): Promise<Record<string, string>> {
  let tags = run.objectTags.get(key);
  if (!tags) {
    // The verdict object in place of any verdict tag (the vault's replicated tags may be the workload account's
    // forgery; a DR verdict tag without its object reads `unproven`).
    tags = trustedCopyTags(run.deps.s3, bucket, key, run.input.vaultVerdicts ? 'vault' : 'dr', { wrap: run.retry });
    run.objectTags.set(key, tags);
  }
  return tags;
}

/**
 * When the newest restorable export of a target was taken, reading object
 * tags newest export first; `why` there is none. `not-ours` for a target
 * the plan does not name whose newest plan-tagged export is another plan's
 * (a tag-selected plan sees every target in the bucket).
 */
async function newestVerified(
  run: Run,
  bucket: string,
  plan: string,
  exports: readonly DrExport[],
  named: boolean,
): Promise<{ createdAt?: Date; exportName?: string; why: string } | 'not-ours'> {
  const problems: string[] = [];
  let ours = named;
  for (const exp of exports) {
    const tags = new Map(await mapConcurrent(exp.objects, run.deps.concurrency, async (o) => [o.key, await objectTags(run, bucket, o.key)] as const));
    const verdict = assessDrExport(exp, tags, { plan });
    if (verdict.usable) return { createdAt: verdict.choice.createdAt, exportName: exp.exportName, why: '' };
    if (verdict.problem === 'other-plan') {
      // Objects not tagged yet (replicated before the export Lambda tagged them) say nothing about ownership.
      const planTagged = [...tags.values()].some((t) => t[TAGS.plan] !== undefined);
      if (planTagged && !ours) return 'not-ours';
      continue;
    }
    ours = true;
    problems.push(`${verdict.problem}: ${verdict.detail}`);
  }
  if (!ours) return 'not-ours';
  if (problems.length === 0) return { why: `no exports of plan ${plan}` };
  return { why: `none of ${exports.length} export(s) verified and complete; newest: ${problems[0]}` };
}

// ---------------------------------------------------------------------------
// Both regions: caches no plan protects.

/**
 * Lists the region's caches, emits how many no plan protects, and returns
 * the inventory; a failed listing is a failure of the run (no data point:
 * the coverage alarm treats missing data as OK, the Lambda's error alarm pages).
 */
async function measureCoverage(run: Run): Promise<CacheCoverage[] | undefined> {
  const { deps, input } = run;
  let coverage: CacheCoverage[] | undefined;
  await guarded(run, { plan: COVERAGE_FAILURE, target: ALL_TARGETS }, async () => {
    const caches = await listCaches(deps.elasticache, deps.tagging, run.retry);
    // Plans name primary-region caches: in the DR region none protects a cache.
    const plans = input.where === 'primary' ? input.plans.map((p) => ({ name: p.plan, exports: p.exports, targets: p.targets })) : [];
    coverage = coverageOf(caches, plans);
    const count = unprotectedCount(coverage);
    deps.metrics.put(METRIC.unprotectedCaches, count, 'Count', {});
    if (count > 0) deps.log.warn('caches no plan protects', { unprotected: coverage.filter((c) => c.state === 'unprotected').map((c) => `${c.kind}/${c.id}`) });
  });
  return coverage;
}

// ---------------------------------------------------------------------------
// Both regions: the last successful drill.

async function measureDrills(run: Run): Promise<void> {
  const { deps, input } = run;
  const plans = input.plans.filter((p) => p.drills);
  if (plans.length === 0) return;
  const arn = input.drillStateMachineArn;
  if (!arn) {
    deps.log.warn('plans drill here but no drillStateMachineArn was given: drill ages not measured', { plans: plans.map((p) => p.plan) });
    return;
  }
  let runs: DrillRun[];
  try {
    if (deps.clock.now() >= run.deadline) throw new Error('out of time before it was measured');
    runs = (await deps.drillHistory(arn, run.retry)).map(drillRunOf).filter((r): r is DrillRun => r !== undefined);
  } catch (err) {
    for (const p of plans) fail(run, { plan: p.plan, target: ALL_TARGETS, metric: METRIC.lastDrillAge }, err);
    return;
  }
  for (const p of plans) {
    const newest = newestDrills(runs, { deployment: input.deployment, plan: p.plan });
    if (newest.size === 0) {
      const why = `no succeeded drill of plan ${p.plan} among the last ${MAX_DRILL_EXECUTIONS} succeeded executions`;
      const where = { plan: p.plan, target: ALL_TARGETS, metric: METRIC.lastDrillAge };
      await guarded(run, where, () => recordFromStart(run, where, undefined, why, arn));
    }
    for (const [target, at] of newest) record(run, p.plan, target, METRIC.lastDrillAge, at, '');
  }
}
