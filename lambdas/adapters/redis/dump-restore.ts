/**
 * Redis I/O of `migrate` and `compare`: connect from a URL, SCAN in batches,
 * pipelined DUMP + PEXPIRETIME on the source, pipelined RESTORE … ABSTTL on
 * the target, and per-type canonical reads for fingerprints. Keys and values
 * stay Buffers throughout (any bytes). Only commands ElastiCache allows: no
 * MIGRATE, no CONFIG, no KEYS.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/RestrictedCommands.html
 */
import type { Redis } from 'ioredis';
import { displayKey, normaliseScore, type KeyValue, type StreamGroup } from '../../domain/keys/fingerprint.js';
import type { ElementChunk } from '../../domain/rdb/format/value.js';
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

/** Runs a pipeline; per command either its reply or its Error. A broken connection rejects. */
async function run(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = await pipeline.exec();
  if (!results) throw new RedisConnectionError('pipeline was discarded (connection lost?)');
  return results.map(([err, reply]) => err ?? reply);
}

/** A read the source refused: fatal for the run. */
function sourceError(command: string, err: Error, side = 'the source'): Error {
  if (/NOPERM|NOAUTH/.test(err.message))
    return new RedisConnectionError(`${command} refused by ${side}: ${err.message} (the user needs +@read +@keyspace +dump +pexpiretime)`);
  return new RedisConnectionError(`${command} failed on ${side}: ${err.message}`);
}

/*
 * The bulk traffic of migrate (SCAN, DUMP + PEXPIRETIME, RESTORE) goes
 * through the lean RESP2 pipe of redis.ts, not ioredis: ioredis spends a
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
const SMISMEMBER = Buffer.from('SMISMEMBER');
const HMGET = Buffer.from('HMGET');
const ZMSCORE = Buffer.from('ZMSCORE');
const GETRANGE = Buffer.from('GETRANGE');

function isRouter(x: RespPipe | KeyRouter): x is KeyRouter {
  return 'route' in x;
}

/**
 * PEXPIRETIME then DUMP per key, pipelined, through one pipe (a node's own
 * keys, just scanned there) or a router (keys anywhere in a cluster). PEXPIRETIME -2 or a null DUMP:
 * the key is gone (expired or deleted since SCAN). A key its node redirects
 * (a cluster slot moving: MOVED/ASK) is read again through `redirects`.
 * Needs Redis/Valkey ≥ 7.0.
 */
export async function dumpBatch(via: RespPipe | KeyRouter, keys: readonly Buffer[], redirects?: KeyRouter): Promise<DumpedKey[]> {
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
    if (expire instanceof Error) throw sourceError('PEXPIRETIME', expire);
    if (payload instanceof Error) throw sourceError('DUMP', payload);
    if (expire === -2 || payload === null) out.push({ key, gone: true });
    else out.push({ key, gone: false, payload: payload as Buffer, expireAtMs: expire === -1 ? null : Number(expire) });
  }
  if (moved.length > 0) {
    const again = await dumpBatch(
      redirects!,
      moved.map((i) => keys[i]!),
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
    const dumped = dumpBatch(pipe, keys, options.redirects);
    dumped.catch(() => undefined); // awaited in order below, unless the caller stopped early
    queue.push(dumped);
    if (queue.length > ahead) yield await queue.shift()!;
  }
  while (queue.length > 0) yield await queue.shift()!;
}

/** The target's answer to one RESTORE. */
export type RestoreOutcome = 'restored' | 'exists' | Error;

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
 */
export async function restoreBatch(
  via: RespPipe | KeyRouter,
  items: readonly { readonly key: Buffer; readonly payload: Buffer | readonly Buffer[]; readonly expireAtMs: number | null }[],
  replace: boolean,
): Promise<RestoreOutcome[]> {
  const build = (i: number, out: Command[]) => {
    const it = items[i]!;
    const args: Arg[] = [RESTORE, it.key, String(it.expireAtMs ?? 0), it.payload, ABSTTL];
    if (replace) args.push(REPLACE);
    out.push(args);
  };
  let replies: Reply[];
  if (isRouter(via))
    replies = await via.route(
      items.map((it) => it.key),
      1,
      build,
    );
  else {
    const commands: Command[] = [];
    for (let i = 0; i < items.length; i++) build(i, commands);
    replies = await via.exec(encodeCommandParts(commands), commands.length);
  }
  return replies.map((r) => {
    if (!(r instanceof Error)) return 'restored';
    return r.message.startsWith('BUSYKEY') ? 'exists' : r;
  });
}

