/**
 * The key index file's writing (its layout: index-file.ts, which reads it):
 * {@link encodeKeyIndex} from an index's rows and names (key-rows.ts), and
 * the parts of the file after its blocks ({@link indexHeader},
 * {@link writeTail}), shared with the writer whose blocks are the pass's own
 * buffer (key-blocks.ts). Pure: bytes in, bytes out.
 */
import { SLOT_COUNT } from '../keys/hash-slot.js';
import { hashAndSlot as hashNameAndSlot, bucketOf as bucketOfHash, hashBitsFor } from './key-hash.js';
import type { ColumnKeyIndex } from './key-index.js';
import { copyBytes as copyNameBytes } from '../rdb/keys.js';
import { isHashWithTtls } from '../rdb/write/source-forms.js';
import {
  BLOCK,
  ENTRY,
  ENTRY_HEAD,
  FOOTER,
  FORMS,
  HASH_ENTRY,
  HASH_ROW,
  type Header,
  type IndexedFile,
  type Layout,
  type LayoutForm,
  MAGIC,
  sha256,
  SLOTS_BASE64,
  SLOTS_BY,
  templatesField,
  writeSum,
} from './index-file.js';
import type { HashTemplates } from '../rdb/format/hash-template.js';
import { LEGACY_ROW, R_EXPIRY, R_TYPE, ROW, valueAtOf, valueLengthOf } from './key-rows.js';

// Called a key by the encoding: held here, as a TypeScript runner (tsx, the benches) reads an import through a getter each time.
const copyBytes = copyNameBytes;
const hashAndSlot = hashNameAndSlot;
const bucketOf = bucketOfHash;

/**
 * About the bytes of the index file of `keys` keys whose names take
 * `nameBytes` (`RDRKEYS5`; a few databases, 64 KiB for the header): what
 * the pass's rows buffer grows to (key-rows.ts's RowsSizing), so the file is
 * written over it in place ({@link encodeKeyIndex}'s `reuseRows`).
 */
export function indexBytesFor(keys: number, nameBytes: number): number {
  const blocks = Math.ceil(keys / BLOCK) + 16;
  return MAGIC.length + keys * (ROW + HASH_ROW) + nameBytes + blocks * ENTRY + 2 ** hashBitsFor(keys) * HASH_ENTRY + (64 << 10) + FOOTER;
}

/**
 * The index file of `index`, for `copy` (`RDRKEYS5`; `RDRKEYS4`, `RDRKEYS3`
 * and `RDRKEYS2` only where a test writes a file of a layout before, `RDRKEYS2`
 * from an index whose order is name order). Written into one buffer sized
 * first (from the databases' key counts: no key read for it): no buffer or
 * object a block or a key. The index's order is file order, so a block's
 * rows and names are each one copy of a run of the pass's rows and names
 * (key-rows.ts), each key's hash read from its name beside; the lookup
 * section is then a counting sort of those hashes. (An index in another
 * order, a file whose databases do not come ascending, or a layout before,
 * is copied key by key.)
 */
