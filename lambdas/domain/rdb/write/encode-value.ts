/**
 * A value written in RDB encodings every target of the writer reads: the
 * canonical {@link KeyValue} (format/value.ts decodes any encoding into it)
 * encoded back in the plain forms (string 0, list 1, set 2, zset 5, hash 4),
 * and a hash with field TTLs in the form of the target's fork (Redis's 24
 * from RDB 12, Valkey 9's 22). A server converts plain forms into its
 * compact ones on load as it would after a write, so what it holds is the
 * value, whatever encoding it picks.
 *
 * Layouts: `rdbSaveObject` of Redis's src/rdb.c (types 0–5), its 7.4
 * `RDB_TYPE_HASH_METADATA` (24: the earliest field expiry, then per field
 * its TTL relative to it plus 1, or 0), and Valkey 9's hash with field
 * expiration (22: per field the field, the value, an 8-byte expiry or -1),
 * as the reader takes them (format/parse-hashes.ts, format/value.ts).
 */
import type { KeyValue } from '../fingerprint.js';
import type { RdbFormat } from '../engines.js';
import type { RdbOut } from './rdb-out.js';

/** RDB value types the writer emits. */
export const T_STRING = 0;
export const T_LIST = 1;
export const T_SET = 2;
export const T_ZSET_2 = 5;
export const T_HASH = 4;
/** Redis 7.4's hash with field TTLs (RDB_TYPE_HASH_METADATA), from RDB 12. */
export const T_REDIS_HASH_TTL = 24;
/** Valkey 9's hash with field TTLs (after the `VALKEY` magic). */
export const T_VALKEY_HASH_TTL = 22;

/** A zset score as the reader gives it (`inf`, `-inf`, shortest round-trip text) back to its double. */
export function scoreToDouble(score: string): number {
  if (score === 'inf') return Number.POSITIVE_INFINITY;
  if (score === '-inf') return Number.NEGATIVE_INFINITY;
  const d = Number(score);
  if (Number.isNaN(d)) throw new RangeError(`zset score ${JSON.stringify(score)} is not a number`);
  return d;
}

/**
 * Writes `value`'s object bytes (after the type byte) in its plain form and
 * returns the type. A stream or a module value has no plain form built from
 * the canonical value (it drops the consumers' pending entries, the module's
 * bytes): those are converted from their own bytes (write/express.ts).
 * @throws RangeError for a stream or module value, or a zset score that is not a number
 */
export function writePlainValue(value: KeyValue, out: RdbOut): number {
  switch (value.type) {
    case 'string':
      out.string(value.value);
      return T_STRING;
    case 'list':
      out.len(value.items.length);
      for (const item of value.items) out.string(item);
      return T_LIST;
    case 'set':
      out.len(value.members.length);
      for (const m of value.members) out.string(m);
      return T_SET;
    case 'zset':
      out.len(value.entries.length);
      for (const [m, score] of value.entries) out.string(m).double(scoreToDouble(score));
      return T_ZSET_2;
    case 'hash':
      out.len(value.fields.length);
      for (const [f, v] of value.fields) out.string(f).string(v);
      return T_HASH;
    default:
      throw new RangeError(`a ${value.type === 'other' ? `module value (${value.typeName})` : value.type} has no plain form built from its canonical value`);
  }
}

/** A hash's fields with each one's absolute expiry in ms (0: none), in the order the source holds them. */
export interface HashWithTtls {
  readonly fields: readonly (readonly [field: Buffer, value: Buffer])[];
  readonly expireAt: readonly number[];
}

/** Whether the target's fork and version hold field TTLs (Redis from RDB 12, Valkey 9's format). */
export function holdsFieldTtls(target: RdbFormat): boolean {
  return target.magic === 'VALKEY' || target.version >= 12;
}

/**
 * Writes a hash with field TTLs in the target's form and returns its type;
 * at least one field must have a TTL (a hash without any is a plain hash).
 * @throws RangeError when the target holds no field TTLs, or no field has one
 */
export function writeHashWithTtls(h: HashWithTtls, target: RdbFormat, out: RdbOut): number {
  if (!holdsFieldTtls(target)) throw new RangeError(`RDB ${target.version} holds no hash field TTLs`);
  if (target.magic === 'VALKEY') {
    out.len(h.fields.length);
    h.fields.forEach(([f, v], i) => {
      out
        .string(f)
        .string(v)
        .int64(h.expireAt[i] === 0 ? -1 : h.expireAt[i]!);
    });
    return T_VALKEY_HASH_TTL;
  }
  let min = Number.POSITIVE_INFINITY;
  for (const t of h.expireAt) if (t !== 0 && t < min) min = t;
  if (min === Number.POSITIVE_INFINITY) throw new RangeError('no field of the hash has a TTL: write it as a plain hash');
  out.int64(min).len(h.fields.length);
  h.fields.forEach(([f, v], i) => {
    const t = h.expireAt[i]!;
    // Relative to the earliest expiry, plus 1: 0 stays "no TTL" (rdbLoadObject's RDB_TYPE_HASH_METADATA).
    out
      .len(t === 0 ? 0 : t - min + 1)
      .string(f)
      .string(v);
  });
  return T_REDIS_HASH_TTL;
}
