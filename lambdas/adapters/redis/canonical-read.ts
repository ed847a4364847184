/**
 * The reads that judge a key on a server, not copy it (`compare` and
 * `migrate --verify`, `migrate --from-rdb --verify`): per-type canonical
 * values for fingerprints (TYPE + PEXPIRETIME, then GET, LRANGE, SMEMBERS,
 * ZRANGE; DUMP, decoded, for hashes, streams and module types), a
 * key's shape (type, expiry, size), and the checks of a big value against a
 * file's chunks without reading it back whole. The copy itself (SCAN, DUMP,
 * RESTORE) is dump-restore.ts, whose connection helpers these share.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { normaliseScore, OrderedDigest, type KeyValue, type StreamGroup, type StreamMeta } from '../../domain/rdb/fingerprint.js';
import { entriesReadText, estimateEntriesRead, loadedAsType15, parseStreamId, type StreamId } from '../../domain/rdb/format/stream-ids.js';
import { itemsSha1 } from '../../domain/rdb/format/items-digest.js';
import { decodeDumpPayload, type ElementChunk } from '../../domain/rdb/format/value.js';
import { RedisConnectionError } from './connection.js';
import { run, sourceError } from './dump-restore.js';
import type { Keyspace } from './keyspace.js';
import type { Reply } from './resp-pipe.js';

// Command names as bytes: encodeCommands copies them without looking at characters.
const SMISMEMBER = Buffer.from('SMISMEMBER');
const HMGET = Buffer.from('HMGET');
const ZMSCORE = Buffer.from('ZMSCORE');
const GETRANGE = Buffer.from('GETRANGE');
const LRANGE = Buffer.from('LRANGE');
const XRANGE = Buffer.from('XRANGE');
const XINFO = Buffer.from('XINFO');
const XPENDING = Buffer.from('XPENDING');
const EVAL = Buffer.from('EVAL');

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
    const read = f.get('entries-read');
    return {
      name: f.get('name') ?? Buffer.alloc(0),
      lastDeliveredId: String(f.get('last-delivered-id') ?? ''),
      pending: Number(f.get('pending') ?? 0),
      // Redis ≥ 7.0 answers it (nil: unknown); a server before keeps none (filled in by streamGroupsOn's caller).
      ...(f.has('entries-read') ? { entriesRead: read === null || read === undefined ? 'nil' : String(read) } : {}),
    };
  });
}

/**
 * Each key's value in canonical-ready form: TYPE + PEXPIRETIME for the
 * batch, then one read per key by type (GET, LRANGE, SMEMBERS, ZRANGE
 * WITHSCORES; DUMP for hashes, streams and module types), all pipelined. A
 * key that disappears or changes type between the two round trips is read
 * once more on its own. Memory: one batch, and each key whole.
 *
 * Hashes and streams are read by DUMP and decoded as a file's keys are
 * (lambdas/domain/rdb/format/value.ts), so the two sides of a compare see the same state:
 * a hash's field TTLs where the server keeps them (a DUMP of Redis ≥ 7.4 or
 * Valkey ≥ 9.0 holds them; of an older server none, so a field TTL on the
 * other side is a difference: this server cannot hold it), a stream's ids,
 * PELs and consumers on every engine (HGETALL hides field TTLs; XINFO
 * GROUPS gives neither PELs nor consumers, XINFO STREAM FULL is refused by
 * `serve` and caps its PELs at COUNT). DUMP is what compare's fast path
 * already reads of every key, on every engine the project supports.
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
  if (type === 'hash' || type === 'stream') {
    const value = decodeDumpPayload(first as Buffer);
    // An empty hash does not exist: it went between TYPE and the read (a stream may be empty).
    return value.type === 'hash' && value.fields.length === 0 ? undefined : value;
  }
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

/**
 * Lua: whether the values of fields ARGV[2], ARGV[3] … of hash KEYS[1] have
 * the digest ARGV[1] (the SHA-1 of their SHA-1s: lambdas/domain/rdb/format/items-digest.ts);
 * a field missing is no.
 */
const HASH_VALUES_ARE = Buffer.from(
  "local v = redis.call('HMGET', KEYS[1], unpack(ARGV, 2)) local t = {} " +
    'for i = 1, #v do if not v[i] then return 0 end t[i] = redis.sha1hex(v[i]) end ' +
    'return redis.sha1hex(table.concat(t)) == ARGV[1] and 1 or 0',
);
/** Lua: whether items ARGV[1] to ARGV[2] (inclusive) of list KEYS[1] have the digest ARGV[3] (as above). */
const LIST_RANGE_IS = Buffer.from(
  "local v = redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2]) local t = {} " +
    'for i = 1, #v do t[i] = redis.sha1hex(v[i]) end ' +
    'return redis.sha1hex(table.concat(t)) == ARGV[3] and 1 or 0',
);

