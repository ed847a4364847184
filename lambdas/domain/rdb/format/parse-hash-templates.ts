/**
 * The RDB parser's Redis 8.10 template hashes (types 29–32; the template records themselves: opcode 242, read in parser.ts's step). Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import { validateListpack } from './blobs.js';
import { keptListpack, VALUES_ONLY } from './parse-listpacks.js';
import {
  listpackFieldsProblem,
  listpackFirstId,
  NO_TEMPLATE_ID,
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
 * that continues past its chunk (LZF-compressed or not) is validated as it streams by (parse-listpacks.ts
 * keptListpack, as a hash's type 16), its id the stream's first element ({@link streamedId}), so the parser holds no
 * copy of a value its reader may keep (issue 55); any other is gathered and read whole. The same verdict either way:
 * the listpack's own problems first, then its id, then its count.
 */
export function templateListpack(p: RdbParserState): boolean {
  const kept = keptListpack(p, VALUES_ONLY, false);
  if (kept === null) return false;
  const { n, id } = valuesListpack(p, kept);
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
 * A template hash's values listpack as keptListpack gave it (its bytes, or a streamed one's count): its entries, and the
 * template id it begins with (null: none; a streamed one's its first element, format/listpack-stream.ts), validated.
 */
function valuesListpack(p: RdbParserState, kept: Uint8Array | number): { readonly n: number; readonly id: number | null } {
  if (typeof kept !== 'number') return { n: validateListpack(kept), id: listpackFirstId(kept) };
  const first = p.lpStream.first;
  return { n: kept, id: first === undefined ? null : templateIdOf(first) };
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
  // Type 29's values: one listpack, the writer's template id first. A big one streams by as a type 30's does, its id the
  // stream's first element, judged after its count (the gathered path's order).
  const kept = keptListpack(p, VALUES_ONLY, false);
  if (kept === null) return false;
  const { n, id } = valuesListpack(p, kept);
  const problem = selfValuesCountProblem(n, p.selfFields) ?? (id === null ? NO_TEMPLATE_ID : null);
  if (problem !== null) p.fail(problem);
  return true;
}
