/**
 * The RDB parser's file structure: the header (magic and version), the opcodes between keys (what the same byte means after the `REDIS` or the `VALKEY` magic: format/opcodes.ts), key metadata, a key's end and the trailer. Functions of the parser's state (see format/parser.ts).
 */
import { keyDigestFinish, keyDigestRange, keyDigestStart } from './key-digests.js';
import { bucketOffsets, expiryBucket } from '../expiry-histogram.js';
import { RdbUnsupportedError } from '../errors.js';
import { decodeKeyMetaClassSpec, isRedis86ValueType, KEY_META_ALLOW_IGNORE, keyMetaClassCount, STREAM_WITH_IDMP } from './key-meta.js';
import {
  MAX_REDIS_VERSION,
  OP_AUX,
  OP_EOF,
  OP_EXPIRETIME,
  OP_EXPIRETIME_MS,
  OP_FREQ,
  OP_FUNCTION2,
  OP_FUNCTION_PRE_GA,
  OP_IDLE,
  OP_MODULE_AUX,
  OP_RESIZEDB,
  OP_SELECTDB,
  OP_SLOT_INFO,
  REDIS_13_KEY_META,
  REDIS_15_HASH_TEMPLATE,
  REDIS_GCRA,
  REDIS_MAX_TYPE,
  REDIS_WRITERS,
  TYPE_SLOT,
  typeBeforeItsVersion,
  VALKEY_81_PATH_HASH,
  VALKEY_OP_UPDATE,
  VALKEY_VERSIONS,
  VALKEY_WRITERS,
} from './opcodes.js';
import { libraryMetadata } from './function-library.js';
import { ReleaseLibraries, WriterLibraries } from './lua-load-writers.js';
import { luaSyntaxError } from './lua-syntax.js';
import { NO_EXPIRY } from './key-sink.js';
import * as constants from './parse-constants.js';
import { moduleBody, moduleTypeName } from './parse-modules.js';
import { fail, type RdbParserState } from './parse-state.js';
import { crcMismatch } from '../codecs/crc64.js';

// Module-local copies of the parser's constants: under tsx and vitest an imported binding is a getter call per
// read (in the CLI's CommonJS a property load), and these are read per key and per element; a local const is free.
const {
  B_KEY_DIGEST,
  B_NONE,
  latin1,
  MAX_DATABASE,
  P_AUX_KEY,
  P_DONE,
  P_FUNCTION_END,
  P_HASH_TEMPLATE_HEAD,
  P_KEY_META,
  P_MODULE_AUX,
  P_OPCODE,
  P_SLOT_IMPORT_NAME,
  P_VALUE,
  W_AUX,
  W_EXPIRETIME,
  W_EXPIRETIME_MS,
  W_FREQ,
  W_FUNCTION2,
  W_HASH_TEMPLATE,
  W_IDLE,
  W_KEY_META,
  W_KEY_NAME,
  W_MODULE_AUX,
  W_OPCODE,
  W_RESIZEDB,
  W_SELECTDB,
  W_SLOT_IMPORT,
  W_SLOT_INFO,
  W_TRAILER,
} = constants;

