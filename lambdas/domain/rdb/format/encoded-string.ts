/**
 * A whole encoded RDB string and a module value's type name, decoded from
 * the bytes a key's payload holds (used where a value is read in place).
 */
import { lzfDecompress } from '../codecs/lzf.js';
import { RdbFormatError } from '../errors.js';

const MODULE_NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The module type name of a module value's payload (its 64-bit module id after the type byte; Redis's moduleTypeNameByID). */
export function moduleTypeNameOf(payload: Uint8Array): string {
  let id: bigint;
  const first = payload[1]!;
  if (first === 0x81) id = new DataView(payload.buffer, payload.byteOffset + 2, 8).getBigUint64(0, false);
  else if (first === 0x80) id = BigInt(new DataView(payload.buffer, payload.byteOffset + 2, 4).getUint32(0, false));
  else if (first >> 6 === 1) id = BigInt(((first & 0x3f) << 8) | payload[2]!);
  else id = BigInt(first & 0x3f);
  let name = '';
  for (let j = 0, rest = id >> 10n; j < 9; j++, rest >>= 6n) name = MODULE_NAME_CHARS[Number(rest & 63n)]! + name;
  return name;
}

/** Decodes an RDB string (length-prefixed, integer-encoded or LZF) that fills `b` exactly. */
export function decodeRdbString(b: Uint8Array): Buffer {
  const first = b[0];
  if (first === undefined) throw new RdbFormatError('empty string encoding');
  const kind = first >> 6;
  if (kind === 3) {
    const enc = first & 0x3f;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (enc === 0 && b.length === 2) return Buffer.from(String(dv.getInt8(1)));
    if (enc === 1 && b.length === 3) return Buffer.from(String(dv.getInt16(1, true)));
    if (enc === 2 && b.length === 5) return Buffer.from(String(dv.getInt32(1, true)));
    if (enc === 3) {
      let at = 1;
      const len = (): number => {
        const c = b[at]!;
        // 6 bits: also in the "encoded value" form 0xC0–0xFF, as rdbLoadLen(rdb, NULL) reads it (RdbParserState.length).
        if (c >> 6 === 0 || c >> 6 === 3) return (at += 1), c & 0x3f;
        if (c >> 6 === 1) return (at += 2), ((c & 0x3f) << 8) | b[at - 1]!;
        if (c === 0x80) return (at += 5), dv.getUint32(at - 4, false);
        if (c === 0x81) return (at += 9), Number(dv.getBigUint64(at - 8, false));
        throw new RdbFormatError(`invalid length prefix 0x${c.toString(16)}`);
      };
      const compressed = len();
      const plain = len();
      if (at + compressed !== b.length) throw new RdbFormatError('LZF string does not fill its bytes');
      const out = lzfDecompress(b.subarray(at), plain);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    }
    throw new RdbFormatError(`string encoding ${enc} in ${b.length} bytes`);
  }
  let at: number;
  if (kind === 0) at = 1;
  else if (kind === 1) at = 2;
  else if (first === 0x80) at = 5;
  else if (first === 0x81) at = 9;
  else throw new RdbFormatError(`invalid length prefix 0x${first.toString(16)}`);
  return Buffer.from(b.buffer, b.byteOffset + at, b.length - at);
}
