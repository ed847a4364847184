/**
 * A key index collected as its file's blocks: each key's row and name
 * written where the `RDRKEYS5` index file has them (domain/serve/index-file.ts:
 * a block is up to {@link BLOCK} rows of one database, then their names),
 * in the one buffer the file is then finished in. What the DR verifier's
 * index of a copy is built with (jobs/dr-copies/copy-key-index.ts): the
 * file's blocks are the pass's own bytes, so finishing it
 * ({@link KeyBlocks.encode}) reads each block once, where it lies (the
 * block's expiries and checksum), and writes only what follows the blocks
 * (lookup section, directory, footer); each name's lookup hash and hash slot
 * are taken as it is copied in (key-hash.ts's copyHashAndSlot). The rows and
 * names collected apart and moved into blocks at the end (key-rows.ts,
 * index-write.ts's encodeKeyIndex: what other writers do) cost the verifier
 * a second buffer of the names (first touched, then copied) and a move of
 * every block's rows. Pure.
 *
 * An open block holds its rows from its start and its names from
 * {@link OPEN} bytes on (room for a whole block's rows); a block closed
 * short (its database ends) has its names moved down after its rows. The
 * bytes are those {@link encodeKeyIndex} writes from the same keys (a test
 * holds them equal); keys whose databases do not come ascending (a file
 * listing one twice) are encoded through it, from rows and names laid flat.
 */
import { isHashWithTtls } from '../rdb/write/source-forms.js';
import type { HashTemplates } from '../rdb/format/hash-template.js';
import { SLOT_COUNT, slotOfBytes } from '../keys/hash-slot.js';
import { BLOCK, ENTRY, ENTRY_HEAD, FOOTER, FORMS, HASH_ENTRY, HASH_ROW, type IndexedFile, MAGIC, writeSum } from './index-file.js';
import { countExpiry, encodeKeyIndex, indexHeader, noExpiries, writeEntry, writeTail } from './index-write.js';
import { bytesView, copyHash as copyNameHash, copyHashAndSlot as copyNameHashing } from './key-hash.js';
import { KeyIndexBuilder } from './key-index.js';
import {
  grown,
  MAX_VALUE_AT,
  MAX_VALUE_LENGTH,
  MIN_SHARE,
  R_AT,
  R_EXPIRY,
  R_LENGTH,
  R_TYPE,
  refuseRow,
  ROW,
  type AppendedRows,
  type RowsAppender,
  type RowsSizing,
  valueAtOf,
  valueLengthOf,
} from './key-rows.js';

// Called a key: held here, as a TypeScript runner (tsx, the benches) reads an import through a getter each time.
const copyHashAndSlot = copyNameHashing;
const copyHash = copyNameHash;
const ALL_SLOTS = SLOT_COUNT;
// The row's offsets and bounds held here too: a CommonJS build (dist/, the split worker's) reads an import as a
// property each use, which made `place`'s bytecode too long for V8 to inline it into the verifier's key callback
// (over its 460 bytes: a call a key).
const TYPE_AT = R_TYPE;
const AT_LOW = R_AT;
const AT_HIGH = R_AT + 4;
const LENGTH_LOW = R_LENGTH;
const LENGTH_HIGH = R_LENGTH + 4;
const EXPIRY_AT = R_EXPIRY;
const MAX_AT = MAX_VALUE_AT;
const MAX_LENGTH = MAX_VALUE_LENGTH;

/** The layout written (its block checksum). */
const FORM = FORMS[MAGIC];
/** Where an open block's names start, from the block's start: after room for a whole block's rows. */
const OPEN = BLOCK * ROW;

