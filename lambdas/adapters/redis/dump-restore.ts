/**
 * Redis I/O of `migrate` and `compare`: connect from a URL, SCAN in batches,
 * pipelined DUMP + PEXPIRETIME on the source, pipelined RESTORE … ABSTTL on
 * the target (per-type canonical reads for fingerprints: canonical-read.ts). Keys and values
 * stay Buffers throughout (any bytes). Only commands ElastiCache allows: no
 * MIGRATE, no CONFIG, no KEYS.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/RestrictedCommands.html
 */
import type { Redis } from 'ioredis';
import { displayKey } from '../../domain/rdb/fingerprint.js';
import type { OnConflict } from '../../domain/keys/key-copy.js';
import { parseKeyspace } from '../../domain/drills/checks.js';
import { parseRedirect } from './cluster.js';
import { isClusterNode, openKeyspace, type Command, type Keyspace, type KeyRouter, type KeyspaceOptions } from './keyspace.js';
import { createRedisConnection, RedisConnectionError, RedisUrlError, type RedisConnectionOptions } from './connection.js';
import { encodeCommandParts, encodeCommands, type Arg, type Reply, type RespPipe } from './resp-pipe.js';

/** A `redis://` / `rediss://` URL, parsed. */
export interface RedisUrl extends RedisConnectionOptions {
  readonly db: number;
}

export { RedisUrlError };

/**
 * `redis[s]://[[user]:password@]host[:port][/db]`. User and password are
 * percent-decoded (ACL users and AUTH tokens with any characters).
 */
export function parseRedisUrl(text: string): RedisUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RedisUrlError(
      `${redactUrl(text)} is not a URL: write redis://[user:password@]host[:port][/db] or rediss://… for TLS` +
        (text.includes('@') ? `; ${PASSWORD_HINT}` : ''),
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RedisUrlError(`${redactUrl(text)}: scheme must be redis:// or rediss:// (TLS), got ${url.protocol}//`);
  }
  const hint = text.includes('@') ? ` (${PASSWORD_HINT})` : '';
  if (!url.hostname) throw new RedisUrlError(`${redactUrl(text)}: no host${hint}`);
  const path = url.pathname.replace(/^\//, '');
  // With an @ in the text, the "path" may be the tail of a password: never echoed.
  if (path !== '' && !/^\d+$/.test(path)) throw new RedisUrlError(`${redactUrl(text)}: the path must be a database number${hint ? hint : `, got /${path}`}`);
  if (url.search || url.hash) throw new RedisUrlError(`${redactUrl(text)}: a Redis URL has no ?query or #fragment${hint}`);
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new RedisUrlError(`${redactUrl(text)}: the user or password holds a % that is not percent-encoding (${PASSWORD_HINT})`);
    }
  };
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    tls: url.protocol === 'rediss:',
    username: url.username ? decode(url.username) : undefined,
    password: url.password ? decode(url.password) : undefined,
    clusterMode: 'disabled',
    db: path === '' ? 0 : Number(path),
  };
}

/** The database a URL names (its `/n`), or undefined when it names none. */
export function namedDatabase(text: string): number | undefined {
  return new URL(text).pathname.replace(/^\//, '') === '' ? undefined : parseRedisUrl(text).db;
}

/** The URL naming database `db` instead (user, password and host kept as written). */
export function withDatabase(text: string, db: number): string {
  const url = new URL(text);
  url.pathname = `/${db}`;
  return url.toString();
}

/**
 * Keys per database of a whole keyspace: `INFO keyspace` of every lane (each
 * primary of a cluster, or the replica read), summed.
 */
export async function databaseKeys(ks: Keyspace): Promise<Record<number, number>> {
  const keys: Record<number, number> = {};
  for (const lane of ks.lanes) {
    const pipe = await lane.open();
    try {
      const info = await pipe.call(['INFO', 'keyspace']).catch((err: unknown) => {
        throw new RedisConnectionError(
          `redis at ${lane.label}: INFO keyspace failed: ${err instanceof Error ? err.message : String(err)} (the user needs +info)`,
          {
            cause: err,
          },
        );
      });
      for (const e of parseKeyspace(Buffer.isBuffer(info) ? info.toString() : String(info))) keys[e.db] = (keys[e.db] ?? 0) + e.keys;
    } finally {
      pipe.close();
    }
  }
  return keys;
}

/** What to do about a password a URL cannot carry as written. */
export const PASSWORD_HINT =
  'a password with characters such as # % ? / : @ must be percent-encoded in the URL (# is %23, % is %25, ? is %3F, / is %2F, : is %3A, @ is %40), ' +
  'or left out of the URL and given from Secrets Manager or the environment (see --help)';

/**
 * The URL with its password replaced by `***`, for messages and reports.
 * Everything up to the last `@` is the user part (an unencoded password may
 * hold `/`, `#`, `?`, even `@`): never shown.
 */
export function redactUrl(text: string): string {
  return text.replace(/^(\w+:\/\/)(.*)@/s, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:***`}@`;
  });
}

