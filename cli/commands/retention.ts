import type { Command } from 'commander';
import type { RetentionPlanOptions } from '../retention';
import { DEFAULT_CONFIG_FILE } from '../options';

/** Defines `redis-dr retention` (options and help); its action module loads only when it runs. */
export function retentionCommand(program: Command): void {
  const retention = program.command('retention').description('grandfather-father-son retention of snapshots');
  retention
    .command('plan')
    .description('offline dry run: which snapshots the retention rules keep (and why) and which they would delete')
    .option('--policy <file>', 'JSON: {hourly, daily, weekly, monthly, minKeep, rpoMinutes, timeZone}')
    .option('-c, --config <file>', `the deployment config whose --plan retention to apply (default ${DEFAULT_CONFIG_FILE})`)
    .option('--plan <name>', 'take the policy from this plan of the deployment config, exactly as its prune Lambda applies it')
    .requiredOption('--snapshots <file>', 'JSON: [{name, status, createdAt, managed, tier}] or `aws elasticache describe-snapshots` output')
    .option('--now <iso>', 'evaluate at this time instead of now')
    .option('--json', 'print the plan as JSON')
    .action(async (options: RetentionPlanOptions) => (await import('../retention.js')).retentionAction(options));
}
