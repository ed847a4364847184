/**
 * The key index as a file written beside a verified copy (`<file>.keys`), so
 * `serve` and `history` open a big copy by reading its index's directory and
 * then one block per lookup, not the whole copy nor the whole index. Pure:
 * bytes in, bytes out.
 *
 * Layout (little-endian, `RDRKEYS5`, what every writer writes):
 * - `RDRKEYS5`;
 * - the blocks: keys in file order (the order the verifier's parse met
 *   them), grouped by database (ascending; a file lists each database once,
 *   so that is file order), {@link BLOCK} a block, a block never spanning two
 *   databases (its database is its directory entry's, not a field of each
 *   row); a block is its 24-byte rows (per key its name length u32, type u8,
 *   value start u48, value length u40, expiry f64, NaN: none) then its names,
 *   so one read (one ranged GET) brings a block whole. The rows are the
 *   verifier's pass's own (domain/serve/key-rows.ts): a block is a copy of a
 *   run of them and of their names, no sort, no key gathered field by field
 *   (the DR verifier's pass writes each key into its block as it goes:
 *   key-blocks.ts); written by index-write.ts;
 * - the lookup section: per key an 8-byte entry (its {@link keyHash} u32
 *   and its row number u32: blocks' keys counted from the first), grouped by
 *   the hash's top `hashBits` bits into 2^hashBits hash blocks (one a bucket,
 *   about 512 entries, rows ascending within one; an empty bucket: no bytes),
 *   put in place by a counting sort: no comparison of names;
 * - the directory: a u32 length and a JSON {@link Header} (the copy it
 *   indexes: its length and CRC-64 trailer; RDB version, magic, key count,
 *   per database its keys and blocks; `hashBits`; a Redis 8.10 copy's
 *   hash templates, {@link Header.templates}); per block an
 *   {@link ENTRY}-byte entry (where it lies, its keys, database, 0, its keys
 *   with an expiry and their least, greatest and summed expiry, and its
 *   CRC-32); per hash block an entry (where it lies, its length, its CRC-32);
 * - a {@link FOOTER}-byte footer: where the directory starts (f64), its
 *   SHA-256, and `RDRKEYS5` again.
 * A lookup reads the key's hash block, then the block of each row whose hash
 * matches, and answers only when the name's bytes there are the name asked
 * for: two names with one hash cost a block read more, never a wrong answer.
 *
 * The blocks' and hash blocks' checksum is a CRC-32 (zlib's, gzip's;
 * domain/rdb/codecs/crc32.ts, Node's zlib.crc32: about half the CPU of the
 * CRC-64 `RDRKEYS4` used over the 100 MB of a 2 M-key index, 0.02–0.03
 * CPU-s a read of the DR verifier's, bench/README.md h56e). It is there to
 * find a changed or damaged block, and a CRC-32 misses a random change with
 * probability 2^-32 (and no burst of up to 32 bits), as S3's own CRC-32
 * part checksums and gzip's do. It proves nothing against
 * someone who rewrites the file on purpose, but neither did the SHA-256s:
 * whoever can rewrite a block can rewrite the directory and the footer's
 * SHA-256 with it (the file is not signed; what stands for it is the
 * copy's Object Lock and, for S3, the index's ETag its reads are pinned
 * to). The directory keeps a SHA-256 (its bytes are a few per cent of the
 * file, read once when opened).
 *
 * The layouts before (written before; indexes beside locked copies are
 * never rewritten, so every reader still reads them): `RDRKEYS4`, as above
 * with a CRC-64 (the RDB trailer's, domain/rdb/codecs/crc64.ts) for the
 * blocks and hash blocks, in 8-byte fields; `RDRKEYS3`, as above
 * with 33-byte rows (name length u32, db u32, type u8, value start, end and
 * expiry f64) and SHA-256s for the blocks and hash blocks; `RDRKEYS2`, those
 * rows and SHA-256s with the blocks in (database, name) order, no lookup
 * section, each block's entry giving its first name's length and the
 * blocks' first names after the entries (a lookup: a binary search over
 * those, then one block).
 *
 * A reader takes the footer and directory with one read from the end, checks
 * the directory's SHA-256, and each block's (hash blocks' too) against its
 * entry when it reads it: a changed block is refused, never served. The
 * copy's trailer is a CRC-64 of the whole copy, so a copy rewritten since
 * (same name, other bytes) does not match its index, and is read whole
 * instead.
 */
