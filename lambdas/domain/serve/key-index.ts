/**
 * The key → (database, file offset) index of one RDB file: what `serve` and
 * `history` answer from without holding values. Built in one pass over the
 * file (the parser tells where each key's value lies), then every value is
 * read at its offset when asked for. Compact: the names in one buffer and
 * per key a 24-byte row (key-rows.ts: the index file's own row, so its
 * blocks are copies of runs of rows), in file order grouped by database (a
 * stable counting sort by database when a file's databases do not come
 * ascending: no sort by name), so a SCAN cursor is a position; a lookup goes
 * through a hash table of the names (domain/serve/key-hash.ts), built when
 * first asked for.
 */
import { keyExpired } from '../keys/expiry.js';
import { SLOT_COUNT, slotOfBytes } from '../keys/hash-slot.js';
import { TYPE_NAMES, TYPE_SLOT } from '../rdb/format/opcodes.js';
import type { HashTemplates } from '../rdb/format/hash-template.js';
import { type KeyPlaces, RdbKeyReader, type RdbKeyReaderOptions } from '../rdb/keys.js';
import { KeyHashTable } from './key-hash.js';
import { KeyRows, R_EXPIRY, R_TYPE, ROW, valueAtOf, valueLengthOf } from './key-rows.js';

/** Where one key's value lies in the file, as the parser reported it. */
export interface IndexedKey {
  readonly db: number;
  readonly name: Buffer;
  /** RDB value type byte (0 string, 14 quicklist …). */
  readonly type: number;
  /** File offsets of the value's first byte and of the byte after it (the DUMP payload's object bytes). */
  readonly valueAt: number;
  readonly valueEnd: number;
  /** Absolute expiry (Unix ms); null without one. */
  readonly expireAtMs: number | null;
}

/** The Redis type name of an RDB value type (`TYPE`'s answer). */
export function typeNameOf(rdbType: number): string {
  const slot = TYPE_SLOT[rdbType] ?? -1;
  return slot < 0 ? 'none' : TYPE_NAMES[slot]!;
}

/**
 * The verifier's key reader as an index pass uses it: each key's place
 * (offsets from `base` on) handed to `keys`, no value held (values over
 * 512 MiB are refused when read, not here). From byte 0, a checkpoint
 * (`resumeFrom`) or a segment's start (`segment`). With `parser`, the
 * reader is the verification's own parse (that parser's checks, exactly as
 * without the reader): the index then takes no second pass over the bytes.
 */
export function indexingKeyReader(
  keys: KeyPlaces,
  base: number,
  options: Pick<RdbKeyReaderOptions, 'resumeFrom' | 'segment' | 'keyDigestSpill' | 'parser'> = {},
): RdbKeyReader {
  return new RdbKeyReader({
    ...options,
    maxKeyBytes: Number.MAX_SAFE_INTEGER,
    wantName: () => false,
    place:
      base === 0
        ? (db, type, name, nameFrom, nameTo, valueAt, valueEnd, expireAt) => keys.place(db, type, name, nameFrom, nameTo, valueAt, valueEnd, expireAt)
        : (db, type, name, nameFrom, nameTo, valueAt, valueEnd, expireAt) =>
            keys.place(db, type, name, nameFrom, nameTo, base + valueAt, base + valueEnd, expireAt),
  });
}

/**
 * Key numbers 0 … n−1 grouped by database, databases ascending, file order
 * within each (a stable counting sort): for keys whose databases do not come
 * ascending (`db`: key k's database).
 */
function databaseOrder(n: number, db: (k: number) => number): Uint32Array {
  const perDb = new Map<number, number>();
  for (let k = 0; k < n; k++) perDb.set(db(k), (perDb.get(db(k)) ?? 0) + 1);
  const order = new Uint32Array(n);
  const next = new Map<number, number>();
  let at = 0;
  for (const d of [...perDb.keys()].sort((a, b) => a - b)) {
    next.set(d, at);
    at += perDb.get(d)!;
  }
  for (let k = 0; k < n; k++) {
    const p = next.get(db(k))!;
    order[p] = k;
    next.set(db(k), p + 1);
  }
  return order;
}

/** Collects keys in file order (rows and names, key-rows.ts); {@link finish} groups them by database into a {@link KeyIndex}. */
export class KeyIndexBuilder extends KeyRows {
  /** Adds one key (file order). */
  add(key: IndexedKey): void {
    this.place(key.db, key.type, key.name, 0, key.name.length, key.valueAt, key.valueEnd, key.expireAtMs ?? Number.NaN);
  }

