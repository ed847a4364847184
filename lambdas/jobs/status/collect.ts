/**
 * What `redis-dr status` (and `doctor`, which shows the same facts) reads:
 * both regions measured by the freshness monitor's own code (`runFreshness`,
 * the same listings, the same "usable copy" rules), each region's newest
 * drills, the `.rdb` copies of the newest recovery points, the vault's
 * replicas and the keyspace-collapse holds. The CLI formats it
 * (cli/commands/status/action.ts).
 */
import { RUN_TIME_SELECTION } from '../../domain/plans/plan-input.js';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { drillsIn, drillStateMachineArn, freshnessLimits, freshnessRunInput, recoveryBucketName, scrubAgeLimitMinutes } from '../../../lib/deployment.js';
import { SCRUB_RECORDS_PREFIX } from '../../domain/scrub/input.js';
import { describeError } from '../../adapters/aws/errors.js';
import { drillReportOf, listDrillExecutions, listSucceededDrills } from '../../adapters/aws/drill-history.js';
import { METRIC } from '../../domain/alerting/metrics.js';
import type { DrillWhere } from '../../domain/drills/drill.js';
import { ALL_TARGETS, drillPlanOf, MAX_DRILL_EXECUTIONS } from '../../domain/points/freshness.js';
import { pointsToShow } from '../../domain/dr-copies/rdb-copies.js';
import { mapConcurrent, throttleRetry } from '../../adapters/aws/retry.js';
import { FreshnessRunFailedError, runFreshness, type FreshnessReport } from '../scheduled/freshness.js';
import type { OperatorClients } from '../kernel/clients.js';
import { copiesOf, copyBuckets, type FreshnessReads, type TargetCopies } from '../dr-copies/copy-listing.js';
import { collectVault, type VaultReport } from '../vault/vault-copies.js';
import { taggedElastiCacheResources } from '../../adapters/aws/tagging.js';
import { parseCollapseHold } from '../../domain/plans/collapse.js';
import { collapseMarkState, type CollapseMarkState } from '../../domain/points/collapse-points.js';
import { TAGS } from '../../domain/plans/types.js';
import { openDrCollapses } from '../dr-copies/collapse-copies.js';
import { snapshotOfExport } from '../../domain/points/export-objects.js';
import { parseSnapshotName } from '../../domain/plans/naming.js';

/** What a row measures. */
export type StatusWhat = 'snapshot' | 'exported copy' | 'verified DR copy' | 'last good drill' | 'scrub record';
/** ok: within its limit; late: older; missing: nothing there; error: not measured (the detail says why). */
export type StatusState = 'ok' | 'late' | 'missing' | 'error';

/** One measured age. */
export interface StatusRow {
  readonly plan: string;
  /** A target id, or `all` (drills rotate through targets). */
  readonly target: string;
  readonly what: StatusWhat;
  readonly region: string;
  readonly ageSeconds: number | null;
  readonly limitSeconds: number;
  readonly state: StatusState;
  readonly detail: string | null;
  /** The snapshot (for the verified DR copy: the export) measured; null for drills and what was not measured. */
  readonly name: string | null;
}

/** A target's newest recovery points with their `.rdb` copies, and the key-level fast path. */
export interface StatusCopies extends TargetCopies {
  readonly plan: string;
  readonly target: string;
  /** The plan exports snapshots to S3 (else there are no copies, and nothing was looked for). */
  readonly exports: boolean;
}

/** The newest drill execution of a plan in a region. */
export interface DrillStatus {
  readonly plan: string;
  readonly where: DrillWhere;
  readonly region: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; `none` when no execution names the plan. */
  readonly status: string;
  readonly startedAt: string | null;
  readonly stoppedAt: string | null;
  readonly target: string | null;
  readonly recoveryPoint: string | null;
  readonly rtoSeconds: number | null;
  readonly rtoObjectiveSeconds: number;
  /** The report's verdict (restored, verified, cleaned up), when the drill reached its report. */
  readonly passed: boolean | null;
  /** The report's subject, or the execution's error. */
  readonly summary: string | null;
  readonly executionArn: string | null;
  /** Start of a drill of the plan running now, when the one reported is an earlier, finished one. */
  readonly runningSince: string | null;
}

/** Everything status found. */
export interface StatusReport {
  readonly deployment: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly at: string;
  readonly rows: readonly StatusRow[];
  readonly drills: readonly DrillStatus[];
  /** Per plan and target: recovery points and their `.rdb` copies (see {@link StatusCopies}). */
  readonly copies: readonly StatusCopies[];
  /** Keyspace collapses (snapshots marked `redis-dr:collapsed`) and the points each holds. */
  readonly collapses: readonly CollapseStatus[];
  /** Problems that cost a whole region or listing (also reflected as `error` rows where they can be). */
  readonly problems: readonly string[];
  /**
   * The DR bucket's daily scrub: the age of its newest record, as the `scrub-age` alarm watches it (plan `scrub`,
   * target the bucket); null when no plan exports (no copies, no scrub deployed).
   */
  readonly scrub: StatusRow | null;
  /** The vault's copies (config `vault`), read with the vault account's credentials; null without a vault. */
  readonly vault: VaultReport | null;
  readonly healthy: boolean;
}