/** A username and password given outside the URL (Secrets Manager, the environment). */
export interface UrlCredentials {
  readonly username?: string;
  readonly password: string;
  /** Where they came from, for messages (never the values). */
  readonly source: string;
}

/**
 * Connects to a URL (RESP2, TLS, AUTH/ACL user) and selects its database.
 * `credentials` replace the URL's; a URL that carries a password as well is
 * refused (one source of truth for a secret).
 */
export async function connectUrl(text: string, connectionName: string, credentials?: UrlCredentials): Promise<Redis> {
  let o = parseRedisUrl(text);
  if (credentials) {
    if (o.password !== undefined) throw new RedisUrlError(`${redactUrl(text)} has a password and ${credentials.source} gives one too: remove it from the URL`);
    o = { ...o, username: credentials.username ?? o.username, password: credentials.password };
  }
  const client = (await createRedisConnection(o)) as Redis;
  if (o.db !== 0 && (await isClusterNode(client))) {
    client.disconnect();
    throw new RedisUrlError(
      `${o.host}:${o.port} is a Redis Cluster node: a cluster has only database 0, the URL names database ${o.db}; remove /${o.db} from the URL`,
    );
  }
  try {
    await client.call('CLIENT', 'SETNAME', connectionName).catch(() => undefined);
    if (o.db !== 0) await selectDatabase(client, o);
    // Pipes opened from this client (openPipe) select the same database and carry the same name.
    client.options.db = o.db;
    client.options.connectionName = connectionName;
  } catch (err) {
    client.disconnect();
    if (err instanceof RedisUrlError) throw err;
    throw new RedisConnectionError(`redis at ${o.host}:${o.port}: SELECT ${o.db} failed: ${(err as Error).message}`, { cause: err });
  }
  return client;
}

/**
 * SELECT the URL's database; a server without that database is the URL's
 * fault (a usage error) naming how many it has (CONFIG GET databases, where
 * CONFIG is allowed: ElastiCache blocks it, then SELECT's own answer says it).
 */
async function selectDatabase(client: Redis, o: RedisUrl): Promise<void> {
  try {
    await client.select(o.db);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (!/DB index is out of range|not allowed in cluster mode/i.test(why)) throw err;
    const reply = (await client.call('CONFIG', 'GET', 'databases').catch(() => undefined)) as string[] | undefined;
    const count = Array.isArray(reply) && reply.length === 2 ? Number(reply[1]) : undefined;
    client.disconnect();
    throw new RedisUrlError(
      `redis at ${o.host}:${o.port} has no database ${o.db} (SELECT ${o.db}: ${why}${count === undefined ? '' : `; it has ${count}: 0 to ${count - 1}`}): ` +
        "choose a database it has (the URL's /<db>, or --db <src>:<dst>), or raise its `databases` setting",
    );
  }
}

/** One side of a migrate or compare: a URL and how to read it. */
export interface KeyspaceSpec extends KeyspaceOptions {
  readonly url: string;
  readonly credentials?: UrlCredentials;
}

/** Connects to a URL and opens its whole keyspace (a single server's database, or every shard of a cluster). */
export async function connectKeyspace(spec: KeyspaceSpec, connectionName: string): Promise<Keyspace> {
  const client = await connectUrl(spec.url, connectionName, spec.credentials);
  return openKeyspace(client, spec);
}

/**
 * Opens both keyspaces (bad URLs fail before any connection), runs `fn`,
 * and closes both whatever happened.
 */
export async function withKeyspaces<T>(a: KeyspaceSpec, b: KeyspaceSpec, connectionName: string, fn: (a: Keyspace, b: Keyspace) => Promise<T>): Promise<T> {
  parseRedisUrl(a.url);
  parseRedisUrl(b.url);
  const ka = await connectKeyspace(a, connectionName);
  try {
    const kb = await connectKeyspace(b, connectionName);
    try {
      return await fn(ka, kb);
    } finally {
      kb.close();
    }
  } finally {
    ka.close();
  }
}

/** Options of {@link scanPipe}. */
export interface ScanBatchOptions {
  /** SCAN MATCH pattern. @default all keys */
  readonly match?: string;
  /** SCAN COUNT hint. @default 1000 */
  readonly count?: number;
}

