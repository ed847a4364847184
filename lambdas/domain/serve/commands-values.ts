/**
 * The read commands of strings, hashes, lists and sets, as a Redis 7.0
 * server answers them (argument checks and edge cases from src/t_string.c,
 * t_hash.c, t_list.c and t_set.c).
 */
import { type CommandSpec, isReply, lookup, type ServeContext, type Session, type Typed, typed, typedAsStored, valueAt, whenRead } from './context.js';
import { fieldPlace, isMember, setMembers } from './member-lookup.js';
import { loadsCompact } from './commands-keyspace.js';
import { HllMerge, pfcountOne } from './hyperloglog.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger } from './reply-text.js';
import { typeNameOf } from './key-index.js';
import { countCommand } from './stored-count.js';
import { STRING_HEAD_BYTES, stringHeader, ValueTooBig } from './value-limit.js';

/** Redis's range of `[start, end]` over `len` items (LRANGE, GETRANGE's list form): [from, to) or empty. */
export function listRange(start: number, end: number, len: number): [number, number] {
  let a = start < 0 ? len + start : start;
  let b = end < 0 ? len + end : end;
  if (a < 0) a = 0;
  if (a > b || a >= len) return [0, 0];
  if (b >= len) b = len - 1;
  return [a, b + 1];
}

/** Integer arguments, or the reply Redis gives for the first that is none. */
function integers(args: readonly Buffer[]): number[] | Reply {
  const out: number[] = [];
  for (const a of args) {
    const n = parseInteger(a);
    if (n === undefined) return R.error(ERR.notInteger);
    out.push(n);
  }
  return out;
}

/**
 * The value of `field` in the hash as stored (typedAsStored), or undefined: no such field, or its TTL passed (as
 * context.ts liveHash takes it: `expireAt < now`). A hash with no field left answers so for each: as no key there.
 */
function liveField(ctx: Pick<ServeContext, 'cache' | 'now'>, v: Typed<'hash'>, field: Buffer): Buffer | undefined {
  if (v === null || isReply(v)) return undefined;
  const i = fieldPlace(ctx, v, field);
  if (i < 0) return undefined;
  const at = v.fieldExpireAtMs?.[i] ?? null;
  return at !== null && at < ctx.now() ? undefined : v.fields[i]![1];
}

/** HTTL's and its kin's `FIELDS numfields field …` as Redis 7.4+ checks it (t_hash.c httlGenericCommand, after WRONGTYPE): the fields, or the error. */
function redisFieldList(args: readonly Buffer[]): Buffer[] | Reply {
  if (args[2]!.toString('latin1').toLowerCase() !== 'fields') return R.error('ERR Mandatory argument FIELDS is missing or not at the right position');
  const n = parseInteger(args[3]!);
  if (n === undefined || n < 1) return R.error('ERR Number of fields must be a positive integer');
  if (n !== args.length - 4) return R.error('ERR The `numfields` parameter must match the number of arguments');
  return args.slice(4);
}

/** The same as Valkey 9 checks it (t_hash.c httlGenericCommand, before the key is looked up): its FIELDS token not read. */
function valkeyFieldList(args: readonly Buffer[]): Buffer[] | Reply {
  const n = parseInteger(args[3]!);
  if (n === undefined) return R.error(ERR.notInteger);
  if (n === 0 || n !== args.length - 4) return R.error(ERR.syntax);
  return args.slice(4);
}

/**
 * HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME (Redis 7.4, Valkey 9): per field asked, -2 (no such field, or no key), -1 (no
 * TTL), or its TTL (`unit` 1000: seconds) left or absolute. Redis rounds seconds up ((t + 999 − base) / 1000) and takes a
 * field of a compact hash (listpack) as gone when its expiry is now (`<=`, its hash table `<`: the field reads hid are those
 * past, context.ts); Valkey rounds to the nearest ((t − base + 500) / 1000, never below 0) and checks the count first.
 */
function fieldTtl(unit: 1 | 1000, absolute: boolean): CommandSpec {
  return {
    arity: -5,
    async run(ctx, s, args) {
      const valkey = ctx.about.valkey === true;
      const checked = valkey ? valkeyFieldList(args) : undefined;
      if (checked && isReply(checked)) return checked;
      // The hash as a server holds it now (its fields past their TTL gone): the encoding it loads as follows from those left.
      const v = await typed(ctx, s, args[1]!, 'hash');
      if (isReply(v)) return v;
      const fields = checked ?? redisFieldList(args);
      if (isReply(fields)) return fields;
      const now = ctx.now();
      const base = absolute ? 0 : now;
      const compact = v !== null && !valkey && loadsCompact(ctx.index.typeAt(s.db, lookup(ctx, s.db, args[1]!)), v);
      return R.array(
        fields.map((f) => {
          const i = v ? fieldPlace(ctx, v, f) : -1;
          if (i < 0) return R.int(-2);
          const at = v!.fieldExpireAtMs?.[i] ?? null;
          if (at === null) return R.int(-1);
          if (compact && at <= now) return R.int(-2);
          if (valkey) {
            const left = Math.max(0, at - base);
            return R.int(unit === 1 ? left : Math.floor((left + 500) / 1000));
          }
          return R.int(unit === 1 ? at - base : Math.floor((at + 999 - base) / 1000));
        }),
      );
    },
  };
}

