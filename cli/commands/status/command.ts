import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, ORG_CONFIG_HELP, VAULT_PROFILE_HELP } from '../../options.js';

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
    .option('--org', "instead: the organization's roll-up in this terminal, as report --org prints it (docs/org.md)")
    .option('--from <url>', 'with --org: the evidence tree, file:///dir or s3://bucket[/prefix], each account under <account>/<region>/reports/')
    .option('--s3-endpoint <url>', 'with --org and an s3:// --from on an S3-compatible store: its endpoint')
    .option('--org-config <file>', ORG_CONFIG_HELP)
    .action(
      async (o: {
        config: string;
        json?: boolean;
        coverage?: boolean;
        vaultProfile?: string;
        org?: boolean;
        from?: string;
        s3Endpoint?: string;
        orgConfig?: string;
      }) => (o.org || o.from !== undefined ? (await import('./org.js')).statusOrgAction(o, env) : (await import('./action.js')).statusAction(o, env)),
    );
}
