/** Little-endian (and one big-endian) integer reads of the compact encodings, without a DataView per entry. */

export function u16le(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

export function u32le(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

export function u32be(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** Little-endian signed integers of 2, 4 and 8 bytes. */
export function i16le(b: Uint8Array, p: number): number {
  return ((b[p]! | (b[p + 1]! << 8)) << 16) >> 16;
}
export function i32le(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}
export function i64le(b: Uint8Array, p: number): bigint {
  return (BigInt(i32le(b, p + 4)) << 32n) | BigInt(u32le(b, p));
}

/**
 * An integer's decimal text (as the server answers an integer-encoded
 * element) written at the end of `into` (24 bytes hold any 64-bit one),
 * without building a string for the common ones; returns where it starts.
 */
export function decimalInto(value: number | bigint, into: Uint8Array): number {
  if (typeof value === 'bigint' || value < -0x7fffffff || value > 0x7fffffff) {
    const text = String(value);
    const at = into.length - text.length;
    for (let i = 0; i < text.length; i++) into[at + i] = text.charCodeAt(i);
    return at;
  }
  let n = value < 0 ? -value : value;
  let at = into.length;
  do {
    into[--at] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  if (value < 0) into[--at] = 45;
  return at;
}
