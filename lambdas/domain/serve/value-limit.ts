/**
 * The largest value `serve` answers: Redis's `proto-max-bulk-len` (512 MiB),
 * what a client or RESTORE takes at most. A value over it is answered with
 * an error naming the key and the limit (restore the point to read it),
 * checked before anything of its size is allocated: on the bytes the file
 * stores (before they are read; a string's own length head not counted)
 * and, for a string, on the length its head declares (before an
 * LZF-compressed one is decompressed). A string of exactly the limit is
 * answered, as a server holding it answers GET and DUMP.
 */
import { Cursor } from '../rdb/format/value-cursor.js';

export { SERVE_MAX_VALUE_BYTES } from './max-value-bytes.js';

/** The RDB string encoding byte of an LZF-compressed string (`RDB_ENCVAL << 6 | RDB_ENC_LZF`). */
const LZF = 0xc3;

/** Why a value is not served: the key, its size and the limit, and what to do. */
export class ValueTooBig extends Error {
  override readonly name = 'ValueTooBig';

  constructor(key: Buffer, bytes: number, limit: number, how: string) {
    super(
      `the value of ${JSON.stringify(key.toString('latin1').slice(0, 64))} ${how} ${bytes} bytes, more than the ${limit} a reply may hold (proto-max-bulk-len): restore the point to read it`,
    );
  }
}

/**
 * The length a string value declares when the file stores it LZF-compressed
 * (its header: compressed length, then the plain length), from its first
 * bytes; undefined for another type or encoding (its stored bytes bound it).
 */
export function declaredStringBytes(type: number, value: Uint8Array): number | undefined {
  if (type !== 0 || value[0] !== LZF) return undefined;
  const c = new Cursor(value, 1, value.length);
  try {
    c.length();
    return c.length();
  } catch {
    // A header cut short: the decoder names the fault.
    return undefined;
  }
}

/**
 * Throws {@link ValueTooBig} when the bytes the file stores for the value are over `limit` (before they are read).
 * `headBytes`: bytes of those that are not the value's own (a whole string value's length head, at most
 * {@link STRING_HEAD_BYTES}: its length is then checked exactly once its head is read, {@link checkDeclaredSize}).
 */
export function checkStoredSize(key: { readonly name: Buffer }, storedBytes: number, limit: number, headBytes = 0): void {
  if (storedBytes - headBytes > limit) throw new ValueTooBig(key.name, storedBytes, limit, 'takes');
}

/**
 * Throws {@link ValueTooBig} when a string value read (`stored`, as the file stores it) holds more than `limit` bytes:
 * a plain one's length, an LZF-compressed one's declared length (before it is decompressed). Other types: nothing.
 */
export function checkDeclaredSize(key: { readonly name: Buffer; readonly type: number }, stored: Uint8Array, limit: number): void {
  if (key.type !== 0) return;
  const length = stringHeader(stored)?.length;
  if (length === undefined || length <= limit) return;
  throw new ValueTooBig(key.name, length, limit, stored[0] === LZF ? `holds (LZF-compressed to ${stored.length} in the file)` : 'holds');
}

/** The bytes of a string value's head that say its length: an RDB length takes at most 9, an integer encoding 5. */
export const STRING_HEAD_BYTES = 9;

/**
 * What a string value's first bytes as the file stores them say: its length as a server holds it (an
 * integer-encoded one's decimal digits, an LZF-compressed one's declared plain length) and, for a plain one, where
 * its bytes start (a range of them is then read as it stands in the file). Undefined when the head is cut short.
 */
export function stringHeader(head: Uint8Array): { readonly length: number; readonly dataAt?: number } | undefined {
  const first = head[0];
  if (first === undefined) return undefined;
  // The integer encodings (RDB_ENC_INT8, INT16, INT32): 1, 2 or 4 bytes, little-endian.
  const width = first === 0xc0 ? 1 : first === 0xc1 ? 2 : first === 0xc2 ? 4 : undefined;
  if (width !== undefined) {
    if (head.length < 1 + width) return undefined;
    const dv = new DataView(head.buffer, head.byteOffset + 1, width);
    const n = width === 1 ? dv.getInt8(0) : width === 2 ? dv.getInt16(0, true) : dv.getInt32(0, true);
    return { length: String(n).length };
  }
  if (first === LZF) {
    const declared = declaredStringBytes(0, head);
    return declared === undefined ? undefined : { length: declared };
  }
  const c = new Cursor(head, 0, head.length);
  try {
    const length = c.length();
    return { length, dataAt: c.at };
  } catch {
    return undefined;
  }
}
