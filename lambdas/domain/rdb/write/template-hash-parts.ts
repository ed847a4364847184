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
 * The listpack forms (types 29 and 30) hold their values in one listpack,
 * which a server writes only while the hash is small (its listpack limits):
 * they go through express.ts's payload.
 *
 * The read-back digests the plain hash written from its parts as any other
 * (write/key-list.ts plainPartsAt).
 */
import { SELF_FIELDS_RAW, selfFieldFormatProblem } from '../format/hash-template.js';
import { bytesOf, listpackElementsOf } from '../format/listpack.js';
import { HASH_TEMPLATE_ARRAY, HASH_TEMPLATE_ARRAY_REF } from '../format/opcodes.js';
import { PartsCursor } from '../format/value-cursor.js';
import type { KeyListDigest } from './key-list.js';
import { RdbOut } from './rdb-out.js';

/** The RDB type written: a plain hash. */
const PLAIN_HASH = 4;
/** Bytes of a piece handed to the writer (the last one shorter), and of the input read between two let-gos of its parts. */
const PIECE_BYTES = 1 << 20;
/** A run of a value's bytes this long or longer goes to the writer as the view it is (shorter ones are copied into a piece). */
const RUN_BYTES = 64 * 1024;

/** Whether a big template hash of RDB `type` is re-encoded from the reader's parts here (its values stored as strings). */
export const templateHashInParts = (type: number): boolean => type === HASH_TEMPLATE_ARRAY || type === HASH_TEMPLATE_ARRAY_REF;

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
export function templateHashNames(
  type: number,
  parts: Uint8Array[],
  names: (id: number) => readonly Buffer[] | undefined,
): { readonly fields: readonly Buffer[]; readonly cursor: PartsCursor } | undefined {
  if (!templateHashInParts(type)) throw new RangeError(`RDB type ${type} is not a template hash stored as strings`);
  let end = 0;
  for (const p of parts) end += p.length;
  const c = new PartsCursor(parts, 0, end);
  if (type === HASH_TEMPLATE_ARRAY_REF) {
    const fields = names(c.length());
    return fields === undefined ? undefined : { fields, cursor: c };
  }
  const format = c.length();
  const problem = selfFieldFormatProblem(format);
  if (problem !== null) throw new RangeError(problem);
  const fields = format === SELF_FIELDS_RAW ? c.strings(c.length()) : listpackElementsOf(c.string()).map(bytesOf);
  return { fields, cursor: c };
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
export function writeTemplateHashFromParts(
  parts: Uint8Array[],
  named: { readonly fields: readonly Buffer[]; readonly cursor: PartsCursor },
  to: PieceSink,
  sink: HashSink,
): number {
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
  sink.kind('hash');
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
    if (out.length >= PIECE_BYTES) flush();
    if (c.at >= next) {
      c.letGoBehind(parts);
      next = c.at + PIECE_BYTES;
    }
  }
  if (c.at !== c.end) throw new RangeError(`${c.end - c.at} bytes after the template hash's ${fields.length} values`);
  flush();
  sink.end(fields.length);
  to.piecesWritten(PLAIN_HASH, new RdbOut(8).len(fields.length).take());
  return PLAIN_HASH;
}