/** A collapsed recovery point and the points its hold keeps (an active collapse makes status unhealthy). */
export interface CollapseStatus {
  readonly plan: string;
  readonly target: string;
  readonly point: string;
  readonly state: CollapseMarkState;
  /** Snapshots whose `redis-dr:hold` names the point, oldest first. */
  readonly held: readonly string[];
  /**
   * `dr`: marked by the DR verifier on the point's DR copy (redis-dr-verdicts/collapses/, no release record names
   * it), the primary showing no active collapse of it; the DR keyspace-collapsed alarm pages for it. Its holds are
   * the DR copies' tier tags, not listed here.
   */
  readonly where?: 'dr';
}

const WHAT: Record<string, StatusWhat> = {
  [METRIC.recoveryPointAge]: 'snapshot',
  [METRIC.exportedCopyAge]: 'exported copy',
  [METRIC.verifiedCopyAge]: 'verified DR copy',
  [METRIC.lastDrillAge]: 'last good drill',
  [METRIC.scrubRecordAge]: 'scrub record',
};

/** Drill executions looked at per region for the newest of each plan. */
export const RECENT_DRILLS = 20;

/** Measures both regions (the freshness monitor's code) and reads each region's newest drills. */
export async function collectStatus(config: RedisDrConfig, aws: OperatorClients): Promise<StatusReport> {
  const now = new Date(aws.clock.now());
  const account = await aws.account();
  const regions: Record<DrillWhere, string> = { primary: config.primary.region, dr: config.dr.region };
  const rows: StatusRow[] = [];
  const drills: DrillStatus[] = [];
  const problems: string[] = [];
  // What the DR freshness run lists and tags, read again for the copies.
  const drReads: FreshnessReads = { listings: new Map(), objectTags: new Map() };
  const plans = new Map(config.plans.map((p) => [p.name, p]));
  const limit = (plan: string, what: StatusWhat): number => {
    const l = freshnessLimits(plans.get(plan)!, now);
    return 60 * (what === 'snapshot' ? l.recoveryPointAge : what === 'last good drill' ? l.lastDrillAge : l.copyAge);
  };
  const scrubLimit = 60 * scrubAgeLimitMinutes(now);
  const limitOf = (plan: string, what: StatusWhat): number => (what === 'scrub record' ? scrubLimit : limit(plan, what));
  // The DR stack deploys the scrub with the copies (lib/stacks/dr-stack.ts): measured as its monitor measures it. No schedule
  // ARN (status reads no schedule): a bucket without a record yet is missing, not aged from the schedule.
  const scrubbed = config.plans.some((p) => p.export.enabled);

  for (const where of ['primary', 'dr'] as const) {
    const region = regions[where];
    const drilling = config.plans.some((p) => drillsIn(p, where));
    const arn = drilling ? drillStateMachineArn(config.name, where, region, account, aws.partition(region)) : undefined;
    const bucket = where === 'dr' ? recoveryBucketName(config.name, account, region) : undefined;
    const sfn = aws.sfn(region);
    const deps = aws.deps(region);
    let report: FreshnessReport;
    try {
      report = await runFreshness(
        {
          ...freshnessRunInput(config.name, where, config.plans, bucket, arn),
          ...(where === 'dr' && scrubbed ? { scrub: { prefix: SCRUB_RECORDS_PREFIX } } : {}),
        },
        { ...deps, drillHistory: (a, wrap) => listSucceededDrills(sfn, a, { limit: MAX_DRILL_EXECUTIONS, concurrency: deps.concurrency, wrap }) },
        where === 'dr' ? drReads : undefined,
      );
    } catch (err) {
      if (!(err instanceof FreshnessRunFailedError)) throw err;
      report = err.report;
    }
    for (const p of report.points) {
      const what = WHAT[p.metric]!;
      const lim = limitOf(p.plan, what);
      rows.push({
        plan: p.plan,
        target: p.target,
        what,
        region,
        ageSeconds: p.seconds,
        limitSeconds: lim,
        state: p.seconds <= lim ? 'ok' : 'late',
        detail: null,
        name: p.recoveryPoint ?? null,
      });
    }
    for (const g of report.gaps) {
      const what = WHAT[g.metric]!;
      rows.push({
        plan: g.plan,
        target: g.target,
        what,
        region,
        ageSeconds: null,
        limitSeconds: limitOf(g.plan, what),
        state: 'missing',
        detail: g.why,
        name: null,
      });
    }
    for (const f of report.failed) {
      const whats = f.metric ? [WHAT[f.metric]!] : where === 'primary' ? (['snapshot'] as const) : (['verified DR copy'] as const);
      for (const what of whats) {
        rows.push({
          plan: f.plan,
          target: f.target,
          what,
          region,
          ageSeconds: null,
          limitSeconds: limitOf(f.plan, what),
          state: 'error',
          detail: f.error,
          name: null,
        });
      }
    }
    if (arn) {
      try {
        drills.push(...(await newestDrillPerPlan(config, aws, where, region, arn)));
      } catch (err) {
        problems.push(`${where} drills (${region}): ${describeError(err)}`);
      }
    }
  }
  const copies = await collectCopies(config, aws, rows, drReads);
  // Replicas of the exporting plans' targets, as the copies above; unread is unhealthy, never absent.
  const vault = config.vault
    ? await collectVault(
        config,
        aws,
        copies.filter((c) => c.exports),
      )
    : null;
  const primaryCollapses = await collectCollapses(config, aws).catch((err: unknown) => {
    problems.push(`keyspace-collapse holds (${regions.primary}): ${describeError(err)}`);
    return [];
  });
  const drCollapses = await collectDrCollapses(config, aws, rows, primaryCollapses).catch((err: unknown) => {
    problems.push(`DR keyspace-collapse marks (${regions.dr}): ${describeError(err)}`);
    return [];
  });
  const collapses = [...primaryCollapses, ...drCollapses];
  // A record dated in the future is measured past and fails the run: the failure's row is the one shown.
  const scrubRows = rows.filter((r) => r.what === 'scrub record');
  const scrub = scrubRows.find((r) => r.state === 'error') ?? scrubRows[0] ?? null;
  // Ages of the last good drill per target are detail; the `all` row is what the alarm watches. The scrub's row is its own.
  const shown = rows.filter((r) => r.what !== 'scrub record' && (r.what !== 'last good drill' || r.target === ALL_TARGETS));
  const order = ['snapshot', 'exported copy', 'verified DR copy', 'last good drill'];
  shown.sort(
    (a, b) =>
      config.plans.findIndex((p) => p.name === a.plan) - config.plans.findIndex((p) => p.name === b.plan) ||
      a.target.localeCompare(b.target) ||
      order.indexOf(a.what) - order.indexOf(b.what) ||
      a.region.localeCompare(b.region),
  );
  const drillFailed = drills.some((d) => d.status !== 'RUNNING' && d.status !== 'SUCCEEDED' && d.status !== 'none');
  return {
    deployment: config.name,
    primaryRegion: regions.primary,
    drRegion: regions.dr,
    at: now.toISOString(),
    rows: shown,
    drills,
    copies,
    collapses,
    problems,
    scrub,
    vault,
    healthy:
      shown.every((r) => r.state === 'ok') &&
      (scrub === null || scrub.state === 'ok') &&
      !drillFailed &&
      problems.length === 0 &&
      !collapses.some((c) => c.state === 'active') &&
      (vault?.healthy ?? true),
  };
}

