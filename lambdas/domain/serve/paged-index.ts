/**
 * A {@link KeyIndex} read from its index file (domain/serve/index-file.ts)
 * by blocks of {@link BLOCK} keys, not held: memory is the directory (an
 * entry a block: about 1.3 bytes a key; an `RDRKEYS2` file's also the
 * block's first name) and the last blocks read. A lookup in an `RDRKEYS3`/`RDRKEYS4`/`RDRKEYS5`
 * file reads the name's hash block (about 4 KiB), then the block of each
 * row whose hash matches, and answers only where the name's bytes there are
 * the name asked for; in an `RDRKEYS2` file it is a binary search over the
 * directory's first names, then one read of a block. Every block (its rows
 * and names lie together; a hash block's entries) is checked against its
 * checksum in the directory (CRC-32; CRC-64 in `RDRKEYS4`, SHA-256 before): a local file's the first time it is read, an S3
 * object's every time it is fetched (one ranged GET pinned to the index's
 * ETag). What `DBSIZE` and
 * `INFO keyspace` count (keys whose expiry has passed) comes from the
 * directory's per-block expiry figures, reading only the blocks whose
 * expiries straddle the clock.
 *
 * Reads from S3 are promises while the commands read an index at once: a
 * block not at hand throws {@link BlockPending}, and {@link settle} (the
 * command dispatch, `history`) waits for it and runs the lookup again, the
 * blocks it waited for held until the lookup has answered (so a lookup over
 * more blocks than are kept, `KEYS`, still ends). A sequential walk's misses
 * fetch growing runs of blocks (one ranged GET each), so a walk over the
 * whole index is run again a few dozen times, not once a block.
 */
import { keyExpired } from '../keys/expiry.js';
import {
  BLOCK,
  type BlockEntry,
  blockProblem,
  type Directory,
  FOOTER,
  FORMS,
  hashBlockProblem,
  headerSlots,
  type IndexedCopy,
  NAME_ORDER_MAGIC,
  orderProblem,
  readDirectory,
  readFooter,
} from './index-file.js';
import { LEGACY_ROW, R_AT, R_EXPIRY, R_LENGTH, R_TYPE, ROW } from './key-rows.js';
import type { HashTemplates } from '../rdb/format/hash-template.js';
import type { BesidesKeys } from './besides-keys.js';
import { bucketOf, keyHash } from './key-hash.js';
import type { IndexedKey, KeyIndex } from './key-index.js';

/** The index file read at offsets: at once where that blocks for microseconds (a local file), else a promise (a ranged GET). */
export interface IndexFileAt {
  read(offset: number, length: number): Promise<Buffer>;
  readonly readNow?: (offset: number, length: number) => Buffer;
}

/** One block read: its rows, its names and where each name starts among them (a hash block: its entries as rows, no names). */
interface Block {
  readonly rows: Buffer;
  readonly names: Buffer;
  readonly nameAt: Uint32Array;
  /** A hash block's entries decoded once: hash, row, hash, row … (a lookup scans these, not the bytes). */
  readonly pairs?: Uint32Array;
}

/** The bytes a block kept holds (a hash block's decoded entries too). */
const bytesOf = (b: Block): number => b.rows.length + b.names.length + (b.pairs?.byteLength ?? 0);

/** Blocks kept (the hot ones) of an index read by fetches (S3): 256 × 64 keys' rows and names, about 1 MB for 30-byte names. */
const BLOCKS_KEPT = 256;
/**
 * Bytes of blocks kept of an index read in place (a local file): 16 MiB, the
 * blocks of about 300,000 keys of 30-byte names. Each block missed costs a
 * positional read and its decoding, which the profile of `GET` from a local
 * index put at 3-4 µs a request when 256 blocks were kept (bench/README.md:
 * the indexed local GET); a larger budget keeps a hot set of that size in
 * memory, bounded whatever the file's key count.
 */
const LOCAL_KEPT_BYTES = 16 << 20;
/** The longest run of blocks one miss fetches (a sequential walk's): about 4 MB. */
const MAX_RUN = 1024;