import { hash } from 'node:crypto';
import { SLOT_COUNT } from '../keys/hash-slot.js';
import { crc32 } from '../rdb/codecs/crc32.js';
import { HashTemplates, templateFieldOrderProblem } from '../rdb/format/hash-template.js';
import { type BesidesKeys, checkedBesidesKeys } from './besides-keys.js';
import { Crc64 } from '../rdb/codecs/crc64.js';
import { bucketOf as bucketOfHash } from './key-hash.js';
import { LEGACY_ROW, ROW, valueAtOf, valueLengthOf } from './key-rows.js';

// Called a key by the checks: held here, as a TypeScript runner (tsx, the benches) reads an import through a getter each time.
const bucketOf = bucketOfHash;

/** The first and last bytes of an index file (what writers write). */
export const MAGIC = 'RDRKEYS5';
/** Those of the layout before (CRC-64s): still read, never written but by tests. */
export const CRC64_MAGIC = 'RDRKEYS4';
/** Those of the layout before that (33-byte rows, SHA-256s): still read, never written but by tests. */
export const WIDE_ROWS_MAGIC = 'RDRKEYS3';
/** Those of the layout before those (keys in name order, no lookup section): still read, never written but by tests. */
export const NAME_ORDER_MAGIC = 'RDRKEYS2';
/** The layouts read by blocks. */
export type Layout = typeof MAGIC | typeof CRC64_MAGIC | typeof WIDE_ROWS_MAGIC | typeof NAME_ORDER_MAGIC;

/** A layout's block checksum, and its bytes. */
type Sum = 'crc32' | 'crc64' | 'sha256';
const SUM_BYTES: Readonly<Record<Sum, number>> = { crc32: 4, crc64: 8, sha256: 32 };

/** What a layout's blocks are made of: bytes a row, a checksum's bytes, whether it has a lookup section. */
export interface LayoutForm {
  readonly row: number;
  readonly sum: Sum;
  readonly sumBytes: number;
  readonly hashed: boolean;
  /** Bytes of a block's directory entry and of a hash block's. */
  readonly entry: number;
  readonly hashEntry: number;
}

const form = (row: number, sum: Sum, hashed: boolean): LayoutForm => {
  const sumBytes = SUM_BYTES[sum];
  return { row, sum, sumBytes, hashed, entry: ENTRY_HEAD + sumBytes, hashEntry: 8 + 4 + sumBytes };
};

/** Bytes of a block's directory entry before its checksum: where it lies, its length, keys, database, first name's length, expiries. */
export const ENTRY_HEAD = 8 + 4 + 4 + 4 + 4 + 4 + 8 + 8 + 8;

