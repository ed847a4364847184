/**
 * One dispatch table of value readers per magic (`REDIS` / `VALKEY`: the same type byte means different things, see format/opcodes.ts), looked up once per key; the readers live in one file per type family (format/parse-*.ts).
 */
import { STREAM_WITH_IDMP } from './key-meta.js';
import { HASH_TEMPLATE_ARRAY, HASH_TEMPLATE_ARRAY_REF, HASH_TEMPLATE_LP, HASH_TEMPLATE_LP_REF, REDIS_ARRAY, STREAM_WITH_NACKS } from './opcodes.js';
import { selfContainedTemplate, templateListpack, templateValues } from './parse-hash-templates.js';
import {
  hashtableHash,
  listpackHash,
  listpackHashWithTtls,
  redisHashWithTtls,
  trustedHashtableHash,
  trustedHashWithTtls,
  trustedListpackHashWithTtls,
  valkeyHashWithTtls,
  ziplistHash,
  zipmapHash,
} from './parse-hashes.js';
import { array, linkedList, quicklist, quicklist2, trustedQuicklist2, ziplistList } from './parse-lists.js';
import { moduleValue, preGaModuleValue } from './parse-modules.js';
import { hashtableSet, intsetSet, listpackSet } from './parse-sets.js';
import type { RdbParserState } from './parse-state.js';
import { idmpStream, stream, trustedStream } from './parse-streams.js';
import { oneString } from './parse-strings.js';
import { listpackZset, skiplistZset, trustedSkiplistZset, ziplistZset } from './parse-zsets.js';

/** Reads the current key's value from `sub` on; true when complete (see RdbParser's value). */
export type ValueReader = (p: RdbParserState, type: number) => boolean;

/** A dispatch table: the reader of each value type (by its byte), undefined for a byte that is none. */
function table(entries: readonly (readonly [readonly number[], ValueReader])[]): readonly (ValueReader | undefined)[] {
  const readers: (ValueReader | undefined)[] = new Array(256).fill(undefined);
  for (const [types, read] of entries) for (const type of types) readers[type] = read;
  return readers;
}

/** The value types Redis and Valkey number alike (0–21: up to Redis 7.2 and Valkey 8). */
const SHARED: readonly (readonly [readonly number[], ValueReader])[] = [
  [[0], oneString],
  [[1], linkedList],
  [[10], ziplistList],
  [[14], quicklist],
  [[18], quicklist2],
  [[2], hashtableSet],
  [[11], intsetSet],
  [[20], listpackSet],
  [[3, 5], skiplistZset],
  [[12], ziplistZset],
  [[17], listpackZset],
  [[4], hashtableHash],
  [[9], zipmapHash],
  [[13], ziplistHash],
  [[16], listpackHash],
  [[15, 19, 21], stream],
  [[6], preGaModuleValue],
  [[7], moduleValue],
];

/**
 * The value types after the `REDIS` magic: 22 is Redis 7.4's hash with field
 * TTLs (release candidates), 23–25 its other forms, then Redis 8.6 to 8.10's
 * types (opcode() lets a type through only in files of the RDB version that
 * defines it, except 26, judged by its reader).
 */
export const REDIS_VALUES = table([
  ...SHARED,
  [[22], (p) => redisHashWithTtls(p, false)],
  [[24], (p) => redisHashWithTtls(p, true)],
  [[23, 25], listpackHashWithTtls],
  [[STREAM_WITH_IDMP], idmpStream],
  [[STREAM_WITH_NACKS], stream],
  [[REDIS_ARRAY], array],
  [[HASH_TEMPLATE_LP_REF], templateListpack],
  [[HASH_TEMPLATE_LP, HASH_TEMPLATE_ARRAY], selfContainedTemplate],
  [[HASH_TEMPLATE_ARRAY_REF], templateValues],
]);

/** The value types after the `VALKEY` magic: 22 is Valkey's hash with field TTLs; opcode() refuses any type above it. */
export const VALKEY_VALUES = table([...SHARED, [[22], valkeyHashWithTtls]]);

/**
 * Trusted reads (bounds only, see RdbParser's value): the types read by a
 * reader of their own; the others (module values, the streams of Redis 8.6
 * on, hash templates, arrays) are read in full.
 */
const TRUSTED_SHARED: readonly (readonly [readonly number[], ValueReader])[] = [
  [[0, 9, 10, 11, 12, 13, 16, 17, 20], oneString], // one string, or one blob
  [[1, 2, 14], linkedList], // elements, members, ziplist nodes
  [[4], trustedHashtableHash],
  [[3, 5], trustedSkiplistZset],
  [[18], trustedQuicklist2],
  [[15, 19, 21], trustedStream],
];

/** {@link REDIS_VALUES} in a trusted read. */
export const REDIS_TRUSTED = table([
  ...TRUSTED_SHARED,
  [[23], oneString],
  [[25], trustedListpackHashWithTtls],
  [[22, 24], (p, type) => trustedHashWithTtls(p, type, false)],
]);

/** {@link VALKEY_VALUES} in a trusted read. */
export const VALKEY_TRUSTED = table([...TRUSTED_SHARED, [[22], (p, type) => trustedHashWithTtls(p, type, true)]]);

/**
 * A trusted read's value of known byte length (RdbParserState.knownValueBytes: valueCheckedBefore gave it) passed over
 * by it, not walked: true when it lies whole in the buffer. Only at the value's start (the length is taken on the first
 * call), and never for a plain list, set, zset or hash whose count is 0 (its walk says it is empty: Redis skips it).
 */
export function passedOver(p: RdbParserState, type: number): boolean {
  const n = p.knownValueBytes;
  p.knownValueBytes = -1;
  if (n < 0 || p.pos + n > p.limit || (type >= 1 && type <= 5 && p.buf[p.pos] === 0)) return false;
  p.pos += n;
  return true;
}