/** One source key: its DUMP payload and absolute expiry, or gone. */
export type DumpedKey =
  | { readonly key: Buffer; readonly gone: true }
  | { readonly key: Buffer; readonly gone: false; readonly payload: Buffer; readonly expireAtMs: number | null };

/** Runs a pipeline; per command either its reply or its Error. A broken connection rejects. (Also the canonical reads': canonical-read.ts.) */
export async function run(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (!results) throw new RedisConnectionError('pipeline was discarded (connection lost?)');
  return results.map(([err, reply]) => err ?? reply);
}

/** A read the source (or `side`) refused: fatal for the run. (Also the canonical reads': canonical-read.ts.) */
export function sourceError(command: string, err: Error, side = 'the source'): Error {
  if (/NOPERM|NOAUTH/.test(err.message))
    return new RedisConnectionError(`${command} refused by ${side}: ${err.message} (the user needs +@read +@keyspace +dump +pexpiretime)`);
  return new RedisConnectionError(`${command} failed on ${side}: ${err.message}`);
}

/*
 * The bulk traffic of migrate (SCAN, DUMP + PEXPIRETIME, RESTORE) goes
 * through the lean RESP2 pipe of resp-pipe.ts, not ioredis: ioredis spends a
 * Command object, a promise and their garbage per command, and copies every
 * payload into an argument list. bench/README.md (migrate) has the figures.
 */

/**
 * SCAN over a pipe, one batch at a time; the next SCAN is sent as soon as a
 * batch arrives, so the server has it queued behind the batch's own work.
 */
export async function* scanPipe(pipe: RespPipe, options: ScanBatchOptions = {}): AsyncGenerator<Buffer[]> {
  const scan = (cursor: string): Promise<Reply[]> => {
    const args = ['SCAN', cursor];
    if (options.match !== undefined) args.push('MATCH', options.match);
    args.push('COUNT', String(options.count ?? 1000));
    const sent = pipe.exec(encodeCommands([args]), 1);
    sent.catch(() => undefined); // awaited below, unless the caller stopped early
    return sent;
  };
  let next = scan('0');
  for (;;) {
    const [reply] = await next;
    if (reply instanceof Error) throw sourceError('SCAN', reply);
    const [cursorReply, keys] = reply as [Buffer, Buffer[]];
    const cursor = cursorReply.toString();
    if (cursor !== '0') next = scan(cursor);
    if (keys.length > 0) yield keys;
    if (cursor === '0') return;
  }
}

// Command names as bytes: encodeCommands copies them without looking at characters.
const PEXPIRETIME = Buffer.from('PEXPIRETIME');
const DUMP = Buffer.from('DUMP');
const RESTORE = Buffer.from('RESTORE');
const ABSTTL = Buffer.from('ABSTTL');
const REPLACE = Buffer.from('REPLACE');
const EXISTS = Buffer.from('EXISTS');

function isRouter(x: RespPipe | KeyRouter): x is KeyRouter {
  return 'route' in x;
}

/**
 * PEXPIRETIME then DUMP per key, pipelined, through one pipe (a node's own
 * keys, just scanned there) or a router (keys anywhere in a cluster). PEXPIRETIME -2 or a null DUMP:
 * the key is gone (expired or deleted since SCAN). A key its node redirects
 * (a cluster slot moving: MOVED/ASK) is read again through `redirects`.
 * Needs Redis/Valkey ≥ 7.0. `side` names the keyspace read in an error (a
 * verification reads the target).
 */
export async function dumpBatch(via: RespPipe | KeyRouter, keys: readonly Buffer[], redirects?: KeyRouter, side = 'the source'): Promise<DumpedKey[]> {
  const build = (i: number, out: Command[]) => out.push([PEXPIRETIME, keys[i]!], [DUMP, keys[i]!]);
  let replies: Reply[];
  if (isRouter(via)) replies = await via.route(keys, 2, build);
  else {
    const commands: Command[] = [];
    for (let i = 0; i < keys.length; i++) build(i, commands);
    replies = await via.exec(encodeCommands(commands), commands.length);
  }
  const out: DumpedKey[] = [];
  const moved: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const expire = replies[2 * i];
    const payload = replies[2 * i + 1];
    if (redirects && (parseRedirect(expire!) || parseRedirect(payload!))) {
      moved.push(i);
      out.push({ key, gone: true }); // replaced below
      continue;
    }
    if (expire instanceof Error) throw sourceError('PEXPIRETIME', expire, side);
    if (payload instanceof Error) throw sourceError('DUMP', payload, side);
    if (expire === -2 || payload === null) out.push({ key, gone: true });
    else out.push({ key, gone: false, payload: payload as Buffer, expireAtMs: expire === -1 ? null : Number(expire) });
  }
  if (moved.length > 0) {
    const again = await dumpBatch(
      redirects!,
      moved.map((i) => keys[i]!),
      undefined,
      side,
    );
    moved.forEach((i, j) => {
      out[i] = again[j]!;
    });
  }
  return out;
}

