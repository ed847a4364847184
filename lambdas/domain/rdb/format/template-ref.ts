/**
 * A Redis 8.10 hash whose field names are a template of its file (RDB types
 * 30 and 32, format/hash-template.ts) resolved into the hash it stands for:
 * the names from the template, the values from the key. What a conversion
 * writes for a target without templates (as a plain hash: exact, nothing
 * lost) and what its digest compares.
 */
import type { KeyValue } from '../fingerprint.js';
import { DUMP_FOOTER_BYTES } from './dump-payload.js';
import { listpackFirstId } from './hash-template.js';
import { HASH_TEMPLATE_ARRAY_REF, HASH_TEMPLATE_LP_REF } from './opcodes.js';
import { bytesOf, listpackElementsOf } from './listpack.js';
import { Cursor, fail } from './value-cursor.js';

/** Whether RDB value `type` references a template of its file. */
export const referencesTemplate = (type: number): boolean => type === HASH_TEMPLATE_LP_REF || type === HASH_TEMPLATE_ARRAY_REF;

/**
 * The hash the DUMP-shaped `payload` (type byte, object, footer) of a type
 * 30 or 32 key stands for, its field names from `names` (the file's
 * templates: HashTemplates.fieldNames); undefined when `names` does not
 * know the template it references. A malformed value throws.
 */
export function resolveTemplateHash(payload: Uint8Array, names: (id: number) => readonly Buffer[] | undefined): KeyValue | undefined {
  const type = payload[0]!;
  const c = new Cursor(payload, 1, payload.length - DUMP_FOOTER_BYTES);
  let id: number;
  let values: Buffer[];
  if (type === HASH_TEMPLATE_LP_REF) {
    const blob = c.string();
    const first = listpackFirstId(blob);
    if (first === null) fail('template hash listpack does not begin with a template id');
    id = first;
    values = listpackElementsOf(blob).slice(1).map(bytesOf);
  } else if (type === HASH_TEMPLATE_ARRAY_REF) {
    id = c.length();
    const fields = names(id);
    if (fields === undefined) return undefined;
    values = c.strings(fields.length);
  } else return fail(`RDB type ${type} references no hash template`);
  if (c.at !== c.end) fail(`${c.end - c.at} bytes after the template hash`);
  const fields = names(id);
  if (fields === undefined) return undefined;
  if (values.length !== fields.length) fail(`template hash holds ${values.length} values, template ${id} has ${fields.length} fields`);
  return { type: 'hash', fields: fields.map((name, i) => [name, values[i]!]) };
}

/**
 * Why a hash referencing a template of its file (Redis 8.10, RDB type 30 or 32) is not read from its payload alone: the
 * payload holds the template's id and the values, the field names are the file's (opcode 242). convert-rdb, migrate
 * --from-rdb and serve (compare's file side) read them with the file's templates when they read the file whole, and a
 * point opened from its key index with those the index keeps (domain/serve/index-file.ts Header.templates); an index
 * written before indexes kept them, or by a verification that did not read the template's definition itself (a DR
 * verification resumed from a checkpoint past it, or split between two threads), has none.
 */
export function templateHashAlone(type: number): string {
  return (
    `a hash whose field names are a template of its file (Redis 8.10, RDB type ${type}): its payload holds only the template's id and the values, ` +
    "and the file's templates were not read here (a point opened from a key index that does not keep this template: one written before indexes kept them, " +
    'or by a verification that did not read its definition itself: resumed past it, or split between two threads): compare the copy ' +
    '`redis-dr convert-rdb <file> --for redis-8.0 -o <copy>` writes (it proves the copy equal to the file, key by key)'
  );
}