/** An option's integer as Redis's getRangeLongFromObjectOrReply takes it: in [min, max], else `msg` (or its own words when none). */
export function longIn(arg: Buffer, min: number, max: number, msg?: string): number | Reply {
  const n = parseInteger(arg);
  if (n === undefined) return R.error(msg ?? ERR.notInteger);
  if (n < min || n > max) return R.error(msg ?? `ERR value is out of range, value must between ${min} and ${max}`);
  return n;
}

const LONG_MAX = 2 ** 63 - 1;
const LONG_MIN = -(2 ** 63);

/** Set bits of `b[from..to]` (inclusive). */
function popcount(b: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) {
    let x = b[i]!;
    x -= (x >> 1) & 0x55;
    x = (x & 0x33) + ((x >> 2) & 0x33);
    n += (x + (x >> 4)) & 0x0f;
  }
  return n;
}

/** LPOS's options (t_list.c lposCommand), read before the key is: RANK (never 0), COUNT and MAXLEN (never negative). */
function lposOptions(args: readonly Buffer[]): { rank: number; rankMin: boolean; count: number; maxlen: number } | Reply {
  let rank = 1;
  let rankMin = false;
  let count = -1;
  let maxlen = 0;
  for (let j = 0; j < args.length; j++) {
    const opt = args[j]!.toString('latin1').toLowerCase();
    const more = j + 1 < args.length;
    if (opt === 'rank' && more) {
      // -LONG_MAX..LONG_MAX in words; LONG_MIN itself passes (a double holds both as -2^63).
      const r = longIn(args[++j]!, LONG_MIN, LONG_MAX);
      if (isReply(r)) return r;
      if (r === 0)
        return R.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
      rank = r;
      // LONG_MIN told by its text: -LONG_MAX (and its neighbours) round to the same double, but 7.0 reads them as ranks
      // never reached (nil), not as LONG_MIN's overflow (string2ll gives LONG_MIN for this one text only).
      rankMin = args[j]!.toString('latin1') === '-9223372036854775808';
    } else if (opt === 'count' && more) {
      const c = longIn(args[++j]!, 0, LONG_MAX, "ERR COUNT can't be negative");
      if (isReply(c)) return c;
      count = c;
    } else if (opt === 'maxlen' && more) {
      const m = longIn(args[++j]!, 0, LONG_MAX, "ERR MAXLEN can't be negative");
      if (isReply(m)) return m;
      maxlen = m;
    } else return R.error(ERR.syntax);
  }
  return { rank, rankMin, count, maxlen };
}

/** A set's members by their latin1 text (member-lookup.ts setMembers). */
type Members = ReadonlyMap<string, number>;

/** The sets named, each read and type-checked in turn (a missing key: null), or the first WRONGTYPE. */
async function setsOf(ctx: ServeContext, s: Session, keys: readonly Buffer[]): Promise<(Members | null)[] | Reply> {
  const out: (Members | null)[] = [];
  for (const key of keys) {
    const v = await typed(ctx, s, key, 'set');
    if (isReply(v)) return v;
    // A held set's own map (member-lookup.ts), not one made at each request: SINTER of a small set with a big one costs the small one.
    out.push(v === null ? null : setMembers(ctx, v));
  }
  return out;
}

/** SINTER's members: none when a set is missing (t_set.c sinterGenericCommand), `limit` (0: all) at most. */
function intersection(sets: readonly (Members | null)[], limit = 0): string[] {
  if (sets.some((x) => x === null)) return [];
  const [smallest, ...rest] = [...(sets as Members[])].sort((a, b) => a.size - b.size);
  const out: string[] = [];
  for (const m of smallest?.keys() ?? []) {
    if (rest.every((x) => x.has(m))) out.push(m);
    if (limit > 0 && out.length === limit) break;
  }
  return out;
}

