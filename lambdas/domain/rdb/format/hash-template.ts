/**
 * Redis 8.10 (RDB 15) hash templates, as its loader reads them: the file
 * defines each template once (opcode 242, `RDB_OPCODE_HASH_TEMPLATE`: the
 * template's id, the number of fields, then the field names, sorted as
 * `sdscmplen` sorts them: shorter first, then by bytes), and a hash that uses
 * it holds only the id and its values: type 30 (`RDB_TYPE_HASH_TMPL_LP_REF`)
 * as one listpack whose first entry is the id, type 32
 * (`RDB_TYPE_HASH_TMPL_ARRAY_REF`) as the id (a length) then one string per
 * field. A key that names a template the file has not defined cannot be
 * loaded. The parser reads the bytes; the rules live here. Pure.
 *
 * The registry keeps one number per template (its field count) and its
 * field names, so its memory grows with the templates the file defines
 * (their names' bytes), never with the keys that use them: a conversion
 * resolves a key's values against them (format/template-ref.ts). The self-contained forms (types 29 and 31: the field
 * names in the key's own value, see {@link SELF_FIELDS_LISTPACK}) use no
 * registry.
 *
 * @see https://github.com/redis/librdb (test/test_rdb_to_json.c: the hash_template_*_v15 cases)
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.c (rdbLoadHashTemplates)
 */
import { bytesOf, type Element, firstListpackElement, listpackElementsOf } from './listpack.js';

/** Field counts per template id, for the keys that reference them. */
export class HashTemplates {
  private readonly fields = new Map<number, number>();
  private readonly names = new Map<number, Buffer[]>();

  /** How many templates the file defined so far. */
  get size(): number {
    return this.fields.size;
  }

  /** Records template `id` with `fieldCount` fields; the problem when the file defined it already, else null. */
  define(id: number, fieldCount: number): string | null {
    if (this.fields.has(id)) return `hash template ${id} is defined twice: Redis refuses it ("Duplicate hash template ID")`;
    this.fields.set(id, fieldCount);
    return null;
  }

  /** Every template as `[id, field count]`, in the order defined (a checkpoint keeps them). */
  entries(): [id: number, fields: number][] {
    return [...this.fields];
  }

  /** Adds the next field name of template `id` (its own copy: the parser's view is valid only until its next read). */
  addName(id: number, name: Buffer): void {
    const names = this.names.get(id);
    if (names === undefined) this.names.set(id, [name]);
    else names.push(name);
  }

  /** The field names of template `id`, in the file's order; undefined when they were not read (not defined, or defined before a checkpoint this read resumed from). */
  fieldNames(id: number): readonly Buffer[] | undefined {
    const names = this.names.get(id);
    return names !== undefined && names.length === this.fields.get(id) ? names : undefined;
  }

  /**
   * Every template whose field names were all read, as `[id, names]`, in the order defined: what a key index keeps of
   * them (domain/serve/index-file.ts), so a point opened from its index, unread, answers the hashes that reference them.
   */
  named(): [id: number, names: readonly Buffer[]][] {
    const out: [number, readonly Buffer[]][] = [];
    for (const id of this.fields.keys()) {
      const names = this.fieldNames(id);
      if (names !== undefined) out.push([id, names]);
    }
    return out;
  }

  /** The field count of template `id`; undefined when the file has not defined it. */
  fieldCount(id: number): number | undefined {
    return this.fields.get(id);
  }
}

/** The problem with a template's field count as the loader reads it, or null. */
export function templateFieldCountProblem(count: number): string | null {
  return count === 0 ? 'a hash template without fields: Redis refuses it' : null;
}

/**
 * Whether field `next` must come after `previous` in a template: Redis keeps
 * a template's fields sorted by length, then by bytes (`sdscmplen`), and
 * refuses a template whose fields are out of that order or repeated. The
 * problem, or null.
 */
export function templateFieldOrderProblem(previous: Uint8Array, next: Uint8Array, index: number): string | null {
  let order = previous.length - next.length;
  for (let i = 0; order === 0 && i < next.length; i++) order = previous[i]! - next[i]!;
  if (order < 0) return null;
  return order === 0
    ? `hash template field ${index} repeats the field before it: Redis refuses it`
    : `hash template field ${index} is not after the field before it (fields are sorted by length, then bytes): Redis refuses it`;
}

/** The message of a key that references a template the file has not defined (before it). */
export function unknownTemplateProblem(id: number, defined: number): string {
  return `the hash references template ${id}, which the file does not define before it (${defined} template${defined === 1 ? '' : 's'} defined): Redis refuses it ("Unknown hash template ID")`;
}

/**
 * The first entry of a valid listpack `b` as a non-negative integer (the
 * template id of a type-30 hash): integer encodings, or a string of decimal
 * digits. Null when it is neither (or negative).
 */
export function listpackFirstId(b: Uint8Array): number | null {
  const first = firstListpackElement(b);
  return first === undefined ? null : templateIdOf(first);
}

/** A listpack entry as a template id (a non-negative integer, or a string of decimal digits), or null. */
export function templateIdOf(first: Element): number | null {
  if (typeof first !== 'object') return first < 0 ? null : Number(first);
  const text = first.toString('latin1');
  return /^(0|[1-9]\d{0,15})$/.test(text) ? Number(text) : null;
}

/**
 * The problem with the values listpack of a template hash (type 30, and the self-contained type 29) when it does not
 * begin with a template id (Redis: "first entry is not an integer").
 */
export const NO_TEMPLATE_ID = 'template hash listpack does not begin with a template id (a non-negative integer): Redis refuses it';

/**
 * How a self-contained template hash (types 29 and 31, what Redis 8.10's
 * DUMP writes and its loader also takes from an RDB file) holds its field
 * names, the first length of its value: 0, one listpack of the names (when
 * they fit one); 1, their count then one string each. The values follow: a
 * listpack whose first entry is the template id of the server that wrote it
 * (type 29, as type 30 stores it; the loader interns the fields as a template
 * of its own), or one string per field (type 31).
 */
export const SELF_FIELDS_LISTPACK = 0;
export const SELF_FIELDS_RAW = 1;

/** The problem with a self-contained template hash's field format, or null. */
export function selfFieldFormatProblem(format: number): string | null {
  if (format === SELF_FIELDS_LISTPACK || format === SELF_FIELDS_RAW) return null;
  return `template hash field format ${format} is neither a listpack (0) nor strings (1): Redis refuses it`;
}

/** The problem with a self-contained template hash's values listpack of `entries` entries (its template id, then one per field), or null. */
export function selfValuesCountProblem(entries: number, fields: number): string | null {
  if (entries === 0) return 'template hash listpack is empty (not even a template id): Redis refuses it';
  return entries - 1 === fields ? null : `template hash listpack holds ${entries - 1} values after its id, its fields are ${fields}: Redis refuses it`;
}

/**
 * The problem with the field names of a self-contained template hash held
 * in a valid listpack `b` (none, or out of the order Redis keeps them in),
 * or null. An integer-encoded entry is compared as its decimal text, the
 * field name it stands for.
 */
export function listpackFieldsProblem(b: Uint8Array): string | null {
  let previous: Uint8Array | undefined;
  let index = 0;
  for (const element of listpackElementsOf(b)) {
    const field = bytesOf(element);
    if (previous !== undefined) {
      const problem = templateFieldOrderProblem(previous, field, index);
      if (problem !== null) return problem;
    }
    previous = field;
    index++;
  }
  return templateFieldCountProblem(index);
}
