/**
 * The read commands of sorted sets and streams, as a Redis 7.0 server
 * answers them (src/t_zset.c's zrangeGenericCommand and friends,
 * src/t_stream.c's xrangeGenericCommand).
 */
import type { KeyValue } from '../rdb/fingerprint.js';
import { groupLag, type StreamId } from '../rdb/format/stream-ids.js';
import { type StreamInfo, streamInfo } from '../rdb/format/value.js';
import { type CommandSpec, isReply, lookup, type Session, type ServeContext, typed } from './context.js';
import { typeNameOf } from './key-index.js';
import { helpReply } from './command-replies.js';
import { R, type Reply } from './resp.js';
import { ERR, formatDouble, parseInteger, strtod } from './reply-text.js';
import { listRange } from './commands-values.js';
import { countCommand } from './stored-count.js';
import { loadsCompact } from './commands-keyspace.js';
import { firstNot, rankOf, type Scored, scoreOf, sortedOf } from './member-lookup.js';

type ZSet = Extract<KeyValue, { type: 'zset' }>;

/** A score bound as zslParseRange reads it: `(1.5` exclusive, `-inf`, `2`, by C's strtod (see {@link strtod}). */
function scoreBound(arg: Buffer): { v: number; open: boolean } | undefined {
  const text = arg.toString('latin1');
  const open = text.startsWith('(');
  const v = strtod(open ? text.slice(1) : text);
  return v === undefined ? undefined : { v, open };
}

/** A lex bound: `-`, `+`, `[x` inclusive, `(x` exclusive. */
function lexBound(arg: Buffer): { v: Buffer | '-' | '+'; open: boolean } | undefined {
  const c = arg[0];
  if (arg.length === 1 && (c === 0x2d || c === 0x2b)) return { v: c === 0x2d ? '-' : '+', open: false };
  if (c === 0x28 || c === 0x5b) return { v: arg.subarray(1), open: c === 0x28 };
  return undefined;
}

interface RangeSpec {
  by: 'rank' | 'score' | 'lex';
  rev: boolean;
  withScores: boolean;
  offset: number;
  count: number;
}

/** The reply of a range: members, or members with scores (flat in RESP2, pairs in RESP3). */
function rangeReply(s: Session, items: readonly Scored[], withScores: boolean): Reply {
  if (!withScores) return R.bulks(items.map(([m]) => m));
  if (s.proto === 3) return R.array(items.map(([m, v]) => R.array([R.bulk(m), R.double(formatDouble(v))])));
  return R.array(items.flatMap(([m, v]) => [R.bulk(m), R.double(formatDouble(v))]));
}

/** The places [from, to) of the members within score bounds: found by binary search, not a walk of the set at each call. */
function scoreSpan(items: readonly Scored[], min: { v: number; open: boolean }, max: { v: number; open: boolean }): [number, number] {
  const from = firstNot(items, ([, v]) => (min.open ? v <= min.v : v < min.v));
  const to = firstNot(items, ([, v]) => (max.open ? v < max.v : v <= max.v));
  return [from, Math.max(from, to)];
}

/** BYSCORE's members: those of [from, to), from its end with REV, LIMIT's offset and count applied (as {@link limit}). */
function scoreWalk(items: readonly Scored[], [from, to]: [number, number], spec: RangeSpec): Scored[] {
  if (spec.offset < 0) return [];
  const n = to - from;
  const skip = Math.min(spec.offset, n);
  const take = spec.count < 0 ? n - skip : Math.min(spec.count, n - skip);
  return spec.rev ? items.slice(to - skip - take, to - skip).reverse() : items.slice(from + skip, from + skip + take);
}

async function zrange(ctx: ServeContext, s: Session, key: Buffer, lo: Buffer, hi: Buffer, spec: RangeSpec): Promise<Reply> {
  let select: (items: readonly Scored[], listpack: boolean) => readonly Scored[];
  if (spec.by === 'rank') {
    const a = parseInteger(lo);
    const b = parseInteger(hi);
    if (a === undefined || b === undefined) return R.error(ERR.notInteger);
    select = (items) => {
      const [from, to] = listRange(a, b, items.length);
      return spec.rev ? items.slice(items.length - to, items.length - from).reverse() : items.slice(from, to);
    };
  } else if (spec.by === 'score') {
    // With REV the first bound is the maximum.
    const min = scoreBound(spec.rev ? hi : lo);
    const max = scoreBound(spec.rev ? lo : hi);
    if (!min || !max) return R.error(ERR.notFloat);
    select = (items) => scoreWalk(items, scoreSpan(items, min, max), spec);
  } else {
    const range = lexRange(spec.rev ? hi : lo, spec.rev ? lo : hi);
    if (!range) return R.error(ERR_LEX);
    select = (items, listpack) => lexWalk(items, range, spec, listpack);
  }
  const v = await typed(ctx, s, key, 'zset');
  if (isReply(v)) return v;
  return rangeReply(s, v ? select(sortedOf(ctx, v), heldAsListpack(ctx, s, key, v)) : [], spec.withScores);
}

