/**
 * The keyspace commands (EXISTS, TYPE, TTL, DUMP, KEYS, DBSIZE) and the
 * SCAN family, answered from the index alone where the index has the answer
 * (names, types, expiries); values are read only for DUMP and the
 * collection scans.
 */
import { GlobSlices } from '../keys/glob.js';
import { dumpPayload, dumpPayloadVersion } from '../rdb/format/dump-payload.js';
import { referencesTemplate } from '../rdb/format/template-ref.js';
import { writePlainValue } from '../rdb/write/encode-value.js';
import { RdbOut } from '../rdb/write/rdb-out.js';
import type { KeyValue } from '../rdb/fingerprint.js';
import {
  type CommandSpec,
  hashesGone,
  isReply,
  liveAt,
  lookup,
  readHashesIn,
  type ServeContext,
  type Session,
  SLICE_MS,
  typed,
  valueAt,
  whenRead,
} from './context.js';
import { typeNameOf } from './key-index.js';
import { COMPACT_ENCODINGS, changedOnLoad, loadedEncoding } from './loaded-encoding.js';
import { R, type Reply } from './resp.js';
import { ERR, formatDouble, parseInteger, scoreValue } from './reply-text.js';

function ttl(unit: 1 | 1000, absolute: boolean): CommandSpec {
  return {
    arity: 2,
    run(ctx, s, [, key]) {
      const pos = lookup(ctx, s.db, key!);
      if (pos < 0) return R.int(-2);
      const at = ctx.index.expireAtMs(s.db, pos);
      if (at === null) return R.int(-1);
      // Redis rounds the seconds to the nearest, the absolute ones (EXPIRETIME) as the left ones (TTL): ttlGenericCommand's (ttl+500)/1000.
      const ms = absolute ? at : Math.max(0, at - ctx.now());
      return R.int(unit === 1 ? ms : Math.floor((ms + 500) / 1000));
    },
  };
}

/**
 * Steps of matching in one slice of a KEYS or SCAN walk (a pattern token tried against a key byte; a run of
 * plain bytes searched costs its length): about half a millisecond of CPU. A long pattern against long keys
 * ends its slice here; a walk over many short keys ends it by the clock ({@link SLICE_MS}).
 */
export const SLICE_STEPS = 1 << 18;

/**
 * Keys visited between two looks at the clock: a visit (the name read, its expiry, the reply's item) costs
 * 150–400 ns of CPU, against one step's 2 ns, so the steps alone let a slice over short keys run 262,144 of
 * them (35–55 ms, review 22). Looking at the clock every 256 visits costs no CPU one can measure; charging a
 * visit 128 steps (the other way) cost about 10 % more CPU over 1M keys, its slices being twice as many.
 */
const CLOCK_VISITS = 256;

/**
 * Walks positions [from, to) (a database's keys, a collection's members) in order and hands `take` each
 * one whose name the pattern matches (none: every one). The walk goes in slices of {@link SLICE_MS} on
 * ctx.clock, or {@link SLICE_STEPS} of matching, whichever ends first, and lets the event loop turn between
 * them (ctx.turn): a long pattern against long keys (bounded by pattern × key bytes, as on 7.0, where it
 * holds the server) or a KEYS over millions of keys holds up no other client, and a SIGTERM is heard; one
 * key's match may itself be cut into slices. At once (no promise) when the walk takes one slice. The walk
 * of a connection that has closed stops.
 */
