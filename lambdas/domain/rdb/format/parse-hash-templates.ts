/**
 * The RDB parser's Redis 8.10 template hashes (types 29–32; the template records themselves: opcode 242, read in parser.ts's step). Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import { listpackEntrySize, validateListpack } from './blobs.js';
import { firstListpackElement } from './listpack.js';
import { keptListpack, STREAMED_LISTPACK_BYTES, VALUES_ONLY } from './parse-listpacks.js';
import {
  listpackFieldsProblem,
  listpackFirstId,
  NO_TEMPLATE_ID,
  listpackIdProblem,
  SELF_FIELDS_LISTPACK,
  selfFieldFormatProblem,
  selfValuesCountProblem,
  templateFieldCountProblem,
  templateFieldOrderProblem,
  templateIdOf,
  unknownTemplateProblem,
} from './hash-template.js';
import { HASH_TEMPLATE_ARRAY } from './opcodes.js';
import * as constants from './parse-constants.js';
import { skipElements } from './parse-elements.js';
import type { RdbParserState } from './parse-state.js';

// Module-local copies of the parser's constants: under tsx and vitest an imported binding is a getter call per
// read (in the CLI's CommonJS a property load), and these are read per key and per element; a local const is free.
const { EMPTY } = constants;

/** The field count of the template a hash references; an unknown template is corruption. */
export function templateFieldCount(p: RdbParserState, id: number): number {
  const fields = p.templates.fieldCount(id);
  if (fields === undefined) p.fail(unknownTemplateProblem(id, p.templates.size));
  p.templateHashes++; // counted once per key: both readers call this once, at the value's start
  return fields;
}

/**
 * Redis 8.10's template hash as a listpack (type 30): the template's id first, then one value per field. A big one
 * that continues past its chunk is validated as it streams by (parse-listpacks.ts keptListpack, as a hash's type 16),
 * its id read first where its string begins ({@link idInChunk}), so the parser holds no copy of a value its reader may
 * keep (issue 55); any other is gathered and read whole. The same verdict either way.
 */
export function templateListpack(p: RdbParserState): boolean {
  if (p.sub === 0) {
    // Its id kept until the listpack is validated (-1: none), so the problems come in the gathered path's order.
    const id = idInChunk(p);
    if (id !== undefined) p.selfFields = id ?? -1;
    p.sub = id === undefined ? 2 : 1;
  }
  if (p.sub === 1) {
    const kept = keptListpack(p, VALUES_ONLY, false);
    if (kept === null) return false;
    const n = typeof kept === 'number' ? kept : validateListpack(kept);
    if (p.selfFields < 0) p.fail(NO_TEMPLATE_ID);
    valuesFor(p, n, p.selfFields);
    return true;
  }
  const blob = p.keptString();
  if (blob === null) return false;
  const n = validateListpack(blob);
  const id = listpackFirstId(blob);
  if (id === null) p.fail(NO_TEMPLATE_ID);
  valuesFor(p, n, id);
  return true;
}

/** A type 30's listpack of `n` entries holds one value a field of template `id` after the id, or the parser fails. */
function valuesFor(p: RdbParserState, n: number, id: number): void {
  const fields = templateFieldCount(p, id);
  if (n - 1 !== fields) p.fail(`template hash listpack holds ${n - 1} values, template ${id} has ${fields} fields: Redis refuses it`);
}

/**
 * The template id a big type 30's listpack begins with, read where its string lies in the parser's chunk (its length
 * plain, neither LZF nor an integer; its header and first entry there; the listpack as big as keptListpack streams);
 * undefined where not (it is then gathered and read whole). Null: it begins with no template id. The parser's position
 * is left where it was (its length read again by keptListpack).
 */