/** The first bytes of the compressed forms a backup is often kept in, and what undoes each (an LZ4 frame is read as it is: adapters/storage/rdb-envelope.ts). */
const COMPRESSED: readonly (readonly [magic: readonly number[], what: string])[] = [
  [[0x1f, 0x8b], 'gzip data (1f 8b): decompress it first (gunzip)'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd data (28 b5 2f fd): decompress it first (zstd -d)'],
  [[0x42, 0x5a, 0x68], 'bzip2 data ("BZh"): decompress it first (bunzip2)'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz data (fd "7zXZ" 00): decompress it first (unxz)'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive ("PK" 03 04): extract the .rdb from it first (unzip)'],
];

/**
 * `REDIS` + 4 digits (Redis, and Valkey up to 8.x: versions 1–12) or
 * `VALKEY` + 3 digits (Valkey 9 on: version 80). Valkey refuses a
 * `VALKEY` file numbered 79 or below, and both refuse versions they do not
 * know.
 */
export function header(p: RdbParserState): void {
  p.need(9);
  const header = p.buf.subarray(p.pos, p.pos + 9);
  p.pos += 9;
  const text = latin1.decode(header);
  if (text.startsWith('VALKEY')) {
    const digits = text.slice(6);
    if (!/^\d{3}$/.test(digits)) fail(`RDB version ${JSON.stringify(digits)} after the VALKEY magic is not 3 digits`);
    const version = Number(digits);
    if (version > VALKEY_VERSIONS.at(-1)!) {
      p.valkey = true;
      p.version = version; // reported: the version found is what the report names
      throw new RdbUnsupportedError(
        version,
        `a Valkey newer than ${VALKEY_WRITERS.at(-1)}`,
        `this verifier reads VALKEY versions ${VALKEY_VERSIONS.join(', ')}; upgrade redis-dr to judge it`,
      );
    }
    if (!VALKEY_VERSIONS.includes(version)) {
      fail(
        `RDB version ${version} after the VALKEY magic is not supported (${VALKEY_VERSIONS.join(', ')}; Valkey refuses "Can't handle RDB format version ${version}")`,
      );
    }
    p.valkey = true;
    p.version = version;
    p.commit(P_OPCODE);
    return;
  }
  if (!text.startsWith('REDIS')) {
    // A backup kept compressed is the likeliest: named, with the command that undoes it.
    const packed = COMPRESSED.find(([magic]) => magic.every((b, i) => header[i] === b));
    fail(`not an RDB file: missing "REDIS" or "VALKEY" magic${packed ? `; it begins as ${packed[1]}` : ''}`);
  }
  const digits = text.slice(5);
  if (!/^\d{4}$/.test(digits)) fail(`RDB version ${JSON.stringify(digits)} is not 4 digits`);
  const version = Number(digits);
  if (version < 1) fail(`RDB version ${version} is not an RDB version (Redis writes 1 and up)`);
  if (version > MAX_REDIS_VERSION) {
    p.version = version;
    throw new RdbUnsupportedError(
      version,
      `a Redis newer than ${REDIS_WRITERS[MAX_REDIS_VERSION]} (or another program)`,
      `this verifier reads REDIS versions 1–${MAX_REDIS_VERSION}; upgrade redis-dr to judge it`,
    );
  }
  p.version = version;
  p.commit(P_OPCODE);
}

/**
 * A length Redis reads with rdbLoadLen and compares with RDB_LENERR (a RESIZEDB hint, an LRU idle time): any 64-bit
 * value is taken but 2^64 - 1, the value rdbLoadLen returns on a read error, which makes Redis (and redis-check-rdb)
 * stop loading the file ("Short read or OOM loading DB"). The differential fuzz campaign's find: the verifier passed
 * such a file, and convert-rdb wrote a verified copy of it (without the value) of a file Redis refuses.
 */
function hintLength(p: RdbParserState, what: string): void {
  const at = p.pos;
  p.length(true);
  if (p.pos - at === 9 && p.buf.subarray(at + 1, at + 9).every((b) => b === 0xff))
    p.fail(`${what} is 2^64 - 1, rdbLoadLen's error value (RDB_LENERR): Redis stops loading the file there ("Short read or OOM loading DB")`);
}

export function opcode(p: RdbParserState): void {
  p.what = W_OPCODE;
  const type = p.u8();
  switch (type) {
    case OP_EOF:
      eof(p);
      return;
    case OP_SELECTDB: {
      p.what = W_SELECTDB;
      const db = p.length();
      // Redis's `databases` is an int: no configuration serves a higher one (Redis: "FATAL: Data file was created with a Redis server configured to handle more than N databases").
      if (db > MAX_DATABASE) p.fail(`database ${db} is beyond any server's databases (at most ${MAX_DATABASE + 1}): no Redis loads the file`);
      fileDbKeys(p);
      p.db = db;
      noteOnce(p.databases, db);
      break;
    }
    case OP_EXPIRETIME: {
      p.what = W_EXPIRETIME;
      p.need(4);
      const b = p.buf;
      const at = p.pos;
      p.pos = at + 4;
      // Seconds as a signed 32-bit number, as Redis reads them (rdbLoadTime: int32_t): one past 2^31 is before the epoch,
      // an expiry in the past, not one in 2100 (review 45: read unsigned, such a key was restored with a TTL of decades).
      p.pendingExpireMs = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) * 1000;
      p.expirePending = true;
      break;
    }
    case OP_EXPIRETIME_MS: {
      p.what = W_EXPIRETIME_MS;
      p.need(8);
      const b = p.buf;
      const at = p.pos;
      p.pos = at + 8;
      // Milliseconds since the epoch: a double holds real times exactly (below 2^53); one past that (a PEXPIREAT far
      // off, such as 2^63 - 1 for "never") is rounded there, and kept exactly beside it.
      const lo = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
      const hi = b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24) | 0;
      p.pendingExpireMs = hi * 0x100000000 + lo;
      p.pendingExpireExact = Number.isSafeInteger(p.pendingExpireMs) ? undefined : (BigInt(hi) << 32n) + BigInt(lo);
      // Exactly -1 is Redis's own "no expiry" (rdbLoad: expiretime != -1), so a key stored with it is a key without one.
      p.expirePending = p.pendingExpireMs !== NO_EXPIRY;
      break;
    }
    case OP_RESIZEDB:
      p.what = W_RESIZEDB;
      // Sizing hints only: Redis (and redis-check-rdb) take any 64-bit value and size the tables as they can, but one.
      hintLength(p, 'the RESIZEDB key count');
      hintLength(p, 'the RESIZEDB expiry count');
      break;
    case OP_SLOT_INFO:
      p.what = W_SLOT_INFO;
      for (let i = 0; i < 3; i++) p.length();
      break;
    case OP_AUX:
      p.what = W_AUX;
      p.commit(P_AUX_KEY);
      return;
    case OP_FREQ:
      p.what = W_FREQ;
      p.skip(1);
      break;
    case OP_IDLE:
      p.what = W_IDLE;
      hintLength(p, 'the LRU idle time');
      break;
    case OP_MODULE_AUX: {
      p.what = W_MODULE_AUX;
      // Redis refuses AUX data of a module it has not loaded ("no matching module"): name it, as for module values.
      const module = moduleTypeName(p);
      const whenOpcode = p.length();
      if (whenOpcode !== 2) fail(`MODULE_AUX: "when" opcode is ${whenOpcode}, expected 2 (unsigned int)`);
      p.length();
      noteOnce(p.moduleAux, module);
      p.commit(P_MODULE_AUX);
      return;
    }
    case OP_FUNCTION2:
      p.what = W_FUNCTION2;
      if (p.sink !== undefined) p.keyStart = p.base + p.pos - 1; // its bytes are kept as a key's are
      // Its code read whole (a library is small; the value limit holds it), its first line judged as Redis judges it:
      // counted once complete (P_FUNCTION_END).
      p.commit(P_FUNCTION_END);
      return;
    case REDIS_13_KEY_META:
      // The same byte is Valkey 9's slot import state (VALKEY magic), Redis 8.6's (RDB 13) key metadata, and no type before RDB 13.
      if (p.valkey) {
        p.what = W_SLOT_IMPORT;
        p.commit(P_SLOT_IMPORT_NAME);
        return;
      }
      if (p.version < 13) {
        unreadYet(p, type);
        fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
      }
      p.what = W_KEY_META;
      keyMetaStart(p);
      return;
    case REDIS_15_HASH_TEMPLATE:
      // The same byte is Valkey's inline replication command (VALKEY magic) and Redis 8.10's (RDB 15) hash template.
      if (p.valkey || p.version < 15) {
        unreadYet(p, type);
        fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
      }
      p.what = W_HASH_TEMPLATE;
      p.commit(P_HASH_TEMPLATE_HEAD);
      return;
    case OP_FUNCTION_PRE_GA:
      // Redis from 7.0 GA on (and Valkey) refuse it too: "Pre-release function format not supported."
      fail(
        'pre-release function format (opcode 0xF6, written by Redis 7.0 release candidates): Redis 7.2 and later and Valkey refuse to load it ("Pre-release function format not supported"); only Redis 7.0.x still reads it',
      );
      return;
    default:
      unreadYet(p, type);
      if (TYPE_SLOT[type]! < 0) fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
      // Valkey knows one type above 21: 22, its hash with field TTLs; 23–25 are Redis's.
      if (p.valkey && type > 22) fail(`value type ${type} in a Valkey (VALKEY magic) file: Valkey knows no such type and refuses the file`);
      // Redis's types from 27 on came with RDB 14 and 15: in an older file they are no type (26 is judged in value()).
      if (!p.valkey && type > STREAM_WITH_IDMP && type > maxRedisType(p))
        fail(typeBeforeItsVersion(type, p.version) ?? `unknown value type or opcode ${type} (0x${type.toString(16)})`);
      p.type = type;
      p.what = W_KEY_NAME;
      // The key's ordinal counts on only at the commit below: a name cut by the chunk's end throws this read back to
      // the type byte, to be read again with the next chunk (asked twice, the same answer; counted once).
      if (p.valueCheckedBefore !== undefined) {
        const checked = p.valueCheckedBefore(p.keysBegun, type);
        p.trusted = checked !== false;
        p.knownValueBytes = typeof checked === 'number' ? checked : -1;
      }
      if (p.sink !== undefined) p.keyStart = p.base + p.pos - 1;
      if (p.keyDigests === undefined) p.skipString();
      else p.nameOpen = !keyNameDigest(p);
      // The name's end: here, or past the body still streaming in later chunks.
      if (p.sink !== undefined) p.keyNameEnd = p.base + p.pos + (p.body !== B_NONE ? p.bodyLeft : 0);
      p.sub = 0;
      p.emptyValue = false;
      p.longElement = false;
      p.deferredDupAt = -1;
      if (p.valueCheckedBefore !== undefined) p.keysBegun++;
      p.commit(P_VALUE);
      return;
  }
  p.commit(P_OPCODE);
}

