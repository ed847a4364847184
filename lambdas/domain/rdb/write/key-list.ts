/**
 * One digest of a file's keys in order (database, name, type, value digest,
 * absolute expiry of each): two files hold the same keys, values and
 * expiries exactly when their digests are equal, whatever the encodings (the
 * value digest is `compare`'s canonical one). A conversion computes it over
 * the keys it writes and again over the keys of the written file read back,
 * so the check costs no second read of the input; only when they differ is
 * the input read again, key by key, to name the first key that differs. A
 * key copied byte for byte is held by its bytes (equal bytes, equal value:
 * no decoding on either side), a re-encoded one by its canonical digest.
 */
import { createHash } from 'node:crypto';
import type { KeyDigest } from '../fingerprint.js';

/** The running digest of a sequence of keys (length-prefixed parts: no separator can be confused with data). */
export class KeyListDigest {
  private readonly h = createHash('sha256');
  /** One length prefix, reused: this runs for every key of a file. */
  private readonly len = Buffer.alloc(4);
  /** Keys added. */
  keys = 0;

  private frame(part: Uint8Array | string): void {
    const b = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    this.len.writeUInt32BE(b.length);
    this.h.update(this.len);
    this.h.update(b);
  }

  private head(kind: string, db: number, name: Uint8Array, expireAtMs: number | null): void {
    this.frame(`${kind} ${db} ${expireAtMs ?? 'none'}`);
    this.frame(name);
    this.keys++;
  }

  /** A key by its canonical digest (compare's): equal whatever the encoding. */
  add(db: number, name: Uint8Array, d: KeyDigest): void {
    this.head('value', db, name, d.expireAtMs);
    this.frame(`${d.type} ${d.digest}`);
  }

  /** A key by its bytes (RDB type and object bytes): for a key copied as it is, byte equality is the check, no decoding needed. */
  addRaw(db: number, name: Uint8Array, type: number, object: Uint8Array, expireAtMs: number | null): void {
    this.head(`raw ${type}`, db, name, expireAtMs);
    this.frame(object);
  }

  /** The digest (hex); the object takes no more keys after it. */
  hex(): string {
    return this.h.digest('hex');
  }
}

/** Which keys of a sequence were re-encoded (one bit a key): the read-back digests those by value, the others by their bytes. */
export class KeyBits {
  private bits = new Uint8Array(1024);
  private n = 0;

  push(on: boolean): void {
    if (this.n >> 3 >= this.bits.length) {
      const next = new Uint8Array(this.bits.length * 2);
      next.set(this.bits);
      this.bits = next;
    }
    if (on) this.bits[this.n >> 3]! |= 1 << (this.n & 7);
    this.n++;
  }

  /** Whether key `i` was pushed `true` (false past the end). */
  get(i: number): boolean {
    return i < this.n && (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }
}

/** A key's digest as one line: `hash 3f…9a expires 1900000000000` (or `no expiry`). */
export function keyEntryText(d: KeyDigest): string {
  return `${d.type} ${d.digest} ${d.expireAtMs === null ? 'no expiry' : `expires ${d.expireAtMs}`}`;
}
