/**
 * The key index as a file written beside a verified copy (`<file>.keys`), so
 * `serve` and `history` open a big copy by reading the index, not the whole
 * copy. Pure: bytes in, bytes out.
 *
 * Layout (little-endian): `RDRKEYS1`; a u32 length and a JSON header (the
 * copy it indexes: its length and its CRC-64 trailer; RDB version, magic,
 * key count); the names; per key in (db, name) order its name length (u32),
 * db (u32), type (u8), value start and end and expiry (f64; NaN: none);
 * then the SHA-256 of every byte before it. The copy's trailer is a CRC-64
 * of the whole file, so a copy rewritten since (same name, other bytes)
 * does not match, and is read whole instead.
 */
import { createHash } from 'node:crypto';
import { type Columns, ColumnKeyIndex, type KeyIndex } from './key-index.js';

/** The first bytes of an index file. */
export const MAGIC = 'RDRKEYS1';
/** Bytes a key takes in the fixed columns. */
export const ROW = 4 + 4 + 1 + 8 + 8 + 8;

/** The copy an index belongs to: what a reader checks before trusting it. */
export interface IndexedCopy {
  /** The copy's length in bytes. */
  readonly bytes: number;
  /** Its last 8 bytes (the CRC-64 trailer), hex: all zeros (a file written without a checksum) is never indexed. */
  readonly trailer: string;
}

/** The JSON header of an index file. */
export interface Header extends IndexedCopy {
  readonly rdbVersion: number;
  readonly valkey: boolean;
  readonly keys: number;
  readonly namesBytes: number;
}

/** The suffix of the index beside a copy: `<copy>.keys`. */
export const INDEX_SUFFIX = '.keys';

/** Whether a trailer can name a copy (a file written with `rdbchecksum no` has zeros there). */
export function indexableTrailer(trailer: string): boolean {
  return /^[0-9a-f]{16}$/.test(trailer) && !/^0+$/.test(trailer);
}

/** The index file of `index`, for `copy`. */
export function encodeKeyIndex(index: ColumnKeyIndex, copy: IndexedCopy, valkey: boolean): Buffer {
  const c = index.columns();
  const n = c.order.length;
  const names: Buffer[] = [];
  const rows = Buffer.alloc(n * ROW);
  let namesBytes = 0;
  for (let i = 0; i < n; i++) {
    const k = c.order[i]!;
    const name = c.names.subarray(c.nameAt[k]!, c.nameAt[k]! + c.nameLen[k]!);
    names.push(name);
    namesBytes += name.length;
    const at = i * ROW;
    rows.writeUInt32LE(name.length, at);
    rows.writeUInt32LE(c.db[k]!, at + 4);
    rows.writeUInt8(c.type[k]!, at + 8);
    rows.writeDoubleLE(c.valueAt[k]!, at + 9);
    rows.writeDoubleLE(c.valueEnd[k]!, at + 17);
    rows.writeDoubleLE(c.expireAt[k]!, at + 25);
  }
  const header: Header = { bytes: copy.bytes, trailer: copy.trailer, rdbVersion: index.rdbVersion, valkey, keys: n, namesBytes };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const body = Buffer.concat([Buffer.from(MAGIC, 'latin1'), len, json, ...names, rows]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** An index file read back: the index, or why it cannot be used (the reader then reads the copy whole). */
export type DecodedIndex = { readonly index: KeyIndex; readonly valkey: boolean } | { readonly problem: string };

/** Reads an index file, checked whole (its SHA-256) and against the copy it must belong to. */
export function decodeKeyIndex(file: Buffer, copy: IndexedCopy): DecodedIndex {
  if (file.length < MAGIC.length + 4 + 32 || file.toString('latin1', 0, MAGIC.length) !== MAGIC) return { problem: 'not a redis-dr key index' };
  const body = file.subarray(0, file.length - 32);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(file.subarray(file.length - 32))
  )
    return { problem: 'its SHA-256 does not match its bytes (damaged)' };
  const jsonLen = body.readUInt32LE(MAGIC.length);
  let h: Header;
  try {
    h = JSON.parse(body.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + jsonLen)) as Header;
  } catch {
    return { problem: 'its header is not JSON' };
  }
  if (h.bytes !== copy.bytes || h.trailer !== copy.trailer)
    return { problem: `it indexes another copy (${h.bytes} bytes, CRC-64 ${h.trailer}; the copy: ${copy.bytes} bytes, CRC-64 ${copy.trailer})` };
  const namesAt = MAGIC.length + 4 + jsonLen;
  const rowsAt = namesAt + h.namesBytes;
  if (rowsAt + h.keys * ROW !== body.length) return { problem: `its length does not fit ${h.keys} keys` };
  const n = h.keys;
  const cols: Columns = {
    names: Buffer.from(body.subarray(namesAt, rowsAt)),
    order: new Uint32Array(n),
    nameAt: new Float64Array(n),
    nameLen: new Uint32Array(n),
    db: new Uint32Array(n),
    type: new Uint8Array(n),
    valueAt: new Float64Array(n),
    valueEnd: new Float64Array(n),
    expireAt: new Float64Array(n),
  };
  let nameAt = 0;
  for (let i = 0; i < n; i++) {
    const at = rowsAt + i * ROW;
    cols.order[i] = i;
    cols.nameAt[i] = nameAt;
    cols.nameLen[i] = body.readUInt32LE(at);
    nameAt += cols.nameLen[i]!;
    cols.db[i] = body.readUInt32LE(at + 4);
    cols.type[i] = body.readUInt8(at + 8);
    cols.valueAt[i] = body.readDoubleLE(at + 9);
    cols.valueEnd[i] = body.readDoubleLE(at + 17);
    cols.expireAt[i] = body.readDoubleLE(at + 25);
    if (!(cols.valueAt[i]! <= cols.valueEnd[i]! && cols.valueEnd[i]! <= copy.bytes)) return { problem: `key ${i} lies outside the copy` };
  }
  if (nameAt !== h.namesBytes) return { problem: 'its name lengths do not add up to its names' };
  return { index: new ColumnKeyIndex(h.rdbVersion, cols), valkey: h.valkey };
}
