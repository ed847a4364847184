import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import type { RestoreOptions } from '../../../lambdas/jobs/drills/restore.js';
import { CONFIG_HELP, positiveInt, VAULT_PROFILE_HELP } from '../../options.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** Defines `redis-dr restore` (options and help); its action module loads only when it runs. */
export function restoreCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('restore')
    .usage('--target <id> (--new-id <id> | --list) [options]')
    .description(
      'build a new cluster from a recovery point (same engine, version and shards; a serverless target: a new serverless cache from its snapshot) and print its endpoint; with --list, the recovery points and their .rdb copies',
    )
    .requiredOption('--target <id>', 'the replication group (or serverless cache) whose data to restore')
    .option('--new-id <id>', 'id of the cluster to create (required unless --list)')
    .option(
      '--from <point>',
      "latest, a snapshot name, s3://<bucket>/<export> (DR region, or the vault's), or vault (the vault's newest verified copy, in the vault's region; needs the vault account's credentials: --vault-profile)",
      'latest',
    )
    .option('--region <region>', 'primary (default) or the DR region of the config')
    .option('--node-type <type>', "node type (default: the snapshot's; DR copies: cache.t4g.small)")
    .option('--replicas <n>', "replicas per shard (default: the source's, else 0)", positiveInt('--replicas'))
    .option('--subnet-group <name>', 'cache subnet group (default: network.cacheSubnetGroupName of the region in the config)')
    .option('--security-group-ids <ids>', "comma-separated security groups (default: the config's)", (v: string) => v.split(',').filter(Boolean))
    .option('--parameter-group <name>', "cache parameter group (e.g. one with production's maxmemory-policy); default: the engine's")
    .option('--auth-token-secret <arn>', 'Secrets Manager secret with the AUTH token the new cluster requires ({"password": …} or the token)')
    .option('--user-group-ids <ids>', 'comma-separated RBAC user groups instead of an AUTH token', (v: string) => v.split(',').filter(Boolean))
    .option('--dry-run', 'choose the recovery point and print the request; create nothing')
    .option('--wait', 'wait until the cluster is available (exit 1 on create-failed or restore-failed) and print its endpoint')
    .option('--poll-seconds <n>', 'seconds between status checks while waiting', positiveInt('--poll-seconds', 1), 30)
    .option('--timeout-minutes <n>', 'stop waiting after this long', positiveInt('--timeout-minutes', 1), 120)
    .option('-c, --config <file>', CONFIG_HELP)
    .option(
      '--list',
      "create nothing: list the target's recent recovery points (DR region: its DR copies) with their .rdb copies, newest first, and its vault copies (config vault)",
    )
    .option('--limit <n>', 'with --list: how many recovery points', positiveInt('--limit', 1), 10)
    .option('--json', 'print the result as JSON')
    .option('--vault-profile <name>', VAULT_PROFILE_HELP)
    .action(
      async (o: Omit<RestoreOptions, 'newId'> & { newId?: string; config: string; json?: boolean; list?: boolean; limit: number; vaultProfile?: string }) => {
        if (o.list && o.newId !== undefined) throw new UsageError('--list creates nothing: leave out --new-id to list, or --list to restore');
        if (o.list) return (await import('./list-action.js')).listAction(o, env);
        if (o.newId === undefined) throw new UsageError("required option '--new-id <id>' not specified (or --list to see the recovery points)");
        return (await import('./action.js')).restoreAction({ ...o, newId: o.newId }, env);
      },
    );
}