/** Each layout's form. */
export const FORMS: Readonly<Record<Layout, LayoutForm>> = {
  [MAGIC]: form(ROW, 'crc32', true),
  [CRC64_MAGIC]: form(ROW, 'crc64', true),
  [WIDE_ROWS_MAGIC]: form(LEGACY_ROW.bytes, 'sha256', true),
  [NAME_ORDER_MAGIC]: form(LEGACY_ROW.bytes, 'sha256', false),
};
/** The first bytes of the layout before this one (one SHA-256 over the whole file: read whole no more). */
export const OLD_MAGIC = 'RDRKEYS1';
/** Bytes a key takes in a block's rows (key-rows.ts: the builder's own rows). */
export { ROW };
/** Keys a block holds (fewer at the end of a database). */
export const BLOCK = 64;
/** Bytes a block's directory entry takes (`RDRKEYS5`; beside an `RDRKEYS2` one's first name). */
export const ENTRY = FORMS[MAGIC].entry;
/** Bytes a hash block's directory entry takes (`RDRKEYS5`): where it lies, its length, its CRC-32. */
export const HASH_ENTRY = FORMS[MAGIC].hashEntry;
/** Bytes a key's entry takes in the lookup section: its hash and its row number. */
export const HASH_ROW = 8;
/** Characters of the header's slot map (2,048 bytes in base64). */
export const SLOTS_BASE64 = Math.ceil(SLOT_COUNT / 8 / 3) * 4;
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
  /** Per database holding keys, ascending: [db, its first key, its end key (row numbers), its first block]. */
  readonly databases: readonly (readonly [db: number, first: number, end: number, firstBlock: number])[];
  /** `RDRKEYS3` and after: the hash's top bits that choose a key's hash block (2^hashBits blocks). */
  readonly hashBits?: number;
  /**
   * The blocks holding a hash with field TTLs (RDB types 22–25), as runs `[first, end)` of block numbers flattened
   * (`[]`: none): `serve`'s DBSIZE reads only those blocks and hashes to count the hashes whose fields have all expired
   * (context.ts FieldTtlHashes). Written for a file of RDB 12 and on (Valkey's too); absent in an index written before
   * it or of an older file (then such a count walks every block, or, before RDB 12, has nothing to look for).
   */
  readonly fieldTtlBlocks?: readonly number[];
  /**
   * Redis 8.10's hash templates of the copy (opcode 242) whose field names its verification read, each `[id, its field
   * names in base64, in the file's order]`: a hash that references one (RDB types 30, 32: its payload holds the id and
   * the values only) is answered from the index with them (jobs/serve/open-point.ts). Absent when the copy defines none,
   * or in an index written before it: such a hash is then refused in words (../rdb/format/template-ref.ts templateHashAlone).
   */
  readonly templates?: readonly (readonly [id: number, names: readonly string[]])[];
  /**
   * What the copy holds besides its keys (its function libraries, module AUX data, key metadata per class: its
   * verification's report), so `serve` and `compare` say it of a copy opened from its index unread. Absent in an index
   * written before it (then not known without reading the copy whole).
   */
  readonly besidesKeys?: BesidesKeys;
}

/** A copy as an index writer knows it: beside what a reader checks, what its verification read of it besides its keys. */
export interface IndexedFile extends IndexedCopy {
  readonly besidesKeys?: BesidesKeys;
}

/** The header's {@link Header.templates} of `templates` (those whose names were all read), or nothing when there are none. */
export function templatesField(templates: HashTemplates | undefined): Pick<Header, 'templates'> {
  const named = templates?.named() ?? [];
  return named.length > 0 ? { templates: named.map(([id, names]) => [id, names.map((n) => n.toString('base64'))] as const) } : {};
}

/** The templates a header keeps ({@link Header.templates}), undefined when it keeps none; or why they cannot be read. */
function headerTemplates(h: Header): HashTemplates | undefined | { readonly problem: string } {
  if (h.templates === undefined) return undefined;
  const problem = { problem: "its header's hash templates are not [id, [base64 names, in order]] pairs, each id once (damaged)" };
  if (!Array.isArray(h.templates)) return problem;
  const templates = new HashTemplates();
  for (const t of h.templates) {
    if (!Array.isArray(t) || t.length !== 2) return problem;
    const [id, names] = t;
    // Any id the parser reads (an RDB length: up to 64 bits, a double as it and a key's reference read it; JSON keeps a
    // double exactly), not only a safe integer: a valid file's index is not refused as damaged.
    if (!Number.isInteger(id) || id < 0 || id >= 2 ** 64 || !Array.isArray(names) || names.length === 0) return problem;
    if (!names.every((n) => typeof n === 'string' && BASE64.test(n)) || templates.define(id, names.length) !== null) return problem;
    const fields = names.map((n) => Buffer.from(n, 'base64'));
    // The names as the verifier took them (sorted by length then bytes, none twice), or the index is not used.
    for (let i = 1; i < fields.length; i++) if (templateFieldOrderProblem(fields[i - 1]!, fields[i]!, i) !== null) return problem;
    for (const f of fields) templates.addName(id, f);
  }
  return templates;
}

/** Standard base64, padded (what Buffer#toString('base64') writes). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One hash block's directory entry (`RDRKEYS3` and after). */
export interface HashEntry {
  readonly at: number;
  readonly bytes: number;
  /** Its checksum (the layout's: CRC-32, CRC-64 in `RDRKEYS4`, SHA-256 before). */
  readonly sum: Buffer;
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
  /** The checksum of the block's bytes (the layout's: CRC-32, CRC-64 in `RDRKEYS4`, SHA-256 before). */
  readonly sum: Buffer;
}