/** The deployment's collapsed snapshots and what each holds, from the Tagging API (one paged query). */
async function collectCollapses(config: RedisDrConfig, aws: OperatorClients): Promise<CollapseStatus[]> {
  const deps = aws.deps(config.primary.region);
  const retry = throttleRetry(deps.clock, deps.clock.now() + 120_000, deps.throttleDelayMs);
  const filters = [
    { Key: TAGS.managed, Values: ['true'] },
    { Key: TAGS.deployment, Values: [config.name] },
  ];
  const marked: CollapseStatus[] = [];
  const holds: { name: string; point: string }[] = [];
  for await (const r of taggedElastiCacheResources(deps.tagging, filters, retry)) {
    const state = collapseMarkState(r.tags[TAGS.collapsed]);
    if (state === 'active' || state === 'released' || state === 'accepted')
      marked.push({ plan: r.tags[TAGS.plan] ?? '?', target: r.tags[TAGS.source] ?? '?', point: r.name, state, held: [] });
    const point = r.tags[TAGS.hold] !== undefined ? parseCollapseHold(r.tags[TAGS.hold]!) : undefined;
    if (point) holds.push({ name: r.name, point });
  }
  return marked
    .map((c) => ({
      ...c,
      held: holds
        .filter((h) => h.point === c.point)
        .map((h) => h.name)
        .sort(),
    }))
    .sort((a, b) => a.point.localeCompare(b.point));
}

/**
 * The DR verifier's collapse marks that no release record names (the DR bucket's redis-dr-verdicts/collapses/ and
 * redis-dr-releases/, one listing each: what the DR keyspace-collapsed alarm counts), by collapsed point, when the
 * primary shows no active collapse of that point: a collapse judged on the DR copy only was shown nowhere while its
 * alarm paged. The plan is the one whose rows name the target. None when no plan exports.
 */
