/**
 * A big Redis 8.10 template hash stored as strings (RDB type 32: its field
 * names a template of the file, then one value string per field; type 31:
 * self-contained, its field names in the value, then one value string per
 * field; format/hash-template.ts) re-encoded from the parts a reader kept
 * (KeyInPlace.parts) as the plain hash it stands for (type 4), as
 * express.ts writes a small one. Its values are read one by one across the
 * parts and the output made in pieces handed to the writer, the parts let go
 * as they are passed, so the value is held about once (issue 55: memory
 * bounded by the largest value), never gathered into one copy nor decoded
 * into one array of fields. Only the field names are held whole (a type 32's
 * are the file's template already; a type 31's come before its values).
 *
 * The listpack forms (type 30: one listpack of the template's id and the
 * values; 29: self-contained, the values in one listpack after the writer's
 * template id), which a server writes while the hash is within its listpack
 * limits (raised ones make them big), have their listpack walked entry by
 * entry across the parts (ttl-hash-parts.ts listpackEntriesInParts; an
 * LZF-compressed one expanded as it is walked).
 *
 * The read-back digests the plain hash written from its parts as any other
 * (write/key-list.ts plainPartsAt).
 */
import { RdbFormatError } from '../errors.js';
import { NO_TEMPLATE_ID, SELF_FIELDS_RAW, selfFieldFormatProblem, templateIdOf } from '../format/hash-template.js';
import { bytesOf, type Element, listpackElementsOf } from '../format/listpack.js';
import { HASH_TEMPLATE_ARRAY_REF, HASH_TEMPLATE_LP, HASH_TEMPLATE_LP_REF } from '../format/opcodes.js';
import { PartsCursor } from '../format/value-cursor.js';
import type { KeyListDigest } from './key-list.js';
import { RdbOut } from './rdb-out.js';
import { listpackEntriesInParts } from './ttl-hash-parts.js';

/** The RDB type written: a plain hash. */
const PLAIN_HASH = 4;
/** Bytes of a piece handed to the writer (the last one shorter), and of the input read between two let-gos of its parts. */
const PIECE_BYTES = 1 << 20;
/** A run of a value's bytes this long or longer goes to the writer as the view it is (shorter ones are copied into a piece). */
const RUN_BYTES = 64 * 1024;

/** Whether a big template hash of RDB `type` is re-encoded from the reader's parts here (29–32: every form). */
export const templateHashInParts = (type: number): boolean => type >= HASH_TEMPLATE_LP && type <= HASH_TEMPLATE_ARRAY_REF;

/** Where a template hash's values are: one string each at the cursor, or one listpack there (its first entry a template id). */
export interface NamedTemplateHash {
  readonly fields: readonly Buffer[];
  readonly cursor: PartsCursor;
  readonly listpack: boolean;
}

/** Stops a walk after the entry it wanted. */
const FIRST_ENTRY_READ = Symbol('first entry read');

/** The template id a type 30's listpack (the value at `c`, left where it was) begins with, as format/hash-template.ts reads it. */
function listpackId(c: PartsCursor, parts: readonly Uint8Array[]): number | null {
  let first: Element | undefined;
  try {
    listpackEntriesInParts(
      new PartsCursor(parts, c.at, c.end),
      (i) => i === 0,
      (_, e) => {
        first = e;
        throw FIRST_ENTRY_READ;
      },
    );
  } catch (err) {
    if (err !== FIRST_ENTRY_READ) throw err;
  }
  return first === undefined ? null : templateIdOf(first);
}

/** Where the pieces go: the writer's key opened with keyInPieces (write/rdb-file.ts). */
export interface PieceSink {
  piece(bytes: Uint8Array): void;
  piecesWritten(type: number, head: Uint8Array): void;
}

/**
 * The field names of the template hash of RDB `type` held in `parts`, and the cursor at its first value; undefined
 * when it references a template `names` does not know (the read did not keep it: express.ts's refusal).
 * @throws RdbFormatError where the value is malformed (the parser validated it: a bug, or bytes changed since)
 */