export function walkMatching(
  ctx: Pick<ServeContext, 'turn' | 'clock'>,
  s: Pick<Session, 'gone'>,
  [from, to]: readonly [number, number],
  nameAt: (pos: number) => Buffer,
  pattern: Buffer | undefined,
  take: (pos: number, name: Buffer) => void,
): undefined | Promise<void> {
  const glob = new GlobSlices(pattern ?? Buffer.from('*'));
  const clock = ctx.turn ? ctx.clock : undefined;
  let pos = from;
  /** The name whose match a slice ended in the middle of. */
  let name: Buffer | undefined;
  let visits = 0;
  /** One slice; true when the walk is done. */
  const slice = (): boolean => {
    glob.slice(ctx.turn ? SLICE_STEPS : Number.POSITIVE_INFINITY);
    const until = clock ? clock() + SLICE_MS : Number.POSITIVE_INFINITY;
    for (; pos < to; pos++) {
      name ??= nameAt(pos);
      glob.spend(1);
      const matched = glob.test(name);
      if (matched === undefined) return false;
      if (matched) take(pos, name);
      name = undefined;
      if (glob.spent || (++visits % CLOCK_VISITS === 0 && clock !== undefined && clock() >= until)) return ++pos >= to;
    }
    return true;
  };
  if (slice()) return undefined;
  const turn = ctx.turn!;
  return (async () => {
    do {
      await turn();
      if (s.gone) throw new Error('the connection closed');
    } while (!slice());
  })();
}

/** SCAN's and the collection scans' options: MATCH, COUNT, and (SCAN only) TYPE. */
function scanOptions(args: readonly Buffer[], withType: boolean): { pattern?: Buffer; count: number; type?: string } | Reply {
  const out: { pattern?: Buffer; count: number; type?: string } = { count: 10 };
  for (let i = 0; i < args.length; i += 2) {
    const opt = args[i]!.toString('latin1').toLowerCase();
    const arg = args[i + 1];
    if (arg === undefined) return R.error(ERR.syntax);
    if (opt === 'count') {
      const n = parseInteger(arg);
      if (n === undefined) return R.error(ERR.notInteger);
      if (n < 1) return R.error(ERR.syntax);
      out.count = n;
    } else if (opt === 'match') {
      const pattern = arg.toString('latin1');
      // `*` alone matches everything: no pattern to run.
      if (pattern !== '*') out.pattern = arg;
    } else if (opt === 'type' && withType) out.type = arg.toString('latin1').toLowerCase();
    else return R.error(ERR.syntax);
  }
  return out;
}

/** A cursor: an unsigned decimal (SCAN's cursor is a position in the index's order here: the file's; an RDRKEYS2 index's, name order). */
/**
 * A SCAN cursor as Redis 7.0 reads it (parseScanCursorOrReply: C's strtoul,
 * base 10): a sign and digits up to 2^64 - 1 (a negative one wraps, an empty
 * text is 0), no leading whitespace. Undefined when it refuses it.
 */
function cursorOf(arg: Buffer): number | undefined {
  const s = arg.toString('latin1');
  if (s === '') return 0;
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (!m) return undefined;
  const n = BigInt(m[2]!);
  if (n > 2n ** 64n - 1n) return undefined;
  return Number(m[1] === '-' && n !== 0n ? 2n ** 64n - n : n);
}

/** Whether a Redis 7.0 server that loads `v` holds it compact (loaded-encoding.ts): a listpack or an intset. */
export function loadsCompact(type: number, v: KeyValue): boolean {
  return COMPACT_ENCODINGS.has(loadedEncoding(type, v));
}

/**
 * A score as ZSCAN answers it: a listpack's stored text (d2string: an
 * integral score within 64 bits in integer digits), a skiplist's as
 * `%.17g`.
 */
function scanScore(score: string, compact: boolean): string {
  const v = scoreValue(score);
  return compact && Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : formatDouble(v);
}

/** EXISTS and TOUCH: how many of the keys named are there (a key named twice counted twice). */
function keysThere(ctx: ServeContext, s: Session, args: Buffer[]): Reply {
  return R.int(args.slice(1).filter((k) => lookup(ctx, s.db, k) >= 0).length);
}

/** Whether the key is there at `now`: one instant for a whole KEYS or SCAN, as 7.0 takes the time once a command (its walk may span slices here). */
function notExpired(ctx: ServeContext, db: number, pos: number, now: number): boolean {
  return liveAt(ctx, db, pos, now);
}

type Scanned = Extract<KeyValue, { type: 'hash' | 'set' | 'zset' }>;

/**
 * What a collection scan walks: its size, and its i-th element (a name, and a hash field's value, a member's score, or
 * null): a compact value in the loaded server's order (a listpack's by score then member, an intset's by value), made
 * whole (it is small); a big one's read where it stands, a page's elements alone (each page made the whole value's
 * list: paging through a big hash with COUNT 10 was quadratic).
 */
