/**
 * Generated change series for `history` and `compare` against ground truth
 * (issue 56 item 3): a seeded generator drives a real redis-server through
 * steps (sets, overwrites with the same and other values, type changes, TTLs
 * set, changed, persisted and passing between points, deletes, re-creates,
 * keys in two databases, encodings that change with size and back, key names
 * that need escaping), BGSAVEs after each step into a destination of backups
 * (one point per step, an hour apart in the future so a TTL relative to them
 * is one the server keeps), and records what the server itself answered for
 * every key at that point: type, PEXPIRETIME, OBJECT ENCODING and a digest of
 * its replies (GET, HGETALL, SMEMBERS, ZRANGE WITHSCORES, LRANGE, XRANGE,
 * unordered ones sorted), and, per pattern, the keys KEYS matched. The
 * oracle is the server: nothing here uses the project's own digest or glob.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { mulberry32 } from '../../lambdas/domain/keys/prng.js';
import { backupFileName } from '../../lambdas/domain/self-managed/backup.js';
import { bgsave, type RedisServer } from './redis-server.js';
import { savedAt } from './rdb-bytes.js';

/** A key the generator may touch (or, `never`, one it never creates). */
export interface FuzzKey {
  readonly db: number;
  readonly name: Buffer;
  /** Created by the generator (false: a name that never exists). */
  readonly live: boolean;
}

const key = (db: number, name: string, encoding: BufferEncoding = 'utf8', live = true): FuzzKey => ({
  db,
  name: Buffer.from(name, encoding),
  live,
});

/** The keys: names with spaces, glob characters, binary bytes and UTF-8 among them; the same names in two databases. */
export const HISTORY_KEYS: readonly FuzzKey[] = [
  key(0, 'str'),
  key(0, 'hash'),
  key(0, 'set'),
  key(0, 'zset'),
  key(0, 'list'),
  key(0, 'shape'),
  key(0, 'stream'),
  key(0, 'a key with spaces'),
  key(0, 'g*?[x]'),
  key(0, '\x00\xff bin\r\n', 'latin1'),
  key(0, 'ünï'),
  key(0, 'never', 'utf8', false),
  key(3, 'str'),
  key(3, 'hash'),
  key(3, 'shape'),
  key(3, 'g*?[x]'),
];

/** The patterns whose matches the server's KEYS records at every point (for `history --match`). */
export const HISTORY_PATTERNS: readonly string[] = ['*', 's*', 'g\\*?\\[*', '*\\ *', '?????', 'h[a-z]sh', '*[^a-z]*'];

/** What the server held of a key at a point (`type` undefined: not there). */
export interface KeyTruth {
  readonly type?: string;
  /** sha256 of the server's replies for the value (unordered ones sorted). */
  readonly digest?: string;
  /** Elements (bytes of a string). */
  readonly size?: number;
  /** PEXPIRETIME: -1 none. */
  readonly expireAtMs?: number;
  readonly encoding?: string;
}

/** One saved point. */
export interface TruthPoint {
  readonly file: string;
  readonly at: number;
  /** `${db}:${hex name}` → what the server held. */
  readonly keys: ReadonlyMap<string, KeyTruth>;
  /** `${db}:${pattern}` → hex names KEYS matched. */
  readonly matched: ReadonlyMap<string, readonly string[]>;
  /** What the step before the save did (for a failure's message). */
  readonly did: readonly string[];
}

export const truthId = (k: { readonly db: number; readonly name: Buffer }): string => `${k.db}:${k.name.toString('hex')}`;

const sha = (parts: readonly (Buffer | string)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) {
    const b = Buffer.isBuffer(p) ? p : Buffer.from(p);
    h.update(`${b.length}:`);
    h.update(b);
  }
  return h.digest('hex');
};

