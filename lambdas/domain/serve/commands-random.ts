/**
 * The random reads of a Redis 7.0 server (RANDOMKEY, SRANDMEMBER, HRANDFIELD,
 * ZRANDMEMBER: src/db.c, t_set.c, t_hash.c, t_zset.c): their argument
 * checks and reply shapes as 7.0's, the picks this process's own (random on
 * both: the same members, never the same order). A positive count answers
 * that many distinct members (all of them when it is the size or more), a
 * negative one that many picks that may repeat.
 */
import { keyExpired } from '../keys/expiry.js';
import type { KeyValue } from '../rdb/fingerprint.js';
import { type CommandSpec, isReply, liveAt, readHashesIn, type ServeContext, type Session, typed } from './context.js';
import { R, type Reply } from './resp.js';
import { ERR, formatDouble, scoreValue } from './reply-text.js';

const LONG_MAX = 2n ** 63n - 1n;

/**
 * The most items a negative count answers here. 7.0 builds a reply of |count| items whatever it is (a count near
 * -2^63 runs the server out of memory: seen on 7.0.15 with ZRANDMEMBER); serve refuses past this, in words.
 */
export const MAX_RANDOM_PICKS = 1 << 24;

/**
 * A count as 7.0 reads it (getRangeLongFromObjectOrReply over -LONG_MAX..LONG_MAX; WITHVALUES and WITHSCORES then
 * take ±LONG_MAX/2 at most): as a bigint, exact where a double is not.
 */
function countOf(arg: Buffer): bigint | Reply {
  const text = arg.toString('latin1');
  if (!/^(0|-?[1-9]\d{0,18})$/.test(text)) return R.error(ERR.notInteger);
  const n = BigInt(text);
  if (n > LONG_MAX || n < -(2n ** 63n)) return R.error(ERR.notInteger);
  if (n < -LONG_MAX) return R.error(`ERR value is out of range, value must between -${LONG_MAX} and ${LONG_MAX}`);
  return n;
}

/** The positions picked of `size` items: `count` distinct ones (all when count ≥ size) or, negative, |count| that may repeat. */
function picks(size: number, count: bigint): number[] | Reply {
  if (count >= 0n) {
    const n = Number(count < BigInt(size) ? count : BigInt(size));
    // A partial Fisher–Yates shuffle: the first n of a random order, the places swapped kept aside (n of them, not a
    // list of all `size` made at each call: a few picks of a big set cost a few steps, as on 7.0).
    // Most of the set asked: the list of all (a reply of most of them is made anyway).
    const dense = n * 4 >= size;
    const all = dense ? Array.from({ length: size }, (_, i) => i) : [];
    const swapped = new Map<number, number>();
    const at = (i: number): number => (dense ? all[i]! : (swapped.get(i) ?? i));
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      out[i] = at(j);
      if (dense) all[j] = all[i]!;
      else swapped.set(j, at(i));
    }
    return out;
  }
  if (-count > BigInt(MAX_RANDOM_PICKS))
    return R.error(`ERR redis-dr serve answers at most ${MAX_RANDOM_PICKS} random picks (a negative count repeats them): ask for fewer`);
  return Array.from({ length: Number(-count) }, () => Math.floor(Math.random() * size));
}

type Kind = 'set' | 'hash' | 'zset';

/** How many items a collection has, and its i-th: a member, or a field with its value, or a member with its score (read where it stands). */
function itemsOf(v: KeyValue | null): { size: number; at(i: number): readonly [Buffer, Buffer | string | undefined] } {
  if (v?.type === 'set') return { size: v.members.length, at: (i) => [v.members[i]!, undefined] };
  if (v?.type === 'hash') return { size: v.fields.length, at: (i) => v.fields[i]! };
  if (v?.type === 'zset') return { size: v.entries.length, at: (i) => v.entries[i]! };
  return { size: 0, at: () => [Buffer.alloc(0), undefined] };
}