/** Keys collected as an index file's blocks, in file order. */
export class KeyBlocks implements RowsAppender {
  private buf: Buffer = Buffer.allocUnsafeSlow(1 << 16);
  private view = new DataView(this.buf.buffer, 0, this.buf.length);
  /** The closed blocks: where each starts, its keys, its database, its names' bytes. */
  private readonly closedAt: number[] = [];
  private readonly closedKeys: number[] = [];
  private readonly closedDb: number[] = [];
  private readonly closedNames: number[] = [];
  /** Keys and name bytes of the closed blocks. */
  private closedN = 0;
  private closedNameBytes = 0;
  /**
   * The open block: where it starts, where its next row and next name go,
   * where its rows' room ends (its start + {@link OPEN}), its database (-1:
   * none yet). Positions rather than counts: a key writes two of them back.
   */
  private at = MAGIC.length;
  private rowAt = MAGIC.length;
  private nameAt = MAGIC.length + OPEN;
  private rowEnd = MAGIC.length + OPEN;
  private db = -1;
  /** Bytes the keys' names and values take in the file. */
  private stored = 0;
  /** Keys placed (closed blocks' and the open one's). */
  private n = 0;
  /**
   * Each key's lookup hash (key-hash.ts), by key number in file order, and
   * the keys' hash slots (a bit a slot: the header's slot map): taken as its
   * name is copied in ({@link place}, appendRows), so the encoding reads no
   * name again (its pass over the names was 0.02 CPU-s more a 2 M-key read
   * than the copy doing it).
   */
  private hashes = new Uint32Array(1024);
  private readonly slots = new Uint8Array(SLOT_COUNT / 8);
  /**
   * The slots set in {@link slots}: once all are, names are placed with
   * key-hash.ts's copyHash (no slot taken, none to add; a file of one
   * keyspace gets there within its first ~170,000 keys).
   */
  private slotsSet = 0;
  /** Keys were dropped ({@link dropPast}): their slots may still be set, so the map is taken again from the names kept. */
  private slotsStale = false;
  /** The closed blocks' databases in file order as runs, [db, keys] (the open block's keys counted when it closes). */
  private readonly runs: [db: number, keys: number][] = [];
  /** Each database came once, ascending (a server's file): else the file is encoded from flat rows. */
  private ascending = true;
  private sizing: RowsSizing | undefined;
  /** The bytes the last name placed was read from, and a DataView of them (key-hash.ts' copies read a name's words through it): a chunk's keys share one. */
  private source: Uint8Array | undefined;
  private sourceView: DataView = new DataView(new ArrayBuffer(0));

  /** The open block's keys. */
  private get open(): number {
    return (this.rowAt - this.at) / ROW;
  }

  /** Keys placed. */
  get keys(): number {
    return this.n;
  }

  /** Keys placed of database `db`. */
  size(db: number): number {
    let keys = db === this.db ? this.open : 0;
    for (const [d, k] of this.runs) if (d === db) keys += k;
    return keys;
  }

  /** Grow the buffer by `sizing`'s guess of the whole (key-rows.ts's {@link RowsSizing}: the index file's bytes). */
  growBy(sizing: RowsSizing): void {
    this.sizing = sizing;
  }

  /** Adds one key (file order): its row and name written where its block has them. */
  place(db: number, type: number, name: Uint8Array, nameFrom: number, nameTo: number, valueAt: number, valueEnd: number, expireAt: number): void {
    const len = nameTo - nameFrom;
    const length = valueEnd - valueAt;
    // Refused past a row's offsets (key-rows.ts), the throw in a function of its own: this method stays small enough to
    // be inlined into the verifier's key callback.
    if (valueAt > MAX_AT || length > MAX_LENGTH) refuseRow(valueAt, valueEnd);
    if (db !== this.db || this.rowAt === this.rowEnd) this.next(db);
    const to = this.nameAt;
    const k = this.n;
    if (to + len > this.buf.length || k === this.hashes.length) this.room(to + len, len);
    const p = this.rowAt;
    const view = this.view;
    const buf = this.buf;
    view.setUint32(p, len, true);
    buf[p + TYPE_AT] = type;
    view.setUint32(p + AT_LOW, valueAt >>> 0, true);
    view.setUint16(p + AT_HIGH, (valueAt / 4294967296) >>> 0, true);
    view.setUint32(p + LENGTH_LOW, length >>> 0, true);
    buf[p + LENGTH_HIGH] = (length / 4294967296) >>> 0;
    view.setFloat64(p + EXPIRY_AT, expireAt, true);
    const from = name === this.source ? this.sourceView : this.readFrom(name);
    if (this.slotsSet < ALL_SLOTS) this.slotsSet += copyHashAndSlot(db, name, from, nameFrom, nameTo, view, to, this.hashes, this.slots, k);
    else copyHash(db, name, from, nameFrom, nameTo, view, to, this.hashes, k);
    this.n = k + 1;
    this.rowAt = p + ROW;
    this.nameAt = to + len;
    this.stored += length + len;
  }

