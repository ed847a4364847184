/**
 * ZUNION, ZINTER, ZDIFF and ZINTERCARD as a Redis 7.0 server answers them
 * (src/t_zset.c zunionInterDiffGenericCommand): the keys counted and each
 * type-checked (a set's members score 1) before the options are read, the
 * weights and AGGREGATE as 7.0 applies them (a NaN is 0), the result in a
 * sorted set's order (score, then member bytes).
 */
import { type CommandSpec, isReply, lookup, type ServeContext, type Session, valueAt } from './context.js';
import { typeNameOf } from './key-index.js';
import { type ScoresByMember, scoresByMember } from './member-lookup.js';
import { R, type Reply } from './resp.js';
import { ERR, formatDouble, parseInteger, strtod } from './reply-text.js';

type Op = 'union' | 'inter' | 'diff' | 'card';

/** A weight as 7.0's getDoubleFromObject reads it (string2d: all of it, no leading space, no NaN). */
function weightOf(arg: Buffer): number | undefined {
  const text = arg.toString('latin1');
  if (text === '' || /^[ \t\n\v\f\r]/.test(text)) return undefined;
  const v = strtod(text);
  if (v === undefined || (!Number.isFinite(v) && !/inf/i.test(text))) return undefined;
  return v;
}

/** The inputs (member → score; null: no such key), each looked up and type-checked in turn. */
async function inputs(ctx: ServeContext, s: Session, keys: readonly Buffer[]): Promise<(ScoresByMember | null)[] | Reply> {
  const out: (ScoresByMember | null)[] = [];
  for (const key of keys) {
    const pos = lookup(ctx, s.db, key);
    if (pos < 0) {
      out.push(null);
      continue;
    }
    const type = typeNameOf(ctx.index.typeAt(s.db, pos));
    if (type !== 'zset' && type !== 'set') return R.error(ERR.wrongType);
    const v = await valueAt(ctx, s.db, pos);
    if (v.type !== 'zset' && v.type !== 'set') return R.error(ERR.wrongType);
    out.push(scoresByMember(ctx, v));
  }
  return out;
}

/** The options after the keys: WEIGHTS and AGGREGATE (not ZDIFF's), WITHSCORES, ZINTERCARD's LIMIT. */
function options(
  op: Op,
  args: readonly Buffer[],
  from: number,
  n: number,
): { weights: number[]; aggregate: string; withScores: boolean; limit: number } | Reply {
  const o = { weights: Array.from({ length: n }, () => 1), aggregate: 'sum', withScores: false, limit: 0 };
  const algebra = op === 'union' || op === 'inter';
  for (let j = from; j < args.length; ) {
    const word = args[j]!.toString('latin1').toLowerCase();
    const left = args.length - j;
    if (algebra && left >= n + 1 && word === 'weights') {
      for (let i = 0; i < n; i++) {
        const w = weightOf(args[j + 1 + i]!);
        if (w === undefined) return R.error('ERR weight value is not a float');
        o.weights[i] = w;
      }
      j += n + 1;
    } else if (algebra && left >= 2 && word === 'aggregate') {
      const how = args[j + 1]!.toString('latin1').toLowerCase();
      if (how !== 'sum' && how !== 'min' && how !== 'max') return R.error(ERR.syntax);
      o.aggregate = how;
      j += 2;
    } else if (op !== 'card' && word === 'withscores') {
      o.withScores = true;
      j++;
    } else if (op === 'card' && left >= 2 && word === 'limit') {
      // getPositiveLongFromObjectOrReply: its one message for a non-integer and a negative alike.
      const l = parseInteger(args[j + 1]!);
      if (l === undefined || l < 0) return R.error("ERR LIMIT can't be negative");
      o.limit = l;
      j += 2;
    } else return R.error(ERR.syntax);
  }
  return o;
}

/**
 * A weighted score, a NaN (0 × inf) taken as 0 as 7.0 does; and the score so far `a` aggregated with the next `b` as
 * 7.0's zunionInterAggregate does: MIN and MAX keep `a` unless `b` is below (above) it, so of 0 and -0 the first stays.
 */
const zeroNaN = (x: number): number => (Number.isNaN(x) ? 0 : x);
function aggregate(how: string, a: number, b: number): number {
  if (how === 'min') return b < a ? b : a;
  if (how === 'max') return b > a ? b : a;
  return zeroNaN(a + b);
}

function zsetOp(op: Op, name: string): CommandSpec {
  return {
    arity: -3,
    async run(ctx, s, args) {
      const n = parseInteger(args[1]!);
      if (n === undefined) return R.error(ERR.notInteger);
      if (n < 1) return R.error(`ERR at least 1 input key is needed for '${name}' command`);
      if (n > args.length - 2) return R.error(ERR.syntax);
      const sets = await inputs(ctx, s, args.slice(2, 2 + n));
      if (isReply(sets)) return sets;
      const o = options(op, args, 2 + n, n);
      if (isReply(o)) return o;
      const result = new Map<string, number>();
      // The inputs from the smallest, as 7.0 sorts them (its sums are added in that order; a missing key counts 0).
      const order = sets.map((_, i) => i).sort((a, b) => (sets[a]?.size ?? 0) - (sets[b]?.size ?? 0));
      if (op === 'union') {
        order.forEach((i) => {
          const set = sets[i];
          for (const [m, x] of set ?? []) {
            const v = zeroNaN(o.weights[i]! * x);
            const had = result.get(m);
            result.set(m, had === undefined ? v : aggregate(o.aggregate, had, v));
          }
        });
      } else if (op === 'inter' || op === 'card') {
        if (sets.every((x) => x !== null)) {
          for (const [m] of sets[order[0]!]!) {
            if (!order.every((i) => sets[i]!.has(m))) continue;
            // As 7.0's zinter: the first (smallest) input's weighted score a NaN taken as 0, the others' aggregated as they
            // are (a NaN kept out by MIN and MAX, a NaN sum 0): inf × inf then 0 × -inf sums to 0, not inf.
            let v: number | undefined;
            for (const i of order) {
              const w = o.weights[i]! * sets[i]!.get(m)!;
              v = v === undefined ? zeroNaN(w) : aggregate(o.aggregate, v, w);
            }
            result.set(m, v!);
            if (op === 'card' && o.limit > 0 && result.size >= o.limit) break;
          }
        }
      } else {
        for (const [m, x] of sets[0] ?? []) if (!sets.slice(1).some((other) => other?.has(m))) result.set(m, x);
      }
      if (op === 'card') return R.int(result.size);
      const sorted = [...result].sort((a, b) => a[1] - b[1] || Buffer.compare(Buffer.from(a[0], 'latin1'), Buffer.from(b[0], 'latin1')));
      const member = (m: string): Reply => R.bulk(Buffer.from(m, 'latin1'));
      if (!o.withScores) return R.array(sorted.map(([m]) => member(m)));
      // Pairs in RESP3, flat in RESP2 (as ZRANGE … WITHSCORES).
      if (s.proto === 3) return R.array(sorted.map(([m, x]) => R.array([member(m), R.double(formatDouble(x))])));
      return R.array(sorted.flatMap(([m, x]) => [member(m), R.double(formatDouble(x))]));
    },
  };
}

export const ZSET_OP_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  zunion: zsetOp('union', 'zunion'),
  zinter: zsetOp('inter', 'zinter'),
  zdiff: zsetOp('diff', 'zdiff'),
  zintercard: zsetOp('card', 'zintercard'),
};
