import net from 'node:net';
import type tls from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * Redis I/O of the restore drill's verify step (and the CLI): connect to a
 * restored cluster, count, scan and sample it. Only commands ElastiCache
 * allows: INFO, SELECT, DBSIZE-equivalent INFO keyspace, SCAN, TYPE, PTTL,
 * RANDOMKEY, EXISTS, GET.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/RestrictedCommands.html
 *
 * Two clients, on purpose:
 * - ioredis (RESP2, chosen explicitly: ioredis 6 defaults to RESP3) for the
 *   connection the checks read through: TLS, AUTH/RBAC, cluster topology
 *   (`nodes('master')`), key-routed GET/EXISTS.
 * - a lean RESP2 pipe, one socket per primary and database, for the full
 *   scan. ioredis spends ~8 µs of client CPU per command (a Command object, a
 *   promise, GC); a scan sends two commands per key, so a million keys took
 *   17 s of client CPU against 2 s of server work. The pipe writes TYPE and
 *   PTTL for a whole SCAN batch as one buffer and counts the replies with
 *   callbacks, at well under 1 µs per key (bench/README.md, verify-restore).
 *   `redis-dr migrate` sends its bulk traffic (SCAN, DUMP + PEXPIRETIME,
 *   RESTORE) through the same pipe (`openPipe`, `RespPipe.exec` in resp-pipe.ts;
 *   bench/README.md, migrate).
 */

/** A connected client: one node, or a cluster (cluster mode enabled). */
export type RedisClient = Redis | Cluster;

/** Where and how to connect. */
export interface RedisConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** In-transit encryption. */
  readonly tls: boolean;
  /**
   * Extra TLS settings (a CA bundle in tests).
   * @default {} (the system CAs, server name = host)
   */
  readonly tlsOptions?: tls.ConnectionOptions;
  /** RBAC user; AUTH token only when absent. */
  readonly username?: string;
  readonly password?: string;
  readonly clusterMode: 'enabled' | 'disabled';
  /** @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** A command without a reply for this long fails the connection. @default 30_000 */
  readonly commandTimeoutMs?: number;
}

/** The cluster could not be reached, refused our credentials, or the connection broke. */
export class RedisConnectionError extends Error {
  override readonly name = 'RedisConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A Redis URL (or what it names) is not something we can connect to: a usage error. */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

/** The full scan did not finish within its time limit. */
export class ScanTimeoutError extends Error {
  override readonly name = 'ScanTimeoutError';
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

function where(o: Pick<RedisConnectionOptions, 'host' | 'port' | 'tls'>): string {
  return `${o.host}:${o.port} (${o.tls ? 'TLS' : 'plain TCP'})`;
}

/** ioredis options shared by a standalone client and every cluster node. */
function nodeOptions(o: RedisConnectionOptions): RedisOptions {
  const connectTimeout = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return {
    protocol: 2,
    username: o.username,
    password: o.password,
    tls: o.tls ? { servername: net.isIP(o.host) ? undefined : o.host, ...o.tlsOptions } : undefined,
    connectTimeout,
    commandTimeout: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectionName: 'redis-dr-verify',
    maxRetriesPerRequest: 1,
    // ioredis' ready check sends INFO and, for a user without +info (the minimal ACL of a backup or a
    // migration), prints a console warning with a web link into the CLI's output: createRedisConnection
    // waits out a loading server with PING instead (untilLoaded).
    enableReadyCheck: false,
  };
}

/** Pause between PINGs while a server loads its data set. */
const LOADING_RETRY_MS = 200;

/**
 * PING until the server has loaded its data set (it answers LOADING until
 * then), at most until `deadline`: what ioredis' ready check did, without
 * needing INFO.
 */
async function untilLoaded(client: RedisClient, deadline: number): Promise<void> {
  for (;;) {
    try {
      await client.ping();
      return;
    } catch (err) {
      if (!(err instanceof Error && /^LOADING\b/.test(err.message)) || Date.now() + LOADING_RETRY_MS > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, LOADING_RETRY_MS));
    }
  }
}

/**
 * Connects and proves the connection usable (PING, which also proves AUTH).
 * Fails fast: no reconnect loop, a connect timeout, and an error naming the
 * endpoint and the server's answer (never the password).
 */
export async function createRedisConnection(options: RedisConnectionOptions): Promise<RedisClient> {
  const base = nodeOptions(options);
  const client: RedisClient =
    options.clusterMode === 'enabled'
      ? new Cluster([{ host: options.host, port: options.port }], {
          lazyConnect: true,
          redisOptions: base,
          clusterRetryStrategy: () => null,
          // ElastiCache with TLS: keep the host names the cluster reports, so certificates match.
          dnsLookup: (address, callback) => callback(null, address),
          slotsRefreshTimeout: base.connectTimeout,
        })
      : new Redis({ ...base, host: options.host, port: options.port, lazyConnect: true, retryStrategy: () => null });
  let lastError: unknown;
  client.on('error', (err: unknown) => (lastError = err));
  let timer: NodeJS.Timeout | undefined;
  // ioredis' connect() never settles when a cluster ends before it is ready: race it with 'end' and a timer.
  const gaveUp = new Promise<never>((_, reject) => {
    client.once('end', () =>
      reject(lastError ?? new Error('connection ended before it was ready (cluster mode: does CLUSTER SLOTS name a reachable primary?)')),
    );
    timer = setTimeout(() => reject(new Error(`not ready within ${base.connectTimeout} ms`)), (base.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS) + 1000);
  });
  gaveUp.catch(() => undefined);
  try {
    const deadline = Date.now() + (base.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS);
    await Promise.race([client.connect().then(() => untilLoaded(client, deadline)), gaveUp]);
    return client;
  } catch (err) {
    client.disconnect();
    const cause = lastError instanceof Error && !(err instanceof Error && /WRONGPASS|NOAUTH|NOPERM/.test(err.message)) ? lastError : err;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new RedisConnectionError(`could not connect to redis at ${where(options)}${options.username ? ` as ${options.username}` : ''}: ${why}`, { cause });
  } finally {
    clearTimeout(timer);
  }
}

/** The primaries to scan: the node itself, or every cluster primary. */
export function primaries(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** `INFO keyspace` of one node: databases with keys. */
