import type { Command } from 'commander';
import type { OrgDoctorOptions } from './doctor-action.js';
import type { OrgInventoryOptions } from './inventory-action.js';
import type { OrgPlanOptions } from './plan-action.js';

/** Defines `redis-dr org` (options and help); its action modules load only when they run. */
export function orgCommand(program: Command): void {
  const org = program.command('org').description('an organization protected from one config: tiers per OU and account (docs/org.md)');
  org
    .command('plan')
    .usage('--config <org config> --account <id> [--tier <name>] [--json]')
    .description("an account's effective tiers, merged root > OU > account, and the level each value came from (offline)")
    .requiredOption('-c, --config <file>', 'the org config, e.g. config/org-example.json')
    .requiredOption('--account <id>', 'the 12-digit account id')
    .option('--tier <name>', "only this tier (a cache's redis-dr:tier tag value); a name of no tier is refused")
    .option('--json', 'print the plans as JSON')
    .action(async (options: OrgPlanOptions) => (await import('./plan-action.js')).orgPlanAction(options));
  org
    .command('inventory')
    .usage('--config <org config> [--aggregator <name>] [--region <region>] [--json]')
    .description(
      'every ElastiCache cache of the organization from an AWS Config aggregator: account, region, tier and state (protected by redis-dr, native backups only, unprotectable, unprotected)',
    )
    .requiredOption('-c, --config <file>', 'the org config, e.g. config/org-example.json')
    .option('--aggregator <name>', "the organization's AWS Config aggregator (default: the config's aggregator.name)")
    .option('--region <region>', "the aggregator's region (default: the config's aggregator.region, else regions.primary)")
    .option('--json', 'print the inventory as JSON')
    .action(async (options: OrgInventoryOptions) => (await import('./inventory-action.js')).orgInventoryAction(options));
  org
    .command('doctor')
    .usage('--config <org config> [--region <region>] [--json]')
    .description(
      'read-only: where the org config and the organization disagree: accounts in an OU but not in the config and the reverse, the organization id against vault.organizationId, each StackSet the org app deploys and its stack instances (missing, OUTDATED, INOPERABLE)',
    )
    .requiredOption('-c, --config <file>', 'the org config, e.g. config/org-example.json')
    .option('--region <region>', "the StackSets' region (default: the config's regions.primary, where the org app's stack is)")
    .option('--json', 'print the findings as JSON')
    .action(async (options: OrgDoctorOptions) => (await import('./doctor-action.js')).orgDoctorAction(options));
}
