/**
 * An index file (`<copy>.keys`, domain/serve/index-file.ts) checked as it
 * streams past, without holding it: its SHA-256, its header against the
 * copy, every row's value range, and what a paged reader needs kept (per
 * block of {@link BLOCK} keys the offset of its names, its first key's
 * database and name length; per database its key range and the positions
 * of its keys with an expiry). What `serve` opens a local index with, so its
 * memory does not grow with the index (domain/serve/paged-index.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { type Header, type IndexedCopy, MAGIC, ROW } from './index-file.js';

const NOT_AN_INDEX = 'not a redis-dr key index';

/** Keys a block of the paged reader holds: one positioned read of rows, one of names. */
export const BLOCK = 64;

/** What {@link IndexScan.finish} keeps of a good index file. */
export interface ScannedIndex {
  readonly header: Header;
  /** File offsets of the names and of the rows. */
  readonly namesAt: number;
  readonly rowsAt: number;
  /** Per block: where its names start within the names (one more entry: their end), its first key's database and name length. */
  readonly blockNameAt: Float64Array;
  readonly blockDb: Uint32Array;
  readonly blockFirstLen: Uint32Array;
  /** Per database: [first, end) in key order, and the positions (within it) of keys with an expiry. */
  readonly ranges: ReadonlyMap<number, readonly [number, number]>;
  readonly expiring: ReadonlyMap<number, Uint32Array>;
  readonly storedBytes: number;
}

/** Feeds an index file's bytes in order (`push`), then `finish`: the scan, or why it cannot be used. */
export class IndexScan {
  private readonly hash: Hash = createHash('sha256');
  private at = 0;
  private head: Buffer[] = [];
  private headBytes = 0;
  private header: Header | undefined;
  private namesAt = 0;
  private rowsAt = 0;
  private carry = Buffer.alloc(0);
  private row = 0;
  private nameAt = 0;
  private stored = 0;
  private blockNameAt = new Float64Array(0);
  private blockDb = new Uint32Array(0);
  private blockFirstLen = new Uint32Array(0);
  private readonly ranges = new Map<number, [number, number]>();
  private readonly expiring = new Map<number, number[]>();
  private lastDb = -1;
  private tail = Buffer.alloc(0);
  /** A fault that stops the scan (not an index, another copy's). */
  private problem: string | undefined;
  /** A row's fault: reported after the SHA-256, so damage is named as damage (as the whole decode does). */
  private rowProblem: string | undefined;

  constructor(
    private readonly fileBytes: number,
    private readonly copy: IndexedCopy,
  ) {
    if (fileBytes < MAGIC.length + 4 + 32) this.problem = NOT_AN_INDEX;
  }

  push(chunk: Uint8Array): void {
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const bodyEnd = this.fileBytes - 32;
    const body = b.subarray(0, Math.max(0, Math.min(b.length, bodyEnd - this.at)));
    if (body.length < b.length) this.tail = Buffer.concat([this.tail, b.subarray(body.length)]);
    // Hashed to the end whatever is found: damage is named as damage first, as the whole decode names it.
    this.hash.update(body);
    const start = this.at;
    this.at += b.length;
    if (this.problem) return;
    if (!this.header) this.readHeader(body);
    else this.readRows(body, start);
  }