/**
 * A lookup needs a block that is being fetched: {@link settle} waits for it
 * (`ready`, the blocks fetched) and runs the lookup again.
 */
export class BlockPending extends Error {
  override readonly name = 'BlockPending';
  constructor(
    readonly index: PagedKeyIndex,
    readonly ready: Promise<ReadonlyMap<number, Block>>,
  ) {
    super('a block of the key index is being read');
  }
}

/**
 * A value being read (a hash with field TTLs met by a lookup on an S3 copy:
 * context.ts FieldTtlHashes): {@link settle} waits for `ready` and runs the
 * lookup again, as for a block.
 */
export class ValuePending extends Error {
  override readonly name = 'ValuePending';
  constructor(readonly ready: Promise<unknown>) {
    super('a value is being read');
    // Awaited by settle; a failed read fails the command run again (it reads once more), so this one's failure is no crash.
    ready.catch(() => {});
  }
}

/** Whether `err` asks to be run again once something has been read ({@link BlockPending}, {@link ValuePending}). */
export function isPending(err: unknown): err is BlockPending | ValuePending {
  return err instanceof BlockPending || err instanceof ValuePending;
}

/**
 * `fn`'s answer once every block it reads is at hand: run, and on
 * {@link BlockPending} run again once the block has come (the blocks waited
 * for are held until `fn` answers). A local index never throws it: `fn` runs
 * once.
 */
export async function settle<T>(fn: () => T | Promise<T>): Promise<T> {
  const held: [PagedKeyIndex, ReadonlyMap<number, Block>][] = [];
  try {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ValuePending) {
          await err.ready;
          continue;
        }
        if (!(err instanceof BlockPending)) throw err;
        const blocks = await err.ready;
        err.index.hold(blocks, 1);
        held.push([err.index, blocks]);
      }
    }
  } finally {
    for (const [index, blocks] of held) index.hold(blocks, -1);
  }
}

/** The keys of an index file, read by blocks (see the module's comment). */
/**
 * A block of an index file that does not check out (its checksum, or an
 * `RDRKEYS2` block's name order): never answered from. An S3 copy's
 * command gets it as its error; `history` names the point unreadable.
 */
export class IndexDamaged extends Error {
  constructor(
    readonly location: string,
    readonly problem: string,
  ) {
    super(
      `the key index ${location}: ${problem}; not served: the copy itself is not affected, and serve and history read it whole once the index is out of the way (move or remove ${location})`,
    );
    this.name = 'IndexDamaged';
  }
}

export class PagedKeyIndex implements KeyIndex {
  readonly rdbVersion: number;
  readonly keys: number;
  readonly storedBytes: number;
  /** The copy's hash templates its directory keeps (index-file.ts Header.templates). */
  readonly templates?: HashTemplates;
  /** What the copy holds besides its keys, as its directory says (index-file.ts Header.besidesKeys); undefined when it does not. */
  readonly besidesKeys?: BesidesKeys;
  private readonly entries: readonly BlockEntry[];
  /** Where every block lies: the blocks, then (`RDRKEYS3` and after) the hash blocks, numbered on from them. */
  private readonly spans: readonly { readonly at: number; readonly bytes: number }[];
  private readonly ranges = new Map<number, { first: number; end: number; firstBlock: number }>();
  private readonly kept = new Map<number, Block>();
  /** The rows' and names' bytes of the blocks {@link kept}. */
  private keptBytes = 0;
  /** Blocks a {@link settle} waited for, held (with how many settles hold each) until it answers. */
  private readonly held = new Map<number, { block: Block; refs: number }>();
  private readonly pending = new Map<number, Promise<ReadonlyMap<number, Block>>>();
  /** Blocks checked against their SHA-256 (a local file's: once). */
  private readonly checked: Uint8Array;
  /** The last run fetched: where it ended and its length (a miss right after it doubles the next one). */
  private runEnd = -1;
  private run = 1;
  /** Blocks read since opened (tests: a lookup reads one). */
  blocksRead = 0;
  /** Bytes a row takes, and where its type and expiry lie (the layout's: `RDRKEYS4`'s and `RDRKEYS5`'s 24-byte rows, or the 33-byte rows before). */
  private readonly row: number;
  private readonly typeAt_: number;
  private readonly expiryAt: number;
  /** The 33-byte rows of the layouts before (the value's start and end as f64). */
  private readonly legacy: boolean;

