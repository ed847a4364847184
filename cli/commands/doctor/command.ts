import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, VAULT_PROFILE_HELP } from '../../options.js';

/** Defines `redis-dr doctor` (options and help); its action module loads only when it runs. */
export function doctorCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('doctor')
    .description(
      'read-only check of a deployed config in both regions: stacks in sync, schedules, alert subscriptions, buckets, targets, recovery points, drills, alarms, coverage',
    )
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the checks as JSON')
    .option('--vault-profile <name>', VAULT_PROFILE_HELP)
    .action(async (o: { config: string; json?: boolean; vaultProfile?: string }) => (await import('./action.js')).doctorAction(o, env));
}
