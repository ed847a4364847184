/**
 * The RDB parser's sets: hash table (2), intset (11), listpack (20). Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import { validateIntset } from './blobs.js';
import { LONG_MEMBER, loadWasmSetMembers } from './member-walks-wasm.js';
import { keptListpack, listpackMembers } from './parse-listpacks.js';
import type { RdbParserState } from './parse-state.js';

/** The set walk in WebAssembly (member-walks-wasm.ts); undefined where WebAssembly is unavailable. */
const wasmSetMembers = loadWasmSetMembers();

/** A set as a hash table (type 2): no member twice. */
export function hashtableSet(p: RdbParserState): boolean {
  if (p.sub === 0) {
    p.beginMembers(p.length());
    // Members all in this chunk are walked in WebAssembly; whatever that walk does not vouch for is read below.
    if (wasmSetMembers !== undefined && p.count >= 2) {
      const walked = wasmSetMembers(p.buf, p.pos, p.limit, p.count);
      if (walked >= 0) {
        if ((walked & LONG_MEMBER) !== 0) p.longElement = true;
        p.pos += walked & ~LONG_MEMBER;
        p.count = 0;
        p.mark = p.pos;
        return true;
      }
    }
  }
  while (p.count > 0) {
    if (!p.fingerprintString()) return false;
    p.dupCheck('set members');
    p.count--;
    p.mark = p.pos;
  }
  return true;
}

/** A set as an intset (type 11). */
export function intsetSet(p: RdbParserState): boolean {
  const blob = p.keptString();
  if (blob === null) return false;
  p.emptyValue = validateIntset(blob, p.intsetUnordered) === 0;
  return true;
}

/** A set as a listpack (type 20). */
export function listpackSet(p: RdbParserState): boolean {
  const blob = keptListpack(p, 1, false);
  if (blob === null) return false;
  const n = listpackMembers(p, blob, 1, 'set members');
  p.emptyValue = n === 0;
  return true;
}
