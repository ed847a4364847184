/**
 * The RDB parser's hashes: hash table (4), zipmap (9), ziplist (13), listpack (16), and the forms with field TTLs (22: Redis's or Valkey's by the magic, 23–25: Redis's). Hash templates: format/parse-hash-templates.ts. Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import { ListpackTtls, listpackTtlProblem } from './blob-members.js';
import { validateZipmap } from './blobs.js';
import * as constants from './parse-constants.js';
import { skipElements } from './parse-elements.js';
import { keptListpack, listpackPairs } from './parse-listpacks.js';
import type { RdbParserState } from './parse-state.js';

// Module-local copies of the parser's constants: under tsx and vitest an imported binding is a getter call per
// read (in the CLI's CommonJS a property load), and these are read per key and per element; a local const is free.
const { HFE_EXPIRE_MAX, LISTPACK_ENTRIES } = constants;

/** A hash as a hash table (type 4): field, value, …; a field twice refused as Redis refuses it ({@link settleHashFields}). */
export function hashtableHash(p: RdbParserState): boolean {
  if (p.sub === 0) {
    p.beginElements(2 * p.length());
    p.collectionLength = p.count / 2;
    p.dupBegin(p.collectionLength);
  }
  while (p.count > 0) {
    if (p.count % 2 === 0) {
      if (!p.fingerprintString()) return false;
      hashFieldCheck(p);
      p.count--;
      p.mark = p.pos;
    } else if (!p.skipElement()) return false;
  }
  settleHashFields(p);
  return true;
}

/** {@link hashtableHash} in a trusted read: field, value, … by their lengths. */
export function trustedHashtableHash(p: RdbParserState): boolean {
  if (p.sub === 0) p.beginElements(2 * p.length());
  if (!skipElements(p)) return false;
  return true;
}

/** A hash as a zipmap (type 9). */
export function zipmapHash(p: RdbParserState): boolean {
  const blob = p.keptString();
  if (blob === null) return false;
  // Every entry takes at least 3 bytes: a bound for the duplicate table.
  p.dupBegin(Math.ceil(blob.length / 3));
  const n = validateZipmap(blob, p.seen);
  if (n === 0) p.fail('empty zipmap: Redis refuses it ("Zipmap integrity check failed")');
  p.emptyValue = n === 0;
  return true;
}

/** A hash as a ziplist of pairs (type 13). */
export function ziplistHash(p: RdbParserState): boolean {
  const blob = p.keptString();
  if (blob === null) return false;
  p.emptyValue = p.ziplistPairs(blob, 'hash fields', 'Hash') === 0;
  return true;
}

/** A hash as a listpack of pairs (type 16). */
export function listpackHash(p: RdbParserState): boolean {
  const blob = keptListpack(p, 2, false);
  if (blob === null) return false;
  p.emptyValue = listpackPairs(p, blob, 'hash fields') < 2; // no whole pair: Redis skips it on load (listpackPairs)
  return true;
}

/**
 * A listpack of (field, value, TTL) triplets: 23 (Redis 7.4 release
 * candidates), or 25, the same after the hash's earliest field expiry (Redis
 * 7.4 GA on).
 */
export function listpackHashWithTtls(p: RdbParserState, type: number): boolean {
  if (p.sub === 0 && type === 25) {
    minExpire(p);
    p.sub = 1;
    p.mark = p.pos;
  }
  // A big one validated as it streams by, its TTLs checked as they go by (parse-listpacks.ts keptListpack).
  const blob = keptListpack(p, 3, false, new ListpackTtls());
  if (blob === null) return false;
  const n = typeof blob === 'number' ? blob : p.listpackWithMembers(blob, 3);
  if (n % 3 !== 0) p.sanitizeOnly(n / 3, 'listpack of (field, value, TTL) triplets has an element count that is not a multiple of 3');
  p.listpackDuplicates(n, 3, 'hash fields');
  // Redis's sanitizer refuses these ("Hash listpack integrity check failed"); a default load takes the TTLs on
  // trust: a string one trips an assertion when the hash expires, misordered ones expire fields late or never.
  const ttl = typeof blob === 'number' ? p.lpStream.ttlProblem : listpackTtlProblem(blob);
  if (ttl !== null) p.fail(`hash listpack with field TTLs: ${ttl}: Redis refuses it ("Hash listpack integrity check failed")`);
  p.emptyValue = n === 0;
  return true;
}

/** {@link listpackHashWithTtls} of type 25 in a trusted read: the hash's earliest field expiry, then its listpack. */
export function trustedListpackHashWithTtls(p: RdbParserState): boolean {
  if (p.sub === 0) {
    p.skip(8);
    p.sub = 3;
    p.mark = p.pos;
  }
  if (p.sub === 3) p.beginElements(1);
  if (!skipElements(p)) return false;
  return true;
}

/** A hash's field (Redis's plain hash forms): a duplicate is judged at the hash's end ({@link settleHashFields}). */
export function hashFieldCheck(p: RdbParserState): void {
  if (p.dups.seen(p.fp[0]!, p.fp[1]!) && p.deferredDupAt < 0) p.deferredDupAt = p.base + p.pos;
}

/**
 * The end of a hash in Redis's plain forms: a duplicate field is refused
 * when Redis loads the hash into a hash table (more than LISTPACK_ENTRIES
 * fields, or a field or value longer than LISTPACK_VALUE bytes); a small
 * one goes into a listpack unchecked, and only sanitize-dump-payload yes
 * refuses it: a warning.
 */
