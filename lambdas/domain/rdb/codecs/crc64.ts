/**
 * CRC-64/Jones as Redis computes it for the RDB trailer: reflected, polynomial
 * 0xad93d23594c935a9, initial value 0, no final xor. The check value of
 * `"123456789"` is 0xe9c6d914c4b8d9ca.
 *
 * Verifying multi-GB exports is CPU-bound on this loop. Large updates run in
 * a small WebAssembly function with native 64-bit arithmetic (crc64-wasm.ts);
 * small ones, and runtimes without WebAssembly, use the JavaScript loop below,
 * which works on two unsigned 32-bit halves with slicing-by-8 tables so that
 * no BigInt arithmetic runs per byte. Both use the same tables.
 *
 * @see https://github.com/redis/redis/blob/unstable/src/crc64.c
 */

import { loadWasmCrc64, wasmCrc64Image, type WasmCrc64Image, type WasmCrc64Update } from './crc64-wasm.js';

/** The polynomial in the normal (MSB-first) form used in the CRC catalogues. */
export const CRC64_JONES_POLY = 0xad93d23594c935a9n;

/** Slices 0-7 serve the JavaScript loop (slicing-by-8), all 16 the WebAssembly one (slicing-by-16). */
const SLICES = 16;
/** TABLE_LO[k * 256 + b] / TABLE_HI[...]: low / high half of slice k's entry for byte b. */
const TABLE_LO = new Uint32Array(256 * SLICES);
const TABLE_HI = new Uint32Array(256 * SLICES);

function reflect64(value: bigint): bigint {
  let out = 0n;
  for (let i = 0; i < 64; i++) {
    out = (out << 1n) | ((value >> BigInt(i)) & 1n);
  }
  return out;
}

