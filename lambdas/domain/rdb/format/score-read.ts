/**
 * A zset score stored as text, read as Redis 7.0 reads it when it loads the
 * file (issue 55): C's number syntax over the longest prefix that is one,
 * the rest ignored. Two rules, by where the text is stored:
 * - RDB type 3 (rdbLoadDoubleValue): `sscanf("%lg")`, so a text with no
 *   number at its start (`abc`, ``) is a load error; `1.5x` is 1.5.
 * - ziplist/listpack entries (zzlGetScore -> zzlStrtod): `strtod`, so a text
 *   with no number at its start is 0; `1.5x` is 1.5.
 * Hand-written: JavaScript has no strtod; `Number` refuses a trailing rest
 * and reads `0x10`/`0b1`/`0o7` by its own rules. A decimal's digits go to
 * `Number` (correctly rounded, as glibc's strtod: 20,006 random texts, same
 * bits), a hexadecimal's are rounded here ({@link hexValue}).
 */

/** The prefix C reads: whitespace, sign, then inf/infinity, nan, hexadecimal or decimal (with exponent). */
const C_NUMBER =
  /^[ \t\n\v\f\r]*([+-]?)(?:(infinity|inf)|(nan)|0x(?=\.?[0-9a-f])([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?|((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))/i;

/** The double C reads from the start of `text`, or undefined when no number starts it. */
export function cNumberPrefix(text: string): number | undefined {
  const m = C_NUMBER.exec(text);
  if (!m) return undefined;
  const [, sign, inf, nan, hexInt, hexFrac, hexExp, dec] = m;
  let v: number;
  if (inf) v = Number.POSITIVE_INFINITY;
  else if (nan) v = Number.NaN;
  else if (hexInt !== undefined) v = hexValue(`${hexInt}${hexFrac ?? ''}`, Number(hexExp ?? 0) - 4 * (hexFrac ?? '').length);
  else v = Number(dec);
  return sign === '-' ? -v : v;
}

/**
 * The double nearest `digits` (hexadecimal) * 2^`exp`, as strtod rounds it:
 * once, half to even, on 53 bits, or on fewer below 2^-1022 (the lowest bit
 * of a subnormal is 2^-1074); inf past the largest double. Exact in BigInt:
 * parseInt then a multiplication by 2^exp rounds twice (a subnormal), or
 * loses the value where 2^exp alone under- or overflows (0x1p-1100 * 2^60).
 */
function hexValue(digits: string, exp: number): number {
  let m = digits === '' ? 0n : BigInt(`0x${digits}`);
  if (m === 0n) return 0;
  const size = m.toString(2).length;
  // The value's lowest bit a double can hold: 52 below its top bit, not below 2^-1074.
  const lowest = Math.max(size - 1 + exp - 52, -1074);
  if (lowest > exp) {
    const drop = lowest - exp;
    if (drop > size) return 0; // below half the least subnormal
    const cut = BigInt(drop);
    const rest = m & ((1n << cut) - 1n);
    const half = 1n << (cut - 1n);
    m >>= cut;
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
    exp = lowest;
  }
  // m has at most 53 bits (54 when rounding carried: still exact) and exp >= -1074: one exact product, or inf.
  return Number(m) * 2 ** exp;
}

/** A listpack/ziplist score text as zzlStrtod reads it: no number at its start reads as 0. */
export function scoreByStrtod(text: string): number {
  // zzlStrtod copies at most 127 bytes before strtod.
  return cNumberPrefix(text.slice(0, 127)) ?? 0;
}

/** An RDB type-3 score text as rdbLoadDoubleValue's sscanf reads it: undefined (a load error) when no number starts it. */
export function scoreBySscanf(text: string): number | undefined {
  return cNumberPrefix(text);
}
