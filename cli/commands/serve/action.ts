import { type ServeSource, servePoint } from '../../../lambdas/jobs/serve/serve-point.js';
import type { Serving } from '../../../lambdas/jobs/serve/serve.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { collapsedLine, notProvenStored } from '../../../lambdas/domain/self-managed/backup.js';
import { namedFirst } from '../../../lambdas/domain/rdb/report.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';

/** `serve`'s options (cli/commands/serve/command.ts). */
export interface ServeCommandOptions {
  bind: string;
  port: number;
  protoMaxBulkLen: number;
  requirepassEnv?: string;
  from?: string;
  target?: string;
  point?: string;
  config?: string;
  s3Endpoint?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** Which of the three ways to name a point the options use; a usage error naming the clash otherwise. */
function sourceKind(file: string | undefined, o: ServeCommandOptions): 'file' | 'destination' | 'config' {
  if (file !== undefined) {
    const extra = o.from !== undefined ? '--from' : o.point !== undefined ? '--point' : o.config !== undefined ? '-c' : undefined;
    if (extra) throw new UsageError(`serve ${file} names the file itself: leave out ${extra}, or the file (serve --from <destination> --point <file>)`);
    if (o.s3Endpoint !== undefined && !/^s3:\/\//i.test(file))
      throw new UsageError(`--s3-endpoint ${o.s3Endpoint} is for an s3:// location; ${file} is a local file: leave out --s3-endpoint`);
    return 'file';
  }
  if (o.from !== undefined) {
    if (o.config !== undefined)
      throw new UsageError('--from and -c name two places to read the point from: give one (--from <destination>, or -c <config> --point <snapshot>)');
    return 'destination';
  }
  if (o.point !== undefined) {
    if (o.s3Endpoint !== undefined)
      throw new UsageError(
        `--s3-endpoint ${o.s3Endpoint} is for an s3:// file or --from location; -c <config> --point reads the deployment's own buckets on AWS: leave it out`,
      );
    return 'config';
  }
  throw new UsageError('serve needs a point: a file (serve <file | s3://…>), --from <destination> [--point <file>], or -c <config> --point <snapshot>');
}

/** A loopback address (127.0.0.0/8, ::1, localhost): only this machine reaches it. */
function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost' || /^::ffff:127\./i.test(host);
}

/** Prints where it listens and what it serves, then serves until SIGINT or SIGTERM. */
async function serveUntilStopped(source: ServeSource, label: string, options: ServeCommandOptions, password: string | undefined): Promise<void> {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile } = options;
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined;
  const serving = await servePoint(source, {
    bind: options.bind,
    port: options.port,
    maxValueBytes: options.protoMaxBulkLen,
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
  });
  const host = serving.host.includes(':') ? `[${serving.host}]` : serving.host;
  process.stdout.write(`listening on ${host}:${serving.port}\n`);
  const keys = servedKeysText(serving);
  const what = serving.point !== undefined ? `${serving.point} (${serving.location})` : label;
  process.stdout.write(
    `serving ${what} read-only (RDB ${serving.rdbVersion}, ${keys}); redis-cli -h ${serving.host} -p ${serving.port}${tls ? ' --tls --cacert <ca.pem>' : ''}${password ? ' --askpass' : ''}\n`,
  );
  // A backup never read back after it was written (only --point names one): said before anything else about it.
  if (serving.unproven)
    process.stdout.write(
      `WARNING: ${notProvenStored([serving.point!], 'served all the same, as --point names it (without --point serve takes the newest proven)')}\n`,
    );
  // Loopback only by default: one listening beyond this machine without a password or TLS hands the point to whoever reaches it.
  const open = [password ? undefined : 'no password (--requirepass-env)', tls ? undefined : 'no TLS (--tls-cert-file, --tls-key-file)'].filter(Boolean);
  if (!isLoopback(serving.host) && open.length > 0)
    process.stderr.write(
      `redis-dr: WARNING: serving beyond this machine (--bind ${options.bind}) with ${open.join(' and ')}: whoever reaches ${host}:${serving.port} reads every key of this point; add them, or bind 127.0.0.1\n`,
    );
  // How each file was opened: from its key index (seconds on a big S3 copy) or read whole, and why.
  for (const note of serving.notes.slice(0, 4)) process.stdout.write(`opened ${note}\n`);
  if (serving.notes.length > 4) process.stdout.write(`opened ${serving.notes.length - 4} more shard(s)\n`);
  // The newest backup after a FLUSHALL holds the emptied keyspace: say so, and name the one before it.
  if (serving.collapse) {
    const retry = { command: 'serve', from: options.from!, ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}), tail: ' --port 0' };
    process.stdout.write(`${collapsedLine(serving.point!, serving.collapse, retry)}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await serving.close();
}

/**
 * `redis-dr serve <file> | --from <destination> [--point <file>] | -c <config> --point <snapshot>`:
 * prints `listening on <host>:<port>` once the point is verified, indexed
 * and listening, then what it holds, and serves until SIGINT or SIGTERM
 * (exit 0). A missing file, an unknown point, a port in use: one line, exit
 * 2, before listening; a file the verifier does not pass: one line, exit 1.
 */
export async function serveAction(
  file: string | undefined,
  options: ServeCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
  cliEnv: CliEnv = {},
): Promise<void> {
  const kind = sourceKind(file, options);
  if ((options.tlsCertFile === undefined) !== (options.tlsKeyFile === undefined))
    throw new UsageError(
      options.tlsCertFile === undefined
        ? `--tls-key-file ${options.tlsKeyFile} needs --tls-cert-file <pem>, the certificate it is the key of`
        : `--tls-cert-file ${options.tlsCertFile} needs --tls-key-file <pem>, its private key`,
    );
  let password: string | undefined;
  if (options.requirepassEnv !== undefined) {
    password = env[options.requirepassEnv];
    if (!password)
      throw new UsageError(`--requirepass-env ${options.requirepassEnv} names an unset or empty variable: export ${options.requirepassEnv}=<password> first`);
  }
  if (kind === 'file')
    return serveUntilStopped({ kind, location: file!, ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}) }, file!, options, password);
  if (kind === 'destination') {
    const { from, target, point, s3Endpoint } = options;
    const source: ServeSource = { kind, from: from!, ...(target ? { target } : {}), ...(point ? { point } : {}), ...(s3Endpoint ? { s3Endpoint } : {}) };
    return serveUntilStopped(source, from!, options, password);
  }
  const config = loadCliConfig(options.config, env);
  const aws = new CliAws(config, cliEnv);
  await runAwsCommand('serve', aws, async () => {
    await serveUntilStopped({ kind, config, aws, point: options.point! }, options.point!, options, password);
    return 0;
  });
}

/**
 * The start line's key counts: keys whose expiry passed before the point was served are in the file but no command
 * sees them, so the counts say both. An S3 copy's hashes with field TTLs are read when met, not at start: DBSIZE leaves
 * out those whose fields all expired, which these counts cannot, and say so (they are not what DBSIZE answers then).
 */
export function servedKeysText(serving: Pick<Serving, 'keys' | 'databases' | 'hashesUncounted'>): string {
  const expired = serving.databases.reduce((n, d) => n + d.expired, 0);
  // At most 16 databases named (namedFirst): a point with keys in 130,000 databases made a line of 1.5 MB.
  const dbs =
    namedFirst(
      serving.databases.map((d) => `db${d.db} ${d.keys - d.expired}`),
      ', ',
      'database',
    ) || 'no keys';
  if (expired === 0 && !serving.hashesUncounted) return `${serving.keys} keys: ${dbs}`;
  const live = serving.hashesUncounted
    ? 'live before the hashes whose every field has expired (read as met; DBSIZE leaves those out too, so it may answer less)'
    : 'live, as DBSIZE answers';
  return `${serving.keys} keys in the file, ${expired} already expired; ${live}: ${dbs}`;
}
