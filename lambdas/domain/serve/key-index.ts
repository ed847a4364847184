/**
 * The key → (database, file offset) index of one RDB file: what `serve` and
 * `history` answer from without holding values. Built in one pass over the
 * file (the parser tells where each key's value lies), then every value is
 * read at its offset when asked for. Compact: the names in one buffer and
 * per key five numbers in typed arrays (about 30 bytes a key beside its
 * name), in file order grouped by database (a stable counting sort by
 * database: no sort by name), so a SCAN cursor is a position; a lookup goes
 * through a hash table of the names (domain/serve/key-hash.ts), built when
 * first asked for.
 */
import { SLOT_COUNT, slotOfBytes } from '../keys/hash-slot.js';
import { TYPE_NAMES, TYPE_SLOT } from '../rdb/format/opcodes.js';
import { copyBytes, type KeyPlaces, RdbKeyReader, type RdbKeyReaderOptions } from '../rdb/keys.js';
import { KeyHashTable } from './key-hash.js';

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

/** The hash slots of the names at `names[nameAt[k], nameAt[k] + nameLen[k])`, k from 0 to n − 1: a bit a slot. */
export function slotMapOf(n: number, names: Uint8Array, nameAt: Float64Array, nameLen: Uint32Array): Uint8Array {
  const map = new Uint8Array(SLOT_COUNT / 8);
  for (let k = 0; k < n; k++) {
    const slot = slotOfBytes(names, nameAt[k]!, nameAt[k]! + nameLen[k]!);
    map[slot >> 3]! |= 1 << (slot & 7);
  }
  return map;
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
 * Numbers a key takes in {@link Columns.values}: its value's start and end
 * offsets, its expiry (NaN: none) and its RDB type byte, side by side (32
 * bytes, one cache line for two keys): what the index file's rows hold
 * beside the name, read with one memory access a key.
 */
export const VALUE_FIELDS = 4;

/** A typed array of `size` elements, `a`'s first `used` kept. */
function resized<T extends Float64Array | Uint8Array | Uint32Array>(a: T, size: number, used: number, make: (n: number) => T): T {
  const b = make(size);
  b.set(a.subarray(0, used));
  return b;
}

/**
 * Key numbers 0 … n−1 grouped by database, databases ascending, file order
 * within each (a stable counting sort; the identity for a file of one
 * database, or whose databases come ascending as a server writes them).
 */
export function databaseOrder(n: number, db: Uint32Array): Uint32Array {
  const order = new Uint32Array(n);
  const perDb = new Map<number, number>();
  let ascending = true;
  for (let k = 0; k < n; k++) {
    const d = db[k]!;
    if (k > 0 && d < db[k - 1]!) ascending = false;
    perDb.set(d, (perDb.get(d) ?? 0) + 1);
  }
  if (ascending) {
    for (let k = 0; k < n; k++) order[k] = k;
    return order;
  }
  const next = new Map<number, number>();
  let at = 0;
  for (const d of [...perDb.keys()].sort((a, b) => a - b)) {
    next.set(d, at);
    at += perDb.get(d)!;
  }
  for (let k = 0; k < n; k++) {
    const p = next.get(db[k]!)!;
    order[p] = k;
    next.set(db[k]!, p + 1);
  }
  return order;
}

/** Collects keys in file order; {@link finish} groups them by database into a {@link KeyIndex}. */
export class KeyIndexBuilder implements KeyPlaces {
  private names = Buffer.allocUnsafe(1 << 16);
  private namesUsed = 0;
  /** Keys the columns have room for. */
  private room = 1024;
  private nameAt = new Float64Array(this.room);
  private nameLen = new Uint32Array(this.room);
  private db = new Uint32Array(this.room);
  /** Per key {@link VALUE_FIELDS} numbers: value start, value end, expiry (NaN: none), type. */
  private values = new Float64Array(this.room * VALUE_FIELDS);
  private n = 0;
  /** Bytes the keys' names and values take in the file. */
  private stored = 0;

  /** Adds one key (file order). */
  add(key: IndexedKey): void {
    this.place(key.db, key.type, key.name, 0, key.name.length, key.valueAt, key.valueEnd, key.expireAtMs ?? Number.NaN);
  }

  /** Adds one key (file order), its name copied from the view. */
  place(db: number, type: number, name: Uint8Array, nameFrom: number, nameTo: number, valueAt: number, valueEnd: number, expireAt: number): void {
    const len = nameTo - nameFrom;
    if (this.namesUsed + len > this.names.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.namesUsed + len, this.names.length * 2));
      this.names.copy(bigger, 0, 0, this.namesUsed);
      this.names = bigger;
    }
    if (this.n === this.room) this.grow();
    const i = this.n++;
    copyBytes(name, nameFrom, nameTo, this.names, this.namesUsed);
    this.nameAt[i] = this.namesUsed;
    this.nameLen[i] = len;
    this.namesUsed += len;
    this.db[i] = db;
    const v = i * VALUE_FIELDS;
    this.values[v] = valueAt;
    this.values[v + 1] = valueEnd;
    this.values[v + 2] = expireAt;
    this.values[v + 3] = type;
    this.stored += valueEnd - valueAt + len;
  }

  /** Room for twice the keys (the columns doubled together). */
  private grow(): void {
    const room = this.room * 2;
    const n = this.n;
    this.nameAt = resized(this.nameAt, room, n, (m) => new Float64Array(m));
    this.nameLen = resized(this.nameLen, room, n, (m) => new Uint32Array(m));
    this.db = resized(this.db, room, n, (m) => new Uint32Array(m));
    this.values = resized(this.values, room * VALUE_FIELDS, n * VALUE_FIELDS, (m) => new Float64Array(m));
    this.room = room;
  }

  /** Adds every key of `later` after this builder's (its keys come later in the file: the order stays file order). */
  append(later: KeyIndexBuilder): void {
    for (let k = 0; k < later.n; k++) {
      const from = later.nameAt[k]!;
      const v = k * VALUE_FIELDS;
      this.place(later.db[k]!, later.values[v + 3]!, later.names, from, from + later.nameLen[k]!, later.values[v]!, later.values[v + 1]!, later.values[v + 2]!);
    }
  }

  /** Drops the last keys added whose values end past `offset` (keys come in file order: those are the last ones). */
  dropPast(offset: number): void {
    while (this.n > 0 && this.values[(this.n - 1) * VALUE_FIELDS + 1]! > offset) {
      const k = --this.n;
      this.namesUsed -= this.nameLen[k]!;
      this.stored -= this.values[k * VALUE_FIELDS + 1]! - this.values[k * VALUE_FIELDS]! + this.nameLen[k]!;
    }
  }

  /** The index, keys grouped by database in file order; `rdbVersion` is the file's (DUMP payloads carry it). */
  finish(rdbVersion: number): ColumnKeyIndex {
    const order = databaseOrder(this.n, this.db);
    return new ColumnKeyIndex(rdbVersion, {
      names: this.names.subarray(0, this.namesUsed),
      order,
      nameAt: this.nameAt,
      nameLen: this.nameLen,
      db: this.db,
      values: this.values,
      storedBytes: this.stored,
    });
  }
}

