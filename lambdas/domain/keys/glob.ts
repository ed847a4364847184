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
 * as a 256-bit set, `*`) and the runs of tokens between the `*`s; a key is
 * matched run by run ({@link Glob}): at most tokens × key bytes steps, never
 * exponential (Redis bounds its recursion the same way since CVE-2022-36021,
 * with `skipLongerMatches`), and a run of plain bytes is found by
 * Buffer.indexOf. {@link GlobSlices} matches in slices of bounded work, so
 * serve's KEYS and SCAN can give way to other clients in the middle of a key.
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
  const glob = new Glob(pattern, options);
  const unbounded = { left: Number.POSITIVE_INFINITY };
  return (key) => glob.run(key, unbounded, { seg: -1, at: 0 }) === true;
}

/** Where a match paused: the next middle segment to find (-1: not begun) and the key byte its search goes on from. */
interface GlobPlace {
  seg: number;
  at: number;
}

/** The tokens [from, to) that lie between two `*` (or before the first, after the last), and their bytes when every one is a byte. */
interface Segment {
  readonly from: number;
  readonly to: number;
  readonly literal?: Buffer;
}

/**
 * A pattern read once, matched as segments: the tokens before the first
 * `*` must match at the key's start, those after the last at its end, and
 * each run between two `*` at its leftmost place after the previous one
 * (every token takes one byte, so the leftmost place leaves the most key to
 * the rest: the same answers as the two-pointer walk that goes back to the
 * last `*`, and as stringmatchlen). A run of plain bytes is found with
 * Buffer.indexOf (a `KEYS *<literal>*`), the others by trying each place:
 * at most tokens × key bytes steps, as Redis.
 */
class Glob {
  private readonly codes: Int32Array;
  private readonly sets: Uint32Array;
  private readonly nocase: boolean;
  /** The pattern is `*` alone (every key, the empty one too) or empty (the empty key only). */
  private readonly every: boolean;
  private readonly empty: boolean;
  private readonly starred: boolean;
  private readonly head: Segment;
  private readonly mids: readonly Segment[];
  /** The tokens after the last `*` (none when the pattern ends with one). */
  private readonly tail: Segment;

  constructor(pattern: string | Buffer, options: { readonly nocase?: boolean }) {
    const p = typeof pattern === 'string' ? Buffer.from(pattern) : pattern;
    this.nocase = options.nocase === true;
    const { codes, sets } = tokenize(p, this.nocase);
    this.codes = codes;
    this.sets = sets;
    this.every = p.length === 1 && p[0] === 0x2a;
    this.empty = p.length === 0;
    const stars: number[] = [];
    for (let t = 0; t < codes.length; t++) if (codes[t] === STAR) stars.push(t);
    this.starred = stars.length > 0;
    const segment = (from: number, to: number): Segment => {
      let literal: Buffer | undefined;
      if (!this.nocase && to > from && codes.subarray(from, to).every((c) => c >= 0)) literal = Buffer.from(codes.subarray(from, to));
      return literal ? { from, to, literal } : { from, to };
    };
    if (!this.starred) {
      this.head = segment(0, codes.length);
      this.mids = [];
      this.tail = segment(codes.length, codes.length);
    } else {
      this.head = segment(0, stars[0]!);
      this.mids = stars.slice(1).map((at, i) => segment(stars[i]! + 1, at));
      this.tail = segment(stars[stars.length - 1]! + 1, codes.length);
    }
  }

  /** Whether the tokens of `seg` match `key` from byte `at` on (the caller has checked that it fits). */
  private fitsAt(seg: Segment, key: Buffer, at: number): boolean {
    const { codes, sets, nocase } = this;
    for (let t = seg.from, s = at; t < seg.to; t++, s++) {
      const code = codes[t]!;
      const b = key[s]!;
      if (code >= 0) {
        if (code !== (nocase ? lower(b) : b)) return false;
      } else if (code !== ANY) {
        const w = (CLASS - code) * 8;
        if (((sets[w + (b >>> 5)]! >>> (b & 31)) & 1) !== 1) return false;
      }
    }
    return true;
  }

  /**
   * Matches `key` from `place` on, spending at most about `budget.left` steps (a token tried against a
   * byte; a byte Buffer.indexOf passes): true or false once decided, undefined when the steps ran out
   * first (`place` then says where to go on: call again with the same key and place).
   */
  run(key: Buffer, budget: { left: number }, place: GlobPlace): boolean | undefined {
    if (this.every) return true;
    const n = key.length;
    // Redis's stringmatchlen stops at the key's end before it looks at the pattern: the empty key matches only the empty pattern.
    if (n === 0 || this.empty) return n === 0 && this.empty;
    const { head, mids, tail } = this;
    const headLen = head.to - head.from;
    const tailLen = tail.to - tail.from;
    if (place.seg < 0) {
      budget.left -= headLen + tailLen + 1;
      if (!this.starred) return n === headLen && this.fitsAt(head, key, 0);
      if (n < headLen + tailLen || !this.fitsAt(head, key, 0) || !this.fitsAt(tail, key, n - tailLen)) return false;
      place.seg = 0;
      place.at = headLen;
    }
    // Each middle segment lies between the head and the tail.
    const end = n - tailLen;
    while (place.seg < mids.length) {
      const seg = mids[place.seg]!;
      const len = seg.to - seg.from;
      const last = end - len;
      let found = -1;
      if (seg.literal) {
        if (budget.left <= 0) return undefined;
        found = last < place.at ? -1 : (end < n ? key.subarray(0, end) : key).indexOf(seg.literal, place.at);
        budget.left -= (found < 0 ? end : found + len) - place.at + 1;
      } else
        for (let at = place.at; at <= last; at++) {
          if (budget.left <= 0) {
            place.at = at;
            return undefined;
          }
          budget.left -= len + 1;
          if (this.fitsAt(seg, key, at)) {
            found = at;
            break;
          }
        }
      if (found < 0) return false;
      place.seg++;
      place.at = found + len;
    }
    return true;
  }
}

/**
 * Matches key after key against one pattern in slices of bounded work
 * (serve's KEYS and SCAN MATCH: between slices other clients are
 * answered): {@link test} answers undefined when the slice's steps ran out
 * in the middle of a key, and goes on with that key when called with it
 * again after {@link slice}.
 */
export class GlobSlices {
  private readonly glob: Glob;
  private readonly budget = { left: 0 };
  private paused: GlobPlace | undefined;

  constructor(pattern: string | Buffer) {
    this.glob = new Glob(pattern, {});
  }

  /** Starts a slice of `steps` steps. */
  slice(steps: number): void {
    this.budget.left = steps;
  }

  /** Whether this slice's steps are spent. */
  get spent(): boolean {
    return this.budget.left <= 0;
  }

  /** Spends `steps` of the slice on work besides matching (a key looked at). */
  spend(steps: number): void {
    this.budget.left -= steps;
  }

  /** `key`'s match (true or false), or undefined when the slice ended in the middle of it: call again with it after {@link slice}. */
  test(key: Buffer): boolean | undefined {
    const place = this.paused ?? { seg: -1, at: 0 };
    const matched = this.glob.run(key, this.budget, place);
    this.paused = matched === undefined ? place : undefined;
    return matched;
  }
}

const STAR = -1;
const ANY = -2;
/** A class token is CLASS - k: its set is words 8k…8k+7 of `sets`. */
const CLASS = -3;

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
