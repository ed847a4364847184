/**
 * The key index as a file written beside a verified copy (`<file>.keys`), so
 * `serve` and `history` open a big copy by reading its index's directory and
 * then one block per lookup, not the whole copy nor the whole index. Pure:
 * bytes in, bytes out.
 *
 * Layout (little-endian, `RDRKEYS2`):
 * - `RDRKEYS2`;
 * - the blocks: keys in (database, name) order, {@link BLOCK} a block, a
 *   block never spanning two databases; a block is its rows (per key its
 *   name length u32, db u32, type u8, value start, end and expiry f64, NaN:
 *   none) then its names, so one read (one ranged GET) brings a block whole;
 * - the directory: a u32 length and a JSON {@link Header} (the copy it
 *   indexes: its length and CRC-64 trailer; RDB version, magic, key count,
 *   per database its keys and blocks); per block an {@link ENTRY}-byte entry
 *   (where it lies, its keys, database, first name's length, its keys with an
 *   expiry and their least, greatest and summed expiry, and its SHA-256);
 *   then the blocks' first names;
 * - a {@link FOOTER}-byte footer: where the directory starts (f64), its
 *   SHA-256, and `RDRKEYS2` again.
 * A reader takes the footer and directory with one read from the end, checks
 * the directory's SHA-256, and each block's against its entry when it reads
 * it: a changed block is refused, never served. The copy's trailer is a
 * CRC-64 of the whole copy, so a copy rewritten since (same name, other
 * bytes) does not match its index, and is read whole instead.
 */
import { createHash } from 'node:crypto';
import { SLOT_COUNT } from '../keys/hash-slot.js';
import { copyBytes } from '../rdb/keys.js';
import { type ColumnKeyIndex, VALUE_FIELDS } from './key-index.js';

/** The first and last bytes of an index file. */
export const MAGIC = 'RDRKEYS2';
/** The first bytes of the layout before this one (one SHA-256 over the whole file: read whole no more). */
export const OLD_MAGIC = 'RDRKEYS1';
/** Bytes a key takes in a block's rows. */
export const ROW = 4 + 4 + 1 + 8 + 8 + 8;
/** Keys a block holds (fewer at the end of a database). */
export const BLOCK = 64;
/** Bytes a block's directory entry takes (beside its first name). */
export const ENTRY = 8 + 4 + 4 + 4 + 4 + 4 + 8 + 8 + 8 + 32;
/** Blocks whose keys {@link encodeKeyIndex} gathers at a time (their numbers in small arrays, 8,192 keys). */
const GATHER = 128;
/** Bytes of the footer: the directory's offset, its SHA-256, the magic. */
export const FOOTER = 8 + 32 + 8;

/** The copy an index belongs to: what a reader checks before trusting it. */
export interface IndexedCopy {
  /** The copy's length in bytes. */
  readonly bytes: number;
  /** Its last 8 bytes (the CRC-64 trailer), hex: all zeros (a file written without a checksum) is never indexed. */
  readonly trailer: string;
}

/** The rule the header's slot map was computed by (see {@link Header.slotsBy}). */
export const SLOTS_BY = 'keyHashSlot';

/** Every slot held: the map of an index whose own map is not trusted. */
const EVERY_SLOT: Uint8Array = new Uint8Array(SLOT_COUNT / 8).fill(0xff);

/** The slots an index's header says its keys fall in; every slot for an index written before {@link SLOTS_BY}. */
export function headerSlots(h: Pick<Header, 'slots' | 'slotsBy'>): Uint8Array {
  return h.slotsBy === SLOTS_BY ? Buffer.from(h.slots, 'base64') : EVERY_SLOT;
}

/** The JSON header of an index's directory. */
export interface Header extends IndexedCopy {
  readonly rdbVersion: number;
  readonly valkey: boolean;
  readonly keys: number;
  readonly blocks: number;
  /** Bytes the keys' names and values take in the copy (INFO memory's estimate). */
  readonly storedBytes: number;
  /** Which Redis Cluster hash slots its keys fall in (a bit a slot, base64): the shard of a cluster that holds a key, at a glance. */
  readonly slots: string;
  /**
   * How `slots` was computed: `keyHashSlot`, Redis' own rule (domain/keys/hash-slot.ts). Indexes written before it
   * lack it: their maps came from a package that placed names with an empty `{}` tag in other slots, so such a map
   * is not trusted (every slot counted as held: every shard looked in).
   */
  readonly slotsBy?: typeof SLOTS_BY;
  /** Per database holding keys, ascending: [db, its first key, its end key (key numbers in file order), its first block]. */
  readonly databases: readonly (readonly [db: number, first: number, end: number, firstBlock: number])[];
}