/** SRANDMEMBER, HRANDFIELD, ZRANDMEMBER: `key [count [WITHVALUES|WITHSCORES]]` (SRANDMEMBER takes no third word). */
function randomMember(type: Kind, word: 'withvalues' | 'withscores' | undefined): CommandSpec {
  return {
    arity: -2,
    async run(ctx, s, [, key, countArg, ...rest]) {
      const paired = word !== undefined && rest.length === 1 && rest[0]!.toString('latin1').toLowerCase() === word;
      const extra = rest.length > (word ? 1 : 0) || (rest.length === 1 && !paired);
      // SRANDMEMBER refuses a third word before it reads the count; HRANDFIELD and ZRANDMEMBER read the count first.
      if (extra && !word) return R.error(ERR.syntax);
      const count = countArg === undefined ? undefined : countOf(countArg);
      if (isReply(count)) return count;
      if (extra) return R.error(ERR.syntax);
      if (paired && count !== undefined && (count > LONG_MAX / 2n || count < -LONG_MAX / 2n)) return R.error('ERR value is out of range');
      const v = await typed(ctx, s, key!, type);
      if (isReply(v)) return v;
      const items = itemsOf(v);
      if (count === undefined) return items.size === 0 ? R.null : R.bulk(items.at(Math.floor(Math.random() * items.size))[0]);
      if (items.size === 0 || count === 0n) return R.array([]);
      const chosen = picks(items.size, count);
      if (isReply(chosen)) return chosen;
      // One reply per item picked, shared by each of its picks (a negative count repeats them): a reply of MAX_RANDOM_PICKS
      // holds a pointer or two a pick. Each pick's own objects (about 150 bytes) took 2.4 GB for one such ZRANDMEMBER …
      // WITHSCORES, and three clients at once ran serve out of heap (V8's fatal OOM ended the process).
      const replies = new Map<number, { name: Reply; value?: Reply; pair?: Reply }>();
      const of = (i: number) => {
        let r = replies.get(i);
        if (!r) {
          const [name, x] = items.at(i);
          const value = x === undefined ? undefined : typeof x === 'string' ? R.double(formatDouble(scoreValue(x))) : R.bulk(x);
          const named = R.bulk(name);
          r = { name: named, ...(value ? { value, pair: R.array([named, value]) } : {}) };
          replies.set(i, r);
        }
        return r;
      };
      if (!paired) return R.array(chosen.map((i) => of(i).name));
      // RESP3: each pick a pair; RESP2: flat (t_hash.c and t_zset.c's addReplyArrayLen(c, count*2)).
      if (s.proto === 3) return R.array(chosen.map((i) => of(i).pair!));
      const flat: Reply[] = new Array(chosen.length * 2);
      chosen.forEach((i, k) => {
        const r = of(i);
        flat[2 * k] = r.name;
        flat[2 * k + 1] = r.value!;
      });
      return R.array(flat);
    },
  };
}

/** Tries at a random position before RANDOMKEY walks on from one (a database most of whose keys have expired). */
const RANDOM_TRIES = 100;

/** A live key of the session's database, or null when it has none (db.c dbRandomKey: expired keys are skipped). */
function randomKey(ctx: ServeContext, s: Session): Reply | Promise<Reply> {
  const size = ctx.index.size(s.db);
  if (size === 0) return R.null;
  return liveOne(
    ctx,
    s,
    Array.from({ length: RANDOM_TRIES }, () => Math.floor(Math.random() * size)),
    size,
    ctx.now(),
  );
}

/**
 * The first live key of `tries`, else of a walk from a random position. An S3 copy's hashes with field TTLs not read
 * yet among the tries are read together once the others are found gone, then looked at; a walk reads every one of the
 * database first, as DBSIZE does (READS_AT_ONCE in flight). Each such hash met one at a time was a run of the command
 * more: a database of them, all gone, took a run a hash.
 */
function liveOne(ctx: ServeContext, s: Session, tries: readonly number[], size: number, now: number): Reply | Promise<Reply> {
  const hashes = ctx.hashes;
  const unread: number[] = [];
  for (const pos of tries) {
    const at = ctx.index.expireAtMs(s.db, pos);
    if (keyExpired(at, now)) continue;
    if (hashes && hashes.lastExpiry(s.db, pos) === undefined) unread.push(pos);
    else if (liveAt(ctx, s.db, pos, now)) return R.bulk(ctx.index.nameAt(s.db, pos));
  }
  const reading = hashes && unread.length > 0 ? hashes.learnAt(s.db, unread) : undefined;
  if (reading) return reading.then(() => liveOne(ctx, s, unread, size, now));
  const walk = (): Reply => {
    const from = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
      const pos = (from + i) % size;
      if (liveAt(ctx, s.db, pos, now)) return R.bulk(ctx.index.nameAt(s.db, pos));
    }
    return R.null;
  };
  const all = readHashesIn(ctx, s.db, 0, size);
  return all ? all.then(walk) : walk();
}

export const RANDOM_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  randomkey: { arity: 1, run: randomKey },
  srandmember: randomMember('set', undefined),
  hrandfield: randomMember('hash', 'withvalues'),
  zrandmember: randomMember('zset', 'withscores'),
};