const ERR_LEX = 'ERR min or max not valid string range item';

/** Whether the server that loads the point holds this set as a listpack (commands-keyspace.ts loadsCompact: the lex walks' REV start differs). */
function heldAsListpack(ctx: ServeContext, s: Session, key: Buffer, v: ZSet): boolean {
  return loadsCompact(ctx.index.typeAt(s.db, lookup(ctx, s.db, key)), v);
}

/** A lex range: whether a member is at or above its minimum, and at or below its maximum. */
interface LexRange {
  above(m: Buffer): boolean;
  below(m: Buffer): boolean;
}

function lexRange(minArg: Buffer, maxArg: Buffer): LexRange | undefined {
  const min = lexBound(minArg);
  const max = lexBound(maxArg);
  if (!min || !max) return undefined;
  return {
    above: (m) => min.v === '-' || (min.v !== '+' && (min.open ? Buffer.compare(m, min.v) > 0 : Buffer.compare(m, min.v) >= 0)),
    below: (m) => max.v === '+' || (max.v !== '-' && (max.open ? Buffer.compare(m, max.v) < 0 : Buffer.compare(m, max.v) <= 0)),
  };
}

/**
 * Where Redis 7.0's lex walks start (t_zset.c): none when the set's last
 * member is below the minimum or its first above the maximum
 * (zzlIsInLexRange); `first`: the first member at or above the minimum,
 * if it is at or below the maximum (zzlFirstInLexRange); `last`: on a
 * listpack the last member at or below the maximum, if it is at or above the
 * minimum (zzlLastInLexRange), on a skiplist where the walk of its lowest
 * level stops: the last of the first members at or below the maximum
 * (zslLastInLexRange; a server's random upper levels may jump further). On a
 * set of one score these are the ends of the members in range; over mixed
 * scores (a reply Redis documents as unspecified) they are the server's.
 */
function lexStart(items: readonly Scored[], r: LexRange, end: 'first' | 'last', listpack: boolean): number {
  const n = items.length;
  if (n === 0 || !r.above(items[n - 1]![0]) || !r.below(items[0]![0])) return -1;
  let i = 0;
  if (end === 'first') {
    i = walkWhile(items, 0, (m) => !r.above(m));
    return i < n && r.below(items[i]![0]) ? i : -1;
  }
  // A listpack's walk from its tail: 128 members at most.
  if (listpack) for (i = n - 1; i >= 0 && !r.below(items[i]![0]); ) i--;
  else i = walkWhile(items, 1, r.below) - 1;
  return i >= 0 && r.above(items[i]![0]) ? i : -1;
}

/**
 * The first place from `from` on where `go` no longer holds of the member there: on a set of one score (its members
 * in byte order, so a bound's test holds up to a place and not after) a binary search, as 7.0's skiplist finds it,
 * not a walk from the first member at each call; over mixed scores the walk, as the server's goes.
 */
function walkWhile(items: readonly Scored[], from: number, go: (m: Buffer) => boolean): number {
  const n = items.length;
  if (n > 0 && items[0]![1] === items[n - 1]![1]) return firstNot(items, ([m]) => go(m), from);
  let i = from;
  while (i < n && go(items[i]![0])) i++;
  return i;
}

/**
 * BYLEX as Redis 7.0 walks a set (genericZrangebylexCommand): from
 * {@link lexStart}, LIMIT's offset skipped unchecked, then on while members
 * stay at or below the maximum (REV: at or above the minimum).
 */
function lexWalk(items: readonly Scored[], r: LexRange, spec: RangeSpec, listpack: boolean): Scored[] {
  let i = spec.offset < 0 ? -1 : lexStart(items, r, spec.rev ? 'last' : 'first', listpack);
  if (i < 0) return [];
  const step = spec.rev ? -1 : 1;
  const out: Scored[] = [];
  for (i += step * spec.offset; i >= 0 && i < items.length && out.length !== spec.count; i += step) {
    const m = items[i]![0];
    if (spec.rev ? !r.above(m) : !r.below(m)) break;
    out.push(items[i]!);
  }
  return out;
}

