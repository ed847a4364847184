/**
 * PFCOUNT of HyperLogLog values as Redis 7.0 answers it (src/hyperloglog.c),
 * for `serve`: a string whose bytes are an HLL (header `HYLL`, a dense or a
 * sparse encoding) is counted by the same estimator (Ertl's, Redis 5.0 on),
 * from the same register histogram, in the same double arithmetic, so the
 * number is the server's. Pure: the values come in, nothing is written (a
 * server caches the count it computes in the value's header; a recovery point
 * is read-only, so an uncached count is computed on each request). The 7.0
 * followed is a patched one: a sparse value's run past the last register is
 * refused in a merge too (CVE-2025-32023's fix, see mergeSparse).
 *
 * Hand-written: no npm library reads Redis's HLL encodings (they are Redis's own).
 */

/** Registers of a Redis HLL (2^14) and the bits of one dense register. */
const P = 14;
const REGISTERS = 1 << P;
const Q = 64 - P;
const HEADER_BYTES = 16;
const DENSE_BYTES = HEADER_BYTES + ((REGISTERS * 6 + 7) >> 3);
const ALPHA_INF = 0.7213475204444817; // 0.721347520444481703680 in Redis: the same double

/** What PFCOUNT answers: a count (64 bits: a bigint, its digits exact), or why a value is refused (the reply's words are the caller's). */
export type HllCount = { readonly count: bigint } | { readonly refused: 'not-hll' | 'corrupt' };

/** LLONG_MIN: what 7.0 on x86-64 answers for an estimate llroundl cannot represent (infinite, NaN, 2^63 or more). */
const LLONG_MIN = -(2n ** 63n);

/** Whether `v` is a HyperLogLog value Redis 7.0 counts (isHLLObjectOrReply): magic, a known encoding, a dense one's exact size. */
export function isHll(v: Uint8Array): boolean {
  if (v.length < HEADER_BYTES || v[0] !== 0x48 || v[1] !== 0x59 || v[2] !== 0x4c || v[3] !== 0x4c) return false;
  const encoding = v[4]!;
  return encoding === 0 ? v.length === DENSE_BYTES : encoding === 1;
}

/** PFCOUNT of one key's value (null: missing): its cached count when the header holds a valid one, else its estimate. */
export function pfcountOne(v: Uint8Array | null): HllCount {
  if (v === null) return { count: 0n };
  if (!isHll(v)) return { refused: 'not-hll' };
  // The cache: 8 bytes little-endian at offset 8, its top bit set when stale (HLL_VALID_CACHE); valid, below 2^63, exact.
  if ((v[15]! & 0x80) === 0) return { count: Buffer.from(v.buffer, v.byteOffset + 8, 8).readBigUInt64LE() };
  // A sparse value whose runs do not cover every register is corrupt.
  const histogram = v[4] === 0 ? denseHistogram(v) : sparseHistogram(v);
  return histogram ? { count: estimate(histogram) } : { refused: 'corrupt' };
}

/** PFCOUNT of several keys: each value merged in the order asked (the largest of each register), then counted. */
export class HllMerge {
  private readonly registers = new Uint8Array(REGISTERS);

  /** Merges a key's value (null: missing, skipped); why it is refused, else undefined. */
  add(v: Uint8Array | null): 'not-hll' | 'corrupt' | undefined {
    if (v === null) return undefined;
    if (!isHll(v)) return 'not-hll';
    return (v[4] === 0 ? mergeDense(v, this.registers) : mergeSparse(v, this.registers)) ? undefined : 'corrupt';
  }

  count(): bigint {
    const histogram = new Array<number>(64).fill(0);
    for (const r of this.registers) histogram[r]!++;
    return estimate(histogram);
  }
}

/** Register `i` of a dense value (HLL_DENSE_GET_REGISTER: 6 bits, least significant first; a byte past the end reads 0). */
function denseRegister(v: Uint8Array, i: number): number {
  const bit = i * 6;
  const byte = HEADER_BYTES + (bit >> 3);
  const shift = bit & 7;
  return ((v[byte]! >> shift) | ((v[byte + 1] ?? 0) << (8 - shift))) & 63;
}

