/**
 * A byte-wise equality for `toEqual`/`toStrictEqual`/`toMatchObject` on Buffers
 * and integer typed arrays of the same class. Vitest's generic `equals` walks a
 * typed array index by index through its recursive comparer: an array of
 * read-back payloads of a few hundred KB took 3–4 s per assertion (seven of them
 * made test/lambdas/domain/rdb/keys.test.ts's chunking test 22 s). Comparing
 * the bytes at once gives the same verdict.
 *
 * Left to vitest's own rules: arrays of different classes (a Buffer against a
 * Uint8Array, so `toStrictEqual` still tells them apart), float arrays (NaN
 * and -0 compare by value there, not by bits) and DataViews.
 */
export function bytesEqual(a: unknown, b: unknown): boolean | undefined {
  if (!isIntegerArray(a) || !isIntegerArray(b)) return undefined;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return undefined;
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function isIntegerArray(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof Float32Array) && !(v instanceof Float64Array);
}
