/**
 * The RDB parser's lists: linked list (1), ziplist (10), quicklists (14, 18), and Redis 8.8's sparse array (28). Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import { validateZiplist } from './blobs.js';
import { skipElements } from './parse-elements.js';
import type { RdbParserState } from './parse-state.js';

/** A linked list (type 1): its elements, skipped; in a trusted read also a set's members and a quicklist's nodes (2, 14). */
export function linkedList(p: RdbParserState): boolean {
  if (p.sub === 0) p.beginElements(p.length());
  if (!skipElements(p)) return false;
  return true;
}

/** A list as one ziplist (type 10). */
export function ziplistList(p: RdbParserState): boolean {
  const blob = p.keptString();
  if (blob === null) return false;
  p.emptyValue = validateZiplist(blob) === 0;
  return true;
}

/** A quicklist of ziplists (type 14). */
export function quicklist(p: RdbParserState): boolean {
  if (p.sub === 0) beginQuicklist(p);
  while (p.count > 0) {
    const blob = p.keptString();
    if (blob === null) return false;
    quicklistNode(p, validateZiplist(nonEmptyNode(p, blob)));
    p.count--;
    p.mark = p.pos;
  }
  p.emptyValue = p.count2 === 0;
  return true;
}

/** A quicklist v2 (type 18) in a trusted read: container kind, node. */
export function trustedQuicklist2(p: RdbParserState): boolean {
  if (p.sub === 0) p.beginElements(p.length());
  for (;;) {
    if (p.sub === 1) {
      if (p.count === 0) return true;
      p.length();
      p.sub = 2;
      p.mark = p.pos;
    }
    const done = p.skipString();
    p.count--;
    p.sub = 1;
    p.mark = p.pos;
    if (!done) return false;
  }
}

/**
 * Redis 8.8's sparse array (type 28): the element count, an insert-index
 * flag (0 or 1) and, with 1, the insert index; then per element its index
 * (a plain length), a tag (0 a string, 1 an integer, 2 a double, 3 a short
 * string) and the element: 8 bytes for tags 1 and 2, a string for 0 and 3.
 */
export function array(p: RdbParserState): boolean {
  if (p.sub === 0) {
    const count = p.length(true);
    const flag = p.length();
    if (flag > 1) p.fail(`array insert-index flag ${flag} is neither 0 nor 1: Redis refuses it`);
    if (flag === 1) p.length(true); // the insert index (up to 2^64 - 2)
    p.beginElements(count);
  }
  for (;;) {
    if (p.sub === 1) {
      if (p.count === 0) return true;
      p.length(true); // the element's index
      const tag = p.length();
      if (tag === 1 || tag === 2) {
        p.skip(8);
        p.count--;
        p.mark = p.pos;
        continue;
      }
      if (tag !== 0 && tag !== 3) p.fail(`array element tag ${tag} is none of 0–3 (string, integer, double, short string): Redis refuses it`);
      p.sub = 2;
      p.mark = p.pos;
    }
    const done = p.skipString();
    p.count--;
    p.sub = 1;
    p.mark = p.pos;
    if (!done) return false;
  }
}

/** A quicklist: its node count; nodes that hold elements are counted in `count2` (none: an empty key). */
export function beginQuicklist(p: RdbParserState): void {
  p.beginElements(p.length());
  p.count2 = 0;
}

/** A quicklist node's body: Redis refuses an empty one ("encoded_len == 0"). */
export function nonEmptyNode(p: RdbParserState, blob: Uint8Array): Uint8Array {
  if (blob.length === 0) p.fail('quicklist node with an empty body: Redis refuses to load it');
  return blob;
}

/** A packed node of `elements`: Redis drops an empty one silently, and a quicklist left with none is an empty key. */
export function quicklistNode(p: RdbParserState, elements: number): void {
  if (elements > 0) p.count2++;
}

export function quicklist2(p: RdbParserState): boolean {
  if (p.sub === 0) beginQuicklist(p);
  for (;;) {
    if (p.sub === 1) {
      if (p.count === 0) {
        p.emptyValue = p.count2 === 0;
        return true;
      }
      const container = p.length();
      if (container === 1) {
        // PLAIN: one large element (never empty: Redis refuses an empty body).
        p.need(1);
        if (p.buf[p.pos] === 0) p.fail('quicklist node with an empty body: Redis refuses to load it');
        p.count2++;
        if (!p.skipElement()) return false;
        continue;
      }
      if (container !== 2) p.fail(`quicklist node container ${container} is neither plain (1) nor packed (2)`);
      p.sub = 2;
      p.mark = p.pos;
    }
    // PACKED: a listpack.
    const blob = p.keptString();
    if (blob === null) return false;
    quicklistNode(p, p.validListpack(nonEmptyNode(p, blob)));
    p.count--;
    p.sub = 1;
    p.mark = p.pos;
  }
}
