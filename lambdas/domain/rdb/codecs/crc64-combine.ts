/**
 * CRC-64/Jones of a concatenation from the CRCs of its parts: two threads
 * each checksum one part of an RDB file (adapters/host/rdb-split-worker.ts)
 * and the trailer is judged against the whole file's CRC.
 *
 * The method is zlib's `crc32_combine` since 1.2.12, for 64 bits: with
 * Redis's parameters (reflected, initial value 0, no final xor) the CRC of
 * A‖B is crc(A) · x^(8·|B|) mod P, xor crc(B), where the product is of
 * polynomials over GF(2) modulo the CRC's polynomial P. x^(8·|B|) mod P is
 * the product of the powers x^(2^k) mod P for the set bits of 8·|B|, each
 * the square of the one before (kept once made). A multiplication is 64
 * shift-and-xor steps: a combine costs a few thousand of them instead of
 * the 64 × 64 bit-matrix squarings of zlib's older method (which took
 * 7–15 ms of the split verification's merge, on its one thread, in BigInt).
 *
 * @see https://github.com/madler/zlib/blob/v1.3.1/crc32.c (multmodp, x2nmodp, crc32_combine64)
 */
import { CRC64_JONES_POLY } from './crc64.js';

const TOP = 1n << 63n;

/** The polynomial bit-reversed, as a reflected CRC register holds it (x^0 in bit 63). */
const POLY_REFLECTED = (() => {
  let reflected = 0n;
  for (let i = 0; i < 64; i++) reflected = (reflected << 1n) | ((CRC64_JONES_POLY >> BigInt(i)) & 1n);
  return reflected;
})();

/** a · b mod P, both reflected (x^0 in bit 63). */
function multiplyModP(a: bigint, b: bigint): bigint {
  let product = 0n;
  for (let m = TOP; m !== 0n; m >>= 1n) {
    if ((a & m) !== 0n) {
      product ^= b;
      if ((a & (m - 1n)) === 0n) break; // no lower term left in a
    }
    // b times x: one step of the register.
    b = (b & 1n) !== 0n ? (b >> 1n) ^ POLY_REFLECTED : b >> 1n;
  }
  return product;
}

/** POWERS[k]: x^(2^k) mod P, reflected, made as they are first needed. */
const POWERS: bigint[] = [TOP >> 1n]; // x^1

function power(k: number): bigint {
  while (POWERS.length <= k) {
    const last = POWERS.at(-1)!;
    POWERS.push(multiplyModP(last, last));
  }
  return POWERS[k]!;
}

/**
 * The CRC-64/Jones of A‖B from `crcA` (of A), `crcB` (of B) and B's length
 * in bytes (0 ≤ `lengthB` < 2^53).
 */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`a length to combine CRCs over is a whole number of bytes, got ${lengthB}`);
  // x^(8 · lengthB): the bits of lengthB, from x^(2^3) on.
  let shift = TOP; // x^0
  for (let k = 3, n = lengthB; n > 0; k++, n = Math.floor(n / 2)) if (n % 2 === 1) shift = multiplyModP(power(k), shift);
  return multiplyModP(shift, crcA) ^ crcB;
}