export function settleHashFields(p: RdbParserState): void {
  const at = p.deferredDupAt;
  if (at < 0) return;
  p.deferredDupAt = -1;
  if (p.collectionLength > LISTPACK_ENTRIES || p.longElement) {
    p.fail(`duplicate hash fields (the first at byte ${at}): Redis refuses it ("Duplicate hash fields detected")`);
  }
  p.warn(
    at,
    `${p.describe()}: duplicate hash fields in a hash of ${p.collectionLength} short fields: Redis loads it (into a listpack) and only sanitize-dump-payload yes refuses it ("Hash with dup elements")`,
    'sanitize-only',
  );
}

/** Hashes with field TTLs in their plain forms (22, 24; `valkey`: Valkey's 22), in a trusted read (see RdbParser's value). */
export function trustedHashWithTtls(p: RdbParserState, type: number, valkey: boolean): boolean {
  if (p.sub === 0) {
    if (type === 24) p.skip(8); // the earliest field expiry
    p.beginElements(p.length());
  }
  for (;;) {
    if (p.sub === 1) {
      if (p.count === 0) return true;
      if (!valkey) p.length(true); // the field's TTL (Redis)
      p.sub = 2;
      p.mark = p.pos;
    }
    if (p.sub === 2) {
      const done = p.skipString(); // field
      p.sub = 3;
      p.mark = p.pos;
      if (!done) return false;
    }
    if (p.sub === 3) {
      const done = p.skipString(); // value
      p.sub = valkey ? 4 : 1;
      if (!valkey) p.count--;
      p.mark = p.pos;
      if (!done) return false;
      if (!valkey) continue;
    }
    p.skip(8); // the field's expiry (Valkey)
    p.count--;
    p.sub = 1;
    p.mark = p.pos;
  }
}

/** A hash's earliest field expiry (8 bytes, ms) before its fields; Redis refuses one beyond 2^48. */
export function minExpire(p: RdbParserState): number {
  p.need(8);
  const v = new DataView(p.buf.buffer, p.buf.byteOffset + p.pos, 8).getBigUint64(0, true);
  p.pos += 8;
  if (v > BigInt(HFE_EXPIRE_MAX) + 1n) p.fail(`hash minimum field expiry ${v} is beyond 2^48 ms: Redis refuses it ("Hash read invalid minExpire value")`);
  return Number(v);
}

/**
 * Redis's hash with field expiration in its plain encoding: (24) the
 * earliest field expiry, then the length, then per field its TTL (a
 * length: 0 for none, else relative to that earliest expiry, plus 1), the
 * field and the value; (22, Redis 7.4 release candidates) no earliest
 * expiry and absolute TTLs. Redis refuses an expiry beyond 2^48 ms.
 */
export function redisHashWithTtls(p: RdbParserState, relative: boolean): boolean {
  if (p.sub === 0) {
    const min = relative ? minExpire(p) : 0;
    p.count2 = min;
    p.beginMembers(p.length());
    p.collectionLength = p.count;
  }
  for (;;) {
    if (p.sub === 1) {
      if (p.count === 0) {
        settleHashFields(p);
        return true;
      }
      const ttl = p.length(true);
      const expireAt = relative ? (ttl !== 0 ? ttl + p.count2 - 1 : 0) : ttl;
      if (expireAt > HFE_EXPIRE_MAX) p.fail(`field expiry ${expireAt} is beyond 2^48 ms: Redis refuses it ("invalid expireAt time")`);
      p.sub = 2;
      p.mark = p.pos;
    }
    if (p.sub === 2) {
      if (!p.fingerprintString()) return false; // field
      hashFieldCheck(p);
      p.sub = 3;
      p.mark = p.pos;
    }
    const done = p.skipString(); // value
    p.count--;
    p.sub = 1;
    p.mark = p.pos;
    if (!done) return false;
  }
}

/**
 * Valkey's hash with field expiration (type 22 after the `VALKEY` magic):
 * the length, then per field the field, the value and its expiry (8 bytes,
 * ms; -1 for none). An expiry below -1 Valkey refuses on load (rdbLoadObject,
 * src/rdb.c of 9.1.2 7f1dffed: `itemexpiry < EXPIRY_NONE`, the whole file
 * "Unexpected EOF reading RDB file"): so does this, where it used to pass it
 * (found converting a mutated Valkey 9.1.2 file for a real 9.1.2).
 */
export function valkeyHashWithTtls(p: RdbParserState): boolean {
  if (p.sub === 0) p.beginMembers(p.length());
  for (;;) {
    if (p.sub === 1) {
      if (p.count === 0) return true;
      if (!p.fingerprintString()) return false; // field
      p.dupCheck('hash fields');
      p.sub = 2;
      p.mark = p.pos;
    }
    if (p.sub === 2) {
      const done = p.skipString(); // value
      p.sub = 3;
      p.mark = p.pos;
      if (!done) return false;
    }
    p.need(8); // expiry
    if (p.buf[p.pos + 7]! >= 0x80 && !p.buf.subarray(p.pos, p.pos + 8).every((b) => b === 0xff)) {
      const ms = new DataView(p.buf.buffer, p.buf.byteOffset + p.pos, 8).getBigInt64(0, true);
      p.fail(`a hash field's expiry of ${ms} ms, below -1 (none): Valkey refuses it on load ("Unexpected EOF reading RDB file")`);
    }
    p.pos += 8;
    p.count--;
    p.sub = 1;
    p.mark = p.pos;
  }
}