/** SINTER, SUNION or SDIFF: every key read and type-checked (t_set.c), then `combine`d; a set reply (hash-table order on a server). */
function setOperation(combine: (sets: readonly (Members | null)[]) => string[]): CommandSpec {
  return {
    arity: -2,
    async run(ctx, s, [, ...keys]) {
      const sets = await setsOf(ctx, s, keys);
      return isReply(sets) ? sets : R.set(combine(sets).map((m) => R.bulk(Buffer.from(m, 'latin1'))));
    },
  };
}

/**
 * The header of the string at `pos` (its length; where a plain one's bytes start) from the few bytes the file stores
 * first (ctx.stored): a string over proto-max-bulk-len has one too. Undefined where it cannot be read so (no
 * ctx.stored, a head cut short): the value is read then.
 */
export function stringHeaderAt(ctx: ServeContext, db: number, pos: number): ReturnType<typeof stringHeader> | Promise<ReturnType<typeof stringHeader>> {
  if (!ctx.stored) return undefined;
  const key = ctx.index.entry(db, pos);
  return whenRead(ctx.stored(key, 0, STRING_HEAD_BYTES), stringHeader);
}

/** A value this many bytes or more is sliced in the file by GETRANGE (its header read, then the range), not read whole. */
const SLICED_BYTES = 64 * 1024;

/** GETRANGE, and SUBSTR (its old name). */
const GETRANGE: CommandSpec = {
  arity: 4,
  async run(ctx, s, [, key, ...rest]) {
    const n = integers(rest);
    if (isReply(n)) return n;
    const pos = lookup(ctx, s.db, key!);
    if (pos < 0) return R.bulk('');
    if (typeNameOf(ctx.index.typeAt(s.db, pos)) !== 'string') return R.error(ERR.wrongType);
    const entry = ctx.index.entry(s.db, pos);
    // A plain (not LZF, not integer) string, big or over proto-max-bulk-len: only the range asked is read.
    let head = entry.valueEnd - entry.valueAt >= SLICED_BYTES ? await stringHeaderAt(ctx, s.db, pos) : undefined;
    let v: Typed<'string'> | undefined;
    if (head?.dataAt === undefined)
      try {
        v = await typed(ctx, s, key!, 'string');
      } catch (err) {
        head = err instanceof ValueTooBig ? await stringHeaderAt(ctx, s.db, pos) : undefined;
        if (head?.dataAt === undefined) throw err;
      }
    if (v === null) return R.bulk('');
    if (isReply(v)) return v;
    let [start, end] = n as [number, number];
    const len = v ? v.value.length : head!.length;
    if (start < 0 && end < 0 && start > end) return R.bulk('');
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= len) end = len - 1;
    if (start > end || len === 0) return R.bulk('');
    if (v) return R.bulk(v.value.subarray(start, end + 1));
    return R.bulk(await ctx.stored!(entry, head!.dataAt! + start, head!.dataAt! + end + 1));
  },
};

