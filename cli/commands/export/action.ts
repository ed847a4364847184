/**
 * `redis-dr export --plan <p> [--target <id>] [--point <name>] [--wait]`:
 * the export job (lambdas/jobs/on-demand/export-now.ts) with the plan's
 * schedule input, run with the operator's credentials. Exit 0 when exported
 * (and, with --wait, replicated and verified ok), 1 otherwise, 2 usage.
 */
import { exportRunInput, planTargetRef, recoveryBucketName } from '../../../lib/deployment.js';
import { type ExportNowResult, exportRecoveryPoint } from '../../../lambdas/jobs/on-demand/export-now.js';
import { CliAws, type CliEnv, findPlan, loadCliConfig, runAwsCommand } from '../../aws.js';
import { withStatus } from '../../progress.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** The options of `redis-dr export` (cli/commands/export/command.ts). */
export interface ExportCliOptions {
  readonly plan: string;
  readonly target?: string;
  readonly point?: string;
  readonly wait?: boolean;
  readonly pollSeconds: number;
  readonly timeoutMinutes: number;
  readonly config?: string;
  readonly json?: boolean;
}

/** Lines people read. */
export function formatExportNow(r: ExportNowResult): string {
  const lines = [`${r.target}: ${r.point}${r.exportName ? ` exported as s3://${r.exportBucket}/${r.exportName}-*` : ''}`];
  for (const c of r.copies)
    lines.push(
      `  ${c.key}${c.replication ? `: replication ${c.replication}` : ''}${c.verdict ? `, DR verdict ${c.verdict}${c.rdb ? ` (${c.rdb})` : ''}` : ''}`,
    );
  if (r.problem) lines.push(r.ok ? r.problem : `FAILED: ${r.problem}`);
  else lines.push(r.copies.some((c) => c.verdict) ? `verified in s3://${r.drBucket}` : 'exported (--wait follows it to the DR verdict)');
  return `${lines.join('\n')}\n`;
}

/** The `export` command's action (loaded only when the command runs). */
export async function exportAction(o: ExportCliOptions, env: CliEnv = {}): Promise<void> {
  const config = loadCliConfig(o.config);
  const plan = findPlan(config, o.plan);
  if (!plan.export.enabled) throw new UsageError(`plan ${plan.name} does not export (export.enabled is false): enable it in the config and deploy`);
  const target = planTargetRef(plan, o.target);
  if (!target)
    throw new UsageError(
      o.target === undefined
        ? `plan ${plan.name} names no cache (it selects by tags): give --target <id>`
        : `--target ${o.target}: not a cache of plan ${plan.name} (${[...plan.targets.replicationGroupIds, ...plan.targets.serverlessCacheNames].join(', ') || 'none named'}): name one of them`,
    );
  if (o.point !== undefined && !o.point.startsWith(`rdr-${target.id.toLowerCase()}-`))
    throw new UsageError(
      `--point ${o.point}: not a redis-dr snapshot of ${target.id} (names are rdr-${target.id.toLowerCase()}-<yyyymmdd>-<hhmm>): see redis-dr restore --list`,
    );
  const aws = new CliAws(config, env);
  await runAwsCommand('export', aws, async () => {
    const account = await aws.account();
    const run = exportRunInput(config.name, plan, recoveryBucketName(config.name, account, config.primary.region));
    const r = await withStatus(`export ${target.id}`, Boolean(o.wait), (status) =>
      exportRecoveryPoint(
        {
          run,
          target,
          ...(o.point ? { point: o.point } : {}),
          primaryRegion: config.primary.region,
          drRegion: config.dr.region,
          drBucket: recoveryBucketName(config.name, account, config.dr.region),
          wait: Boolean(o.wait),
          vault: config.vault !== undefined,
        },
        aws,
        { pollSeconds: o.pollSeconds, timeoutMinutes: o.timeoutMinutes, onStatus: status },
      ),
    );
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatExportNow(r));
    return r.ok ? 0 : 1;
  });
}
