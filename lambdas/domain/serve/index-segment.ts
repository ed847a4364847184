/**
 * One invocation's part of a DR copy's key index, when the verifier reads
 * the copy across several invocations (a checkpoint between each): the keys
 * that invocation's bytes held, put beside the copy under its lock, and
 * stitched into the copy's index (`<copy>.keys`, index-file.ts) by the
 * invocation that ends the verification. Pure: keys in, bytes out.
 *
 * Layout (little-endian): `RDRKSEG1`; a u32 length and a JSON
 * {@link SegmentOf}; per key its row (index-file.ts's {@link ROW} layout);
 * the names; the SHA-256 of every byte before it.
 */
import { createHash } from 'node:crypto';
import { ROW } from './index-file.js';
import { copyBytes, type KeyPlaces } from '../rdb/keys.js';
import type { IndexedKey } from './key-index.js';

const MAGIC = 'RDRKSEG1';

/** Which copy's bytes a segment indexes: the object's version and the byte range its keys lie in. */
export interface SegmentOf {
  readonly etag: string | undefined;
  readonly versionId: string | undefined;
  /** The copy's bytes [start, end) this invocation read (its keys lie there). */
  readonly start: number;
  readonly end: number;
}

/**
 * Collects a segment's keys in file order, as rows and names (no object a
 * key: the DR verifier's second thread collects half a copy's keys here),
 * and encodes those whose values end by a given offset.
 */
export class KeySegmentBuilder implements KeyPlaces {
  private rows: Buffer = Buffer.allocUnsafe(ROW * 1024);
  private view = new DataView(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength);
  private names: Buffer = Buffer.allocUnsafe(1 << 16);
  private namesUsed = 0;
  private n = 0;

  /** Keys added. */
  get size(): number {
    return this.n;
  }

  /** Adds one key (file order). */
  add(k: IndexedKey): void {
    this.place(k.db, k.type, k.name, 0, k.name.length, k.valueAt, k.valueEnd, k.expireAtMs ?? Number.NaN);
  }

  /** Adds one key (file order), its name copied from the view: its row written where it lies. */
  place(db: number, type: number, name: Uint8Array, nameFrom: number, nameTo: number, valueAt: number, valueEnd: number, expireAt: number): void {
    const len = nameTo - nameFrom;
    if ((this.n + 1) * ROW > this.rows.length) {
      this.rows = grown(this.rows, (this.n + 1) * ROW, this.n * ROW);
      this.view = new DataView(this.rows.buffer, this.rows.byteOffset, this.rows.byteLength);
    }
    if (this.namesUsed + len > this.names.length) this.names = grown(this.names, this.namesUsed + len, this.namesUsed);
    const p = this.n++ * ROW;
    const view = this.view;
    view.setUint32(p, len, true);
    view.setUint32(p + 4, db, true);
    this.rows[p + 8] = type;
    view.setFloat64(p + 9, valueAt, true);
    view.setFloat64(p + 17, valueEnd, true);
    view.setFloat64(p + 25, expireAt, true);
    copyBytes(name, nameFrom, nameTo, this.names, this.namesUsed);
    this.namesUsed += len;
  }

  /** The segment `of` of the keys added whose values end by `endingBy` (added in file order: those past it are the last ones). */
  encode(of: SegmentOf, endingBy = Number.POSITIVE_INFINITY): Buffer {
    let keys = this.n;
    let namesEnd = this.namesUsed;
    while (keys > 0 && this.rows.readDoubleLE((keys - 1) * ROW + 17) > endingBy) namesEnd -= this.rows.readUInt32LE(--keys * ROW);
    const json = Buffer.from(JSON.stringify({ ...of, keys }), 'utf8');
    // One buffer of its own (not a pool's slice, so a worker can move it to another thread), written once.
    const bodyBytes = MAGIC.length + 4 + json.length + keys * ROW + namesEnd;
    const out = Buffer.allocUnsafeSlow(bodyBytes + 32);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(json.length, MAGIC.length);
    let at = MAGIC.length + 4;
    at += json.copy(out, at);
    at += this.rows.copy(out, at, 0, keys * ROW);
    this.names.copy(out, at, 0, namesEnd);
    createHash('sha256').update(out.subarray(0, bodyBytes)).digest().copy(out, bodyBytes);
    return out;
  }
}

/** `b` in a buffer of at least `need` bytes (doubled), its first `used` bytes kept. */
function grown(b: Buffer, need: number, used: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(need, b.length * 2));
  b.copy(bigger, 0, 0, used);
  return bigger;
}

/** The segment of `keys` (each lying within [of.start, of.end)). */
export function encodeKeySegment(of: SegmentOf, keys: readonly IndexedKey[]): Buffer {
  const builder = new KeySegmentBuilder();
  for (const k of keys) builder.add(k);
  return builder.encode(of);
}

/**
 * A segment read back and checked (its SHA-256, that it indexes `of`: the
 * same object version and byte range, every key within it), each key handed
 * to `keys` (its name a view of `file`, for the call only: no object a
 * key); or why it cannot be used (the caller then writes no index).
 */
export function decodeKeySegment(file: Buffer, of: SegmentOf, keys: KeyPlaces): { readonly problem: string } | undefined {
  if (file.length < MAGIC.length + 4 + 32 || file.toString('latin1', 0, MAGIC.length) !== MAGIC) return { problem: 'not a key index segment' };
  const body = file.subarray(0, file.length - 32);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(file.subarray(file.length - 32))
  )
    return { problem: 'its SHA-256 does not match its bytes (damaged)' };
  const jsonLen = body.readUInt32LE(MAGIC.length);
  let h: SegmentOf & { keys: number };
  try {
    h = JSON.parse(body.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + jsonLen)) as SegmentOf & { keys: number };
  } catch {
    return { problem: 'its header is not JSON' };
  }
  if (h.etag !== of.etag || h.versionId !== of.versionId || h.start !== of.start || h.end !== of.end)
    return { problem: `it indexes bytes [${h.start}, ${h.end}) of ETag ${h.etag}, not [${of.start}, ${of.end}) of ETag ${of.etag}` };
  const rowsAt = MAGIC.length + 4 + jsonLen;
  if (!(Number.isInteger(h.keys) && h.keys >= 0 && rowsAt + h.keys * ROW <= body.length)) return { problem: 'its rows do not fit in it' };
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let nameAt = rowsAt + h.keys * ROW;
  for (let i = 0; i < h.keys; i++) {
    const p = rowsAt + i * ROW;
    const len = view.getUint32(p, true);
    const valueAt = view.getFloat64(p + 9, true);
    const valueEnd = view.getFloat64(p + 17, true);
    if (nameAt + len > body.length || !(of.start < valueAt && valueAt <= valueEnd && valueEnd <= of.end)) return { problem: `its key ${i} lies outside it` };
    keys.place(view.getUint32(p + 4, true), body[p + 8]!, body, nameAt, nameAt + len, valueAt, valueEnd, view.getFloat64(p + 25, true));
    nameAt += len;
  }
  return nameAt === body.length ? undefined : { problem: 'its names do not add up to its length' };
}
