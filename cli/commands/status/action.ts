import { latestSelftest } from '../../../lambdas/jobs/selftest/latest.js';
import { recoveryBucketName } from '../../../lib/deployment.js';
import {
  collectStatus,
  type CollapseStatus,
  type DrillStatus,
  RECENT_DRILLS,
  type StatusReport,
  type StatusRow,
} from '../../../lambdas/jobs/status/collect.js';
import { collectCoverage } from '../../../lambdas/jobs/status/coverage.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { formatCoverage } from './coverage.js';
import { formatCopies } from '../../rdb-copies.js';
import { formatVault, vaultAccess } from '../../vault-copies.js';
import { age, plain, table, terminalStyle, type Style } from '../../table.js';
import { RUNBOOKS } from '../../../lambdas/domain/alerting/catalog.js';

/** What status reports (lambdas/jobs/status/collect.ts), for the tests of its formatting. */
export type { StatusCopies, StatusReport } from '../../../lambdas/jobs/status/collect.js';

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
  if (r.scrub) lines.push('', formatScrub(r.scrub, mark));
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

/** The DR bucket's daily scrub: its newest record's age against the `scrub-age` alarm's limit. */
function formatScrub(x: StatusRow, mark: Record<string, string>): string {
  const newest = x.ageSeconds === null ? 'no record measured' : `newest record ${x.name ?? '?'}, ${age(x.ageSeconds)} old`;
  const detail = x.detail ? ` - ${x.detail}` : '';
  const fix = x.state === 'ok' ? '' : ` (see ${RUNBOOKS.corruption})`;
  return `scrub of ${x.target} (${x.region}): ${newest}, limit ${age(x.limitSeconds)}: ${mark[x.state] ?? x.state}${detail}${fix}`;
}

function formatCollapse(c: CollapseStatus, style: Style): string {
  const head = c.state === 'active' ? style(['red', 'bold'], 'KEYSPACE COLLAPSED') : `keyspace collapse (${c.state})`;
  // The DR verifier's mark (the primary shows none active): its holds are the DR copies' tier tags.
  const held =
    c.where === 'dr'
      ? "judged on its DR copy (the DR verifier's mark; the primary shows no active collapse), its earlier DR copies held"
      : c.held.length > 0
        ? `held: ${c.held.length} point(s), newest ${c.held.at(-1)}`
        : 'held: none';
  const release =
    c.state === 'active' ? ` - see ${RUNBOOKS.keyspaceCollapse}; release: redis-dr retention release --target ${c.target} --point ${c.point}` : '';
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
      aws.assertReached();
      process.stdout.write(o.json ? `${JSON.stringify(coverage, null, 2)}\n` : formatCoverage(coverage, terminalStyle()));
      return coverage.healthy ? 0 : 1;
    }
    const report = await collectStatus(config, aws);
    // The newest `redis-dr selftest` record (docs/deploying.md, "Day 1"): said, never part of the verdict.
    const selftest = await latestSelftest(aws.s3(config.dr.region), recoveryBucketName(config.name, await aws.account(), config.dr.region));
    // Nothing answered: one line naming the endpoint (exit 2), not a table of errors.
    aws.assertReached();
    process.stdout.write(o.json ? `${JSON.stringify({ ...report, selftest }, null, 2)}\n` : `${formatStatus(report, terminalStyle())}${selftest.line}\n`);
    return report.healthy ? 0 : 1;
  });
}