/** An index's directory, checked: what a paged reader keeps (domain/serve/paged-index.ts). */
export interface Directory {
  readonly layout: Layout;
  readonly header: Header;
  readonly blocks: readonly BlockEntry[];
  /** `RDRKEYS2`: the blocks' first names, one after the other, and where each starts (one more: their end); empty for the others. */
  readonly firstNames: Buffer;
  readonly firstAt: Float64Array;
  /** `RDRKEYS3` and after: the hash blocks (bucket b's at b), and the bits choosing one; none for `RDRKEYS2`. */
  readonly hashBlocks: readonly HashEntry[];
  readonly hashBits: number;
  /** The copy's hash templates its header keeps ({@link Header.templates}, checked); undefined when it keeps none. */
  readonly templates?: HashTemplates;
  /** What the copy holds besides its keys ({@link Header.besidesKeys}, checked); undefined when the header does not say. */
  readonly besidesKeys?: BesidesKeys;
}

/** The suffix of the index beside a copy: `<copy>.keys`. */
export const INDEX_SUFFIX = '.keys';

/** Whether a trailer can name a copy (a file written with `rdbchecksum no` has zeros there). */
export function indexableTrailer(trailer: string): boolean {
  return /^[0-9a-f]{16}$/.test(trailer) && !/^0+$/.test(trailer);
}

// One-shot: no Hash object a block (the directory's; the blocks' before RDRKEYS4).
export const sha256 = (b: Uint8Array): Buffer => hash('sha256', b, 'buffer');

/** One CRC-64 reused for every block's (reset before each: no object a block). */
export const crc = new Crc64();

/** Writes the checksum of `out[from, to)` (the layout's) at `at`. */
export function writeSum(f: LayoutForm, out: Buffer, from: number, to: number, at: number): void {
  if (f.sum === 'crc32') out.writeUInt32LE(crc32(out, from, to), at);
  else if (f.sum === 'sha256') sha256(out.subarray(from, to)).copy(out, at);
  else crc.reset().update(out, from, to).writeLittleEndian(out, at);
}

/** Whether `bytes` match checksum `sum` (the layout's). */
function sumMatches(f: LayoutForm, bytes: Buffer, sum: Buffer): boolean {
  if (f.sum === 'crc32') return sum.length === 4 && crc32(bytes, 0, bytes.length) === sum.readUInt32LE(0);
  return f.sum === 'sha256' ? sha256(bytes).equals(sum) : crc.reset().update(bytes).matchesLittleEndian(sum);
}

/** The name of a layout's block checksum, for messages. */
const sumName = (f: LayoutForm): string => ({ crc32: 'CRC-32', crc64: 'CRC-64', sha256: 'SHA-256' })[f.sum];

/** Where the directory of an index file of `fileBytes` bytes lies and its layout, from its last bytes (`tail`, at least {@link FOOTER}); or why it is no index. */
export function readFooter(
  tail: Buffer,
  fileBytes: number,
): { readonly at: number; readonly sha256: Buffer; readonly layout: Layout } | { readonly problem: string } {
  if (fileBytes < MAGIC.length + 4 + FOOTER || tail.length < FOOTER) return { problem: 'not a redis-dr key index' };
  const f = tail.subarray(tail.length - FOOTER);
  const layout = f.toString('latin1', 40);
  if (layout !== MAGIC && layout !== CRC64_MAGIC && layout !== WIDE_ROWS_MAGIC && layout !== NAME_ORDER_MAGIC)
    return { problem: `not a redis-dr key index of a layout read by blocks (${NAME_ORDER_MAGIC}, ${WIDE_ROWS_MAGIC}, ${CRC64_MAGIC}, ${MAGIC})` };
  const at = f.readDoubleLE(0);
  if (!(Number.isInteger(at) && at >= MAGIC.length && at + 4 <= fileBytes - FOOTER)) return { problem: 'its footer points outside it (damaged)' };
  return { at, sha256: Buffer.from(f.subarray(8, 40)), layout };
}