/**
 * A type or opcode a newer format defines that this verifier cannot read
 * yet: the file is unsupported, not corrupt (see {@link REDIS_13_KEY_META}).
 * Elsewhere the same byte is still an unknown type (a corrupt file).
 */
export function unreadYet(p: RdbParserState, type: number): void {
  const v = p.version;
  if (p.valkey) {
    if (type === VALKEY_OP_UPDATE) {
      throw new RdbUnsupportedError(
        v,
        `Valkey ${v >= 81 ? '9.2' : '9.0'}`,
        `opcode ${type} (a replication command inlined by a forkless save) is not read by this verifier yet`,
      );
    }
    if (v >= 81 && type >= VALKEY_81_PATH_HASH && type < OP_SLOT_INFO - 2) {
      const what = type === VALKEY_81_PATH_HASH ? 'a path hash (RDB_TYPE_PATH_HASH)' : `value type ${type}`;
      throw new RdbUnsupportedError(v, 'Valkey 9.2', `${what} is not read by this verifier yet`);
    }
    return;
  }
  if (v < 13) return;
  const max = maxRedisType(p);
  if (type === REDIS_GCRA) {
    throw new RdbUnsupportedError(
      v,
      'Redis Enterprise',
      `value type ${type} (GCRA, a rate limiter only Redis Enterprise writes; Redis OSS refuses it) is not read by this verifier`,
    );
  }
  // A type a later version defines is corrupt here (opcode() says so), not a newer format.
  if (type > max && type < REDIS_15_HASH_TEMPLATE && typeBeforeItsVersion(type, v) === null) {
    const writer = REDIS_WRITERS[v] ?? REDIS_WRITERS[MAX_REDIS_VERSION]!;
    throw new RdbUnsupportedError(
      v,
      `a Redis newer than ${writer}`,
      `value type ${type} (Redis ${writer} writes types up to ${max}) is not read by this verifier yet`,
    );
  }
}

