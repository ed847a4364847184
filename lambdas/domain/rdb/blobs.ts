/**
 * Validators for the compact encodings Redis stores inside RDB strings:
 * LZF-compressed strings (decompressed, or only checked), ziplists,
 * listpacks, intsets and zipmaps. Each one
 * checks the blob's own header, every entry's bounds and the end marker, and
 * throws {@link RdbFormatError} on the first inconsistency. They never read
 * outside the blob and never allocate more than the caller asked for.
 *
 * @see https://github.com/redis/redis/blob/unstable/src/ziplist.c
 * @see https://github.com/redis/redis/blob/unstable/src/listpack.c
 */

import { loadWasmLzf, MAX_BYTES as WASM_LZF_MAX_BYTES } from './lzf-wasm.js';

/** A structural problem in the RDB input (not a bug in the verifier). */
export class RdbFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RdbFormatError';
  }
}

/**
 * A file in a format this verifier does not know (a newer RDB version, an
 * envelope or codec it cannot read): it cannot be judged, so it is neither
 * valid nor corrupt. `version` is the RDB (or envelope) version found and
 * `writtenBy` names what writes it, as far as can be told.
 */
export class RdbUnsupportedError extends RdbFormatError {
  constructor(
    readonly version: number,
    readonly writtenBy: string,
    detail?: string,
  ) {
    super(`unsupported format (version ${version}, written by ${writtenBy})${detail ? `: ${detail}` : ''}`);
    this.name = 'RdbUnsupportedError';
  }
}

function fail(message: string): never {
  throw new RdbFormatError(message);
}

function u16le(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function u32be(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/**
 * Decompresses an LZF stream into exactly `expectedLength` bytes, failing on
 * any reference outside the output, any read past the input, or a result of
 * another size. The output goes into `into` when given (at least
 * `expectedLength` bytes long; the result is a view of it), else into a new buffer.
 */
export function lzfDecompress(input: Uint8Array, expectedLength: number, into?: Uint8Array): Uint8Array {
  const out = into && into.length >= expectedLength ? into.subarray(0, expectedLength) : new Uint8Array(expectedLength);
  const inLen = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inLen) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      // Literal run of ctrl + 1 bytes.
      const run = ctrl + 1;
      if (ip + run > inLen) fail(`LZF literal run of ${run} bytes reads past the compressed input`);
      if (op + run > expectedLength) fail(`LZF output exceeds the declared length ${expectedLength}`);
      // At most 32 bytes: a loop beats creating a subarray to copy from.
      for (let i = 0; i < run; i++) out[op++] = input[ip++]!;
    } else {
      // Back reference: length in the top 3 bits (7 = extended), 13-bit distance.
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) {
        if (ip >= inLen) fail('LZF back reference length reads past the compressed input');
        len += input[ip++]!;
      }
      if (ip >= inLen) fail('LZF back reference distance reads past the compressed input');
      ref -= input[ip++]!;
      len += 2;
      if (op + len > expectedLength) fail(`LZF output exceeds the declared length ${expectedLength}`);
      if (ref < 0) fail('LZF back reference points before the start of the output');
      for (let i = 0; i < len; i++) out[op++] = out[ref++]!;
    }
  }
  if (op !== expectedLength) fail(`LZF output is ${op} bytes, declared ${expectedLength}`);
  return out;
}

const wasmLzf = loadWasmLzf();
/** Reused output of {@link lzfDecompressTransient} where WebAssembly is unavailable. */
const transientOutput = new Uint8Array(WASM_LZF_MAX_BYTES);

/**
 * {@link lzfDecompress} for a blob that is validated and dropped at once: the
 * result may live in a reused buffer and is valid only until the next call.
 * Blobs up to 64 KiB (Redis's listpack and ziplist nodes are 8 KiB by
 * default) are expanded in WebAssembly where available; corrupt ones are then
 * decoded again in JavaScript for the exact error.
 */
export function lzfDecompressTransient(input: Uint8Array, expectedLength: number): Uint8Array {
  const out = wasmLzf?.(input, expectedLength);
  if (out) return out;
  if (out === null) {
    lzfDecompress(input, expectedLength); // throws the precise problem
    throw new Error('the WebAssembly and JavaScript LZF decoders disagree');
  }
  return lzfDecompress(input, expectedLength, expectedLength <= transientOutput.length ? transientOutput : undefined);
}

