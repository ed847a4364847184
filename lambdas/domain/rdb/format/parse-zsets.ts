/**
 * The RDB parser's sorted sets: skiplist (3: scores as text, 5: binary), ziplist (12), listpack (17). Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import { nanScoreEntry } from './blob-members.js';
import * as constants from './parse-constants.js';
import { keptListpack, listpackPairs } from './parse-listpacks.js';
import type { RdbParserState } from './parse-state.js';
import { scoreBySscanf } from './score-read.js';

// Module-local copies of the parser's constants: under tsx and vitest an imported binding is a getter call per
// read (in the CLI's CommonJS a property load), and these are read per key and per element; a local const is free.
const { latin1, LITTLE_ENDIAN, SCORE, SCORE_BYTES } = constants;

/** A sorted set as a skiplist: member, then its score as text (type 3) or a binary double (5); no member twice, no NaN score. */
export function skiplistZset(p: RdbParserState, type: number): boolean {
  if (p.sub === 0) p.beginMembers(p.length());
  for (;;) {
    if (p.sub === 1) {
      if (p.count === 0) return true;
      if (!p.fingerprintString()) return false;
      p.dupCheck('zset fields');
      p.count--;
      p.sub = 2; // the score comes next
      p.mark = p.pos;
    }
    if (type === 3) doubleString(p);
    else binaryScore(p);
    p.sub = 1;
    p.mark = p.pos;
  }
}

/** {@link skiplistZset} in a trusted read: member, score (text or binary double) by their lengths. */
export function trustedSkiplistZset(p: RdbParserState, type: number): boolean {
  if (p.sub === 0) p.beginElements(p.length());
  for (;;) {
    if (p.sub === 1) {
      if (!trustedPairsHere(p, type)) return true;
      const done = p.skipString();
      p.sub = 2;
      p.mark = p.pos;
      if (!done) return false;
    }
    if (type === 5) p.skip(8);
    else {
      const n = p.u8();
      if (n < 253) p.skip(n);
    }
    p.count--;
    p.sub = 1;
    p.mark = p.pos;
  }
}

/**
 * The pairs of {@link trustedSkiplistZset} that lie whole in this buffer with
 * a member of a 6-bit plain length (nearly all), skipped in a local loop as
 * its steps skip them (member by its length, then the score by its: 8 bytes,
 * or a length byte and that many, none for 253–255), committed once at the
 * end; the next pair, if any, is left to those steps. Returns whether pairs remain.
 */
function trustedPairsHere(p: RdbParserState, type: number): boolean {
  const b = p.buf;
  const limit = p.limit;
  let pos = p.pos;
  let count = p.count;
  while (count > 0 && pos < limit) {
    const n = b[pos]!;
    if (n >= 0x40) break;
    let end = pos + 1 + n;
    if (type === 5) end += 8;
    else {
      if (end >= limit) break;
      const s = b[end]!;
      end += s < 253 ? 1 + s : 1;
    }
    if (end > limit) break;
    pos = end;
    count--;
  }
  p.pos = pos;
  p.count = count;
  p.mark = pos;
  return count > 0;
}

/** A sorted set as a ziplist of pairs (type 12). */
export function ziplistZset(p: RdbParserState): boolean {
  const blob = p.keptString();
  if (blob === null) return false;
  p.emptyValue = p.ziplistPairs(blob, 'zset members', 'Zset') === 0;
  nanScore(p, nanScoreEntry(blob, false));
  return true;
}

/** A sorted set as a listpack of pairs (type 17). */
export function listpackZset(p: RdbParserState): boolean {
  const blob = keptListpack(p, 2, true);
  if (blob === null) return false;
  p.lpMembers.walked = false; // set by the read of this listpack only, never left from another's
  p.emptyValue = listpackPairs(p, blob, 'zset members') < 2; // no whole pair: Redis skips it on load (listpackPairs)
  // Walked by the sink (convert-rdb's input), its every score was read as a number (RdbKeySink.listpack): none is NaN.
  nanScore(p, typeof blob === 'number' ? p.lpStream.nan : p.lpMembers.walked ? undefined : nanScoreEntry(blob, true));
  return true;
}

/**
 * A ziplist/listpack score entry that reads as NaN is refused, though 7.0 loads one: it does not check those scores,
 * so a small set keeps it (ZRANGE says nan), but converting the set to a skiplist aborts the server (zslInsert asserts
 * '!isnan(score)'): at load when it has more than zset-max-listpack-entries (128 by default) members, or at a later write.
 */
function nanScore(p: RdbParserState, text: string | undefined): void {
  if (text !== undefined) {
    p.fail(
      `sorted set score ${JSON.stringify(text)} reads as NaN: Redis loads it unchecked into a small set, and aborts (assertion '!isnan(score)') when it converts the set to a skiplist, at load past zset-max-listpack-entries or at a later write`,
    );
  }
}

/** A zset score as text (RDB type 3): length byte, then text; lengths 253–255 stand for NaN, +inf and -inf. */
export function doubleString(p: RdbParserState): void {
  const n = p.u8();
  if (n === 253) p.fail('sorted set score is NaN: Redis refuses it ("Zset with NAN score detected")');
  if (n > 253) return; // +inf, -inf
  p.checkLimit(n);
  p.need(n);
  const text = latin1.decode(p.buf.subarray(p.pos, p.pos + n));
  p.pos += n;
  // Read as 7.0's rdbLoadDoubleValue reads it (sscanf "%lg": `1.5x` is 1.5, `abc` a load error).
  const d = scoreBySscanf(text);
  if (d === undefined) p.fail(`score ${JSON.stringify(text)} is not a number (Redis refuses to load it)`);
  if (Number.isNaN(d)) p.fail(`sorted set score ${JSON.stringify(text)} is NaN: Redis refuses it ("Zset with NAN score detected")`);
}

/** A zset score as a binary double (RDB type 5): NaN is refused as Redis refuses it. */
export function binaryScore(p: RdbParserState): void {
  p.need(8);
  // Copied into a scratch double rather than read through a new DataView: one per score was most of the
  // verifier's time on skiplist-heavy files (measured in bench/verify-rdb).
  const b = p.buf;
  const at = p.pos;
  const bytes = SCORE_BYTES;
  for (let i = 0; i < 8; i++) bytes[LITTLE_ENDIAN ? i : 7 - i] = b[at + i]!;
  p.pos = at + 8;
  if (Number.isNaN(SCORE[0]!)) p.fail('sorted set score is NaN: Redis refuses it ("Zset with NAN score detected")');
}
