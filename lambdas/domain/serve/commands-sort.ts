/**
 * SORT_RO as a Redis 7.0 server answers it (src/sort.c sortCommandGeneric,
 * lookupKeyByPattern): a list, set or sorted set sorted by its elements'
 * numeric values (ties by their bytes), ALPHA by their bytes up to a NUL
 * (7.0 uses strcoll on C strings: byte order in the C or C.UTF-8 locale a
 * server runs in by default; ties keep their order), or BY the values of other keys (`*` replaced by the element,
 * `->field` a hash's field; a pattern with no `*` sorts nothing); GET of
 * other keys per element (`#` the element). LIMIT, ASC and DESC as 7.0.
 */
import type { KeyValue } from '../rdb/fingerprint.js';
import { type CommandSpec, isReply, lookup, type ServeContext, type Session, typed, valueAt } from './context.js';
import { typeNameOf } from './key-index.js';
import { loadedEncoding } from './loaded-encoding.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger, scoreValue, strtod } from './reply-text.js';

/** SORT_RO's options, as 7.0 reads them before it looks the key up. */
interface SortOptions {
  desc: boolean;
  alpha: boolean;
  start: number;
  count: number;
  by?: Buffer;
  /** BY a pattern with no `*`: the elements in their own order. */
  dontSort: boolean;
  gets: Buffer[];
}

function sortOptions(args: readonly Buffer[]): SortOptions | Reply {
  const o: SortOptions = { desc: false, alpha: false, start: 0, count: -1, dontSort: false, gets: [] };
  for (let j = 2; j < args.length; j++) {
    const opt = args[j]!.toString('latin1').toLowerCase();
    const left = args.length - j - 1;
    if (opt === 'asc') o.desc = false;
    else if (opt === 'desc') o.desc = true;
    else if (opt === 'alpha') o.alpha = true;
    else if (opt === 'limit' && left >= 2) {
      const start = parseInteger(args[j + 1]!);
      const count = parseInteger(args[j + 2]!);
      if (start === undefined || count === undefined) return R.error(ERR.notInteger);
      [o.start, o.count] = [start, count];
      j += 2;
    } else if (opt === 'by' && left >= 1) {
      o.by = args[++j]!;
      o.dontSort = !o.by.includes(0x2a);
    } else if (opt === 'get' && left >= 1) o.gets.push(args[++j]!);
    else return R.error(ERR.syntax);
  }
  return o;
}

/**
 * The value a pattern names for `element` (lookupKeyByPattern): `#` the element itself; the first `*` replaced by it,
 * a string key's value, or with `->field` after the `*` that field of a hash key; null where there is none (or another type).
 */
async function byPattern(ctx: ServeContext, s: Session, pattern: Buffer, element: Buffer): Promise<Buffer | null> {
  if (pattern.length === 1 && pattern[0] === 0x23) return element;
  const star = pattern.indexOf(0x2a);
  if (star < 0) return null;
  const arrow = pattern.indexOf('->', star + 1);
  const field = arrow >= 0 && arrow + 2 < pattern.length ? pattern.subarray(arrow + 2) : undefined;
  const name = Buffer.concat([pattern.subarray(0, star), element, pattern.subarray(star + 1, field ? arrow : pattern.length)]);
  const pos = lookup(ctx, s.db, name);
  if (pos < 0) return null;
  const type = typeNameOf(ctx.index.typeAt(s.db, pos));
  if (field) {
    if (type !== 'hash') return null;
    const h = await typed(ctx, s, name, 'hash');
    if (h === null || isReply(h)) return null;
    return h.fields.find(([f]) => f.equals(field))?.[1] ?? null;
  }
  if (type !== 'string') return null;
  const v = await valueAt(ctx, s.db, pos);
  return v.type === 'string' ? v.value : null;
}

