/**
 * One member of a decoded hash, set or sorted set looked up without walking the value: each held value's lookup map
 * (a member's latin1 text → its place) and a sorted set's order are made once and kept with it in the ValueCache
 * (ValueCache.memo, their cost counted in its budget), as 7.0 answers HGET, SISMEMBER, ZSCORE or ZRANK from its dict
 * or skiplist. A walk of the whole value at each call made a client reading a big value member by member quadratic
 * (200,000 members: bench/serve/member-memos.ts). A value the cache does not hold (read again at each request) or a
 * small one is walked, as before: a map made for one lookup costs more than the walk.
 */
import type { KeyValue } from '../rdb/fingerprint.js';
import type { ServeContext } from './context.js';
import { scoreValue } from './reply-text.js';

type Hash = Extract<KeyValue, { type: 'hash' }>;
type SetValue = Extract<KeyValue, { type: 'set' }>;
type ZSet = Extract<KeyValue, { type: 'zset' }>;
/** A member and its score, in the set's order (score, then member bytes). */
export type Scored = readonly [member: Buffer, score: number];

/** Below this many members a value is walked: a walk of a few dozen short members costs less than a map's making. */
export const MEMO_MIN_MEMBERS = 64;

/** The place of each of `count` names (`nameAt`) by its latin1 text, the first where one is named twice (as a walk finds). */
function placesOf(count: number, nameAt: (i: number) => Buffer): Map<string, number> {
  const places = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const name = nameAt(i).toString('latin1');
    if (!places.has(name)) places.set(name, i);
  }
  return places;
}

/** The memo `kind` of `v` (`count` members) from the cache, or undefined: a small value, or one the cache does not hold. */
function memoOf<T>(ctx: Pick<ServeContext, 'cache'>, v: KeyValue, kind: string, count: number, make: () => T): T | undefined {
  return count < MEMO_MIN_MEMBERS ? undefined : ctx.cache.memo(v, kind, count, make);
}

/** The place of `field` in `h.fields` (-1: none): the hash as stored, its TTLs (if any) not looked at here. */
export function fieldPlace(ctx: Pick<ServeContext, 'cache'>, h: Hash, field: Buffer): number {
  const fields = h.fields;
  const places = memoOf(ctx, h, 'places', fields.length, () => placesOf(fields.length, (i) => fields[i]![0]));
  if (places) return places.get(field.toString('latin1')) ?? -1;
  return fields.findIndex(([f]) => f.equals(field));
}

/** A set's members by their latin1 text (to the place of each), from the cache: undefined for a small set, or one not held. */
function setPlaces(ctx: Pick<ServeContext, 'cache'>, v: SetValue): Map<string, number> | undefined {
  return memoOf(ctx, v, 'places', v.members.length, () => placesOf(v.members.length, (i) => v.members[i]!));
}

/** The members of a set by their latin1 text (to the place of each): held with the value when the cache holds it. */
export function setMembers(ctx: Pick<ServeContext, 'cache'>, v: SetValue): ReadonlyMap<string, number> {
  return setPlaces(ctx, v) ?? placesOf(v.members.length, (i) => v.members[i]!);
}

/** Whether `member` is in the set. */
export function isMember(ctx: Pick<ServeContext, 'cache'>, v: SetValue, member: Buffer): boolean {
  const places = setPlaces(ctx, v);
  return places ? places.has(member.toString('latin1')) : v.members.some((m) => m.equals(member));
}

/** The sorted set's entries in its order (score, then member bytes). */
function sortEntries(z: ZSet): Scored[] {
  return z.entries.map(([m, s]) => [m, scoreValue(s)] as const).sort((a, b) => a[1] - b[1] || Buffer.compare(a[0], b[0]));
}

/**
 * Orders not kept by the cache, by value: a value read at each request (its order goes with it), or one held whose order
 * does not fit in the cache's budget (about 530,000 members of 10 bytes), as the order was kept before the memos: each
 * range then sorted the whole set again.
 */
const unbudgeted = new WeakMap<ZSet, Scored[]>();