/** An index's columns (domain/serve/index-file.ts writes and reads them). */
export interface Columns {
  readonly names: Buffer;
  /** Key numbers grouped by database (ascending), in file order within each. */
  readonly order: Uint32Array;
  readonly nameAt: Float64Array;
  readonly nameLen: Uint32Array;
  readonly db: Uint32Array;
  /** Per key {@link VALUE_FIELDS} numbers: value start, value end, expiry (NaN: none), RDB type byte. */
  readonly values: Float64Array;
  /** Bytes the keys' names and values take in the file. */
  readonly storedBytes: number;
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
}

/** A {@link KeyIndex} held whole in memory: built by a pass over the file, or decoded from an index file read whole. */
export class ColumnKeyIndex implements KeyIndex {
  /** Database → [first, end) in `order`. */
  private readonly ranges = new Map<number, readonly [number, number]>();
  /** Per database, the positions of its keys with an expiry: found when first asked for. */
  private expiring: Map<number, number[]> | undefined;
  /** Positions by name: built when first asked for (a lookup, the twins' check). */
  private table: KeyHashTable | undefined;

  constructor(
    readonly rdbVersion: number,
    private readonly c: Columns,
  ) {
    // Each database's keys counted in file order (the columns read along, not across), then laid out ascending as `order` has them.
    const { db } = c;
    const n = c.order.length;
    const counts = new Map<number, number>();
    for (let k = 0; k < n; ) {
      const d = db[k]!;
      let j = k + 1;
      while (j < n && db[j] === d) j++;
      counts.set(d, (counts.get(d) ?? 0) + j - k);
      k = j;
    }
    let at = 0;
    for (const d of [...counts.keys()].sort((a, b) => a - b)) {
      this.ranges.set(d, [at, at + counts.get(d)!]);
      at += counts.get(d)!;
    }
  }

