/**
 * The RDB parser's constants: its phases, string-body kinds, what it is reading (for messages) and the bounds it keeps. See format/parser.ts.
 */

/** Thrown (never escapes the parser) when a token runs past the current buffer. Not an Error: no stack to capture. */
export const UNDERFLOW = { underflow: true } as const;

/**
 * Upper bound on the bytes read between two commit points outside string
 * bodies (the largest is a zset score: 1 + 252 bytes), so the carry-over
 * stays this small.
 */
export const MAX_TOKEN = 512;

/** The longest AUX value a report holds whole, in characters; a longer one is reported cut ({@link reportedAux}). */
export const MAX_AUX_CHARS = 1024;
/**
 * An AUX value as a report holds it: cut at {@link MAX_AUX_CHARS} characters (UTF-16 units, a pair kept whole) and marked `…` when longer (a crafted
 * file's megabyte `redis-ver` is not carried in every report). Idempotent: a reported value is reported as it is.
 */
export function reportedAux(text: string): string {
  if (text.length <= MAX_AUX_CHARS) return text;
  // Not between the halves of a surrogate pair: a lone half would be written as U+FFFD and read back other than reported.
  const high = text.charCodeAt(MAX_AUX_CHARS - 1);
  return `${text.slice(0, high >= 0xd800 && high <= 0xdbff ? MAX_AUX_CHARS - 1 : MAX_AUX_CHARS)}…`;
}
/** An LZF back reference of 3 bytes expands to at most 264 bytes; literals never expand. */
export const LZF_MAX_RATIO = 88;

// Parser phases: what the next bytes are.
export const P_HEADER = 0;
export const P_OPCODE = 1;
export const P_VALUE = 2;
export const P_AUX_KEY = 3;
export const P_AUX_VALUE = 4;
export const P_MODULE_AUX = 5;
export const P_FUNCTION_END = 6;
export const P_DONE = 7;
/** Inside a key's metadata (Redis 8.6, opcode 243), before the key's type. */
export const P_KEY_META = 8;
/** Valkey 9 slot import state (opcode 243 in VALKEY files): the job name, the range count, then each range. */
export const P_SLOT_IMPORT_NAME = 9;
export const P_SLOT_IMPORT_COUNT = 10;
export const P_SLOT_IMPORT_RANGE = 11;
/** Redis 8.10 hash template record (opcode 242 in REDIS files of version 15): its id and field count, then each field. */
export const P_HASH_TEMPLATE_HEAD = 12;
export const P_HASH_TEMPLATE_FIELD = 13;

// String bodies that continue in the next chunk.
export const B_NONE = 0;
export const B_SKIP = 1;
export const B_LZF = 2;
export const B_COLLECT = 3;
/** A member whose content is fingerprinted (duplicate check) as it streams by. */
export const B_HASH = 4;
/** A key's name, digested (duplicate-key check) as it streams by. */
export const B_KEY_DIGEST = 5;
/** A big listpack validated as it streams by (format/listpack-stream.ts), not gathered. */
export const B_LISTPACK = 6;
/** A big LZF-compressed listpack expanded and validated as it streams by (format/lzf-listpack.ts), not gathered. */
export const B_LZF_LISTPACK = 7;

/** Databases a server has unless configured otherwise (`databases 16`): a file selecting a higher one needs a server with more. */
export const DEFAULT_DATABASES = 16;
/**
 * Highest database number any server can have: Redis's and Valkey's `databases` is at most INT_MAX (2147483647: "argument
 * must be between 1 and 2147483647 inclusive"), so the last database is INT_MAX − 1. A file selecting beyond it loads nowhere.
 */
export const MAX_DATABASE = 0x7ffffffe;

// What is being read, for error and truncation messages (built only when needed).
export const W_HEADER = 0;
export const W_OPCODE = 1;
export const W_SELECTDB = 2;
export const W_EXPIRETIME = 3;
export const W_EXPIRETIME_MS = 4;
export const W_RESIZEDB = 5;
export const W_SLOT_INFO = 6;
export const W_AUX = 7;
export const W_AUX_NAMED = 8;
export const W_FREQ = 9;
export const W_IDLE = 10;
export const W_MODULE_AUX = 11;
export const W_FUNCTION2 = 12;
export const W_TRAILER = 13;
export const W_KEY_NAME = 14;
export const W_KEY_VALUE = 15;
export const W_KEY_META = 16;
export const W_SLOT_IMPORT = 17;
export const W_HASH_TEMPLATE = 18;
export const FIXED_WHAT = [
  'header',
  '',
  'SELECTDB',
  'EXPIRETIME',
  'EXPIRETIME_MS',
  'RESIZEDB',
  'SLOT_INFO',
  'AUX field',
  '',
  'FREQ',
  'IDLE',
  'MODULE_AUX',
  'FUNCTION2 library',
  'CRC-64 trailer',
  '',
  '',
  'key metadata (opcode 243)',
  'slot import state (opcode 243)',
  'hash template (opcode 242)',
];

// Redis 8.6's idempotent-producer tail (type 26): settings, producers, each with its entries, then two counters.
// Redis 8.8's NACKed entries of a consumer group (type 27), after its consumers: their count, then each ID.

/** Module type names: 9 characters of this set, 6 bits each, in the high 54 bits of a module id (Redis's moduleTypeNameByID). */

/** Latest field-expiration time a hash field may carry (Redis's EB_EXPIRE_TIME_MAX, 2^48 - 1 ms). */
export const HFE_EXPIRE_MAX = 2 ** 48 - 1;

/**
 * Redis loads a hash of at most this many fields (hash-max-listpack-entries)
 * whose fields and values are all at most {@link LISTPACK_VALUE} bytes
 * (hash-max-listpack-value) into a listpack, checking duplicate fields only
 * with sanitize-dump-payload yes; the defaults, as on ElastiCache.
 */
export const LISTPACK_ENTRIES = 128;
export const LISTPACK_VALUE = 64;
/** Warnings kept in a report (more are counted). */
export const MAX_WARNINGS = 20;

export const EMPTY = new Uint8Array(0);
/** Scratch for reading a little-endian binary double (zset scores), in the platform's byte order. */
export const SCORE = new Float64Array(1);
export const SCORE_BYTES = new Uint8Array(SCORE.buffer);
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const latin1 = new TextDecoder('latin1');
export const utf8 = new TextDecoder('utf-8');
export const textEncoder = new TextEncoder();

/**
 * The database of a segment's keys before its first SELECTDB (format/split.ts): the
 * one the parser of the bytes before the segment is in, told at the merge. No
 * SELECTDB names it (at most MAX_DATABASE).
 */
export const SEGMENT_DB = 0xfffffffe;
