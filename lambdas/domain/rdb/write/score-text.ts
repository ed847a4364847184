/**
 * A zset score's text read as the server's strtod reads it, exactly, without
 * a string for the common forms: the re-encoding's reading of a listpack's
 * scores (write/transcode.ts and, for what its own reading leaves, the
 * WebAssembly walk's import, write/transcode-wasm.ts). Split from
 * transcode.ts by what it does.
 */
import { RdbFormatError } from '../errors.js';
import { scoreByStrtod } from '../format/score-read.js';

/**
 * The zset score whose text is `b[from, to)`: a double as the server's
 * strtod reads it (`inf` forms included); the WebAssembly walk asks it of
 * every score not stored as an integer.
 * @throws RdbFormatError when it is not a number
 */
export function scoreOf(b: Uint8Array, from: number, to: number): number {
  const fast = shortDecimal(b, from, to);
  if (!Number.isNaN(fast)) return fast; // read exactly without a string
  const text = latin1Text(b, from, to);
  // As zzlStrtod reads it (score-read.ts): `1.5x` is 1.5, `abc` 0; NaN is refused as the reading (value.ts) refuses it.
  const d = scoreByStrtod(text);
  if (Number.isNaN(d)) throw new RdbFormatError(`sorted set score ${JSON.stringify(text)} is NaN`);
  return d;
}

/** Char codes of {@link latin1Text}'s text, reused (its length set per call). */
const CODES: number[] = [];

/**
 * The bytes `b[from, to)` as a latin1 string, for `Number` (the 16–17-digit
 * `%.17g` scores Redis 7.0 writes, which {@link shortDecimal} leaves): char
 * codes from a reused array, no Buffer view and decoder call per score (a
 * third less CPU a score in a micro-benchmark, 1M scores of 17 digits: about
 * 137 against 167–201 ms on one CPU). A long text (over 64 bytes, no server
 * writes one) through a view, as before.
 */
function latin1Text(b: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n > 64) return Buffer.from(b.buffer, b.byteOffset + from, n).toString('latin1');
  CODES.length = n;
  for (let i = 0; i < n; i++) CODES[i] = b[from + i]!;
  return String.fromCharCode.apply(null, CODES);
}

/** Exact powers of ten as doubles (10^22 is the largest that is). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The double of the decimal text `b[from, to)` when it is `[-]digits[.digits]`
 * with at most 17 significant digits and 20 after the point (the scores
 * Redis writes: `269.01`, `6440.5`, and Redis 7.0's `%.17g`
 * `269.00999999999999`), else NaN (then `Number` reads it). Exact, as
 * `Number` is. Up to 15 significant digits: the digits make an integer
 * below 2^53 and the power of ten is exact, so one division, which IEEE 754
 * rounds correctly, gives the correctly rounded value (Clinger's fast path,
 * the one strtod and V8 take first). 16–17 digits: {@link longDecimal}.
 * Hand-written, not `Number(text)` alone: that needs a string per score,
 * which was a tenth of a re-encoding conversion's walk.
 */
export function shortDecimal(b: Uint8Array, from: number, to: number): number {
  let i = from;
  const negative = b[i] === 0x2d;
  if (negative) i++;
  let m = 0;
  let significant = 0;
  let fraction = 0;
  let point = false;
  let digits = 0;
  let first = -1;
  for (; i < to; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (significant > 0 || c !== 0x30) {
        if (significant === 0) first = i;
        significant++;
      }
      m = m * 10 + (c - 0x30);
      digits++;
      if (point) fraction++;
    } else if (c === 0x2e && !point) point = true;
    else return Number.NaN;
  }
  if (digits === 0 || fraction > 22) return Number.NaN;
  if (significant > 15) return significant <= 17 && fraction <= 20 ? longDecimal(b, first, to, significant, fraction, negative) : Number.NaN;
  const v = fraction === 0 ? m : m / POW10[fraction]!;
  return negative ? -v : v;
}