  /** A DataView of `name`'s bytes (the bytes names are read from changed: a new chunk), kept for the next names. */
  private readFrom(name: Uint8Array): DataView {
    this.source = name;
    this.sourceView = bytesView(name);
    return this.sourceView;
  }

  /** The open block closed (full, or its database ended) and one opened for database `db`. */
  private next(db: number): void {
    if (this.rowAt > this.at) this.close();
    if (db !== this.db) {
      const last = this.runs.at(-1);
      if (last !== undefined && db < last[0]) this.ascending = false;
      if (last?.[0] !== db) this.runs.push([db, 0]);
      this.db = db;
    }
  }

  /** Opens a block at `at` with `k` keys and `nb` bytes of names (its names at {@link OPEN}). */
  private openAt(at: number, k: number, nb: number): void {
    this.at = at;
    this.rowAt = at + k * ROW;
    this.rowEnd = at + OPEN;
    this.nameAt = at + OPEN + nb;
  }

  /** Closes the open block: its names moved down after its rows when it is short. */
  private close(): void {
    const at = this.at;
    const k = this.open;
    const nb = this.nameAt - this.rowEnd;
    if (k < BLOCK) this.buf.copyWithin(this.rowAt, this.rowEnd, this.nameAt);
    this.closedAt.push(at);
    this.closedKeys.push(k);
    this.closedDb.push(this.db);
    this.closedNames.push(nb);
    this.closedN += k;
    this.closedNameBytes += nb;
    this.runs.at(-1)![1] += k;
    this.openAt(this.rowAt + nb, 0, 0);
  }

  /** Reopens the last closed block (the open one is empty): its names moved back up to {@link OPEN}. */
  private reopen(): void {
    const at = this.closedAt.pop()!;
    const k = this.closedKeys.pop()!;
    const nb = this.closedNames.pop()!;
    this.db = this.closedDb.pop()!;
    this.closedN -= k;
    this.closedNameBytes -= nb;
    const run = this.runs.at(-1)!;
    run[1] -= k;
    if (run[0] !== this.db) throw new Error(`the key blocks' runs end in database ${run[0]}, their last block is of ${this.db}`);
    if (k < BLOCK) this.buf.copyWithin(at + OPEN, at + k * ROW, at + k * ROW + nb);
    this.openAt(at, k, nb);
  }

  /** A buffer of at least `need` bytes for a name of `len` more (by the sizing's guess of the whole index file when it has one), the bytes so far kept. */
  private grow(need: number, len: number): void {
    const share = this.sizing?.share() ?? 0;
    const whole = share >= MIN_SHARE ? 1.05 / Math.min(1, share) : 0;
    const names = this.closedNameBytes + this.nameAt - this.rowEnd + len;
    const guess = whole > 0 ? this.sizing!.rowsBytes(Math.ceil((this.keys + 1) * whole), Math.ceil(names * whole)) : 0;
    this.buf = grown(this.buf, need, this.nameAt, guess);
    this.view = new DataView(this.buf.buffer, 0, this.buf.length);
  }

  /** Room for one more key whose name takes `len` bytes up to byte `need` (the buffer, the hashes and slots). */
  private room(need: number, len: number): void {
    if (need > this.buf.length) this.grow(need, len);
    if (this.n === this.hashes.length) this.growKeys(this.n + 1);
  }

  /** Room for the hashes of `keys` keys (by the sizing's guess of the whole when it has one), those so far kept. */
  private growKeys(keys: number): void {
    const share = this.sizing?.share() ?? 0;
    const guess = share >= MIN_SHARE ? Math.ceil(keys * (1.05 / Math.min(1, share))) : 0;
    const size = Math.max(keys, this.hashes.length * 2, guess);
    const hashes = new Uint32Array(size);
    hashes.set(this.hashes.subarray(0, this.n));
    this.hashes = hashes;
  }

