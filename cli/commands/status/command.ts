import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, VAULT_PROFILE_HELP } from '../../options.js';

/** Defines `redis-dr status` (options and help); its action module loads only when it runs. */
export function statusCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('status')
    .description('recovery point ages in both regions against the RPO and alarm limits, and the last drill of each plan')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the report as JSON')
    .option(
      '--coverage',
      'instead: every ElastiCache cache of both regions with the plan that protects it, unprotected, or unprotectable (why); exit 0 when none is unprotected, 1 when any is (or a region could not be listed)',
    )
    .option('--vault-profile <name>', VAULT_PROFILE_HELP)
    .action(async (o: { config: string; json?: boolean; coverage?: boolean; vaultProfile?: string }) => (await import('./action.js')).statusAction(o, env));
}
