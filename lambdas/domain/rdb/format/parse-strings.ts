/**
 * The RDB parser's string values (type 0). Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import type { RdbParserState } from './parse-state.js';

/** A string (type 0), and in a trusted read any value kept as one string or blob: one element, its bytes skipped. */
export function oneString(p: RdbParserState): boolean {
  if (p.sub === 0) p.beginElements(1);
  while (p.count > 0) if (!p.skipElement()) return false;
  return true;
}
