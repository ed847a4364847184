/**
 * A {@link KeyIndex} read from its index file by blocks of {@link BLOCK}
 * keys, not held: memory is a directory of one entry a block (where its
 * names start, its first key's database and name: about half a byte a key
 * for 30-byte names), the positions of keys with an expiry (4 bytes each)
 * and the last blocks read; a lookup is a binary search over the directory
 * then one positioned read of the block's rows and one of its names. The
 * file was checked whole as it streamed past (domain/serve/index-scan.ts).
 */
import { ROW } from './index-file.js';
import { BLOCK, type ScannedIndex } from './index-scan.js';
import type { IndexedKey, KeyIndex } from './key-index.js';

/** `length` bytes of the index file at `offset`, at once (a local file's positional read). */
export type ReadAt = (offset: number, length: number) => Buffer;

/** One block read: its rows, its names and where each name starts among them. */
interface Block {
  readonly rows: Buffer;
  readonly names: Buffer;
  readonly nameAt: Uint32Array;
}

/** Blocks kept (the hot ones): 256 × 64 keys' rows and names. */
const BLOCKS_KEPT = 256;

/** The keys of an index file, read by blocks (see the module's comment). */
export class PagedKeyIndex implements KeyIndex {
  readonly rdbVersion: number;
  readonly keys: number;
  readonly storedBytes: number;
  /** Bytes the first names of the blocks take, and where each starts among them. */
  private readonly firstNames: Buffer;
  private readonly firstAt: Float64Array;
  private readonly kept = new Map<number, Block>();
  /** Blocks read since opened (tests: a lookup reads one). */
  blocksRead = 0;

  constructor(
    private readonly s: ScannedIndex,
    private readonly read: ReadAt,
  ) {
    this.rdbVersion = s.header.rdbVersion;
    this.keys = s.header.keys;
    this.storedBytes = s.storedBytes;
    const blocks = s.blockDb.length;
    this.firstAt = new Float64Array(blocks + 1);
    let total = 0;
    for (let b = 0; b < blocks; b++) {
      this.firstAt[b] = total;
      total += s.blockFirstLen[b]!;
    }
    this.firstAt[blocks] = total;
    // One positioned read a block for its first name (the directory the binary search runs over).
    this.firstNames = Buffer.allocUnsafe(total);
    for (let b = 0; b < blocks; b++) {
      if (s.blockFirstLen[b]! > 0) read(s.namesAt + s.blockNameAt[b]!, s.blockFirstLen[b]!).copy(this.firstNames, this.firstAt[b]!);
    }
  }

  databases(): number[] {
    return [...this.s.ranges.keys()].sort((a, b) => a - b);
  }

  size(db: number): number {
    const r = this.s.ranges.get(db);
    return r ? r[1] - r[0] : 0;
  }

  withExpiry(db: number): Iterable<number> {
    return this.s.expiring.get(db) ?? [];
  }

  private block(b: number): Block {
    const hit = this.kept.get(b);
    if (hit) {
      this.kept.delete(b);
      this.kept.set(b, hit);
      return hit;
    }
    const first = b * BLOCK;
    const n = Math.min(BLOCK, this.keys - first);
    const rows = this.read(this.s.rowsAt + first * ROW, n * ROW);
    const nameAt = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) nameAt[i + 1] = nameAt[i]! + rows.readUInt32LE(i * ROW);
    const from = this.s.blockNameAt[b]!;
    const names = this.read(this.s.namesAt + from, this.s.blockNameAt[b + 1]! - from);
    const block = { rows, names, nameAt };
    this.blocksRead++;
    this.kept.set(b, block);
    if (this.kept.size > BLOCKS_KEPT) this.kept.delete(this.kept.keys().next().value!);
    return block;
  }

  /** The key number (in file order) of `pos` in `db`. */
  private global(db: number, pos: number): number {
    const r = this.s.ranges.get(db);
    if (!r || pos < 0 || pos >= r[1] - r[0]) throw new RangeError(`no key at position ${pos} of database ${db}`);
    return r[0] + pos;
  }

  private nameOf(k: number): Buffer {
    const bl = this.block(Math.floor(k / BLOCK));
    const i = k % BLOCK;
    return bl.names.subarray(bl.nameAt[i]!, bl.nameAt[i + 1]!);
  }

  private rowOf(k: number): { rows: Buffer; at: number } {
    return { rows: this.block(Math.floor(k / BLOCK)).rows, at: (k % BLOCK) * ROW };
  }

  /** (db, name) against block `b`'s first key. */
  private compareFirst(db: number, name: Buffer, b: number): number {
    const d = this.s.blockDb[b]!;
    if (db !== d) return db - d;
    return name.compare(this.firstNames, this.firstAt[b]!, this.firstAt[b + 1]!);
  }

  find(db: number, name: Buffer): number {
    const r = this.s.ranges.get(db);
    if (!r) return -1;
    // The last block whose first key is at or before (db, name): the only one that can hold it.
    let lo = Math.floor(r[0] / BLOCK);
    let hi = Math.floor((r[1] - 1) / BLOCK);
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.compareFirst(db, name, mid) >= 0) lo = mid;
      else hi = mid - 1;
    }
    let a = Math.max(r[0], lo * BLOCK);
    let z = Math.min(r[1], lo * BLOCK + BLOCK) - 1;
    while (a <= z) {
      const mid = (a + z) >>> 1;
      const cmp = name.compare(this.nameOf(mid));
      if (cmp === 0) return mid - r[0];
      if (cmp < 0) z = mid - 1;
      else a = mid + 1;
    }
    return -1;
  }

  firstDuplicate(): Buffer | undefined {
    for (const db of this.databases())
      for (let pos = 1; pos < this.size(db); pos++) if (this.nameAt(db, pos - 1).equals(this.nameAt(db, pos))) return this.nameAt(db, pos);
    return undefined;
  }

  nameAt(db: number, pos: number): Buffer {
    return this.nameOf(this.global(db, pos));
  }

  typeAt(db: number, pos: number): number {
    const { rows, at } = this.rowOf(this.global(db, pos));
    return rows.readUInt8(at + 8);
  }

  expireAtMs(db: number, pos: number): number | null {
    const { rows, at } = this.rowOf(this.global(db, pos));
    const e = rows.readDoubleLE(at + 25);
    return Number.isNaN(e) ? null : e;
  }

  entry(db: number, pos: number): IndexedKey {
    const k = this.global(db, pos);
    const { rows, at } = this.rowOf(k);
    const e = rows.readDoubleLE(at + 25);
    return {
      db,
      name: this.nameOf(k),
      type: rows.readUInt8(at + 8),
      valueAt: rows.readDoubleLE(at + 9),
      valueEnd: rows.readDoubleLE(at + 17),
      expireAtMs: Number.isNaN(e) ? null : e,
    };
  }
}
