import net from 'node:net';
import tls from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { CANARY_KEY, parseKeyspace, sampleAllocation, typeBucket, type KeyspaceEntry, type SampledKey, type ScanSummary, type ValueLookup } from '../domain/drill-checks.js';

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
 *   RESTORE) through the same pipe ({@link openPipe}, {@link RespPipe.exec};
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

/**
 * The connection broke while a pipelined batch was in flight: `received`
 * are the replies that arrived before it did (the first commands of the
 * batch, in order). The commands after them were sent but not answered:
 * the server may or may not have run them.
 */
export class RedisBatchBrokenError extends RedisConnectionError {
  constructor(
    cause: RedisConnectionError,
    readonly received: readonly Reply[],
  ) {
    super(cause.message, { cause });
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

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

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
  };
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
    client.once('end', () => reject(lastError ?? new Error('connection ended before it was ready (cluster mode: does CLUSTER SLOTS name a reachable primary?)')));
    timer = setTimeout(() => reject(new Error(`not ready within ${base.connectTimeout} ms`)), (base.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS) + 1000);
  });
  gaveUp.catch(() => undefined);
  try {
    await Promise.race([client.connect().then(() => client.ping()), gaveUp]);
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
export async function keyspace(node: Redis): Promise<KeyspaceEntry[]> {
  return parseKeyspace(await node.info('keyspace'));
}

/** Keys in every database of every primary (INFO keyspace's `keys=`, which is each database's DBSIZE). */
export async function countKeys(client: RedisClient): Promise<number> {
  const spaces = await Promise.all(primaries(client).map(keyspace));
  return spaces.flat().reduce((a, e) => a + e.keys, 0);
}

/**
 * The servers' clocks, ms since the epoch: the earliest and the latest over
 * every primary. A drill compares keys' expiry times with the clock that
 * expires them, not with the caller's. Read from `INFO server`
 * (`server_time_usec`, Redis 6.2 on: the drill user may INFO already), else
 * TIME (older servers).
 */
export async function serverTime(client: RedisClient): Promise<{ readonly earliest: number; readonly latest: number }> {
  const times = await Promise.all(
    primaries(client).map(async (node) => {
      const usec = /^server_time_usec:(\d+)\r?$/m.exec(await node.info('server'))?.[1];
      if (usec !== undefined) return Math.floor(Number(usec) / 1000);
      const [seconds, micros] = (await node.call('TIME')) as [string, string];
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    }),
  );
  return { earliest: Math.min(...times), latest: Math.max(...times) };
}

/** Reads what the canary, expect-keys and expect-values checks compare (database 0, routed by key in cluster mode). */
export async function readExpected(
  client: RedisClient,
  keys: readonly string[],
  values: readonly string[],
): Promise<{ canary: string | null; exists: boolean[]; values: Record<string, ValueLookup> }> {
  const canary = await client.get(CANARY_KEY);
  const exists = await Promise.all(keys.map(async (k) => (await client.exists(k)) === 1));
  const found: Record<string, ValueLookup> = {};
  for (const key of values) {
    try {
      const value = await client.get(key);
      found[key] = value === null ? { kind: 'missing' } : { kind: 'value', value };
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('WRONGTYPE'))) throw err;
      found[key] = { kind: 'wrong-type', type: await client.type(key) };
    }
  }
  return { canary, exists, values: found };
}

// ---------------------------------------------------------------------------
// The lean RESP2 pipe.

/** A RESP2 reply; error replies arrive as `Error`. */
export type Reply = string | number | Buffer | null | Error | Reply[];
type ReplyHandler = (reply: Reply) => void;

const CRLF = Buffer.from('\r\n');

/** One command in RESP2 (an array of bulk strings). */
export function encode(args: readonly (string | Buffer)[]): Buffer {
  return encodeCommands([args]);
}

/**
 * Many commands in RESP2 as one buffer, for one socket write: the size is
 * summed first, then every argument is copied once. Headers, short ASCII
 * strings and short keys are written byte by byte: Buffer.write/copy cost
 * more per call than the few bytes they move, and migrate writes about ten
 * such pieces per key (a third of its client CPU went there; bench/README.md).
 */