/**
 * Checks an LZF stream without producing its output: the checks and messages
 * of {@link lzfDecompress}, but it only counts output bytes, so it allocates
 * nothing and skips literal runs by length. The compressed body may arrive in
 * pieces (a string that spans input chunks): {@link LzfChecker.start}, then
 * {@link LzfChecker.scan} for each piece in order, then
 * {@link LzfChecker.finish}. A back reference only needs the output position
 * to be checked, never the bytes it copies.
 */
export class LzfChecker {
  private expected = 0;
  /** Output bytes produced so far. */
  private op = 0;
  /** Compressed bytes not yet scanned. */
  private left = 0;
  /** Literal bytes still to skip from the current run. */
  private literal = 0;
  /** 0: at a control byte; 1: a back reference needs its length byte; 2: it needs its distance byte. */
  private stage = 0;
  /** Pending back reference: length so far and distance so far (without its low byte). */
  private refLength = 0;
  private refDistance = 0;
  /** First problem found; the rest of the body is then only counted. */
  private problem: string | null = null;

  /** Begins a body of `compressedLength` bytes that should expand to `expectedLength`. */
  start(compressedLength: number, expectedLength: number): void {
    this.expected = expectedLength;
    this.left = compressedLength;
    this.op = 0;
    this.literal = 0;
    this.stage = 0;
    this.problem = null;
  }

  /** Scans `data[from, to)`, the next bytes of the body. */
  scan(data: Uint8Array, from: number, to: number): void {
    const left = this.left;
    this.left = left - (to - from);
    if (this.problem !== null) return;
    const expected = this.expected;
    let op = this.op;
    let literal = this.literal;
    let stage = this.stage;
    let i = from;
    while (i < to) {
      if (literal > 0) {
        const take = Math.min(literal, to - i);
        i += take;
        literal -= take;
        continue;
      }
      const byte = data[i++]!;
      if (stage === 0) {
        if (byte < 32) {
          // Literal run of byte + 1 bytes; `left - (i - from)` body bytes follow this control byte.
          const run = byte + 1;
          if (run > left - (i - from)) {
            this.problem = `LZF literal run of ${run} bytes reads past the compressed input`;
            break;
          }
          if (op + run > expected) {
            this.problem = `LZF output exceeds the declared length ${expected}`;
            break;
          }
          op += run;
          literal = run;
        } else {
          // Back reference: length in the top 3 bits (7 = extended), 13-bit distance.
          this.refLength = byte >>> 5;
          this.refDistance = ((byte & 0x1f) << 8) + 1;
          stage = this.refLength === 7 ? 1 : 2;
        }
      } else if (stage === 1) {
        this.refLength += byte;
        stage = 2;
      } else {
        const len = this.refLength + 2;
        if (op + len > expected) {
          this.problem = `LZF output exceeds the declared length ${expected}`;
          break;
        }
        if (op - this.refDistance - byte < 0) {
          this.problem = 'LZF back reference points before the start of the output';
          break;
        }
        op += len;
        stage = 0;
      }
    }
    this.op = op;
    this.literal = literal;
    this.stage = stage;
  }

  /** After the whole body was scanned: the first problem, or null when it expands to exactly the expected length. */
  finish(): string | null {
    if (this.problem !== null) return this.problem;
    if (this.stage === 1) return 'LZF back reference length reads past the compressed input';
    if (this.stage === 2) return 'LZF back reference distance reads past the compressed input';
    if (this.op !== this.expected) return `LZF output is ${this.op} bytes, declared ${this.expected}`;
    return null;
  }
}