export function encodeKeyIndex(index: ColumnKeyIndex, copy: IndexedFile, valkey: boolean, layout: Layout = MAGIC, reuseRows = false): Buffer {
  const { rows, names, order } = index.columns();
  const rowView = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const n = index.keys;
  const f = FORMS[layout];
  const hashed = f.hashed;
  // The blocks (BLOCK keys, never spanning two databases) and the databases, from each database's range of positions.
  const databases: [number, number, number, number][] = [];
  const blockStarts: number[] = [];
  const blockDb: number[] = [];
  for (const [db, from, to] of index.databaseRanges()) {
    databases.push([db, from, to, blockStarts.length]);
    for (let i = from; i < to; i += BLOCK) {
      blockStarts.push(i);
      blockDb.push(db);
    }
  }
  const blocks = blockStarts.length;
  blockStarts.push(n);
  let firstNameBytes = 0;
  const keyAt = (j: number): number => (order ? order[j]! : j);
  if (!hashed) for (let b = 0; b < blocks; b++) firstNameBytes += rowView.getUint32(keyAt(blockStarts[b]!) * ROW, true);
  const hashBits = hashed ? hashBitsFor(n) : 0;
  const buckets = hashed ? 2 ** hashBits : 0;
  const fieldTtlBlocks = index.rdbVersion >= 12 ? blocksHolding(rows, keyAt, blockStarts, isHashWithTtls) : undefined;
  const header: Header = {
    bytes: copy.bytes,
    trailer: copy.trailer,
    rdbVersion: index.rdbVersion,
    valkey,
    keys: n,
    blocks,
    storedBytes: index.storedBytes,
    // Hashed layouts: the map is computed as the names are copied (below), written over this placeholder of its length.
    slots: hashed ? 'A'.repeat(SLOTS_BASE64) : Buffer.from(index.slotMap()).toString('base64'),
    slotsBy: SLOTS_BY,
    databases,
    ...(hashed ? { hashBits } : {}),
    ...(fieldTtlBlocks ? { fieldTtlBlocks } : {}),
    ...templatesField(index.templates),
    ...(copy.besidesKeys ? { besidesKeys: copy.besidesKeys } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // `names` holds every key's name once (the builder's buffer, cut to its keys).
  const hashAt = layout.length + n * f.row + names.length;
  const directoryAt = hashAt + (hashed ? n * HASH_ROW : 0);
  const entriesAt = directoryAt + 4 + json.length;
  const hashEntriesAt = entriesAt + blocks * f.entry;
  const firstNamesAt = hashEntriesAt + buckets * f.hashEntry;
  const footerAt = firstNamesAt + firstNameBytes;
  const total = footerAt + FOOTER;
  const fileOrder = !order && layout === MAGIC;
  // In place: the index file written over the pass's own rows buffer (its spare room reserved for it as it grew,
  // key-rows.ts), each block moved up to where it lies in the file: no second buffer of the file's size to allocate,
  // touch and copy the rows into. Only for a caller whose index is used no more (its rows are overwritten).
  const inPlace = reuseRows && fileOrder && rows.byteOffset === 0 && rows.buffer.byteLength >= total && names.buffer !== rows.buffer;
  // Every byte is written below (magic, blocks, lookup section, directory, footer), so none of the unzeroed allocation is left.
  const out = inPlace ? Buffer.from(rows.buffer, 0, total) : Buffer.allocUnsafe(total);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // Each row's hash (row numbers: positions in the index's order), for the lookup section.
  const hashes = hashed ? new Uint32Array(n) : undefined;
  const slots = new Uint8Array(SLOT_COUNT / 8);
  if (fileOrder) writeBlocksInFileOrder(out, view, rows, rowView, names, blockStarts, blockDb, entriesAt, hashes!, slots);
  else writeBlocksInOrder(out, view, index, blockStarts, blockDb, layout, entriesAt, firstNamesAt, hashes, slots);
  writeTail(layout, out, view, header, json, hashes, slots, hashAt, directoryAt, footerAt);
  return out;
}

/**
 * The rest of an index file once its blocks and their directory entries are
 * written: the lookup section at `hashAt` (hashed layouts: the rows'
 * `hashes`, the slot map `slots` written over the header's placeholder),
 * the directory's header `json` at `directoryAt` (its block entries after
 * it), the footer at `footerAt`.
 */
export function writeTail(
  layout: Layout,
  out: Buffer,
  view: DataView,
  header: Header,
  placeholder: Buffer,
  hashes: Uint32Array | undefined,
  slots: Uint8Array,
  hashAt: number,
  directoryAt: number,
  footerAt: number,
): void {
  const f = FORMS[layout];
  let json = placeholder;
  if (hashes) {
    writeLookup(f, out, view, hashes, header.hashBits!, hashAt, directoryAt + 4 + json.length + header.blocks * f.entry);
    const withSlots = Buffer.from(JSON.stringify({ ...header, slots: Buffer.from(slots).toString('base64') }), 'utf8');
    // The entries were placed after the placeholder's header: the real one must take the same bytes.
    if (withSlots.length !== json.length) throw new Error(`the index header's slot map took ${withSlots.length} bytes, not ${json.length}`);
    json = withSlots;
  }
  view.setUint32(directoryAt, json.length, true);
  json.copy(out, directoryAt + 4);
  view.setFloat64(footerAt, directoryAt, true);
  sha256(out.subarray(directoryAt, footerAt)).copy(out, footerAt + 8);
  out.write(layout, footerAt + 40, 'latin1');
}

/**
 * The header of an index file of `keys` keys in `blocks` blocks (the hashed layouts': its slot map a
 * placeholder of its length, written over once the names are read: {@link writeTail}), and its JSON.
 */
export function indexHeader(
  copy: IndexedFile,
  valkey: boolean,
  rdbVersion: number,
  keys: number,
  blocks: number,
  storedBytes: number,
  databases: Header['databases'],
  fieldTtlBlocks: number[] | undefined,
  templates: HashTemplates | undefined,
): { readonly header: Header; readonly json: Buffer } {
  const header: Header = {
    bytes: copy.bytes,
    trailer: copy.trailer,
    rdbVersion,
    valkey,
    keys,
    blocks,
    storedBytes,
    slots: 'A'.repeat(SLOTS_BASE64),
    slotsBy: SLOTS_BY,
    databases,
    hashBits: hashBitsFor(keys),
    ...(fieldTtlBlocks ? { fieldTtlBlocks } : {}),
    ...templatesField(templates),
    ...(copy.besidesKeys ? { besidesKeys: copy.besidesKeys } : {}),
  };
  return { header, json: Buffer.from(JSON.stringify(header), 'utf8') };
}

/** The blocks (`blockStarts`: each block's first position, then the end) holding a key whose type `wanted` takes, as runs [first, end) flattened. */
function blocksHolding(rows: Buffer, keyAt: (j: number) => number, blockStarts: readonly number[], wanted: (type: number) => boolean): number[] {
  const runs: number[] = [];
  for (let b = 0; b + 1 < blockStarts.length; b++) {
    let holds = false;
    for (let j = blockStarts[b]!; j < blockStarts[b + 1]! && !holds; j++) holds = wanted(rows[keyAt(j) * ROW + R_TYPE]!);
    if (!holds) continue;
    if (runs.length > 0 && runs.at(-1) === b) runs[runs.length - 1] = b + 1;
    else runs.push(b, b + 1);
  }
  return runs;
}

/** Block `b`'s directory entry at `entry` (its checksum written apart, at {@link ENTRY_HEAD}). */
export function writeEntry(view: DataView, entry: number, at: number, bytes: number, keys: number, db: number, firstLen: number, e: Expiries): void {
  view.setFloat64(entry, at, true);
  view.setUint32(entry + 8, bytes, true);
  view.setUint32(entry + 12, keys, true);
  view.setUint32(entry + 16, db, true);
  view.setUint32(entry + 20, firstLen, true);
  view.setUint32(entry + 24, e.expiring, true);
  view.setFloat64(entry + 28, e.expiring ? e.min : 0, true);
  view.setFloat64(entry + 36, e.expiring ? e.max : 0, true);
  view.setFloat64(entry + 44, e.sum, true);
}

/** A block's keys with an expiry: how many, their least, greatest and summed expiry. */
export interface Expiries {
  expiring: number;
  min: number;
  max: number;
  sum: number;
}

/** Expiry `e` (NaN: none) counted in `x`. */
export function countExpiry(x: Expiries, e: number): void {
  if (Number.isNaN(e)) return;
  x.expiring++;
  x.min = Math.min(x.min, e);
  x.max = Math.max(x.max, e);
  x.sum += e;
}

export const noExpiries = (): Expiries => ({ expiring: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, sum: 0 });

/**
 * The blocks of an index in file order (`RDRKEYS5`, the writers' case): a
 * block is a run of the pass's rows, then a run of its names. First a pass
 * forward over the rows (each name's hash and slot, the blocks' expiries and
 * entries), then the blocks written from the last to the first, each
 * checksummed as it lands: so `out` may be the rows' own buffer (each block
 * lies at or after where its rows lie, and after every earlier block's
 * rows; the magic goes over the first rows once they have moved).
 */
function writeBlocksInFileOrder(
  out: Buffer,
  view: DataView,
  rows: Buffer,
  rowView: DataView,
  names: Buffer,
  blockStarts: readonly number[],
  blockDb: readonly number[],
  entriesAt: number,
  hashes: Uint32Array,
  slots: Uint8Array,
): void {
  const blocks = blockStarts.length - 1;
  // Where each block's names start in `names` (one more: their end), and where the block lies in the file.
  const nameStart = new Float64Array(blocks + 1);
  const blockAt = new Float64Array(blocks + 1);
  let nameFrom = 0;
  let at = MAGIC.length;
  for (let b = 0; b < blocks; b++) {
    const i = blockStarts[b]!;
    const end = blockStarts[b + 1]!;
    const db = blockDb[b]!;
    nameStart[b] = nameFrom;
    blockAt[b] = at;
    const x = noExpiries();
    for (let j = i; j < end; j++) {
      const r = j * ROW;
      const l = rowView.getUint32(r, true);
      hashes[j] = hashAndSlot(db, names, nameFrom, nameFrom + l, slots);
      nameFrom += l;
      countExpiry(x, rowView.getFloat64(r + R_EXPIRY, true));
    }
    const bytes = (end - i) * ROW + nameFrom - nameStart[b]!;
    writeEntry(view, entriesAt + b * ENTRY, at, bytes, end - i, db, 0, x);
    at += bytes;
  }
  nameStart[blocks] = nameFrom;
  blockAt[blocks] = at;
  for (let b = blocks - 1; b >= 0; b--) {
    const i = blockStarts[b]!;
    const end = blockStarts[b + 1]!;
    const to = blockAt[b]!;
    // Overlapping when `out` is the rows' buffer: copy and copyWithin move as memmove does.
    if (out.buffer === rows.buffer) out.copyWithin(to, i * ROW, end * ROW);
    else rows.copy(out, to, i * ROW, end * ROW);
    names.copy(out, to + (end - i) * ROW, nameStart[b]!, nameStart[b + 1]!);
    writeSum(FORMS[MAGIC], out, to, blockAt[b + 1]!, entriesAt + b * ENTRY + ENTRY_HEAD);
  }
  out.write(MAGIC, 0, 'latin1');
}

/**
 * The blocks of an index in another order than file order (a file whose
 * databases do not come ascending, or a test's `RDRKEYS2` in name order),
 * or of a layout before (a test's `RDRKEYS3`: 33-byte rows, the database in
 * each): each key's row and name copied where its position puts it;
 * `RDRKEYS2`'s first names after the hash blocks' entries, at `firstNamesAt`.
 */
function writeBlocksInOrder(
  out: Buffer,
  view: DataView,
  index: ColumnKeyIndex,
  blockStarts: readonly number[],
  blockDb: readonly number[],
  layout: Layout,
  entriesAt: number,
  firstNamesAt: number,
  hashes: Uint32Array | undefined,
  slots: Uint8Array,
): void {
  const { rows, names, order } = index.columns();
  const rowView = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  const nameAt = index.nameStarts();
  const f = FORMS[layout];
  const blocks = blockStarts.length - 1;
  out.write(layout, 0, 'latin1');
  let at = layout.length;
  let first = firstNamesAt;
  for (let b = 0; b < blocks; b++) {
    const i = blockStarts[b]!;
    const end = blockStarts[b + 1]!;
    const db = blockDb[b]!;
    let namesAt = at + (end - i) * f.row;
    const x = noExpiries();
    for (let j = i; j < end; j++) {
      const k = order ? order[j]! : j;
      const r = k * ROW;
      const l = rowView.getUint32(r, true);
      const from = nameAt[k]!;
      const to = at + (j - i) * f.row;
      if (f.row === ROW) copyBytes(rows, r, r + ROW, out, to);
      else {
        // The 33-byte row of the layouts before: the database in each row, the value's end.
        const valueAt = valueAtOf(rowView, r);
        view.setUint32(to, l, true);
        view.setUint32(to + LEGACY_ROW.db, db, true);
        out[to + LEGACY_ROW.type] = rows[r + R_TYPE]!;
        view.setFloat64(to + LEGACY_ROW.at, valueAt, true);
        view.setFloat64(to + LEGACY_ROW.end, valueAt + valueLengthOf(rowView, r), true);
        view.setFloat64(to + LEGACY_ROW.expiry, rowView.getFloat64(r + R_EXPIRY, true), true);
      }
      copyBytes(names, from, from + l, out, namesAt);
      if (hashes) hashes[j] = hashAndSlot(db, names, from, from + l, slots);
      namesAt += l;
      countExpiry(x, rowView.getFloat64(r + R_EXPIRY, true));
    }
    const firstLen = rowView.getUint32((order ? order[i]! : i) * ROW, true);
    writeEntry(view, entriesAt + b * f.entry, at, namesAt - at, end - i, db, hashes ? 0 : firstLen, x);
    writeSum(f, out, at, namesAt, entriesAt + b * f.entry + ENTRY_HEAD);
    if (!hashes) {
      // The block's first name, from its rows' names just written.
      const namesStart = at + (end - i) * f.row;
      out.copy(out, first, namesStart, namesStart + firstLen);
      first += firstLen;
    }
    at = namesAt;
  }
}

/**
 * The lookup section (`RDRKEYS3` and after) at `hashAt`: each row's hash and
 * number put in its bucket by a counting sort (rows ascending within a
 * bucket), and each hash block's directory entry at `entriesAt`.
 */
function writeLookup(f: LayoutForm, out: Buffer, view: DataView, hashes: Uint32Array, bits: number, hashAt: number, entriesAt: number): void {
  const buckets = 2 ** bits;
  // What the loops use held in locals: a CommonJS build (the benches') reads each import as a property at each use,
  // twice a key here.
  const bucket = bucketOf;
  const entryBytes = HASH_ROW;
  const next = new Uint32Array(buckets + 1);
  for (let j = 0; j < hashes.length; j++) next[bucket(hashes[j]!, bits) + 1]!++;
  for (let b = 0; b < buckets; b++) next[b + 1]! += next[b]!;
  const starts = next.slice();
  for (let j = 0; j < hashes.length; j++) {
    const h = hashes[j]!;
    const p = hashAt + next[bucket(h, bits)]!++ * entryBytes;
    view.setUint32(p, h, true);
    view.setUint32(p + 4, j, true);
  }
  for (let b = 0; b < buckets; b++) {
    const from = hashAt + starts[b]! * HASH_ROW;
    const to = hashAt + starts[b + 1]! * HASH_ROW;
    const e = entriesAt + b * f.hashEntry;
    view.setFloat64(e, from, true);
    view.setUint32(e + 8, to - from, true);
    writeSum(f, out, from, to, e + 12);
  }
}
