/**
 * `redis-dr prune --plan <name> --dry-run`: runs the prune job with
 * deletions off (lambdas/jobs/scheduled/prune-dry-run.ts) and prints which
 * snapshots are kept (with the rules that keep each) and which the next
 * scheduled run would delete. It never deletes: deleting is the scheduled
 * Lambda's job, within its IAM scope and per-run cap.
 */
import { pruneDryRun } from '../../../lambdas/jobs/scheduled/prune-dry-run.js';
import { CliAws, type CliEnv, findPlan, loadCliConfig, runAwsCommand } from '../../aws.js';
import { formatPlan } from '../../retention-table.js';
import { UsageError } from '../../../lambdas/jobs/usage-error.js';

/** The `prune` command's action (loaded only when the command runs; options: cli/commands/prune/command.ts). */
export async function pruneAction(o: { plan: string; dryRun?: boolean; config: string; json?: boolean }, env: CliEnv = {}): Promise<void> {
  if (!o.dryRun) {
    throw new UsageError(
      'prune needs --dry-run: the CLI never deletes snapshots; the scheduled prune Lambda does, within its safety rails (set retention.dryRun=false in the config to let it)',
    );
  }
  const config = loadCliConfig(o.config);
  const plan = findPlan(config, o.plan);
  const aws = new CliAws(config, env);
  await runAwsCommand('prune', aws, async () => {
    const r = await pruneDryRun(config, aws, plan);
    const note = `DRY RUN: nothing deleted. Plan ${r.plan} in ${r.region} at ${r.now}; a prune run deletes at most ${r.maxDeletesPerTarget} per target, oldest first.\n`;
    const problems = r.problems.map((p) => `problem: ${p}\n`).join('');
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${note}${problems}${formatPlan(r.targets)}`);
    return r.problems.length > 0 ? 1 : 0;
  });
}