/** Validates a ziplist (RDB types 10, 12, 13 and quicklist v1 nodes); returns its entry count. */
export function validateZiplist(b: Uint8Array): number {
  const len = b.length;
  if (len < 11) fail(`ziplist of ${len} bytes is shorter than its 11-byte minimum`);
  const zlbytes = u32le(b, 0);
  if (zlbytes !== len) fail(`ziplist header says ${zlbytes} bytes, blob has ${len}`);
  const zltail = u32le(b, 4);
  const zllen = u16le(b, 8);
  if (b[len - 1] !== 0xff) fail('ziplist does not end with 0xFF');
  const end = len - 1;
  let p = 10;
  let prevlen = 0;
  let last = 10;
  let count = 0;
  while (p < end) {
    const start = p;
    let plen: number;
    if (b[p] === 0xfe) {
      if (p + 5 > end) fail('ziplist entry prevlen runs past the end');
      plen = u32le(b, p + 1);
      p += 5;
    } else if (b[p] === 0xff) {
      fail(`ziplist has an end marker at ${p} before its last byte`);
    } else {
      plen = b[p]!;
      p += 1;
    }
    if (plen !== prevlen) fail(`ziplist entry ${count} prevlen is ${plen}, previous entry is ${prevlen} bytes`);
    if (p >= end) fail('ziplist entry encoding runs past the end');
    const enc = b[p]!;
    let size: number;
    switch (enc >>> 6) {
      case 0:
        size = 1 + (enc & 0x3f);
        break;
      case 1:
        if (p + 2 > end) fail('ziplist 14-bit string length runs past the end');
        size = 2 + (((enc & 0x3f) << 8) | b[p + 1]!);
        break;
      case 2:
        if (p + 5 > end) fail('ziplist 32-bit string length runs past the end');
        size = 5 + u32be(b, p + 1);
        break;
      default:
        if (enc === 0xc0) size = 3;
        else if (enc === 0xd0) size = 5;
        else if (enc === 0xe0) size = 9;
        else if (enc === 0xf0) size = 4;
        else if (enc === 0xfe) size = 2;
        else if (enc >= 0xf1 && enc <= 0xfd) size = 1;
        else fail(`ziplist entry ${count} has invalid encoding 0x${enc.toString(16)}`);
    }
    if (p + size > end) fail(`ziplist entry ${count} runs past the end`);
    p += size;
    prevlen = p - start;
    last = start;
    count++;
  }
  if (zltail !== last) fail(`ziplist tail offset is ${zltail}, last entry starts at ${last}`);
  if (zllen !== 0xffff && zllen !== count) fail(`ziplist header counts ${zllen} entries, found ${count}`);
  return count;
}

/** Size in bytes of a listpack back-length field for an entry of `l` bytes (as listpack.c encodes it). */
export function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Validates a listpack (RDB types 15–21 payloads); returns its element count. */
export function validateListpack(b: Uint8Array): number {
  const len = b.length;
  if (len < 7) fail(`listpack of ${len} bytes is shorter than its 7-byte minimum`);
  const total = u32le(b, 0);
  if (total !== len) fail(`listpack header says ${total} bytes, blob has ${len}`);
  const declared = u16le(b, 4);
  if (b[len - 1] !== 0xff) fail('listpack does not end with 0xFF');
  const end = len - 1;
  let p = 6;
  let count = 0;
  while (p < end) {
    const enc = b[p]!;
    let size: number;
    if ((enc & 0x80) === 0) size = 1;
    else if ((enc & 0xc0) === 0x80) size = 1 + (enc & 0x3f);
    else if ((enc & 0xe0) === 0xc0) size = 2;
    else if ((enc & 0xf0) === 0xe0) {
      if (p + 2 > end) fail('listpack 12-bit string length runs past the end');
      size = 2 + (((enc & 0x0f) << 8) | b[p + 1]!);
    } else if (enc === 0xf0) {
      if (p + 5 > end) fail('listpack 32-bit string length runs past the end');
      size = 5 + u32le(b, p + 1);
    } else if (enc === 0xf1) size = 3;
    else if (enc === 0xf2) size = 4;
    else if (enc === 0xf3) size = 5;
    else if (enc === 0xf4) size = 9;
    else fail(`listpack entry ${count} has invalid encoding 0x${enc.toString(16)} at ${p}`);
    const bl = backlenSize(size);
    if (p + size + bl > end) fail(`listpack entry ${count} runs past the end`);
    // The back length is read right to left, 7 bits per byte; the high bit means "more bytes".
    let value = 0;
    let mult = 1;
    for (let i = 0; i < bl; i++) {
      const byte = b[p + size + bl - 1 - i]!;
      value += (byte & 0x7f) * mult;
      mult *= 128;
      const more = (byte & 0x80) !== 0;
      if (more !== i < bl - 1) fail(`listpack entry ${count} has a malformed back length`);
    }
    if (value !== size) fail(`listpack entry ${count} back length is ${value}, entry is ${size} bytes`);
    p += size + bl;
    count++;
  }
  if (declared !== 0xffff && declared !== count) fail(`listpack header counts ${declared} elements, found ${count}`);
  return count;
}

