/**
 * CRC-64/Jones of a concatenation from the CRCs of its parts: two threads
 * each checksum one part of an RDB file (adapters/host/rdb-split-worker.ts)
 * and the trailer is judged against the whole file's CRC.
 *
 * The method is zlib's `crc32_combine`: appending n zero bytes to a message
 * is a linear map on the CRC register over GF(2); its 64 × 64 matrix for
 * one zero bit is built from the polynomial, squared to get the map for 2,
 * 4, 8, … zero bits, and the maps for the set bits of n are applied. With
 * Redis's parameters (reflected, initial value 0, no final xor) the CRC of
 * A‖B is then shift(crc(A), |B|) xor crc(B). The squared matrices are kept
 * (they depend on nothing else), so later combines cost only the applying.
 *
 * @see https://github.com/madler/zlib/blob/v1.2.13/crc32.c (crc32_combine)
 */
import { CRC64_JONES_POLY } from './crc64.js';

/** A 64 × 64 GF(2) matrix: entry n is the image of bit n. */
type Gf2Matrix = readonly bigint[];

function times(mat: Gf2Matrix, vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i]!;
  return sum;
}

function square(mat: Gf2Matrix): Gf2Matrix {
  return mat.map((row) => times(mat, row));
}

/** OPERATORS[k]: the map for 2^k zero bytes (k from 0), made as they are first needed. */
const OPERATORS: Gf2Matrix[] = [];

function operator(k: number): Gf2Matrix {
  if (OPERATORS.length === 0) {
    // One zero bit: a reflected CRC shifts right and folds the reflected polynomial in when bit 0 was set.
    let reflected = 0n;
    for (let i = 0; i < 64; i++) reflected = (reflected << 1n) | ((CRC64_JONES_POLY >> BigInt(i)) & 1n);
    let mat: Gf2Matrix = [reflected, ...Array.from({ length: 63 }, (_, n) => 1n << BigInt(n))];
    for (let bits = 1; bits < 8; bits *= 2) mat = square(mat); // 2, 4, 8 zero bits: one zero byte
    OPERATORS.push(mat);
  }
  while (OPERATORS.length <= k) OPERATORS.push(square(OPERATORS.at(-1)!));
  return OPERATORS[k]!;
}

/**
 * The CRC-64/Jones of A‖B from `crcA` (of A), `crcB` (of B) and B's length
 * in bytes (0 ≤ `lengthB` < 2^53).
 */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`a length to combine CRCs over is a whole number of bytes, got ${lengthB}`);
  let crc = crcA;
  for (let k = 0, n = lengthB; n > 0; k++, n = Math.floor(n / 2)) if (n % 2 === 1) crc = times(operator(k), crc);
  return crc ^ crcB;
}
