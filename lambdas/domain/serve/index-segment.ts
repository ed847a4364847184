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
 * layout, as index-file.ts's `RDRKEYS4` blocks); the names; the CRC-64 of
 * every byte before it (8 bytes; the index's blocks' checksum, for the same
 * reason: it finds damage, and a SHA-256 proved no more against a rewrite on
 * purpose, which could rewrite it too; a two-thread read checksums every
 * segment twice, once as the worker writes it and once as this thread reads
 * it). `RDRKSEG1` (written before: segments beside a copy verified across
 * invocations outlive a deploy) is still read: its rows are key-rows.ts's
 * {@link LEGACY_ROW}, the database in each, and it ends in a SHA-256.
 */
import { createHash } from 'node:crypto';
import { Crc64 } from '../rdb/codecs/crc64.js';
import type { KeyPlaces } from '../rdb/keys.js';
import {
  appendsRows,
  KeyRows,
  LEGACY_ROW,
  R_EXPIRY,
  R_TYPE,
  ROW,
  type RowsAppender,
  type RowsSizing,
  rowProblem,
  valueAtOf,
  valueLengthOf,
} from './key-rows.js';
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

  /**
   * The segment `of` of the keys added whose values end by `endingBy` (added
   * in file order: those past it are the last ones). With `overRows`, written
   * over this builder's rows when their buffer has the room (grown by a
   * {@link RowsSizing} with {@link segmentBytesFor}): the rows moved up past
   * the header, no second buffer; the builder is used no more then.
   */
  encode(of: SegmentOf, endingBy = Number.POSITIVE_INFINITY, overRows = false): Buffer {
    let keys = this.n;
    let namesEnd = this.namesUsed;
    while (keys > 0 && this.valueEnd(keys - 1) > endingBy) namesEnd -= this.rows.readUInt32LE(--keys * ROW);
    // The databases' runs of the keys kept (the first `keys`).
    const runs: [number, number][] = [];
    let left = keys;
    for (const [db, k] of this.runs) {
      if (left === 0) break;
      runs.push([db, Math.min(k, left)]);
      left -= Math.min(k, left);
    }
    const json = Buffer.from(JSON.stringify({ ...of, keys, runs }), 'utf8');
    const rowsAt = MAGIC.length + 4 + json.length;
    const bodyBytes = rowsAt + keys * ROW + namesEnd;
    const rows = this.rows;
    // One buffer of its own (not a pool's slice, so a worker can move it to another thread: the rows' buffer is one), written once.
    const inPlace = overRows && rows.byteOffset === 0 && rows.buffer.byteLength >= bodyBytes + SUM;
    const out = inPlace ? Buffer.from(rows.buffer, 0, bodyBytes + SUM) : Buffer.allocUnsafeSlow(bodyBytes + SUM);
    // The rows first: in place they move up past where the header goes (as memmove does).
    if (inPlace) out.copyWithin(rowsAt, 0, keys * ROW);
    else rows.copy(out, rowsAt, 0, keys * ROW);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(json.length, MAGIC.length);
    json.copy(out, MAGIC.length + 4);
    this.names.copy(out, rowsAt + keys * ROW, 0, namesEnd);
    new Crc64().update(out, 0, bodyBytes).writeLittleEndian(out, bodyBytes);
    return out;
  }
}

/** About the bytes of a segment of `keys` keys whose names take `nameBytes` (its header 1 KiB at most): what the worker's rows grow to. */
export function segmentBytesFor(keys: number, nameBytes: number): number {
  return MAGIC.length + 4 + 1024 + keys * ROW + nameBytes + SUM;
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
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const namesAt = rowsAt + h.keys * rowBytes;
  const whole = !legacy && appendsRows(keys) ? keys : undefined;
  let nameAt = namesAt;
  let stored = 0;
  let run = 0;
  let runLeft = runs[0]?.[1] ?? 0;
  for (let i = 0; i < h.keys; i++) {
    const p = rowsAt + i * rowBytes;
    const len = view.getUint32(p, true);
    const valueAt = legacy ? view.getFloat64(p + LEGACY_ROW.at, true) : valueAtOf(view, p);
    const valueEnd = legacy ? view.getFloat64(p + LEGACY_ROW.end, true) : valueAt + valueLengthOf(view, p);
    if (nameAt + len > body.length || !(of.start < valueAt && valueAt <= valueEnd && valueEnd <= of.end) || rowProblem(valueAt, valueEnd))
      return { problem: `its key ${i} lies outside it` };
    if (whole) stored += valueEnd - valueAt + len;
    else {
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
    }
    nameAt += len;
  }
  if (nameAt !== body.length) return { problem: 'its names do not add up to its length' };
  whole?.appendRows(body, rowsAt, h.keys, body, namesAt, nameAt, stored, runs);
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