export function encodeCommands(commands: readonly (readonly (string | Buffer)[])[]): Buffer {
  let size = 0;
  for (const args of commands) {
    size += digits(args.length) + 3;
    for (const a of args) {
      const n = typeof a === 'string' ? stringBytes(a) : a.length;
      size += digits(n) + n + 5;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const args of commands) {
    out[at++] = 0x2a; // *
    at = writeInteger(out, at, args.length);
    for (const a of args) {
      out[at++] = 0x24; // $
      if (typeof a === 'string') {
        at = writeInteger(out, at, stringBytes(a));
        if (a.length <= SHORT && isAscii(a)) {
          for (let i = 0; i < a.length; i++) out[at++] = a.charCodeAt(i);
        } else {
          at += out.write(a, at);
        }
      } else {
        at = writeInteger(out, at, a.length);
        if (a.length <= SHORT) {
          for (let i = 0; i < a.length; i++) out[at++] = a[i]!;
        } else {
          at += a.copy(out, at);
        }
      }
      out[at++] = 13;
      out[at++] = 10;
    }
  }
  return out;
}

/** Up to this many bytes, a loop beats a Buffer.write/copy call. */
const SHORT = 64;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function stringBytes(s: string): number {
  return s.length <= SHORT && isAscii(s) ? s.length : Buffer.byteLength(s);
}

function digits(n: number): number {
  let d = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) d++;
  return d;
}

/** Writes a non-negative integer and CRLF at `at`; returns the position after them. */
function writeInteger(out: Buffer, at: number, n: number): number {
  const end = at + digits(n);
  let v = n;
  for (let i = end - 1; i >= at; i--) {
    out[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  out[end] = 13;
  out[end + 1] = 10;
  return end + 2;
}

/**
 * Incremental RESP2 parser: feed chunks, get whole replies in order. An
 * incomplete bulk string is not parsed again until enough bytes have
 * arrived for it, and its chunks are joined once: a large DUMP payload
 * arriving in many chunks costs one copy, not one per chunk.
 */
class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Chunks not parsed yet (the first one starts with an incomplete reply). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the incomplete reply needs at least, from its start. */
  private need = 0;
  /** Set by parse(): where the incomplete bulk string would end (absolute in `buf`). */
  private wantedEnd = 0;
  constructor(private readonly onReply: ReplyHandler) {}

  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return;
    this.buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    this.pos = 0;
    for (;;) {
      const start = this.pos;
      this.wantedEnd = 0;
      const reply = this.parse();
      if (reply === undefined) {
        // Incomplete: kept, and parsed again from its start once `need` bytes are there.
        const rest = this.buf.subarray(start);
        this.chunks = rest.length > 0 ? [rest] : [];
        this.buffered = rest.length;
        this.need = Math.max(this.wantedEnd - start, rest.length + 1);
        return;
      }
      this.onReply(reply);
    }
  }

  private parse(): Reply | undefined {
    const b = this.buf;
    const start = this.pos;
    const eol = b.indexOf(13, start);
    if (eol < 0 || eol + 1 >= b.length) return undefined;
    const type = b[start];
    this.pos = eol + 2;
    switch (type) {
      case 0x2b: // +
        // RESTORE answers +OK a million times: no string decoding for it.
        return eol === start + 3 && b[start + 1] === 0x4f && b[start + 2] === 0x4b ? 'OK' : b.toString('latin1', start + 1, eol);
      case 0x2d: // -
        return new Error(b.toString('latin1', start + 1, eol));
      case 0x3a: // :
        return integerAt(b, start + 1, eol);
      case 0x24: {
        // $
        const n = integerAt(b, start + 1, eol);
        if (n < 0) return null;
        if (this.pos + n + 2 > b.length) {
          this.wantedEnd = this.pos + n + 2;
          return undefined;
        }
        const value = b.subarray(this.pos, this.pos + n); // a view: keys live only until their batch is written
        this.pos += n + 2;
        return value;
      }
      case 0x2a: {
        // *
        const n = integerAt(b, start + 1, eol);
        if (n < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const item = this.parse();
          if (item === undefined) return undefined;
          items.push(item);
        }
        return items;
      }
      default:
        throw new Error(`unexpected RESP type byte ${type}`);
    }
  }
}

/** The decimal integer in `b[from, to)`, read without making a string (NaN when it is not one). */
function integerAt(b: Buffer, from: number, to: number): number {
  const negative = b[from] === 0x2d;
  let i = negative ? from + 1 : from;
  if (i >= to) return Number.NaN;
  let n = 0;
  for (; i < to; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** Endpoint and credentials of one node, as its ioredis client was configured. */
export interface PipeEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls?: tls.ConnectionOptions;
  readonly username?: string;
  readonly password?: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** CLIENT SETNAME, so the connection is recognisable in CLIENT LIST. */
  readonly name?: string;
}

/** The endpoint, TLS settings and credentials an ioredis client was configured with. */
export function endpointOf(node: Redis): PipeEndpoint {
  const o = node.options;
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 6379,
    tls: o.tls ?? undefined,
    // ioredis keeps unset credentials as null
    username: o.username ?? undefined,
    password: o.password ?? undefined,
    connectTimeoutMs: o.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: o.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
    name: o.connectionName || undefined,
  };
}

