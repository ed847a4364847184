/**
 * A zset score stored as text, read as Redis 7.0 reads it when it loads the
 * file (issue 55): C's number syntax over the longest prefix that is one,
 * the rest ignored. Two rules, by where the text is stored:
 * - RDB type 3 (rdbLoadDoubleValue): `sscanf("%lg")`, so a text with no
 *   number at its start (`abc`, ``) is a load error; `1.5x` is 1.5.
 * - ziplist/listpack entries (zzlGetScore -> zzlStrtod): `strtod`, so a text
 *   with no number at its start is 0; `1.5x` is 1.5.
 * Hand-written: JavaScript has no strtod; `Number` refuses a trailing rest
 * and reads `0x10`/`0b1`/`0o7` by its own rules.
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
  else if (hexInt !== undefined) {
    const digits = `${hexInt}${hexFrac ?? ''}`;
    v = (digits === '' ? 0 : Number.parseInt(digits, 16)) * 2 ** (Number(hexExp ?? 0) - 4 * (hexFrac ?? '').length);
  } else v = Number(dec);
  return sign === '-' ? -v : v;
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