/** Validates an intset (RDB type 11): width, length and strictly ascending members; returns the member count. */
export function validateIntset(b: Uint8Array, unordered?: (index: number) => void): number {
  if (b.length < 8) fail(`intset of ${b.length} bytes is shorter than its 8-byte header`);
  const width = u32le(b, 0);
  if (width !== 2 && width !== 4 && width !== 8) fail(`intset has invalid integer width ${width}`);
  const count = u32le(b, 4);
  if (8 + width * count !== b.length) fail(`intset of ${count} × ${width}-byte members should be ${8 + width * count} bytes, blob has ${b.length}`);
  // Members are compared as numbers (a 64-bit member as its signed high and unsigned low half), not BigInt: sets of integers are common.
  let prevHi = 0;
  let prevLo = 0;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    let hi: number;
    let lo: number;
    if (width === 2) {
      hi = ((b[at]! | (b[at + 1]! << 8)) << 16) >> 16;
      lo = 0;
    } else if (width === 4) {
      hi = u32le(b, at) | 0;
      lo = 0;
    } else {
      hi = u32le(b, at + 4) | 0;
      lo = u32le(b, at);
    }
    if (i > 0 && (hi < prevHi || (hi === prevHi && lo <= prevLo))) {
      // Redis checks the order only with sanitize-dump-payload yes: a caller that loads like Redis hears of it instead.
      if (!unordered) fail(`intset members are not strictly ascending at index ${i}`);
      unordered(i);
      return count;
    }
    prevHi = hi;
    prevLo = lo;
  }
  return count;
}

/**
 * Validates a zipmap (RDB type 9, Redis < 2.6); returns its field count.
 * With `seen`, each field is fingerprinted and a field twice is refused, as
 * Redis refuses it when it converts the zipmap on load.
 */
export function validateZipmap(b: Uint8Array, seen?: SeenCheck): number {
  const len = b.length;
  if (len < 2) fail(`zipmap of ${len} bytes is too short`);
  const declared = b[0]!;
  let p = 1;
  let count = 0;
  const readLen = (what: string): number => {
    if (p >= len) fail(`zipmap ${what} length runs past the end`);
    const first = b[p]!;
    if (first < 254) {
      p += 1;
      return first;
    }
    if (first === 254) {
      if (p + 5 > len) fail(`zipmap ${what} length runs past the end`);
      const v = u32le(b, p + 1);
      p += 5;
      return v;
    }
    return fail(`zipmap ${what} length byte 0xFF is not allowed here`);
  };
  for (;;) {
    if (p >= len) fail('zipmap does not end with 0xFF');
    if (b[p] === 0xff) {
      p++;
      break;
    }
    const klen = readLen('key');
    if (p + klen > len) fail(`zipmap entry ${count} runs past the end`);
    if (seen && seenBytes(b, p, p + klen, seen)) fail('zipmap holds a field twice: Redis refuses it ("Hash zipmap with dup elements")');
    p += klen;
    const vlen = readLen('value');
    if (p >= len) fail('zipmap free byte runs past the end');
    const free = b[p]!;
    p += 1 + vlen + free;
    if (p > len) fail(`zipmap entry ${count} runs past the end`);
    count++;
  }
  if (p !== len) fail(`zipmap has ${len - p} bytes after its end marker`);
  // 254 means "count them"; any other header byte must be the count (255 too: Redis's zipmapValidateIntegrity).
  if (declared !== 254 && declared !== count) fail(`zipmap header counts ${declared} fields, found ${count}`);
  return count;
}

/** Whether a fingerprint was seen before in the current collection (DuplicateCheck.seen). */
export type SeenCheck = (h1: number, h2: number) => boolean;

/**
 * A member's 64-bit fingerprint: two 32-bit FNV-1a lanes (different offsets
 * and primes) in `fp`. {@link fingerprintStart}, then {@link fingerprintUpdate}
 * over the content in as many pieces as it arrives (streamed members hash the same).
 */
export function fingerprintStart(fp: Int32Array): void {
  fp[0] = 0x811c9dc5;
  fp[1] = 0x050c5d1f;
}

export function fingerprintUpdate(fp: Int32Array, b: Uint8Array, from: number, to: number): void {
  let h1 = fp[0]!;
  let h2 = fp[1]!;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000197);
  }
  fp[0] = h1;
  fp[1] = h2;
}

const FP = new Int32Array(2);

/** The fingerprint of `b[from, to)`, checked against `seen`. */
function seenBytes(b: Uint8Array, from: number, to: number, seen: SeenCheck): boolean {
  fingerprintStart(FP);
  fingerprintUpdate(FP, b, from, to);
  return seen(FP[0]!, FP[1]!);
}

