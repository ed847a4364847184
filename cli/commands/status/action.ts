import { latestSelftest } from '../../../lambdas/jobs/selftest/latest.js';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { drillsIn, drillStateMachineArn, freshnessLimits, freshnessRunInput, recoveryBucketName } from '../../../lib/deployment.js';
import { describeError } from '../../../lambdas/adapters/aws/errors.js';
import { drillReportOf, listDrillExecutions, listSucceededDrills } from '../../../lambdas/adapters/aws/drill-history.js';
import { METRIC } from '../../../lambdas/domain/alerting/metrics.js';
import type { DrillWhere } from '../../../lambdas/domain/drills/drill.js';
import { ALL_TARGETS, drillPlanOf, MAX_DRILL_EXECUTIONS } from '../../../lambdas/domain/plans/freshness.js';
import { pointsToShow } from '../../../lambdas/domain/dr-copies/rdb-copies.js';
import { mapConcurrent } from '../../../lambdas/adapters/aws/retry.js';
import { FreshnessRunFailedError, runFreshness, type FreshnessReads, type FreshnessReport } from '../../../lambdas/jobs/scheduled/freshness.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { collectCoverage, formatCoverage } from './coverage.js';
import { copiesOf, copyBuckets, formatCopies, type TargetCopies } from '../../rdb-copies.js';
import { collectVault, formatVault, vaultAccess, type VaultReport } from '../../vault-copies.js';
import { age, plain, table, terminalStyle, type Style } from '../../table.js';
import { taggedElastiCacheResources } from '../../../lambdas/adapters/aws/tagging.js';
import { throttleRetry } from '../../../lambdas/adapters/aws/retry.js';
import { parseCollapseHold } from '../../../lambdas/domain/plans/collapse.js';
import { collapseMarkState, type CollapseMarkState } from '../../../lambdas/domain/plans/collapse-points.js';
import { TAGS } from '../../../lambdas/domain/plans/types.js';

/**
 * `redis-dr status [-c config] [--json]`: per plan and target, in both
 * regions, how old the newest recovery points are against the limits the
 * alarms hold them to, and each region's last drill with its result and RTO.
 *
 * The ages come from the freshness monitor's own code (`runFreshness`, the
 * same listings, the same "usable copy" rules) run from here, so status says
 * what the dead man's switches see. Exit 0 when everything is within its
 * limit, 1 when anything is late, missing, failed or could not be measured.
 *
 * Per target it also shows the newest recovery points with their `.rdb`
 * copies in the primary export bucket and the DR bucket (location, shards,
 * verification) and the command of the key-level fast path, reading what
 * the freshness run listed in the DR bucket and listing the primary bucket
 * once per target; tags only of the exports shown. Copies do not change the
 * exit code: the rows above are what the alarms watch.
 *
 * With a vault (config `vault`), its replicas of the same targets: the
 * newest copies down to the newest recovery point (verified intact by the
 * vault's verifier, under COMPLIANCE retention), their age against the
 * DR-copy limit and their retention, read with the vault account's
 * credentials (`--vault-profile`). A vault late, without a recovery point or
 * not read makes the exit code 1 (cli/vault-copies.ts).
 */

/** What a row measures. */
export type StatusWhat = 'snapshot' | 'exported copy' | 'verified DR copy' | 'last good drill';
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
}

const WHAT: Record<string, StatusWhat> = {
  [METRIC.recoveryPointAge]: 'snapshot',
  [METRIC.exportedCopyAge]: 'exported copy',
  [METRIC.verifiedCopyAge]: 'verified DR copy',
  [METRIC.lastDrillAge]: 'last good drill',
};

/** Drill executions looked at per region for the newest of each plan. */
const RECENT_DRILLS = 20;