/**
 * A socket that sends pipelined commands and hands each reply to the handler
 * queued with it. A broken connection hands every waiting handler the error
 * (a {@link RedisConnectionError}; error replies are plain `Error`s).
 */
export class RespPipe {
  private readonly handlers: ReplyHandler[] = [];
  private head = 0;
  private broken?: Error;

  private constructor(
    private readonly socket: net.Socket,
    private readonly label: string,
    commandTimeoutMs: number,
  ) {
    const parser = new RespParser((reply) => {
      const handler = this.handlers[this.head++];
      if (this.head > 4096 && this.head * 2 > this.handlers.length) {
        this.handlers.splice(0, this.head);
        this.head = 0;
      }
      handler?.(reply);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.setTimeout(commandTimeoutMs, () => {
      if (this.head < this.handlers.length) this.fail(new Error(`no reply within ${commandTimeoutMs} ms`));
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects, authenticates and selects `db`. */
  static async open(e: PipeEndpoint, db: number): Promise<RespPipe> {
    const label = `${e.host}:${e.port}`;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = e.tls
        ? tls.connect({ host: e.host, port: e.port, ...e.tls })
        : net.connect({ host: e.host, port: e.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RedisConnectionError(`could not connect to redis at ${label}: no connection within ${e.connectTimeoutMs} ms`));
      }, e.connectTimeoutMs);
      s.once(e.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new RedisConnectionError(`could not connect to redis at ${label}: ${err.message}`, { cause: err }));
      });
    });
    const pipe = new RespPipe(socket, label, e.commandTimeoutMs);
    try {
      if (e.password) await pipe.call(e.username ? ['AUTH', e.username, e.password] : ['AUTH', e.password]);
      if (db !== 0) await pipe.call(['SELECT', String(db)]);
      // Naming is a courtesy: a server that refuses CLIENT SETNAME still gets the work.
      if (e.name) await pipe.call(['CLIENT', 'SETNAME', e.name]).catch(() => undefined);
      return pipe;
    } catch (err) {
      pipe.close();
      throw new RedisConnectionError(`could not connect to redis at ${label}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Writes `payload` (one or more commands) and queues one handler per command. */
  send(payload: Buffer, handlers: readonly ReplyHandler[]): void {
    if (this.broken) {
      for (const h of handlers) h(this.broken);
      return;
    }
    for (const h of handlers) this.handlers.push(h); // no spread: a batch may hold more handlers than a call takes arguments
    this.socket.write(payload);
  }

  /**
   * Writes `payload` holding `count` commands; resolves with their replies in
   * order (error replies as `Error` values). A broken connection rejects
   * with a {@link RedisBatchBrokenError} holding the replies that came first.
   */
  exec(payload: Buffer, count: number): Promise<Reply[]> {
    return new Promise((resolve, reject) => {
      const replies: Reply[] = [];
      let failed = false;
      const handler: ReplyHandler = (reply) => {
        if (failed) return;
        if (reply instanceof RedisConnectionError) {
          failed = true;
          return reject(new RedisBatchBrokenError(reply, replies));
        }
        replies.push(reply);
        if (replies.length === count) resolve(replies);
      };
      if (count === 0) return resolve(replies);
      this.send(payload, new Array<ReplyHandler>(count).fill(handler));
    });
  }

  /** One command; an error reply rejects. */
  call(args: readonly (string | Buffer)[]): Promise<Reply> {
    return new Promise((resolve, reject) => this.send(encode(args), [(r) => (r instanceof Error ? reject(r) : resolve(r))]));
  }

  close(): void {
    this.broken ??= new Error('connection closed');
    this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = new RedisConnectionError(`redis at ${this.label}: ${err.message}`, { cause: err });
    this.socket.destroy();
    const waiting = this.handlers.splice(this.head);
    this.handlers.length = 0;
    this.head = 0;
    for (const h of waiting) h(this.broken);
  }
}

/**
 * A lean RESP2 pipe to the node behind an ioredis client: same endpoint, TLS
 * settings and credentials, in database `db` (what the client selected).
 */
export function openPipe(node: Redis, db: number = node.options.db ?? 0): Promise<RespPipe> {
  return RespPipe.open(endpointOf(node), db);
}

// ---------------------------------------------------------------------------
// Full scan.

/** Options of {@link scanHistogram}. */
export interface ScanOptions {
  /** SCAN COUNT: keys per batch (and TYPE+PTTL pairs per pipelined write). @default 1000 */
  readonly count?: number;
  /** Fail with {@link ScanTimeoutError} after this long. @default 600 */
  readonly maxSeconds?: number;
  /** Milliseconds clock. @default Date.now */
  readonly now?: () => number;
}

interface Tally {
  keys: number;
  volatile: number;
  vanished: number;
  ttlProblems: number;
  byType: Record<string, number>;
}

/**
 * Every key of every database of every primary: keys per type, keys with a
 * TTL, keys that expired during the scan, nonsensical TTLs. Memory is bounded
 * by two SCAN batches: keys are counted and dropped, never collected. The
 * next SCAN is sent ahead of each batch's TYPE/PTTL pairs, so the server
 * always has a batch queued. Primaries are scanned in parallel, databases of
 * one primary one after another.
 */
export async function scanHistogram(client: RedisClient, options: ScanOptions = {}): Promise<ScanSummary> {
  const count = options.count ?? 1000;
  const now = options.now ?? Date.now;
  const maxMs = (options.maxSeconds ?? 600) * 1000;
  const deadline = now() + maxMs;
  const tally: Tally = { keys: 0, volatile: 0, vanished: 0, ttlProblems: 0, byType: {} };
  await Promise.all(
    primaries(client).map(async (node) => {
      for (const { db, keys } of await keyspace(node)) {
        if (keys === 0) continue;
        const pipe = await RespPipe.open(endpointOf(node), db);
        try {
          await scanDatabase(pipe, count, () => {
            if (now() > deadline) {
              throw new ScanTimeoutError(
                `the full scan did not finish within ${maxMs / 1000} s (${tally.keys} keys counted so far); ` +
                  'raise the verify step\'s maxScanSeconds (and the Lambda timeout) or lower the drill\'s data size',
              );
            }
          }, tally);
        } finally {
          pipe.close();
        }
      }
    }),
  );
  return { keys: tally.keys, byType: tally.byType, volatile: tally.volatile, vanished: tally.vanished, ttlProblems: tally.ttlProblems };
}

const TYPE_HEAD = Buffer.from('*2\r\n$4\r\nTYPE\r\n');
const PTTL_HEAD = Buffer.from('*2\r\n$4\r\nPTTL\r\n');

function scanDatabase(pipe: RespPipe, count: number, checkDeadline: () => void, tally: Tally): Promise<void> {
  return new Promise((resolve, reject) => {
    let scans = 0;
    let pairs = 0;
    let settled = false;
    let lastType = 'none';
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    const maybeDone = (): void => {
      if (!settled && scans === 0 && pairs === 0) {
        settled = true;
        resolve();
      }
    };
    const scanCommand = (cursor: string): Buffer => encode(['SCAN', cursor, 'COUNT', String(count)]);
    const onType: ReplyHandler = (reply) => {
      if (reply instanceof Error) return fail(refused('TYPE', reply));
      lastType = String(reply);
    };
    const onPttl: ReplyHandler = (reply) => {
      pairs--;
      if (reply instanceof Error) return fail(refused('PTTL', reply));
      const bucket = typeBucket(lastType);
      if (bucket === undefined || reply === -2) {
        tally.vanished++; // expired (or deleted) between SCAN and TYPE/PTTL
      } else {
        tally.keys++;
        tally.byType[bucket] = (tally.byType[bucket] ?? 0) + 1;
        if (typeof reply === 'number' && reply >= 0) tally.volatile++;
        else if (reply !== -1) tally.ttlProblems++;
      }
      maybeDone();
    };
    const onScan: ReplyHandler = (reply) => {
      scans--;
      if (reply instanceof Error) return fail(refused('SCAN', reply));
      try {
        checkDeadline();
      } catch (err) {
        return fail(err as Error);
      }
      const [cursorReply, keys] = reply as [Buffer, Buffer[]];
      const cursor = cursorReply.toString();
      const parts: Buffer[] = [];
      const handlers: ReplyHandler[] = [];
      if (cursor !== '0') {
        parts.push(scanCommand(cursor)); // scan ahead: the next batch is read while this one is typed
        handlers.push(onScan);
        scans++;
      }
      for (const key of keys) {
        const len = Buffer.from(`$${key.length}\r\n`);
        parts.push(TYPE_HEAD, len, key, CRLF, PTTL_HEAD, len, key, CRLF);
        handlers.push(onType, onPttl);
        pairs++;
      }
      if (parts.length > 0) pipe.send(Buffer.concat(parts), handlers);
      maybeDone();
    };
    scans++;
    pipe.send(scanCommand('0'), [onScan]);
  });
}

function refused(command: string, reply: Error): Error {
  return reply instanceof RedisConnectionError ? reply : new RedisConnectionError(`${command} failed: ${reply.message} (does the user have +@keyspace +@read?)`);
}

/** Options for {@link scanExpiryTimes}. */
export interface ExpiryScanOptions {
  /** Record nothing (`undefined`) when the keyspace holds more keys than this: the scan would cost too much. */
  readonly maxKeys: number;
  /** Stop and record nothing after this long. */
  readonly maxSeconds: number;
  /** SCAN COUNT. @default 1000 */
  readonly count?: number;
  /** Milliseconds clock. @default Date.now */
  readonly now?: () => number;
}

/**
 * Every key's expiry time (PEXPIRETIME: ms since the epoch, exact; Redis and
 * Valkey 7.0 on) in every database with keys with an expiry (INFO keyspace),
 * on every primary. `undefined` when the keyspace holds more than `maxKeys`
 * keys or the scan outlasts `maxSeconds`. SCAN has no TTL filter: every key
 * of those databases is visited, one SCAN batch and its PEXPIRETIME replies
 * at a time; only the times are kept (8 bytes per key with an expiry).
 * Throws what the server refuses (an older server, a user without the commands).
 */
export async function scanExpiryTimes(client: RedisClient, options: ExpiryScanOptions): Promise<number[] | undefined> {
  const now = options.now ?? Date.now;
  const count = String(options.count ?? 1000);
  const nodes = await Promise.all(primaries(client).map(async (node) => ({ node, spaces: await keyspace(node) })));
  if (nodes.flatMap((n) => n.spaces).reduce((a, e) => a + e.keys, 0) > options.maxKeys) return undefined;
  const deadline = now() + options.maxSeconds * 1000;
  const times: number[] = [];
  let late = false;
  await Promise.all(
    nodes.map(async ({ node, spaces }) => {
      for (const { db, expires } of spaces) {
        if (expires === 0 || late) continue;
        const pipe = await RespPipe.open(endpointOf(node), db);
        try {
          let cursor = '0';
          do {
            if (now() > deadline) {
              late = true;
              return;
            }
            const [next, keys] = (await pipe.call(['SCAN', cursor, 'COUNT', count])) as [Buffer, Buffer[]];
            const replies = await pipe.exec(Buffer.concat(keys.map((k) => encode(['PEXPIRETIME', k]))), keys.length);
            for (const r of replies) {
              if (r instanceof Error) throw new RedisConnectionError(`PEXPIRETIME failed: ${r.message} (Redis or Valkey 7.0 or later, and a user with +pexpiretime)`);
              if (typeof r === 'number' && r >= 0) times.push(r);
            }
            cursor = next.toString();
          } while (cursor !== '0');
        } finally {
          pipe.close();
        }
      }
    }),
  );
  return late ? undefined : times;
}

/**
 * `size` random keys (RANDOMKEY, then TYPE and PTTL), spread over databases
 * and primaries in proportion to their key counts.
 */
export async function sampleKeys(client: RedisClient, size: number): Promise<SampledKey[]> {
  const targets = (await Promise.all(primaries(client).map(async (node) => (await keyspace(node)).map((e) => ({ node, ...e }))))).flat();
  const alloc = sampleAllocation(targets.map((t) => t.keys), size);
  const samples: SampledKey[] = [];
  for (const [i, t] of targets.entries()) {
    if (alloc[i] === 0) continue;
    const pipe = await RespPipe.open(endpointOf(t.node), t.db);
    try {
      for (let n = 0; n < alloc[i]!; n++) {
        const key = await pipe.call(['RANDOMKEY']);
        if (!Buffer.isBuffer(key)) {
          samples.push({ type: 'none', pttl: -2 }); // the database emptied meanwhile
          continue;
        }
        const [type, pttl] = await Promise.all([pipe.call(['TYPE', key]), pipe.call(['PTTL', key])]);
        samples.push({ type: String(type), pttl: Number(pttl) });
      }
    } finally {
      pipe.close();
    }
  }
  return samples;
}
