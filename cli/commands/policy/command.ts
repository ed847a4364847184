import type { Command } from 'commander';
import { CONFIG_HELP } from '../../options.js';
import type { PolicyOptions } from './action.js';

/** Defines `redis-dr policy` (options and help); its action module loads only when it runs. */
export function policyCommand(program: Command): void {
  program
    .command('policy')
    .usage('--config <config> [--markdown <file>] [--html <file>]')
    .description(
      'the backup policy document (ISO 27001 A.8.13) generated from the validated config, so policy and practice cannot drift: scope by plan, frequency and RPO, retention per tier, copies and where they live, drill cadence, RTO objectives, who is paged; Markdown on stdout unless files are named',
    )
    .requiredOption('-c, --config <file>', CONFIG_HELP)
    .option('--markdown <file>', 'write the Markdown here (read back)')
    .option('--html <file>', 'write a self-contained HTML page here (read back)')
    .action(async (o: PolicyOptions) => (await import('./action.js')).policyAction(o));
}
