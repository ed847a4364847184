/**
 * The RDB format's opcodes and value types, as rdb.h numbers them, and the
 * versions this verifier reads (which Redis or Valkey writes each, and what
 * newer versions add that it does not read yet).
 *
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.h
 * @see https://github.com/valkey-io/valkey/blob/unstable/src/rdb.h
 */

export const OP_SLOT_INFO = 0xf4;
export const OP_FUNCTION2 = 0xf5;
export const OP_FUNCTION_PRE_GA = 0xf6;
export const OP_MODULE_AUX = 0xf7;
export const OP_IDLE = 0xf8;
export const OP_FREQ = 0xf9;
export const OP_AUX = 0xfa;
export const OP_RESIZEDB = 0xfb;
export const OP_EXPIRETIME_MS = 0xfc;
export const OP_EXPIRETIME = 0xfd;
export const OP_SELECTDB = 0xfe;
export const OP_EOF = 0xff;

/** Redis type names, in the order {@link TYPE_SLOT} indexes them. */
export const TYPE_NAMES = ['string', 'list', 'set', 'zset', 'hash', 'stream', 'module', 'array'] as const;
/** Index into {@link TYPE_NAMES} per RDB value type; -1 for bytes that are no value type. */
export const TYPE_SLOT = new Int8Array(256).fill(-1);
for (const [types, slot] of [
  [[0], 0],
  [[1, 10, 14, 18], 1],
  [[2, 11, 20], 2],
  [[3, 5, 12, 17], 3],
  [[4, 9, 13, 16, 22, 23, 24, 25, 29, 30, 31, 32], 4],
  [[15, 19, 21, 26, 27], 5],
  [[6, 7], 6],
  [[28], 7],
] as const) {
  for (const type of types) TYPE_SLOT[type] = slot;
}

const STREAM_SLOT = TYPE_NAMES.indexOf('stream');
/** Whether RDB value type `type` is a stream's (15, 19, 21, 26, 27: {@link TYPE_SLOT}'s). */
export const isStreamType = (type: number): boolean => TYPE_SLOT[type] === STREAM_SLOT;

/** RDB versions after the `VALKEY` magic that Valkey writes (9.0: 80, 9.2: 81), and the Valkey that writes each. */
export const VALKEY_VERSIONS = [80, 81];
export const VALKEY_WRITERS = ['9.0', '9.2'];
/** Highest version after the `REDIS` magic this verifier reads (Redis 7.4 to 8.4 write 12, 8.6 writes 13, 8.8 14, 8.10 15). */
export const MAX_REDIS_VERSION = 15;
/** The Redis releases that write a version (the newest of them), for messages. */
export const REDIS_WRITERS: Readonly<Record<number, string>> = { 11: '7.2', 12: '8.4', 13: '8.6', 14: '8.8', 15: '8.10' };
/**
 * The highest value type each RDB version after the `REDIS` magic defines
 * (rdb.h's rdbIsObjectType as of the release that writes it). A type a later
 * version defines, in a file of an earlier one, is corrupt
 * ({@link typeBeforeItsVersion}); a type no version defines yet, above the
 * file's highest from RDB 13 on, is one a newer format adds (unsupported;
 * see {@link REDIS_13_KEY_META}).
 */
export const REDIS_MAX_TYPE: Readonly<Record<number, number>> = { 13: 26, 14: 28, 15: 32 };

/** What the value types Redis added from RDB 13 on hold, for messages. */
const LATER_TYPE_TITLES: Readonly<Record<number, string>> = {
  26: 'a stream with idempotent-producer data',
  27: 'a stream with NACKed entries',
  28: 'a sparse array',
  29: 'a self-contained template hash, listpack',
  30: 'a template hash, listpack',
  31: 'a self-contained template hash, strings',
  32: 'a template hash, strings',
};

/**
 * The problem with value type `type` in a `REDIS` file of RDB `version`
 * that does not define it while a later version does (type 29 in an RDB 13
 * file), or null. No server writes that: the one that writes the version
 * refuses the type as unknown, and the one that writes the type writes a
 * later version. So the file is damaged (corrupt), not a newer format.
 */
export function typeBeforeItsVersion(type: number, version: number): string | null {
  const title = LATER_TYPE_TITLES[type];
  if (title === undefined) return null;
  const first = Number(Object.keys(REDIS_MAX_TYPE).find((v) => type <= REDIS_MAX_TYPE[Number(v)]!));
  if (version >= first) return null;
  const loader = REDIS_WRITERS[version] === undefined ? `a loader of RDB ${version}` : `Redis ${REDIS_WRITERS[version]}'s loader`;
  return `value type ${type} (${title}) in an RDB ${version} file: RDB ${version} does not define it, RDB ${first} (Redis ${REDIS_WRITERS[first]}) is the first that does, and ${loader} refuses it as an unknown type`;
}
/** Redis 8.8 (RDB 14): a stream whose consumer groups carry NACKed entries (RDB_TYPE_STREAM_LISTPACKS_5). */
export const STREAM_WITH_NACKS = 27;
/** Redis 8.8 (RDB 14): a sparse array addressed by index (RDB_TYPE_ARRAY). */
export const REDIS_ARRAY = 28;
/**
 * Redis 8.10 (RDB 15) hash templates: a hash whose field names are a template
 * (opcode {@link REDIS_15_HASH_TEMPLATE}, once in the file) and whose value
 * holds only the template's id and the values: 30 as a listpack, 32 as
 * strings. 29 and 31 are the self-contained forms DUMP writes.
 */
export const HASH_TEMPLATE_LP = 29;
export const HASH_TEMPLATE_LP_REF = 30;
export const HASH_TEMPLATE_ARRAY = 31;
export const HASH_TEMPLATE_ARRAY_REF = 32;
/** Redis Enterprise's rate-limiter value (RDB_TYPE_GCRA): Redis OSS never writes it. */
export const REDIS_GCRA = 33;
/** Redis 8.10 (RDB 15): a hash template record (RDB_OPCODE_HASH_TEMPLATE), the same byte as Valkey's UPDATE. */
export const REDIS_15_HASH_TEMPLATE = 0xf2;
/**
 * Redis 8.6 (RDB 13) key metadata before a key's type (RDB_OPCODE_KEY_META;
 * read by key-meta.ts's rules), and what newer formats add that this verifier
 * does not read yet: met in a file, it is judged unsupported (not corrupt, not
 * valid). Redis: value types above 26 in an RDB 13 file. Valkey 9.2 (RDB 81):
 * its path hash (type 23, RDB_TYPE_PATH_HASH) and any type above it; Valkey's
 * opcode 242 (an inline replication command, written only into a forkless
 * save's replication stream). Valkey's opcode 243 (slot import state, the
 * same byte as Redis's key metadata) is read: format/slot-import.ts.
 */
export const REDIS_13_KEY_META = 0xf3;
export const VALKEY_OP_UPDATE = 0xf2;
export const VALKEY_81_PATH_HASH = 23;