  /** Per database holding keys, ascending: [db, its first position in `order`, its end]. */
  databaseRanges(): [db: number, from: number, to: number][] {
    return [...this.ranges].map(([d, [from, to]]) => [d, from, to]);
  }

  /** The positions of `db`'s keys with an expiry. */
  private expiringIn(db: number): number[] {
    if (!this.expiring) {
      this.expiring = new Map();
      const { order, values } = this.c;
      for (const [d, [from, to]] of this.ranges) {
        const expiring: number[] = [];
        for (let i = from; i < to; i++) if (!Number.isNaN(values[order[i]! * VALUE_FIELDS + 2]!)) expiring.push(i - from);
        this.expiring.set(d, expiring);
      }
    }
    return this.expiring.get(db) ?? [];
  }

  /** The columns, for the index file (domain/serve/index-file.ts). */
  columns(): Columns {
    return this.c;
  }

  /** Bytes the keys' names and values take in the file (what INFO memory estimates the dataset from). */
  get storedBytes(): number {
    return this.c.storedBytes;
  }

  /** Keys in the file, every database. */
  get keys(): number {
    return this.c.order.length;
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
      if (at <= now) out.expired++;
      else {
        out.live++;
        out.ttlSumMs += at - now;
      }
    }
    return out;
  }

  /** The hash table of the names (built once). */
  private hashed(): KeyHashTable {
    this.table ??= new KeyHashTable(this.c.order, this.c.names, this.c.nameAt, this.c.nameLen, this.c.db);
    return this.table;
  }

  /** A name held twice in one database (shards of two clusters served as one), or undefined: found as the hash table is built. */
  firstDuplicate(): Buffer | undefined {
    const p = this.hashed().firstTwin;
    if (p < 0) return undefined;
    const k = this.c.order[p]!;
    return this.c.names.subarray(this.c.nameAt[k]!, this.c.nameAt[k]! + this.c.nameLen[k]!);
  }

  private slots: Uint8Array | undefined;

  /** Which Redis Cluster hash slots its keys fall in: a bit a slot (2,048 bytes). */
  slotMap(): Uint8Array {
    if (!this.slots) {
      // In file order: along the names buffer.
      const { order, names, nameAt, nameLen } = this.c;
      this.slots = slotMapOf(order.length, names, nameAt, nameLen);
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
    return this.c.order[r[0] + pos]!;
  }

  /** The name at `pos` of `db` (a view of the index's bytes: copy before keeping it past the index). */
  nameAt(db: number, pos: number): Buffer {
    const k = this.key(db, pos);
    return this.c.names.subarray(this.c.nameAt[k]!, this.c.nameAt[k]! + this.c.nameLen[k]!);
  }

  /** The RDB type byte of the key at `pos`. */
  typeAt(db: number, pos: number): number {
    return this.c.values[this.key(db, pos) * VALUE_FIELDS + 3]!;
  }

  /** The absolute expiry (Unix ms) of the key at `pos`, or null. */
  expireAtMs(db: number, pos: number): number | null {
    const e = this.c.values[this.key(db, pos) * VALUE_FIELDS + 2]!;
    return Number.isNaN(e) ? null : e;
  }

  /** Everything the index holds of the key at `pos`. */
  entry(db: number, pos: number): IndexedKey {
    const k = this.key(db, pos);
    return {
      db,
      name: this.nameAt(db, pos),
      type: this.c.values[k * VALUE_FIELDS + 3]!,
      valueAt: this.c.values[k * VALUE_FIELDS]!,
      valueEnd: this.c.values[k * VALUE_FIELDS + 1]!,
      expireAtMs: this.expireAtMs(db, pos),
    };
  }
}
