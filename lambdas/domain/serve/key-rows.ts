/**
 * A key index's keys as the verifier's pass collects them: per key one
 * {@link ROW}-byte row, laid out as the `RDRKEYS5` (and `RDRKEYS4`) index file's block rows
 * and the `RDRKSEG2` segment's rows (domain/serve/index-file.ts,
 * index-segment.ts), and its name in one names buffer, both in file order;
 * the keys' databases as runs beside (a server's file lists each database
 * once: one run a database), not a field of every row. So a key is written
 * once, where it lies, and the index file's blocks and a segment's keys are
 * copies of whole runs of rows and names (no per-key columns to gather, no
 * second copy of each number). Pure.
 *
 * Row layout (little-endian, 24 bytes): the name's length u32, the RDB type
 * byte u8, the value's start offset u48 (256 TiB), its length u40 (1 TiB),
 * the absolute expiry f64 (Unix ms, NaN: none). The rows before (`RDRKEYS2`,
 * `RDRKEYS3`, `RDRKSEG1`: 33 bytes, the database u32 in every row and the
 * value's end f64) are read by {@link LEGACY_ROW}'s offsets.
 */
import type { KeyPlaces } from '../rdb/keys.js';

/** Bytes a key's row takes. */
export const ROW = 4 + 1 + 6 + 5 + 8;
/** Where each field lies in a row. */
export const R_TYPE = 4;
export const R_AT = 5;
export const R_LENGTH = 11;
export const R_EXPIRY = 16;
/** The greatest value start and length a row holds (u48, u40). */
export const MAX_VALUE_AT = 2 ** 48 - 1;
export const MAX_VALUE_LENGTH = 2 ** 40 - 1;

// The row's layout held in module locals for {@link KeyRows.place} (a key each; the split worker's): a CommonJS build
// (dist/, the worker's) reads an exported constant as a property of `exports` each use, which also made the method's
// bytecode too long for V8 to inline it into the worker's key callback (a call a key; as key-blocks.ts found).
const ROW_BYTES = ROW;
const TYPE_AT = R_TYPE;
const AT_LOW = R_AT;
const AT_HIGH = R_AT + 4;
const LENGTH_LOW = R_LENGTH;
const LENGTH_HIGH = R_LENGTH + 4;
const EXPIRY_AT = R_EXPIRY;
const MAX_AT = MAX_VALUE_AT;
const MAX_LENGTH = MAX_VALUE_LENGTH;

/** The 33-byte row of the layouts before (`RDRKEYS2`, `RDRKEYS3`, `RDRKSEG1`): its length and where each field lies. */
export const LEGACY_ROW = { bytes: 4 + 4 + 1 + 8 + 8 + 8, db: 4, type: 8, at: 9, end: 17, expiry: 25 } as const;

/** The value's start offset of the row at `p`. */
export function valueAtOf(view: DataView, p: number): number {
  return view.getUint32(p + R_AT, true) + view.getUint16(p + R_AT + 4, true) * 2 ** 32;
}

/** The value's length of the row at `p`. */
export function valueLengthOf(view: DataView, p: number): number {
  return view.getUint32(p + R_LENGTH, true) + view.getUint8(p + R_LENGTH + 4) * 2 ** 32;
}

/** Throws why a key's value cannot be held in a row. */
export function refuseRow(valueAt: number, valueEnd: number): never {
  throw new RangeError(rowProblem(valueAt, valueEnd));
}

/** Why a key's value cannot be held in a row (past the row's offsets), or undefined. */
export function rowProblem(valueAt: number, valueEnd: number): string | undefined {
  if (!(valueAt >= 0 && valueAt <= MAX_VALUE_AT && valueEnd >= valueAt && valueEnd - valueAt <= MAX_VALUE_LENGTH))
    return `a value at [${valueAt}, ${valueEnd}) is past what a key index row holds (a start below 2^48, a length below 2^40)`;
  return undefined;
}

/**
 * `b` in a buffer of at least `need` bytes (doubled), or of `guess` bytes
 * when more, its first `used` bytes kept; a buffer of its own (never a
 * pool's slice). A guess the process cannot have (past a Buffer's greatest
 * length, or more than it can reserve: a file whose first keys mislead) is
 * dropped for the doubling.
 */
export function grown(b: Buffer, need: number, used: number, guess = 0): Buffer {
  const doubled = Math.max(need, b.length * 2);
  let bigger: Buffer;
  try {
    bigger = Buffer.allocUnsafeSlow(Math.max(doubled, guess));
  } catch (e) {
    if (guess <= doubled) throw e;
    bigger = Buffer.allocUnsafeSlow(doubled);
  }
  b.copy(bigger, 0, 0, used);
  return bigger;
}