/**
 * Whether a server's hash holds one chunk of a file's big hash the same,
 * judged on the server: the fields' values are hashed there (EVAL of a
 * read-only script: HMGET, SHA-1) and held against their digest made here,
 * so nothing of the values comes back (a chunk of HMGET's reply, 256 KiB of
 * a 60 MiB hash, is garbage until the next collection, and those made the
 * peak of --verify: bench/README.md, big-types). Undefined when the server
 * runs no scripts for this user: check it with {@link holdsChunk}.
 */
export async function hashChunkIs(ks: Keyspace, key: Buffer, fields: readonly (readonly [Buffer, Buffer])[]): Promise<boolean | undefined> {
  if (fields.length === 0) return true;
  const digest = itemsSha1(fields.map(([, v]) => v));
  return judgedOnServer(ks, key, 'EVAL (HMGET)', [EVAL, HASH_VALUES_ARE, '1', key, digest, ...fields.map(([f]) => f)]);
}

/**
 * Whether items [start, start + count) of a server's list have the SHA-1
 * `digest` (lambdas/domain/rdb/format/value.ts listChunkDigests), judged on the server (EVAL of
 * LRANGE, read-only): the items do not come back. Undefined when the server
 * runs no scripts for this user (read the list back: {@link orderedDigestOn}).
 */
export async function listRangeIs(ks: Keyspace, key: Buffer, start: number, count: number, digest: string): Promise<boolean | undefined> {
  return judgedOnServer(ks, key, 'EVAL (LRANGE)', [EVAL, LIST_RANGE_IS, '1', key, String(start), String(start + count - 1), digest]);
}

/** One script's yes (1) or no of `key`'s node; undefined when the server runs no scripts for this user. */
async function judgedOnServer(ks: Keyspace, key: Buffer, what: string, command: (string | Buffer)[]): Promise<boolean | undefined> {
  const [reply] = await ks.route([key], 1, (_, out) => out.push(command));
  if (reply instanceof Error) {
    if (NO_SCRIPTS.test(reply.message)) return undefined;
    throw sourceError(what, reply, 'the target');
  }
  return reply === 1;
}

/** An error reply that says the server runs no scripts for this user (an ACL without @scripting, scripting disabled or renamed). */
const NO_SCRIPTS = /NOPERM|unknown command|disabled|not allowed|NOSCRIPT/i;

/** Lua: whether the SHA-1 of the bytes of KEYS[1] from ARGV[1] to ARGV[2] (inclusive) is ARGV[3]. */
const RANGE_IS = Buffer.from("return redis.sha1hex(redis.call('GETRANGE', KEYS[1], ARGV[1], ARGV[2])) == ARGV[3] and 1 or 0");

/**
 * Whether bytes [start, start + length of `piece`) of a string key are
 * `piece` (views of the file's bytes): the server hashes its range (EVAL of
 * a read-only script, SHA-1) and compares it with the piece's digest made
 * here, so a big string is checked with 40 bytes each way per piece,
 * neither its bytes coming back (each reply a fresh buffer, garbage until
 * the next full collection) nor going there (each command a copy of the
 * piece). Undefined when the server runs no scripts for this user (NOPERM,
 * scripting disabled): read it back with {@link stringRange}.
 */
export async function stringRangeIs(ks: Keyspace, key: Buffer, start: number, piece: readonly Buffer[]): Promise<boolean | undefined> {
  const length = piece.reduce((n, p) => n + p.length, 0);
  if (length === 0) return true;
  const sha1 = createHash('sha1');
  for (const p of piece) sha1.update(p);
  const digest = sha1.digest('hex');
  return judgedOnServer(ks, key, 'EVAL (GETRANGE)', [EVAL, RANGE_IS, '1', key, String(start), String(start + length - 1), digest]);
}

/** Bytes [start, end] (inclusive) of a string key (GETRANGE, through the lean pipe: one copy of the reply, no more). */
export async function stringRange(ks: Keyspace, key: Buffer, start: number, end: number): Promise<Buffer> {
  const [reply] = await ks.route([key], 1, (_, out) => out.push([GETRANGE, key, String(start), String(end)]));
  if (reply instanceof Error) throw sourceError('GETRANGE', reply, 'the target');
  return reply as Buffer;
}

/** One command through the lean pipe of `key`'s node; an error reply thrown, named as the target's. */
async function ask(ks: Keyspace, key: Buffer, what: string, command: (string | Buffer)[]): Promise<Reply> {
  const [reply] = await ks.route([key], 1, (_, out) => out.push(command));
  if (reply instanceof Error) throw sourceError(what, reply, 'the target');
  return reply as Reply;
}

/** The stream id after `id` (`ms-seq`), for the next XRANGE (the exclusive `(id` form needs Redis 6.2). */
function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-').map(BigInt) as [bigint, bigint];
  return seq === 0xffffffffffffffffn ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}

/**
 * The digest (fingerprint.ts valueDigest) of a list or stream on a server,
 * read `perChunk` items or entries at a time (LRANGE; XRANGE … COUNT from
 * the id after the last one read, then XINFO GROUPS, each group's PEL by
 * XPENDING and consumers by XINFO CONSUMERS, XINFO STREAM), each chunk hashed as
 * it comes and dropped: a big value is never on this side whole. `size` is
 * its LLEN or XLEN (keyShape): the digest starts with the count, so a value
 * that changes during the read gets another digest, never a false equal.
 * A stream's stored first id (XINFO STREAM's recorded-first-entry-id), which
 * the digest leaves out, comes beside it where the server reports one
 * (Redis 7.0 and later, every Valkey).
 */