/** ZLEXCOUNT as Redis 7.0 counts: a listpack from its first member in range on while in range; a skiplist by the ranks of both ends. */
function lexCount(items: readonly Scored[], r: LexRange, listpack: boolean): number {
  const first = lexStart(items, r, 'first', listpack);
  if (first < 0) return 0;
  if (listpack) {
    let i = first;
    while (i < items.length && r.below(items[i]![0])) i++;
    return i - first;
  }
  const last = lexStart(items, r, 'last', listpack);
  return last < 0 ? items.length - first : last + 1 - first;
}

/** ZRANGE's options after its three arguments (and the older commands' through `fixed`). */
/**
 * A range command's options as Redis 7.0 reads them (t_zset.c
 * zrangeGenericCommand): WITHSCORES and LIMIT for every range command (a
 * conflict is said after: LIMIT with a rank range, WITHSCORES with BYLEX);
 * REV, BYSCORE and BYLEX for ZRANGE alone, whose direction and range type
 * are open until one of them sets it (once: a second is a syntax error).
 */
function rangeOptions(args: readonly Buffer[], fixed: Partial<RangeSpec>): RangeSpec | Reply {
  const spec: RangeSpec = { by: 'rank', rev: false, withScores: false, offset: 0, count: -1, ...fixed };
  const open = Object.keys(fixed).length === 0;
  let direction = !open;
  let rangeType = !open;
  for (let i = 0; i < args.length; i++) {
    const opt = args[i]!.toString('latin1').toLowerCase();
    if (opt === 'withscores') spec.withScores = true;
    else if (opt === 'limit' && i + 2 < args.length) {
      const o = parseInteger(args[++i]!);
      if (o === undefined) return R.error(ERR.notInteger);
      const c = parseInteger(args[++i]!);
      if (c === undefined) return R.error(ERR.notInteger);
      spec.offset = o;
      spec.count = c;
    } else if (!direction && opt === 'rev') {
      spec.rev = true;
      direction = true;
    } else if (!rangeType && (opt === 'bylex' || opt === 'byscore')) {
      spec.by = opt === 'bylex' ? 'lex' : 'score';
      rangeType = true;
    } else return R.error(ERR.syntax);
  }
  // A LIMIT whose count is -1 is no limit, for the server too.
  if (spec.count !== -1 && spec.by === 'rank') return R.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  if (spec.withScores && spec.by === 'lex') return R.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  return spec;
}

/** A range command: `fixed` what its name implies. */
function rangeCommand(fixed: Partial<RangeSpec>): CommandSpec {
  return {
    arity: -4,
    run(ctx, s, [, key, lo, hi, ...rest]) {
      const spec = rangeOptions(rest, fixed);
      return isReply(spec) ? spec : zrange(ctx, s, key!, lo!, hi!, spec);
    },
  };
}

function rank(rev: boolean): CommandSpec {
  return {
    arity: 3,
    async run(ctx, s, [, key, member]) {
      const v = await typed(ctx, s, key!, 'zset');
      if (v === null) return R.null;
      if (isReply(v)) return v;
      const i = rankOf(ctx, v, member!);
      return i < 0 ? R.null : R.int(rev ? v.entries.length - 1 - i : i);
    },
  };
}

/**
 * A stream id bound as streamParseIntervalIDOrReply reads it: `-`, `+`,
 * `ms`, `ms-seq`, or `(` and an id for an exclusive bound (the next id up
 * for a start, down for an end); as [ms, seq] bigints, or the error Redis
 * answers.
 */
function streamBound(arg: Buffer, isEnd: boolean): [bigint, bigint] | Reply {
  let text = arg.toString('latin1');
  const open = text.length > 1 && text.startsWith('(');
  if (open) text = text.slice(1);
  const MAX = 2n ** 64n - 1n;
  let id: [bigint, bigint];
  if (!open && text === '-') id = [0n, 0n];
  else if (!open && text === '+') id = [MAX, MAX];
  else {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text);
    if (!m) return R.error(ERR.streamId);
    const ms = BigInt(m[1]!);
    const seq = m[2] === undefined ? (isEnd ? MAX : 0n) : BigInt(m[2]);
    if (ms > MAX || seq > MAX) return R.error(ERR.streamId);
    id = [ms, seq];
  }
  if (!open) return id;
  const n = (id[0] << 64n) + id[1] + (isEnd ? -1n : 1n);
  if (n < 0n || n > (MAX << 64n) + MAX) return R.error(`ERR invalid ${isEnd ? 'end' : 'start'} ID for the interval`);
  return [n >> 64n, n & MAX];
}