  constructor(
    private readonly d: Directory,
    private readonly copy: IndexedCopy,
    private readonly file: IndexFileAt,
    /** Where the index is (for messages). */
    private readonly location: string,
  ) {
    this.rdbVersion = d.header.rdbVersion;
    if (d.templates) this.templates = d.templates;
    if (d.besidesKeys) this.besidesKeys = d.besidesKeys;
    this.keys = d.header.keys;
    this.storedBytes = d.header.storedBytes;
    this.entries = d.blocks;
    this.spans = [...d.blocks, ...d.hashBlocks];
    this.checked = new Uint8Array(this.spans.length);
    for (const [db, first, end, firstBlock] of d.header.databases) this.ranges.set(db, { first, end, firstBlock });
    this.row = FORMS[d.layout].row;
    this.legacy = this.row !== ROW;
    this.typeAt_ = this.legacy ? LEGACY_ROW.type : R_TYPE;
    this.expiryAt = this.legacy ? LEGACY_ROW.expiry : R_EXPIRY;
  }

  databases(): number[] {
    return [...this.ranges.keys()].sort((a, b) => a - b);
  }

  /** The positions of `db` in the blocks the directory names as holding a hash with field TTLs; undefined when it names none (an older index). */
  fieldTtlRuns(db: number): [from: number, to: number][] | undefined {
    const runs = this.d.header.fieldTtlBlocks;
    const r = this.ranges.get(db);
    if (!runs || !r) return runs ? [] : undefined;
    const out: [number, number][] = [];
    const dbBlocks = Math.ceil((r.end - r.first) / BLOCK);
    for (let i = 0; i + 1 < runs.length; i += 2) {
      const from = Math.max(runs[i]!, r.firstBlock);
      const to = Math.min(runs[i + 1]!, r.firstBlock + dbBlocks);
      if (from < to) out.push([(from - r.firstBlock) * BLOCK, Math.min(r.end - r.first, (to - r.firstBlock) * BLOCK)]);
    }
    return out;
  }

  size(db: number): number {
    const r = this.ranges.get(db);
    return r ? r.end - r.first : 0;
  }

  /** Holds (`by` 1) or lets go (−1) of blocks a {@link settle} waited for. */
  hold(blocks: ReadonlyMap<number, Block>, by: 1 | -1): void {
    for (const [b, block] of blocks) {
      const h = this.held.get(b) ?? { block, refs: 0 };
      h.refs += by;
      if (h.refs > 0) this.held.set(b, h);
      else this.held.delete(b);
    }
  }

  private keep(b: number, block: Block): void {
    const before = this.kept.get(b);
    if (before) this.keptBytes -= bytesOf(before);
    this.kept.set(b, block);
    this.keptBytes += bytesOf(block);
    const local = this.file.readNow !== undefined;
    while (local ? this.keptBytes > LOCAL_KEPT_BYTES : this.kept.size > BLOCKS_KEPT) {
      const [oldest, gone] = this.kept.entries().next().value!;
      this.kept.delete(oldest);
      this.keptBytes -= bytesOf(gone);
    }
  }

  /** Block `b`'s bytes made a {@link Block}, checked (once for a file read at once, at every fetch otherwise). */
  private decode(b: number, bytes: Buffer, check: boolean): Block {
    if (b >= this.entries.length) return this.decodeHashes(b - this.entries.length, bytes, check);
    const e = this.entries[b]!;
    if (check) {
      const problem = blockProblem(bytes, e, b, this.copy, this.d.layout);
      if (problem) throw new IndexDamaged(this.location, problem);
    }
    const nameAt = new Uint32Array(e.keys + 1);
    for (let i = 0; i < e.keys; i++) nameAt[i + 1] = nameAt[i]! + bytes.readUInt32LE(i * this.row);
    const names = bytes.subarray(e.keys * this.row);
    // RDRKEYS2: a binary search answers only over names in order (a build wrote some out of order): checked with the block.
    if (check && this.d.layout === NAME_ORDER_MAGIC) {
      const problem = orderProblem(this.d, b, names, nameAt);
      if (problem) throw new IndexDamaged(this.location, problem);
    }
    this.blocksRead++;
    return { rows: bytes.subarray(0, e.keys * this.row), names, nameAt };
  }

