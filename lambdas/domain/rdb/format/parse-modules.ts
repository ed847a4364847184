/**
 * The RDB parser's module values (types 6, 7) and module data (also MODULE_AUX and key metadata): self-describing opcode streams. Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import type { RdbParserState } from './parse-state.js';

/**
 * What a report says of module data, each absent when none: module values by type (with key metadata classes a server
 * needs their module for, `META-<class>`), the modules whose AUX data the file holds, and the keys per Redis 8.6 key
 * metadata class a server may skip (ALLOW_IGNORE).
 */
export function moduleFindings(p: RdbParserState) {
  return {
    ...(Object.keys(p.moduleTypes).length > 0 ? { moduleTypes: { ...p.moduleTypes } } : {}),
    ...(p.moduleAux.length > 0 ? { moduleAux: [...p.moduleAux] } : {}),
    ...(Object.keys(p.ignorableKeyMeta).length > 0 ? { ignorableKeyMeta: { ...p.ignorableKeyMeta } } : {}),
  };
}

/** The same in a checkpoint (module types and AUX modules always written; ignorable key metadata only when there is some). */
export function moduleCheckpoint(p: RdbParserState) {
  return { ...moduleFindings(p), moduleTypes: { ...p.moduleTypes }, moduleAux: [...p.moduleAux] };
}

/** A module value written through the module API (type 7): its module type, counted, then its self-describing data. */
export function moduleValue(p: RdbParserState): boolean {
  if (p.sub === 0) {
    const name = moduleTypeName(p);
    p.moduleTypes[name] = (p.moduleTypes[name] ?? 0) + 1;
    p.sub = 1;
    p.mark = p.pos;
  }
  return moduleBody(p);
}

/** A pre-GA module value (type 6): refused. */
export function preGaModuleValue(p: RdbParserState): boolean {
  return p.fail('module types not supported (pre-GA module value, RDB type 6)');
}

export const MODULE_NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The name of a module value's type, from the 64-bit module id that
 * precedes it (9 characters in its high 54 bits; the low 10 bits are the
 * encoding version). Read from the raw bytes: the id does not fit a double.
 */
export function moduleTypeName(p: RdbParserState): string {
  const at = p.pos;
  p.need(1);
  let id: bigint;
  if (p.buf[at] === 0x81) {
    p.need(9);
    id = new DataView(p.buf.buffer, p.buf.byteOffset + at + 1, 8).getBigUint64(0, false);
    p.pos += 9;
  } else id = BigInt(p.length());
  let name = '';
  for (let j = 0, rest = id >> 10n; j < 9; j++, rest >>= 6n) name = MODULE_NAME_CHARS[Number(rest & 63n)]! + name;
  return name;
}

/** Module data is self-describing: opcode, value, …, EOF (0). */
export function moduleBody(p: RdbParserState): boolean {
  for (;;) {
    const opcode = p.length();
    if (opcode === 0) {
      p.mark = p.pos;
      return true;
    }
    if (opcode === 1 || opcode === 2) p.length(true);
    else if (opcode === 3) p.skip(4);
    else if (opcode === 4) p.skip(8);
    else if (opcode === 5) {
      const done = p.skipString();
      p.mark = p.pos;
      if (!done) return false;
      continue;
    } else p.fail(`unknown module data opcode ${opcode}`);
    p.mark = p.pos;
  }
}