/** The elements in the order 7.0 holds them: a list's, a sorted set's (score, then bytes), a set's (an intset ascending; a hash table's own). */
function elementsOf(type: number, v: KeyValue): Buffer[] {
  if (v.type === 'list') return [...v.items];
  if (v.type === 'zset') return [...v.entries].sort((a, b) => scoreValue(a[1]) - scoreValue(b[1]) || Buffer.compare(a[0], b[0])).map(([m]) => m);
  if (v.type === 'set') {
    if (loadedEncoding(type, v) !== 'intset') return [...v.members];
    return [...v.members].sort((a, b) => (BigInt(a.toString('latin1')) < BigInt(b.toString('latin1')) ? -1 : 1));
  }
  return [];
}

/** A sort key's number as 7.0 reads it (strtod, all of the text, no NaN, no range error), or undefined. */
function numberOf(b: Buffer): number | undefined {
  const text = b.toString('latin1');
  const n = strtod(text);
  if (n === undefined) return undefined;
  if (!Number.isFinite(n) && !/inf/i.test(text)) return undefined;
  return n;
}

async function sortRo(ctx: ServeContext, s: Session, args: Buffer[]): Promise<Reply> {
  const o = sortOptions(args);
  if (isReply(o)) return o;
  const pos = lookup(ctx, s.db, args[1]!);
  let elements: Buffer[] = [];
  let isSet = false;
  if (pos >= 0) {
    const typeName = typeNameOf(ctx.index.typeAt(s.db, pos));
    if (typeName !== 'list' && typeName !== 'set' && typeName !== 'zset') return R.error(ERR.wrongType);
    const v = await valueAt(ctx, s.db, pos);
    elements = elementsOf(ctx.index.typeAt(s.db, pos), v);
    isSet = typeName === 'set';
  }
  const n = elements.length;
  let start = Math.min(Math.max(o.start, 0), n);
  const count = Math.min(Math.max(o.count, -1), n);
  let end = count < 0 ? n - 1 : start + count - 1;
  if (start >= n) [start, end] = [n - 1, n - 2];
  if (end >= n) end = n - 1;
  let sorted: Buffer[];
  if (o.dontSort) {
    // A list or sorted set in its order (reversed by DESC); a set in its own order, DESC ignored.
    sorted = o.desc && !isSet ? [...elements].reverse() : elements;
  } else {
    const keyed: { e: Buffer; score: number; cmp: Buffer | null }[] = [];
    for (const e of elements) {
      const by = o.by ? await byPattern(ctx, s, o.by, e) : e;
      if (o.alpha) keyed.push({ e, score: 0, cmp: o.by ? by : null });
      else {
        const score = by === null ? 0 : numberOf(by);
        if (score === undefined) return R.error("ERR One or more scores can't be converted into double");
        keyed.push({ e, score, cmp: null });
      }
    }
    const compare = (a: (typeof keyed)[number], b: (typeof keyed)[number]): number => {
      let c: number;
      if (!o.alpha) c = a.score > b.score ? 1 : a.score < b.score ? -1 : Buffer.compare(a.e, b.e);
      else if (o.by) c = a.cmp === null || b.cmp === null ? (a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1) : collate(a.cmp, b.cmp);
      else c = collate(a.e, b.e);
      return o.desc ? -c : c;
    };
    sorted = keyed.sort(compare).map((k) => k.e);
  }
  const out: Reply[] = [];
  for (let j = start; j <= end; j++) {
    const e = sorted[j]!;
    if (o.gets.length === 0) out.push(R.bulk(e));
    for (const get of o.gets) {
      const v = await byPattern(ctx, s, get, e);
      out.push(v === null ? R.null : R.bulk(v));
    }
  }
  return R.array(out);
}

/** strcoll of two values as C strings, as 7.0's ALPHA compares them: each up to its first NUL (the C locale's byte order). */
function collate(a: Buffer, b: Buffer): number {
  const end = (x: Buffer): number => {
    const nul = x.indexOf(0);
    return nul < 0 ? x.length : nul;
  };
  return Buffer.compare(a.subarray(0, end(a)), b.subarray(0, end(b)));
}

export const SORT_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  sort_ro: { arity: -2, run: sortRo },
};