/** Options of {@link dumpBatches}. */
export interface DumpBatchesOptions extends ScanBatchOptions {
  /** Batches dumped ahead of the one the caller holds (memory: that many batches more). @default 2 */
  readonly ahead?: number;
  /** Where keys the scanned node redirects (a cluster slot moving) are read. */
  readonly redirects?: KeyRouter;
  /** The keyspace read, as an error names it. @default 'the source' */
  readonly side?: string;
}

/**
 * SCAN + {@link dumpBatch}, one batch of dumped keys at a time, with up to
 * `ahead` more batches already sent to the source: the source serializes
 * them while the caller writes the current one elsewhere. Stopping early
 * (break) leaves the batches read ahead unused; nothing is written.
 */
export async function* dumpBatches(pipe: RespPipe, options: DumpBatchesOptions = {}): AsyncGenerator<DumpedKey[]> {
  const ahead = options.ahead ?? 2;
  const queue: Promise<DumpedKey[]>[] = [];
  for await (const keys of scanPipe(pipe, options)) {
    const dumped = dumpBatch(pipe, keys, options.redirects, options.side);
    dumped.catch(() => undefined); // awaited in order below, unless the caller stopped early
    queue.push(dumped);
    if (queue.length > ahead) yield await queue.shift()!;
  }
  while (queue.length > 0) yield await queue.shift()!;
}

/**
 * The target's answer to one RESTORE: with REPLACE, `replaced` when the key was there before it (the EXISTS just
 * before it said so), `unchecked` when that EXISTS was refused (restored, not known whether over a key).
 */
export type RestoreOutcome = LoadOutcome | 'replaced' | 'unchecked';

/** The target's answer to one RESTORE or FUNCTION RESTORE, told without an EXISTS: written, there already (BUSYKEY), or the error. */
export type LoadOutcome = 'restored' | 'exists' | Error;

/** A run's error for a key the target already holds under --on-conflict fail. */
export function conflictError(key: Buffer): string {
  return `${displayKey(key)} already exists on the target (--on-conflict fail)`;
}

/**
 * What a run adds to its error when RESTOREs were sent but never answered
 * (the connection broke): the server may have run them, so those keys,
 * counted as failed, may be on the target all the same.
 */
export function unansweredNote(unanswered: number, mode: OnConflict): string {
  return (
    `; ${unanswered} of the failed keys were sent but not answered before the connection broke: they may or may not be on the target. ` +
    (mode === 'fail' ? 'Rerun with --on-conflict skip to finish' : 'Rerun the same command to finish')
  );
}

/** A run's error for a RESTORE of `key` that failed: unreachable node, or a refusal. */
export function restoreError(failure: Error, key: Buffer): string {
  return failure instanceof RedisConnectionError
    ? `the target could not be reached for ${displayKey(key)}: ${failure.message}`
    : `the target refused RESTORE of ${displayKey(key)}: ${failure.message}`;
}

/**
 * `RESTORE key <expireAt|0> payload ABSTTL [REPLACE]` per key, pipelined
 * (through one pipe, or a router that sends each key to its cluster node).
 * BUSYKEY (the key exists, without REPLACE) is `exists`; any other error
 * reply (OOM, READONLY, NOPERM, …) is returned as is. A broken pipe
 * rejects; through a router, a broken node's keys get its connection error.
 * With REPLACE each RESTORE follows an `EXISTS key` in the same pipeline, so
 * a key the target held, which the RESTORE overwrites, is told apart
 * (`replaced`): an operator restoring into a live target learns how many of
 * its keys the run overwrote (a few bytes a key; the payload is sent once).
 */