/**
 * `FUNCTION RESTORE <payload> APPEND|REPLACE` of each library payload on
 * every node of the keyspace (each primary of a cluster holds its own
 * libraries); never FLUSH. Per library and node: `restored`, `exists` (a
 * library of that name is there and `replace` is false), or the error.
 */
export async function restoreFunctions(target: Keyspace, payloads: readonly Buffer[], replace: boolean): Promise<RestoreOutcome[][]> {
  if (payloads.length === 0) return [];
  const perNode = await Promise.all(
    target.lanes.map(async (lane) => {
      const pipe = await lane.open();
      try {
        const replies = await pipe.exec(encodeCommands(payloads.map((p) => ['FUNCTION', 'RESTORE', p, replace ? 'REPLACE' : 'APPEND'])), payloads.length);
        return replies.map((r): RestoreOutcome => (!(r instanceof Error) ? 'restored' : /already exists/i.test(r.message) ? 'exists' : r));
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

/** A key's canonical value and absolute expiry, or `undefined` when it is gone. */
export type CanonicalRead = { readonly value: KeyValue; readonly expireAtMs: number | null } | undefined;

function pairs(flat: readonly Buffer[]): [Buffer, Buffer][] {
  const out: [Buffer, Buffer][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** XINFO GROUPS (flat field/value arrays) → the group fields the fingerprint covers. */
function parseGroups(reply: unknown): StreamGroup[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((g: Buffer[]) => {
    const f = new Map(pairs(g).map(([k, v]) => [k.toString(), v]));
    return {
      name: f.get('name') ?? Buffer.alloc(0),
      lastDeliveredId: String(f.get('last-delivered-id') ?? ''),
      pending: Number(f.get('pending') ?? 0),
    };
  });
}

/**
 * Each key's value in canonical-ready form: TYPE + PEXPIRETIME for the
 * batch, then one read per key by type (GET, LRANGE, SMEMBERS, ZRANGE
 * WITHSCORES, HGETALL, XRANGE + XINFO GROUPS; DUMP for module types), all
 * pipelined. A key that disappears or changes type between the two round
 * trips is read once more on its own. Memory: one batch, and each key whole.
 */
export async function readCanonicalBatch(client: Redis, keys: readonly Buffer[]): Promise<CanonicalRead[]> {
  const p = client.pipeline();
  for (const key of keys) {
    p.type(key);
    p.pexpiretime(key);
  }
  const head = await run(p);
  const types = keys.map((_, i) => head[2 * i]);
  const expires = keys.map((_, i) => head[2 * i + 1]);
  const reads = client.pipeline();
  const shape: { key: Buffer; type: string; commands: number }[] = [];
  for (const [i, key] of keys.entries()) {
    const t = types[i];
    if (t instanceof Error) throw sourceError('TYPE', t);
    const type = String(t);
    let commands = 1;
    switch (type) {
      case 'none':
        commands = 0;
        break;
      case 'string':
        reads.getBuffer(key);
        break;
      case 'list':
        reads.lrangeBuffer(key, 0, -1);
        break;
      case 'set':
        reads.smembersBuffer(key);
        break;
      case 'zset':
        reads.callBuffer('ZRANGE', key, 0, -1, 'WITHSCORES');
        break;
      case 'hash':
        reads.callBuffer('HGETALL', key);
        break;
      case 'stream':
        reads.callBuffer('XRANGE', key, '-', '+');
        reads.callBuffer('XINFO', 'GROUPS', key);
        commands = 2;
        break;
      default:
        reads.dumpBuffer(key);
    }
    shape.push({ key, type, commands });
  }
  const replies = shape.some((s) => s.commands > 0) ? await run(reads) : [];
  let at = 0;
  const out: CanonicalRead[] = [];
  for (const [i, s] of shape.entries()) {
    const r = replies.slice(at, at + s.commands);
    at += s.commands;
    const expire = expires[i];
    if (s.type === 'none' || expire === -2) {
      out.push(undefined);
      continue;
    }
    if (r.some((x) => x instanceof Error)) {
      const err = r.find((x) => x instanceof Error) as Error;
      // WRONGTYPE: deleted and recreated as another type in between; read it again alone.
      if (err.message.startsWith('WRONGTYPE')) {
        out.push((await readCanonicalBatch(client, [s.key]))[0]);
        continue;
      }
      throw sourceError(s.type.toUpperCase(), err);
    }
    const value = toValue(s.type, r);
    out.push(value ? { value, expireAtMs: typeof expire === 'number' && expire >= 0 ? expire : null } : undefined);
  }
  return out;
}

/**
 * {@link readCanonicalBatch} across a keyspace: keys grouped by the node
 * serving them, nodes in parallel. A group its node redirects is read again
 * after a topology refresh (MOVED) or a short wait (ASK: a slot migrating);
 * a slot still moving after a few tries fails the read with a message that says so.
 */
export async function readCanonicalKeyspace(ks: Keyspace, keys: readonly Buffer[], attempt = 0): Promise<CanonicalRead[]> {
  const groups = new Map<Promise<Redis>, number[]>();
  keys.forEach((key, i) => {
    const c = ks.clientFor(key);
    const g = groups.get(c);
    if (g) g.push(i);
    else groups.set(c, [i]);
  });
  const out = new Array<CanonicalRead>(keys.length);
  await Promise.all(
    [...groups].map(async ([client, idx]) => {
      const some = idx.map((i) => keys[i]!);
      let reads: CanonicalRead[];
      try {
        reads = await readCanonicalBatch(await client, some);
      } catch (err) {
        const redirected = /\b(MOVED|ASK) \d+ /.test((err as Error).message);
        if (!redirected || !ks.cluster) throw err;
        if (attempt >= 5)
          throw new RedisConnectionError(`${(err as Error).message}: a slot kept moving; rerun when the resharding has finished`, { cause: err });
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
        await ks.refresh();
        reads = await readCanonicalKeyspace(ks, some, attempt + 1);
      }
      idx.forEach((i, j) => {
        out[i] = reads[j];
      });
    }),
  );
  return out;
}

function toValue(type: string, r: unknown[]): KeyValue | undefined {
  const first = r[0];
  if (first === null) return undefined; // gone between TYPE and the read
  // An empty collection does not exist: it went between TYPE and the read (streams may be empty).
  if (type !== 'stream' && Array.isArray(first) && first.length === 0) return undefined;
  switch (type) {
    case 'string':
      return { type, value: first as Buffer };
    case 'list':
      return { type, items: first as Buffer[] };
    case 'set':
      return { type, members: first as Buffer[] };
    case 'zset':
      return { type, entries: pairs(first as Buffer[]).map(([m, s]) => [m, s.toString()] as const) };
    case 'hash':
      return { type, fields: pairs(first as Buffer[]) };
    case 'stream':
      return {
        type,
        entries: (first as [Buffer, Buffer[]][]).map(([id, fields]) => [id.toString(), fields] as const),
        groups: parseGroups(r[1]),
      };
    default:
      return { type: 'other', typeName: type, dump: first as Buffer };
  }
}

/** A key on a server as a big value is checked: its type, absolute expiry and number of elements (bytes for a string). */
export interface KeyShape {
  readonly type: string;
  readonly expireAtMs: number | null;
  readonly size: number;
}

/** TYPE, PEXPIRETIME and the size (STRLEN, SCARD, HLEN, ZCARD, LLEN) of one key; undefined when it is gone. */
export async function keyShape(ks: Keyspace, key: Buffer): Promise<KeyShape | undefined> {
  const c = await ks.clientFor(key);
  const type = await c.type(key);
  if (type === 'none') return undefined;
  const count = { string: 'STRLEN', set: 'SCARD', hash: 'HLEN', zset: 'ZCARD', list: 'LLEN', stream: 'XLEN' }[type];
  const replies = await c
    .pipeline()
    .call('PEXPIRETIME', key)
    .call(count ?? 'EXISTS', key)
    .exec();
  const [expire, size] = (replies ?? []).map(([err, r], i) => {
    if (err) throw sourceError(i === 0 ? 'PEXPIRETIME' : (count ?? 'EXISTS'), err, 'the target');
    return Number(r);
  });
  if (expire === -2) return undefined;
  return { type, expireAtMs: expire === -1 ? null : expire!, size: size! };
}

/**
 * True when the server's value of `key` holds one chunk of a file's big value
 * the same: every member (SMISMEMBER), every field with its value (HMGET),
 * every member with its score (ZMSCORE). With the sizes equal, every chunk
 * the same means the values are. Through the lean pipe: a chunk's elements
 * are views of the file's payload, encoded once (ioredis built a Command and
 * its argument list per chunk: a 1,000,000-member set left about 40 MB of
 * heap garbage between collections).
 */
export async function holdsChunk(ks: Keyspace, key: Buffer, chunk: ElementChunk): Promise<boolean> {
  const names = chunk.type === 'set' ? chunk.members : chunk.type === 'hash' ? chunk.fields.map(([f]) => f) : chunk.entries.map(([m]) => m);
  if (names.length === 0) return true;
  const command = chunk.type === 'set' ? SMISMEMBER : chunk.type === 'hash' ? HMGET : ZMSCORE;
  const [reply] = await ks.route([key], 1, (_, out) => out.push([command, key, ...names]));
  if (reply instanceof Error) throw sourceError(command.toString(), reply, 'the target');
  const found = reply as Reply[];
  if (chunk.type === 'set') return found.every((f) => f === 1);
  if (chunk.type === 'hash') return chunk.fields.every(([, v], i) => Buffer.isBuffer(found[i]) && v.equals(found[i] as Buffer));
  return chunk.entries.every(([, s], i) => Buffer.isBuffer(found[i]) && normaliseScore((found[i] as Buffer).toString('latin1')) === s);
}

/** Lua: whether the bytes of KEYS[1] from ARGV[1] to ARGV[2] (inclusive) are ARGV[3]. */
const RANGE_IS = Buffer.from("return redis.call('GETRANGE', KEYS[1], ARGV[1], ARGV[2]) == ARGV[3] and 1 or 0");
const EVAL = Buffer.from('EVAL');

/**
 * Whether bytes [start, start + length of `piece`) of a string key are
 * `piece` (views of the file's bytes, written as they are): the server
 * compares them (EVAL of a read-only script), so a big string is checked
 * without its bytes coming back (each reply a fresh buffer, garbage until the
 * next full collection: about 2 × the string). Undefined when the server runs
 * no scripts for this user (NOPERM, scripting disabled): read it back with
 * {@link stringRange}.
 */
export async function stringRangeIs(ks: Keyspace, key: Buffer, start: number, piece: readonly Buffer[]): Promise<boolean | undefined> {
  const length = piece.reduce((n, p) => n + p.length, 0);
  if (length === 0) return true;
  const [reply] = await ks.route([key], 1, (_, out) => out.push([EVAL, RANGE_IS, '1', key, String(start), String(start + length - 1), piece]));
  if (reply instanceof Error) {
    if (/NOPERM|unknown command|disabled|not allowed|NOSCRIPT/i.test(reply.message)) return undefined;
    throw sourceError('EVAL (GETRANGE)', reply, 'the target');
  }
  return reply === 1;
}

/** Bytes [start, end] (inclusive) of a string key (GETRANGE, through the lean pipe: one copy of the reply, no more). */
export async function stringRange(ks: Keyspace, key: Buffer, start: number, end: number): Promise<Buffer> {
  const [reply] = await ks.route([key], 1, (_, out) => out.push([GETRANGE, key, String(start), String(end)]));
  if (reply instanceof Error) throw sourceError('GETRANGE', reply, 'the target');
  return reply as Buffer;
}
