import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, positiveInt } from '../../options.js';
import type { ExportCliOptions } from './action.js';

/** Defines `redis-dr export` (options and help); its action module loads only when it runs. */
export function exportCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('export')
    .description(
      'export a recovery point to S3 now, through the scheduled export job; with --wait, follow it through replication to the DR region (and the vault) to the DR verifier’s verdict',
    )
    .requiredOption('--plan <name>', 'the plan the point belongs to')
    .option('--target <id>', "the cache (default: the plan's first named cache)")
    .option('--point <name>', "the snapshot to export (default: the target's newest available rdr- snapshot)")
    .option('--wait', 'wait for the objects, their replication and the DR verdict (exit 1 when replication fails or the copy is not verified ok)')
    .option('--poll-seconds <n>', 'seconds between checks while waiting', positiveInt('--poll-seconds', 1), 15)
    .option('--timeout-minutes <n>', 'give up each wait after this many minutes', positiveInt('--timeout-minutes', 1), 60)
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (o: ExportCliOptions) => (await import('./action.js')).exportAction(o, env));
}