  /** The index, keys grouped by database in file order; `rdbVersion` is the file's (DUMP payloads carry it). */
  finish(rdbVersion: number, templates?: HashTemplates): ColumnKeyIndex {
    return new ColumnKeyIndex(
      rdbVersion,
      {
        rows: this.rows.subarray(0, this.n * ROW),
        names: this.names.subarray(0, this.namesUsed),
        storedBytes: this.stored,
        runs: this.runs.map(([db, keys]) => [db, keys] as const),
      },
      templates,
    );
  }
}

/** An index's keys (domain/serve/index-file.ts writes them). */
export interface Columns {
  /** Per key its {@link ROW}-byte row (key-rows.ts), in file order. */
  readonly rows: Buffer;
  /** The keys' names one after the other, in file order. */
  readonly names: Buffer;
  /** Key numbers in the index's order (grouped by database, ascending); absent: file order is that order. */
  readonly order?: Uint32Array | undefined;
  /** Bytes the keys' names and values take in the file. */
  readonly storedBytes: number;
  /** The keys' databases in file order as runs, [db, keys] (counted as they came: the rows do not hold them). */
  readonly runs: readonly (readonly [db: number, keys: number])[];
}

/**
 * One file's keys, as `serve` and `history` read them. Positions (`pos`)
 * count within a database, 0 to {@link KeyIndex.size}−1, in the order the
 * index holds them (file order; an `RDRKEYS2` file's: name order): a SCAN
 * cursor is one (the index never changes, so a cursor stays valid). Held in memory ({@link ColumnKeyIndex}) or read from
 * the index file by pages (domain/serve/paged-index.ts).
 */
export interface KeyIndex {
  readonly rdbVersion: number;
  /** Keys in the file, every database. */
  readonly keys: number;
  /** Bytes the keys' names and values take in the file (what INFO memory estimates the dataset from). */
  readonly storedBytes: number;
  /** Databases holding keys, ascending. */
  databases(): number[];
  /** Keys of `db` in the file (expired ones included). */
  size(db: number): number;
  /** Of the keys of `db` with an expiry: how many have expired by `now`, how many have not, and the sum of those ones' TTLs (ms). */
  expiries(db: number, now: number): { expired: number; live: number; ttlSumMs: number };
  /** A name held twice in one database (shards of two clusters served as one), or undefined. */
  firstDuplicate(): Buffer | undefined;
  /** Which Redis Cluster hash slots its keys fall in: a bit a slot (2,048 bytes). */
  slotMap(): Uint8Array;
  /** The position of `name` in `db`, or -1. */
  find(db: number, name: Buffer): number;
  /** The name at `pos` of `db` (a view: copy before keeping it). */
  nameAt(db: number, pos: number): Buffer;
  /** The RDB type byte of the key at `pos`. */
  typeAt(db: number, pos: number): number;
  /** The absolute expiry (Unix ms) of the key at `pos`, or null. */
  expireAtMs(db: number, pos: number): number | null;
  /** Everything the index holds of the key at `pos`. */
  entry(db: number, pos: number): IndexedKey;
  /**
   * The positions of `db` that may hold a hash with field TTLs (RDB types 22–25), as runs [from, to); undefined when
   * the index does not say (every position may: walk the types). An index file's directory says (index-file.ts fieldTtlBlocks).
   */
  fieldTtlRuns?(db: number): readonly (readonly [from: number, to: number])[] | undefined;
  /**
   * The file's Redis 8.10 hash templates (opcode 242) the index holds: a hash that references one (RDB types 30, 32) is
   * read with them. Undefined when it holds none (none defined; an index file written before it kept them; one whose
   * verification did not read their definitions itself: resumed past them, or split between two threads).
   */
  readonly templates?: HashTemplates;
}

/** A {@link KeyIndex} held whole in memory: built by a pass over the file (its rows and names, key-rows.ts). */
export class ColumnKeyIndex implements KeyIndex {
  /** Database → [first, end) in the index's order. */
  private readonly ranges = new Map<number, readonly [number, number]>();
  private readonly view: DataView;
  /** Key numbers in the index's order; undefined: file order. */
  private readonly order: Uint32Array | undefined;
  /** Per database, the positions of its keys with an expiry: found when first asked for. */
  private expiring: Map<number, number[]> | undefined;
  /** Positions by name: built when first asked for (a lookup, the twins' check). */
  private table: KeyHashTable | undefined;
  /** Where each key's name starts in `names` (file order): computed when first asked for. */
  private starts: Float64Array | undefined;
  private readonly runs: readonly (readonly [db: number, keys: number])[];
  readonly keys: number;