export const VALUE_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  get: {
    arity: 2,
    // No promise when the value is read at once (a local file): GET is what redis-benchmark times.
    run: (ctx, s, [, key]) => whenRead(typed(ctx, s, key!, 'string'), (v) => (v === null ? R.null : isReply(v) ? v : R.bulk(v.value))),
  },
  mget: {
    arity: -2,
    async run(ctx, s, args) {
      const out: Reply[] = [];
      for (const key of args.slice(1)) {
        const pos = lookup(ctx, s.db, key);
        const v = pos < 0 ? null : await valueAt(ctx, s.db, pos);
        out.push(v?.type === 'string' ? R.bulk(v.value) : R.null);
      }
      return R.array(out);
    },
  },
  strlen: {
    arity: 2,
    async run(ctx, s, [, key]) {
      // From the string's header (a value over proto-max-bulk-len too), else its value.
      const pos = lookup(ctx, s.db, key!);
      if (pos < 0) return R.int(0);
      if (typeNameOf(ctx.index.typeAt(s.db, pos)) !== 'string') return R.error(ERR.wrongType);
      const head = await stringHeaderAt(ctx, s.db, pos);
      if (head) return R.int(head.length);
      const v = await typed(ctx, s, key!, 'string');
      return v === null ? R.int(0) : isReply(v) ? v : R.int(v.value.length);
    },
  },
  getrange: GETRANGE,
  substr: GETRANGE,
  pfcount: {
    arity: -2,
    // hyperloglog.c pfcountCommand: one key's cached count or estimate; several merged; each key checked in the order asked.
    async run(ctx, s, [, ...keys]) {
      const refused = (why: 'not-hll' | 'corrupt') =>
        R.error(why === 'not-hll' ? 'WRONGTYPE Key is not a valid HyperLogLog string value.' : 'INVALIDOBJ Corrupted HLL object detected');
      const stringAt = async (key: Buffer) => {
        const v = await typed(ctx, s, key, 'string');
        return isReply(v) ? v : v === null ? null : v.value;
      };
      if (keys.length === 1) {
        const v = await stringAt(keys[0]!);
        if (v !== null && !(v instanceof Uint8Array)) return v;
        const r = pfcountOne(v);
        return 'count' in r ? R.int(r.count) : refused(r.refused);
      }
      const merge = new HllMerge();
      for (const key of keys) {
        const v = await stringAt(key);
        if (v !== null && !(v instanceof Uint8Array)) return v;
        const why = merge.add(v);
        if (why) return refused(why);
      }
      return R.int(merge.count());
    },
  },
  getbit: {
    arity: 3,
    async run(ctx, s, [, key, offset]) {
      // getBitOffsetFromArgument: 0 up to 512 MB of bits (proto-max-bulk-len), no `#` form here.
      const at = parseInteger(offset!);
      if (at === undefined || at < 0 || at >= 512 * 1024 * 1024 * 8) return R.error('ERR bit offset is not an integer or out of range');
      const v = await typed(ctx, s, key!, 'string');
      if (v === null) return R.int(0);
      if (isReply(v)) return v;
      const byte = Math.floor(at / 8);
      return R.int(byte < v.value.length && v.value[byte]! & (1 << (7 - (at % 8))) ? 1 : 0);
    },
  },
  bitcount: {
    arity: -2,
    async run(ctx, s, [, key, ...rest]) {
      // Redis 7.0 reads the key first: a missing key is 0 whatever the arguments (bitops.c bitcountCommand).
      const v = await typed(ctx, s, key!, 'string');
      if (v === null) return R.int(0);
      if (isReply(v)) return v;
      const b = v.value;
      if (rest.length === 0) return R.int(b.length === 0 ? 0 : popcount(b, 0, b.length - 1));
      if (rest.length !== 2 && rest.length !== 3) return R.error(ERR.syntax);
      const n = integers(rest.slice(0, 2));
      if (isReply(n)) return n;
      let [start, end] = n as [number, number];
      // 7.0.15 answers 0 to a negative range that is empty before it reads the unit (a wrong one is then no error).
      if (start < 0 && end < 0 && start > end) return R.int(0);
      const unit = rest[2]?.toString('latin1').toLowerCase();
      if (unit !== undefined && unit !== 'bit' && unit !== 'byte') return R.error(ERR.syntax);
      const bits = unit === 'bit';
      const total = bits ? b.length * 8 : b.length;
      if (start < 0) start = total + start;
      if (end < 0) end = total + end;
      if (start < 0) start = 0;
      if (end < 0) end = 0;
      if (end >= total) end = total - 1;
      if (start > end) return R.int(0);
      if (!bits) return R.int(popcount(b, start, end));
      // The bits of the edge bytes outside the range taken off again.
      const first = ~((1 << (8 - (start & 7))) - 1) & 0xff;
      const last = (1 << (7 - (end & 7))) - 1;
      const [from, to] = [start >> 3, end >> 3];
      const edges = Buffer.from([b[from]! & first, b[to]! & last]);
      return R.int(popcount(b, from, to) - popcount(edges, 0, 1));
    },
  },
  hget: {
    arity: 3,
    async run(ctx, s, [, key, field]) {
      const v = await typedAsStored(ctx, s, key!, 'hash');
      if (isReply(v)) return v;
      const x = liveField(ctx, v, field!);
      return x ? R.bulk(x) : R.null;
    },
  },
  hmget: {
    arity: -3,
    async run(ctx, s, [, key, ...fields]) {
      const v = await typedAsStored(ctx, s, key!, 'hash');
      if (isReply(v)) return v;
      return R.array(
        fields.map((f) => {
          const x = liveField(ctx, v, f);
          return x ? R.bulk(x) : R.null;
        }),
      );
    },
  },
  hgetall: {
    arity: 2,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'hash');
      if (isReply(v)) return v;
      return R.map((v?.fields ?? []).map(([f, x]) => [R.bulk(f), R.bulk(x)] as const));
    },
  },
  hkeys: {
    arity: 2,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.bulks((v?.fields ?? []).map(([f]) => f));
    },
  },
  hvals: {
    arity: 2,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.bulks((v?.fields ?? []).map(([, x]) => x));
    },
  },
  hlen: countCommand('hash', (v) => v.fields.length),
  hexists: {
    arity: 3,
    async run(ctx, s, [, key, field]) {
      const v = await typedAsStored(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.int(liveField(ctx, v, field!) ? 1 : 0);
    },
  },
  hstrlen: {
    arity: 3,
    async run(ctx, s, [, key, field]) {
      const v = await typedAsStored(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.int(liveField(ctx, v, field!)?.length ?? 0);
    },
  },
  httl: fieldTtl(1000, false),
  hpttl: fieldTtl(1, false),
  hexpiretime: fieldTtl(1000, true),
  hpexpiretime: fieldTtl(1, true),
  llen: countCommand('list', (v) => v.items.length),
  lrange: {
    arity: 4,
    async run(ctx, s, [, key, ...rest]) {
      const n = integers(rest);
      if (isReply(n)) return n;
      const v = await typed(ctx, s, key!, 'list');
      if (isReply(v)) return v;
      const items = v?.items ?? [];
      const [a, b] = listRange(n[0]!, n[1]!, items.length);
      return R.bulks(items.slice(a, b));
    },
  },
  lindex: {
    arity: 3,
    async run(ctx, s, [, key, index]) {
      // 7.0's order (t_list.c lindexCommand): the key (missing: null; WRONGTYPE), then the index.
      const v = await typed(ctx, s, key!, 'list');
      if (v === null) return R.null;
      if (isReply(v)) return v;
      const i = parseInteger(index!);
      if (i === undefined) return R.error(ERR.notInteger);
      const item = v.items[i < 0 ? v.items.length + i : i];
      return item ? R.bulk(item) : R.null;
    },
  },
  lpos: {
    arity: -3,
    async run(ctx, s, [, key, element, ...rest]) {
      const o = lposOptions(rest);
      if (isReply(o)) return o;
      const v = await typed(ctx, s, key!, 'list');
      if (isReply(v)) return v;
      const many = o.count !== -1;
      if (v === null) return many ? R.array([]) : R.null;
      const items = v.items;
      const n = items.length;
      const fromTail = o.rank < 0;
      // LONG_MIN negated stays negative in C: every match is then at or past the rank, and COUNT's test overflows (never met).
      const rank = o.rankMin ? 1 : Math.abs(o.rank);
      const counted = !o.rankMin && o.count > 0;
      const found: Reply[] = [];
      let matches = 0;
      for (let index = 0; index < n && (o.maxlen === 0 || index < o.maxlen); index++) {
        if (!items[fromTail ? n - 1 - index : index]!.equals(element!)) continue;
        matches++;
        if (matches < rank) continue;
        const at = fromTail ? n - index - 1 : index;
        if (!many) return R.int(at);
        found.push(R.int(at));
        if (counted && matches - rank + 1 >= o.count) break;
      }
      return many ? R.array(found) : R.null;
    },
  },
  smembers: {
    arity: 2,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'set');
      return isReply(v) ? v : R.set((v?.members ?? []).map((m) => R.bulk(m)));
    },
  },
  sismember: {
    arity: 3,
    async run(ctx, s, [, key, member]) {
      const v = await typed(ctx, s, key!, 'set');
      return isReply(v) ? v : R.int(v && isMember(ctx, v, member!) ? 1 : 0);
    },
  },
  smismember: {
    arity: -3,
    async run(ctx, s, [, key, ...members]) {
      const v = await typed(ctx, s, key!, 'set');
      if (isReply(v)) return v;
      return R.array(members.map((m) => R.int(v && isMember(ctx, v, m) ? 1 : 0)));
    },
  },
  scard: countCommand('set', (v) => v.members.length),
  sinter: setOperation(intersection),
  sintercard: {
    arity: -3,
    async run(ctx, s, [, numkeys, ...rest]) {
      const count = longIn(numkeys!, 1, LONG_MAX, 'ERR numkeys should be greater than 0');
      if (isReply(count)) return count;
      if (count > rest.length) return R.error("ERR Number of keys can't be greater than number of args");
      let limit = 0;
      for (let j = count; j < rest.length; j++) {
        if (rest[j]!.toString('latin1').toLowerCase() === 'limit' && j + 1 < rest.length) {
          const l = longIn(rest[++j]!, 0, LONG_MAX, "ERR LIMIT can't be negative");
          if (isReply(l)) return l;
          limit = l;
        } else return R.error(ERR.syntax);
      }
      const sets = await setsOf(ctx, s, rest.slice(0, count));
      return isReply(sets) ? sets : R.int(intersection(sets, limit).length);
    },
  },
  sunion: setOperation((sets) => [...new Set(sets.flatMap((x) => [...(x?.keys() ?? [])]))]),
  sdiff: setOperation(([first, ...rest]) => [...(first?.keys() ?? [])].filter((m) => !rest.some((x) => x?.has(m)))),
};
