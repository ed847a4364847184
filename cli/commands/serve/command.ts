import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, intInRange } from '../../options.js';
import { SERVE_MAX_VALUE_BYTES } from '../../../lambdas/domain/serve/max-value-bytes.js';
import type { ServeCommandOptions } from './action.js';

/** Defines `redis-dr serve` (options and help); its action module loads only when it runs. */
export function serveCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('serve')
    .usage('<file | s3://…> | --from <destination> [--point <file>] | -c <config> --point <snapshot> [options]')
    .description(
      'serve a recovery point read-only over the Redis protocol (redis-cli, ioredis, migrate, compare): verified and indexed first, values read at their offsets; writes are refused with READONLY',
    )
    .argument(
      '[file]',
      'the .rdb file: a path, s3://<bucket>/<key>.rdb, or s3://<bucket>/<export name> for every shard of an export (default AWS credential chain; values read with ranged GETs)',
    )
    .option(
      '--from <destination>',
      "instead of a file: a backup destination (file:///dir or s3://bucket/prefix); serves its newest backup proven stored, or --point's",
    )
    .option('--target <name>', 'with --from: the target whose backup to serve (needed when the destination holds several)')
    .option(
      '--point <id>',
      "the recovery point: with --from, a backup's file name (rdr-cache-20261123-0300.rdb); with -c, a snapshot name (rdr-<target>-20261123-0300) whose .rdb copy (export or DR bucket, every shard) is served",
    )
    .option('-c, --config <file>', `with --point and no --from: ${CONFIG_HELP}`)
    .option('--s3-endpoint <url>', 'with an s3:// file or --from on an S3-compatible store: its endpoint')
    .option('--bind <address>', 'address to listen on (loopback unless you mean to share the point)', '127.0.0.1')
    .option(
      '--port <n>',
      'port to listen on; 0 picks a free one (the first line printed says which)',
      intInRange('--port', 0, 65535, 'use a port from 0 (a free one) to 65535'),
      6379,
    )
    .option('--tls-cert-file <pem>', "serve over TLS only: the listener's certificate (chain), PEM (with --tls-key-file; clients: redis-cli --tls, rediss://)")
    .option('--tls-key-file <pem>', "with --tls-cert-file: the certificate's private key, PEM")
    .option(
      '--proto-max-bulk-len <bytes>',
      "the largest value answered, as redis-server's proto-max-bulk-len (at most its default, 512 MiB); a larger one gets an error naming the key and the limit",
      intInRange('--proto-max-bulk-len', 1, SERVE_MAX_VALUE_BYTES, `give a byte count from 1 to ${SERVE_MAX_VALUE_BYTES} (512 MiB)`),
      SERVE_MAX_VALUE_BYTES,
    )
    .option('--requirepass-env <var>', 'clients must AUTH with the password in this environment variable (never on the command line)')
    .action(async (file: string | undefined, options: ServeCommandOptions) => (await import('./action.js')).serveAction(file, options, process.env, env));
}