const pairs = (flat: readonly Buffer[]): [Buffer, Buffer][] => {
  const out: [Buffer, Buffer][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

/** What the server answers for one key now (the oracle). */
async function readTruth(c: Redis, name: Buffer): Promise<KeyTruth> {
  const type = await c.type(name);
  if (type === 'none') return {};
  const expireAtMs = Number(await c.call('PEXPIRETIME', name));
  const encoding = String(await c.call('OBJECT', 'ENCODING', name));
  let parts: (Buffer | string)[];
  let size: number;
  switch (type) {
    case 'string': {
      const v = (await c.getBuffer(name))!;
      parts = [v];
      size = v.length;
      break;
    }
    case 'hash': {
      // Raw pairs: hgetallBuffer keys its object by field strings, which loses binary fields.
      const raw = pairs((await c.callBuffer('HGETALL', name)) as Buffer[]);
      size = raw.length;
      parts = raw.sort((a, b) => Buffer.compare(a[0], b[0])).flat();
      break;
    }
    case 'set': {
      const members = (await c.smembersBuffer(name)).sort(Buffer.compare);
      parts = members;
      size = members.length;
      break;
    }
    case 'zset': {
      const entries = pairs((await c.callBuffer('ZRANGE', name, '0', '-1', 'WITHSCORES')) as Buffer[]);
      parts = entries.sort((a, b) => Buffer.compare(a[0], b[0])).flat();
      size = entries.length;
      break;
    }
    case 'list': {
      parts = await c.lrangeBuffer(name, 0, -1);
      size = parts.length;
      break;
    }
    case 'stream': {
      const entries = (await c.callBuffer('XRANGE', name, '-', '+')) as [Buffer, Buffer[]][];
      parts = entries.flatMap(([id, f]) => [id, String(f.length), ...f]);
      size = entries.length;
      break;
    }
    default:
      throw new Error(`history-fuzz: a ${type} key it never writes`);
  }
  return { type, digest: sha([type, ...parts]), size, expireAtMs, encoding };
}

/** `n` names `tag`0… (with `score`, each after its score, as ZADD takes them). */
const bulk = (n: number, tag: string, score = false): string[] =>
  Array.from({ length: n }, (_, i) => (score ? [String(i), `${tag}${i}`] : [`${tag}${i}`])).flat();

/** A seeded step: a few changes to random keys, described for a failure's message. */
function stepMaker(seed: number, clients: ReadonlyMap<number, Redis>) {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const live = HISTORY_KEYS.filter((k) => k.live);
  let xid = 1;
  // A bulk added to a value (its encoding grown) is taken off at the next step: the value as it was, in the grown encoding.
  let undo: { c: Redis; name: Buffer; type: string; run: () => Promise<unknown>; what: string }[] = [];
  return async (at: number, hour: number): Promise<string[]> => {
    const did: string[] = [];
    for (const u of undo) {
      // Not when a later change of that step made it another value (a type of its own, deleted).
      if ((await u.c.type(u.name)) !== u.type) continue;
      await u.run();
      did.push(u.what);
    }
    undo = [];
    const script = PROLOGUE[hour];
    if (script) {
      for (const [db, cmd] of script) await clients.get(db)!.call(cmd[0]!, ...cmd.slice(1));
      return [...did, ...script.map(([db, cmd]) => `db${db}: ${cmd.slice(0, 3).join(' ')}…`)];
    }
    const changes = 2 + Math.floor(rnd() * 5);
    for (let n = 0; n < changes; n++) {
      const k = pick(live);
      const c = clients.get(k.db)!;
      const name = k.name;
      const type = await c.type(name);
      const r = rnd();
      const op = pick(['string', 'string', 'hash', 'set', 'zset', 'list', 'stream', 'ttl', 'ttl', 'del', 'same'] as const);
      // Keys named for a type keep to it mostly; 'shape' and the others take any (a string that becomes a hash).
      const kind = op === 'ttl' || op === 'del' || op === 'same' ? op : k.name.toString() === 'shape' || r < 0.25 ? op : typeFor(k, op);
      // Another type: deleted first (a string's SET replaces any type, so half the time it does that itself).
      if (type !== 'none' && kind !== 'ttl' && kind !== 'del' && kind !== 'same' && type !== kind && (kind !== 'string' || rnd() < 0.5)) {
        await c.del(name);
        did.push(`del ${label(k)} (was ${type})`);
      }
      const now = await c.type(name);
      switch (kind) {
        case 'string': {
          const v = pick(['v1', 'v2', '12345', 'x'.repeat(60), 'y'.repeat(3000), '']);
          const how = rnd();
          if (how < 0.2 && now === 'string') {
            // The same value, another encoding (an APPEND makes an embstr or int string raw).
            await c.append(name, '');
            did.push(`append ${label(k)} ''`);
            break;
          }
          if (how < 0.45) await c.set(name, v, 'KEEPTTL');
          else await c.set(name, v);
          did.push(`set ${label(k)} ${v.slice(0, 8)}(${v.length})${how < 0.45 ? ' keepttl' : ''}`);
          break;
        }
        case 'hash':
        case 'set':
        case 'zset':
        case 'list': {
          if (now === kind && rnd() < 0.5) {
            // Grown past its small encoding; taken off at the next step (the value as it was, in the grown one).
            const g = GROWN[kind];
            await c.call(g.grow[0]!, name, ...g.grow.slice(1));
            undo.push({ c, name, type: kind, run: () => c.call(g.shrink[0]!, name, ...g.shrink.slice(1)), what: `${g.shrink[0]} ${label(k)} bulk` });
            did.push(`${g.grow[0]} ${label(k)} bulk`);
          } else {
            const args = smallChange(kind, pick);
            await c.call(args[0]!, name, ...args.slice(1));
            did.push(`${args[0]} ${label(k)} ${args.slice(1).join(' ').slice(0, 20)}`);
          }
          break;
        }
        case 'stream': {
          await c.xadd(name, `${xid++}-0`, 'f', pick(['a', 'b']));
          did.push(`xadd ${label(k)}`);
          break;
        }
        case 'ttl': {
          if (now === 'none') break;
          // Off the hour: half an hour (gone by the next point), 1.5 h, 5.5 h, 100.5 h; or none.
          const hours = pick([0.5, 1.5, 5.5, 100.5, -1]);
          if (hours < 0) await c.persist(name);
          else await c.pexpireat(name, at + hours * 3_600_000);
          did.push(hours < 0 ? `persist ${label(k)}` : `pexpireat ${label(k)} point ${hour}+${hours}h`);
          break;
        }
        case 'del':
          await c.del(name);
          did.push(`del ${label(k)}`);
          break;
        case 'same': {
          // An overwrite with the very value it holds (a string): a point that must read "same".
          if (now !== 'string') break;
          const v = (await c.getBuffer(name))!;
          await c.set(name, v, 'KEEPTTL');
          did.push(`set ${label(k)} (same value)`);
          break;
        }
      }
    }
    return did;
  };
}

/**
 * The first three points of every seed, before its generated steps: values in their small encodings, the same
 * grown past them (intset, listpack → hashtable, skiplist; an APPEND making a string raw), then shrunk back to
 * the very values of the first point in the grown encodings: equal digests across encodings are met at every seed.
 */
/** A value grown past its small encoding (listpack or intset → hashtable, listpack → skiplist, a longer quicklist), and the command that takes that bulk off again, each without its key. */
const GROWN: Readonly<Record<'hash' | 'set' | 'zset' | 'list', { readonly grow: readonly string[]; readonly shrink: readonly string[] }>> = {
  hash: { grow: ['HSET', ...bulk(600, 'bulk').flatMap((f) => [f, '1'])], shrink: ['HDEL', ...bulk(600, 'bulk')] },
  set: { grow: ['SADD', ...bulk(600, '5')], shrink: ['SREM', ...bulk(600, '5')] },
  zset: { grow: ['ZADD', ...bulk(200, 'z', true)], shrink: ['ZREM', ...bulk(200, 'z')] },
  list: { grow: ['RPUSH', ...bulk(200, 'item-'.repeat(4))], shrink: ['LTRIM', '0', '-201'] },
};

/** A small change of a value of `type`, without its key. */
function smallChange(type: keyof typeof GROWN, pick: <T>(xs: readonly T[]) => T): string[] {
  switch (type) {
    case 'hash':
      return ['HSET', pick(['f0', 'f1', 'f2', '\x00f']), pick(['a', 'b', 'z'.repeat(100)])];
    case 'set':
      // Two members: a set of several, whose order an intset (numeric), a hashtable (the dict's) and bytes (10 < 9) each give otherwise.
      return ['SADD', pick(['1', '9', '10', '700', '-5', '99999', 'm']), pick(['2', '9', '10', '-5', 'n'])];
    case 'zset':
      return ['ZADD', pick(['1', '1.5', '-2', 'inf']), pick(['a', 'b', 'c'])];
    case 'list':
      return [pick(['LPUSH', 'RPUSH']), pick(['a', 'b'])];
  }
}

const withKey = (key: string, [cmd, ...args]: readonly string[]): string[] => [cmd!, key, ...args];

/**
 * The first three points of every seed, before its generated steps: values in their small encodings, the same
 * grown past them (intset, listpack → hashtable, skiplist; an APPEND making a string raw), then shrunk back to
 * the very values of the first point in the grown encodings: equal digests across encodings are met at every seed.
 */
const PROLOGUE: readonly (readonly (readonly [number, readonly string[]])[])[] = [
  [
    [0, ['SADD', 'set', '9', '10', '-5', '700']],
    [0, ['HSET', 'hash', 'f0', 'a', 'f1', 'b', 'f2', 'c']],
    [0, ['ZADD', 'zset', '1', 'a', '2', 'b', '1.5', 'c']],
    [0, ['SET', 'str', '12345']],
    [3, ['SET', 'str', 'v1']],
  ],
  [...(['set', 'hash', 'zset'] as const).map((t) => [0, withKey(t, GROWN[t].grow)] as const), [0, ['APPEND', 'str', '']], [3, ['APPEND', 'str', '']]],
  (['set', 'hash', 'zset'] as const).map((t) => [0, withKey(t, GROWN[t].shrink)] as const),
];

function typeFor(k: FuzzKey, op: string): string {
  const n = k.name.toString('latin1');
  for (const t of ['hash', 'zset', 'set', 'list', 'stream', 'str'] as const) if (n === t) return t === 'str' ? 'string' : t;
  return op;
}

export const label = (k: { readonly db: number; readonly name: Buffer }): string => `db${k.db}:${JSON.stringify(k.name.toString('latin1'))}`;

/** The points' times: an hour apart from 2031-03-02 00:00 UTC (in the future, so an expiry relative to them is kept). */
export const pointTime = (i: number): number => Date.UTC(2031, 2, 2) + i * 3_600_000;

/** A target's backup file name at point `i`. */
export const pointFile = (i: number): string => backupFileName('fuzz', new Date(pointTime(i)));

/**
 * Runs `steps` seeded steps on `server`, after each a BGSAVE copied into
 * `destDir` as point i (its ctime set to the point's time); `atPoint` runs while the server still holds that
 * point's data (compare it live). Returns the truth per point.
 */
export async function generateHistory(
  server: RedisServer,
  destDir: string,
  seed: number,
  steps: number,
  atPoint?: (i: number, file: string) => Promise<void>,
): Promise<TruthPoint[]> {
  mkdirSync(destDir, { recursive: true });
  const dbs = [...new Set(HISTORY_KEYS.map((k) => k.db))];
  const clients = new Map<number, Redis>();
  for (const db of dbs) {
    const c = server.client();
    await c.select(db);
    clients.set(db, c);
  }
  const step = stepMaker(seed, clients);
  const points: TruthPoint[] = [];
  for (let i = 0; i < steps; i++) {
    const did = await step(pointTime(i), i);
    const keys = new Map<string, KeyTruth>();
    for (const k of HISTORY_KEYS) keys.set(truthId(k), await readTruth(clients.get(k.db)!, k.name));
    const matched = new Map<string, string[]>();
    for (const db of dbs)
      for (const p of HISTORY_PATTERNS) matched.set(`${db}:${p}`, (await clients.get(db)!.keysBuffer(p)).map((b) => b.toString('hex')).sort());
    await bgsave(server, clients.get(0)!);
    // Saved, as the file says (its ctime), at the point's time: history judges expiries at the save.
    writeFileSync(join(destDir, pointFile(i)), savedAt(readFileSync(server.rdbPath), pointTime(i)));
    await atPoint?.(i, join(destDir, pointFile(i)));
    points.push({ file: pointFile(i), at: pointTime(i), keys, matched, did });
  }
  return points;
}