/** The highest value type the file's RDB version defines (REDIS magic, version 13 on). */
export function maxRedisType(p: RdbParserState): number {
  return REDIS_MAX_TYPE[p.version] ?? STREAM_WITH_IDMP;
}

/** After opcode 243: the number of classes (Redis 8.6 `rdbResolveKeyType`). */
export function keyMetaStart(p: RdbParserState): void {
  const count = keyMetaClassCount(p.length(true));
  if (typeof count === 'string') p.fail(count);
  p.metaClassesLeft = count;
  p.metaInValue = false;
  p.commit(P_KEY_META);
}

/**
 * The classes of a key's metadata, each a class spec and its value as
 * module-API data, then a look at the byte after them: Redis 8.6 reads the
 * key's type there and refuses anything but a value type. A class whose
 * module a server lacks loads only with its ALLOW_IGNORE flag; without it,
 * it is named as a module type (`META-<name>`) the target server must load,
 * as module values are. True when done (the type byte is left to
 * {@link opcode}).
 */
export function keyMetaClasses(p: RdbParserState): boolean {
  for (;;) {
    if (p.metaInValue) {
      if (!moduleBody(p)) return false;
      p.metaInValue = false;
      p.metaClassesLeft--;
      p.mark = p.pos;
    }
    if (p.metaClassesLeft === 0) break;
    p.need(4);
    const spec = decodeKeyMetaClassSpec(p.buf, p.pos);
    p.pos += 4;
    if ((spec.flags & KEY_META_ALLOW_IGNORE) === 0) {
      const name = `META-${spec.name}`;
      p.moduleTypes[name] = (p.moduleTypes[name] ?? 0) + 1;
    } else p.ignorableKeyMeta[spec.name] = (p.ignorableKeyMeta[spec.name] ?? 0) + 1; // counted: what a writer leaves out is said
    p.metaInValue = true;
    p.mark = p.pos;
  }
  p.need(1);
  const type = p.buf[p.pos]!;
  if (!isRedis86ValueType(type) && !(type > STREAM_WITH_IDMP && type <= maxRedisType(p))) {
    unreadYet(p, type);
    p.fail(typeBeforeItsVersion(type, p.version) ?? `key metadata followed by byte ${type} (0x${type.toString(16)}), not a value type: Redis refuses it`);
  }
  return true;
}

