/**
 * The key → (database, file offset) index of one RDB file: what `serve` and
 * `history` answer from without holding values. Built in one pass over the
 * file (the parser tells where each key's value lies), then every value is
 * read at its offset when asked for. Compact: the names in one buffer and
 * per key five numbers in typed arrays (about 30 bytes a key beside its
 * name), sorted by database and name so a lookup is a binary search and a
 * SCAN cursor is a position.
 */
import { keySlot, SLOT_COUNT } from '../keys/hash-slot.js';
import { TYPE_NAMES, TYPE_SLOT } from '../rdb/format/opcodes.js';
import { copyBytes, type KeyPlaces, RdbKeyReader, type RdbKeyReaderOptions } from '../rdb/keys.js';
import { nameOrder } from './name-order.js';

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

/** The hash slots of the names `each` hands over, a bit a slot. */
export function slotMapOf(each: (add: (name: Buffer) => void) => void): Uint8Array {
  const map = new Uint8Array(SLOT_COUNT / 8);
  each((name) => {
    const slot = keySlot(name);
    map[slot >> 3]! |= 1 << (slot & 7);
  });
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

/** A typed array of `size` elements, `a`'s first `used` kept. */
function resized<T extends Float64Array | Uint8Array | Uint32Array>(a: T, size: number, used: number, make: (n: number) => T): T {
  const b = make(size);
  b.set(a.subarray(0, used));
  return b;
}

/** Collects keys in file order; {@link finish} sorts them into a {@link KeyIndex}. */
export class KeyIndexBuilder implements KeyPlaces {
  private names = Buffer.allocUnsafe(1 << 16);
  private namesUsed = 0;
  /** Keys the columns have room for. */
  private room = 1024;
  private nameAt = new Float64Array(this.room);
  private nameLen = new Uint32Array(this.room);
  private db = new Uint32Array(this.room);
  private type = new Uint8Array(this.room);
  private valueAt = new Float64Array(this.room);
  private valueEnd = new Float64Array(this.room);
  /** NaN: no expiry. */
  private expireAt = new Float64Array(this.room);
  private n = 0;

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
    this.type[i] = type;
    this.valueAt[i] = valueAt;
    this.valueEnd[i] = valueEnd;
    this.expireAt[i] = expireAt;
  }

  /** Room for twice the keys (the columns doubled together). */
  private grow(): void {
    const room = this.room * 2;
    const n = this.n;
    this.nameAt = resized(this.nameAt, room, n, (m) => new Float64Array(m));
    this.nameLen = resized(this.nameLen, room, n, (m) => new Uint32Array(m));
    this.db = resized(this.db, room, n, (m) => new Uint32Array(m));
    this.type = resized(this.type, room, n, (m) => new Uint8Array(m));
    this.valueAt = resized(this.valueAt, room, n, (m) => new Float64Array(m));
    this.valueEnd = resized(this.valueEnd, room, n, (m) => new Float64Array(m));
    this.expireAt = resized(this.expireAt, room, n, (m) => new Float64Array(m));
    this.room = room;
  }

  /** Drops the last keys added whose values end past `offset` (keys come in file order: those are the last ones). */
  dropPast(offset: number): void {
    while (this.n > 0 && this.valueEnd[this.n - 1]! > offset) this.namesUsed -= this.nameLen[--this.n]!;
  }

  /** The index, keys sorted by (database, name bytes); `rdbVersion` is the file's (DUMP payloads carry it). */
  finish(rdbVersion: number): ColumnKeyIndex {
    const order = nameOrder(this.n, this.names, this.nameAt, this.nameLen, this.db);
    return new ColumnKeyIndex(rdbVersion, {
      names: this.names.subarray(0, this.namesUsed),
      order,
      nameAt: this.nameAt,
      nameLen: this.nameLen,
      db: this.db,
      type: this.type,
      valueAt: this.valueAt,
      valueEnd: this.valueEnd,
      expireAt: this.expireAt,
    });
  }
}

/** An index's columns (domain/serve/index-file.ts writes and reads them). */
export interface Columns {
  readonly names: Buffer;
  /** Key numbers in (db, name) order. */
  readonly order: Uint32Array;
  readonly nameAt: Float64Array;
  readonly nameLen: Uint32Array;
  readonly db: Uint32Array;
  readonly type: Uint8Array;
  readonly valueAt: Float64Array;
  readonly valueEnd: Float64Array;
  readonly expireAt: Float64Array;
}

