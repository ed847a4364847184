/**
 * One invocation's part of a DR copy's key index, when the verifier reads
 * the copy across several invocations (a checkpoint between each): the keys
 * that invocation's bytes held, put beside the copy under its lock, and
 * stitched into the copy's index (`<copy>.keys`, index-file.ts) by the
 * invocation that ends the verification. Pure: keys in, bytes out.
 *
 * Layout (little-endian): `RDRKSEG2`; a u32 length and a JSON
 * {@link SegmentOf} with its key count and its keys' databases as runs
 * ([db, keys] in file order); per key its row (key-rows.ts's {@link ROW}
 * layout, as index-file.ts's `RDRKEYS5` blocks); the names; the CRC-64 of
 * every byte before it (8 bytes; the index's blocks' checksum, for the same
 * reason: it finds damage, and a SHA-256 proved no more against a rewrite on
 * purpose, which could rewrite it too). A two-thread read's worker hands
 * its keys over without a segment ({@link HandedKeys}: its rows and names
 * moved between two threads of one process, never stored, so no checksum;
 * every key checked as a stored segment's are). `RDRKSEG1` (written before: segments beside a copy verified across
 * invocations outlive a deploy) is still read: its rows are key-rows.ts's
 * {@link LEGACY_ROW}, the database in each, and it ends in a SHA-256.
 */
import { createHash } from 'node:crypto';
import { Crc64 } from '../rdb/codecs/crc64.js';
import type { KeyPlaces } from '../rdb/keys.js';
import { appendsRows, KeyRows, LEGACY_ROW, R_EXPIRY, R_TYPE, ROW, type RowsAppender, rowProblem, valueAtOf, valueLengthOf } from './key-rows.js';
import type { IndexedKey } from './key-index.js';

const MAGIC = 'RDRKSEG2';
/** Bytes of an `RDRKSEG2` segment's checksum (CRC-64), and of an `RDRKSEG1` one's (SHA-256). */
const SUM = 8;
const LEGACY_SUM = 32;
/** The segment layout before (33-byte rows, the database in each): read, never written. */
const LEGACY_MAGIC = 'RDRKSEG1';

/** Which copy's bytes a segment indexes: the object's version and the byte range its keys lie in. */
export interface SegmentOf {
  readonly etag: string | undefined;
  readonly versionId: string | undefined;
  /** The copy's bytes [start, end) this invocation read (its keys lie there). */
  readonly start: number;
  readonly end: number;
}

/**
 * Collects a segment's keys in file order, as rows and names (key-rows.ts;
 * no object a key: the DR verifier's second thread collects half a copy's
 * keys here), and encodes those whose values end by a given offset.
 */
export class KeySegmentBuilder extends KeyRows {
  /** Adds one key (file order). */
  add(k: IndexedKey): void {
    this.place(k.db, k.type, k.name, 0, k.name.length, k.valueAt, k.valueEnd, k.expireAtMs ?? Number.NaN);
  }

  /** The first keys added whose values end by `endingBy` (added in file order: those past it are the last ones): how many, their names' end, their databases' runs. */
  private kept(endingBy: number): { keys: number; namesEnd: number; runs: [db: number, keys: number][] } {
    let keys = this.n;
    let namesEnd = this.namesUsed;
    while (keys > 0 && this.valueEnd(keys - 1) > endingBy) namesEnd -= this.rows.readUInt32LE(--keys * ROW);
    const runs: [number, number][] = [];
    let left = keys;
    for (const [db, k] of this.runs) {
      if (left === 0) break;
      runs.push([db, Math.min(k, left)]);
      left -= Math.min(k, left);
    }
    return { keys, namesEnd, runs };
  }

  /** The segment `of` of the keys added whose values end by `endingBy` (see {@link kept}), in a buffer of its own. */
  encode(of: SegmentOf, endingBy = Number.POSITIVE_INFINITY): Buffer {
    const { keys, namesEnd, runs } = this.kept(endingBy);
    const json = Buffer.from(JSON.stringify({ ...of, keys, runs }), 'utf8');
    const rowsAt = MAGIC.length + 4 + json.length;
    const bodyBytes = rowsAt + keys * ROW + namesEnd;
    const out = Buffer.allocUnsafeSlow(bodyBytes + SUM);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(json.length, MAGIC.length);
    json.copy(out, MAGIC.length + 4);
    this.rows.copy(out, rowsAt, 0, keys * ROW);
    this.names.copy(out, rowsAt + keys * ROW, 0, namesEnd);
    new Crc64().update(out, 0, bodyBytes).writeLittleEndian(out, bodyBytes);
    return out;
  }

