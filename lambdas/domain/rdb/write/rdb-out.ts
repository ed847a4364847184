/**
 * The byte-level half of the RDB writer: a growable buffer with the RDB
 * encodings the reader (format/parser.ts, format/value.ts) takes apart —
 * lengths (6-bit, 14-bit, 32-bit and 64-bit forms), length-prefixed strings,
 * binary doubles and little-endian millisecond times — so one layout serves
 * both directions. Strings are written plain (no integer or LZF encoding):
 * every Redis and Valkey release reads them, and the server stores the same
 * bytes either way.
 *
 * Layouts: `rdbSaveLen`, `rdbSaveRawString`, `rdbSaveBinaryDoubleValue`,
 * `rdbSaveMillisecondTime` of Redis's src/rdb.c.
 */

import type { SharedArea } from '../codecs/shared-area.js';

/** A growable byte buffer holding RDB encodings. */
export class RdbOut {
  private buf: Buffer;
  /** The shared area {@link buf} lies in (codecs/shared-area.ts; undefined: elsewhere, or since it grew out of it), and where. */
  private area: SharedArea | undefined;
  private base = 0;
  /** {@link buf}'s numbers written through a view (Buffer's writeUInt32LE and writeDoubleLE check their arguments per call). */
  private dv: DataView;
  /** Bytes written so far. */
  length = 0;

  /**
   * `initial`: the first buffer's size, or the bytes to write into first (used until a write needs more room); with
   * `area`, bytes of that shared area's memory, into which {@link bytes} copies from the same memory by `memory.copy`.
   */
  constructor(initial: number | Uint8Array = 4096, area?: SharedArea) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : Buffer.from(initial.buffer, initial.byteOffset, initial.byteLength);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    if (area !== undefined && typeof initial !== 'number' && initial.buffer === area.buffer) (this.area = area), (this.base = initial.byteOffset);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    // Doubling keeps a big value's encoding linear in its size.
    this.grow(Math.max(this.buf.length * 2, this.length + n));
  }

  private grow(size: number): void {
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
    this.dv = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.area = undefined;
  }

  /** Room for `n` bytes more, taken now (a big value's size known before it is written). */
  reserve(n: number): void {
    if (this.length + n > this.buf.length) this.grow(this.length + n);
  }

  byte(b: number): this {
    this.room(1);
    this.buf[this.length++] = b;
    return this;
  }

  bytes(b: Uint8Array, from = 0, to = b.length): this {
    const n = to - from;
    this.room(n);
    const area = this.area;
    // From the same shared memory (the walk's output region, a chunk read there): one memory.copy, no view made; a short
    // run from elsewhere (most elements) in a loop: cheaper than asking the array where it lies, or the view `set` needs.
    const src = area !== undefined && (n > 32 || area.knows(b)) ? area.offsetOf(b) : -1;
    if (src >= 0) area!.copy(this.base + this.length, src + from, n);
    else if (n > 32) this.buf.set(b.subarray(from, to), this.length);
    else for (let i = from, at = this.length; i < to; i++) this.buf[at++] = b[i]!;
    this.length += n;
    return this;
  }

  /** An RDB length (rdbSaveLen): up to 2^64 - 1 as a bigint, a double-exact number otherwise. */
  len(n: number | bigint): this {
    // The common lengths without a BigInt (one per element written).
    if (typeof n === 'number' && n >= 0 && n < 16384 && Number.isInteger(n)) {
      this.room(2);
      if (n < 64) this.buf[this.length++] = n;
      else {
        this.buf[this.length++] = 0x40 | (n >> 8);
        this.buf[this.length++] = n & 0xff;
      }
      return this;
    }
    const v = typeof n === 'bigint' ? n : BigInt(n);
    if (v < 0n) throw new RangeError(`an RDB length is not negative, got ${v}`);
    if (v < 64n) return this.byte(Number(v));
    if (v < 16384n) return this.byte(0x40 | Number(v >> 8n)).byte(Number(v & 0xffn));
    this.room(9);
    if (v <= 0xffffffffn) {
      this.buf[this.length++] = 0x80;
      this.buf.writeUInt32BE(Number(v), this.length);
      this.length += 4;
      return this;
    }
    this.buf[this.length++] = 0x81;
    this.buf.writeBigUInt64BE(v, this.length);
    this.length += 8;
    return this;
  }

  /** A length-prefixed string `s[from, to)` (rdbSaveRawString without its integer and LZF forms). */
  string(s: Uint8Array, from = 0, to = s.length): this {
    const n = to - from;
    if (n >= 16384) return this.len(n).bytes(s, from, to);
    // One element of a re-encoded value (most are short): its length and bytes after one room check.
    this.room(2 + n);
    const buf = this.buf;
    let at = this.length;
    if (n < 64) buf[at++] = n;
    else {
      buf[at++] = 0x40 | (n >> 8);
      buf[at++] = n & 0xff;
    }
    if (n > 32) buf.set(s.subarray(from, to), at);
    else for (let i = from, j = at; i < to; i++) buf[j++] = s[i]!;
    this.length = at + n;
    return this;
  }

  /** Sets the byte at `at` (< {@link length}), written before. */
  setByte(at: number, b: number): void {
    if (at < 0 || at >= this.length) throw new RangeError(`byte ${at} is not written yet (${this.length} bytes are)`);
    this.buf[at] = b;
  }

  /** A little-endian binary double (zset scores of RDB type 5). */
  double(d: number): this {
    this.room(8);
    this.dv.setFloat64(this.length, d, true);
    this.length += 8;
    return this;
  }

  /** A signed 64-bit little-endian integer (expiry times in ms). */
  int64(n: number | bigint): this {
    this.room(8);
    if (typeof n === 'number' && n >= 0 && Number.isSafeInteger(n)) {
      // An expiry in ms (one per key with a TTL) without a BigInt: its low and high words.
      this.dv.setUint32(this.length, n >>> 0, true);
      this.dv.setUint32(this.length + 4, Math.floor(n / 0x100000000), true);
      this.length += 8;
      return this;
    }
    this.buf.writeBigInt64LE(typeof n === 'bigint' ? n : BigInt(n), this.length);
    this.length += 8;
    return this;
  }

  /** The bytes written (a view: valid until the next write or {@link clear}). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written. */
  take(): Buffer {
    return Buffer.from(this.view());
  }

  clear(): void {
    this.length = 0;
  }
}
