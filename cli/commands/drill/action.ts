/**
 * `redis-dr drill run --plan <name> [--where primary|dr] [--wait]`: runs the
 * drill job (lambdas/jobs/drills/drill-run.ts: the deployed state machine
 * started with the input its schedule sends, followed with `--wait`) and
 * prints its report: the same text on-call gets by SNS. Exit 0 when the
 * drill passed (or was started, without --wait), 1 when it failed, 2 usage.
 */
import type { DrillWhere } from '../../../lambdas/domain/drills/drill.js';
import { type DrillRunResult, drillRegion, runDrill } from '../../../lambdas/jobs/drills/drill-run.js';
import { CliAws, type CliEnv, findPlan, loadCliConfig, runAwsCommand } from '../../aws.js';
import { withStatus } from '../../progress.js';
import { RUNBOOKS } from '../../../lambdas/domain/alerting/catalog.js';

// The execution's name, as the drill tests name it.
export { executionName } from '../../../lambdas/jobs/drills/drill-run.js';

/** Lines people read. */
export function formatDrillRun(r: DrillRunResult, region: string): string {
  const link = `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${r.executionArn}`;
  const lines = [`drill of plan ${r.input.plan} (${r.input.where}, ${region}): ${r.status}`, `execution: ${r.executionArn}`, `console:   ${link}`];
  if (r.status === 'RUNNING') {
    lines.push('', 'The report goes to the alert topic when it ends; follow it here with --wait, or later with `redis-dr status`.');
  } else {
    const body = typeof r.report?.body === 'string' ? r.report.body : undefined;
    if (body) lines.push('', body);
    else if (r.error) lines.push('', `error: ${r.error}${r.cause ? `: ${r.cause}` : ''}`, `Runbook: ${RUNBOOKS.restoreDrill}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The `drill` command's action (loaded only when the command runs; options: cli/commands/drill/command.ts). */
export async function drillAction(
  o: { plan: string; where?: DrillWhere; wait?: boolean; pollSeconds: number; config: string; json?: boolean },
  env: CliEnv = {},
): Promise<void> {
  const config = loadCliConfig(o.config);
  const plan = findPlan(config, o.plan);
  const { region } = drillRegion(config, plan, o.where);
  const aws = new CliAws(config, env);
  await runAwsCommand('drill run', aws, async (did) => {
    const started = (arn: string) => {
      did(`started ${arn}`); // following it may fail later: the drill still runs
      process.stderr.write(`redis-dr drill run: started ${arn}\n`);
    };
    const r = await withStatus(`drill ${o.plan}`, Boolean(o.wait), (status) => runDrill(config, aws, { ...o, plan, onStep: status, onStarted: started }));
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatDrillRun(r, region));
    return r.status === 'RUNNING' || r.status === 'SUCCEEDED' ? 0 : 1;
  });
}