export function restoreBatch(
  via: RespPipe | KeyRouter,
  items: readonly {
    readonly key: Buffer;
    readonly payload: Buffer | readonly Buffer[];
    readonly expireAtMs: number | null;
    /** The expiry exactly where the double rounds it (past ±2^53 ms: a file's key, RdbKey.expireAtExact). */
    readonly expireAtExact?: bigint | undefined;
  }[],
  replace: boolean,
): Promise<RestoreOutcome[]> {
  const build = (i: number, out: Command[]) => {
    const it = items[i]!;
    const args: Arg[] = [RESTORE, it.key, String(it.expireAtExact ?? it.expireAtMs ?? 0), it.payload, ABSTTL];
    if (replace) {
      out.push([EXISTS, it.key]);
      args.push(REPLACE);
    }
    out.push(args);
  };
  const perKey = replace ? 2 : 1;
  // Not an async function: its frame, holding `items` (the payloads), would wait for the answers (see keyspace.ts pipeRouter).
  let replies: Promise<Reply[]>;
  try {
    if (isRouter(via))
      replies = via.route(
        items.map((it) => it.key),
        perKey,
        build,
      );
    else {
      const commands: Command[] = [];
      for (let i = 0; i < items.length; i++) build(i, commands);
      replies = via.exec(encodeCommandParts(commands), commands.length);
    }
  } catch (err) {
    return Promise.reject(err);
  }
  // A function of the module's: a closure made here would share the context `build` keeps `items` in.
  return replace ? replies.then(replaceOutcomes) : replies.then(restoreOutcomes);
}

/** RESTORE replies as outcomes: restored, exists (BUSYKEY), or the error. */
function restoreOutcomes(replies: readonly Reply[]): RestoreOutcome[] {
  return replies.map(restoreOutcome);
}

function restoreOutcome(r: Reply): LoadOutcome {
  if (!(r instanceof Error)) return 'restored';
  return r.message.startsWith('BUSYKEY') ? 'exists' : r;
}

/**
 * EXISTS and RESTORE … REPLACE replies, a pair a key, as outcomes: `replaced` when the key was there, `unchecked`
 * when the EXISTS was refused (an ACL without it) and the RESTORE went through.
 */
function replaceOutcomes(replies: readonly Reply[]): RestoreOutcome[] {
  const out: RestoreOutcome[] = [];
  for (let i = 0; i + 1 < replies.length; i += 2) {
    const o = restoreOutcome(replies[i + 1]!);
    const held = replies[i];
    out.push(o !== 'restored' ? o : held instanceof Error ? 'unchecked' : held === 1 ? 'replaced' : 'restored');
  }
  return out;
}

/**
 * `FUNCTION RESTORE <payload> APPEND|REPLACE` of each library payload on
 * every node of the keyspace (each primary of a cluster holds its own
 * libraries); never FLUSH. Per library and node: `restored`, `exists` (a
 * library of that name is there and `replace` is false), or the error.
 */
export async function restoreFunctions(target: Keyspace, payloads: readonly Buffer[], replace: boolean): Promise<LoadOutcome[][]> {
  if (payloads.length === 0) return [];
  const perNode = await Promise.all(
    target.lanes.map(async (lane) => {
      const pipe = await lane.open();
      try {
        const replies = await pipe.exec(encodeCommands(payloads.map((p) => ['FUNCTION', 'RESTORE', p, replace ? 'REPLACE' : 'APPEND'])), payloads.length);
        return replies.map((r): LoadOutcome => (!(r instanceof Error) ? 'restored' : /already exists/i.test(r.message) ? 'exists' : r));
      } finally {
        pipe.close();
      }
    }),
  );
  return payloads.map((_, i) => perNode.map((node) => node[i]!));
}

/** EXISTS per key, pipelined (an ioredis client: one server; a router: each key at its node). */
export async function existBatch(via: Redis | KeyRouter, keys: readonly Buffer[], side = 'the source'): Promise<boolean[]> {
  let replies: unknown[];
  if ('route' in via) replies = await via.route(keys, 1, (i, out) => out.push([EXISTS, keys[i]!]));
  else {
    const p = via.pipeline();
    for (const key of keys) p.exists(key);
    replies = await run(p);
  }
  return replies.map((r) => {
    if (r instanceof Error) throw sourceError('EXISTS', r, side);
    return r === 1;
  });
}

/**
 * PEXPIRETIME per key, pipelined, each at its node: the absolute expiry in
 * ms, `null` for a key without one, `undefined` for a key that is gone.
 */
export async function expiryBatch(via: KeyRouter, keys: readonly Buffer[], side = 'the source'): Promise<(number | null | undefined)[]> {
  const replies = await via.route(keys, 1, (i, out) => out.push([PEXPIRETIME, keys[i]!]));
  return replies.map((r) => {
    if (r instanceof Error) throw sourceError('PEXPIRETIME', r, side);
    const at = Number(r);
    return at === -2 ? undefined : at === -1 ? null : at;
  });
}