/** A double's bits, for {@link longDecimal}'s neighbours and its unit in the last place. */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;
/** Dekker's splitter for doubles (2^27 + 1). */
const SPLIT = 134217729;
const TWO_53 = 2 ** 53;

/** `a × b` = {@link prodHi} + {@link prodLo} exactly (Dekker's TwoProduct, no overflow here). */
let prodHi = 0;
let prodLo = 0;
function twoProduct(a: number, b: number): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  prodHi = p;
  prodLo = ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * The correctly rounded double of D / 10^f, where D is the integer of the
 * 16 or 17 significant digits starting at `b[first]` (a point among them
 * skipped) and f ≤ 20 the digits after the point; NaN (`Number` reads it)
 * where the argument below does not hold (D < 2^53, a candidate at the edge
 * of its binade). The candidate q = fl(fl(D) / 10^f) is within an ulp or
 * two of the answer. Its residual r = D − q·10^f is computed exactly: D =
 * hi·10^k + lo (hi its first 9 digits, lo the rest, k ≤ 8), where a =
 * hi·10^k is exact (hi·5^k < 10^9·5^8 < 2^53, times 2^k), and q·10^f = s +
 * s' exactly (TwoProduct); a and s are integers (s near D ≥ 2^53: over 2^52)
 * within a factor two of each other, so a − s is exact (Sterbenz), the sum
 * (a − s) + lo is small and exact, and r, a multiple of
 * q's ulp × 2^f below about 4·5^20 < 2^53 of them, is exact too. Then q is
 * the answer when |r| < ulp(q)·10^f / 2 (exact: a power of two times 10^f),
 * its even neighbour on a tie, else its neighbour towards r (again checked).
 * tests: transcode.test.ts holds it bit for bit against `Number` on seeded
 * `%.17g` texts, random digit strings, ties and binade edges.
 */
function longDecimal(b: Uint8Array, first: number, to: number, significant: number, f: number, negative: boolean): number {
  let hi = 0;
  let lo = 0;
  let n = 0;
  for (let i = first; i < to; i++) {
    const c = b[i]!;
    if (c === 0x2e) continue;
    if (n < 9) hi = hi * 10 + (c - 0x30);
    else lo = lo * 10 + (c - 0x30);
    n++;
  }
  const k = significant - 9;
  const scale = POW10[k]!;
  const p = POW10[f]!;
  const approx = hi * scale + lo;
  if (approx < TWO_53) return Number.NaN;
  const a = hi * scale; // exact: hi · 5^k < 10^9 · 5^8 < 2^53, times 2^k
  let q = approx / p;
  for (let step = 0; step < 4; step++) {
    F64[0] = q;
    const high = U32[HI]!;
    const low = U32[LO]!;
    const mantissaHigh = high & 0xfffff;
    // The edge of a binade (mantissa all zeros or all ones): its ulp changes there; left to Number.
    if ((mantissaHigh === 0 && low === 0) || (mantissaHigh === 0xfffff && low === 0xffffffff)) return Number.NaN;
    const exponent = (high >>> 20) & 0x7ff;
    const half = 2 ** (exponent - 1075 - 1) * p; // ulp(q) / 2 × 10^f, exact
    twoProduct(q, p);
    const r = a - prodHi + lo - prodLo;
    const size = Math.abs(r);
    if (size < half) return negative ? -q : q;
    if (size === half) {
      if ((low & 1) === 0) return negative ? -q : q;
      // The tie goes to the even neighbour, towards r.
    } else if (size > 8 * half) return Number.NaN; // farther than the candidate can be (and r beyond the exact bound): left to Number
    // The neighbour towards r: one up or down in the mantissa (no carry into the exponent: not a binade edge).
    if (r > 0) {
      if (low === 0xffffffff) (U32[HI] = high + 1), (U32[LO] = 0);
      else U32[LO] = low + 1;
    } else if (low === 0) (U32[HI] = high - 1), (U32[LO] = 0xffffffff);
    else U32[LO] = low - 1;
    q = F64[0]!;
  }
  return Number.NaN;
}
