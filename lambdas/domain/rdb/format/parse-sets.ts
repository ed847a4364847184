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

/** The members an intset may hold before Redis converts it to a hash table on load (`set-max-intset-entries`, default). */
const SET_MAX_INTSET_ENTRIES = 512;

/**
 * A set as an intset (type 11). Out of order, Redis loads it (only sanitize-dump-payload yes refuses it), but one of more
 * than 512 members it converts to a hash table as it loads, and a member twice there aborts the server
 * (t_set.c: `dictAdd(d,element,NULL) == DICT_OK`): corrupt (review 45's fuzzing: convert-rdb wrote such a copy, "verified").
 */
export function intsetSet(p: RdbParserState): boolean {
  const blob = p.keptString();
  if (blob === null) return false;
  let unordered = false;
  const count = validateIntset(blob, (i) => {
    unordered = true;
    p.intsetUnordered(i);
  });
  // Not an empty key Redis skips: intsetValidateIntegrity fails an intset of no members, with or without deep
  // sanitization (the differential fuzz campaign's find: convert-rdb left it out of a copy called verified).
  if (count === 0) p.fail('empty intset: Redis refuses it ("Intset integrity check failed")');
  if (unordered && count > SET_MAX_INTSET_ENTRIES && intsetHasDuplicate(blob))
    p.fail(
      `an intset of ${count} members holding one twice: Redis converts one of more than ${SET_MAX_INTSET_ENTRIES} to a hash table on load (set-max-intset-entries) and aborts on the duplicate`,
    );
  return true;
}

/** Whether an intset (validated) holds a value twice: only asked of an unordered one (an ordered one holds none). */
function intsetHasDuplicate(b: Uint8Array): boolean {
  const width = b[0]!;
  const count = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const seen = new Set<bigint | number>();
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    const v = width === 2 ? view.getInt16(at, true) : width === 4 ? view.getInt32(at, true) : view.getBigInt64(at, true);
    if (seen.has(v)) return true;
    seen.add(v);
  }
  return false;
}

/** A set as a listpack (type 20). */
export function listpackSet(p: RdbParserState): boolean {
  const blob = keptListpack(p, 1, false);
  if (blob === null) return false;
  const n = listpackMembers(p, blob, 1, 'set members');
  p.emptyValue = n === 0;
  return true;
}
