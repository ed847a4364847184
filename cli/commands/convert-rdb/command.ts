import { Option, type Command } from 'commander';
import { intInRange, positiveInt } from '../../options.js';
import { ENGINE_RELEASE_NAMES } from '../../../lambdas/domain/rdb/engine-names.js';
import { LOSS_KINDS } from '../../../lambdas/domain/rdb/write/losses.js';
import type { ConvertRdbCliOptions } from './action.js';

/** Defines `redis-dr convert-rdb` (options and help); its action module loads only when it runs. */
export function convertRdbCommand(program: Command): void {
  program
    .command('convert-rdb')
    .description(
      'write an RDB file an older or other-fork engine loads (a Redis 7.4+ or Valkey 9 backup into Redis 7.0, ElastiCache, …): ' +
        'keys the target reads are copied byte for byte, the others re-encoded; the output is verified and held key by key against the input before it is put in place, or nothing is left',
    )
    .argument(
      '<in...>',
      'the .rdb file to convert, or s3://<bucket>/<key>; or every shard file of a cluster-mode recovery point: <dir>/<export name> or s3://<bucket>/<export name> ' +
        '(its <export name>-NNNN.rdb files), or the shard files one by one: each converted, and none stored until every one is',
    )
    .option(
      '-o, --output <file>',
      'the .rdb file to write: a local path, or s3://<bucket>/<key> (verified locally, uploaded, then read back from S3 and verified again); ' +
        "for a recovery point's shard files, the folder (or s3://<bucket>/<prefix>/, ending in '/') they are written into under their own names; optional with --dry-run",
    )
    .option(
      '--shards <n>',
      "the shard count of the recovery point, required for several local shard files (S3 objects carry it in their redis-dr:shard tags), as migrate --from-rdb's",
      intInRange('--shards', 1, 500, 'a shard count'),
    )
    .option(
      '--dry-run',
      "judge the conversion without writing: the input read and verified, every key judged, the output's size counted, -o checked (what needs no write); exit 0 when a real run would go through, 1 when it would refuse",
    )
    .option('--for <engine>', `the engine release that will load it: ${ENGINE_RELEASE_NAMES.join(', ')}`)
    .option(
      '--rdb-version <n>',
      'or a REDIS format version (9–15) instead of --for',
      positiveInt('--rdb-version', 1, 'give a REDIS format version (the writer writes 9 to 15), or --for <engine>'),
    )
    .option('--force', 'replace the output file (or S3 object) if it exists')
    .option(
      '--lossy <losses>',
      `accept these losses, comma-separated (${LOSS_KINDS.join(', ')}); without it a key the target cannot hold exactly refuses the run`,
    )
    .option('--json', 'print the result as JSON')
    // Tests only: small parts, so that a small fixture spans many ranged GETs.
    .addOption(new Option('--read-part-bytes <n>').argParser(positiveInt('--read-part-bytes', 1)).hideHelp())
    .action(async (input: string[], o: ConvertRdbCliOptions) => (await import('./action.js')).convertRdbAction(input, o));
}