  /** Drops the last keys placed whose values end past `offset` (keys come in file order: those are the last ones). */
  dropPast(offset: number): void {
    while (this.keys > 0) {
      if (this.rowAt === this.at) {
        // Its database's keys all dropped: its run goes (the block before may be of another).
        if (this.runs.at(-1)![1] === 0) this.runs.pop();
        this.reopen();
      }
      const p = this.rowAt - ROW;
      const length = valueLengthOf(this.view, p);
      if (valueAtOf(this.view, p) + length <= offset) break;
      const len = this.view.getUint32(p, true);
      this.rowAt = p;
      this.nameAt -= len;
      this.stored -= length + len;
      this.n--;
      this.slotsStale = true;
    }
    if (this.keys === 0) {
      this.openAt(MAGIC.length, 0, 0);
      this.db = -1;
      this.runs.length = 0;
    }
  }

  /** {@link RowsAppender.appendRows} (a second thread's segment): a block's run of rows at a time, each name copied with its hash and slot taken. */
  appendRows(...[rows, rowsAt, keys, names, namesAt, namesEnd, stored, runs]: AppendedRows): void {
    const lengths = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
    const source = bytesView(names);
    let r = rowsAt;
    let from = namesAt;
    let left = keys;
    for (const [db, count] of runs)
      for (let k = Math.min(count, left); k > 0; ) {
        if (db !== this.db || this.rowAt === this.rowEnd) this.next(db);
        const take = Math.min(k, (this.rowEnd - this.rowAt) / ROW);
        let bytes = 0;
        for (let i = 0; i < take; i++) bytes += lengths.getUint32(r + i * ROW, true);
        if (this.nameAt + bytes > this.buf.length) this.grow(this.nameAt + bytes, bytes);
        if (this.n + take > this.hashes.length) this.growKeys(this.n + take);
        this.buf.set(rows.subarray(r, r + take * ROW), this.rowAt);
        for (let i = 0, to = this.nameAt, f = from; i < take; i++) {
          const len = lengths.getUint32(r + i * ROW, true);
          if (this.slotsSet < ALL_SLOTS) this.slotsSet += copyHashAndSlot(db, names, source, f, f + len, this.view, to, this.hashes, this.slots, this.n + i);
          else copyHash(db, names, source, f, f + len, this.view, to, this.hashes, this.n + i);
          to += len;
          f += len;
        }
        this.n += take;
        this.rowAt += take * ROW;
        this.nameAt += bytes;
        r += take * ROW;
        from += bytes;
        k -= take;
        left -= take;
      }
    if (left !== 0 || from !== namesEnd)
      throw new Error(`the rows appended do not match their runs and names (${left} keys, ${namesEnd - from} name bytes left)`);
    this.stored += stored;
  }

  /** Each block, closed or open, in file order: where it starts, its keys, database and names' bytes. */
  private *blocks(): Generator<readonly [at: number, keys: number, db: number, names: number, namesAt: number]> {
    for (let b = 0; b < this.closedAt.length; b++) {
      const at = this.closedAt[b]!;
      const k = this.closedKeys[b]!;
      yield [at, k, this.closedDb[b]!, this.closedNames[b]!, at + k * ROW];
    }
    if (this.open > 0) yield [this.at, this.open, this.db, this.nameAt - this.rowEnd, this.rowEnd];
  }

  /** The keys as rows and names laid flat (key-rows.ts): for the segment of a paused read, earlier invocations' keys, and files whose databases do not come ascending. */
  flat(): KeyIndexBuilder {
    const out = new KeyIndexBuilder();
    let stored = this.stored;
    for (const [at, k, db, nb, namesAt] of this.blocks()) {
      out.appendRows(this.buf, at, k, this.buf, namesAt, namesAt + nb, stored, [[db, k]]);
      stored = 0;
    }
    return out;
  }