/**
 * How the buffers grow when the keys' share of the file read is known: at
 * the first growth past {@link MIN_SHARE} of it, to the keys and names
 * expected in all (those so far over the share, 5 % more), and the rows
 * buffer to the bytes of the index file over that many keys, so the file is
 * written over the rows in place (index-write.ts's encodeKeyIndex): no
 * doubling's copies, no second buffer of the file's size. The part never
 * written stays untouched (no memory taken for it). A guess short of the
 * keys only means growing again, an index file written into a buffer of its
 * own: never a wrong index.
 */
export interface RowsSizing {
  /** The share (0 … 1) of the bytes whose keys are placed here that has been read. */
  share(): number;
  /** Bytes of the rows buffer for `keys` keys whose names take `nameBytes` (the index file over them). */
  rowsBytes(keys: number, nameBytes: number): number;
}

/** The share read before a guess of the whole is taken (a guess from the first keys alone is noise). */
export const MIN_SHARE = 1 / 64;

/** Keys collected whose rows can be appended as they are (a segment's: index-segment.ts decodeKeySegment). */
export interface RowsAppender extends KeyPlaces {
  /**
   * Adds `keys` rows (at `rows[rowsAt…]`) and their names (`names[namesAt,
   * namesEnd)`) after these keys, as they are (their keys come later in the
   * file), their databases as `runs` ([db, keys], in file order); `stored`:
   * the bytes their names and values take. The caller has checked them.
   */
  appendRows(...rows: AppendedRows): void;
}

/** {@link RowsAppender.appendRows}'s arguments. */
export type AppendedRows = [
  rows: Uint8Array,
  rowsAt: number,
  keys: number,
  names: Uint8Array,
  namesAt: number,
  namesEnd: number,
  stored: number,
  runs: readonly (readonly [db: number, keys: number])[],
];

/** Whether `keys` takes rows appended whole. */
export function appendsRows(keys: KeyPlaces): keys is RowsAppender {
  return typeof (keys as Partial<RowsAppender>).appendRows === 'function';
}

/** Keys collected in file order as rows and names. */
export class KeyRows implements RowsAppender {
  protected rows: Buffer = Buffer.allocUnsafeSlow(ROW * 1024);
  protected view = new DataView(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength);
  /** A buffer of its own (never a pool's slice, as the rows' are: a thread can move it, index-segment.ts handOver). */
  protected names: Buffer = Buffer.allocUnsafeSlow(1 << 16);
  /** A DataView of {@link names} (a name's bytes written four at a time). */
  private namesView = new DataView(this.names.buffer, this.names.byteOffset, this.names.byteLength);
  protected namesUsed = 0;
  protected n = 0;
  /** Bytes the keys' names and values take in the file. */
  protected stored = 0;
  /** The keys' databases in file order as runs, [db, keys] (a server's file lists each database once: a run a database). */
  protected runs: [db: number, keys: number][] = [];
  /** The last run (where the next key of its database is counted). */
  private last: [db: number, keys: number] | undefined;

  /** One more key of database `db`, after the others. */
  private count(db: number): void {
    const last = this.last;
    if (last !== undefined && last[0] === db) last[1]++;
    else {
      this.last = [db, 1];
      this.runs.push(this.last);
    }
  }

  /** Keys added. */
  get size(): number {
    return this.n;
  }

  /** How the buffers grow (none: by doubling). */
  private sizing: RowsSizing | undefined;

  /** Grow the buffers by `sizing`'s guess of the whole (see {@link RowsSizing}). */
  growBy(sizing: RowsSizing): void {
    this.sizing = sizing;
  }

  /** Room for `keys` more rows and `nameBytes` more name bytes (small: inlined into {@link place}, called a key). */
  private room(keys: number, nameBytes: number): void {
    if ((this.n + keys) * ROW > this.rows.length || this.namesUsed + nameBytes > this.names.length) this.grow(keys, nameBytes);
  }

  /** The buffers grown for `keys` more rows and `nameBytes` more name bytes. */
  private grow(keys: number, nameBytes: number): void {
    const rowsNeed = (this.n + keys) * ROW;
    const namesNeed = this.namesUsed + nameBytes;
    const share = this.sizing?.share() ?? 0;
    const whole = share >= MIN_SHARE ? 1.05 / Math.min(1, share) : 0;
    if (rowsNeed > this.rows.length) {
      const guess = whole > 0 ? this.sizing!.rowsBytes(Math.ceil((this.n + keys) * whole), Math.ceil(namesNeed * whole)) : 0;
      this.rows = grown(this.rows, rowsNeed, this.n * ROW, guess);
      this.view = new DataView(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength);
    }
    if (namesNeed > this.names.length) {
      this.names = grown(this.names, namesNeed, this.namesUsed, Math.ceil(namesNeed * whole));
      this.namesView = new DataView(this.names.buffer, this.names.byteOffset, this.names.byteLength);
    }
  }