function denseHistogram(v: Uint8Array): number[] {
  const histogram = new Array<number>(64).fill(0);
  for (let i = 0; i < REGISTERS; i++) histogram[denseRegister(v, i)]!++;
  return histogram;
}

function mergeDense(v: Uint8Array, registers: Uint8Array): boolean {
  for (let i = 0; i < REGISTERS; i++) registers[i] = Math.max(registers[i]!, denseRegister(v, i));
  return true;
}

/**
 * A sparse value's runs (hllSparseRegHisto's opcodes: ZERO `00xxxxxx`, XZERO
 * `01xxxxxx yyyyyyyy`, VAL `1vvvvvxx`), each as (registers, value); the
 * second byte of an XZERO past the end reads 0 (Redis reads the string's
 * terminating zero there).
 */
function* sparseRuns(v: Uint8Array): Generator<readonly [number, number]> {
  for (let p = HEADER_BYTES; p < v.length; ) {
    const op = v[p]!;
    if ((op & 0xc0) === 0) {
      yield [(op & 0x3f) + 1, 0];
      p += 1;
    } else if ((op & 0xc0) === 0x40) {
      yield [(((op & 0x3f) << 8) | (v[p + 1] ?? 0)) + 1, 0];
      p += 2;
    } else {
      yield [(op & 0x03) + 1, ((op >> 2) & 0x1f) + 1];
      p += 1;
    }
  }
}

/** A sparse value's histogram, or undefined when its runs cover other than every register (Redis: INVALIDOBJ). */
function sparseHistogram(v: Uint8Array): number[] | undefined {
  const histogram = new Array<number>(64).fill(0);
  let registers = 0;
  for (const [n, value] of sparseRuns(v)) {
    registers += n;
    histogram[value]! += n;
  }
  return registers === REGISTERS ? histogram : undefined;
}

/**
 * hllMerge of a sparse value: false where its runs cover other than every register, or any run (ZERO, XZERO or VAL)
 * goes past the last one. That is the fix of CVE-2025-32023 (Redis 7.2.10, 7.4.5, 8.0.3, Valkey; backported into
 * distributions' 7.0 builds, Debian's 7.0.15-1~deb12u10 among them), which every patched server answers INVALIDOBJ;
 * upstream 7.0.15's source stopped at a VAL run past the end and took the value when the runs before it covered
 * every register.
 */
function mergeSparse(v: Uint8Array, registers: Uint8Array): boolean {
  let i = 0;
  for (const [n, value] of sparseRuns(v)) {
    if (i + n > REGISTERS) return false;
    if (value === 0) {
      i += n;
      continue;
    }
    for (let end = i + n; i < end; i++) if (value > registers[i]!) registers[i] = value;
  }
  return i === REGISTERS;
}

/** hllSigma: the series of the estimator's low end (Infinity at 1). */
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

/** hllTau: the series of the estimator's high end (0 at 0 and 1). Redis's pow(1 - x, 2) is the product, correctly rounded alike. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (previous !== z);
  return z / 3;
}

/**
 * hllCount's estimate from the register histogram: llroundl of a positive double (half away from zero, as Math.round
 * for these), its exact integer as a bigint (a double past 2^53 is printed by its digits, not JavaScript's shortest
 * form); one llroundl cannot represent (registers crafted high: z underflows or the quotient is 2^63 or more) is
 * LLONG_MIN, as 7.0 on x86-64 answers (`:-9223372036854775808`).
 */
function estimate(histogram: readonly number[]): bigint {
  const m = REGISTERS;
  let z = m * tau((m - histogram[Q + 1]!) / m);
  for (let j = Q; j >= 1; --j) {
    z += histogram[j]!;
    z *= 0.5;
  }
  z += m * sigma(histogram[0]! / m);
  const e = Math.round((ALPHA_INF * m * m) / z);
  return e < 2 ** 63 ? BigInt(e) : LLONG_MIN;
}