async function collectDrCollapses(
  config: RedisDrConfig,
  aws: OperatorClients,
  rows: readonly StatusRow[],
  primary: readonly CollapseStatus[],
): Promise<CollapseStatus[]> {
  if (!config.plans.some((p) => p.export.enabled)) return [];
  const region = config.dr.region;
  const bucket = recoveryBucketName(config.name, await aws.account(), region);
  const shown = new Set(primary.filter((c) => c.state === 'active').map((c) => c.point));
  const points = new Set((await openDrCollapses(aws.s3(region), bucket, '')).map(snapshotOfExport).filter((p) => !shown.has(p)));
  return [...points].sort().map((point) => {
    const target = parseSnapshotName(point)?.target ?? '?';
    return { plan: rows.find((r) => r.target === target)?.plan ?? '?', target, point, state: 'active', held: [], where: 'dr' };
  });
}

/**
 * Per plan and target the rows name: the recovery points to show (the
 * newest snapshot, the newest export in each bucket, the newest copy a DR
 * restore would take) and their copies. The DR bucket is read through what
 * the freshness run read; the primary bucket is listed once per target.
 */
async function collectCopies(config: RedisDrConfig, aws: OperatorClients, rows: readonly StatusRow[], drReads: FreshnessReads): Promise<StatusCopies[]> {
  const buckets = await copyBuckets(config, aws, { dr: drReads });
  const named = (plan: string, target: string, what: StatusWhat) =>
    rows.find((r) => r.plan === plan && r.target === target && r.what === what)?.name ?? undefined;
  const targets = config.plans.flatMap((plan) =>
    [...new Set(rows.filter((r) => r.plan === plan.name && r.what !== 'last good drill' && r.target !== RUN_TIME_SELECTION).map((r) => r.target))]
      .sort((a, b) => a.localeCompare(b))
      .map((target) => ({ plan: plan.name, target, exports: plan.export.enabled })),
  );
  return mapConcurrent(targets, 8, async (t): Promise<StatusCopies> => {
    if (!t.exports) return { ...t, points: [], fastPath: null, problems: [] };
    const newestSnapshot = named(t.plan, t.target, 'snapshot');
    const usableDr = named(t.plan, t.target, 'verified DR copy');
    const found = await copiesOf(t.target, buckets, (exports) => ({ points: pointsToShow({ newestSnapshot, usableDr, ...exports }), newest: newestSnapshot }));
    return { ...t, ...found };
  });
}

/** The newest execution of each plan that drills in `where`, with its report's verdict and RTO. */
async function newestDrillPerPlan(config: RedisDrConfig, aws: OperatorClients, where: DrillWhere, region: string, arn: string): Promise<DrillStatus[]> {
  const sfn = aws.sfn(region);
  const executions = await listDrillExecutions(sfn, arn, { limit: RECENT_DRILLS, concurrency: 4 });
  const out: DrillStatus[] = [];
  for (const plan of config.plans.filter((p) => drillsIn(p, where))) {
    const base = { plan: plan.name, where, region, rtoObjectiveSeconds: plan.drill.rtoMinutes * 60 };
    const ofPlan = executions.filter((e) => drillPlanOf(e) === plan.name);
    const running = ofPlan.find((e) => e.status === 'RUNNING');
    // The newest finished drill is the verdict; one running now does not hide it.
    const newest = ofPlan.find((e) => e.status !== 'RUNNING') ?? running;
    const runningSince = running && running !== newest ? (running.startDate?.toISOString() ?? 'now') : null;
    if (!newest) {
      out.push({
        ...base,
        status: 'none',
        startedAt: null,
        stoppedAt: null,
        target: null,
        recoveryPoint: null,
        rtoSeconds: null,
        passed: null,
        summary: null,
        executionArn: null,
        runningSince: null,
      });
      continue;
    }
    const { report, choice } = await drillReportOf(sfn, newest);
    out.push({
      ...base,
      status: newest.status ?? 'UNKNOWN',
      startedAt: newest.startDate?.toISOString() ?? null,
      stoppedAt: newest.stopDate?.toISOString() ?? null,
      target: str(choice?.target),
      recoveryPoint: str(choice?.recoveryPoint),
      rtoSeconds: typeof report?.rtoSeconds === 'number' ? report.rtoSeconds : null,
      passed: typeof report?.ok === 'boolean' ? report.ok : null,
      summary: str(report?.subject) ?? (newest.error ? `${newest.error}${newest.cause ? `: ${newest.cause}` : ''}` : null),
      executionArn: newest.executionArn,
      runningSince,
    });
  }
  return out;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
