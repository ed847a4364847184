import type { Command } from 'commander';
import type { CostOptions } from './action.js';

/** Defines `redis-dr cost` (options and help); its action module loads only when it runs. */
export function costCommand(program: Command): void {
  program
    .command('cost')
    .usage('-c <config> [--assembly <dir>] [options]')
    .description(
      'monthly cost estimate in USD of a deployment: the fixed floor counted from its synthesized templates (alarms, dashboards, KMS keys, schedules) and the variable parts from its plans (snapshot and S3 storage by tier, replication, drill node-hours, Lambda), every assumption printed',
    )
    .option('-c, --config <file>', 'the deployment config (required: no default, an estimate of another deployment would mislead)')
    .option('--assembly <dir>', 'the cloud assembly `npx cdk synth -c config=<file>` wrote', 'cdk.out')
    .option('--size-gb <n>', 'size of one recovery point per cache, GB (default 1)')
    .option('--targets-per-tag-plan <n>', 'caches a tag-selected plan finds (default 1)')
    .option('--drill-node-type <type>', 'node type of drill clusters whose plan names none (default cache.r7g.large)')
    .option('--drill-nodes <n>', 'nodes (shards) of a drill cluster (default 1)')
    .option('--drill-hours <n>', 'hours a drill cluster exists (default 1)')
    .option('--engine <valkey|redis>', 'engine of drill clusters (default valkey)')
    .option('--now <iso>', 'count the schedules over the 30 days from this time instead of now')
    .option('--json', 'print the estimate as JSON')
    .action(async (options: CostOptions) => (await import('./action.js')).costAction(options));
}