function scanned(v: Scanned, whole: boolean): { size: number; at(i: number): readonly [Buffer, Buffer | string | null] } {
  if (v.type === 'hash') return { size: v.fields.length, at: (i) => v.fields[i]! };
  if (v.type === 'zset') {
    const entries = whole ? [...v.entries].sort((a, b) => scoreValue(a[1]) - scoreValue(b[1]) || Buffer.compare(a[0], b[0])) : v.entries;
    return { size: entries.length, at: (i) => [entries[i]![0], scanScore(entries[i]![1], whole)] };
  }
  const members =
    whole && v.members.every((m) => parseInteger(m) !== undefined)
      ? [...v.members].sort((a, b) => (BigInt(a.toString('latin1')) < BigInt(b.toString('latin1')) ? -1 : 1))
      : v.members;
  return { size: members.length, at: (i) => [members[i]!, null] };
}

/** HSCAN, SSCAN, ZSCAN: a compact value whole (cursor 0), a big one `count` elements from the cursor on. */
function collectionScan(type: 'hash' | 'set' | 'zset'): CommandSpec {
  return {
    arity: -3,
    async run(ctx, s, [, key, cursorArg, ...rest]) {
      const cursor = cursorOf(cursorArg!);
      if (cursor === undefined) return R.error(ERR.invalidCursor);
      // 7.0's order (t_set.c sscanCommand and kin): the cursor, the key (missing: an empty scan; WRONGTYPE), then the options.
      const v = await typed(ctx, s, key!, type);
      if (isReply(v)) return v;
      if (v === null) return R.array([R.bulk('0'), R.array([])]);
      const opts = scanOptions(rest, false);
      if (isReply(opts)) return opts;
      const whole = loadsCompact(ctx.index.typeAt(s.db, lookup(ctx, s.db, key!)), v);
      const { size, at } = scanned(v, whole);
      const from = whole ? 0 : cursor;
      const to = whole ? size : Math.min(size, from + opts.count);
      // Matched in slices, as KEYS: a big collection scanned with a great COUNT and a long pattern holds up no one.
      const out: (Buffer | string)[] = [];
      const walk = walkMatching(
        ctx,
        s,
        [from, to],
        (i) => at(i)[0],
        opts.pattern,
        (i, k) => {
          const x = at(i)[1];
          out.push(k);
          if (x !== null) out.push(x);
        },
      );
      return whenRead(walk, () => R.array([R.bulk(String(to >= size ? 0 : to)), R.bulks(out)]));
    },
  };
}