/** The directory's bytes checked by the footer's SHA-256, then read and checked against the copy it must index. */
export function readDirectory(
  bytes: Buffer,
  footerSha256: Buffer,
  directoryAt: number,
  copy: IndexedCopy,
  layout: Layout,
): Directory | { readonly problem: string } {
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
  const f = FORMS[layout];
  const hashed = f.hashed;
  const hashBits = hashed ? h.hashBits : 0;
  if (hashBits === undefined || !Number.isInteger(hashBits) || hashBits < 0 || hashBits > 24)
    return { problem: 'its header lacks the bits of its lookup section' };
  const entriesAt = 4 + jsonLen;
  const blocks: BlockEntry[] = [];
  const firstAt = new Float64Array(h.blocks + 1);
  let names = 0;
  let next = layout.length;
  for (let b = 0; b < h.blocks; b++) {
    const p = entriesAt + b * f.entry;
    if (p + f.entry > bytes.length) return { problem: `its directory ends before block ${b}'s entry` };
    const e: BlockEntry = {
      at: bytes.readDoubleLE(p),
      bytes: bytes.readUInt32LE(p + 8),
      keys: bytes.readUInt32LE(p + 12),
      db: bytes.readUInt32LE(p + 16),
      expiring: bytes.readUInt32LE(p + 24),
      minExpiry: bytes.readDoubleLE(p + 28),
      maxExpiry: bytes.readDoubleLE(p + 36),
      expirySum: bytes.readDoubleLE(p + 44),
      sum: Buffer.from(bytes.subarray(p + ENTRY_HEAD, p + f.entry)),
    };
    // The blocks lie one after the other, from the magic to the lookup section (the directory in RDRKEYS2).
    if (e.at !== next || e.keys < 1 || e.keys > BLOCK || e.bytes < e.keys * f.row)
      return { problem: `block ${b}'s entry does not fit the blocks before it (damaged)` };
    next += e.bytes;
    blocks.push(e);
    firstAt[b] = names;
    names += bytes.readUInt32LE(p + 20);
  }
  firstAt[h.blocks] = names;
  // The hash blocks lie one after the other, from the blocks' end to the directory, and hold one entry a key.
  const hashBlocks: HashEntry[] = [];
  const hashEntriesAt = entriesAt + h.blocks * f.entry;
  const buckets = hashed ? 2 ** hashBits : 0;
  let rows = 0;
  for (let b = 0; b < buckets; b++) {
    const p = hashEntriesAt + b * f.hashEntry;
    if (p + f.hashEntry > bytes.length) return { problem: `its directory ends before hash block ${b}'s entry` };
    const e: HashEntry = { at: bytes.readDoubleLE(p), bytes: bytes.readUInt32LE(p + 8), sum: Buffer.from(bytes.subarray(p + 12, p + f.hashEntry)) };
    if (e.at !== next || e.bytes % HASH_ROW !== 0) return { problem: `hash block ${b}'s entry does not fit the blocks before it (damaged)` };
    next += e.bytes;
    rows += e.bytes / HASH_ROW;
    hashBlocks.push(e);
  }
  const namesAt = hashEntriesAt + buckets * f.hashEntry;
  if (next !== directoryAt || namesAt + names !== bytes.length) return { problem: `its length does not fit ${h.keys} keys in ${h.blocks} blocks` };
  if (blocks.reduce((s, e) => s + e.keys, 0) !== h.keys) return { problem: `its blocks do not hold its ${h.keys} keys` };
  if (hashed && rows !== h.keys) return { problem: `its lookup section does not hold its ${h.keys} keys` };
  const templates = headerTemplates(h);
  if (templates !== undefined && 'problem' in templates) return templates;
  const besidesKeys = h.besidesKeys === undefined ? undefined : checkedBesidesKeys(h.besidesKeys);
  if (h.besidesKeys !== undefined && besidesKeys === undefined)
    return { problem: "its header's count of what the copy holds besides its keys is malformed (damaged)" };
  const d: Directory = {
    layout,
    header: h,
    blocks,
    firstNames: Buffer.from(bytes.subarray(namesAt)),
    firstAt,
    hashBlocks,
    hashBits,
    ...(templates ? { templates } : {}),
    ...(besidesKeys ? { besidesKeys } : {}),
  };
  if (!hashed)
    for (let b = 1; b < h.blocks; b++)
      if (blocks[b]!.db === blocks[b - 1]!.db && compareFirst(d, b - 1, d.firstNames, d.firstAt[b]!, d.firstAt[b + 1]!) > 0) return { problem: NOT_IN_ORDER };
  return d;
}

