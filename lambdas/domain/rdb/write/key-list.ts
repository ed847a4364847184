/**
 * One digest of a file's keys in order (database, name, type, value digest,
 * absolute expiry of each): two files hold the same keys, values and
 * expiries exactly when their digests are equal, whatever the encodings (the
 * value digest is `compare`'s canonical one). A conversion computes it over
 * the keys it writes and again over the keys of the written file read back,
 * so the check costs no second read of the input; only when they differ is
 * the input read again, key by key, to name the first key that differs.
 */
import { createHash } from 'node:crypto';
import type { KeyDigest } from '../../keys/fingerprint.js';

/** Length-prefixed parts: no separator can be confused with data. */
function frame(h: ReturnType<typeof createHash>, part: Uint8Array | string): void {
  const b = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  h.update(len);
  h.update(b);
}

/** The running digest of a sequence of keys. */
export class KeyListDigest {
  private readonly h = createHash('sha256');
  /** Keys added. */
  keys = 0;

  add(db: number, name: Uint8Array, d: KeyDigest): void {
    frame(this.h, String(db));
    frame(this.h, name);
    frame(this.h, keyEntryText(d));
    this.keys++;
  }

  /** The digest (hex); the object takes no more keys after it. */
  hex(): string {
    return this.h.digest('hex');
  }
}

/** A key's digest as one line: `hash 3f…9a expires 1900000000000` (or `no expiry`). */
export function keyEntryText(d: KeyDigest): string {
  return `${d.type} ${d.digest} ${d.expireAtMs === null ? 'no expiry' : `expires ${d.expireAtMs}`}`;
}