  private readHeader(body: Buffer): void {
    this.head.push(body);
    this.headBytes += body.length;
    const all = Buffer.concat(this.head);
    if (all.length < MAGIC.length + 4) return;
    if (all.toString('latin1', 0, MAGIC.length) !== MAGIC) {
      this.problem = NOT_AN_INDEX;
      return;
    }
    const jsonLen = all.readUInt32LE(MAGIC.length);
    if (all.length < MAGIC.length + 4 + jsonLen) return;
    try {
      this.header = JSON.parse(all.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + jsonLen)) as Header;
    } catch {
      this.problem = 'its header is not JSON';
      return;
    }
    const h = this.header;
    if (h.bytes !== this.copy.bytes || h.trailer !== this.copy.trailer) {
      this.problem = `it indexes another copy (${h.bytes} bytes, CRC-64 ${h.trailer}; the copy: ${this.copy.bytes} bytes, CRC-64 ${this.copy.trailer})`;
      return;
    }
    this.namesAt = MAGIC.length + 4 + jsonLen;
    this.rowsAt = this.namesAt + h.namesBytes;
    if (this.rowsAt + h.keys * ROW + 32 !== this.fileBytes) {
      this.problem = `its length does not fit ${h.keys} keys`;
      return;
    }
    const blocks = Math.ceil(h.keys / BLOCK);
    this.blockNameAt = new Float64Array(blocks + 1);
    this.blockDb = new Uint32Array(blocks);
    this.blockFirstLen = new Uint32Array(blocks);
    this.head = [];
    this.readRows(all, 0);
  }

  /** The rows among `body`'s bytes (which start at file offset `start`). */
  private readRows(body: Buffer, start: number): void {
    const from = Math.max(0, this.rowsAt - start);
    if (from >= body.length) return;
    let b = body.subarray(from);
    if (this.carry.length > 0) {
      b = Buffer.concat([this.carry, b]);
      this.carry = Buffer.alloc(0);
    }
    let p = 0;
    for (; p + ROW <= b.length; p += ROW) this.oneRow(b, p);
    if (p < b.length) this.carry = Buffer.from(b.subarray(p));
  }

  private oneRow(b: Buffer, p: number): void {
    const i = this.row++;
    const nameLen = b.readUInt32LE(p);
    const db = b.readUInt32LE(p + 4);
    const valueAt = b.readDoubleLE(p + 9);
    const valueEnd = b.readDoubleLE(p + 17);
    const expireAt = b.readDoubleLE(p + 25);
    if (this.rowProblem !== undefined || i >= this.header!.keys) {
      this.rowProblem ??= 'its length does not fit its keys';
      return;
    }
    if (!(valueAt <= valueEnd && valueEnd <= this.copy.bytes)) this.rowProblem = `key ${i} lies outside the copy`;
    if (db < this.lastDb) this.rowProblem = `key ${i} is out of (database, name) order`;
    if (this.rowProblem !== undefined) return;
    if (i % BLOCK === 0) {
      this.blockNameAt[i / BLOCK] = this.nameAt;
      this.blockDb[i / BLOCK] = db;
      this.blockFirstLen[i / BLOCK] = nameLen;
    }
    if (db !== this.lastDb) {
      this.ranges.set(db, [i, i]);
      this.expiring.set(db, []);
      this.lastDb = db;
    }
    const r = this.ranges.get(db)!;
    r[1] = i + 1;
    if (!Number.isNaN(expireAt)) this.expiring.get(db)!.push(i - r[0]);
    this.nameAt += nameLen;
    this.stored += valueEnd - valueAt + nameLen;
  }

  /** The scan, or the reason the index cannot be used (the caller reads the copy whole). */
  finish(): ScannedIndex | { readonly problem: string } {
    if (this.problem === NOT_AN_INDEX) return { problem: this.problem };
    if (this.at !== this.fileBytes || !this.hash.digest().equals(this.tail)) return { problem: 'its SHA-256 does not match its bytes (damaged)' };
    if (this.problem) return { problem: this.problem };
    const h = this.header;
    if (!h) return { problem: 'it ends before its header' };
    if (this.rowProblem !== undefined) return { problem: this.rowProblem };
    if (this.row !== h.keys || this.nameAt !== h.namesBytes) return { problem: 'its name lengths do not add up to its names' };
    this.blockNameAt[this.blockNameAt.length - 1] = this.nameAt;
    return {
      header: h,
      namesAt: this.namesAt,
      rowsAt: this.rowsAt,
      blockNameAt: this.blockNameAt,
      blockDb: this.blockDb,
      blockFirstLen: this.blockFirstLen,
      ranges: this.ranges,
      expiring: new Map([...this.expiring].map(([db, list]) => [db, Uint32Array.from(list)])),
      storedBytes: this.stored,
    };
  }
}