  constructor(
    readonly rdbVersion: number,
    private readonly c: Columns,
    readonly templates?: HashTemplates,
  ) {
    const { rows } = c;
    this.view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
    const n = rows.length / ROW;
    this.keys = n;
    // Each database's keys counted in file order (as the builder counted them), then laid out ascending.
    const runs = c.runs;
    const counts = new Map<number, number>();
    let ascending = true;
    for (let r = 0; r < runs.length; r++) {
      const [d, keys] = runs[r]!;
      if (r > 0 && d < runs[r - 1]![0]) ascending = false;
      counts.set(d, (counts.get(d) ?? 0) + keys);
    }
    let at = 0;
    for (const d of [...counts.keys()].sort((a, b) => a - b)) {
      this.ranges.set(d, [at, at + counts.get(d)!]);
      at += counts.get(d)!;
    }
    if (at !== n) throw new Error(`the index's database runs count ${at} keys, its rows ${n}`);
    this.runs = runs;
    if (c.order) this.order = c.order;
    else if (ascending) this.order = undefined;
    else {
      const dbs = this.dbsOfKeys();
      this.order = databaseOrder(n, (k) => dbs[k]!);
    }
  }

  /** Each key's database (file order), from the runs. */
  private dbsOfKeys(): Uint32Array {
    const dbs = new Uint32Array(this.keys);
    let k = 0;
    for (const [d, keys] of this.runs) {
      dbs.fill(d, k, k + keys);
      k += keys;
    }
    return dbs;
  }

  /** The name length of key `k`. */
  private nameLength(k: number): number {
    return this.view.getUint32(k * ROW, true);
  }

  /** Per database holding keys, ascending: [db, its first position in the index's order, its end]. */
  databaseRanges(): [db: number, from: number, to: number][] {
    return [...this.ranges].map(([d, [from, to]]) => [d, from, to]);
  }

  /** Where each key's name starts in the names (file order). */
  nameStarts(): Float64Array {
    if (!this.starts) {
      const n = this.keys;
      const starts = new Float64Array(n + 1);
      for (let k = 0; k < n; k++) starts[k + 1] = starts[k]! + this.nameLength(k);
      this.starts = starts;
    }
    return this.starts;
  }

  /** The positions of `db`'s keys with an expiry. */
  private expiringIn(db: number): number[] {
    if (!this.expiring) {
      this.expiring = new Map();
      for (const [d, [from, to]] of this.ranges) {
        const expiring: number[] = [];
        for (let i = from; i < to; i++) if (!Number.isNaN(this.view.getFloat64(this.keyAt(i) * ROW + R_EXPIRY, true))) expiring.push(i - from);
        this.expiring.set(d, expiring);
      }
    }
    return this.expiring.get(db) ?? [];
  }

  /** The key number at `i` of the index's order. */
  private keyAt(i: number): number {
    return this.order ? this.order[i]! : i;
  }

  /** The rows and names, for the index file (domain/serve/index-file.ts). */
  columns(): Columns {
    return { ...this.c, order: this.order, runs: this.runs };
  }

  /** Bytes the keys' names and values take in the file (what INFO memory estimates the dataset from). */
  get storedBytes(): number {
    return this.c.storedBytes;
  }

  /** Databases holding keys, ascending. */
  databases(): number[] {
    return [...this.ranges.keys()].sort((a, b) => a - b);
  }

  /** Keys of `db` in the file (expired ones included). */
  size(db: number): number {
    const r = this.ranges.get(db);
    return r ? r[1] - r[0] : 0;
  }

  /** Of the keys of `db` with an expiry: how many have expired by `now`, how many have not, and the sum of those ones' TTLs (ms). */
  expiries(db: number, now: number): { expired: number; live: number; ttlSumMs: number } {
    const out = { expired: 0, live: 0, ttlSumMs: 0 };
    for (const pos of this.expiringIn(db)) {
      const at = this.expireAtMs(db, pos)!;
      if (keyExpired(at, now)) out.expired++;
      else {
        out.live++;
        out.ttlSumMs += at - now;
      }
    }
    return out;
  }

