/**
 * `redis-dr snapshot --plan <p> [--target <id>] [--wait]`: the snapshot
 * job (lambdas/jobs/on-demand/snapshot-now.ts) with the plan's schedule
 * input, run with the operator's credentials. The probe (canary and key
 * count) runs in the caches' VPC and is not reached from here: a probing
 * plan's point is taken without it (the job logs it), and its key count
 * comes from the DR verifier once exported (`redis-dr export --wait`).
 * Exit 0 when every point was taken (and, with --wait, is available), 1 when
 * one failed, 2 usage.
 */
import { planTargetRef, snapshotRunInput } from '../../../lib/deployment.js';
import { type SnapshotNowResult, takeRecoveryPoints } from '../../../lambdas/jobs/on-demand/snapshot-now.js';
import { CliAws, type CliEnv, findPlan, loadCliConfig, runAwsCommand } from '../../aws.js';
import { withStatus } from '../../progress.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { RUNBOOKS } from '../../../lambdas/domain/alerting/catalog.js';

/** The options of `redis-dr snapshot` (cli/commands/snapshot/command.ts). */
export interface SnapshotCliOptions {
  readonly plan: string;
  readonly target?: string;
  readonly wait?: boolean;
  readonly pollSeconds: number;
  readonly timeoutMinutes: number;
  readonly config?: string;
  readonly json?: boolean;
}

/** Lines people read. */
export function formatSnapshotNow(r: SnapshotNowResult): string {
  const lines = r.points.map(
    (p) =>
      `${p.target}: ${p.snapshot} ${p.status}${p.tier ? `, tier ${p.tier}` : ''}${p.keys !== undefined ? `, ${p.keys} keys` : ''}` +
      `${p.outcome === 'exists' ? ' (taken earlier this minute)' : ''}${p.error ? `: ${p.error}` : ''}`,
  );
  for (const problem of r.problems) lines.push(`problem: ${problem}`);
  // Taken means available: without --wait the points are still being made, and the line says so.
  const pending = r.points.filter((p) => p.status !== 'available').length;
  lines.push(
    !r.ok
      ? `plan ${r.plan}: FAILED (see above; ${RUNBOOKS.backupsStopped})`
      : pending === 0
        ? `plan ${r.plan}: ${r.points.length} recovery point(s) taken`
        : `plan ${r.plan}: ${r.points.length} recovery point(s) started, ${pending} not available yet (--wait follows them until they are)`,
  );
  return `${lines.join('\n')}\n`;
}

/** The `snapshot` command's action (loaded only when the command runs). */
export async function snapshotAction(o: SnapshotCliOptions, env: CliEnv = {}): Promise<void> {
  const config = loadCliConfig(o.config);
  const plan = findPlan(config, o.plan);
  const run = snapshotRunInput(config.name, plan);
  let targets = run.targets;
  if (o.target !== undefined) {
    const ref = planTargetRef(plan, o.target);
    if (!ref)
      throw new UsageError(
        `--target ${o.target}: not a cache of plan ${plan.name} (targets.replicationGroupIds: ${plan.targets.replicationGroupIds.join(', ') || 'none'}; serverlessCacheNames: ${plan.targets.serverlessCacheNames.join(', ') || 'none'}): name one of them, or leave --target out`,
      );
    targets = {
      replicationGroupIds: ref.kind === 'replication-group' ? [ref.id] : [],
      serverlessCacheNames: ref.kind === 'serverless-cache' ? [ref.id] : [],
      selectByTags: {},
    };
  }
  const aws = new CliAws(config, env);
  await runAwsCommand('snapshot', aws, async (did) => {
    const r = await withStatus(`snapshot ${plan.name}`, Boolean(o.wait), (status) =>
      takeRecoveryPoints({ run: { ...run, targets }, region: config.primary.region, wait: Boolean(o.wait) }, aws, {
        pollSeconds: o.pollSeconds,
        timeoutMinutes: o.timeoutMinutes,
        onStatus: status,
      }),
    );
    if (r.points.some((p) => p.outcome === 'created')) did('snapshots created');
    aws.assertReached();
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatSnapshotNow(r));
    return r.ok ? 0 : 1;
  });
}