export function eof(p: RdbParserState): void {
  // An expiry with no key after it: Redis (rdbLoad, 7.0 to 8.x and Valkey) keeps an expiry read until the next key takes
  // it, and at EOF leaves the loop with it unused, so the file loads with its keys as they are. Nothing is lost: dropped.
  p.expirePending = false;
  if (p.version < 5 && p.requireChecksum) fail(`checksum required, but RDB version ${p.version} files carry none (CRC-64 trailers start with version 5)`);
  if (p.version >= 5) {
    p.what = W_TRAILER;
    p.need(8);
    // The CRC covers exactly the bytes before the trailer.
    if (!p.externalChecksum && !p.noCrc) p.crc.update(p.buf, p.crcFrom, p.pos);
    const trailer = p.buf.subarray(p.pos, p.pos + 8);
    const trailerAt = p.base + p.pos;
    p.pos += 8;
    if (trailer.every((b) => b === 0)) {
      p.checksum = 'absent';
      if (p.requireChecksum) {
        fail(
          'checksum required, but the CRC-64 trailer is all zeros (written with rdbchecksum no, or zeroed after the fact): a copy that must carry a checksum does not verify without one',
        );
      }
    } else if (p.noCrc) {
      // Judged when these bytes were verified (the block CRCs prove them the same), or by the verifier beside this read.
      p.checksum = 'ok';
    } else if (p.externalChecksum || p.segment) {
      // Judged by settleChecksum once the caller has the CRC of the bytes before trailerAt.
      p.pendingTrailer = trailer.slice();
      p.trailerAt = trailerAt;
    } else if (p.crc.matchesLittleEndian(trailer)) p.checksum = 'ok';
    else {
      p.checksum = 'mismatch';
      fail(crcMismatch(trailer, p.crc));
    }
  }
  p.commit(P_DONE);
}

/** The items of each list {@link noteOnce} keeps, as a set (made from the list when first asked). */
const seenSets = new WeakMap<unknown[], Set<unknown>>();

/**
 * Adds `item` to `list` (in order of first sight) unless it is there: looked up in a set beside the list, not searched
 * for in it. A parser's `databases` (a file may select hundreds of thousands of databases, which a server configured
 * with as many loads: the search at each SELECTDB made reading it quadratic, 30 s at 130,000) and `moduleAux` (a crafted
 * file may name as many modules in AUX data: 2.2 s at 40,000 names, 3.5 minutes at 300,000).
 */
export function noteOnce<T>(list: T[], item: T): void {
  let seen = seenSets.get(list) as Set<T> | undefined;
  if (!seen) seenSets.set(list, (seen = new Set(list)));
  if (seen.has(item)) return;
  seen.add(item);
  list.push(item);
}

