/**
 * Redis's glob (`stringmatchlen`, src/util.c of Redis 7.0) on key bytes: `*`
 * any run, `?` one byte, `[abc]`, `[^abc]`, `[a-z]` classes, `\x` the byte x
 * literally. KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, CONFIG GET, COMMAND LIST
 * FILTERBY PATTERN, `history --match` and migrate/compare `--match` all match
 * through this one function.
 *
 * Written here, not taken from npm: picomatch, minimatch and micromatch are
 * path globs (`*` stops at `/`, `[!…]`, braces, extglobs, text rather than
 * bytes) and compile to a RegExp, whose backtracking is exponential in the
 * stars — the way a `KEYS '**********x'` once held serve's event loop for
 * minutes. Here the pattern is read once into tokens (a byte, `?`, a class
 * as a 256-bit set, `*`), and a key is matched by the classic two-pointer
 * walk that, on a mismatch, goes back only to the last `*` met: at most
 * tokens × key bytes steps, never exponential (Redis bounds its recursion
 * the same way since CVE-2022-36021, with `skipLongerMatches`).
 *
 * Redis's quirks, kept on purpose (test/lambdas/domain/keys/glob.test.ts
 * holds them against a real 7.0 server's KEYS):
 * - a lone `*` matches every key, the empty one too: KEYS and SCAN answer it
 *   without the matcher, and so does this function, for every caller;
 *   otherwise an empty key matches only the empty pattern (not `**`);
 * - a class: `\x` inside is the byte x, `a-z` and `z-a` are the same range,
 *   a `-` first or last is a byte, `[]` matches nothing and `[^]` any byte,
 *   and one left open runs to the end of the pattern (`[a-]` is the range
 *   from `a` to `]`: Redis takes the three bytes before checking for `]`);
 * - a range compares C `char`s, which are signed on x86-64 (where the
 *   comparison tests run): a byte of 0x80 or more counts below 0, so
 *   `[\x00-\xff]` holds only those two bytes (on arm64, whose `char` is
 *   unsigned, Redis would take the whole range);
 * - a trailing `\` is a literal backslash;
 * - with `nocase` (CONFIG GET, COMMAND LIST), C's `tolower` in the C locale
 *   (A–Z only) on both sides, except for a `\x` inside a class, which Redis
 *   compares exactly.
 */
export function compileGlob(pattern: string | Buffer, options: { readonly nocase?: boolean } = {}): (key: Buffer) => boolean {
  const p = typeof pattern === 'string' ? Buffer.from(pattern) : pattern;
  const nocase = options.nocase === true;
  const { codes, sets } = tokenize(p, nocase);
  if (p.length === 0) return (key) => key.length === 0;
  if (p.length === 1 && p[0] === 0x2a) return () => true;
  const n = codes.length;
  const fits = (code: number, b: number): boolean => {
    if (code >= 0) return code === (nocase ? lower(b) : b);
    if (code === ANY) return true;
    const at = (CLASS - code) * 8;
    return ((sets[at + (b >>> 5)]! >>> (b & 31)) & 1) === 1;
  };
  return (key) => {
    if (key.length === 0) return false;
    let t = 0;
    let s = 0;
    let star = -1; // the token after the last `*` met, and the key byte it was tried against
    let from = 0;
    while (s < key.length) {
      const code = t < n ? codes[t]! : NONE;
      if (code === STAR) {
        star = ++t;
        from = s;
      } else if (code !== NONE && fits(code, key[s]!)) {
        t++;
        s++;
      } else if (star >= 0) {
        // The last `*` takes one byte more; any earlier `*` taking more could only do worse.
        t = star;
        s = ++from;
      } else return false;
    }
    while (t < n && codes[t] === STAR) t++;
    return t === n;
  };
}

const STAR = -1;
const ANY = -2;
/** A class token is CLASS - k: its set is words 8k…8k+7 of `sets`. */
const CLASS = -3;
const NONE = -1_000_000_000;

/** C's tolower in the C locale. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as a C `char` on x86-64: signed. */
function signed(b: number): number {
  return b >= 128 ? b - 256 : b;
}

/**
 * The pattern as tokens, read as stringmatchlen reads it: a byte (0–255; with
 * `nocase` lower-cased), ANY, STAR (runs of `*` as one), or a class.
 */
function tokenize(p: Buffer, nocase: boolean): { codes: Int32Array; sets: Uint32Array } {
  const codes: number[] = [];
  const sets: number[] = [];
  /** Class sets already made, by their words: a pattern of many equal classes keeps one. */
  const made = new Map<string, number>();
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const c = p[i]!;
    if (c === 0x2a /* * */) {
      if (codes[codes.length - 1] !== STAR) codes.push(STAR);
    } else if (c === 0x3f /* ? */) codes.push(ANY);
    else if (c === 0x5c /* \ */ && n - i >= 2) codes.push(nocase ? lower(p[++i]!) : p[++i]!);
    else if (c === 0x5b /* [ */) {
      const set = new Uint32Array(8);
      const add = (b: number): void => {
        set[b >>> 5]! |= 1 << (b & 31);
      };
      i++;
      const not = i < n && p[i] === 0x5e; /* ^ */
      if (not) i++;
      for (;;) {
        if (i < n && p[i] === 0x5c && n - i >= 2) add(p[++i]!);
        else if (i < n && p[i] === 0x5d /* ] */) break;
        else if (i === n) {
          // Left open: the class ends with the pattern.
          i--;
          break;
        } else if (n - i >= 3 && p[i + 1] === 0x2d /* - */) {
          let start = signed(p[i]!);
          let end = signed(p[i + 2]!);
          if (start > end) [start, end] = [end, start];
          if (nocase) [start, end] = [lower(start), lower(end)];
          for (let b = 0; b < 256; b++) {
            const v = nocase ? lower(signed(b)) : signed(b);
            if (v >= start && v <= end) add(b);
          }
          i += 2;
        } else if (nocase) {
          const want = lower(p[i]!);
          for (let b = 0; b < 256; b++) if (lower(b) === want) add(b);
        } else add(p[i]!);
        i++;
      }
      if (not) for (let w = 0; w < 8; w++) set[w] = ~set[w]!;
      const words = set.join(',');
      let k = made.get(words);
      if (k === undefined) {
        k = made.size;
        made.set(words, k);
        sets.push(...set);
      }
      codes.push(CLASS - k);
    } else codes.push(nocase ? lower(c) : c);
  }
  return { codes: Int32Array.from(codes), sets: Uint32Array.from(sets) };
}