/** One block's directory entry. */
export interface BlockEntry {
  /** Where the block lies in the index file, and its length. */
  readonly at: number;
  readonly bytes: number;
  readonly keys: number;
  readonly db: number;
  /** Its keys with an expiry, their least and greatest expiry (Unix ms) and the sum of their expiries. */
  readonly expiring: number;
  readonly minExpiry: number;
  readonly maxExpiry: number;
  readonly expirySum: number;
  /** SHA-256 of the block's bytes. */
  readonly sha256: Buffer;
}

/** An index's directory, checked: what a paged reader keeps (domain/serve/paged-index.ts). */
export interface Directory {
  readonly header: Header;
  readonly blocks: readonly BlockEntry[];
  /** The blocks' first names, one after the other, and where each starts (one more: their end). */
  readonly firstNames: Buffer;
  readonly firstAt: Float64Array;
}

/** The suffix of the index beside a copy: `<copy>.keys`. */
export const INDEX_SUFFIX = '.keys';

/**
 * The S3 object metadata (`x-amz-meta-…`) an index beside an S3 copy is put
 * with: the identity of the copy's object version its keys were read from
 * (its ETag, unquoted, and its version id when the bucket gives one). The
 * index's bytes tie it to the copy's length and CRC-64 trailer only; `serve`
 * uses an S3 copy's index only when these name the object as it is now
 * (docs/serve.md "An S3 copy's index names its object version").
 */
export const INDEX_SOURCE_META = { etag: 'redis-dr-source-etag', versionId: 'redis-dr-source-version-id' } as const;

/** The object version an index was built from (an S3 copy's ETag, and its version id when versioned). */
export interface IndexSource {
  readonly etag?: string | undefined;
  readonly versionId?: string | undefined;
}

