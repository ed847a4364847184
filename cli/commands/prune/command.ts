import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP } from '../../options.js';

/** Defines `redis-dr prune` (options and help); its action module loads only when it runs. */
export function pruneCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('prune')
    .usage('--plan <name> --dry-run [options]')
    .description('dry run of the retention rules against AWS: which snapshots of a plan are kept (and why) and which the next prune run would delete')
    .requiredOption('--plan <name>', 'the plan')
    .option('--dry-run', 'required: this command never deletes (the scheduled prune Lambda does)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the plan as JSON')
    .action(async (o: { plan: string; dryRun?: boolean; config: string; json?: boolean }) => (await import('./action.js')).pruneAction(o, env));
}