export async function orderedDigestOn(ks: Keyspace, key: Buffer, type: 'list' | 'stream', size: number, perChunk: number): Promise<OrderedRead> {
  const d = new OrderedDigest(type, size);
  if (type === 'list') {
    for (let at = 0; at < size; at += perChunk) {
      const items = (await ask(ks, key, 'LRANGE', [LRANGE, key, String(at), String(at + perChunk - 1)])) as Buffer[];
      for (const item of items) d.item(item);
      if (items.length < perChunk) break;
    }
    return { digest: d.digest() };
  }
  for (let from = '-', read = 0; read < size; ) {
    const entries = (await ask(ks, key, 'XRANGE', [XRANGE, key, from, '+', 'COUNT', String(perChunk)])) as [Buffer, Buffer[]][];
    for (const [id, fields] of entries) d.entry(id.toString('latin1'), fields);
    read += entries.length;
    if (entries.length < perChunk) break;
    from = nextStreamId(entries[entries.length - 1]![0].toString('latin1'));
  }
  const { meta, firstId, recordedFirstId } = await streamMetaOn(ks, key, size);
  // A server before Redis 7.0 keeps no entries-read: what 7.0 derives loading its stream, as for a type-15 payload (value.ts).
  const derived = loadedAsType15(size, parseStreamId(meta.lastId), firstId ? parseStreamId(firstId) : undefined);
  const groups = (await streamGroupsOn(ks, key, perChunk)).map((g) =>
    g.entriesRead !== undefined ? g : { ...g, entriesRead: entriesReadText(estimateEntriesRead(derived, parseStreamId(g.lastDeliveredId))) },
  );
  d.groups(groups, meta);
  return { digest: d.digest(), ...(recordedFirstId === undefined ? {} : { recordedFirstId: parseStreamId(recordedFirstId) }) };
}

/** A list's or stream's digest as {@link orderedDigestOn} read it, and a stream's stored first id where the server reports it. */
export interface OrderedRead {
  readonly digest: string;
  /** XINFO STREAM's recorded-first-entry-id; absent for a list, and on a server before Redis 7.0 (it keeps no first id). */
  readonly recordedFirstId?: StreamId;
}

const text = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v));

/**
 * XINFO STREAM's ids. A server before Redis 7.0 keeps neither entries added
 * nor the largest deleted id: what 7.0 derives loading its streams is taken
 * (XLEN, 0-0), as lambdas/domain/rdb/format/value.ts does for a type-15 payload.
 */
async function streamMetaOn(ks: Keyspace, key: Buffer, size: number): Promise<{ meta: StreamMeta; firstId?: string; recordedFirstId?: string }> {
  const f = new Map(pairs((await ask(ks, key, 'XINFO STREAM', [XINFO, 'STREAM', key])) as Buffer[]).map(([k, v]) => [text(k), v]));
  const first = f.get('first-entry') as unknown as [Buffer, Buffer[]] | null | undefined;
  return {
    meta: {
      lastId: text(f.get('last-generated-id')),
      entriesAdded: f.has('entries-added') ? text(f.get('entries-added')) : String(size),
      maxDeletedId: f.has('max-deleted-entry-id') ? text(f.get('max-deleted-entry-id')) : '0-0',
    },
    ...(first ? { firstId: text(first[0]) } : {}),
    ...(f.has('recorded-first-entry-id') ? { recordedFirstId: text(f.get('recorded-first-entry-id')) } : {}),
  };
}

/** XINFO GROUPS, then per group its PEL (XPENDING, `perChunk` at a time) and its consumers (XINFO CONSUMERS). */
async function streamGroupsOn(ks: Keyspace, key: Buffer, perChunk: number): Promise<StreamGroup[]> {
  const out: StreamGroup[] = [];
  for (const g of parseGroups(await ask(ks, key, 'XINFO GROUPS', [XINFO, 'GROUPS', key]))) {
    const pel: [string, Buffer, string][] = [];
    for (let from = '-'; pel.length < g.pending; ) {
      const chunk = (await ask(ks, key, 'XPENDING', [XPENDING, key, g.name, from, '+', String(perChunk)])) as [Buffer, Buffer, number, number][];
      for (const [id, consumer, , deliveries] of chunk) pel.push([text(id), consumer, text(deliveries)]);
      if (chunk.length < perChunk) break;
      from = nextStreamId(pel[pel.length - 1]![0]);
    }
    const consumers = (await ask(ks, key, 'XINFO CONSUMERS', [XINFO, 'CONSUMERS', key, g.name])) as Buffer[][];
    const names = consumers.map((c) => new Map(pairs(c).map(([k, v]) => [text(k), v])).get('name') as Buffer);
    out.push({ ...g, pel, consumers: names });
  }
  return out;
}