  /** Hash block `h`'s bytes, checked likewise. */
  private decodeHashes(h: number, bytes: Buffer, check: boolean): Block {
    if (check) {
      const problem = hashBlockProblem(bytes, this.d.hashBlocks[h]!, h, this.d);
      if (problem) throw new IndexDamaged(this.location, problem);
    }
    this.blocksRead++;
    const pairs = new Uint32Array(bytes.length / 4);
    for (let i = 0; i < pairs.length; i++) pairs[i] = bytes.readUInt32LE(i * 4);
    // Its bytes are held as the decoded pairs alone (kept twice, they would count twice against the budget).
    return { rows: bytes.subarray(0, 0), names: bytes.subarray(0, 0), nameAt: new Uint32Array(0), pairs };
  }

  /**
   * For an index read at once (a local file): every block and hash block
   * checked now, at open, and the first that does not check out named
   * (undefined when all do, or for an index on S3, whose blocks are checked
   * as each is fetched). What opens a local copy then reads the copy whole
   * instead of answering some keys and failing others (open-point.ts).
   */
  damage(): string | undefined {
    const readNow = this.file.readNow;
    if (!readNow) return undefined;
    // A check, not a lookup's reads (tests count those).
    const lookups = this.blocksRead;
    try {
      for (let b = 0; b < this.spans.length; b++) {
        if (this.checked[b] === 1) continue;
        const e = this.spans[b]!;
        this.decode(b, readNow(e.at, e.bytes), true);
        this.checked[b] = 1;
      }
      return undefined;
    } catch (err) {
      if (err instanceof IndexDamaged) return err.problem;
      throw err;
    } finally {
      this.blocksRead = lookups;
    }
  }

  private block(b: number): Block {
    const hit = this.kept.get(b);
    // A walk that comes to a block at hand where its last run ended goes on past it: the next miss continues the run's
    // doubling (without this, each block a lookup left at hand restarted the walk's runs at one block: 3-4x the GETs).
    if (b === this.runEnd && (hit || this.held.has(b))) this.runEnd = b + 1;
    if (hit) {
      this.kept.delete(b);
      this.kept.set(b, hit);
      return hit;
    }
    const held = this.held.get(b);
    if (held) return held.block;
    const readNow = this.file.readNow;
    if (readNow) {
      const e = this.spans[b]!;
      const block = this.decode(b, readNow(e.at, e.bytes), this.checked[b] === 0);
      this.checked[b] = 1;
      this.keep(b, block);
      return block;
    }
    throw new BlockPending(this, this.pending.get(b) ?? this.fetch(b));
  }

  /** Fetches a run of blocks from `b` (one read: they lie one after the other), each checked. */
  private fetch(b: number): Promise<ReadonlyMap<number, Block>> {
    this.run = b === this.runEnd ? Math.min(MAX_RUN, this.run * 2) : 1;
    let end = b;
    // A run of key blocks stops where the hash blocks start (a walk of the keys has no use for them).
    const limit = b < this.entries.length ? this.entries.length : this.spans.length;
    while (end < limit && end - b < this.run && !this.kept.has(end) && !this.pending.has(end)) end++;
    this.runEnd = end;
    const first = this.spans[b]!;
    const last = this.spans[end - 1]!;
    const p = this.file.read(first.at, last.at + last.bytes - first.at).then((bytes) => {
      const out = new Map<number, Block>();
      for (let i = b; i < end; i++) {
        const e = this.spans[i]!;
        const block = this.decode(i, bytes.subarray(e.at - first.at, e.at - first.at + e.bytes), true);
        this.keep(i, block);
        out.set(i, block);
      }
      return out;
    });
    const done = () => {
      for (let i = b; i < end; i++) this.pending.delete(i);
    };
    p.then(done, done);
    for (let i = b; i < end; i++) this.pending.set(i, p);
    return p;
  }