/**
 * Why an RDRKEYS2 index cannot be read by blocks when its keys are not in
 * name order: its lookups (a binary search) would miss keys it holds. The
 * builds of 2026-11-26 from d39fe9a4 (a radix sort by 7-byte windows) until
 * RDRKEYS3 put the names of a database of 16,384 keys or more out of order.
 */
export const NOT_IN_ORDER =
  'its keys are not in name order (an RDRKEYS2 index written by a build whose sort was wrong, 2026-11-26 from d39fe9a4): its lookups would miss keys it holds, so it is not used';

/** Block `b`'s first name (in the directory) against `name[from, to)`: negative when the first name sorts before it. */
function compareFirst(d: Directory, b: number, name: Buffer, from: number, to: number): number {
  return d.firstNames.compare(name, from, to, d.firstAt[b]!, d.firstAt[b + 1]!);
}

/**
 * An RDRKEYS2 block's names in order (`names`, where each starts in
 * `nameAt`): ascending, the first the directory's first name, the last before
 * the next block's first name (same database): why not, or undefined.
 */
export function orderProblem(d: Directory, b: number, names: Buffer, nameAt: Uint32Array): string | undefined {
  const keys = nameAt.length - 1;
  if (compareFirst(d, b, names, nameAt[0]!, nameAt[1]!) !== 0) return NOT_IN_ORDER;
  // `names.compare(names, cur…, prev…)`: the name before against this one, positive when it sorts after.
  for (let i = 1; i < keys; i++) if (names.compare(names, nameAt[i]!, nameAt[i + 1]!, nameAt[i - 1]!, nameAt[i]!) > 0) return NOT_IN_ORDER;
  const next = b + 1;
  if (next < d.blocks.length && d.blocks[next]!.db === d.blocks[b]!.db && compareFirst(d, next, names, nameAt[keys - 1]!, nameAt[keys]!) <= 0)
    return NOT_IN_ORDER;
  return undefined;
}

/** A hash block's bytes checked against its entry (its checksum, then every entry's bucket and row): why it cannot be used, or undefined. */
export function hashBlockProblem(block: Buffer, e: HashEntry, b: number, d: Pick<Directory, 'hashBits' | 'header' | 'layout'>): string | undefined {
  const f = FORMS[d.layout];
  if (block.length !== e.bytes || !sumMatches(f, block, e.sum))
    return `hash block ${b} does not match its ${sumName(f)} in the index's directory (changed or damaged)`;
  for (let p = 0; p < block.length; p += HASH_ROW)
    if (bucketOf(block.readUInt32LE(p), d.hashBits) !== b || block.readUInt32LE(p + 4) >= d.header.keys)
      return `hash block ${b}'s entry ${p / HASH_ROW} is not of it`;
  return undefined;
}

/** A block's bytes checked against its entry (its checksum, then every row): why it cannot be served, or undefined. */
export function blockProblem(block: Buffer, e: BlockEntry, b: number, copy: IndexedCopy, layout: Layout): string | undefined {
  const f = FORMS[layout];
  if (block.length !== e.bytes || !sumMatches(f, block, e.sum))
    return `block ${b} does not match its ${sumName(f)} in the index's directory (changed or damaged)`;
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let names = 0;
  for (let i = 0; i < e.keys; i++) {
    const p = i * f.row;
    names += view.getUint32(p, true);
    const legacy = f.row !== ROW;
    const valueAt = legacy ? view.getFloat64(p + LEGACY_ROW.at, true) : valueAtOf(view, p);
    const valueEnd = legacy ? view.getFloat64(p + LEGACY_ROW.end, true) : valueAt + valueLengthOf(view, p);
    if ((legacy && view.getUint32(p + LEGACY_ROW.db, true) !== e.db) || !(valueAt <= valueEnd && valueEnd <= copy.bytes))
      return `block ${b}'s key ${i} lies outside the copy`;
  }
  return e.keys * f.row + names === block.length ? undefined : `block ${b}'s name lengths do not add up to its names`;
}
