import { Option, type Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import type { DrillWhere } from '../../../lambdas/domain/drills/drill.js';
import { DEFAULT_DRILL_SAMPLE_SIZE, DEFAULT_KEY_COUNT_TOLERANCE_PCT } from '../../../lambdas/domain/drills/defaults.js';
import { commaList, CONFIG_HELP, percent, positiveInt } from '../../options.js';
import type { DrillLocalCliOptions } from './local-action.js';

/** Defines `redis-dr drill` (options and help); its action module loads only when it runs. */
export function drillCommand(program: Command, env: CliEnv = {}): void {
  const drill = program.command('drill').description('restore drills: build a cluster from a recovery point, verify the data, measure the RTO, clean up');
  drill
    .command('run')
    .description('start the deployed drill state machine now, with the input its schedule sends, and optionally follow it to its report')
    .requiredOption('--plan <name>', 'the plan to drill')
    .addOption(
      new Option('--where <region>', "which region drills: primary or dr (default: the plan's drill.where; primary for both)").choices(['primary', 'dr']),
    )
    .option('--wait', 'follow the drill to its report (exit 1 when it fails)')
    .option('--poll-seconds <n>', 'seconds between status checks while waiting', positiveInt('--poll-seconds', 1), 15)
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (o: { plan: string; where?: DrillWhere; wait?: boolean; pollSeconds: number; config: string; json?: boolean }) =>
      (await import('./action.js')).drillAction(o, env),
    );
  drill
    .command('local')
    .description(
      "load an .rdb file into a throwaway redis-server (or valkey-server) on this machine and run the drills' checks: " +
        "key count, type histogram against the RDB verifier's, expected keys, random samples; reports the load time, " +
        'the RTO floor for this file; always stops the server and removes its temporary directory',
    )
    .option('--rdb <file>', 'the .rdb file: a local path, or s3://<bucket>/<key> (default AWS credential chain; AWS_ENDPOINT_URL_S3 for S3-compatible stores)')
    .option(
      '--from <destination>',
      'instead of --rdb: a backup destination (file:///dir or s3://bucket/prefix): drills its newest backup proven stored (or --point) and records the drill beside the backups, where report --destination reads it',
    )
    .option('--target <name>', 'with --from: the target whose backup to drill (needed when the destination holds several)')
    .option('--point <file>', 'with --from: the backup to drill (a file name, e.g. rdr-cache-20261123-0300.rdb) instead of the newest')
    .option('--s3-endpoint <url>', 'with an s3:// --from on an S3-compatible store: its endpoint')
    .option(
      '--signing-key <pem>',
      'with --from: an Ed25519 private key file; the drill record is signed into the destination’s chain (redis-dr attest checks it)',
    )
    .option('--expect-keys <keys>', 'keys that must exist after the load, separated by commas (database 0; may be repeated)', commaList('--expect-keys'))
    .option(
      '--expect-key-count <n>',
      "the key count to expect instead of the file's own, counted as verify-rdb counts it: keys already expired when the file was written included (the check subtracts those, and the keys expiring before it counts, itself)",
      positiveInt('--expect-key-count', 0, "give the number of keys the file must hold, e.g. 1000000, or leave the option out to expect the file's own count"),
    )
    .option(
      '--tolerance-pct <p>',
      `how far counts may be off, in percent of the key count (default ${DEFAULT_KEY_COUNT_TOLERANCE_PCT}, as the drills' drill.verify.keyCountTolerancePct)`,
      percent('--tolerance-pct', `e.g. 0.5 for half a percent; default ${DEFAULT_KEY_COUNT_TOLERANCE_PCT}`),
    )
    .option('--server-bin <path>', 'the server binary to run (default: redis-server, else valkey-server, on PATH)')
    .option('--json', 'print the whole report as JSON')
    .addHelpText('after', `\n${DEFAULT_DRILL_SAMPLE_SIZE} random keys are sampled, as the drills do. Ctrl-C stops the server and removes its directory.`)
    .action(async (o: DrillLocalCliOptions) => (await import('./local-action.js')).drillLocalAction(o));
}