function idInChunk(p: RdbParserState): number | null | undefined {
  const start = p.pos;
  const len = p.lengthOrEncoding(false);
  const at = p.pos;
  p.pos = start;
  const first = at + 6;
  if (len < STREAMED_LISTPACK_BYTES || first >= p.limit) return undefined;
  let size: number;
  try {
    size = listpackEntrySize(p.buf, first, p.limit - first, 0, first);
  } catch {
    return undefined; // its header not in the chunk, or no entry: the gathered listpack's validation says what is wrong
  }
  if (first + size + 1 > p.limit) return undefined;
  const element = firstListpackElement(p.buf.subarray(at, first + size + 1));
  return element === undefined ? undefined : templateIdOf(element);
}

/** Redis 8.10's template hash as strings (type 32): the template's id (a length), then one value per field. */
export function templateValues(p: RdbParserState): boolean {
  if (p.sub === 0) p.beginElements(templateFieldCount(p, p.length(true)));
  if (!skipElements(p)) return false;
  return true;
}

/**
 * Redis 8.10's self-contained template hash (types 29, 31; see
 * format/hash-template.ts): the field format, the field names (one
 * listpack, or a count then one string each, streamed one per commit so
 * nothing is sized by the count), then the values (type 29: a listpack of
 * the writer's template id and one value per field; 31: one string per
 * field). Nothing is kept past the key: it names no template of the file.
 */
export function selfContainedTemplate(p: RdbParserState, type: number): boolean {
  if (p.sub === 0) {
    const format = p.length();
    const problem = selfFieldFormatProblem(format);
    if (problem !== null) p.fail(problem);
    if (format === SELF_FIELDS_LISTPACK) p.sub = 10;
    else {
      // SELF_FIELDS_RAW (selfFieldFormatProblem took no other): the count, then one string per field.
      const fields = p.length(true);
      const countProblem = templateFieldCountProblem(fields);
      if (countProblem !== null) p.fail(countProblem);
      p.selfFields = fields;
      p.count = fields;
      p.selfPrevious = EMPTY;
      p.sub = 11;
    }
    p.emptyValue = false; // a template has fields, and each a value
    p.mark = p.pos;
  }
  if (p.sub === 10) {
    const blob = p.keptString();
    if (blob === null) return false;
    p.selfFields = validateListpack(blob);
    const problem = listpackFieldsProblem(blob);
    if (problem !== null) p.fail(problem);
    p.sub = 12;
    p.mark = p.pos;
  }
  while (p.sub === 11) {
    const field = p.keptString();
    if (field === null) return false;
    const index = p.selfFields - p.count;
    if (index > 0) {
      const problem = templateFieldOrderProblem(p.selfPrevious, field, index);
      if (problem !== null) p.fail(problem);
    }
    if (--p.count === 0) {
      p.selfPrevious = EMPTY;
      p.sub = 12;
    } else p.selfPrevious = field.slice(); // the view is valid only until the next read
    p.mark = p.pos;
  }
  if (type === HASH_TEMPLATE_ARRAY) {
    if (p.sub === 12) p.beginElements(p.selfFields);
    if (!skipElements(p)) return false;
    return true;
  }
  // Type 29's values: one listpack, the writer's template id first. A big one streams by as a type 30's does, its id read
  // where its string begins (p.count, free once the names are read: 1 where it is none) and judged after its count.
  if (p.sub === 12) {
    const id = idInChunk(p);
    p.count = id === null ? 1 : 0;
    p.sub = id === undefined ? 14 : 13;
  }
  if (p.sub === 13) {
    const kept = keptListpack(p, VALUES_ONLY, false);
    if (kept === null) return false;
    const n = typeof kept === 'number' ? kept : validateListpack(kept);
    const problem = selfValuesCountProblem(n, p.selfFields) ?? (p.count !== 0 ? NO_TEMPLATE_ID : null);
    if (problem !== null) p.fail(problem);
    return true;
  }
  const blob = p.keptString();
  if (blob === null) return false;
  const problem = selfValuesCountProblem(validateListpack(blob), p.selfFields) ?? listpackIdProblem(blob);
  if (problem !== null) p.fail(problem);
  return true;
}