/** Files the keys read since the database began under it (at a SELECTDB, and at the end). */
export function fileDbKeys(p: RdbParserState): void {
  const n = p.keys - p.dbStartKeys;
  if (n > 0 && p.keysByDb !== undefined) p.keysByDb.set(p.db, (p.keysByDb.get(p.db) ?? 0) + n);
  p.dbStartKeys = p.keys;
}

export function finishKey(p: RdbParserState): void {
  // A key read by its bounds in a file read in full otherwise: what follows is checked again.
  p.trusted = p.trustedFile;
  // A trusted read takes the earlier read's word for which keys are empty (a blob's emptiness needs its validation).
  if (p.trustedEmpty !== undefined) p.emptyValue = p.trustedEmpty.has(p.keyStart);
  if (p.emptyValue) {
    // Redis and Valkey skip a collection with no element on load: it never becomes a key.
    p.emptyKeys++;
    p.sink?.emptyKey?.(p.keyStart);
    p.keyStart = -1;
    p.expirePending = false;
    p.commit(P_OPCODE);
    return;
  }
  p.keys++;
  // A copy already expired when the file was written is skipped by a primary loading it (rdbLoad drops a key expired at
  // load before adding it), so it is no duplicate there: only copies alive at the file's time are checked.
  if (!(p.expirePending && p.fileTimeMs >= 0 && p.pendingExpireMs < p.fileTimeMs)) p.keyDigests?.add(p.kd[0]!, p.kd[1]!, p.kd[2]!, p.db);
  if (p.expirePending) {
    p.expires++;
    if (p.fileTimeMs >= 0) {
      if (p.pendingExpireMs < p.fileTimeMs) p.expiredKeys++;
      const offset = p.pendingExpireMs - p.fileTimeMs;
      // Neighbouring keys mostly share a bucket: two comparisons instead of finding it again.
      if (!(offset > p.bucketFrom && offset <= p.bucketTo)) {
        p.bucket = expiryBucket(offset);
        p.bucketFrom = bucketOffsets(p.bucket).after;
        p.bucketTo = bucketOffsets(p.bucket).upTo;
      }
      p.expiryCounts[p.bucket]! += 1;
    } else p.expiryUnbased++;
    p.expiryTimes?.add(p.pendingExpireMs);
  }
  if (p.sink !== undefined) {
    p.sink.key(p.db, p.type, p.keyStart, p.keyNameEnd, p.base + p.pos, p.expirePending ? p.pendingExpireMs : NO_EXPIRY);
    p.keyStart = -1;
  }
  p.expirePending = false;
  const slot = TYPE_SLOT[p.type]!;
  if (p.typeCounts[slot]++ === 0) p.typeOrder.push(slot);
  if (p.rdbTypesSeen) p.rdbTypesSeen[p.type] = 1;
  p.commit(P_OPCODE);
}

/**
 * Reads a key's name into its digest (`kd`): its content as Redis
 * compares it (an integer-encoded name as its decimal text, an LZF one
 * expanded, bounded by maxValueBytes). False when its body continues in the
 * next chunks; the next call, once it is complete, returns true.
 */
export function keyNameDigest(p: RdbParserState): boolean {
  if (p.kdReady) {
    p.kdReady = false;
    keyDigestFinish(p.kd, p.kdLength);
    return true;
  }
  const kept = p.collected;
  if (kept !== null && p.kdCollect) {
    p.collected = null;
    p.kdCollect = false;
    keyDigestRange(kept, 0, kept.length, p.kd);
    return true;
  }
  const n = p.lengthOrEncoding(false);
  if (n >= 0) {
    if (p.pos + n <= p.limit) {
      keyDigestRange(p.buf, p.pos, p.pos + n, p.kd);
      p.pos += n;
      return true;
    }
    p.kdLength = n;
    keyDigestStart(p.kd);
    p.startBody(B_KEY_DIGEST, n);
    return false;
  }
  const bytes = p.encodedString(-1 - n);
  if (bytes === null) {
    p.kdCollect = true;
    return false;
  }
  keyDigestRange(bytes, 0, bytes.length, p.kd);
  return true;
}

