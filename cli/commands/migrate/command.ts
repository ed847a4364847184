import { Option, type Command } from 'commander';
import { databasePair, type MigrateCliOptions } from './options.js';
import { intInRange, positiveInt } from '../../options.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Defines `redis-dr migrate` (options and help); its action module loads only when it runs. */
export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .usage('(--from <url> | --from-rdb <file>...) --to <url> [options]')
    .description(
      'copy keys between two Redis servers or clusters (DUMP/RESTORE ABSTTL: exact expiry kept, any bytes, no MIGRATE or CONFIG needed), e.g. back after an accidental FLUSHALL; ' +
        'a URL naming one node of a Redis Cluster means the whole cluster',
    )
    .option(
      '--from <url>',
      'source (this or --from-rdb is required): redis://[user:password@]host[:port][/db] or rediss://… (TLS); a password in a URL is percent-encoded',
    )
    .option(
      '--from-rdb <file>',
      'source (this or --from is required): an RDB file (a recovery point: a path or s3://bucket/key.rdb) instead of a server: its keys are restored straight from it, after the whole file verified and its RDB version checked against the target; ' +
        'repeat it for each shard file of a cluster-mode recovery point, or name them all as s3://bucket/<export name> (or a local <dir>/<export name>): an incomplete set is refused',
      collect,
    )
    .option(
      '--shards <n>',
      'with --from-rdb: the shard count of the recovery point, required for several local shard files (S3 objects carry it in their redis-dr:shard tags)',
      intInRange('--shards', 1, 500, 'a shard count'),
    )
    .option(
      '--lossy <losses>',
      "with --from-rdb, into a target that cannot read the file's RDB version (keys are then re-encoded for it): accept these losses (field-ttl: hash fields without their TTLs; stream-ids: streams without the entries-added, largest deleted id and groups' entries-read a Redis 5.0–6.2 target cannot hold; module: module AUX data, and module values where the target has no module loaded, left out; key-meta: Redis 8.6 key metadata a server without its module refuses, left out, the keys kept); without it such a key refuses the run before any write",
    )
    .option(
      '--functions',
      "with --from-rdb: also restore the file's function libraries (FUNCTION RESTORE on every primary, never FLUSH; --on-conflict applies to libraries of the same name)",
    )
    .option(
      '--db <src[:dst]>',
      'copy database <src> of the source (a server, or the --from-rdb file) into database <dst> of the target (default: the same number); repeat it for each database to copy. ' +
        'Without it, every database holding keys is copied into the database of its number (a FLUSHALL empties them all); ' +
        'a --from URL naming one database copies that one, and any other holding keys is named and the run exits 1; ' +
        'a --to URL naming one database takes a source (or file) holding keys in one database only',
      collect,
    )
    .requiredOption('--to <url>', 'target, same form')
    .option(
      '--from-secret <arn>',
      'Secrets Manager secret with the source credentials ({"password"}, {"username","password"} or the token); or set REDIS_DR_FROM_PASSWORD [and REDIS_DR_FROM_USERNAME]',
    )
    .option('--to-secret <arn>', 'the same for the target; or set REDIS_DR_TO_PASSWORD [and REDIS_DR_TO_USERNAME]')
    .option('--from-replicas', 'cluster source: read a replica of each shard (READONLY) instead of its primary')
    .option('--match <pattern>', 'only keys matching this SCAN pattern')
    .addOption(
      new Option('--on-conflict <mode>', 'a key that exists on the target: skip it, replace it, or fail').choices(['skip', 'replace', 'fail']).default('skip'),
    )
    .option('--dry-run', 'read and count only, write nothing')
    .option(
      '--verify',
      'check the target afterwards: with --from, compare the two keyspaces; with --from-rdb, read every restored key back from the target and hold it against the file(s). ' +
        'Keys kept by skip and keys that expired are reported as expected, named (with --from, keys only on the target too; with --from-rdb, hashes held without the field TTLs --lossy field-ttl let go; ' +
        "the target's other keys are not read: compare --a <file> --b <url> lists them); exit 1 for any other difference",
    )
    .option(
      '--ttl-tolerance-ms <ms>',
      'with --from and --verify: allowed gap between the two expiry times, and for a key on one side only between its expiry and the clock (it expired during the scan)',
      positiveInt('--ttl-tolerance-ms'),
    )
    .option(
      '--allow-eviction',
      'run even when the target can evict (maxmemory with a policy other than noeviction) and the keys to restore would not fit it: without it such a recovery is refused before writing (exit 2). ' +
        'Either way, any key the target evicts during the run ends it with exit 1 (without it, at the first eviction seen)',
    )
    .option('--batch-size <n>', 'keys per batch (SCAN COUNT); memory is about five batches of values per source shard', positiveInt('--batch-size', 1), 1000)
    .option('--json', 'print the result as JSON')
    .action(async ({ db, ...o }: MigrateCliOptions & { json?: boolean; fromRdb?: string[]; db?: string[] }) => {
      if ((o.from === undefined) === (o.fromRdb === undefined)) throw new UsageError('give exactly one source: --from <url> or --from-rdb <file>');
      if (o.fromRdb !== undefined && o.ttlToleranceMs !== undefined)
        throw new UsageError(
          '--ttl-tolerance-ms applies to --from: a restore from a file writes every expiry exactly, and --verify holds it to the millisecond',
        );
      if (o.fromRdb !== undefined) {
        return (await import('./rdb-action.js')).migrateRdbAction({ ...o, fromRdb: o.fromRdb, ...(db ? { databases: db.map(databasePair) } : {}) });
      }
      if ((o as { functions?: boolean }).functions)
        throw new UsageError("--functions applies to --from-rdb (a server source's functions are not copied by migrate)");
      if ((o as { shards?: number }).shards !== undefined) throw new UsageError('--shards applies to --from-rdb');
      if ((o as { lossy?: string }).lossy !== undefined)
        throw new UsageError('--lossy applies to --from-rdb (a server source is copied key by key with DUMP and RESTORE)');
      return (await import('./action.js')).migrateAction({ ...o, ...(db ? { dbMappings: db } : {}) });
    });
}
