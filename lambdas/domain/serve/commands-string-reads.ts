/**
 * BITPOS and LCS as a Redis 7.0 server answers them (src/bitops.c
 * bitposCommand, src/t_string.c lcsCommand): their argument checks in the
 * server's order, its edge cases (an empty range, a clear bit past an open
 * end) and LCS's walk of its table, ranges and all.
 */
import { type CommandSpec, isReply, lookup, type ServeContext, type Session, typed } from './context.js';
import { typeNameOf } from './key-index.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger } from './reply-text.js';
import { SERVE_MAX_VALUE_BYTES } from './value-limit.js';

/** The first bit of `b` equal to `bit` in bits [from, to] (inclusive), or -1. */
function firstBit(b: Buffer, bit: 0 | 1, from: number, to: number): number {
  for (let at = from; at <= to; ) {
    const byte = b[at >> 3]!;
    // A whole byte with no such bit is stepped over at once.
    if ((at & 7) === 0 && at + 7 <= to && byte === (bit ? 0 : 0xff)) {
      at += 8;
      continue;
    }
    if (((byte >> (7 - (at & 7))) & 1) === bit) return at;
    at++;
  }
  return -1;
}

/** BITPOS key bit [start [end [BYTE|BIT]]]: the bit argument first, then the key, then the range. */
async function bitpos(ctx: ServeContext, s: Session, args: Buffer[]): Promise<Reply> {
  const bitArg = parseInteger(args[2]!);
  if (bitArg === undefined) return R.error(ERR.notInteger);
  if (bitArg !== 0 && bitArg !== 1) return R.error('ERR The bit argument must be 1 or 0.');
  const bit = bitArg as 0 | 1;
  // A missing key is an endless run of clear bits.
  const v = await typed(ctx, s, args[1]!, 'string');
  if (v === null) return R.int(bit ? -1 : 0);
  if (isReply(v)) return v;
  const b = v.value;
  const argc = args.length;
  if (argc > 6) return R.error(ERR.syntax);
  let start = 0;
  let end = b.length - 1;
  let isBit = false;
  const endGiven = argc >= 5;
  if (argc >= 4) {
    const st = parseInteger(args[3]!);
    if (st === undefined) return R.error(ERR.notInteger);
    if (argc === 6) {
      const unit = args[5]!.toString('latin1').toLowerCase();
      if (unit !== 'bit' && unit !== 'byte') return R.error(ERR.syntax);
      isBit = unit === 'bit';
    }
    const total = isBit ? b.length * 8 : b.length;
    start = st;
    if (endGiven) {
      const en = parseInteger(args[4]!);
      if (en === undefined) return R.error(ERR.notInteger);
      end = en;
    } else end = total - 1;
    if (start < 0) start += total;
    if (end < 0) end += total;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
  }
  // An empty range holds neither a 0 nor a 1.
  if (start > end) return R.int(-1);
  const [from, to] = isBit ? [start, end] : [start * 8, end * 8 + 7];
  const found = firstBit(b, bit, from, to);
  if (found >= 0 || bit === 1) return R.int(found);
  // No clear bit in the range: with an end given none there (-1); with none, the string is taken as padded with clear bits.
  return R.int(endGiven ? -1 : ((to >> 3) + 1) * 8);
}

/** LCS's options, after its keys: LEN, IDX, MINMATCHLEN n, WITHMATCHLEN. */
function lcsOptions(args: readonly Buffer[]): { len: boolean; idx: boolean; minLen: number; withLen: boolean } | Reply {
  const o = { len: false, idx: false, minLen: 0, withLen: false };
  for (let j = 3; j < args.length; j++) {
    const opt = args[j]!.toString('latin1').toLowerCase();
    if (opt === 'idx') o.idx = true;
    else if (opt === 'len') o.len = true;
    else if (opt === 'withmatchlen') o.withLen = true;
    else if (opt === 'minmatchlen' && j + 1 < args.length) {
      const n = parseInteger(args[++j]!);
      if (n === undefined) return R.error(ERR.notInteger);
      o.minLen = Math.max(0, n);
    } else return R.error(ERR.syntax);
  }
  if (o.idx && o.len) return R.error('ERR If you want both the length and indexes, please just use IDX.');
  return o;
}

/** The value of a string key for LCS: its bytes, empty when missing; null when another type is there. */
async function lcsString(ctx: ServeContext, s: Session, key: Buffer): Promise<Buffer | null> {
  const pos = lookup(ctx, s.db, key);
  if (pos < 0) return Buffer.alloc(0);
  if (typeNameOf(ctx.index.typeAt(s.db, pos)) !== 'string') return null;
  const v = await typed(ctx, s, key, 'string');
  return v === null ? Buffer.alloc(0) : isReply(v) ? null : v.value;
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest common subsequence, its length, or its matching ranges. */
async function lcs(ctx: ServeContext, s: Session, args: Buffer[]): Promise<Reply> {
  const a = await lcsString(ctx, s, args[1]!);
  const b = await lcsString(ctx, s, args[2]!);
  if (a === null || b === null) return R.error('ERR The specified keys must contain string values');
  const o = lcsOptions(args);
  if (isReply(o)) return o;
  const [alen, blen] = [a.length, b.length];
  // 7.0 refuses a table over proto-max-bulk-len (4 bytes a cell) before it allocates it: the one serve was given.
  if ((alen + 1) * (blen + 1) * 4 > (ctx.maxValueBytes ?? SERVE_MAX_VALUE_BYTES))
    return R.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  const w = blen + 1;
  const t = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++)
    for (let j = 1; j <= blen; j++) t[i * w + j] = a[i - 1] === b[j - 1] ? t[(i - 1) * w + j - 1]! + 1 : Math.max(t[(i - 1) * w + j]!, t[i * w + j - 1]!);
  const total = t[alen * w + blen]!;
  if (o.len) return R.int(total);
  const result = Buffer.alloc(total);
  const ranges: Reply[] = [];
  let idx = total;
  // The walk back from the end, as 7.0's: a range grows while the matches are contiguous and is emitted where it breaks.
  let [aStart, aEnd, bStart, bEnd] = [alen, 0, 0, 0];
  for (let i = alen, j = blen; i > 0 && j > 0; ) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1]!;
      if (aStart === alen) [aStart, aEnd, bStart, bEnd] = [i - 1, i - 1, j - 1, j - 1];
      else if (aStart === i && bStart === j) [aStart, bStart] = [aStart - 1, bStart - 1];
      else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * w + j]! > t[i * w + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (o.idx && (o.minLen === 0 || matchLen >= o.minLen)) {
        const range = [R.array([R.int(aStart), R.int(aEnd)]), R.array([R.int(bStart), R.int(bEnd)])];
        ranges.push(R.array(o.withLen ? [...range, R.int(matchLen)] : range));
      }
      aStart = alen;
    }
  }
  if (!o.idx) return R.bulk(result);
  // A map in RESP3, flat in RESP2.
  return R.map([
    [R.bulk('matches'), R.array(ranges)],
    [R.bulk('len'), R.int(total)],
  ]);
}

export const STRING_READ_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  bitpos: { arity: -3, run: bitpos },
  lcs: { arity: -3, run: lcs },
};