/** Measures both regions (the freshness monitor's code) and reads each region's newest drills. */
export async function collectStatus(config: RedisDrConfig, aws: CliAws): Promise<StatusReport> {
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
        freshnessRunInput(config.name, where, config.plans, bucket, arn),
        { ...deps, drillHistory: (a, wrap) => listSucceededDrills(sfn, a, { limit: MAX_DRILL_EXECUTIONS, concurrency: deps.concurrency, wrap }) },
        where === 'dr' ? drReads : undefined,
      );
    } catch (err) {
      if (!(err instanceof FreshnessRunFailedError)) throw err;
      report = err.report;
    }
    for (const p of report.points) {
      const what = WHAT[p.metric]!;
      const lim = limit(p.plan, what);
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
        limitSeconds: limit(g.plan, what),
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
          limitSeconds: limit(f.plan, what),
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
  const collapses = await collectCollapses(config, aws).catch((err: unknown) => {
    problems.push(`keyspace-collapse holds (${regions.primary}): ${describeError(err)}`);
    return [];
  });
  // Ages of the last good drill per target are detail; the `all` row is what the alarm watches.
  const shown = rows.filter((r) => r.what !== 'last good drill' || r.target === ALL_TARGETS);
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
    vault,
    healthy:
      shown.every((r) => r.state === 'ok') && !drillFailed && problems.length === 0 && !collapses.some((c) => c.state === 'active') && (vault?.healthy ?? true),
  };
}

