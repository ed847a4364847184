import { Option, type Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, positiveInt } from '../../options.js';
import type { SelftestCliOptions } from './action.js';

/** Defines `redis-dr selftest` (options and help); its action module loads only when it runs. */
export function selftestCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('selftest')
    .description(
      'run the pipeline once in the account, step by step: preflight, a snapshot per plan, its export, replication and DR verdict, a drill per drilled region, ' +
        'a TEST page through each alert topic and every alerts.integrations entry (which answered), and a summary record in the DR bucket; a failure names its cause and fix',
    )
    .addOption(new Option('--region <which>', 'whose drills and alert topics to run: primary, dr or both').choices(['primary', 'dr', 'both']).default('both'))
    .option('--poll-seconds <n>', 'seconds between checks while waiting', positiveInt('--poll-seconds', 1), 15)
    .option('--timeout-minutes <n>', 'give up each wait after this many minutes (a drill gets four times as long)', positiveInt('--timeout-minutes', 1), 60)
    .option(
      '--canary',
      "snapshot and export a throwaway cache it creates (tagged as the drills' clusters, AUTH + TLS + encryption) instead of each plan's target; always deleted",
    )
    .option('--keep', "with --canary: keep the canary's recovery point (the cache is deleted all the same)")
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nSafe to rerun: it takes snapshots (kept under the plan retention like scheduled ones) and exports them; drills delete their clusters. See docs/deploying.md, "Day 1".',
    )
    .action(async (o: SelftestCliOptions) => (await import('./action.js')).selftestAction(o, env));
}