  /** The hash table of the names (built once, with the per-key columns it reads). */
  private hashed(): KeyHashTable {
    this.table ??= this.tableOver(this.order ?? Uint32Array.from({ length: this.keys }, (_, k) => k));
    return this.table;
  }

  /** A hash table of the names of the keys `order` lists (key numbers, in the order of their positions). */
  private tableOver(order: Uint32Array): KeyHashTable {
    const lens = new Uint32Array(this.keys);
    for (let k = 0; k < this.keys; k++) lens[k] = this.nameLength(k);
    return new KeyHashTable(order, this.c.names, this.nameStarts(), lens, this.dbsOfKeys());
  }

  /** A name held twice in one database (shards of two clusters served as one), or undefined: found as the hash table is built. */
  firstDuplicate(): Buffer | undefined {
    const p = this.hashed().firstTwin;
    if (p < 0) return undefined;
    return this.nameOf(this.keyAt(p));
  }

  /**
   * A name held twice in one database among the keys a primary loading the file keeps, or undefined: a key whose
   * expiry had passed at `fileTimeMs` (the file's `ctime`; -1 for none: every key kept) is dropped on load (rdbLoad),
   * so it is no duplicate there, as the verifier's own check holds it (parse-opcodes.ts finishKey). Exact.
   */
  firstDuplicateKept(fileTimeMs: number): Buffer | undefined {
    const n = this.keys;
    const kept = new Uint32Array(n);
    let m = 0;
    for (let p = 0; p < n; p++) {
      const k = this.keyAt(p);
      // NaN (no expiry) is never below: kept.
      if (fileTimeMs < 0 || !(this.view.getFloat64(k * ROW + R_EXPIRY, true) < fileTimeMs)) kept[m++] = k;
    }
    if (m === n) return this.firstDuplicate();
    const twin = this.tableOver(kept.subarray(0, m)).firstTwin;
    return twin < 0 ? undefined : this.nameOf(kept[twin]!);
  }

  private slots: Uint8Array | undefined;

  /** Which Redis Cluster hash slots its keys fall in: a bit a slot (2,048 bytes). */
  slotMap(): Uint8Array {
    if (!this.slots) {
      // In file order: along the names buffer.
      const map = new Uint8Array(SLOT_COUNT / 8);
      const { names } = this.c;
      let at = 0;
      for (let k = 0; k < this.keys; k++) {
        const end = at + this.nameLength(k);
        const slot = slotOfBytes(names, at, end);
        map[slot >> 3]! |= 1 << (slot & 7);
        at = end;
      }
      this.slots = map;
    }
    return this.slots;
  }

  /** The position of `name` in `db`, or -1. */
  find(db: number, name: Buffer): number {
    const r = this.ranges.get(db);
    if (!r) return -1;
    const p = this.hashed().find(db, name);
    return p < 0 ? -1 : p - r[0];
  }

  private key(db: number, pos: number): number {
    const r = this.ranges.get(db);
    if (!r || pos < 0 || pos >= r[1] - r[0]) throw new RangeError(`no key at position ${pos} of database ${db}`);
    return this.keyAt(r[0] + pos);
  }

  /** Key `k`'s name (a view). */
  private nameOf(k: number): Buffer {
    const at = this.nameStarts()[k]!;
    return this.c.names.subarray(at, at + this.nameLength(k));
  }

  /** The name at `pos` of `db` (a view of the index's bytes: copy before keeping it past the index). */
  nameAt(db: number, pos: number): Buffer {
    return this.nameOf(this.key(db, pos));
  }

  /** The RDB type byte of the key at `pos`. */
  typeAt(db: number, pos: number): number {
    return this.c.rows[this.key(db, pos) * ROW + R_TYPE]!;
  }

  /** The absolute expiry (Unix ms) of the key at `pos`, or null. */
  expireAtMs(db: number, pos: number): number | null {
    const e = this.view.getFloat64(this.key(db, pos) * ROW + R_EXPIRY, true);
    return Number.isNaN(e) ? null : e;
  }

  /** Everything the index holds of the key at `pos`. */
  entry(db: number, pos: number): IndexedKey {
    const k = this.key(db, pos);
    const p = k * ROW;
    return {
      db,
      name: this.nameOf(k),
      type: this.c.rows[p + R_TYPE]!,
      valueAt: valueAtOf(this.view, p),
      valueEnd: valueAtOf(this.view, p) + valueLengthOf(this.view, p),
      expireAtMs: this.expireAtMs(db, pos),
    };
  }
}
