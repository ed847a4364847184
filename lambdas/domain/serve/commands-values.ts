/**
 * The read commands of strings, hashes, lists and sets, as a Redis 7.0
 * server answers them (argument checks and edge cases from src/t_string.c,
 * t_hash.c, t_list.c and t_set.c).
 */
import { type CommandSpec, isReply, lookup, typed, valueAt, whenRead } from './context.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger } from './reply-text.js';

const RO = ['readonly'] as const;
const FAST = ['readonly', 'fast'] as const;

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

const same = (a: Buffer, b: Buffer): boolean => a.equals(b);

export const VALUE_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  get: {
    arity: 2,
    flags: FAST,
    // No promise when the value is read at once (a local file): GET is what redis-benchmark times.
    run: (ctx, s, [, key]) => whenRead(typed(ctx, s, key!, 'string'), (v) => (v === null ? R.null : isReply(v) ? v : R.bulk(v.value))),
  },
  mget: {
    arity: -2,
    flags: FAST,
    keys: [1, -1, 1],
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
    flags: FAST,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'string');
      return v === null ? R.int(0) : isReply(v) ? v : R.int(v.value.length);
    },
  },
  getrange: {
    arity: 4,
    flags: RO,
    async run(ctx, s, [, key, ...rest]) {
      const n = integers(rest);
      if (isReply(n)) return n;
      const v = await typed(ctx, s, key!, 'string');
      if (v === null) return R.bulk('');
      if (isReply(v)) return v;
      let [start, end] = n as [number, number];
      const len = v.value.length;
      if (start < 0 && end < 0 && start > end) return R.bulk('');
      if (start < 0) start = len + start;
      if (end < 0) end = len + end;
      if (start < 0) start = 0;
      if (end < 0) end = 0;
      if (end >= len) end = len - 1;
      if (start > end || len === 0) return R.bulk('');
      return R.bulk(v.value.subarray(start, end + 1));
    },
  },
  hget: {
    arity: 3,
    flags: FAST,
    async run(ctx, s, [, key, field]) {
      const v = await typed(ctx, s, key!, 'hash');
      if (v === null) return R.null;
      if (isReply(v)) return v;
      const hit = v.fields.find(([f]) => same(f, field!));
      return hit ? R.bulk(hit[1]) : R.null;
    },
  },
  hmget: {
    arity: -3,
    flags: FAST,
    async run(ctx, s, [, key, ...fields]) {
      const v = await typed(ctx, s, key!, 'hash');
      if (isReply(v)) return v;
      const byField = new Map((v?.fields ?? []).map(([f, x]) => [f.toString('latin1'), x]));
      return R.array(
        fields.map((f) => {
          const x = byField.get(f.toString('latin1'));
          return x ? R.bulk(x) : R.null;
        }),
      );
    },
  },
  hgetall: {
    arity: 2,
    flags: RO,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'hash');
      if (isReply(v)) return v;
      return R.map((v?.fields ?? []).map(([f, x]) => [R.bulk(f), R.bulk(x)] as const));
    },
  },
  hkeys: {
    arity: 2,
    flags: RO,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.bulks((v?.fields ?? []).map(([f]) => f));
    },
  },
  hvals: {
    arity: 2,
    flags: RO,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.bulks((v?.fields ?? []).map(([, x]) => x));
    },
  },
  hlen: {
    arity: 2,
    flags: FAST,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.int(v?.fields.length ?? 0);
    },
  },
  hexists: {
    arity: 3,
    flags: FAST,
    async run(ctx, s, [, key, field]) {
      const v = await typed(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.int(v?.fields.some(([f]) => same(f, field!)) ? 1 : 0);
    },
  },
  hstrlen: {
    arity: 3,
    flags: FAST,
    async run(ctx, s, [, key, field]) {
      const v = await typed(ctx, s, key!, 'hash');
      return isReply(v) ? v : R.int(v?.fields.find(([f]) => same(f, field!))?.[1].length ?? 0);
    },
  },
  llen: {
    arity: 2,
    flags: FAST,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'list');
      return isReply(v) ? v : R.int(v?.items.length ?? 0);
    },
  },
  lrange: {
    arity: 4,
    flags: RO,
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
    flags: RO,
    async run(ctx, s, [, key, index]) {
      const i = parseInteger(index!);
      if (i === undefined) return R.error(ERR.notInteger);
      const v = await typed(ctx, s, key!, 'list');
      if (v === null) return R.null;
      if (isReply(v)) return v;
      const item = v.items[i < 0 ? v.items.length + i : i];
      return item ? R.bulk(item) : R.null;
    },
  },
  smembers: {
    arity: 2,
    flags: RO,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'set');
      return isReply(v) ? v : R.set((v?.members ?? []).map((m) => R.bulk(m)));
    },
  },
  sismember: {
    arity: 3,
    flags: FAST,
    async run(ctx, s, [, key, member]) {
      const v = await typed(ctx, s, key!, 'set');
      return isReply(v) ? v : R.int(v?.members.some((m) => same(m, member!)) ? 1 : 0);
    },
  },
  smismember: {
    arity: -3,
    flags: FAST,
    async run(ctx, s, [, key, ...members]) {
      const v = await typed(ctx, s, key!, 'set');
      if (isReply(v)) return v;
      const held = new Set((v?.members ?? []).map((m) => m.toString('latin1')));
      return R.array(members.map((m) => R.int(held.has(m.toString('latin1')) ? 1 : 0)));
    },
  },
  scard: {
    arity: 2,
    flags: FAST,
    async run(ctx, s, [, key]) {
      const v = await typed(ctx, s, key!, 'set');
      return isReply(v) ? v : R.int(v?.members.length ?? 0);
    },
  },
};