  /** Adds one key (file order), its name copied from the view: its row written where it lies. */
  place(db: number, type: number, name: Uint8Array, nameFrom: number, nameTo: number, valueAt: number, valueEnd: number, expireAt: number): void {
    const len = nameTo - nameFrom;
    const length = valueEnd - valueAt;
    // Past a row's offsets (a copy of 256 TiB, a value of 1 TiB): refused, never held wrong (the throw in a function
    // of its own, the fields written here: this method stays small enough to be inlined into the verifier's key
    // callback; with a call to write the row it was a frame of its own again, 0.1 CPU-s a 2 M-key read).
    if (valueAt > MAX_AT || length > MAX_LENGTH) refuseRow(valueAt, valueEnd);
    this.room(1, len);
    const p = this.n++ * ROW_BYTES;
    const view = this.view;
    view.setUint32(p, len, true);
    this.rows[p + TYPE_AT] = type;
    // The low 32 bits (`>>> 0` of an integer below 2^53 is it modulo 2^32), then the high ones.
    view.setUint32(p + AT_LOW, valueAt >>> 0, true);
    view.setUint16(p + AT_HIGH, (valueAt / 4294967296) >>> 0, true);
    view.setUint32(p + LENGTH_LOW, length >>> 0, true);
    this.rows[p + LENGTH_HIGH] = (length / 4294967296) >>> 0;
    view.setFloat64(p + EXPIRY_AT, expireAt, true);
    this.count(db);
    const to = this.namesUsed;
    // Four bytes at a time through DataViews (key-hash.ts's copies, h56u): the view of the bytes named from is kept
    // while they stay the same (a chunk's keys share one).
    const from = name === this.source ? this.sourceView : this.readFrom(name);
    const into = this.namesView;
    let i = nameFrom;
    let o = to;
    for (; i + 4 <= nameTo; i += 4, o += 4) into.setUint32(o, from.getUint32(i, true), true);
    for (; i < nameTo; i++, o++) into.setUint8(o, name[i]!);
    this.namesUsed = to + len;
    this.stored += length + len;
  }

  /** The bytes the last name placed was read from, and a DataView of them: a chunk's keys share one. */
  private source: Uint8Array | undefined;
  private sourceView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  /** A DataView of `name`'s bytes (the bytes names are read from changed: a new chunk), kept for the next names. */
  private readFrom(name: Uint8Array): DataView<ArrayBufferLike> {
    this.source = name;
    this.sourceView = new DataView(name.buffer, name.byteOffset, name.byteLength);
    return this.sourceView;
  }

  /** {@link RowsAppender.appendRows}: each one copy. */
  appendRows(...[rows, rowsAt, keys, names, namesAt, namesEnd, stored, runs]: AppendedRows): void {
    this.room(keys, namesEnd - namesAt);
    const at = this.n * ROW;
    this.rows.set(rows.subarray(rowsAt, rowsAt + keys * ROW), at);
    this.names.set(names.subarray(namesAt, namesEnd), this.namesUsed);
    for (const [db, k] of runs) {
      if (k <= 0) continue;
      const last = this.last;
      if (last !== undefined && last[0] === db) last[1] += k;
      else {
        this.last = [db, k];
        this.runs.push(this.last);
      }
    }
    this.n += keys;
    this.namesUsed += namesEnd - namesAt;
    this.stored += stored;
  }

  /** Adds every key of `later` after these (its keys come later in the file: the order stays file order). */
  append(later: KeyRows): void {
    this.appendRows(later.rows, 0, later.n, later.names, 0, later.namesUsed, later.stored, later.runs);
  }

  /** Where the keys placed reach in the file (the last one's value end), or undefined before the first. */
  get reached(): number | undefined {
    return this.n > 0 ? this.valueEnd(this.n - 1) : undefined;
  }

  /** The value end of key `k`. */
  protected valueEnd(k: number): number {
    return valueAtOf(this.view, k * ROW) + valueLengthOf(this.view, k * ROW);
  }

  /** Drops the last keys added whose values end past `offset` (keys come in file order: those are the last ones). */
  dropPast(offset: number): void {
    while (this.n > 0 && this.valueEnd(this.n - 1) > offset) {
      const p = --this.n * ROW;
      const len = this.view.getUint32(p, true);
      this.namesUsed -= len;
      if (--this.last![1] === 0) {
        this.runs.pop();
        this.last = this.runs.at(-1);
      }
      this.stored -= valueLengthOf(this.view, p) + len;
    }
  }
}
