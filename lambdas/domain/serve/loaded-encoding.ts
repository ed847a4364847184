/**
 * The encoding a Redis 7.0 server gives each value when it loads the point
 * (src/rdb.c rdbLoadObject, object.c tryObjectEncoding), with its default
 * thresholds (context.ts LOADED_COMPACT), whatever encoding the file
 * stored: OBJECT ENCODING answers it, and the scans and lex walks follow it
 * (a compact value is scanned whole, in its own order).
 */
import { type KeyDigest, type KeyValue, keyDigest } from '../rdb/fingerprint.js';
import { decodeDumpPayload } from '../rdb/format/value.js';
import { LOADED_COMPACT } from './context.js';
import { parseInteger } from './reply-text.js';

/** Redis 7.4's hashes with field TTLs stored as listpacks (RDB types 23, 25). */
const TTL_HASH_LISTPACK = new Set([23, 25]);

/** 7.0's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: a string up to this long is held with its object. */
export const EMBSTR_BYTES = 44;

/** A string's encoding on load (object.c tryObjectEncoding): `int` when it reads as a 64-bit integer (20 bytes at most). */
function stringEncoding(value: Buffer): string {
  if (value.length <= 20 && parseInteger(value) !== undefined) return 'int';
  return value.length <= EMBSTR_BYTES ? 'embstr' : 'raw';
}

/**
 * The encoding 7.0.15 gives `v` (stored as RDB `type`) when it loads it, with its defaults (context.ts LOADED_COMPACT),
 * as seen against it (test/lambdas/jobs/serve/triage-commands.test.ts): a stored hash listpack (16), sorted-set
 * listpack (17) or intset (11) stays one while its entries are within the count (its members' sizes not looked at
 * again: a hash listpack of 600 fields becomes a hash table, one of 300 with 100-byte values stays); a hash table or
 * skiplist becomes one when both count and sizes are within them. Older files' hashes (rdb.c): a ziplist (13) is held
 * to the count, a zipmap (9) to the count and sizes.
 */
export function loadedEncoding(type: number, v: KeyValue): string {
  const { hashEntries, zsetEntries, bytes, intsetEntries } = LOADED_COMPACT;
  switch (v.type) {
    case 'string':
      return stringEncoding(v.value);
    case 'list':
      return 'quicklist';
    case 'set':
      // Redis 7.2's set listpack (20) as stored: 7.0 knows no such type.
      if (type === 20) return 'listpack';
      return v.members.length <= intsetEntries && v.members.every((m) => parseInteger(m) !== undefined) ? 'intset' : 'hashtable';
    case 'zset': {
      const stored = type === 12 || type === 17;
      return v.entries.length <= zsetEntries && (stored || v.entries.every(([m]) => m.length <= bytes)) ? 'listpack' : 'skiplist';
    }
    case 'hash': {
      // Sizes looked at only within the count (a walk of every field at each call: HSCAN's pages, HTTL's calls, were each O(n)).
      const fits = () => v.fields.every(([f, x]) => f.length <= bytes && x.length <= bytes);
      // Redis 7.4's hashes with field TTLs (RDB 12): a stored listpack (23, 25) stays one, a hash table (22, 24) as any.
      if (v.fieldExpireAtMs) return TTL_HASH_LISTPACK.has(type) || (v.fields.length <= hashEntries && fits()) ? 'listpackex' : 'hashtable';
      return v.fields.length <= hashEntries && (type === 16 || type === 13 || fits()) ? 'listpack' : 'hashtable';
    }
    case 'stream':
      return 'stream';
    default:
      return 'raw';
  }
}

/** The encodings that hold a value in one piece (scanned whole by HSCAN, SSCAN, ZSCAN). */
export const COMPACT_ENCODINGS: ReadonlySet<string> = new Set(['listpack', 'listpackex', 'intset']);

/** The values {@link asLoaded} changed: their stored payload is not what the server would DUMP (commands-keyspace.ts). */
const CHANGED_ON_LOAD = new WeakSet<KeyValue>();

/**
 * `v` (stored as RDB `type`) as 7.0.15 holds it once loaded, where that differs from the file: a small sorted set stored
 * as a skiplist (types 3, 5), which it loads into a listpack, holds a score of -0 as 0 (checked by hand: ZADD -0 on a
 * skiplist, SAVE, the file loaded: OBJECT ENCODING listpack, ZSCORE 0; a ZADD -0 into a listpack answers 0 too). A
 * compare of the file against the server that loaded it said DIFFERENT (review 46). Other values as they are.
 */
export function asLoaded(type: number, v: KeyValue): KeyValue {
  if (v.type !== 'zset' || (type !== 3 && type !== 5) || !v.entries.some(([, score]) => score === '-0')) return v;
  if (loadedEncoding(type, v) !== 'listpack') return v;
  const loaded: KeyValue = { type: 'zset', entries: v.entries.map(([member, score]) => [member, score === '-0' ? '0' : score] as const) };
  CHANGED_ON_LOAD.add(loaded);
  return loaded;
}

/**
 * The digest of a file's key as a server holds it once loaded or RESTOREd, where that differs from the file and `held`
 * (the server's value) is it: a small sorted set stored as a skiplist (3, 5) with a -0 score, which 7.0 holds as 0
 * ({@link asLoaded}). Undefined otherwise (a server that keeps the -0 is held against the file's own value): what
 * `migrate --verify` holds the target against, as compare holds a file served.
 */
export function heldAsLoaded(
  k: { readonly type: number; readonly payload: Buffer; readonly expireAtMs: number | null },
  held: KeyValue | undefined,
  at: number,
): KeyDigest | undefined {
  // Only a set the load makes a listpack of (its entries within the count, so its payload small): not a big set decoded twice.
  if (held?.type !== 'zset' || (k.type !== 3 && k.type !== 5) || held.entries.length > LOADED_COMPACT.zsetEntries) return undefined;
  const loaded = asLoaded(k.type, decodeDumpPayload(k.payload));
  if (!changedOnLoad(loaded)) return undefined;
  const digest = keyDigest(loaded, k.expireAtMs, at);
  return digest.digest === keyDigest(held, k.expireAtMs, at).digest ? digest : undefined;
}

/** Whether {@link asLoaded} changed `v` from what its file stores. */
export const changedOnLoad = (v: KeyValue): boolean => CHANGED_ON_LOAD.has(v);