/**
 * One file's keys, as `serve` and `history` read them. Positions (`pos`)
 * count within a database, 0 to {@link KeyIndex.size}−1, in name order: a
 * SCAN cursor is one. Held in memory ({@link ColumnKeyIndex}) or read from
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
  private readonly expiring = new Map<number, number[]>();

  constructor(
    readonly rdbVersion: number,
    private readonly c: Columns,
  ) {
    const { order, db } = c;
    for (let i = 0; i < order.length; ) {
      const d = db[order[i]!]!;
      let j = i;
      const expiring: number[] = [];
      for (; j < order.length && db[order[j]!] === d; j++) if (!Number.isNaN(c.expireAt[order[j]!]!)) expiring.push(j - i);
      this.ranges.set(d, [i, j]);
      this.expiring.set(d, expiring);
      i = j;
    }
  }

  /** The columns, for the index file (domain/serve/index-file.ts). */
  columns(): Columns {
    return this.c;
  }

  private stored: number | undefined;

  /** Bytes the keys' names and values take in the file (what INFO memory estimates the dataset from). */
  get storedBytes(): number {
    if (this.stored === undefined) {
      let sum = 0;
      for (let k = 0; k < this.c.order.length; k++) sum += this.c.valueEnd[k]! - this.c.valueAt[k]! + this.c.nameLen[k]!;
      this.stored = sum;
    }
    return this.stored;
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
    for (const pos of this.expiring.get(db) ?? []) {
      const at = this.expireAtMs(db, pos)!;
      if (at <= now) out.expired++;
      else {
        out.live++;
        out.ttlSumMs += at - now;
      }
    }
    return out;
  }

  /** A name held twice in one database (shards of two clusters served as one), or undefined: the sorted order puts twins side by side. */
  firstDuplicate(): Buffer | undefined {
    const { order, names, nameAt, nameLen, db } = this.c;
    for (let i = 1; i < order.length; i++) {
      const a = order[i - 1]!;
      const b = order[i]!;
      if (db[a] === db[b] && names.compare(names, nameAt[a]!, nameAt[a]! + nameLen[a]!, nameAt[b]!, nameAt[b]! + nameLen[b]!) === 0)
        return names.subarray(nameAt[b]!, nameAt[b]! + nameLen[b]!);
    }
    return undefined;
  }

  private slots: Uint8Array | undefined;

  /** Which Redis Cluster hash slots its keys fall in: a bit a slot (2,048 bytes). */
  slotMap(): Uint8Array {
    if (!this.slots) {
      const { order, names, nameAt, nameLen } = this.c;
      this.slots = slotMapOf((add) => {
        for (let k = 0; k < order.length; k++) add(names.subarray(nameAt[k]!, nameAt[k]! + nameLen[k]!));
      });
    }
    return this.slots;
  }

  /** The position of `name` in `db`, or -1. */
  find(db: number, name: Buffer): number {
    const r = this.ranges.get(db);
    if (!r) return -1;
    const { order, names, nameAt, nameLen } = this.c;
    let lo = r[0];
    let hi = r[1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = order[mid]!;
      const cmp = name.compare(names, nameAt[k]!, nameAt[k]! + nameLen[k]!);
      if (cmp === 0) return mid - r[0];
      if (cmp < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return -1;
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
    return this.c.type[this.key(db, pos)]!;
  }

  /** The absolute expiry (Unix ms) of the key at `pos`, or null. */
  expireAtMs(db: number, pos: number): number | null {
    const e = this.c.expireAt[this.key(db, pos)]!;
    return Number.isNaN(e) ? null : e;
  }

  /** Everything the index holds of the key at `pos`. */
  entry(db: number, pos: number): IndexedKey {
    const k = this.key(db, pos);
    return {
      db,
      name: this.nameAt(db, pos),
      type: this.c.type[k]!,
      valueAt: this.c.valueAt[k]!,
      valueEnd: this.c.valueEnd[k]!,
      expireAtMs: this.expireAtMs(db, pos),
    };
  }
}