export function templateHashNames(type: number, parts: Uint8Array[], names: (id: number) => readonly Buffer[] | undefined): NamedTemplateHash | undefined {
  if (!templateHashInParts(type)) throw new RangeError(`RDB type ${type} is not a template hash`);
  let end = 0;
  for (const p of parts) end += p.length;
  const c = new PartsCursor(parts, 0, end);
  if (type === HASH_TEMPLATE_ARRAY_REF || type === HASH_TEMPLATE_LP_REF) {
    const id = type === HASH_TEMPLATE_ARRAY_REF ? c.length() : listpackId(c, parts);
    if (id === null) throw new RdbFormatError(NO_TEMPLATE_ID);
    const fields = names(id);
    return fields === undefined ? undefined : { fields, cursor: c, listpack: type === HASH_TEMPLATE_LP_REF };
  }
  const format = c.length();
  const problem = selfFieldFormatProblem(format);
  if (problem !== null) throw new RdbFormatError(problem);
  const fields = format === SELF_FIELDS_RAW ? c.strings(c.length()) : listpackElementsOf(c.string()).map(bytesOf);
  return { fields, cursor: c, listpack: type === HASH_TEMPLATE_LP };
}

/** What the digest is fed: write/key-list.ts's, as its addValue feeds a hash (a big value's bytes framed in runs). */
type HashSink = Pick<KeyListDigest, 'kind' | 'element' | 'elementHead' | 'framed' | 'end'>;

/**
 * Writes the hash `named` holds ({@link templateHashNames}) as a plain hash: each field name and value into pieces
 * handed to `to.piece`, then the key closed with its count (`to.piecesWritten`); each field and value into `sink`, as
 * KeyListDigest.addValue feeds the hash written. A value stored plain goes on as the views of the parts it lies in
 * (an RDB length of the writer's own before it); one integer-encoded or LZF-compressed is decoded first, as the server
 * holds it. The parts behind the cursor are let go from `parts` (the caller's own, the cursor's) every
 * {@link PIECE_BYTES} or so. Returns the RDB type written.
 */
export function writeTemplateHashFromParts(parts: Uint8Array[], named: NamedTemplateHash, to: PieceSink, sink: HashSink): number {
  const { fields, cursor: c } = named;
  let out = new RdbOut(PIECE_BYTES + 64);
  const flush = (): void => {
    if (out.length === 0) return;
    to.piece(out.view()); // this buffer is the piece's: a new one follows
    out = new RdbOut(PIECE_BYTES + 64);
  };
  const run = (bytes: Uint8Array): void => {
    if (bytes.length >= RUN_BYTES) flush(), to.piece(bytes);
    else out.bytes(bytes);
    sink.framed(bytes, 0, bytes.length);
  };
  let next = c.at + PIECE_BYTES;
  const passed = (): void => {
    if (out.length >= PIECE_BYTES) flush();
    if (c.at >= next) {
      c.letGoBehind(parts);
      next = c.at + PIECE_BYTES;
    }
  };
  sink.kind('hash');
  if (named.listpack) {
    // The listpack's first entry is a template id (the file's, or the writer's for a self-contained one), then a value a field.
    // A long string entry (a 32-bit length, 0xF0: its data after 5 bytes) is not decoded into one copy: its bytes go on as
    // the views of the parts (or the expansion's pieces) they lie in, as a plain value string's do.
    const n = listpackEntriesInParts(
      c,
      (i, size) => i === 0 || size < RUN_BYTES,
      (i, e, at, from, size) => {
        if (i === 0 || i > fields.length) return;
        const field = fields[i - 1]!;
        out.string(field);
        sink.element(field, 0, field.length);
        if (e !== undefined) {
          const value = bytesOf(e);
          out.string(value);
          sink.element(value, 0, value.length);
        } else {
          if (at.view(from, from + 1)[0] !== 0xf0) throw new RdbFormatError(`template hash listpack entry ${i} of ${size} bytes is not a string`);
          at.at = from + 5;
          out.len(size - 5);
          sink.elementHead(size - 5);
          at.runs(size - 5, run);
        }
        passed();
      },
    );
    if (n - 1 !== fields.length) throw new RdbFormatError(`template hash listpack holds ${n - 1} values, its fields are ${fields.length}`);
  } else
    for (const field of fields) {
      out.string(field);
      sink.element(field, 0, field.length);
      if (c.peek() >> 6 === 3) {
        const value = c.string();
        out.string(value);
        sink.element(value, 0, value.length);
      } else {
        const n = c.length();
        out.len(n);
        sink.elementHead(n);
        c.runs(n, run);
      }
      passed();
    }
  if (c.at !== c.end) throw new RdbFormatError(`${c.end - c.at} bytes after the template hash's ${fields.length} values`);
  flush();
  sink.end(fields.length);
  to.piecesWritten(PLAIN_HASH, new RdbOut(8).len(fields.length).take());
  return PLAIN_HASH;
}
