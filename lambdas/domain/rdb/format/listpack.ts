/**
 * The elements of a listpack (src/listpack.c), decoded one entry at a time:
 * what the DUMP payload reader (value.ts) returns to `compare` and what the
 * hash template rules (hash-template.ts) read the field names and template
 * id from. Only for listpacks `validateListpack` (blobs.ts) accepted: the
 * structure is not checked again here. (The parser's hot walks over the same
 * entries, blob-members.ts, fingerprint them in place instead.)
 */
import { backlenSize } from './blobs.js';

/** A ziplist or listpack element: its bytes, or the integer it holds integer-encoded. */
export type Element = Buffer | number | bigint;

/** An element as the server answers it: an integer as its decimal text. */
export function bytesOf(e: Element): Buffer {
  return typeof e === 'object' ? e : Buffer.from(String(e));
}

/** `b[from, from + n)` without copying. */
export function view(b: Uint8Array, from: number, n: number): Buffer {
  return Buffer.from(b.buffer, b.byteOffset + from, n);
}

/** A little-endian signed integer of 1, 2, 3, 4 or 8 bytes (8: a bigint). */
export function signedLE(dv: DataView, at: number, width: number): number | bigint {
  if (width === 1) return dv.getInt8(at);
  if (width === 2) return dv.getInt16(at, true);
  if (width === 3) return ((dv.getUint16(at, true) | (dv.getUint8(at + 2) << 16)) << 8) >> 8;
  if (width === 4) return dv.getInt32(at, true);
  return dv.getBigInt64(at, true);
}

/** Entry sizes of the listpack integer encodings 0xf1–0xf4 (encoding byte included). */
const LISTPACK_INT_SIZE = [3, 4, 5, 9];

/** The listpack entry at `p` (its encoding byte, its content, its back length) into `out`; where the next one starts. */
export function listpackEntry(lp: Uint8Array, dv: DataView, p: number, out: Element[]): number {
  const enc = lp[p]!;
  let size: number;
  if (enc < 0x80) {
    out.push(enc); // 7-bit unsigned
    size = 1;
  } else if (enc < 0xc0) {
    size = 1 + (enc & 0x3f); // string of up to 63 bytes
    out.push(view(lp, p + 1, size - 1));
  } else if (enc < 0xe0) {
    out.push(((((enc & 0x1f) << 8) | lp[p + 1]!) << 19) >> 19); // 13-bit signed
    size = 2;
  } else if (enc < 0xf0) {
    const n = ((enc & 0x0f) << 8) | lp[p + 1]!; // string of up to 4095 bytes
    out.push(view(lp, p + 2, n));
    size = 2 + n;
  } else if (enc === 0xf0) {
    const n = dv.getUint32(p + 1, true);
    out.push(view(lp, p + 5, n));
    size = 5 + n;
  } else {
    // 0xf1–0xf4: 16, 24, 32 and 64-bit signed integers (validateListpack refused any other byte).
    size = LISTPACK_INT_SIZE[enc - 0xf1]!;
    out.push(signedLE(dv, p + 1, size - 1));
  }
  return p + size + backlenSize(size);
}

/** The element of the listpack entry at `b[p]` (its bounds checked before), a string's bytes copied: `b` may be a buffer its caller reuses. */
export function copiedEntryElement(b: Uint8Array, p: number): Element {
  const out: Element[] = [];
  listpackEntry(b, dataView(b), p, out);
  const e = out[0]!;
  return typeof e === 'object' ? Buffer.from(e) : e;
}

function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The elements of a listpack validateListpack accepted, in order. */
export function listpackElementsOf(lp: Uint8Array): Element[] {
  const dv = dataView(lp);
  const out: Element[] = [];
  for (let p = 6, end = lp.length - 1; p < end; ) p = listpackEntry(lp, dv, p, out);
  return out;
}

/** The first element of a listpack validateListpack accepted; undefined when it holds none. */
export function firstListpackElement(lp: Uint8Array): Element | undefined {
  if (lp.length < 8) return undefined; // the header and the end byte only
  const out: Element[] = [];
  listpackEntry(lp, dataView(lp), 6, out);
  return out[0];
}
