/**
 * The texts a Redis 7 server answers with, once: error lines (so replies
 * are byte-for-byte the server's) and numbers as it prints them.
 */

/** Error lines, as src/server.c and src/networking.c write them. */
export const ERR = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR min or max is not a float',
  syntax: 'ERR syntax error',
  streamId: 'ERR Invalid stream ID specified as stream command argument',
  invalidCursor: 'ERR invalid cursor',
  dbRange: 'ERR DB index is out of range',
  noAuth: 'NOAUTH Authentication required.',
  wrongPass: 'WRONGPASS invalid username-password pair or user is disabled.',
  noKey: 'ERR no such key',
  /** What a write gets: the point is a recovery point, never changed. */
  readOnly: "READONLY You can't write against a read only recovery point (redis-dr serve): restore it or migrate its keys to change them",
  arity: (name: string): string => `ERR wrong number of arguments for '${name}' command`,
  /** 7.0's processCommand: `'%.128s'` of the name, then each argument's `'%.*s' ` while the list is under 128 bytes, cut to fill it. */
  unknown: (name: Buffer, args: readonly Buffer[]): string => {
    let list = '';
    for (let i = 0; i < args.length && list.length < 128; i++) list += `'${printed(args[i]!, 128 - list.length)}' `;
    return `ERR unknown command '${printed(name, 128)}', with args beginning with: ${list}`;
  },
  /** XPENDING's words for a missing key or group. */
  noKeyOrGroup: (key: Buffer, group: Buffer): string => `NOGROUP No such key '${printed(key)}' or consumer group '${printed(group)}'`,
  noGroup: (group: Buffer, key: Buffer): string => `NOGROUP No such consumer group '${printed(group)}' for key name '${printed(key)}'`,
  /** XINFO STREAM's radix-tree sizes are the server's memory, in no file: refused in words, never guessed. */
  xinfoStream: 'ERR XINFO STREAM is not served from a recovery point (its radix-tree sizes are in no file): XLEN, XRANGE, XINFO GROUPS and XINFO CONSUMERS are',
  unknownSub: (sub: Buffer, cmd: string): string => `ERR unknown subcommand '${printed(sub, 128)}'. Try ${cmd.toUpperCase()} HELP.`,
};

/**
 * A client's argument as 7.0's `%s` (`%.*s`) prints it into an error line: its bytes up to the first NUL, at most
 * `max`, a char a byte (latin1: the line goes out as {@link R.errorBytes}).
 */
export function printed(b: Buffer, max = Number.MAX_SAFE_INTEGER): string {
  const nul = b.indexOf(0);
  return b.toString('latin1', 0, Math.min(nul < 0 ? b.length : nul, max));
}

/**
 * A double as Redis 7.0 prints it (`addReplyDouble`: `%.17g`, `inf`,
 * `-inf`): 1.1 is `1.1000000000000001`.
 */
export function formatDouble(d: number): string {
  if (d === Number.POSITIVE_INFINITY) return 'inf';
  if (d === Number.NEGATIVE_INFINITY) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mantissa, exp] = d.toExponential(16).split('e') as [string, string];
  const x = Number(exp);
  // %g: exponent style below 1e-4 or from 1e17 on, trailing zeros dropped either way.
  if (x < -4 || x >= 17) {
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    return `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  const fixed = d.toFixed(16 - x);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** A stored score (`normaliseScore`'s text) as the double it is. */
export function scoreValue(score: string): number {
  if (score === 'inf') return Number.POSITIVE_INFINITY;
  if (score === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(score);
}

/** An argument as a 64-bit integer the way Redis's string2ll reads it (no spaces, no `+`, no leading zeros), or undefined. */
export function parseInteger(arg: Buffer): number | undefined {
  const s = arg.toString('latin1');
  if (!/^(0|-?[1-9]\d{0,18})$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s) >= -(2n ** 63n) && BigInt(s) < 2n ** 63n ? n : undefined;
}

/** Whitespace as C's isspace sees it. */
const C_SPACE = /^[ \t\n\v\f\r]*/;

/**
 * `text` as zslParseRange reads a bound with C's strtod: leading whitespace,
 * a sign, `inf`/`infinity`, a decimal or hexadecimal (`0x1p4`) number, all
 * of `text` used; an empty text reads as 0 (strtod consumes nothing and
 * stops at its end); NaN is refused. Undefined when Redis refuses it.
 */
export function strtod(text: string): number | undefined {
  if (text === '') return 0;
  const body = text.replace(C_SPACE, '');
  const m = /^([+-]?)(?:(inf(?:inity)?)|0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?|(\d*\.?\d*(?:e[+-]?\d+)?))$/i.exec(body);
  if (!m) return undefined;
  const [, sign, inf, hexInt, hexFrac, hexExp, dec] = m;
  const negative = sign === '-';
  let v: number;
  if (inf) v = Number.POSITIVE_INFINITY;
  else if (hexInt !== undefined) {
    if (hexInt === '' && !hexFrac) return undefined;
    const digits = `${hexInt}${hexFrac ?? ''}`;
    v = (digits === '' ? 0 : Number.parseInt(digits, 16)) * 2 ** (Number(hexExp ?? 0) - 4 * (hexFrac ?? '').length);
  } else {
    if (!dec || !/\d/.test(dec.replace(/e.*$/i, ''))) return undefined;
    v = Number(dec);
  }
  return Number.isNaN(v) ? undefined : negative ? -v : v;
}