  /**
   * The keys of bytes [start, end) (those whose values end by `end`, see
   * {@link kept}) handed to another thread of this process (the DR
   * verifier's second thread): its rows and names as views of this
   * builder's own buffers, each its own ArrayBuffer, to be moved, not
   * copied. No segment is written and no checksum taken (a checksum guards
   * bytes stored between invocations; these are never stored): the
   * receiver checks every key ({@link takeHandedKeys}). The builder is used
   * no more.
   */
  handOver(start: number, end: number): HandedKeys {
    const { keys, namesEnd, runs } = this.kept(end);
    const rows = new Uint8Array(this.rows.buffer, this.rows.byteOffset, keys * ROW);
    return { start, end, keys, runs, rows, names: new Uint8Array(this.names.buffer, this.names.byteOffset, namesEnd) };
  }
}

/** A segment's keys handed from one thread to another of the same process ({@link KeySegmentBuilder.handOver}): never stored. */
export interface HandedKeys {
  /** The copy's bytes [start, end) its keys lie in. */
  readonly start: number;
  readonly end: number;
  readonly keys: number;
  /** Its keys' databases as runs ([db, keys], in file order). */
  readonly runs: readonly (readonly [db: number, keys: number])[];
  /** Its `keys` rows (key-rows.ts's {@link ROW} layout) and their names, in file order. */
  readonly rows: Uint8Array;
  readonly names: Uint8Array;
}

/**
 * Keys handed over by another thread ({@link KeySegmentBuilder.handOver}),
 * checked as a stored segment's are (that they index bytes [of.start,
 * of.end), every key within them, their names and databases adding up),
 * then appended whole to `into` (keys of database `relabel[0]` put in
 * `relabel[1]`); or why they cannot be used. No checksum: these bytes were
 * never stored, they moved between two threads of one process.
 */
export function takeHandedKeys(
  handed: HandedKeys,
  of: Pick<SegmentOf, 'start' | 'end'>,
  into: RowsAppender,
  relabel?: readonly [number, number],
): { readonly problem: string } | undefined {
  if (handed.start !== of.start || handed.end !== of.end) return { problem: `it indexes bytes [${handed.start}, ${handed.end}), not [${of.start}, ${of.end})` };
  if (!(Number.isInteger(handed.keys) && handed.keys >= 0 && handed.rows.byteLength === handed.keys * ROW)) return { problem: 'its rows do not fit in it' };
  const runs = runsProblem(handed.runs, handed.keys, relabel);
  if (!Array.isArray(runs)) return runs;
  const stored = rowsChecked(handed.rows, 0, handed.keys, 0, handed.names.byteLength, of);
  if (typeof stored !== 'number') return stored;
  into.appendRows(handed.rows, 0, handed.keys, handed.names, 0, handed.names.byteLength, stored, runs);
  return undefined;
}

/** Whether a key lies outside a segment of bytes [of.start, of.end): its name past the names' end, or its value past the bytes or a row's offsets. */
function outside(nameEnd: number, namesEnd: number, valueAt: number, valueEnd: number, of: Pick<SegmentOf, 'start' | 'end'>): boolean {
  return nameEnd > namesEnd || !(of.start < valueAt && valueAt <= valueEnd && valueEnd <= of.end) || rowProblem(valueAt, valueEnd) !== undefined;
}

/**
 * `keys` rows (key-rows.ts's {@link ROW}, from `rows[rowsAt]`) checked,
 * their names at [namesAt, namesEnd) (of the rows' buffer, or of one of
 * their own): each key within `of`, the names adding up to their bytes. The bytes their names and values take, or why they cannot be used.
 */
function rowsChecked(
  rows: Uint8Array,
  rowsAt: number,
  keys: number,
  namesAt: number,
  namesEnd: number,
  of: Pick<SegmentOf, 'start' | 'end'>,
): number | { readonly problem: string } {
  const view = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
  let nameAt = namesAt;
  let stored = 0;
  for (let i = 0, p = rowsAt; i < keys; i++, p += ROW) {
    const len = view.getUint32(p, true);
    const valueAt = valueAtOf(view, p);
    const valueEnd = valueAt + valueLengthOf(view, p);
    if (outside(nameAt + len, namesEnd, valueAt, valueEnd, of)) return { problem: `its key ${i} lies outside it` };
    stored += valueEnd - valueAt + len;
    nameAt += len;
  }
  return nameAt === namesEnd ? stored : { problem: 'its names do not add up to its length' };
}

/** The segment of `keys` (each lying within [of.start, of.end)). */
export function encodeKeySegment(of: SegmentOf, keys: readonly IndexedKey[]): Buffer {
  const builder = new KeySegmentBuilder();
  for (const k of keys) builder.add(k);
  return builder.encode(of);
}

/**
 * A segment read back and checked (its checksum, that it indexes `of`: the
 * same object version and byte range, every key within it), each key handed
 * to `keys` (its name a view of `file`, for the call only: no object a
 * key), or, for rows collected as the segment's own ({@link KeyRows}, an
 * `RDRKSEG2` segment), its rows and names appended whole once all are
 * checked (keys of database `relabel[0]` put in `relabel[1]`); or why it
 * cannot be used (the caller then writes no index).
 */