/**
 * The file's time in ms from its `ctime` AUX field (seconds, digits only), or `before` where it gives none to count
 * expiries from: not digits, or past what a double holds exactly in ms (the year 287,000 on). Redis only logs the age it
 * gives, so such a file loads; taken as it was, it made the one-pass report throw (the expiry histogram takes whole
 * seconds) and, past 308 digits (Infinity: JSON null), a checkpoint the DR job's schema refuses.
 */
export function fileTimeOf(text: string, before: number): number {
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Number.NaN;
  return Number.isSafeInteger(ms) ? ms : before;
}

/** The library names a file's read has met so far (a parser's; a read resumed from a checkpoint takes them from it). */
const LIBRARY_NAMES = new WeakMap<RdbParserState, Set<string>>();

/** The file's libraries as its writer loads them (lua-load-writers.ts WriterLibraries), per parser: a read resumed from a checkpoint judges those after it. */
const WRITERS = new WeakMap<RdbParserState, WriterLibraries>();

/** The file's libraries as every release whose load is known loads them (lua-load-writers.ts ReleaseLibraries), per parser. */
const RELEASES = new WeakMap<RdbParserState, ReleaseLibraries>();

/** For the report: each release whose load is known that certainly refuses a library of the file, with why (absent when none). */
export function libraryRefusals(p: RdbParserState): { libraryRefusals?: Record<string, string> } {
  const refusals = RELEASES.get(p)?.refusals;
  return refusals === undefined || Object.keys(refusals).length === 0 ? {} : { libraryRefusals: { ...refusals } };
}

/** The library names read so far, for a checkpoint (absent when none: a checkpoint of a file without libraries is as before). */
export function libraryCheckpoint(p: RdbParserState): { functionLibraryNames?: string[] } {
  const names = LIBRARY_NAMES.get(p);
  return names === undefined || names.size === 0 ? {} : { functionLibraryNames: [...names] };
}

/**
 * Takes up the library names a checkpoint carries: a library after it with one of those names is refused, as a read of
 * the whole file refuses it (a checkpoint from before they were kept carries none; then only names after it are held).
 */
export function resumeLibraries(p: RdbParserState, names: readonly string[] | undefined): void {
  if (names !== undefined && names.length > 0) LIBRARY_NAMES.set(p, new Set(names));
}

/**
 * A function library's code (P_FUNCTION_END), read whole (a library is small; the value limit holds it): its first line
 * judged as Redis judges it on load, which refuses the whole file over one it refuses (function-library.ts), and its
 * Lua's syntax (lua-syntax.ts); then
 * counted, and handed to the sink. Waits for more bytes when they are not all here.
 */
export function functionLibraryEnd(p: RdbParserState): void {
  p.what = W_FUNCTION2;
  const code = p.keptString();
  if (code === null) return;
  const m = libraryMetadata(code);
  if (typeof m === 'string') p.fail(`Redis refuses it on load ("Failed loading library, ${m}")`);
  const syntax = luaSyntaxError(code);
  if (syntax !== undefined) p.fail(`Redis refuses it on load ("Failed loading library, Error compiling function: ${syntax}")`);
  // Its top level run as the release that wrote the file runs it (the AUX fields come first): refused there, it was changed since.
  let writer = WRITERS.get(p);
  if (!writer) WRITERS.set(p, (writer = new WriterLibraries(p.auxFields)));
  const refused = writer.refused(code, m.name);
  if (refused !== undefined) p.fail(`library '${m.name}': ${refused}`);
  // And as every release whose load is known runs it: those that refuse it are left out of the releases that load the file.
  let releases = RELEASES.get(p);
  if (!releases) RELEASES.set(p, (releases = new ReleaseLibraries()));
  releases.add(code, m.name);
  // A name a library before it had: Redis refuses that too (rdbFunctionLoad creates each without replacing one).
  let names = LIBRARY_NAMES.get(p);
  if (names?.has(m.name)) p.fail(`Redis refuses it on load ("Failed loading library, Library '${m.name}' already exists")`);
  if (!names) LIBRARY_NAMES.set(p, (names = new Set()));
  names.add(m.name);
  p.functionLibraries++;
  if (p.sink !== undefined) {
    p.sink.functionLibrary(p.keyStart, p.base + p.pos);
    p.keyStart = -1;
  }
  p.commit(P_OPCODE);
}