/** The same fingerprint of an integer's decimal text (as Redis compares an integer-encoded member), without building the text. */
function seenInteger(value: number | bigint, seen: SeenCheck): boolean {
  if (typeof value === 'bigint' || value < -0x7fffffff || value > 0x7fffffff) {
    const text = String(value);
    for (let i = 0; i < text.length; i++) DIGITS[i] = text.charCodeAt(i);
    return seenBytes(DIGITS, 0, text.length, seen);
  }
  let n = value < 0 ? -value : value;
  let at = DIGITS.length;
  do {
    DIGITS[--at] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  if (value < 0) DIGITS[--at] = 45;
  return seenBytes(DIGITS, at, DIGITS.length, seen);
}

/** Little-endian signed integers of 2, 4 and 8 bytes, without a DataView per entry. */
function i16le(b: Uint8Array, p: number): number {
  return ((b[p]! | (b[p + 1]! << 8)) << 16) >> 16;
}
function i32le(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}
function i64le(b: Uint8Array, p: number): bigint {
  return (BigInt(i32le(b, p + 4)) << 32n) | BigInt(u32le(b, p));
}
const DIGITS = new Uint8Array(24);

/**
 * Whether every `stride`-th entry, from the first, of a ziplist
 * {@link validateZiplist} accepted (the fields of a hash, the members of a
 * sorted set) holds the same content twice: a string's bytes, an integer's
 * decimal text, fingerprinted and checked with `seen`.
 */
export function ziplistHasDuplicate(b: Uint8Array, stride: number, seen: SeenCheck): boolean {
  const end = b.length - 1;
  let p = 10;
  for (let i = 0; p < end; i++) {
    p += b[p] === 0xfe ? 5 : 1; // prevlen
    const enc = b[p]!;
    const take = i % stride === 0;
    switch (enc >>> 6) {
      case 0: {
        const from = p + 1;
        p = from + (enc & 0x3f);
        if (take && seenBytes(b, from, p, seen)) return true;
        break;
      }
      case 1: {
        const from = p + 2;
        p = from + (((enc & 0x3f) << 8) | b[p + 1]!);
        if (take && seenBytes(b, from, p, seen)) return true;
        break;
      }
      case 2: {
        const from = p + 5;
        p = from + u32be(b, p + 1);
        if (take && seenBytes(b, from, p, seen)) return true;
        break;
      }
      default: {
        const from = p + 1;
        let value: number | bigint;
        if (enc === 0xc0) (value = i16le(b, from)), (p = from + 2);
        else if (enc === 0xd0) (value = i32le(b, from)), (p = from + 4);
        else if (enc === 0xe0) (value = i64le(b, from)), (p = from + 8);
        else if (enc === 0xf0) (value = ((b[from]! | (b[from + 1]! << 8) | (b[from + 2]! << 16)) << 8) >> 8), (p = from + 3);
        else if (enc === 0xfe) (value = (b[from]! << 24) >> 24), (p = from + 1);
        else (value = (enc & 0x0f) - 1), (p = from); // 0xf1..0xfd: 0..12
        if (take && seenInteger(value, seen)) return true;
      }
    }
  }
  return false;
}

/**
 * The same as {@link ziplistHasDuplicate} for a listpack
 * {@link validateListpack} accepted. Hot (every small hash, sorted set and
 * set of a dump): strings are fingerprinted inline, the same lanes as
 * {@link fingerprintUpdate}.
 */
export function listpackHasDuplicate(b: Uint8Array, stride: number, seen: SeenCheck): boolean {
  const end = b.length - 1;
  let p = 6;
  for (let skip = 0; p < end; skip = skip === 0 ? stride - 1 : skip - 1) {
    const enc = b[p]!;
    let from = p + 1;
    let to: number;
    let value: number | bigint | undefined;
    if ((enc & 0x80) === 0) {
      value = enc & 0x7f;
      to = from;
    } else if ((enc & 0xc0) === 0x80) {
      to = from + (enc & 0x3f);
    } else if ((enc & 0xe0) === 0xc0) {
      value = ((((enc & 0x1f) << 8) | b[p + 1]!) << 19) >> 19;
      to = p + 2;
    } else if ((enc & 0xf0) === 0xe0) {
      from = p + 2;
      to = from + (((enc & 0x0f) << 8) | b[p + 1]!);
    } else if (enc === 0xf0) {
      from = p + 5;
      to = from + u32le(b, p + 1);
    } else if (enc === 0xf1) (value = i16le(b, from)), (to = from + 2);
    else if (enc === 0xf2) (value = ((b[from]! | (b[from + 1]! << 8) | (b[from + 2]! << 16)) << 8) >> 8), (to = from + 3);
    else if (enc === 0xf3) (value = i32le(b, from)), (to = from + 4);
    else (value = i64le(b, from)), (to = from + 8); // 0xf4
    if (skip === 0) {
      if (value !== undefined) {
        if (seenInteger(value, seen)) return true;
      } else {
        let h1 = 0x811c9dc5;
        let h2 = 0x050c5d1f;
        for (let i = from; i < to; i++) {
          const c = b[i]!;
          h1 = Math.imul(h1 ^ c, 0x01000193);
          h2 = Math.imul(h2 ^ c, 0x01000197);
        }
        if (seen(h1, h2)) return true;
      }
    }
    const size = to - p;
    p = to + (size <= 127 ? 1 : backlenSize(size));
  }
  return false;
}

/** Redis's EB_EXPIRE_TIME_MAX: the latest field expiry (ms) a hash field may carry, 2^48 - 1. */
export const HFE_EXPIRE_TIME_MAX = 2n ** 48n - 1n;

/** A decimal integer as Redis's string2ll reads it (no sign but '-', no leading zeros, no spaces, within int64); else undefined. */
function string2ll(b: Uint8Array, from: number, to: number): bigint | undefined {
  const n = to - from;
  if (n === 0 || n > 20) return undefined;
  if (n === 1 && b[from] === 0x30) return 0n;
  let p = from;
  const negative = b[p] === 0x2d;
  if (negative) p++;
  if (p === to || b[p]! < 0x31 || b[p]! > 0x39) return undefined; // a digit 1–9 first
  let v = 0n;
  for (; p < to; p++) {
    const c = b[p]!;
    if (c < 0x30 || c > 0x39) return undefined;
    v = v * 10n + BigInt(c - 0x30);
  }
  v = negative ? -v : v;
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : undefined;
}

/**
 * The TTL checks Redis makes of a listpack of (field, value, TTL) triplets
 * (RDB types 23 and 25; `_lpEntryValidation` in its rdb.c): every TTL an
 * integer (integer-encoded, or a string string2ll reads), 0 (none) or an
 * expiry in ms up to 2^48 - 1, in ascending order with the fields without
 * one last. Returns the first problem, or null. The listpack must have
 * passed {@link validateListpack}.
 */
export function listpackTtlProblem(b: Uint8Array): string | null {
  const end = b.length - 1;
  let last = -1n;
  for (let p = 6, i = 0; p < end; i++) {
    const enc = b[p]!;
    let from = p + 1;
    let to: number;
    let value: number | bigint | undefined;
    if ((enc & 0x80) === 0) (value = enc & 0x7f), (to = from);
    else if ((enc & 0xc0) === 0x80) to = from + (enc & 0x3f);
    else if ((enc & 0xe0) === 0xc0) (value = ((((enc & 0x1f) << 8) | b[p + 1]!) << 19) >> 19), (to = p + 2);
    else if ((enc & 0xf0) === 0xe0) (from = p + 2), (to = from + (((enc & 0x0f) << 8) | b[p + 1]!));
    else if (enc === 0xf0) (from = p + 5), (to = from + u32le(b, p + 1));
    else if (enc === 0xf1) (value = i16le(b, from)), (to = from + 2);
    else if (enc === 0xf2) (value = ((b[from]! | (b[from + 1]! << 8) | (b[from + 2]! << 16)) << 8) >> 8), (to = from + 3);
    else if (enc === 0xf3) (value = i32le(b, from)), (to = from + 4);
    else (value = i64le(b, from)), (to = from + 8); // 0xf4
    if (i % 3 === 2) {
      const field = (i - 2) / 3 + 1;
      const ttl = value !== undefined ? BigInt(value) : string2ll(b, from, to);
      if (ttl === undefined) return `the TTL of field ${field} is not an integer`;
      if (ttl < 0n || ttl > HFE_EXPIRE_TIME_MAX) return `the TTL of field ${field} (${ttl}) is outside 0 to 2^48 - 1 ms`;
      if (ttl !== 0n && last === 0n) return `field ${field} has a TTL after a field without one (fields with a TTL come first)`;
      if (ttl !== 0n && ttl < last) return `the TTL of field ${field} (${ttl}) is before the one of the field ahead of it (${last}): TTLs are in ascending order`;
      last = ttl;
    }
    const size = to - p;
    p = to + (size <= 127 ? 1 : backlenSize(size));
  }
  return null;
}