export function decodeKeySegment(
  file: Buffer,
  of: SegmentOf,
  keys: KeyPlaces | RowsAppender,
  relabel?: readonly [number, number],
): { readonly problem: string } | undefined {
  const magic = file.length < MAGIC.length + 4 + LEGACY_SUM ? '' : file.toString('latin1', 0, MAGIC.length);
  if (magic !== MAGIC && magic !== LEGACY_MAGIC) return { problem: 'not a key index segment' };
  const legacy = magic === LEGACY_MAGIC;
  const body = file.subarray(0, file.length - (legacy ? LEGACY_SUM : SUM));
  const sum = file.subarray(body.length);
  if (legacy ? !createHash('sha256').update(body).digest().equals(sum) : !new Crc64().update(body).matchesLittleEndian(sum))
    return { problem: `its ${legacy ? 'SHA-256' : 'CRC-64'} does not match its bytes (damaged)` };
  const jsonLen = body.readUInt32LE(MAGIC.length);
  let h: SegmentOf & { keys: number; runs?: [number, number][] };
  try {
    h = JSON.parse(body.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + jsonLen)) as SegmentOf & { keys: number; runs?: [number, number][] };
  } catch {
    return { problem: 'its header is not JSON' };
  }
  if (h.etag !== of.etag || h.versionId !== of.versionId || h.start !== of.start || h.end !== of.end)
    return { problem: `it indexes bytes [${h.start}, ${h.end}) of ETag ${h.etag}, not [${of.start}, ${of.end}) of ETag ${of.etag}` };
  const rowBytes = legacy ? LEGACY_ROW.bytes : ROW;
  const rowsAt = MAGIC.length + 4 + jsonLen;
  if (!(Number.isInteger(h.keys) && h.keys >= 0 && rowsAt + h.keys * rowBytes <= body.length)) return { problem: 'its rows do not fit in it' };
  // RDRKSEG2: the databases' runs, of its keys in all (each a database number and a count).
  const runs = legacy ? [] : runsProblem(h.runs, h.keys, relabel);
  if (!Array.isArray(runs)) return runs;
  const namesAt = rowsAt + h.keys * rowBytes;
  if (!legacy && appendsRows(keys)) {
    const stored = rowsChecked(body, rowsAt, h.keys, namesAt, body.length, of);
    if (typeof stored !== 'number') return stored;
    keys.appendRows(body, rowsAt, h.keys, body, namesAt, body.length, stored, runs);
    return undefined;
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let nameAt = namesAt;
  let run = 0;
  let runLeft = runs[0]?.[1] ?? 0;
  for (let i = 0; i < h.keys; i++) {
    const p = rowsAt + i * rowBytes;
    const len = view.getUint32(p, true);
    const valueAt = legacy ? view.getFloat64(p + LEGACY_ROW.at, true) : valueAtOf(view, p);
    const valueEnd = legacy ? view.getFloat64(p + LEGACY_ROW.end, true) : valueAt + valueLengthOf(view, p);
    if (outside(nameAt + len, body.length, valueAt, valueEnd, of)) return { problem: `its key ${i} lies outside it` };
    let db: number;
    if (legacy) {
      db = view.getUint32(p + LEGACY_ROW.db, true);
      if (relabel && db === relabel[0]) db = relabel[1];
    } else {
      while (runLeft === 0) runLeft = runs[++run]![1];
      runLeft--;
      db = runs[run]![0];
    }
    keys.place(
      db,
      body[p + (legacy ? LEGACY_ROW.type : R_TYPE)]!,
      body,
      nameAt,
      nameAt + len,
      valueAt,
      valueEnd,
      view.getFloat64(p + (legacy ? LEGACY_ROW.expiry : R_EXPIRY), true),
    );
    nameAt += len;
  }
  if (nameAt !== body.length) return { problem: 'its names do not add up to its length' };
  return undefined;
}

/** A segment header's runs checked (whole numbers adding up to its `keys`), relabelled; or why they cannot be used. */
function runsProblem(runs: unknown, keys: number, relabel: readonly [number, number] | undefined): [db: number, keys: number][] | { readonly problem: string } {
  if (!Array.isArray(runs)) return { problem: "its header lacks its keys' databases" };
  const out: [number, number][] = [];
  let total = 0;
  for (const r of runs as unknown[]) {
    const [db, k] = Array.isArray(r) ? (r as unknown[]) : [];
    if (!(Number.isInteger(db) && (db as number) >= 0 && Number.isInteger(k) && (k as number) > 0)) return { problem: "its header lacks its keys' databases" };
    out.push([relabel && db === relabel[0] ? relabel[1] : (db as number), k as number]);
    total += k as number;
  }
  return total === keys ? out : { problem: `its databases' runs count ${total} keys, not its ${keys}` };
}
