/**
 * A key index's keys as the verifier's pass collects them: per key one
 * {@link ROW}-byte row, laid out as the `RDRKEYS3` index file's block rows
 * and the `RDRKSEG1` segment's rows (domain/serve/index-file.ts,
 * index-segment.ts), and its name in one names buffer, both in file order.
 * So a key is written once, where it lies, and the index file's blocks and a
 * segment's keys are copies of whole runs of rows and names (no per-key
 * columns to gather, no second copy of each number). Pure.
 *
 * Row layout (little-endian): the name's length u32, the database u32, the
 * RDB type byte u8, the value's start and end offsets f64 and the absolute
 * expiry f64 (Unix ms, NaN: none).
 */
import { copyBytes, type KeyPlaces } from '../rdb/keys.js';

/** Bytes a key's row takes. */
export const ROW = 4 + 4 + 1 + 8 + 8 + 8;
/** Where each field lies in a row. */
export const R_DB = 4;
export const R_TYPE = 8;
export const R_AT = 9;
export const R_END = 17;
export const R_EXPIRY = 25;

/**
 * `b` in a buffer of at least `need` bytes (doubled), or of `guess` bytes
 * when more, its first `used` bytes kept; a buffer of its own (never a
 * pool's slice). A guess the process cannot have (past a Buffer's greatest
 * length, or more than it can reserve: a file whose first keys mislead) is
 * dropped for the doubling.
 */
function grown(b: Buffer, need: number, used: number, guess = 0): Buffer {
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
 * written over the rows in place (index-file.ts's encodeKeyIndex): no
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
const MIN_SHARE = 1 / 64;

/** Keys collected in file order as rows and names. */
export class KeyRows implements KeyPlaces {
  protected rows: Buffer = Buffer.allocUnsafeSlow(ROW * 1024);
  protected view = new DataView(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength);
  protected names: Buffer = Buffer.allocUnsafe(1 << 16);
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
    if (namesNeed > this.names.length) this.names = grown(this.names, namesNeed, this.namesUsed, Math.ceil(namesNeed * whole));
  }

  /** Adds one key (file order), its name copied from the view: its row written where it lies. */
  place(db: number, type: number, name: Uint8Array, nameFrom: number, nameTo: number, valueAt: number, valueEnd: number, expireAt: number): void {
    const len = nameTo - nameFrom;
    this.room(1, len);
    const p = this.n++ * ROW;
    const view = this.view;
    view.setUint32(p, len, true);
    view.setUint32(p + R_DB, db, true);
    this.rows[p + R_TYPE] = type;
    this.count(db);
    view.setFloat64(p + R_AT, valueAt, true);
    view.setFloat64(p + R_END, valueEnd, true);
    view.setFloat64(p + R_EXPIRY, expireAt, true);
    copyBytes(name, nameFrom, nameTo, this.names, this.namesUsed);
    this.namesUsed += len;
    this.stored += valueEnd - valueAt + len;
  }

  /**
   * Adds `keys` rows (at `rows[rowsAt…]`) and their names (`names[namesAt,
   * namesEnd)`) after these keys, as they are (their keys come later in the
   * file), rows of database `relabel[0]` put in `relabel[1]`; `stored`: the
   * bytes their names and values take. The caller has checked them.
   */
  appendRows(
    rows: Uint8Array,
    rowsAt: number,
    keys: number,
    names: Uint8Array,
    namesAt: number,
    namesEnd: number,
    stored: number,
    relabel?: readonly [number, number],
  ): void {
    this.room(keys, namesEnd - namesAt);
    const at = this.n * ROW;
    this.rows.set(rows.subarray(rowsAt, rowsAt + keys * ROW), at);
    this.names.set(names.subarray(namesAt, namesEnd), this.namesUsed);
    for (let p = at + R_DB; p < at + keys * ROW; p += ROW) {
      const db = this.view.getUint32(p, true);
      if (relabel && db === relabel[0]) this.view.setUint32(p, relabel[1], true);
      this.count(relabel && db === relabel[0] ? relabel[1] : db);
    }
    this.n += keys;
    this.namesUsed += namesEnd - namesAt;
    this.stored += stored;
  }

  /** Adds every key of `later` after these (its keys come later in the file: the order stays file order). */
  append(later: KeyRows): void {
    this.appendRows(later.rows, 0, later.n, later.names, 0, later.namesUsed, later.stored);
  }

  /** The value end of key `k`. */
  protected valueEnd(k: number): number {
    return this.view.getFloat64(k * ROW + R_END, true);
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
      this.stored -= this.view.getFloat64(p + R_END, true) - this.view.getFloat64(p + R_AT, true) + len;
    }
  }
}
