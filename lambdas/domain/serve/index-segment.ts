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

/** The segment of `keys` (each lying within [of.start, of.end)). */
export function encodeKeySegment(of: SegmentOf, keys: readonly IndexedKey[]): Buffer {
  const json = Buffer.from(JSON.stringify({ ...of, keys: keys.length }), 'utf8');
  const head = Buffer.alloc(MAGIC.length + 4);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, MAGIC.length);
  const rows = Buffer.alloc(keys.length * ROW);
  keys.forEach((k, i) => {
    const p = i * ROW;
    rows.writeUInt32LE(k.name.length, p);
    rows.writeUInt32LE(k.db, p + 4);
    rows.writeUInt8(k.type, p + 8);
    rows.writeDoubleLE(k.valueAt, p + 9);
    rows.writeDoubleLE(k.valueEnd, p + 17);
    rows.writeDoubleLE(k.expireAtMs ?? Number.NaN, p + 25);
  });
  const body = Buffer.concat([head, json, rows, ...keys.map((k) => k.name)]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/**
 * A segment read back and checked (its SHA-256, that it indexes `of`: the
 * same object version and byte range, every key within it), each key handed
 * to `add`; or why it cannot be used (the caller then writes no index).
 */
export function decodeKeySegment(file: Buffer, of: SegmentOf, add: (key: IndexedKey) => void): { readonly problem: string } | undefined {
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
  let nameAt = rowsAt + h.keys * ROW;
  for (let i = 0; i < h.keys; i++) {
    const p = rowsAt + i * ROW;
    const len = body.readUInt32LE(p);
    const valueAt = body.readDoubleLE(p + 9);
    const valueEnd = body.readDoubleLE(p + 17);
    const expiry = body.readDoubleLE(p + 25);
    if (nameAt + len > body.length || !(of.start < valueAt && valueAt <= valueEnd && valueEnd <= of.end)) return { problem: `its key ${i} lies outside it` };
    add({
      db: body.readUInt32LE(p + 4),
      name: body.subarray(nameAt, nameAt + len),
      type: body.readUInt8(p + 8),
      valueAt,
      valueEnd,
      expireAtMs: Number.isNaN(expiry) ? null : expiry,
    });
    nameAt += len;
  }
  return nameAt === body.length ? undefined : { problem: 'its names do not add up to its length' };
}
