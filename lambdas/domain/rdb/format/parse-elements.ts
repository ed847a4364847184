/**
 * The RDB parser's run of element strings (a plain list, set or hash, a
 * template hash's values): see {@link skipElements}. Takes the parser's state
 * and reads as far as the chunk goes (see format/parser.ts).
 */
import * as constants from './parse-constants.js';
import type { RdbParserState } from './parse-state.js';

// A module-local copy, as the other readers keep theirs (an imported binding is a property load or getter per read).
const { LISTPACK_VALUE } = constants;

/**
 * RdbParserState.skipElement for every element left (`count`), committed
 * after each as it does; false when one's body continues in the next
 * chunks. Plain strings with a 6- or 14-bit length that end in this buffer
 * (nearly every element of a list, set or hash in its plain form) are
 * skipped in a local loop, exactly as skipString skips them (the position
 * moved past the bytes, `longElement` set above {@link LISTPACK_VALUE}): it
 * reads and writes the parser's fields once per run, not per element (a
 * read-back of a converted file walks millions of these, bench/README.md's
 * convert-rdb). Anything else (an encoded string, a longer length, an
 * element that does not end here) goes through skipElement.
 */
export function skipElements(p: RdbParserState): boolean {
  if (p.count <= 0) return true;
  const b = p.buf;
  const limit = p.limit;
  for (;;) {
    let pos = p.pos;
    let count = p.count;
    let long = false;
    while (count > 0 && pos < limit) {
      const first = b[pos]!;
      if (first < 0x40) {
        if (pos + 1 + first > limit) break;
        pos += 1 + first;
      } else if (first < 0x80) {
        if (pos + 2 > limit) break;
        const n = ((first & 0x3f) << 8) | b[pos + 1]!;
        if (pos + 2 + n > limit) break;
        if (n > LISTPACK_VALUE) long = true;
        pos += 2 + n;
      } else break;
      count--;
    }
    p.pos = pos;
    p.count = count;
    p.mark = pos;
    if (long) p.longElement = true;
    if (count === 0) return true;
    if (!p.skipElement()) return false;
  }
}
