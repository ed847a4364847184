/**
 * `redis-dr prune --plan <name> --dry-run`: runs the prune job with
 * deletions off (lambdas/jobs/scheduled/prune-dry-run.ts) and prints which
 * snapshots are kept (with the rules that keep each) and which the next
 * scheduled run would delete. It never deletes: deleting is the scheduled
 * Lambda's job, within its IAM scope and per-run cap.
 */
import { type PruneDryRun, pruneDryRun } from '../../../lambdas/jobs/scheduled/prune-dry-run.js';
import { exitCodeOf } from '../../exit-codes.js';
import { CliAws, type CliEnv, findPlan, loadCliConfig, runAwsCommand } from '../../aws.js';
import { formatPlan } from '../../retention-table.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

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
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${note}${problems}${formatPlan(r.targets)}${formatRun(r)}`);
    return exitCodeOf(r.outcome);
  });
}

/** What the run itself would do per target: a rail's hold, the deletions of this run (within its cap), what waits, what it could not list. */
export function formatRun(r: PruneDryRun): string {
  const lines = ['', 'this run:'];
  for (const t of r.results) {
    if (t.error) lines.push(`  ${t.target}: NOT LISTED: ${t.error}`);
    else if (t.hold) lines.push(`  ${t.target}: HELD (${t.hold.reason}): ${t.hold.detail}; nothing would be deleted`);
    else
      lines.push(
        `  ${t.target}: would delete ${t.wouldDelete.length}${t.wouldDelete.length ? ` (${t.wouldDelete.join(', ')})` : ''}` +
          `, ${t.deferred.length} left for later runs, ${t.kept} kept`,
      );
    if (t.untagged > 0) lines.push(`  ${t.target}: ${t.untagged} rdr- snapshot(s) without tags: never pruned (tagged by hand, or the Tagging API missed them)`);
  }
  return `${lines.join('\n')}\n`;
}