/** The sorted set's entries in its order: the file keeps a skiplist's from its tail, so they are sorted once and kept with the value. */
export function sortedOf(ctx: Pick<ServeContext, 'cache'>, z: ZSet): readonly Scored[] {
  const kept = memoOf(ctx, z, 'sorted', z.entries.length, () => sortEntries(z));
  if (kept) return kept;
  let sorted = unbudgeted.get(z);
  if (!sorted) unbudgeted.set(z, (sorted = sortEntries(z)));
  return sorted;
}

/** A held sorted set's order and each member's rank in it, or undefined (a small set, or one the cache does not hold). */
function ranked(ctx: Pick<ServeContext, 'cache'>, z: ZSet): { sorted: readonly Scored[]; ranks: Map<string, number> } | undefined {
  const sorted = memoOf(ctx, z, 'sorted', z.entries.length, () => sortEntries(z));
  const ranks = sorted && memoOf(ctx, z, 'ranks', sorted.length, () => placesOf(sorted.length, (i) => sorted[i]![0]));
  return ranks && { sorted: sorted!, ranks };
}

/** The rank of `member` in the set's order ({@link sortedOf}; -1: not there). */
export function rankOf(ctx: Pick<ServeContext, 'cache'>, z: ZSet, member: Buffer): number {
  const held = ranked(ctx, z);
  return held ? (held.ranks.get(member.toString('latin1')) ?? -1) : sortedOf(ctx, z).findIndex(([m]) => m.equals(member));
}

/** The score of `member` (undefined: not there). */
export function scoreOf(ctx: Pick<ServeContext, 'cache'>, z: ZSet, member: Buffer): number | undefined {
  const held = ranked(ctx, z);
  if (held) {
    const rank = held.ranks.get(member.toString('latin1'));
    return rank === undefined ? undefined : held.sorted[rank]![1];
  }
  const hit = z.entries.find(([m]) => m.equals(member));
  return hit ? scoreValue(hit[1]) : undefined;
}

/** A sorted set's or a set's members (latin1 text) and their scores (a set's: 1), as ZUNION, ZINTER and ZDIFF read an input. */
export interface ScoresByMember {
  readonly size: number;
  has(member: string): boolean;
  get(member: string): number | undefined;
  [Symbol.iterator](): Iterator<readonly [string, number]>;
}

/**
 * `v`'s members and scores: from its memos where the cache holds it (a sorted set's order and ranks, a set's places:
 * made once, as ZSCORE and SISMEMBER use them), else a map made for this call. A map of every member at each call cost
 * ZINTERCARD … LIMIT 10 of two sorted sets of 100,000 members about 110 ms a call (7.0: 0.1 ms; bench/serve/zset-ops.ts).
 */
export function scoresByMember(ctx: Pick<ServeContext, 'cache'>, v: ZSet | SetValue): ScoresByMember {
  if (v.type === 'set') {
    const places = setPlaces(ctx, v);
    if (!places) return new Map(v.members.map((m) => [m.toString('latin1'), 1]));
    return {
      size: places.size,
      has: (m) => places.has(m),
      get: (m) => (places.has(m) ? 1 : undefined),
      *[Symbol.iterator]() {
        for (const m of places.keys()) yield [m, 1] as const;
      },
    };
  }
  const held = ranked(ctx, v);
  if (!held) return new Map(v.entries.map(([m, x]) => [m.toString('latin1'), scoreValue(x)]));
  const { sorted, ranks } = held;
  return {
    size: ranks.size,
    has: (m) => ranks.has(m),
    get: (m) => {
      const rank = ranks.get(m);
      return rank === undefined ? undefined : sorted[rank]![1];
    },
    *[Symbol.iterator]() {
      for (const [m, x] of sorted) yield [m.toString('latin1'), x] as const;
    },
  };
}

/** The first of `items` from `from` on (in the set's order) that is not `before` a bound: a binary search (`before` holds up to a place, not after). */
export function firstNot(items: readonly Scored[], before: (item: Scored) => boolean, from = 0): number {
  let [lo, hi] = [from, items.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(items[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
