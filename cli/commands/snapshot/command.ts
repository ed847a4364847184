import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, positiveInt } from '../../options.js';
import type { SnapshotCliOptions } from './action.js';

/** Defines `redis-dr snapshot` (options and help); its action module loads only when it runs. */
export function snapshotCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('snapshot')
    .description(
      "take a recovery point now, through the scheduled snapshot job with its schedule's input (same names, tags, tier and collapse tripwire), e.g. before a risky change",
    )
    .requiredOption('--plan <name>', 'the plan whose schedule it runs')
    .option('--target <id>', "only this cache of the plan (a replicationGroupIds or serverlessCacheNames entry; default: all the plan's caches)")
    .option('--wait', 'wait until each snapshot is available (exit 1 when one fails)')
    .option('--poll-seconds <n>', 'seconds between status checks while waiting', positiveInt('--poll-seconds', 1), 15)
    .option('--timeout-minutes <n>', 'give up waiting after this many minutes', positiveInt('--timeout-minutes', 1), 60)
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (o: SnapshotCliOptions) => (await import('./action.js')).snapshotAction(o, env));
}