export const idOf = (id: string): [bigint, bigint] => {
  const [ms, seq] = id.split('-');
  return [BigInt(ms!), BigInt(seq ?? '0')];
};
export const cmpId = (a: StreamId, b: StreamId): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

type StreamEntries = Extract<KeyValue, { type: 'stream' }>['entries'];

/** Whether a stream's entries are in ascending id order, found once per decoded value (a big one is kept: ValueCache). */
const ascending = new WeakMap<StreamEntries, boolean>();
function inIdOrder(entries: StreamEntries): boolean {
  let known = ascending.get(entries);
  if (known === undefined) {
    let prev: StreamId | undefined;
    known = true;
    for (const [id] of entries) {
      const at = idOf(id);
      if (prev && cmpId(prev, at) >= 0) {
        known = false;
        break;
      }
      prev = at;
    }
    ascending.set(entries, known);
  }
  return known;
}

/** The first position of entries in id order whose id is at `id` or past it (`past`: past it only): a binary search. */
function positionOf(entries: StreamEntries, id: StreamId, past: boolean): number {
  let [lo, hi] = [0, entries.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmpId(idOf(entries[mid]![0]), id);
    if (c < 0 || (past && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A stream's entries with ids from `from` to `to` (inclusive; `after`: past `from`), the first `count` of them (the
 * last, `rev`, newest first; count 0 or less: all). Found by binary search where the entries are in id order, so a
 * stream read by pages (XREAD or XRANGE … COUNT from the last id read) costs a page its own entries, as 7.0's radix
 * tree does: each page was a walk of the whole stream (100 pages of 1,000 over 100,000 entries, 3.6 s against 7.0's
 * 0.2 s; a million entries, minutes). A stream a Redis before 7.2 left out of order (stream-node.ts) is walked whole.
 */
export function streamRange(entries: StreamEntries, from: StreamId, to: StreamId, o: { after?: boolean; count?: number; rev?: boolean } = {}): StreamEntries {
  const count = o.count ?? 0;
  if (!inIdOrder(entries)) {
    let found = entries.filter(([id]) => {
      const at = idOf(id);
      return cmpId(at, from) >= (o.after ? 1 : 0) && cmpId(at, to) <= 0;
    });
    if (o.rev) found = found.reverse();
    return count > 0 ? found.slice(0, count) : found;
  }
  const lo = positionOf(entries, from, o.after ?? false);
  const hi = Math.max(lo, positionOf(entries, to, true));
  if (!o.rev) return entries.slice(lo, count > 0 ? Math.min(hi, lo + count) : hi);
  return entries.slice(count > 0 ? Math.max(lo, hi - count) : lo, hi).reverse();
}

function xrange(rev: boolean): CommandSpec {
  return {
    arity: -4,
    async run(ctx, s, [, key, a, b, ...rest]) {
      const start = streamBound(rev ? b! : a!, false);
      if (isReply(start)) return start;
      const end = streamBound(rev ? a! : b!, true);
      if (isReply(end)) return end;
      let count = -1;
      for (let i = 0; i < rest.length; i++) {
        if (rest[i]!.toString('latin1').toLowerCase() === 'count' && i + 1 < rest.length) {
          const c = parseInteger(rest[++i]!);
          if (c === undefined) return R.error(ERR.notInteger);
          count = c < 0 ? 0 : c;
        } else return R.error(ERR.syntax);
      }
      const v = await typed(ctx, s, key!, 'stream');
      if (isReply(v)) return v;
      // The key is looked up before COUNT 0 is answered (a missing one: an empty array).
      if (v === null) return R.array([]);
      if (count === 0) return R.nullArray;
      const entries = streamRange(v.entries, start, end, { count, rev });
      return R.array(entries.map(([id, fields]) => R.array([R.bulk(id), R.bulks(fields)])));
    },
  };
}

/**
 * A stream's stored metadata, groups and PELs (value.ts streamInfo), read
 * from its payload alone: the index says whether the key is there (null:
 * not) and a stream (WRONGTYPE: not), no entry decoded.
 */
async function storedStream(ctx: ServeContext, s: Session, key: Buffer): Promise<StreamInfo | null | Reply> {
  const pos = lookup(ctx, s.db, key);
  if (pos < 0) return null;
  if (typeNameOf(ctx.index.typeAt(s.db, pos)) !== 'stream') return R.error(ERR.wrongType);
  return streamInfo(await ctx.payload(ctx.index.entry(s.db, pos)))!;
}

const idText = (id: StreamId): string => `${id[0]}-${id[1]}`;

/**
 * XPENDING as Redis 7.0 answers it (t_stream.c xpendingCommand): the
 * summary (count, first and last id, per consumer with entries its count as
 * a bulk string), or with `[IDLE ms] start end count [consumer]` the
 * entries (id, consumer, ms since delivery, deliveries). The arguments are
 * read before the key, as the server reads them.
 */
const xpending: CommandSpec = {
  arity: -3,
  async run(ctx, s, args) {
    const [, key, groupName] = args;
    const argc = args.length;
    if (argc !== 3 && (argc < 6 || argc > 9)) return R.error(ERR.syntax);
    let range: { start: [bigint, bigint]; end: [bigint, bigint]; count: number; minIdle: number; consumer?: Buffer } | undefined;
    if (argc >= 6) {
      let at = 3;
      let minIdle = 0;
      if (args[3]!.toString('latin1').toLowerCase() === 'idle') {
        const idle = parseInteger(args[4]!);
        if (idle === undefined) return R.error(ERR.notInteger);
        if (argc < 8) return R.error(ERR.syntax);
        minIdle = idle;
        at += 2;
      }
      const count = parseInteger(args[at + 2]!);
      if (count === undefined) return R.error(ERR.notInteger);
      const start = streamBound(args[at]!, false);
      if (isReply(start)) return start;
      const end = streamBound(args[at + 1]!, true);
      if (isReply(end)) return end;
      range = { start, end, count: Math.max(0, count), minIdle, ...(at + 3 < argc ? { consumer: args[at + 3]! } : {}) };
    }
    const info = await storedStream(ctx, s, key!);
    if (isReply(info)) return info;
    const group = info?.groups.find((g) => g.name.equals(groupName!));
    if (!group) return R.errorBytes(ERR.noKeyOrGroup(key!, groupName!));
    const pel = group.pel;
    if (!range) {
      if (pel.length === 0) return R.array([R.int(0), R.null, R.null, R.nullArray]);
      const held = [...group.consumerList].filter((c) => c.pending > 0).sort((a, b) => Buffer.compare(a.name, b.name));
      return R.array([
        R.int(pel.length),
        R.bulk(idText(pel[0]!.id)),
        R.bulk(idText(pel.at(-1)!.id)),
        R.array(held.map((c) => R.array([R.bulk(c.name), R.bulk(String(c.pending))]))),
      ]);
    }
    const { start, end, minIdle, consumer } = range;
    if (consumer && !group.consumerList.some((c) => c.name.equals(consumer))) return R.array([]);
    const now = ctx.now();
    const out: Reply[] = [];
    for (const e of pel) {
      if (out.length >= range.count) break;
      if (cmpId(e.id, start) < 0) continue;
      if (cmpId(e.id, end) > 0) break;
      if (consumer && !e.consumer.equals(consumer)) continue;
      if (minIdle && now - e.deliveredMs < minIdle) continue;
      out.push(R.array([R.bulk(idText(e.id)), R.bulk(e.consumer), R.int(Math.max(0, now - e.deliveredMs)), R.int(Number(e.deliveries))]));
    }
    return R.array(out);
  },
};

export const SORTED_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  zrange: rangeCommand({}),
  zrevrange: rangeCommand({ rev: true }),
  zrangebyscore: rangeCommand({ by: 'score' }),
  zrevrangebyscore: rangeCommand({ by: 'score', rev: true }),
  zrangebylex: rangeCommand({ by: 'lex' }),
  zrevrangebylex: rangeCommand({ by: 'lex', rev: true }),
  zlexcount: {
    arity: 4,
    async run(ctx, s, [, key, lo, hi]) {
      const range = lexRange(lo!, hi!);
      if (!range) return R.error(ERR_LEX);
      const v = await typed(ctx, s, key!, 'zset');
      if (v === null) return R.int(0);
      return isReply(v) ? v : R.int(lexCount(sortedOf(ctx, v), range, heldAsListpack(ctx, s, key!, v)));
    },
  },
  zrank: rank(false),
  zrevrank: rank(true),
  zscore: {
    arity: 3,
    async run(ctx, s, [, key, member]) {
      const v = await typed(ctx, s, key!, 'zset');
      if (v === null) return R.null;
      if (isReply(v)) return v;
      const score = scoreOf(ctx, v, member!);
      return score === undefined ? R.null : R.double(formatDouble(score));
    },
  },
  zmscore: {
    arity: -3,
    async run(ctx, s, [, key, ...members]) {
      const v = await typed(ctx, s, key!, 'zset');
      if (isReply(v)) return v;
      return R.array(
        members.map((m) => {
          const x = v ? scoreOf(ctx, v, m) : undefined;
          return x === undefined ? R.null : R.double(formatDouble(x));
        }),
      );
    },
  },
  zcard: countCommand('zset', (v) => v.entries.length),
  zcount: {
    arity: 4,
    async run(ctx, s, [, key, lo, hi]) {
      // Counted from the bounds' places (a binary search): the members in range were a reply built to be counted.
      const min = scoreBound(lo!);
      const max = scoreBound(hi!);
      if (!min || !max) return R.error(ERR.notFloat);
      const v = await typed(ctx, s, key!, 'zset');
      if (isReply(v)) return v;
      if (v === null) return R.int(0);
      const [from, to] = scoreSpan(sortedOf(ctx, v), min, max);
      return R.int(to - from);
    },
  },
  xlen: countCommand('stream', (v) => v.entries.length),
  xrange: xrange(false),
  xrevrange: xrange(true),
  xpending,
  xinfo: {
    arity: -2,
    async run(ctx, s, [, sub, key, groupName, ...rest]) {
      // As Redis 7.0's subcommands: GROUPS and CONSUMERS answered from the stream's stored metadata (value.ts streamInfo);
      // STREAM needs the radix tree's in-memory sizes, which no file holds, so it is refused in words.
      const name = sub!.toString('latin1').toLowerCase();
      const argc = 2 + (key ? 1 : 0) + (groupName ? 1 : 0) + rest.length;
      if (name === 'stream') {
        if (argc < 3) return R.error(ERR.arity('xinfo|stream'));
        // The key is looked up first, as the server does: a missing key or another type is answered as it answers them.
        const pos = lookup(ctx, s.db, key!);
        if (pos < 0) return R.error(ERR.noKey);
        return R.error(typeNameOf(ctx.index.typeAt(s.db, pos)) !== 'stream' ? ERR.wrongType : ERR.xinfoStream);
      }
      if (name === 'help') return helpReply('xinfo', argc);
      if (name !== 'groups' && name !== 'consumers') return R.errorBytes(ERR.unknownSub(sub!, 'xinfo'));
      if (argc !== (name === 'groups' ? 3 : 4)) return R.error(ERR.arity(`xinfo|${name}`));
      const info = await storedStream(ctx, s, key!);
      if (info === null) return R.error(ERR.noKey);
      if (isReply(info)) return info;
      if (name === 'consumers') {
        const group = info.groups.find((g) => g.name.equals(groupName!));
        if (!group) return R.errorBytes(ERR.noGroup(groupName!, key!));
        const now = ctx.now();
        return R.array(
          [...group.consumerList]
            .sort((a, b) => Buffer.compare(a.name, b.name))
            .map((c) =>
              R.map([
                [R.bulk('name'), R.bulk(c.name)],
                [R.bulk('pending'), R.int(c.pending)],
                [R.bulk('idle'), R.int(Math.max(0, now - c.seenMs))],
                // Stored by Redis 7.2+ (type 21), which answers it: -1 for a consumer that never read.
                ...(c.activeMs === undefined ? [] : [[R.bulk('inactive'), R.int(c.activeMs === -1 ? -1 : now - c.activeMs)] as [Reply, Reply]]),
              ]),
            ),
        );
      }
      const big = (n: bigint | null): Reply => (n === null ? R.null : R.int(Number(n)));
      return R.array(
        info.groups.map((g) =>
          R.map([
            [R.bulk('name'), R.bulk(g.name)],
            [R.bulk('consumers'), R.int(g.consumers)],
            [R.bulk('pending'), R.int(g.pending)],
            [R.bulk('last-delivered-id'), R.bulk(`${g.lastId[0]}-${g.lastId[1]}`)],
            [R.bulk('entries-read'), big(g.entriesRead)],
            [R.bulk('lag'), big(groupLag(info, g))],
          ]),
        ),
      );
    },
  },
};
