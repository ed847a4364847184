/**
 * What Redis 8.6 (RDB 13) adds around a key, as its loader reads it: key
 * metadata before the key's type (opcode 243, `RDB_OPCODE_KEY_META`), and the
 * idempotent-producer (IDMP) tail of a stream (`RDB_TYPE_STREAM_LISTPACKS_4`,
 * type 26). The parser reads the bytes; the rules live here.
 *
 * Key metadata: `243`, the number of classes (a length), then per class a
 * 32-bit class spec (4 bytes, little-endian as the server writes its own
 * integer: 4 name characters of 6 bits, a 5-bit version, 3 flag bits) and the
 * class's value as module-API data (typed opcodes up to the EOF opcode 0).
 * The key's type follows and must be a value type. A server without the
 * module that registered a class skips its value when the class's
 * ALLOW_IGNORE flag (bit 0) is set and refuses the file otherwise ("Class …
 * not registered"); at most 7 classes exist ("Too many metadata classes").
 *
 * @see https://github.com/redis/redis/blob/unstable/src/keymeta.c (rdbLoadKeyMetadata, rdbLoadSkipMetaIfAllowed)
 * @see https://github.com/redis/redis/blob/unstable/src/keymeta.h (KEY_META_MAX_NUM_MODULES, KEY_META_FLAG_ALLOW_IGNORE)
 */

/** Classes a key can carry (KEY_META_ID_MODULE_FIRST 1 to _LAST 7). */
export const KEY_META_MAX_CLASSES = 7;
/** The class flag that lets a server without the class's module skip the value (KEY_META_FLAG_ALLOW_IGNORE, bit 0). */
export const KEY_META_ALLOW_IGNORE = 1;
/** The stream type that adds the IDMP tail (RDB_TYPE_STREAM_LISTPACKS_4). */
export const STREAM_WITH_IDMP = 26;
/** Bounds Redis 8.6 checks on a stream's IDMP settings when loading it (server.h CONFIG_STREAM_IDMP_*). */
export const IDMP_DURATION_MIN = 1;
export const IDMP_DURATION_MAX = 86400;
export const IDMP_MAXSIZE_MIN = 1;
export const IDMP_MAXSIZE_MAX = 10000;

/** The characters of class and module type names, 6 bits each (keymeta.c's keyMetaCharSet). */
const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** A key metadata class spec, decoded as keyMetaClassDecode does (every 32-bit value decodes). */
export interface KeyMetaClassSpec {
  /** The 4-character class name; its module registers it as `META-<name>`. */
  readonly name: string;
  readonly version: number;
  readonly flags: number;
}

/** Decodes the 4 bytes of a class spec at `bytes[at]` (little-endian). */
export function decodeKeyMetaClassSpec(bytes: Uint8Array, at: number): KeyMetaClassSpec {
  const value = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  let name = '';
  for (let i = 0, rest = value >>> 8; i < 4; i++, rest >>>= 6) name = NAME_CHARS[rest & 63]! + name;
  return { name, version: (value >>> 3) & 31, flags: value & 7 };
}

/**
 * The number of classes as the loader sees it: the length truncated to a C
 * `int` (a negative count loads no class), and more than
 * {@link KEY_META_MAX_CLASSES} refused. Returns the count, or the problem.
 */
export function keyMetaClassCount(length: number): number | string {
  const asInt = Number(BigInt.asIntN(32, BigInt(length)));
  if (asInt > KEY_META_MAX_CLASSES)
    return `${asInt} metadata classes, more than the ${KEY_META_MAX_CLASSES} a key can carry: Redis refuses it ("Too many metadata classes")`;
  return Math.max(0, asInt);
}

/** Whether Redis 8.6 takes `type` as a value type after key metadata (rdbIsObjectType: 0–7, 9–26). */
export function isRedis86ValueType(type: number): boolean {
  return (type >= 0 && type <= 7) || (type >= 9 && type <= STREAM_WITH_IDMP);
}

/** The problem with a stream's IDMP duration (seconds) or entry limit as Redis 8.6 loads them, or null. */
export function idmpSettingsProblem(duration: number, maxEntries: number): string | null {
  if (duration < IDMP_DURATION_MIN || duration > IDMP_DURATION_MAX)
    return `IDMP duration ${duration} s is outside ${IDMP_DURATION_MIN}–${IDMP_DURATION_MAX}: Redis refuses it ("Stream IDMP duration out of range")`;
  if (maxEntries < IDMP_MAXSIZE_MIN || maxEntries > IDMP_MAXSIZE_MAX)
    return `IDMP max entries ${maxEntries} is outside ${IDMP_MAXSIZE_MIN}–${IDMP_MAXSIZE_MAX}: Redis refuses it ("Stream IDMP max entries out of range")`;
  return null;
}