export const KEYSPACE_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  exists: { arity: -2, run: keysThere },
  // A read on 7.0 (flags readonly, fast: a read-only replica answers it): the keys there, their access time left alone here.
  touch: { arity: -2, run: keysThere },
  type: {
    arity: 2,
    async run(ctx, s, [, key]) {
      const pos = lookup(ctx, s.db, key!);
      if (pos < 0) return R.simple('none');
      const type = ctx.index.typeAt(s.db, pos);
      if (type !== 6 && type !== 7) return R.simple(typeNameOf(type));
      // A module value's TYPE is its module type's name (ReJSON-RL).
      const v = await valueAt(ctx, s.db, pos);
      return R.simple(v.type === 'other' ? v.typeName : v.type);
    },
  },
  ttl: ttl(1000, false),
  pttl: ttl(1, false),
  expiretime: ttl(1000, true),
  pexpiretime: ttl(1, true),
  dump: {
    arity: 2,
    async run(ctx, s, [, key]) {
      const pos = lookup(ctx, s.db, key!);
      if (pos < 0) return R.null;
      const payload = await ctx.payload(ctx.index.entry(s.db, pos));
      // A value the server changes as it loads it (loaded-encoding.ts asLoaded): written as it holds it, not as stored.
      // Only a sorted set small enough to load into a listpack can be one (128 entries of 64 bytes at most: its payload
      // well under 64 KiB), so a big one's DUMP is not decoded for it.
      const loaded = (payload[0] === 3 || payload[0] === 5) && payload.length < 65_536 ? await valueAt(ctx, s.db, pos) : undefined;
      if (!referencesTemplate(payload[0]!) && !(loaded && changedOnLoad(loaded))) return R.bulk(payload);
      // A Redis 8.10 hash whose field names are a template of its file: its payload does not stand alone (the names are
      // the file's), so the plain hash it stands for, as a server's DUMP of it stands alone (Redis 8.10's is self-contained).
      const out = new RdbOut(payload.length + 64);
      const type = writePlainValue(await valueAt(ctx, s.db, pos), out);
      return R.bulk(Buffer.from(dumpPayload(type, out.take(), dumpPayloadVersion(payload))));
    },
  },
  dbsize: {
    arity: 1,
    run(ctx, s) {
      return whenRead(liveKeys(ctx, s.db), (live) => R.int(live.keys));
    },
  },
  keys: {
    arity: 2,
    run(ctx, s, [, pattern]) {
      // The hashes with field TTLs of the database read first (an S3 copy's: as met), so the walk below asks none.
      const reading = readHashesIn(ctx, s.db, 0, ctx.index.size(s.db));
      if (reading) return reading.then(() => KEYSPACE_COMMANDS.keys!.run(ctx, s, [Buffer.from('keys'), pattern!]));
      const now = ctx.now();
      // The reply's items made as the walk goes (in its slices), not a million at once after it.
      const out: Reply[] = [];
      const walk = walkMatching(
        ctx,
        s,
        [0, ctx.index.size(s.db)],
        (pos) => ctx.index.nameAt(s.db, pos),
        pattern!,
        (pos, name) => {
          if (notExpired(ctx, s.db, pos, now)) out.push(R.bulk(name));
        },
      );
      return whenRead(walk, () => R.array(out));
    },
  },
  scan: {
    arity: -2,
    run(ctx, s, [, cursorArg, ...rest]) {
      const cursor = cursorOf(cursorArg!);
      if (cursor === undefined) return R.error(ERR.invalidCursor);
      const opts = scanOptions(rest, true);
      if (isReply(opts)) return opts;
      const size = ctx.index.size(s.db);
      const to = Math.min(size, cursor + opts.count);
      const reading = readHashesIn(ctx, s.db, Math.min(cursor, size), to);
      if (reading) return reading.then(() => KEYSPACE_COMMANDS.scan!.run(ctx, s, [cursorArg!, cursorArg!, ...rest]));
      const now = ctx.now();
      const out: Reply[] = [];
      const walk = walkMatching(
        ctx,
        s,
        [cursor, to],
        (pos) => ctx.index.nameAt(s.db, pos),
        opts.pattern,
        (pos, name) => {
          if ((!opts.type || typeNameOf(ctx.index.typeAt(s.db, pos)) === opts.type) && notExpired(ctx, s.db, pos, now)) out.push(R.bulk(name));
        },
      );
      return whenRead(walk, () => R.array([R.bulk(String(to >= size ? 0 : to)), R.array(out)]));
    },
  },
  hscan: collectionScan('hash'),
  sscan: collectionScan('set'),
  zscan: collectionScan('zset'),
};

/** What {@link liveKeys} answers. */
export interface LiveKeys {
  readonly keys: number;
  readonly expires: number;
  readonly avgTtlMs: number;
}

/**
 * The keys of `db` a server loading the file now would hold, and how many of them expire; the mean TTL of those (ms).
 * A promise when hashes with field TTLs must be read first (an S3 copy's, at the first call: see FieldTtlHashes).
 */
export function liveKeys(ctx: ServeContext, db: number): LiveKeys | Promise<LiveKeys> {
  const now = ctx.now();
  const e = ctx.index.expiries(db, now);
  return whenRead(hashesGone(ctx, db, now), (gone) => ({
    keys: ctx.index.size(db) - e.expired - gone,
    expires: e.live,
    avgTtlMs: e.live === 0 ? 0 : Math.round(e.ttlSumMs / e.live),
  }));
}