// In 32-bit halves, not BigInt: the tables are built when the module loads, on the way to the first byte of every
// verification and of the split's worker (with BigInt per bit and per entry, the module took 11–16 ms to load).
(function buildTables(): void {
  // A reflected CRC shifts right, so it uses the bit-reversed polynomial.
  const poly = reflect64(CRC64_JONES_POLY);
  const polyLo = Number(poly & 0xffffffffn);
  const polyHi = Number(poly >> 32n);
  for (let b = 0; b < 256; b++) {
    let lo = b;
    let hi = 0;
    for (let i = 0; i < 8; i++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi >>>= 1;
      if (carry) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    TABLE_LO[b] = lo;
    TABLE_HI[b] = hi;
  }
  // Slice k: the effect of byte b followed by k zero bytes.
  for (let k = 1; k < SLICES; k++) {
    for (let b = 0; b < 256; b++) {
      const prevLo = TABLE_LO[(k - 1) * 256 + b]!;
      const prevHi = TABLE_HI[(k - 1) * 256 + b]!;
      const idx = prevLo & 0xff;
      TABLE_LO[k * 256 + b] = (((prevLo >>> 8) | (prevHi << 24)) ^ TABLE_LO[idx]!) >>> 0;
      TABLE_HI[k * 256 + b] = ((prevHi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
    }
  }
})();

const wasm = loadWasmCrc64(TABLE_LO, TABLE_HI);
const wasmUpdate = wasm?.update;
/** Below this many bytes the JavaScript loop is cheaper than the call and the copy into WebAssembly memory. */
const WASM_MIN_BYTES = 256;

/**
 * An incremental CRC-64/Jones. Feed bytes with {@link Crc64.update} in any
 * chunking; the result does not depend on chunk boundaries.
 */
export class Crc64 {
  /**
   * The register's low and high 32 bits. A typed array, not two number
   * fields: a field that starts as a small integer and later holds a 32-bit
   * value above 2^31 changes representation, which changes the class's map
   * under code already optimized for it; the parser's feed, compiled for
   * the old map, then fell back to the interpreter at its CRC-64 update once
   * per chunk read (28 times a conversion of the bench file: bench/README.md,
   * convert-rdb, 2026-11-26 04:30).
   */
  private readonly s = new Uint32Array(2);

  /** Whether large updates run in WebAssembly (false: the JavaScript loop only). */
  static readonly usesWebAssembly = wasmUpdate !== undefined;

  /** Adds `data[start, end)` to the checksum. Returns `this`. */
  update(data: Uint8Array, start = 0, end = data.length): this {
    if (wasmUpdate !== undefined && end - start >= WASM_MIN_BYTES) {
      wasmUpdate(this.s[0]!, this.s[1]!, data, start, end, this.s);
      return this;
    }
    const s = this.s;
    let lo = s[0]!;
    let hi = s[1]!;
    let i = start;
    const T_LO = TABLE_LO;
    const T_HI = TABLE_HI;
    // Slicing-by-8: fold eight input bytes into the register per step.
    const fastEnd = end - 8;
    while (i <= fastEnd) {
      const a = (lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
      const b = (hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0;
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = (T_LO[i7]! ^ T_LO[i6]! ^ T_LO[i5]! ^ T_LO[i4]! ^ T_LO[i3]! ^ T_LO[i2]! ^ T_LO[i1]! ^ T_LO[i0]!) >>> 0;
      hi = (T_HI[i7]! ^ T_HI[i6]! ^ T_HI[i5]! ^ T_HI[i4]! ^ T_HI[i3]! ^ T_HI[i2]! ^ T_HI[i1]! ^ T_HI[i0]!) >>> 0;
      i += 8;
    }
    while (i < end) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ T_LO[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ T_HI[idx]!) >>> 0;
      i++;
    }
    s[0] = lo;
    s[1] = hi;
    return this;
  }

  /** Starts again from nothing (a checksum object reused). Returns `this`. */
  reset(): this {
    this.s.fill(0);
    return this;
  }

  /** An independent copy of the checksum state. */
  clone(): Crc64 {
    const copy = new Crc64();
    copy.s.set(this.s);
    return copy;
  }

  /** A checksum that continues from `value` (the {@link Crc64.value} of the bytes before): a verification resumed from a checkpoint. */
  static resume(value: bigint): Crc64 {
    if (value < 0n || value >= 1n << 64n) throw new RangeError(`a CRC-64 state is an unsigned 64-bit value, got ${value}`);
    const crc = new Crc64();
    crc.s[0] = Number(value & 0xffffffffn);
    crc.s[1] = Number(value >> 32n);
    return crc;
  }

  /** The checksum so far as an unsigned 64-bit BigInt. */
  get value(): bigint {
    return (BigInt(this.s[1]!) << 32n) | BigInt(this.s[0]!);
  }

  /** Writes the checksum so far as 8 bytes little-endian (as Redis writes it) into `into` at `at`. */
  writeLittleEndian(into: Uint8Array, at: number): void {
    const lo = this.s[0]!;
    const hi = this.s[1]!;
    into[at] = lo & 0xff;
    into[at + 1] = (lo >>> 8) & 0xff;
    into[at + 2] = (lo >>> 16) & 0xff;
    into[at + 3] = lo >>> 24;
    into[at + 4] = hi & 0xff;
    into[at + 5] = (hi >>> 8) & 0xff;
    into[at + 6] = (hi >>> 16) & 0xff;
    into[at + 7] = hi >>> 24;
  }

  /** Whether the checksum so far equals the 8-byte little-endian `trailer` (as Redis writes it). */
  matchesLittleEndian(trailer: Uint8Array): boolean {
    if (trailer.length !== 8) return false;
    const lo = (trailer[0]! | (trailer[1]! << 8) | (trailer[2]! << 16) | (trailer[3]! << 24)) >>> 0;
    const hi = (trailer[4]! | (trailer[5]! << 8) | (trailer[6]! << 16) | (trailer[7]! << 24)) >>> 0;
    return lo === this.s[0] && hi === this.s[1];
  }
}

/**
 * A CRC-64 with an instance of the WebAssembly loop of its own and an area of
 * that instance's memory given to its owner for good: bytes the owner gathers
 * there (write/rdb-file.ts: the output chunks a writer fills) are checksummed
 * in place. The shared loop's one area is lent to whoever reads a file
 * ({@link borrowCrc64InputArea}), and a conversion reads while it writes: its
 * writer's chunks, in buffers of their own, were copied into the shared
 * loop's memory piece by piece before each checksum (a copy of every byte
 * written; a few ms per 50 MB: bench/README.md, convert-rdb, 2026-11-26 06:00).
 * A second instance of the loop's compiled module costs its 256 KiB of
 * memory, once per writer (the code is the shared loop's, optimized already).
 * Undefined without WebAssembly (then a {@link Crc64} over buffers of the
 * owner's own does the same work).
 */
export class Crc64WithArea {
  private readonly s = new Uint32Array(2);

  private constructor(
    private readonly run: WasmCrc64Update,
    /** The bytes given to the owner (never moved: the instance's memory does not grow again). */
    readonly area: Uint8Array,
  ) {}

  /** A checksum with an area of `bytes`; undefined where WebAssembly is unavailable. */
  static make(bytes: number): Crc64WithArea | undefined {
    const own = wasm?.another();
    return own && new Crc64WithArea(own.update, own.inputArea(bytes));
  }

  /** Adds `data[start, end)` to the checksum (read in place where it lies in {@link area}, else copied in). Returns `this`. */
  update(data: Uint8Array, start = 0, end = data.length): this {
    this.run(this.s[0]!, this.s[1]!, data, start, end, this.s);
    return this;
  }

  /** A checksum going on from this one's bytes with an area of `bytes` of its own (this one's area is left to whoever holds views of it); undefined without WebAssembly. */
  withArea(bytes: number): Crc64WithArea | undefined {
    const next = Crc64WithArea.make(bytes);
    next?.s.set(this.s);
    return next;
  }

  /** The checksum so far, as {@link Crc64.writeLittleEndian} writes it. */
  writeLittleEndian(into: Uint8Array, at: number): void {
    const lo = this.s[0]!;
    const hi = this.s[1]!;
    for (let k = 0; k < 4; k++) {
      into[at + k] = (lo >>> (8 * k)) & 0xff;
      into[at + 4 + k] = (hi >>> (8 * k)) & 0xff;
    }
  }
}

/** CRC-64/Jones of `data` as an unsigned 64-bit BigInt. */
export function crc64(data: Uint8Array): bigint {
  return new Crc64().update(data).value;
}

/** Whether the input area is lent out (one reader at a time). */
let inputAreaTaken = false;
/** The input area, once made (it stays: memory of a WebAssembly instance does not shrink). */
let inputArea: Uint8Array | undefined;

/**
 * Lends `bytes` of the CRC loop's own memory for the caller to read file
 * chunks into: {@link Crc64.update} on bytes there checksums them in place,
 * with no copy. Undefined without WebAssembly, or while another caller
 * holds it (one at a time). One area serves every size asked so far: a
 * larger request grows the module's memory once, a smaller one gets the
 * start of the area (a process verifies files with one chunk size, and its
 * tests with several). Give it back with {@link returnCrc64InputArea}.
 */
export function borrowCrc64InputArea(bytes: number): Uint8Array | undefined {
  if (wasm === undefined || inputAreaTaken) return undefined;
  // A view of memory that grew since is detached (length 0): it is replaced too.
  if (inputArea === undefined || inputArea.length < bytes) inputArea = wasm.inputArea(bytes);
  inputAreaTaken = true;
  return inputArea.subarray(0, bytes);
}

/** Gives back what {@link borrowCrc64InputArea} lent. */
export function returnCrc64InputArea(area: Uint8Array): void {
  if (inputArea !== undefined && area.buffer === inputArea.buffer && area.byteOffset === inputArea.byteOffset) inputAreaTaken = false;
}

/**
 * The WebAssembly CRC-64 loop with its tables, for a thread that checksums
 * beside the parser (adapters/host/crc64-thread.ts); undefined where this runtime
 * runs the JavaScript loop (no WebAssembly).
 */
export function crc64WasmImage(): WasmCrc64Image | undefined {
  return wasmUpdate === undefined ? undefined : wasmCrc64Image(TABLE_LO, TABLE_HI);
}

/** The message of a trailer that does not match the checksum computed over the bytes before it. */
export function crcMismatch(trailer: Uint8Array, computed: Crc64): string {
  const stored = new DataView(trailer.buffer, trailer.byteOffset, 8).getBigUint64(0, true);
  return `CRC-64 mismatch: trailer 0x${stored.toString(16)}, computed 0x${computed.value.toString(16)}`;
}