  /**
   * The index file of these keys, for `copy` (`RDRKEYS5`): finished in this
   * buffer when it has the room for what follows the blocks (the sizing
   * reserves it), else in one of its own with the blocks copied. The keys
   * are used no more after. `templates`: the copy's Redis 8.10 hash
   * templates its verification read (kept in the header).
   */
  encode(copy: IndexedFile, rdbVersion: number, valkey: boolean, templates?: HashTemplates): Buffer {
    if (!this.ascending) return encodeKeyIndex(this.flat().finish(rdbVersion, templates), copy, valkey, MAGIC, true);
    if (this.open > 0) this.close();
    const n = this.closedN;
    if (n !== this.n) throw new Error(`the key blocks hold ${n} keys, their hashes ${this.n}`);
    const blocks = this.closedAt.length;
    const databases: [number, number, number, number][] = [];
    for (let b = 0, key = 0; b < blocks; key += this.closedKeys[b++]!) {
      const db = this.closedDb[b]!;
      const last = databases.at(-1);
      if (last !== undefined && last[0] === db) last[2] += this.closedKeys[b]!;
      else databases.push([db, key, key + this.closedKeys[b]!, b]);
    }
    const fieldTtlBlocks = rdbVersion >= 12 ? this.blocksHolding(isHashWithTtls) : undefined;
    const { header, json } = indexHeader(copy, valkey, rdbVersion, n, blocks, this.stored, databases, fieldTtlBlocks, templates);
    const hashAt = this.at;
    const directoryAt = hashAt + n * HASH_ROW;
    const entriesAt = directoryAt + 4 + json.length;
    const footerAt = entriesAt + blocks * ENTRY + 2 ** header.hashBits! * HASH_ENTRY;
    const total = footerAt + FOOTER;
    let out: Buffer;
    if (this.buf.length >= total) out = Buffer.from(this.buf.buffer, 0, total);
    else {
      out = Buffer.allocUnsafeSlow(total);
      this.buf.copy(out, 0, 0, hashAt);
    }
    const view = new DataView(out.buffer, out.byteOffset, total);
    out.write(MAGIC, 0, 'latin1');
    // The keys' hashes and slots were taken as their names came in; after a drop the slot map again from the names kept.
    const slots = this.slotsStale ? this.slotMap() : this.slots;
    // Each block read once where it lies: its rows' expiries, then its checksum (the layout's: a CRC-32). What the
    // loops use is held in locals: a CommonJS build (the benches') reads each import as a property at each use, four a
    // row here.
    const row = ROW;
    const expiryAt = R_EXPIRY;
    const entry = ENTRY;
    const head = ENTRY_HEAD;
    const count = countExpiry;
    const sum = writeSum;
    for (let b = 0; b < blocks; b++) {
      const at = this.closedAt[b]!;
      const k = this.closedKeys[b]!;
      const db = this.closedDb[b]!;
      const rowsEnd = at + k * row;
      const end = rowsEnd + this.closedNames[b]!;
      const x = noExpiries();
      for (let r = at; r < rowsEnd; r += row) count(x, view.getFloat64(r + expiryAt, true));
      const e = entriesAt + b * entry;
      writeEntry(view, e, at, end - at, k, db, 0, x);
      sum(FORM, out, at, end, e + head);
    }
    writeTail(MAGIC, out, view, header, json, this.hashes.subarray(0, n), slots, hashAt, directoryAt, footerAt);
    return out;
  }

  /** The slot map of the keys held, from their names (after {@link dropPast}: a dropped key's slot may be no other's). */
  private slotMap(): Uint8Array {
    const slots = new Uint8Array(SLOT_COUNT / 8);
    for (const [at, k, , , namesAt] of this.blocks())
      for (let i = 0, from = namesAt; i < k; i++) {
        const to = from + this.view.getUint32(at + i * ROW, true);
        const slot = slotOfBytes(this.buf, from, to);
        slots[slot >> 3]! |= 1 << (slot & 7);
        from = to;
      }
    return slots;
  }

  /** The blocks holding a key whose type `wanted` takes, as runs [first, end) flattened (index-write.ts's for flat rows). */
  private blocksHolding(wanted: (type: number) => boolean): number[] {
    const runs: number[] = [];
    for (let b = 0; b < this.closedAt.length; b++) {
      const at = this.closedAt[b]!;
      let holds = false;
      for (let i = 0; i < this.closedKeys[b]! && !holds; i++) holds = wanted(this.buf[at + i * ROW + R_TYPE]!);
      if (!holds) continue;
      if (runs.length > 0 && runs.at(-1) === b) runs[runs.length - 1] = b + 1;
      else runs.push(b, b + 1);
    }
    return runs;
  }
}
