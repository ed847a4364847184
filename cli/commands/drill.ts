import { Option, type Command } from 'commander';
import type { CliEnv } from '../aws';
import type { DrillWhere } from '../../lambdas/domain/drill';
import { DEFAULT_CONFIG_FILE, positiveInt } from '../options';

/** Defines `redis-dr drill` (options and help); its action module loads only when it runs. */
export function drillCommand(program: Command, env: CliEnv = {}): void {
  const drill = program.command('drill').description('restore drills: build a cluster from a recovery point, verify the data, measure the RTO, clean up');
  drill
    .command('run')
    .description('start the deployed drill state machine now, with the input its schedule sends, and optionally follow it to its report')
    .requiredOption('--plan <name>', 'the plan to drill')
    .addOption(new Option('--where <region>', 'which region drills: primary or dr (default: the plan\'s drill.where; primary for both)').choices(['primary', 'dr']))
    .option('--wait', 'follow the drill to its report (exit 1 when it fails)')
    .option('--poll-seconds <n>', 'seconds between status checks while waiting', positiveInt('--poll-seconds', 1), 15)
    .option('-c, --config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the result as JSON')
    .action(async (o: { plan: string; where?: DrillWhere; wait?: boolean; pollSeconds: number; config: string; json?: boolean }) => (await import('../drill.js')).drillAction(o, env));
}