/** The deployment's collapsed snapshots and what each holds, from the Tagging API (one paged query). */
async function collectCollapses(config: RedisDrConfig, aws: CliAws): Promise<CollapseStatus[]> {
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
 * Per plan and target the rows name: the recovery points to show (the
 * newest snapshot, the newest export in each bucket, the newest copy a DR
 * restore would take) and their copies. The DR bucket is read through what
 * the freshness run read; the primary bucket is listed once per target.
 */
async function collectCopies(config: RedisDrConfig, aws: CliAws, rows: readonly StatusRow[], drReads: FreshnessReads): Promise<StatusCopies[]> {
  const buckets = await copyBuckets(config, aws, { dr: drReads });
  const named = (plan: string, target: string, what: StatusWhat) =>
    rows.find((r) => r.plan === plan && r.target === target && r.what === what)?.name ?? undefined;
  const targets = config.plans.flatMap((plan) =>
    [...new Set(rows.filter((r) => r.plan === plan.name && r.what !== 'last good drill' && r.target !== 'selectByTags').map((r) => r.target))]
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
async function newestDrillPerPlan(config: RedisDrConfig, aws: CliAws, where: DrillWhere, region: string, arn: string): Promise<DrillStatus[]> {
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

export { age } from '../../table.js';

/** The report people read. */
export function formatStatus(r: StatusReport, style: Style = plain): string {
  const mark: Record<string, string> = {
    ok: style('green', 'ok'),
    late: style(['red', 'bold'], 'LATE'),
    missing: style(['red', 'bold'], 'MISSING'),
    error: style('yellow', 'ERROR'),
  };
  const lines = [`redis-dr ${r.deployment}: primary ${r.primaryRegion}, DR ${r.drRegion}, at ${r.at}`];
  const plans = [...new Set([...r.rows.map((x) => x.plan), ...r.drills.map((d) => d.plan)])];
  for (const plan of plans) {
    lines.push('', `plan ${plan}`);
    const rows = r.rows.filter((x) => x.plan === plan);
    if (rows.length > 0) {
      const cells = rows.map((x) => [
        x.target,
        x.what,
        x.region,
        x.ageSeconds === null ? '-' : age(x.ageSeconds),
        `limit ${age(x.limitSeconds)}`,
        x.state,
        x.detail ?? '',
      ]);
      const STATE = 5;
      const paint = (column: number, cell: string) => (column === STATE ? cell.replace(cell.trim(), mark[cell.trim()] ?? cell.trim()) : cell);
      lines.push(...table([['TARGET', 'RECOVERY POINT', 'REGION', 'AGE', 'LIMIT', 'STATE', 'DETAIL'], ...cells], paint).map((l) => `  ${l}`));
    }
    for (const d of r.drills.filter((x) => x.plan === plan)) lines.push(`  ${formatDrill(d, style)}`);
    lines.push(
      ...formatCopies(
        r.copies.filter((c) => c.plan === plan),
        style,
      ).map((l) => (l ? `  ${l}` : l)),
    );
    for (const c of r.collapses.filter((x) => x.plan === plan)) lines.push(`  ${formatCollapse(c, style)}`);
  }
  if (r.vault) lines.push(...formatVault(r.vault, style));
  for (const p of r.problems) lines.push('', style('yellow', `not measured: ${p}`));
  lines.push(
    '',
    r.healthy
      ? style('green', 'All recovery points within their limits.')
      : style(['red', 'bold'], 'Attention needed: see the rows not ok (runbooks in docs/runbooks/).'),
  );
  return `${lines.join('\n')}\n`;
}

function formatCollapse(c: CollapseStatus, style: Style): string {
  const head = c.state === 'active' ? style(['red', 'bold'], 'KEYSPACE COLLAPSED') : `keyspace collapse (${c.state})`;
  const held = c.held.length > 0 ? `held: ${c.held.length} point(s), newest ${c.held.at(-1)}` : 'held: none';
  const release =
    c.state === 'active' ? ` - see docs/runbooks/keyspace-collapse.md; release: redis-dr retention release --target ${c.target} --point ${c.point}` : '';
  return `${head} ${c.target} at ${c.point}, ${held}${release}`;
}

function formatDrill(d: DrillStatus, style: Style): string {
  const head = `last ${d.where} drill (${d.region}):`;
  if (d.status === 'none') return `${head} none found among the last ${RECENT_DRILLS} executions`;
  const when = d.stoppedAt ?? d.startedAt ?? '';
  const status = d.status === 'SUCCEEDED' ? style('green', d.status) : d.status === 'RUNNING' ? style('cyan', d.status) : style(['red', 'bold'], d.status);
  const rto =
    d.rtoSeconds === null
      ? ''
      : `, RTO ${age(d.rtoSeconds)} (objective ${age(d.rtoObjectiveSeconds)}${d.rtoSeconds > d.rtoObjectiveSeconds ? ', MISSED' : ''})`;
  const what = d.target ? `, ${d.target} from ${d.recoveryPoint ?? '?'}` : '';
  const now = d.runningSince ? ` (another drill running since ${d.runningSince})` : '';
  return `${head} ${status} ${when}${what}${rto}${d.summary && d.status !== 'SUCCEEDED' ? ` - ${d.summary}` : ''}${now}`;
}

/** Registers `status`. */
/** The `status` command's action (loaded only when the command runs; options: cli/commands/status/command.ts). */
export async function statusAction(o: { config: string; json?: boolean; coverage?: boolean; vaultProfile?: string }, env: CliEnv = {}): Promise<void> {
  const config = loadCliConfig(o.config);
  const aws = new CliAws(config, env, vaultAccess(config, o.vaultProfile));
  await runAwsCommand('status', aws, async () => {
    if (o.coverage) {
      const coverage = await collectCoverage(config, aws);
      process.stdout.write(o.json ? `${JSON.stringify(coverage, null, 2)}\n` : formatCoverage(coverage, terminalStyle()));
      return coverage.healthy ? 0 : 1;
    }
    const report = await collectStatus(config, aws);
    // The newest `redis-dr selftest` record (docs/deploying.md, "Day 1"): said, never part of the verdict.
    const selftest = await latestSelftest(aws.s3(config.dr.region), recoveryBucketName(config.name, await aws.account(), config.dr.region));
    process.stdout.write(o.json ? `${JSON.stringify({ ...report, selftest }, null, 2)}\n` : `${formatStatus(report, terminalStyle())}${selftest.line}\n`);
    return report.healthy ? 0 : 1;
  });
}