  /** The block and row of `pos` in `db`. */
  private at(db: number, pos: number): { block: Block; i: number } {
    const r = this.ranges.get(db);
    if (!r || pos < 0 || pos >= r.end - r.first) throw new RangeError(`no key at position ${pos} of database ${db}`);
    return { block: this.block(r.firstBlock + Math.floor(pos / BLOCK)), i: pos % BLOCK };
  }

  private static nameIn(bl: Block, i: number): Buffer {
    return bl.names.subarray(bl.nameAt[i]!, bl.nameAt[i + 1]!);
  }

  /** (name) against block `b`'s first name (blocks never span databases). */
  private compareFirst(name: Buffer, b: number): number {
    return name.compare(this.d.firstNames, this.d.firstAt[b]!, this.d.firstAt[b + 1]!);
  }

  find(db: number, name: Buffer): number {
    const r = this.ranges.get(db);
    if (!r) return -1;
    if (this.d.layout !== NAME_ORDER_MAGIC) return this.findHashed(db, name, r);
    // The last block whose first name is at or before `name`: the only one that can hold it.
    let lo = r.firstBlock;
    let hi = r.firstBlock + Math.ceil((r.end - r.first) / BLOCK) - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.compareFirst(name, mid) >= 0) lo = mid;
      else hi = mid - 1;
    }
    if (this.compareFirst(name, lo) < 0) return -1;
    const bl = this.block(lo);
    let a = 0;
    let z = this.entries[lo]!.keys - 1;
    while (a <= z) {
      const mid = (a + z) >>> 1;
      const cmp = name.compare(bl.names, bl.nameAt[mid]!, bl.nameAt[mid + 1]!);
      if (cmp === 0) return (lo - r.firstBlock) * BLOCK + mid;
      if (cmp < 0) z = mid - 1;
      else a = mid + 1;
    }
    return -1;
  }

  /** `name` in `db` (`r`: its range) by the lookup section: its hash block, then each row of that hash checked by name. */
  private findHashed(db: number, name: Buffer, r: { first: number; end: number }): number {
    const h = keyHash(db, name, 0, name.length);
    const pairs = this.block(this.entries.length + bucketOf(h, this.d.hashBits)).pairs!;
    for (let p = 0; p < pairs.length; p += 2) {
      if (pairs[p] !== h) continue;
      const row = pairs[p + 1]!;
      // Another database's key, or another name of the same hash: never answered from the hash alone.
      if (row < r.first || row >= r.end) continue;
      // Compared where it lies in its block (no Buffer view a lookup: this is every GET's path).
      const { block, i } = this.at(db, row - r.first);
      if (block.nameAt[i + 1]! - block.nameAt[i]! === name.length && name.compare(block.names, block.nameAt[i]!, block.nameAt[i + 1]!) === 0)
        return row - r.first;
    }
    return -1;
  }

  slotMap(): Uint8Array {
    return headerSlots(this.d.header);
  }

  firstDuplicate(): Buffer | undefined {
    if (this.d.layout !== NAME_ORDER_MAGIC) return this.firstTwinHashed();
    for (const db of this.databases())
      for (let pos = 1; pos < this.size(db); pos++) if (this.nameAt(db, pos - 1).equals(this.nameAt(db, pos))) return this.nameAt(db, pos);
    return undefined;
  }

  /** A name held twice in one database (`RDRKEYS3` and after): twins share a hash, so only rows of one hash in one hash block are compared. */
  private firstTwinHashed(): Buffer | undefined {
    for (let b = 0; b < this.d.hashBlocks.length; b++) {
      const pairs = this.block(this.entries.length + b).pairs!;
      const byHash = new Map<number, number[]>();
      for (let p = 0; p < pairs.length; p += 2) {
        const rows = byHash.get(pairs[p]!);
        if (rows) rows.push(pairs[p + 1]!);
        else byHash.set(pairs[p]!, [pairs[p + 1]!]);
      }
      for (const rows of byHash.values()) {
        if (rows.length < 2) continue;
        const keys = rows.map((row) => this.rowKey(row));
        for (let i = 1; i < keys.length; i++)
          for (let j = 0; j < i; j++) if (keys[i]!.db === keys[j]!.db && keys[i]!.name.equals(keys[j]!.name)) return keys[i]!.name;
      }
    }
    return undefined;
  }

  /** The database and name of row `row` (counted over every database's keys). */
  private rowKey(row: number): { db: number; name: Buffer } {
    for (const [db, r] of this.ranges) if (row >= r.first && row < r.end) return { db, name: this.nameAt(db, row - r.first) };
    throw new RangeError(`no key at row ${row}`);
  }

  nameAt(db: number, pos: number): Buffer {
    const { block, i } = this.at(db, pos);
    return PagedKeyIndex.nameIn(block, i);
  }

  typeAt(db: number, pos: number): number {
    const { block, i } = this.at(db, pos);
    return block.rows.readUInt8(i * this.row + this.typeAt_);
  }

  expireAtMs(db: number, pos: number): number | null {
    const { block, i } = this.at(db, pos);
    const e = block.rows.readDoubleLE(i * this.row + this.expiryAt);
    return Number.isNaN(e) ? null : e;
  }

  entry(db: number, pos: number): IndexedKey {
    const { block, i } = this.at(db, pos);
    const p = i * this.row;
    const rows = block.rows;
    const e = rows.readDoubleLE(p + this.expiryAt);
    const valueAt = this.legacy ? rows.readDoubleLE(p + LEGACY_ROW.at) : rows.readUIntLE(p + R_AT, 6);
    return {
      db,
      name: PagedKeyIndex.nameIn(block, i),
      type: rows.readUInt8(p + this.typeAt_),
      valueAt,
      valueEnd: this.legacy ? rows.readDoubleLE(p + LEGACY_ROW.end) : valueAt + rows.readUIntLE(p + R_LENGTH, 5),
      expireAtMs: Number.isNaN(e) ? null : e,
    };
  }

  expiries(db: number, now: number): { expired: number; live: number; ttlSumMs: number } {
    const out = { expired: 0, live: 0, ttlSumMs: 0 };
    const r = this.ranges.get(db);
    if (!r) return out;
    const blocks = Math.ceil((r.end - r.first) / BLOCK);
    for (let b = r.firstBlock; b < r.firstBlock + blocks; b++) {
      const e = this.entries[b]!;
      if (e.expiring === 0) continue;
      // Gone once its time has passed, not at the millisecond itself (keyExpired).
      if (e.maxExpiry < now) out.expired += e.expiring;
      else if (e.minExpiry >= now) {
        out.live += e.expiring;
        out.ttlSumMs += e.expirySum - e.expiring * now;
      } else {
        // The clock falls among this block's expiries: its rows say which have passed.
        const bl = this.block(b);
        for (let i = 0; i < e.keys; i++) {
          const at = bl.rows.readDoubleLE(i * this.row + this.expiryAt);
          if (Number.isNaN(at)) continue;
          if (keyExpired(at, now)) out.expired++;
          else {
            out.live++;
            out.ttlSumMs += at - now;
          }
        }
      }
    }
    return out;
  }
}

/** An index file held whole in memory, read as a paged index (what a caller holding its bytes opens it with: tests, a read-back). */
export function indexInMemory(file: Buffer, copy: IndexedCopy, location = 'the key index'): { index: PagedKeyIndex; valkey: boolean } | { problem: string } {
  const footer = readFooter(file, file.length);
  if ('problem' in footer) return footer;
  const d = readDirectory(file.subarray(footer.at, file.length - FOOTER), footer.sha256, footer.at, copy, footer.layout);
  if ('problem' in d) return d;
  const readNow = (offset: number, length: number): Buffer => file.subarray(offset, offset + length);
  return { index: new PagedKeyIndex(d, copy, { readNow, read: async (o, l) => readNow(o, l) }, location), valkey: d.header.valkey };
}