/** An ETag as compared: without its quotes. */
function bareEtag(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

/** The metadata naming `source` on its index (none when the source has no ETag: nothing to bind to). */
export function indexSourceMetadata(source: IndexSource | undefined): Record<string, string> {
  if (!source?.etag) return {};
  return { [INDEX_SOURCE_META.etag]: bareEtag(source.etag), ...(source.versionId ? { [INDEX_SOURCE_META.versionId]: source.versionId } : {}) };
}

/**
 * Why an index whose object metadata is `metadata` cannot stand for the copy
 * `object` is now (another version, or none named), or undefined when it
 * names that very version.
 */
export function foreignIndexSource(metadata: Readonly<Record<string, string>> | undefined, object: IndexSource): string | undefined {
  const etag = metadata?.[INDEX_SOURCE_META.etag];
  if (!etag)
    return `its index names no object version (${INDEX_SOURCE_META.etag} metadata missing: written before indexes were bound to the copy's version), so it cannot be tied to the copy as it is now`;
  if (!object.etag || bareEtag(object.etag) !== etag)
    return `its index belongs to another version of the object (built from ETag ${etag}; the copy's ETag is now ${object.etag ? bareEtag(object.etag) : 'not given'})`;
  const versionId = metadata[INDEX_SOURCE_META.versionId];
  if (versionId && object.versionId !== versionId)
    return `its index belongs to another version of the object (built from version ${versionId}; the copy is now version ${object.versionId ?? 'not given'})`;
  return undefined;
}

/** Whether a trailer can name a copy (a file written with `rdbchecksum no` has zeros there). */
export function indexableTrailer(trailer: string): boolean {
  return /^[0-9a-f]{16}$/.test(trailer) && !/^0+$/.test(trailer);
}

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

/**
 * The index file of `index`, for `copy`. Written into one buffer sized
 * first (from the databases' key counts: no key read for it), each row
 * straight where it lies: no buffer or object a block or a key. A key's
 * numbers are read from one place ({@link VALUE_FIELDS} side by side), its
 * name from the names buffer: in name order those reads go across the
 * columns (a file's keys come in hash-table order), so they are as few as
 * can be.
 */
export function encodeKeyIndex(index: ColumnKeyIndex, copy: IndexedCopy, valkey: boolean): Buffer {
  const c = index.columns();
  const { order, names, nameAt, nameLen, values } = c;
  const n = order.length;
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
  for (let b = 0; b < blocks; b++) firstNameBytes += nameLen[order[blockStarts[b]!]!]!;
  const header: Header = {
    bytes: copy.bytes,
    trailer: copy.trailer,
    rdbVersion: index.rdbVersion,
    valkey,
    keys: n,
    blocks,
    storedBytes: index.storedBytes,
    slots: Buffer.from(index.slotMap()).toString('base64'),
    slotsBy: SLOTS_BY,
    databases,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // `names` holds every key's name once (the builder's buffer, cut to its keys).
  const directoryAt = MAGIC.length + n * ROW + names.length;
  const entriesAt = directoryAt + 4 + json.length;
  const firstNamesAt = entriesAt + blocks * ENTRY;
  const footerAt = firstNamesAt + firstNameBytes;
  // Every byte is written below (magic, blocks, directory, footer), so none of the unzeroed allocation is left.
  const out = Buffer.allocUnsafe(footerAt + FOOTER);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.write(MAGIC, 0, 'latin1');
  let at = MAGIC.length;
  let first = firstNamesAt;
  // A group of blocks at a time: first each key's numbers and where its name lies gathered into small arrays in name order
  // (a short loop: the reads across the columns overlap, where within the writing of a row each waited for the one before),
  // then the rows written from those.
  const most = Math.min(n, GATHER * BLOCK);
  const len = new Uint32Array(most);
  const nameFrom = new Float64Array(most);
  const numbers = new Float64Array(most * VALUE_FIELDS);
  for (let b0 = 0; b0 < blocks; b0 += GATHER) {
    const b1 = Math.min(blocks, b0 + GATHER);
    const from = blockStarts[b0]!;
    const to = blockStarts[b1]!;
    for (let j = from; j < to; j++) {
      const k = order[j]!;
      const t = j - from;
      len[t] = nameLen[k]!;
      nameFrom[t] = nameAt[k]!;
      const v = k * VALUE_FIELDS;
      const u = t * VALUE_FIELDS;
      numbers[u] = values[v]!;
      numbers[u + 1] = values[v + 1]!;
      numbers[u + 2] = values[v + 2]!;
      numbers[u + 3] = values[v + 3]!;
    }
    for (let b = b0; b < b1; b++) {
      const i = blockStarts[b]!;
      const end = blockStarts[b + 1]!;
      const db = blockDb[b]!;
      let namesAt = at + (end - i) * ROW;
      let expiring = 0;
      let minExpiry = Number.POSITIVE_INFINITY;
      let maxExpiry = Number.NEGATIVE_INFINITY;
      let expirySum = 0;
      for (let j = i; j < end; j++) {
        const t = j - from;
        const l = len[t]!;
        const u = t * VALUE_FIELDS;
        const p = at + (j - i) * ROW;
        view.setUint32(p, l, true);
        view.setUint32(p + 4, db, true);
        out[p + 8] = numbers[u + 3]!;
        view.setFloat64(p + 9, numbers[u]!, true);
        view.setFloat64(p + 17, numbers[u + 1]!, true);
        const e = numbers[u + 2]!;
        view.setFloat64(p + 25, e, true);
        copyBytes(names, nameFrom[t]!, nameFrom[t]! + l, out, namesAt);
        namesAt += l;
        if (!Number.isNaN(e)) {
          expiring++;
          minExpiry = Math.min(minExpiry, e);
          maxExpiry = Math.max(maxExpiry, e);
          expirySum += e;
        }
      }
      const t0 = i - from;
      const entry = entriesAt + b * ENTRY;
      view.setFloat64(entry, at, true);
      view.setUint32(entry + 8, namesAt - at, true);
      view.setUint32(entry + 12, end - i, true);
      view.setUint32(entry + 16, db, true);
      view.setUint32(entry + 20, len[t0]!, true);
      view.setUint32(entry + 24, expiring, true);
      view.setFloat64(entry + 28, expiring ? minExpiry : 0, true);
      view.setFloat64(entry + 36, expiring ? maxExpiry : 0, true);
      view.setFloat64(entry + 44, expirySum, true);
      sha256(out.subarray(at, namesAt)).copy(out, entry + 52);
      // The block's first name, from its rows' names just written.
      out.copy(out, first, at + (end - i) * ROW, at + (end - i) * ROW + len[t0]!);
      first += len[t0]!;
      at = namesAt;
    }
  }
  view.setUint32(directoryAt, json.length, true);
  json.copy(out, directoryAt + 4);
  view.setFloat64(footerAt, directoryAt, true);
  sha256(out.subarray(directoryAt, footerAt)).copy(out, footerAt + 8);
  out.write(MAGIC, footerAt + 40, 'latin1');
  return out;
}

/** Where the directory of an index file of `fileBytes` bytes lies, from its last bytes (`tail`, at least {@link FOOTER}); or why it is no index. */
export function readFooter(tail: Buffer, fileBytes: number): { readonly at: number; readonly sha256: Buffer } | { readonly problem: string } {
  if (fileBytes < MAGIC.length + 4 + FOOTER || tail.length < FOOTER) return { problem: 'not a redis-dr key index' };
  const f = tail.subarray(tail.length - FOOTER);
  if (f.toString('latin1', 40) !== MAGIC) return { problem: 'not a redis-dr key index of this layout (RDRKEYS2)' };
  const at = f.readDoubleLE(0);
  if (!(Number.isInteger(at) && at >= MAGIC.length && at + 4 <= fileBytes - FOOTER)) return { problem: 'its footer points outside it (damaged)' };
  return { at, sha256: Buffer.from(f.subarray(8, 40)) };
}

/** The directory's bytes checked by the footer's SHA-256, then read and checked against the copy it must index. */
export function readDirectory(bytes: Buffer, footerSha256: Buffer, directoryAt: number, copy: IndexedCopy): Directory | { readonly problem: string } {
  if (!sha256(bytes).equals(footerSha256)) return { problem: 'its directory does not match its SHA-256 (damaged)' };
  const jsonLen = bytes.readUInt32LE(0);
  let h: Header;
  try {
    h = JSON.parse(bytes.toString('utf8', 4, 4 + jsonLen)) as Header;
  } catch {
    return { problem: 'its header is not JSON' };
  }
  if (h.bytes !== copy.bytes || h.trailer !== copy.trailer)
    return { problem: `it indexes another copy (${h.bytes} bytes, CRC-64 ${h.trailer}; the copy: ${copy.bytes} bytes, CRC-64 ${copy.trailer})` };
  if (typeof h.slots !== 'string' || Buffer.from(h.slots, 'base64').length !== SLOT_COUNT / 8)
    return { problem: 'its header lacks the hash slots of its keys' };
  const entriesAt = 4 + jsonLen;
  const blocks: BlockEntry[] = [];
  const firstAt = new Float64Array(h.blocks + 1);
  let names = 0;
  let next = MAGIC.length;
  for (let b = 0; b < h.blocks; b++) {
    const p = entriesAt + b * ENTRY;
    if (p + ENTRY > bytes.length) return { problem: `its directory ends before block ${b}'s entry` };
    const e: BlockEntry = {
      at: bytes.readDoubleLE(p),
      bytes: bytes.readUInt32LE(p + 8),
      keys: bytes.readUInt32LE(p + 12),
      db: bytes.readUInt32LE(p + 16),
      expiring: bytes.readUInt32LE(p + 24),
      minExpiry: bytes.readDoubleLE(p + 28),
      maxExpiry: bytes.readDoubleLE(p + 36),
      expirySum: bytes.readDoubleLE(p + 44),
      sha256: Buffer.from(bytes.subarray(p + 52, p + 84)),
    };
    // The blocks lie one after the other, from the magic to the directory.
    if (e.at !== next || e.keys < 1 || e.keys > BLOCK || e.bytes < e.keys * ROW)
      return { problem: `block ${b}'s entry does not fit the blocks before it (damaged)` };
    next += e.bytes;
    blocks.push(e);
    firstAt[b] = names;
    names += bytes.readUInt32LE(p + 20);
  }
  firstAt[h.blocks] = names;
  const namesAt = entriesAt + h.blocks * ENTRY;
  if (next !== directoryAt || namesAt + names !== bytes.length) return { problem: `its length does not fit ${h.keys} keys in ${h.blocks} blocks` };
  if (blocks.reduce((s, e) => s + e.keys, 0) !== h.keys) return { problem: `its blocks do not hold its ${h.keys} keys` };
  return { header: h, blocks, firstNames: Buffer.from(bytes.subarray(namesAt)), firstAt };
}

/** A block's bytes checked against its entry (SHA-256, then every row): why it cannot be served, or undefined. */
export function blockProblem(block: Buffer, e: BlockEntry, b: number, copy: IndexedCopy): string | undefined {
  if (block.length !== e.bytes || !sha256(block).equals(e.sha256)) return `block ${b} does not match its SHA-256 in the index's directory (changed or damaged)`;
  let names = 0;
  for (let i = 0; i < e.keys; i++) {
    const p = i * ROW;
    names += block.readUInt32LE(p);
    const valueAt = block.readDoubleLE(p + 9);
    const valueEnd = block.readDoubleLE(p + 17);
    if (block.readUInt32LE(p + 4) !== e.db || !(valueAt <= valueEnd && valueEnd <= copy.bytes)) return `block ${b}'s key ${i} lies outside the copy`;
  }
  return e.keys * ROW + names === block.length ? undefined : `block ${b}'s name lengths do not add up to its names`;
}
