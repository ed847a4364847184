/**
 * The resumable RDB parser behind {@link createRdbVerifier}.
 *
 * Why it looks like this: verifying a multi-GB export is CPU-bound, so the
 * parser runs a synchronous cursor (`buf`, `pos`, `limit`) over the chunk it was
 * just given and parses as far as that chunk goes. Its persistent state (phase,
 * value type, elements left, position inside an element) changes only at
 * *commit points* (`mark`), which are never more than {@link MAX_TOKEN} bytes
 * apart outside string bodies. When a small token (a length, a string header,
 * a score, a stream ID, …) runs past the end of the chunk, the cursor throws
 * {@link UNDERFLOW}, rewinds to the last commit, and keeps the few bytes after
 * it as a carry-over that is joined with the start of the next chunk. String
 * bodies never need rewinding: one that does not fit in the chunk is streamed
 * (skipped, LZF-checked, or collected when its bytes are needed), so memory
 * stays bounded whatever the file size.
 *
 * Strings whose content does not matter (keys, members, plain values) are
 * skipped by length; LZF-compressed ones are checked by {@link LzfChecker}
 * without decompressing. Only the blobs that must be validated (ziplists,
 * listpacks, intsets, zipmaps, stream IDs) and AUX fields are materialized,
 * bounded by `maxValueBytes`. The CRC-64 runs over each chunk's consumed bytes
 * in one call, not token by token.
 *
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.c
 */
import { bucketOffsets, expiryBucket, EXPIRY_BUCKETS, formatExpiryHistogram } from '../../drills/expiry.js';
import { Crc64 } from '../codecs/crc64.js';
import { LzfChecker, lzfDecompressTransient } from '../codecs/lzf.js';
import { RdbFormatError, RdbUnsupportedError } from '../errors.js';
import { listpackHasDuplicate, listpackTtlProblem, ziplistHasDuplicate } from './blob-members.js';
import { type ListpackMembers, validateIntset, validateListpack, validateZiplist, validateZipmap } from './blobs.js';
import { DuplicateCheck, fingerprintStart, fingerprintUpdate } from './duplicates.js';
import { KeyDigestSet, keyDigestFinish, keyDigestStart, keyDigestUpdate, type KeyDigestSpill } from './key-digests.js';
import {
  HashTemplates,
  listpackFieldsProblem,
  listpackFirstId,
  SELF_FIELDS_LISTPACK,
  selfFieldFormatProblem,
  selfValuesCountProblem,
  templateFieldCountProblem,
  templateFieldOrderProblem,
  unknownTemplateProblem,
} from './hash-template.js';
import { decodeKeyMetaClassSpec, idmpSettingsProblem, isRedis86ValueType, KEY_META_ALLOW_IGNORE, keyMetaClassCount, STREAM_WITH_IDMP } from './key-meta.js';
import {
  HASH_TEMPLATE_ARRAY,
  HASH_TEMPLATE_ARRAY_REF,
  HASH_TEMPLATE_LP,
  HASH_TEMPLATE_LP_REF,
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
  REDIS_ARRAY,
  REDIS_GCRA,
  REDIS_MAX_TYPE,
  REDIS_WRITERS,
  STREAM_WITH_NACKS,
  TYPE_NAMES,
  TYPE_SLOT,
  VALKEY_81_PATH_HASH,
  VALKEY_OP_UPDATE,
  VALKEY_VERSIONS,
  VALKEY_WRITERS,
} from './opcodes.js';
import type { ChecksumStatus, RdbCheckpoint, RdbReport, RdbVerifierState, SlotImport } from '../report.js';
import { MAX_SLOT_IMPORTS_KEPT, MAX_SLOT_RANGES_KEPT, slotImportNameProblem, slotRangeCountProblem, slotRangeProblem } from './slot-import.js';

/** Thrown (never escapes the parser) when a token runs past the current buffer. Not an Error: no stack to capture. */
const UNDERFLOW = { underflow: true } as const;

/**
 * Upper bound on the bytes read between two commit points outside string
 * bodies (the largest is a zset score: 1 + 252 bytes), so the carry-over
 * stays this small.
 */
const MAX_TOKEN = 512;

const MAX_AUX_CHARS = 1024;
/** An LZF back reference of 3 bytes expands to at most 264 bytes; literals never expand. */
const LZF_MAX_RATIO = 88;

// Parser phases: what the next bytes are.
const P_HEADER = 0;
const P_OPCODE = 1;
const P_VALUE = 2;
const P_AUX_KEY = 3;
const P_AUX_VALUE = 4;
const P_MODULE_AUX = 5;
const P_FUNCTION_END = 6;
const P_DONE = 7;
/** Inside a key's metadata (Redis 8.6, opcode 243), before the key's type. */
const P_KEY_META = 8;
/** Valkey 9 slot import state (opcode 243 in VALKEY files): the job name, the range count, then each range. */
const P_SLOT_IMPORT_NAME = 9;
const P_SLOT_IMPORT_COUNT = 10;
const P_SLOT_IMPORT_RANGE = 11;
/** Redis 8.10 hash template record (opcode 242 in REDIS files of version 15): its id and field count, then each field. */
const P_HASH_TEMPLATE_HEAD = 12;
const P_HASH_TEMPLATE_FIELD = 13;

// String bodies that continue in the next chunk.
const B_NONE = 0;
const B_SKIP = 1;
const B_LZF = 2;
const B_COLLECT = 3;
/** A member whose content is fingerprinted (duplicate check) as it streams by. */
const B_HASH = 4;
/** A key's name, digested (duplicate-key check) as it streams by. */
const B_KEY_DIGEST = 5;

/** Databases a server has unless configured otherwise (`databases 16`): a file selecting a higher one needs a server with more. */
const DEFAULT_DATABASES = 16;
/** Highest database number any server can have (Redis's `databases` is an int): a file selecting beyond it loads nowhere. */
const MAX_DATABASE = 0x7fffffff;

// What is being read, for error and truncation messages (built only when needed).
const W_HEADER = 0;
const W_OPCODE = 1;
const W_SELECTDB = 2;
const W_EXPIRETIME = 3;
const W_EXPIRETIME_MS = 4;
const W_RESIZEDB = 5;
const W_SLOT_INFO = 6;
const W_AUX = 7;
const W_AUX_NAMED = 8;
const W_FREQ = 9;
const W_IDLE = 10;
const W_MODULE_AUX = 11;
const W_FUNCTION2 = 12;
const W_TRAILER = 13;
const W_KEY_NAME = 14;
const W_KEY_VALUE = 15;
const W_KEY_META = 16;
const W_SLOT_IMPORT = 17;
const W_HASH_TEMPLATE = 18;
const FIXED_WHAT = [
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

// Positions inside a stream value (RDB types 15, 19, 21).
const S_NODES = 0;
const S_NODE_KEY = 1;
const S_NODE_LISTPACK = 2;
const S_META = 3;
const S_GROUP = 4;
const S_GROUP_META = 5;
const S_PEL = 6;
const S_CONSUMER = 7;
const S_CONSUMER_META = 8;
const S_OWNED = 9;
// Redis 8.6's idempotent-producer tail (type 26): settings, producers, each with its entries, then two counters.
const S_IDMP = 10;
const S_IDMP_PRODUCER = 11;
const S_IDMP_COUNT = 12;
const S_IDMP_IID = 13;
const S_IDMP_ID = 14;
const S_IDMP_TOTALS = 15;
// Redis 8.8's NACKed entries of a consumer group (type 27), after its consumers: their count, then each ID.
const S_NACK_COUNT = 16;
const S_NACK = 17;

/** Module type names: 9 characters of this set, 6 bits each, in the high 54 bits of a module id (Redis's moduleTypeNameByID). */
const MODULE_NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Latest field-expiration time a hash field may carry (Redis's EB_EXPIRE_TIME_MAX, 2^48 - 1 ms). */
const HFE_EXPIRE_MAX = 2 ** 48 - 1;

/**
 * Redis loads a hash of at most this many fields (hash-max-listpack-entries)
 * whose fields and values are all at most {@link LISTPACK_VALUE} bytes
 * (hash-max-listpack-value) into a listpack, checking duplicate fields only
 * with sanitize-dump-payload yes; the defaults, as on ElastiCache.
 */
const LISTPACK_ENTRIES = 128;
const LISTPACK_VALUE = 64;
/** Warnings kept in a report (more are counted). */
const MAX_WARNINGS = 20;

const EMPTY = new Uint8Array(0);
/** Scratch for reading a little-endian binary double (zset scores), in the platform's byte order. */
const SCORE = new Float64Array(1);
const SCORE_BYTES = new Uint8Array(SCORE.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');
const textEncoder = new TextEncoder();

/**
 * Receives each key's place in the file, for callers that need its bytes (key
 * recovery straight from a file: `rdb/keys.ts`). Called once per key the
 * parser accepted, in file order, as soon as its value is complete; empty
 * keys (which Redis skips on load) are not reported.
 */
export interface RdbKeySink {
  /**
   * `[start, nameEnd)`: the RDB type byte and the key's name as stored;
   * `[nameEnd, end)`: the value's bytes exactly as stored (a DUMP payload's
   * object bytes). Offsets are into the file. `expireAtMs` is -1 without an
   * expiry.
   */
  key(db: number, type: number, start: number, nameEnd: number, end: number, expireAtMs: number): void;
  /** A function library: `[start, end)` is its FUNCTION2 opcode and the library's code string as stored. */
  functionLibrary(start: number, end: number): void;
  /** A key whose value holds no element (skipped on load, never passed to {@link key}): `start` is its type byte's offset. */
  emptyKey?(start: number): void;
}

function fail(message: string): never {
  throw new RdbFormatError(message);
}

/** The message of a trailer that does not match the checksum computed over the bytes before it. */
function crcMismatch(trailer: Uint8Array, computed: Crc64): string {
  const stored = new DataView(trailer.buffer, trailer.byteOffset, 8).getBigUint64(0, true);
  return `CRC-64 mismatch: trailer 0x${stored.toString(16)}, computed 0x${computed.value.toString(16)}`;
}

/** The state machine; see the module comment. One instance per file. */
export class RdbParser {
  // ---- report ---------------------------------------------------------
  private version = 0;
  private checksum: ChecksumStatus = 'absent';
  /** Bytes after the end of the file (EOF opcode and checksum), which Redis ignores. */
  private trailingBytes = 0;
  private keys = 0;
  private expires = 0;
  /** Keys whose expiry had passed when the file was written (its `ctime`): a server loading it as a primary drops them. */
  private expiredKeys = 0;
  private fileTimeMs = -1;
  private pendingExpireMs = 0;
  /** Keys with an expiry per bucket of the expiry grid (domain/expiry.ts), from the file's `ctime`. */
  private readonly expiryCounts = new Float64Array(EXPIRY_BUCKETS);
  /** The last key's bucket and its offsets (after, up to]: the next key is likely in it too. */
  private bucket = 0;
  private bucketFrom = 0;
  private bucketTo = -1;
  /** Keys with an expiry not in `expiryCounts` (read before any `ctime`, or before a checkpoint that kept no histogram). */
  private expiryUnbased = 0;
  /** Keys whose value holds no element: Redis skips them on load ("empty keys skipped"). */
  private emptyKeys = 0;
  /** Keys per module type name (module values written through the module API). */
  private readonly moduleTypes: Record<string, number> = {};
  /** Modules whose AUX data the file carries (MODULE_AUX opcodes): a server without them refuses the file. */
  private readonly moduleAux: string[] = [];
  /** `VALKEY` magic (Valkey 9 on), not `REDIS`. */
  private valkey = false;
  private readonly databases: number[] = [];
  /** Keys per {@link TYPE_NAMES} slot, and the slots in order of first appearance (the report keeps that order). */
  private readonly typeCounts = new Float64Array(TYPE_NAMES.length);
  private readonly typeOrder: number[] = [];
  private readonly auxFields: Record<string, string> = {};
  private functionLibraries = 0;
  /** Valkey 9 slot imports in progress when the file was saved (opcode 243), at most {@link MAX_SLOT_IMPORTS_KEPT} kept. */
  private readonly slotImports: SlotImport[] = [];
  private slotImportJobs = 0;
  /** The slot import being read: its job name, ranges kept, ranges in the file, and ranges still to read. */
  private importJob = '';
  private importRanges: [number, number][] = [];
  private importRangeCount = 0;
  private importRangesLeft = 0;
  /** Redis 8.10's hash templates defined so far (opcode 242): one number each, whatever their fields. */
  private readonly templates = new HashTemplates();
  /** The template being read: its id, its fields still to read, and the last field read (for the order check). */
  private templateId = 0;
  private templateFields = 0;
  private templateFieldsLeft = 0;
  private templatePrevious: Uint8Array = EMPTY;
  /** Keys whose hash references one of those templates (types 30, 32). */
  private templateHashes = 0;
  /** The self-contained template hash being read (types 29, 31): its field count, and the last raw field (for the order check). */
  private selfFields = 0;
  private selfPrevious: Uint8Array = EMPTY;
  /** Database selected by the last SELECTDB (0 before any). */
  private db = 0;
  /** With a {@link RdbKeySink}: file offsets of the open key's type byte and of its name's end; -1 when no key is open. */
  private keyStart = -1;
  private keyNameEnd = -1;
  private error: { offset: number; message: string } | undefined;
  /** The file is in a format this parser does not know (set with `error`): neither valid nor corrupt. */
  private unsupported: { version: number; writtenBy: string } | undefined;

  // ---- cursor over the current buffer -----------------------------------
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  private limit = 0;
  /** Last commit point in `buf`: state matches the input up to here. */
  private mark = 0;
  /** File offset of `buf[0]`. */
  private base = 0;
  /** Bytes of `buf` before this index are in the CRC already. */
  private crcFrom = 0;
  private crc = new Crc64();
  /** With an external checksum: the trailer read, until {@link RdbParser.settleChecksum} judges it. */
  private pendingTrailer: Uint8Array | null = null;
  /** With an external checksum: the trailer's file offset once read, else -1. */
  private trailerAt = -1;
  /** Bytes pushed so far. */
  private total = 0;
  /** Uncommitted bytes at the end of the last chunk (fewer than MAX_TOKEN), then room to join the next chunk's start. */
  private readonly carry = new Uint8Array(2 * MAX_TOKEN);
  private carryLength = 0;

  // ---- parse state ------------------------------------------------------
  private phase = P_HEADER;
  private what = W_HEADER;
  private expirePending = false;
  private auxKey = '';
  /** RDB type of the key being read. */
  private type = 0;
  /** Position inside the value: 0 before its first byte; then per type. */
  private sub = 0;
  /** Elements left at the value's levels (stream: nodes or groups; PEL entries or consumers; owned IDs). */
  private count = 0;
  private count2 = 0;
  private count3 = 0;
  /** Key metadata (P_KEY_META): classes left, and whether the current class's value is being read. */
  private metaClassesLeft = 0;
  private metaInValue = false;
  private streamNodes = 0;
  /** The group's PEL: entry ID → whether a consumer owns it. Reused (cleared) from group to group, as are the sets below. */
  private readonly pel = new Map<string, boolean>();
  /** Fingerprints (53 bits) of the stream's group names and of the current group's consumer names; IDs the current consumer owns. */
  private readonly groupNames = new Set<number>();
  private readonly consumerNames = new Set<number>();
  private readonly owned = new Set<string>();
  /** The current key's value holds no element (an empty key: skipped on load). */
  private emptyValue = false;
  /**
   * Fingerprint of the member being read (two 32-bit FNV-1a lanes), and
   * whether a streamed one is complete. A typed array, not two number
   * fields: 32-bit values beyond V8's small integers would be boxed on every
   * store (measured: +50 MiB of garbage on the 1,000,000-key benchmark).
   */
  private readonly fp = new Int32Array(2);
  private fpReady = false;
  /** The collected bytes in progress are a member to fingerprint, not a blob to keep. */
  private fpCollect = false;
  private readonly dups: DuplicateCheck;
  /**
   * The open key's name digest (three 32-bit lanes, format/key-digests.ts),
   * whether a streamed one is complete, and whether a name that did not fit
   * its chunk (streamed, or LZF-collected) is still to be finished.
   */
  private readonly kd = new Int32Array(3);
  private kdLength = 0;
  private kdReady = false;
  private kdCollect = false;
  private nameOpen = false;
  /** Every key's digest and database, checked for a key stored twice at the end (none in a trusted read). */
  private readonly keyDigests: KeyDigestSet | undefined;
  /** File offset from which keys are in {@link keyDigests}: 0, or where a resumed verification started. */
  private keysCheckedFrom = 0;
  /** See the constructor's `trusted`. */
  private readonly trusted: boolean;
  private readonly trustedEmpty: ReadonlySet<number> | undefined;
  /** Fields of the hash being read, whether one of its fields or values is longer than LISTPACK_VALUE, and where its first duplicate field was. */
  private collectionLength = 0;
  private longElement = false;
  private deferredDupAt = -1;
  private readonly warnings: { offset: number; message: string }[] = [];
  private warningCount = 0;
  /** Collections checked on a sample only (more members than DUP_EXACT_MEMBERS), and the smallest detection probability. */
  private sampledCollections = 0;
  private minDupDetection = 1;

  // ---- a string body that continues in later chunks ---------------------
  private body = B_NONE;
  private bodyLeft = 0;
  private readonly lzf = new LzfChecker();
  /** Plain length to expand to after LZF (the LZF header's second length). */
  private lzfPlain = 0;
  private collecting: Uint8Array = EMPTY;
  private collectedBytes = 0;
  private collectLzf = false;
  /** A collected string, handed to the next {@link keptString} call. */
  private collected: Uint8Array | null = null;

  // ---- pausing at a checkpoint --------------------------------------------------
  /** A pause was asked for: stop at the next top-level boundary. */
  private pauseWanted = false;
  /** File offset where the parser paused; -1 while it has not. */
  private pausedAt = -1;

  constructor(
    private readonly maxValueBytes: number,
    /** A file without a CRC-64 (an all-zero trailer, or RDB < 5) is a failure, not `absent`. */
    private readonly requireChecksum = false,
    resumeFrom?: RdbCheckpoint,
    /** Told where each key's bytes are; checked once per key, so the verifier without one pays nothing. */
    private readonly sink?: RdbKeySink,
    /** Told every key's expiry time (ms), when the caller wants them exactly (`drill local`). */
    private readonly expiryTimes?: { add(expireAtMs: number): void },
    /** The CRC-64 is computed by the caller (another thread): see {@link RdbParser.checksumEnd} and {@link RdbParser.settleChecksum}. */
    private readonly externalChecksum = false,
    /** Members of a collection whose duplicate check is exact (a read of bytes verified before needs less: see RdbKeyReaderOptions.reread). */
    dupExactMembers?: number,
    /**
     * The bytes are ones this parser judged valid before, proven the same by
     * block CRCs (rdb/block-digests.ts): only the keys' bounds are read. No
     * CRC-64, no blob validation, no LZF check, no duplicate check; the keys
     * that read found empty are given by their type byte's offset (their
     * emptiness is not worked out again). See RdbKeyReaderOptions.verifiedBefore.
     */
    trusted?: { readonly emptyKeys: ReadonlySet<number> },
    /** Where the duplicate-key check puts its digests when they do not fit in memory (see format/key-digests.ts); without one, it samples. */
    keyDigestSpill?: () => KeyDigestSpill,
    /** @internal Digest records held in memory before spilling (tests make it small). */
    keyDigestsInMemory?: number,
  ) {
    this.trusted = trusted !== undefined;
    this.keyDigests = this.trusted ? undefined : new KeyDigestSet(keyDigestSpill, keyDigestsInMemory);
    this.trustedEmpty = trusted?.emptyKeys;
    if (this.trusted && sink === undefined) throw new RangeError('a trusted read is for a key sink (its empty keys are named by offset)');
    this.dups = new DuplicateCheck(dupExactMembers);
    if (externalChecksum && resumeFrom) throw new RangeError('a verification whose checksum is computed elsewhere cannot resume from a checkpoint');
    if (resumeFrom) this.resume(resumeFrom);
  }

  /**
   * With an external checksum: how many bytes from the start of the file are
   * known to be covered by the CRC-64 trailer (the bytes committed so far; once
   * the trailer has been read, exactly the bytes before it). A caller may
   * checksum the file up to here; never beyond.
   */
  checksumEnd(): number {
    return this.trailerAt >= 0 ? this.trailerAt : this.total - this.carryLength;
  }

  /** With an external checksum: whether the trailer was read and waits for {@link RdbParser.settleChecksum}. */
  checksumPending(): boolean {
    return this.pendingTrailer !== null && !this.error;
  }

  /**
   * With an external checksum: `crc` is the CRC-64 of the bytes before the
   * trailer ([0, checksumEnd())). Judges the trailer exactly as the parser does
   * when it computes the checksum itself: the same status, error and offset.
   */
  settleChecksum(crc: bigint): void {
    const trailer = this.pendingTrailer;
    if (trailer === null || this.error) return;
    this.pendingTrailer = null;
    const computed = Crc64.resume(crc);
    if (computed.matchesLittleEndian(trailer)) {
      this.checksum = 'ok';
      return;
    }
    this.checksum = 'mismatch';
    this.trailingBytes = 0; // as when the mismatch stops the parse: bytes after the trailer are not looked at
    this.error = { offset: this.trailerAt + 8, message: crcMismatch(trailer, computed) };
  }

  /** Feeds the next bytes of the file. Never throws. */
  push(input: Uint8Array): void {
    if (this.error || this.pausedAt >= 0) return;
    // A plain view: Node Buffers (fs and S3 streams) pay for their own Buffer on every subarray().
    const chunk = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const chunkBase = this.total;
    this.total += chunk.length;
    if (chunk.length === 0) return;
    try {
      let from = 0;
      if (this.carryLength > 0 && this.phase !== P_DONE) {
        // Finish the token cut at the last chunk boundary: carry + the start of this chunk.
        const held = this.carryLength;
        const take = Math.min(chunk.length, MAX_TOKEN);
        this.carry.set(chunk.subarray(0, take), held);
        this.feed(this.carry, chunkBase - held, 0, held + take);
        if (this.pausedAt >= 0) return;
        if (this.mark < held) {
          // Still cut: only possible when the whole chunk fitted in the window.
          if (take !== chunk.length) throw new Error(`a token longer than ${MAX_TOKEN} bytes`);
          this.carry.copyWithin(0, this.mark, held + take);
          this.carryLength = held + take - this.mark;
          return;
        }
        from = this.mark - held;
        this.carryLength = 0;
      }
      if (this.phase !== P_DONE) this.feed(chunk, chunkBase, from, chunk.length);
      else this.mark = from;
      if (this.pausedAt >= 0) return;
      if (this.phase === P_DONE) {
        // Redis stops reading at the EOF opcode and its checksum; some tools append bytes after it.
        // They are ignored as Redis ignores them, and reported.
        this.trailingBytes += chunk.length - this.mark;
        return;
      }
      const rest = chunk.length - this.mark;
      if (rest > MAX_TOKEN) throw new Error(`${rest} uncommitted bytes at a chunk boundary`);
      this.carry.set(chunk.subarray(this.mark), 0);
      this.carryLength = rest;
    } catch (e) {
      this.error = { offset: this.base + this.pos, message: e instanceof RdbFormatError ? e.message : `verifier failure: ${String(e)}` };
      if (e instanceof RdbUnsupportedError) this.unsupported = { version: e.version, writtenBy: e.writtenBy };
    } finally {
      this.buf = EMPTY; // never hold on to the caller's chunk
    }
  }

  /**
   * The file's bytes could not be produced (a damaged or unknown envelope
   * around them, found by the stage that unwraps it): that is the verdict.
   */
  sourceFailed(err: RdbFormatError): void {
    if (this.error) return;
    this.error = { offset: this.total, message: err.message };
    if (err instanceof RdbUnsupportedError) this.unsupported = { version: err.version, writtenBy: err.writtenBy };
  }

  /** Declares the end of input and returns the report. Never throws. */
  end(): RdbReport {
    if (!this.error && this.phase !== P_DONE) {
      this.error = { offset: this.total, message: `unexpected end of input while reading ${this.describe()}` };
    }
    if (this.checksumPending()) {
      // Never a success without the comparison: the caller did not settle the checksum it computes.
      this.error = { offset: this.trailerAt + 8, message: 'verifier failure: the CRC-64 computed outside the parser never arrived' };
    }
    if (this.keyDigests !== undefined) this.settleDuplicateKeys(this.keyDigests);
    const needsDatabases = this.databases.length > 0 ? Math.max(...this.databases) + 1 : 0;
    const keyCheckProbability = this.keyDigests?.detectionProbability ?? 1;
    const byType: Record<string, number> = {};
    for (const slot of this.typeOrder) byType[TYPE_NAMES[slot]!] = this.typeCounts[slot]!;
    return {
      ok: this.error === undefined,
      version: this.version,
      checksum: this.checksum,
      keys: this.keys,
      expires: this.expires,
      databases: [...this.databases],
      byType,
      auxFields: { ...this.auxFields },
      functionLibraries: this.functionLibraries,
      ...(this.slotImportJobs > 0 ? { slotImports: this.slotImportsCopy(), slotImportJobs: this.slotImportJobs } : {}),
      ...(this.trailingBytes > 0 ? { trailingBytes: this.trailingBytes } : {}),
      ...(this.emptyKeys > 0 ? { emptyKeys: this.emptyKeys } : {}),
      ...(this.expiredKeys > 0 ? { expiredKeys: this.expiredKeys } : {}),
      ...(this.expires > 0 && this.expiryUnbased === 0 && this.fileTimeMs >= 0
        ? { expiryHistogram: formatExpiryHistogram({ baseMs: this.fileTimeMs, counts: [...this.expiryCounts] })! }
        : {}),
      ...(Object.keys(this.moduleTypes).length > 0 ? { moduleTypes: { ...this.moduleTypes } } : {}),
      ...(this.moduleAux.length > 0 ? { moduleAux: [...this.moduleAux] } : {}),
      ...(this.templateHashes > 0 ? { templateHashes: this.templateHashes } : {}),
      ...(this.valkey ? { magic: 'VALKEY' as const } : {}),
      ...(this.warningCount > 0 ? { warnings: [...this.warnings], warningCount: this.warningCount } : {}),
      ...(this.sampledCollections > 0
        ? { duplicateCheck: { sampledCollections: this.sampledCollections, minDetectionProbability: this.minDupDetection } }
        : {}),
      ...(this.keyDigests !== undefined && (this.keysCheckedFrom > 0 || keyCheckProbability < 1)
        ? { duplicateKeyCheck: { fromOffset: this.keysCheckedFrom, detectionProbability: keyCheckProbability } }
        : {}),
      ...(needsDatabases > DEFAULT_DATABASES ? { needsDatabases } : {}),
      ...(this.error ? { error: { ...this.error } } : {}),
      ...(this.unsupported ? { unsupported: { ...this.unsupported } } : {}),
    };
  }

  /**
   * At the end of a file read whole: a key stored twice in one database is
   * refused, as Redis refuses the file on load. The digests are freed
   * (their spill removed) whatever the outcome; a spill that cannot be read
   * back is the verifier's failure, not the file's.
   */
  private settleDuplicateKeys(digests: KeyDigestSet): void {
    try {
      if (this.error || this.phase !== P_DONE) return;
      const twice = digests.findDuplicate();
      if (twice) {
        this.error = {
          offset: this.total - this.trailingBytes,
          message: `a key is stored twice in database ${twice.db}: Redis refuses the file ("Duplicated key found in RDB file")`,
        };
      }
    } catch (e) {
      this.error = { offset: this.total, message: `verifier failure: the duplicate-key check could not read its digests back (${String(e)})` };
    } finally {
      digests.dispose();
    }
  }

  /**
   * The earliest file offset whose bytes a {@link RdbKeySink} user must still
   * hold: the open key's type byte, or the first byte not yet committed (a
   * token cut at the last chunk boundary, parsed again with the next chunk).
   */
  retainFrom(): number {
    const committed = this.total - this.carryLength;
    return this.keyStart >= 0 && this.keyStart < committed ? this.keyStart : committed;
  }

  /**
   * With a {@link RdbKeySink}: the key open at the end of the input so far
   * (its database, and the file offsets of its type byte and of its name's
   * end, which may not have arrived yet), so a sink can drop a value it will
   * not use as it streams by; undefined when no key is open.
   */
  openKey(): { readonly db: number; readonly start: number; readonly nameEnd: number } | undefined {
    return this.keyStart >= 0 && this.phase === P_VALUE ? { db: this.db, start: this.keyStart, nameEnd: this.keyNameEnd } : undefined;
  }

  /** See {@link RdbVerifier.pause}: takes effect at once when the input so far ends at a boundary. Not with an external checksum (its state is elsewhere), nor in a trusted read (no checksum). */
  pause(): void {
    if (this.pausedAt >= 0 || this.externalChecksum || this.trusted) return; // paused already: the checkpoint stays where it is
    this.pauseWanted = true;
    // Bytes held in the carry are uncommitted: the boundary before them is where the state stands.
    if (!this.error && this.phase === P_OPCODE && this.body === B_NONE) this.pausedAt = this.total - this.carryLength;
  }

  state(): RdbVerifierState {
    if (this.error) return 'failed';
    if (this.pausedAt >= 0) return 'paused';
    return this.phase === P_DONE ? 'done' : 'reading';
  }

  /** See {@link RdbVerifier.checkpoint}. */
  checkpoint(): RdbCheckpoint | undefined {
    if (this.pausedAt < 0 || this.error) return undefined;
    const byType: Record<string, number> = {};
    for (const slot of this.typeOrder) byType[TYPE_NAMES[slot]!] = this.typeCounts[slot]!;
    return {
      format: 1,
      offset: this.pausedAt,
      crc: this.crc.value.toString(16).padStart(16, '0'),
      requireChecksum: this.requireChecksum,
      version: this.version,
      valkey: this.valkey,
      keys: this.keys,
      expires: this.expires,
      expiredKeys: this.expiredKeys,
      expiryCounts: [...this.expiryCounts],
      expiryUnbased: this.expiryUnbased,
      emptyKeys: this.emptyKeys,
      fileTimeMs: this.fileTimeMs,
      ...(this.expirePending ? { pendingExpireMs: this.pendingExpireMs } : {}),
      moduleTypes: { ...this.moduleTypes },
      moduleAux: [...this.moduleAux],
      databases: [...this.databases],
      byType,
      auxFields: { ...this.auxFields },
      functionLibraries: this.functionLibraries,
      ...(this.slotImportJobs > 0 ? { slotImports: this.slotImportsCopy(), slotImportJobs: this.slotImportJobs } : {}),
      ...(this.templates.size > 0 ? { hashTemplates: this.templates.entries() } : {}),
      ...(this.templateHashes > 0 ? { templateHashes: this.templateHashes } : {}),
      warnings: this.warnings.map((w) => ({ ...w })),
      warningCount: this.warningCount,
      sampledCollections: this.sampledCollections,
      minDetectionProbability: this.minDupDetection,
    };
  }

  /** Takes up the state a checkpoint saved: the parser then expects the byte at `offset`, an opcode. */
  private resume(cp: RdbCheckpoint): void {
    if (cp.format !== 1) throw new RangeError(`an RDB checkpoint of layout ${String(cp.format)} cannot be resumed (this verifier writes layout 1)`);
    if (cp.requireChecksum !== this.requireChecksum) {
      throw new RangeError(`the checkpoint was taken with requireChecksum ${cp.requireChecksum}; resume it with the same policy`);
    }
    if (!/^[0-9a-f]{16}$/.test(cp.crc)) throw new RangeError(`the checkpoint's crc must be 16 hex digits, got ${JSON.stringify(cp.crc)}`);
    this.total = cp.offset;
    // The keys before the checkpoint are not in this run's digests: duplicates are looked for among the keys from here.
    this.keysCheckedFrom = cp.offset;
    this.crc = Crc64.resume(BigInt(`0x${cp.crc}`));
    this.version = cp.version;
    this.valkey = cp.valkey;
    this.keys = cp.keys;
    this.expires = cp.expires;
    this.expiredKeys = cp.expiredKeys;
    if (cp.expiryCounts?.length === EXPIRY_BUCKETS) {
      this.expiryCounts.set(cp.expiryCounts);
      this.expiryUnbased = cp.expiryUnbased ?? 0;
    } else this.expiryUnbased = cp.expires; // a checkpoint from before histograms: the report then has none
    this.emptyKeys = cp.emptyKeys;
    this.fileTimeMs = cp.fileTimeMs;
    this.expirePending = cp.pendingExpireMs !== undefined;
    this.pendingExpireMs = cp.pendingExpireMs ?? 0;
    Object.assign(this.moduleTypes, cp.moduleTypes);
    this.moduleAux.push(...(cp.moduleAux ?? []));
    this.databases.push(...cp.databases);
    this.db = cp.databases.at(-1) ?? 0; // Redis writes databases in ascending order: the last one seen is the current one
    for (const [name, n] of Object.entries(cp.byType)) {
      const slot = TYPE_NAMES.indexOf(name as (typeof TYPE_NAMES)[number]);
      if (slot < 0) throw new RangeError(`the checkpoint counts keys of an unknown type ${JSON.stringify(name)}`);
      this.typeCounts[slot] = n;
      this.typeOrder.push(slot);
    }
    Object.assign(this.auxFields, cp.auxFields);
    this.functionLibraries = cp.functionLibraries;
    for (const job of cp.slotImports ?? []) this.slotImports.push({ ...job, ranges: job.ranges.map(([a, b]) => [a, b] as const) });
    this.slotImportJobs = cp.slotImportJobs ?? this.slotImports.length;
    for (const [id, fields] of cp.hashTemplates ?? []) this.templates.define(id, fields);
    this.templateHashes = cp.templateHashes ?? 0;
    this.warnings.push(...cp.warnings.map((w) => ({ ...w })));
    this.warningCount = cp.warningCount;
    this.sampledCollections = cp.sampledCollections;
    this.minDupDetection = cp.minDetectionProbability;
    this.phase = P_OPCODE;
    this.what = W_OPCODE;
  }

  // ---- driver -------------------------------------------------------------

  /** Parses `buf[from, to)` as far as it goes, then adds the committed bytes to the CRC. */
  private feed(buf: Uint8Array, base: number, from: number, to: number): void {
    this.buf = buf;
    this.base = base;
    this.pos = from;
    this.limit = to;
    this.mark = from;
    this.crcFrom = from;
    try {
      while (this.phase !== P_DONE) {
        if (this.body !== B_NONE && !this.continueBody()) break;
        if (this.pauseWanted && this.phase === P_OPCODE) {
          // A top-level boundary (mark === pos here): no collection is open, so the state is small.
          this.pausedAt = base + this.mark;
          break;
        }
        this.step();
      }
    } catch (e) {
      if (e !== UNDERFLOW) throw e;
      this.pos = this.mark;
    }
    if (this.phase !== P_DONE && !this.externalChecksum && !this.trusted) this.crc.update(buf, this.crcFrom, this.mark);
  }

  /** Parses from the current phase until the next commit point at least. */
  private step(): void {
    switch (this.phase) {
      case P_OPCODE:
        this.opcode();
        return;
      case P_VALUE:
        if (this.nameOpen) {
          // The name streamed past its chunk: its body is complete now (or its LZF bytes collected).
          this.what = W_KEY_NAME;
          if (!this.keyNameDigest()) return;
          this.nameOpen = false;
          this.mark = this.pos;
        }
        this.what = W_KEY_VALUE;
        if (this.value()) this.finishKey();
        return;
      case P_HEADER:
        this.header();
        return;
      case P_AUX_KEY: {
        this.what = W_AUX;
        const key = this.keptString();
        if (key === null) return;
        this.auxKey = utf8.decode(key);
        this.commit(P_AUX_VALUE);
        return;
      }
      case P_AUX_VALUE: {
        this.what = W_AUX_NAMED;
        const value = this.keptString();
        if (value === null) return;
        const text = utf8.decode(value);
        this.auxFields[this.auxKey] = text.length > MAX_AUX_CHARS ? `${text.slice(0, MAX_AUX_CHARS)}…` : text;
        // When the file was written (seconds): keys whose expiry had passed by then are counted apart.
        if (this.auxKey === 'ctime' && /^\d+$/.test(text)) this.fileTimeMs = Number(text) * 1000;
        this.commit(P_OPCODE);
        return;
      }
      case P_MODULE_AUX:
        this.what = W_MODULE_AUX;
        if (this.moduleBody()) this.commit(P_OPCODE);
        return;
      case P_KEY_META:
        this.what = W_KEY_META;
        if (this.keyMetaClasses()) this.commit(P_OPCODE);
        return;
      case P_SLOT_IMPORT_NAME: {
        this.what = W_SLOT_IMPORT;
        const name = this.keptString();
        if (name === null) return;
        const problem = slotImportNameProblem(name.length);
        if (problem !== null) this.fail(problem);
        this.importJob = utf8.decode(name);
        this.commit(P_SLOT_IMPORT_COUNT);
        return;
      }
      case P_SLOT_IMPORT_COUNT: {
        this.what = W_SLOT_IMPORT;
        const count = this.length(true);
        const problem = slotRangeCountProblem(count);
        if (problem !== null) this.fail(problem);
        this.importRanges = [];
        this.importRangeCount = count;
        this.importRangesLeft = count;
        if (count === 0) this.endSlotImport();
        else this.commit(P_SLOT_IMPORT_RANGE);
        return;
      }
      case P_SLOT_IMPORT_RANGE: {
        // One range per commit: a job may list thousands, more than one token's carry-over.
        this.what = W_SLOT_IMPORT;
        const start = this.length(true);
        const end = this.length(true);
        const problem = slotRangeProblem(start, end);
        if (problem !== null) this.fail(problem);
        if (this.importRanges.length < MAX_SLOT_RANGES_KEPT) this.importRanges.push([start, end]);
        if (--this.importRangesLeft === 0) this.endSlotImport();
        else this.commit(P_SLOT_IMPORT_RANGE);
        return;
      }
      case P_HASH_TEMPLATE_HEAD: {
        this.what = W_HASH_TEMPLATE;
        const id = this.length(true);
        const fields = this.length(true);
        const problem = templateFieldCountProblem(fields) ?? this.templates.define(id, fields);
        if (problem !== null) this.fail(problem);
        this.templateId = id;
        this.templateFields = fields;
        this.templateFieldsLeft = fields;
        this.templatePrevious = EMPTY;
        this.commit(P_HASH_TEMPLATE_FIELD);
        return;
      }
      case P_HASH_TEMPLATE_FIELD: {
        // One field per commit: a template's field count is the file's word, so nothing is sized by it.
        this.what = W_HASH_TEMPLATE;
        const field = this.keptString();
        if (field === null) return;
        const index = this.templateFields - this.templateFieldsLeft;
        if (index > 0) {
          const problem = templateFieldOrderProblem(this.templatePrevious, field, index);
          if (problem !== null) this.fail(`template ${this.templateId}: ${problem}`);
        }
        if (--this.templateFieldsLeft === 0) {
          this.templatePrevious = EMPTY;
          this.commit(P_OPCODE);
        } else {
          this.templatePrevious = field.slice(); // the view is valid only until the next read
          this.commit(P_HASH_TEMPLATE_FIELD);
        }
        return;
      }
      case P_FUNCTION_END:
        this.functionLibraries++;
        if (this.sink !== undefined) {
          this.sink.functionLibrary(this.keyStart, this.base + this.pos);
          this.keyStart = -1;
        }
        this.commit(P_OPCODE);
        return;
    }
  }

  /** The slot import just read is complete: kept (up to a bound) and counted. */
  private endSlotImport(): void {
    this.slotImportJobs++;
    if (this.slotImports.length < MAX_SLOT_IMPORTS_KEPT) {
      this.slotImports.push({ job: this.importJob, ranges: this.importRanges, rangeCount: this.importRangeCount });
    }
    this.importRanges = [];
    this.commit(P_OPCODE);
  }

  private slotImportsCopy(): SlotImport[] {
    return this.slotImports.map((s) => ({ ...s, ranges: s.ranges.map(([a, b]) => [a, b] as const) }));
  }

  /** Moves to `phase` with the input consumed up to `pos`. */
  private commit(phase: number): void {
    this.phase = phase;
    this.mark = this.pos;
  }

  /** Streams the current buffer into the string body in progress; true when the body is complete. */
  private continueBody(): boolean {
    const from = this.pos;
    const take = Math.min(this.limit - from, this.bodyLeft);
    this.pos = from + take;
    this.mark = this.pos;
    this.bodyLeft -= take;
    const body = this.body;
    if (body === B_LZF)
      this.lzf.scan(this.buf, from, from + take); // never in a trusted read (skipString)
    else if (body === B_HASH) this.fpUpdate(this.buf, from, from + take);
    else if (body === B_KEY_DIGEST) keyDigestUpdate(this.kd, this.buf, from, from + take);
    else if (body === B_COLLECT) {
      this.collecting.set(this.buf.subarray(from, from + take), this.collectedBytes);
      this.collectedBytes += take;
    }
    if (this.bodyLeft > 0) return false;
    this.body = B_NONE;
    if (body === B_LZF) {
      const problem = this.lzf.finish();
      if (problem !== null) fail(problem);
    } else if (body === B_HASH) {
      this.fpReady = true;
    } else if (body === B_KEY_DIGEST) {
      this.kdReady = true;
    } else if (body === B_COLLECT) {
      const bytes = this.collecting;
      this.collecting = EMPTY;
      this.collected = this.collectLzf ? lzfDecompressTransient(bytes, this.lzfPlain) : bytes;
    }
    return true;
  }

  // ---- primitives -----------------------------------------------------------

  private describe(): string {
    switch (this.what) {
      case W_OPCODE:
        return `opcode after key ${this.keys}`;
      case W_AUX_NAMED:
        return `AUX field ${JSON.stringify(this.auxKey.slice(0, 64))}`;
      case W_KEY_NAME:
        return `key ${this.keys + 1} name (${TYPE_NAMES[TYPE_SLOT[this.type]!]})`;
      case W_KEY_VALUE:
        return `key ${this.keys + 1} value (${TYPE_NAMES[TYPE_SLOT[this.type]!]}, RDB type ${this.type})`;
      default:
        return FIXED_WHAT[this.what]!;
    }
  }

  /** Fails with a message about what is being read. */
  private fail(message: string): never {
    return fail(`${this.describe()}: ${message}`);
  }

  private need(n: number): void {
    if (this.pos + n > this.limit) throw UNDERFLOW;
  }

  private u8(): number {
    const p = this.pos;
    if (p >= this.limit) throw UNDERFLOW;
    this.pos = p + 1;
    return this.buf[p]!;
  }

  private skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** An RDB length; returns `-1 - encoding` for the special string encodings. */
  private lengthOrEncoding(allowHuge: boolean): number {
    const b = this.buf;
    const p = this.pos;
    if (p >= this.limit) throw UNDERFLOW;
    const first = b[p]!;
    switch (first >> 6) {
      case 0:
        this.pos = p + 1;
        return first & 0x3f;
      case 1:
        if (p + 2 > this.limit) throw UNDERFLOW;
        this.pos = p + 2;
        return ((first & 0x3f) << 8) | b[p + 1]!;
      case 3:
        this.pos = p + 1;
        return -1 - (first & 0x3f);
      default:
        break;
    }
    if (first === 0x80) {
      if (p + 5 > this.limit) throw UNDERFLOW;
      this.pos = p + 5;
      return ((b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!) >>> 0;
    }
    if (first === 0x81) {
      if (p + 9 > this.limit) throw UNDERFLOW;
      this.pos = p + 9;
      const hi = ((b[p + 1]! << 24) | (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!) >>> 0;
      const lo = ((b[p + 5]! << 24) | (b[p + 6]! << 16) | (b[p + 7]! << 8) | b[p + 8]!) >>> 0;
      if (hi > 0x1fffff && !allowHuge) this.fail(`64-bit length 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is beyond any real file`);
      return hi * 0x100000000 + lo;
    }
    this.pos = p + 1;
    return this.fail(`invalid length prefix 0x${first.toString(16)}`);
  }

  private length(allowHuge = false): number {
    const n = this.lengthOrEncoding(allowHuge);
    if (n < 0) this.fail(`expected a length, found string encoding ${-1 - n}`);
    return n;
  }

  /** Reads an LZF string's two lengths and checks them; returns the compressed length (the plain one goes to `lzfPlain`). */
  private lzfHeader(): number {
    const compressed = this.length();
    const plain = this.length();
    if (compressed === 0) this.fail('LZF string with an empty compressed body');
    if (plain > this.maxValueBytes) this.fail(`LZF string of ${plain} bytes exceeds the verifier limit of ${this.maxValueBytes} bytes`);
    if (plain > compressed * LZF_MAX_RATIO) this.fail(`LZF string claims ${plain} bytes from ${compressed} compressed bytes, more than LZF can expand`);
    this.checkLimit(compressed);
    this.lzfPlain = plain;
    return compressed;
  }

  /** Values the verifier has to hold are bounded by `maxValueBytes`. */
  private checkLimit(n: number): void {
    if (n > this.maxValueBytes) this.fail(`length ${n} exceeds the verifier limit of ${this.maxValueBytes} bytes`);
  }

  /** Begins streaming a string body of which only `buf[pos, limit)` is here; commits. */
  private startBody(kind: number, length: number): void {
    this.body = kind;
    this.bodyLeft = length;
    this.continueBody(); // takes what is here; does not complete, as the body is longer
  }

  /**
   * Skips a string whose content does not matter. Returns true when it ended
   * in this buffer, false when its body continues in the next chunks (state
   * committed; the caller returns and is called again once the body is done).
   */
  private skipString(): boolean {
    const n = this.lengthOrEncoding(false);
    if (n > LISTPACK_VALUE) this.longElement = true;
    if (n >= 0) {
      if (this.pos + n <= this.limit) {
        this.pos += n;
        return true;
      }
      this.startBody(B_SKIP, n);
      return false;
    }
    const encoding = -1 - n;
    if (encoding <= 2) {
      this.skip(1 << encoding);
      return true;
    }
    if (encoding !== 3) this.fail(`unknown string encoding ${encoding}`);
    const compressed = this.lzfHeader();
    if (this.lzfPlain > LISTPACK_VALUE) this.longElement = true;
    if (this.trusted) {
      // Checked when these bytes were verified: skipped by length.
      if (this.pos + compressed <= this.limit) {
        this.pos += compressed;
        return true;
      }
      this.startBody(B_SKIP, compressed);
      return false;
    }
    this.lzf.start(compressed, this.lzfPlain);
    if (this.pos + compressed <= this.limit) {
      this.lzf.scan(this.buf, this.pos, this.pos + compressed);
      this.pos += compressed;
      const problem = this.lzf.finish();
      if (problem !== null) fail(problem);
      return true;
    }
    this.startBody(B_LZF, compressed);
    return false;
  }

  /**
   * A string whose bytes are needed (a blob to validate, an AUX field). Returns
   * them (a view valid until the next read), or null when the body continues
   * in the next chunks: then the next call, once it is complete, returns it.
   */
  private keptString(): Uint8Array | null {
    const ready = this.collected;
    if (ready !== null) {
      this.collected = null;
      return ready;
    }
    const n = this.lengthOrEncoding(false);
    if (n >= 0) {
      this.checkLimit(n);
      if (this.pos + n <= this.limit) {
        this.pos += n;
        return this.buf.subarray(this.pos - n, this.pos);
      }
      this.collect(n, false);
      return null;
    }
    return this.encodedString(-1 - n);
  }

  /**
   * A string in one of the special encodings (integers: their decimal text;
   * LZF: expanded), as {@link keptString} returns it.
   */
  private encodedString(encoding: number): Uint8Array | null {
    if (encoding <= 2) {
      const width = 1 << encoding;
      this.need(width);
      const b = this.buf;
      const p = this.pos;
      this.pos += width;
      const v =
        width === 1
          ? (b[p]! << 24) >> 24
          : width === 2
            ? ((b[p]! | (b[p + 1]! << 8)) << 16) >> 16
            : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
      return textEncoder.encode(String(v));
    }
    if (encoding !== 3) this.fail(`unknown string encoding ${encoding}`);
    const compressed = this.lzfHeader();
    if (this.pos + compressed <= this.limit) {
      this.pos += compressed;
      return lzfDecompressTransient(this.buf.subarray(this.pos - compressed, this.pos), this.lzfPlain);
    }
    this.collect(compressed, true);
    return null;
  }

  private collect(length: number, lzf: boolean): void {
    this.collecting = new Uint8Array(length);
    this.collectedBytes = 0;
    this.collectLzf = lzf;
    this.startBody(B_COLLECT, length);
  }

  /** A zset score as text (RDB type 3): length byte, then text; lengths 253–255 stand for NaN, +inf and -inf. */
  private doubleString(): void {
    const n = this.u8();
    if (n === 253) this.fail('sorted set score is NaN: Redis refuses it ("Zset with NAN score detected")');
    if (n > 253) return; // +inf, -inf
    this.checkLimit(n);
    this.need(n);
    const text = latin1.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    if (/^[+-]?nan/i.test(text)) this.fail(`sorted set score ${JSON.stringify(text)} is NaN: Redis refuses it ("Zset with NAN score detected")`);
    if (Number.isNaN(Number(text)) && !/^[+-]?inf/i.test(text)) this.fail(`score ${JSON.stringify(text)} is not a number`);
  }

  /** A zset score as a binary double (RDB type 5): NaN is refused as Redis refuses it. */
  private binaryScore(): void {
    this.need(8);
    // Copied into a scratch double rather than read through a new DataView: one per score was most of the
    // verifier's time on skiplist-heavy files (measured in bench/verify-rdb).
    const b = this.buf;
    const p = this.pos;
    const bytes = SCORE_BYTES;
    for (let i = 0; i < 8; i++) bytes[LITTLE_ENDIAN ? i : 7 - i] = b[p + i]!;
    this.pos = p + 8;
    if (Number.isNaN(SCORE[0]!)) this.fail('sorted set score is NaN: Redis refuses it ("Zset with NAN score detected")');
  }

  // ---- duplicate members ---------------------------------------------------------

  private fpReset(): void {
    fingerprintStart(this.fp);
    this.fpReady = false;
  }

  /** Incremental, so streamed members hash the same. */
  private fpUpdate(b: Uint8Array, from: number, to: number): void {
    fingerprintUpdate(this.fp, b, from, to);
  }

  /**
   * Reads a member (set member, sorted set member, hash field) into its
   * fingerprint: its content as Redis compares it (an integer-encoded one as
   * its decimal text, an LZF one expanded). False when its body continues in
   * the next chunks; the next call, once it is complete, returns true.
   */
  private fingerprintString(): boolean {
    if (this.fpReady) {
      this.fpReady = false;
      return true;
    }
    const kept = this.collected;
    if (kept !== null && this.fpCollect) {
      this.collected = null;
      this.fpCollect = false;
      this.fpReset();
      this.fpUpdate(kept, 0, kept.length);
      return true;
    }
    this.fpReset();
    const n = this.lengthOrEncoding(false);
    if (n > LISTPACK_VALUE) this.longElement = true;
    if (n >= 0) {
      if (this.pos + n <= this.limit) {
        this.fpUpdate(this.buf, this.pos, this.pos + n);
        this.pos += n;
        return true;
      }
      this.startBody(B_HASH, n);
      return false;
    }
    const bytes = this.encodedString(-1 - n); // integers as decimal text; LZF expanded (bounded by maxValueBytes)
    if (this.lzfPlain > LISTPACK_VALUE && -1 - n === 3) this.longElement = true;
    if (bytes === null) {
      this.fpCollect = true;
      return false;
    }
    this.fpUpdate(bytes, 0, bytes.length);
    return true;
  }

  /**
   * Reads a key's name into its digest ({@link kd}): its content as Redis
   * compares it (an integer-encoded name as its decimal text, an LZF one
   * expanded, bounded by maxValueBytes). False when its body continues in the
   * next chunks; the next call, once it is complete, returns true.
   */
  private keyNameDigest(): boolean {
    if (this.kdReady) {
      this.kdReady = false;
      keyDigestFinish(this.kd, this.kdLength);
      return true;
    }
    const kept = this.collected;
    if (kept !== null && this.kdCollect) {
      this.collected = null;
      this.kdCollect = false;
      keyDigestStart(this.kd);
      keyDigestUpdate(this.kd, kept, 0, kept.length);
      keyDigestFinish(this.kd, kept.length);
      return true;
    }
    keyDigestStart(this.kd);
    const n = this.lengthOrEncoding(false);
    if (n >= 0) {
      this.kdLength = n;
      if (this.pos + n <= this.limit) {
        keyDigestUpdate(this.kd, this.buf, this.pos, this.pos + n);
        keyDigestFinish(this.kd, n);
        this.pos += n;
        return true;
      }
      this.startBody(B_KEY_DIGEST, n);
      return false;
    }
    const bytes = this.encodedString(-1 - n);
    if (bytes === null) {
      this.kdCollect = true;
      return false;
    }
    keyDigestUpdate(this.kd, bytes, 0, bytes.length);
    keyDigestFinish(this.kd, bytes.length);
    return true;
  }

  /** A collection of `count` members starts: the duplicate check begins again (sampled beyond DUP_EXACT_MEMBERS). */
  private dupBegin(count: number): void {
    const rate = this.dups.begin(count);
    if (rate < 1) {
      this.sampledCollections++;
      this.minDupDetection = Math.min(this.minDupDetection, rate);
    }
  }

  /** The member just fingerprinted: a second one equal to it is refused, as Redis refuses it on load. */
  private dupCheck(what: string): void {
    // The message is built only on a duplicate: this runs once per member.
    if (this.dups.seen(this.fp[0]!, this.fp[1]!)) this.fail(`duplicate ${what}: Redis refuses it ("Duplicate ${what} detected")`);
  }

  /** The fingerprint just taken, as a 53-bit number, added to `names`; false when it was there already. */
  private addName(names: Set<number>): boolean {
    const id = (this.fp[0]! >>> 0) * 2097152 + (this.fp[1]! >>> 11);
    if (names.has(id)) return false;
    names.add(id);
    return true;
  }

  /** The member just fingerprinted must be new in the collection; `message` says what a repeat is. */
  private dupCheckAs(message: string): void {
    if (this.dups.seen(this.fp[0]!, this.fp[1]!)) this.fail(message);
  }

  /** Pending entries no consumer owns: Redis refuses them only with sanitize-dump-payload yes ("Stream CG PEL entry without consumer"). */
  private unownedPendingEntries(): void {
    let unowned = 0;
    for (const owned of this.pel.values()) if (!owned) unowned++;
    if (unowned > 0) {
      this.warn(
        this.base + this.pos,
        `${this.describe()}: ${unowned} pending entr${unowned === 1 ? 'y' : 'ies'} of a consumer group with no consumer: Redis loads it; only sanitize-dump-payload yes refuses it`,
      );
    }
  }

  /** A hash's field (Redis's plain hash forms): a duplicate is judged at the hash's end ({@link settleHashFields}). */
  private hashFieldCheck(): void {
    if (this.dups.seen(this.fp[0]!, this.fp[1]!) && this.deferredDupAt < 0) this.deferredDupAt = this.base + this.pos;
  }

  /**
   * The end of a hash in Redis's plain forms: a duplicate field is refused
   * when Redis loads the hash into a hash table (more than LISTPACK_ENTRIES
   * fields, or a field or value longer than LISTPACK_VALUE bytes); a small
   * one goes into a listpack unchecked, and only sanitize-dump-payload yes
   * refuses it: a warning.
   */
  private settleHashFields(): void {
    const at = this.deferredDupAt;
    if (at < 0) return;
    this.deferredDupAt = -1;
    if (this.collectionLength > LISTPACK_ENTRIES || this.longElement) {
      this.fail(`duplicate hash fields (the first at byte ${at}): Redis refuses it ("Duplicate hash fields detected")`);
    }
    this.warn(
      at,
      `${this.describe()}: duplicate hash fields in a hash of ${this.collectionLength} short fields: Redis loads it (into a listpack) and only sanitize-dump-payload yes refuses it ("Hash with dup elements")`,
    );
  }

  /** An intset out of order: Redis checks the order only with sanitize-dump-payload yes. Bound once (one per intset would be garbage). */
  private readonly intsetUnordered = (i: number): void =>
    this.warn(
      this.base + this.pos,
      `${this.describe()}: intset members are not strictly ascending at index ${i}: Redis loads it; only sanitize-dump-payload yes refuses it`,
    );

  /** The duplicate table's check, bound once (the blob scans call it per member). */
  private readonly seen = (h1: number, h2: number): boolean => this.dups.seen(h1, h2);

  /** What {@link validateListpack} checks of the members besides the structure (one object: this runs per small collection). */
  private readonly lpMembers: ListpackMembers = { stride: 1, seen: this.seen, duplicate: false };

  /**
   * Validates a listpack of members (every `stride`-th element) and finds
   * whether one is there twice (`lpMembers.duplicate`), for
   * {@link listpackDuplicates}: in the validating walk where the header gives
   * the count (to size the table), else in a walk of its own after it.
   */
  private listpackWithMembers(blob: Uint8Array, stride: number): number {
    const m = this.lpMembers;
    const declared = blob.length >= 7 ? blob[4]! | (blob[5]! << 8) : 0xffff;
    if (declared !== 0xffff && Math.floor(declared / stride) >= 2) {
      // The walk fails unless the count is `declared`: the table is begun for the members it will hold.
      this.dupBegin(Math.floor(declared / stride));
      m.stride = stride;
      return validateListpack(blob, m);
    }
    const n = validateListpack(blob);
    const members = Math.floor(n / stride);
    m.duplicate = members >= 2 && (this.dupBegin(members), listpackHasDuplicate(blob, stride, this.seen));
    return n;
  }

  /** A duplicate {@link listpackWithMembers} found in a listpack of `elements`: see {@link sanitizeOnly}. */
  private listpackDuplicates(elements: number, stride: number, what: string): void {
    const members = Math.floor(elements / stride);
    if (members >= 2 && this.lpMembers.duplicate) this.sanitizeOnly(members, `duplicate ${what} in a listpack`);
  }

  /**
   * What Redis checks in a listpack only with sanitize-dump-payload yes
   * (duplicates, a count that is not a multiple of the tuple): it loads a
   * small one as it is, so that is a warning; one of more than
   * LISTPACK_ENTRIES members it converts to a hash table or skiplist on load,
   * and the conversion refuses (or crashes on) it, so that is a failure.
   */
  private sanitizeOnly(members: number, problem: string): void {
    if (members > LISTPACK_ENTRIES) this.fail(`${problem}, in a collection of ${Math.floor(members)} members that Redis converts on load: Redis refuses it`);
    this.warn(this.base + this.pos, `${this.describe()}: ${problem}: Redis loads it; only sanitize-dump-payload yes refuses it`);
  }

  private warn(offset: number, message: string): void {
    if (this.warningCount++ < MAX_WARNINGS) this.warnings.push({ offset, message });
  }

  /** A 16-byte stream ID as a string key (for PEL bookkeeping). */
  private streamId(): string {
    this.need(16);
    this.pos += 16;
    return latin1.decode(this.buf.subarray(this.pos - 16, this.pos));
  }

  // ---- file structure ---------------------------------------------------------

  /**
   * `REDIS` + 4 digits (Redis, and Valkey up to 8.x: versions 1–12) or
   * `VALKEY` + 3 digits (Valkey 9 on: version 80). Valkey refuses a
   * `VALKEY` file numbered 79 or below, and both refuse versions they do not
   * know.
   */
  private header(): void {
    this.need(9);
    const header = this.buf.subarray(this.pos, this.pos + 9);
    this.pos += 9;
    const text = latin1.decode(header);
    if (text.startsWith('VALKEY')) {
      const digits = text.slice(6);
      if (!/^\d{3}$/.test(digits)) fail(`RDB version ${JSON.stringify(digits)} after the VALKEY magic is not 3 digits`);
      const version = Number(digits);
      if (version > VALKEY_VERSIONS.at(-1)!) {
        this.valkey = true;
        this.version = version; // reported: the version found is what the report names
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
      this.valkey = true;
      this.version = version;
      this.commit(P_OPCODE);
      return;
    }
    if (!text.startsWith('REDIS')) fail('not an RDB file: missing "REDIS" or "VALKEY" magic');
    const digits = text.slice(5);
    if (!/^\d{4}$/.test(digits)) fail(`RDB version ${JSON.stringify(digits)} is not 4 digits`);
    const version = Number(digits);
    if (version < 1) fail(`RDB version ${version} is not an RDB version (Redis writes 1 and up)`);
    if (version > MAX_REDIS_VERSION) {
      this.version = version;
      throw new RdbUnsupportedError(
        version,
        `a Redis newer than ${REDIS_WRITERS[MAX_REDIS_VERSION]} (or another program)`,
        `this verifier reads REDIS versions 1–${MAX_REDIS_VERSION}; upgrade redis-dr to judge it`,
      );
    }
    this.version = version;
    this.commit(P_OPCODE);
  }

  private opcode(): void {
    this.what = W_OPCODE;
    const type = this.u8();
    switch (type) {
      case OP_EOF:
        this.eof();
        return;
      case OP_SELECTDB: {
        this.what = W_SELECTDB;
        const db = this.length();
        // Redis's `databases` is an int: no configuration serves a higher one (Redis: "FATAL: Data file was created with a Redis server configured to handle more than N databases").
        if (db > MAX_DATABASE) this.fail(`database ${db} is beyond any server's databases (at most ${MAX_DATABASE + 1}): no Redis loads the file`);
        this.db = db;
        if (!this.databases.includes(db)) this.databases.push(db);
        break;
      }
      case OP_EXPIRETIME: {
        this.what = W_EXPIRETIME;
        this.need(4);
        const b = this.buf;
        const p = this.pos;
        this.pos = p + 4;
        this.pendingExpireMs = ((b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0) * 1000;
        this.expirePending = true;
        break;
      }
      case OP_EXPIRETIME_MS: {
        this.what = W_EXPIRETIME_MS;
        this.need(8);
        const b = this.buf;
        const p = this.pos;
        this.pos = p + 8;
        // Milliseconds since the epoch: the high word stays far below 2^21 for real times, so a double holds it exactly.
        const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        const hi = b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24) | 0;
        this.pendingExpireMs = hi * 0x100000000 + lo;
        this.expirePending = true;
        break;
      }
      case OP_RESIZEDB:
        this.what = W_RESIZEDB;
        // Sizing hints only: Redis (and redis-check-rdb) take any 64-bit value and size the tables as they can.
        this.length(true);
        this.length(true);
        break;
      case OP_SLOT_INFO:
        this.what = W_SLOT_INFO;
        for (let i = 0; i < 3; i++) this.length();
        break;
      case OP_AUX:
        this.what = W_AUX;
        this.commit(P_AUX_KEY);
        return;
      case OP_FREQ:
        this.what = W_FREQ;
        this.skip(1);
        break;
      case OP_IDLE:
        this.what = W_IDLE;
        this.length(true);
        break;
      case OP_MODULE_AUX: {
        this.what = W_MODULE_AUX;
        // Redis refuses AUX data of a module it has not loaded ("no matching module"): name it, as for module values.
        const module = this.moduleTypeName();
        const whenOpcode = this.length();
        if (whenOpcode !== 2) fail(`MODULE_AUX: "when" opcode is ${whenOpcode}, expected 2 (unsigned int)`);
        this.length();
        if (!this.moduleAux.includes(module)) this.moduleAux.push(module);
        this.commit(P_MODULE_AUX);
        return;
      }
      case OP_FUNCTION2:
        this.what = W_FUNCTION2;
        if (this.sink !== undefined) this.keyStart = this.base + this.pos - 1; // its bytes are kept as a key's are
        this.skipString();
        this.commit(P_FUNCTION_END); // counted once the body is complete
        return;
      case REDIS_13_KEY_META:
        // The same byte is Valkey 9's slot import state (VALKEY magic), Redis 8.6's (RDB 13) key metadata, and no type before RDB 13.
        if (this.valkey) {
          this.what = W_SLOT_IMPORT;
          this.commit(P_SLOT_IMPORT_NAME);
          return;
        }
        if (this.version < 13) {
          this.unreadYet(type);
          fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
        }
        this.what = W_KEY_META;
        this.keyMetaStart();
        return;
      case REDIS_15_HASH_TEMPLATE:
        // The same byte is Valkey's inline replication command (VALKEY magic) and Redis 8.10's (RDB 15) hash template.
        if (this.valkey || this.version < 15) {
          this.unreadYet(type);
          fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
        }
        this.what = W_HASH_TEMPLATE;
        this.commit(P_HASH_TEMPLATE_HEAD);
        return;
      case OP_FUNCTION_PRE_GA:
        // Redis from 7.0 GA on (and Valkey) refuse it too: "Pre-release function format not supported."
        fail(
          'pre-release function format (opcode 0xF6, written by Redis 7.0 release candidates): Redis 7.2 and later and Valkey refuse to load it ("Pre-release function format not supported"); only Redis 7.0.x still reads it',
        );
        return;
      default:
        this.unreadYet(type);
        if (TYPE_SLOT[type]! < 0) fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
        // Valkey knows one type above 21: 22, its hash with field TTLs; 23–25 are Redis's.
        if (this.valkey && type > 22) fail(`value type ${type} in a Valkey (VALKEY magic) file: Valkey knows no such type and refuses the file`);
        // Redis's types from 27 on came with RDB 14 and 15: in an older file they are no type (26 is judged in value()).
        if (!this.valkey && type > STREAM_WITH_IDMP && type > this.maxRedisType()) fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
        this.type = type;
        this.what = W_KEY_NAME;
        if (this.sink !== undefined) this.keyStart = this.base + this.pos - 1;
        if (this.keyDigests === undefined) this.skipString();
        else this.nameOpen = !this.keyNameDigest();
        // The name's end: here, or past the body still streaming in later chunks.
        if (this.sink !== undefined) this.keyNameEnd = this.base + this.pos + (this.body !== B_NONE ? this.bodyLeft : 0);
        this.sub = 0;
        this.emptyValue = false;
        this.longElement = false;
        this.deferredDupAt = -1;
        this.commit(P_VALUE);
        return;
    }
    this.commit(P_OPCODE);
  }

  /**
   * A type or opcode a newer format defines that this verifier cannot read
   * yet: the file is unsupported, not corrupt (see {@link REDIS_13_KEY_META}).
   * Elsewhere the same byte is still an unknown type (a corrupt file).
   */
  private unreadYet(type: number): void {
    const v = this.version;
    if (this.valkey) {
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
    const max = this.maxRedisType();
    if (type === REDIS_GCRA) {
      throw new RdbUnsupportedError(
        v,
        'Redis Enterprise',
        `value type ${type} (GCRA, a rate limiter only Redis Enterprise writes; Redis OSS refuses it) is not read by this verifier`,
      );
    }
    if (type > max && type < REDIS_15_HASH_TEMPLATE) {
      const writer = REDIS_WRITERS[v] ?? REDIS_WRITERS[MAX_REDIS_VERSION]!;
      throw new RdbUnsupportedError(
        v,
        `a Redis newer than ${writer}`,
        `value type ${type} (Redis ${writer} writes types up to ${max}) is not read by this verifier yet`,
      );
    }
  }

  /** The highest value type the file's RDB version defines (REDIS magic, version 13 on). */
  private maxRedisType(): number {
    return REDIS_MAX_TYPE[this.version] ?? STREAM_WITH_IDMP;
  }

  /** After opcode 243: the number of classes (Redis 8.6 `rdbResolveKeyType`). */
  private keyMetaStart(): void {
    const count = keyMetaClassCount(this.length(true));
    if (typeof count === 'string') this.fail(count);
    this.metaClassesLeft = count;
    this.metaInValue = false;
    this.commit(P_KEY_META);
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
  private keyMetaClasses(): boolean {
    for (;;) {
      if (this.metaInValue) {
        if (!this.moduleBody()) return false;
        this.metaInValue = false;
        this.metaClassesLeft--;
        this.mark = this.pos;
      }
      if (this.metaClassesLeft === 0) break;
      this.need(4);
      const spec = decodeKeyMetaClassSpec(this.buf, this.pos);
      this.pos += 4;
      if ((spec.flags & KEY_META_ALLOW_IGNORE) === 0) {
        const name = `META-${spec.name}`;
        this.moduleTypes[name] = (this.moduleTypes[name] ?? 0) + 1;
      }
      this.metaInValue = true;
      this.mark = this.pos;
    }
    this.need(1);
    const type = this.buf[this.pos]!;
    if (!isRedis86ValueType(type) && !(type > STREAM_WITH_IDMP && type <= this.maxRedisType())) {
      this.unreadYet(type);
      this.fail(`key metadata followed by byte ${type} (0x${type.toString(16)}), not a value type: Redis refuses it`);
    }
    return true;
  }

  private eof(): void {
    if (this.expirePending) fail('expire time not followed by a key');
    if (this.version < 5 && this.requireChecksum)
      fail(`checksum required, but RDB version ${this.version} files carry none (CRC-64 trailers start with version 5)`);
    if (this.version >= 5) {
      this.what = W_TRAILER;
      this.need(8);
      // The CRC covers exactly the bytes before the trailer.
      if (!this.externalChecksum && !this.trusted) this.crc.update(this.buf, this.crcFrom, this.pos);
      const trailer = this.buf.subarray(this.pos, this.pos + 8);
      const trailerAt = this.base + this.pos;
      this.pos += 8;
      if (trailer.every((b) => b === 0)) {
        this.checksum = 'absent';
        if (this.requireChecksum) {
          fail(
            'checksum required, but the CRC-64 trailer is all zeros (written with rdbchecksum no, or zeroed after the fact): a copy that must carry a checksum does not verify without one',
          );
        }
      } else if (this.trusted) {
        // Judged when these bytes were verified (the block CRCs prove them the same).
        this.checksum = 'ok';
      } else if (this.externalChecksum) {
        // Judged by settleChecksum once the caller has the CRC of the bytes before trailerAt.
        this.pendingTrailer = trailer.slice();
        this.trailerAt = trailerAt;
      } else if (this.crc.matchesLittleEndian(trailer)) this.checksum = 'ok';
      else {
        this.checksum = 'mismatch';
        fail(crcMismatch(trailer, this.crc));
      }
    }
    this.commit(P_DONE);
  }

  private finishKey(): void {
    // A trusted read takes the earlier read's word for which keys are empty (a blob's emptiness needs its validation).
    if (this.trustedEmpty !== undefined) this.emptyValue = this.trustedEmpty.has(this.keyStart);
    if (this.emptyValue) {
      // Redis and Valkey skip a collection with no element on load: it never becomes a key.
      this.emptyKeys++;
      this.sink?.emptyKey?.(this.keyStart);
      this.keyStart = -1;
      this.expirePending = false;
      this.commit(P_OPCODE);
      return;
    }
    this.keys++;
    this.keyDigests?.add(this.kd[0]!, this.kd[1]!, this.kd[2]!, this.db);
    if (this.expirePending) {
      this.expires++;
      if (this.fileTimeMs >= 0) {
        if (this.pendingExpireMs < this.fileTimeMs) this.expiredKeys++;
        const offset = this.pendingExpireMs - this.fileTimeMs;
        // Neighbouring keys mostly share a bucket: two comparisons instead of finding it again.
        if (!(offset > this.bucketFrom && offset <= this.bucketTo)) {
          this.bucket = expiryBucket(offset);
          this.bucketFrom = bucketOffsets(this.bucket).after;
          this.bucketTo = bucketOffsets(this.bucket).upTo;
        }
        this.expiryCounts[this.bucket]! += 1;
      } else this.expiryUnbased++;
      this.expiryTimes?.add(this.pendingExpireMs);
    }
    if (this.sink !== undefined) {
      this.sink.key(this.db, this.type, this.keyStart, this.keyNameEnd, this.base + this.pos, this.expirePending ? this.pendingExpireMs : -1);
      this.keyStart = -1;
    }
    this.expirePending = false;
    const slot = TYPE_SLOT[this.type]!;
    if (this.typeCounts[slot]++ === 0) this.typeOrder.push(slot);
    this.commit(P_OPCODE);
  }

  // ---- values ---------------------------------------------------------------------

  /**
   * Parses the current key's value as far as the buffer allows. Returns true
   * when it is complete, false when a string body continues in the next chunks
   * (then it is called again, at the same `sub` position, once the body is done).
   */
  private value(): boolean {
    if (this.trusted) {
      const done = this.trustedValue();
      if (done !== undefined) return done;
    }
    const type = this.type;
    switch (type) {
      case 0: // string
      case 1: // list (linked list)
        if (this.sub === 0) this.beginElements(type === 0 ? 1 : this.length());
        while (this.count > 0) if (!this.skipElement()) return false;
        return true;
      case 2: // set (hashtable): no member twice
        if (this.sub === 0) this.beginMembers(this.length());
        while (this.count > 0) {
          if (!this.fingerprintString()) return false;
          this.dupCheck('set members');
          this.count--;
          this.mark = this.pos;
        }
        return true;
      case 4: // hash (hashtable): field, value, …; a field twice refused as Redis refuses it (settleHashFields)
        if (this.sub === 0) {
          this.beginElements(2 * this.length());
          this.collectionLength = this.count / 2;
          this.dupBegin(this.collectionLength);
        }
        while (this.count > 0) {
          if (this.count % 2 === 0) {
            if (!this.fingerprintString()) return false;
            this.hashFieldCheck();
            this.count--;
            this.mark = this.pos;
          } else if (!this.skipElement()) return false;
        }
        this.settleHashFields();
        return true;
      case 3: // zset: member, score as text
      case 5: // zset: member, binary double; no member twice, no NaN score
        if (this.sub === 0) this.beginMembers(this.length());
        for (;;) {
          if (this.sub === 1) {
            if (this.count === 0) return true;
            if (!this.fingerprintString()) return false;
            this.dupCheck('zset fields');
            this.count--;
            this.sub = 2; // the score comes next
            this.mark = this.pos;
          }
          if (type === 3) this.doubleString();
          else this.binaryScore();
          this.sub = 1;
          this.mark = this.pos;
        }
      case 7: // module value written through the module API
        if (this.sub === 0) {
          const name = this.moduleTypeName();
          this.moduleTypes[name] = (this.moduleTypes[name] ?? 0) + 1;
          this.sub = 1;
          this.mark = this.pos;
        }
        return this.moduleBody();
      case 9:
      case 10:
      case 11:
      case 12:
      case 13:
      case 16:
      case 17:
      case 20:
        return this.singleBlob(type);
      case 14: // quicklist of ziplists
        if (this.sub === 0) this.beginQuicklist();
        while (this.count > 0) {
          const blob = this.keptString();
          if (blob === null) return false;
          this.quicklistNode(validateZiplist(this.nonEmptyNode(blob)));
          this.count--;
          this.mark = this.pos;
        }
        this.emptyValue = this.count2 === 0;
        return true;
      case 18: // quicklist v2: container kind, node
        return this.quicklist2();
      case 15:
      case 19:
      case 21:
        return this.stream(type);
      case STREAM_WITH_IDMP: // Redis 8.6's stream with idempotent-producer data; no type before RDB 13
        if (this.version < 13) fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
        return this.stream(type);
      case STREAM_WITH_NACKS: // Redis 8.8 on (opcode() let it through only in files of RDB 14 and later)
        return this.stream(type);
      case REDIS_ARRAY:
        return this.array();
      case HASH_TEMPLATE_LP_REF:
        return this.templateListpack();
      case HASH_TEMPLATE_LP:
      case HASH_TEMPLATE_ARRAY:
        return this.selfContainedTemplate(type);
      case HASH_TEMPLATE_ARRAY_REF:
        return this.templateValues();
      case 6:
        return this.fail('module types not supported (pre-GA module value, RDB type 6)');
      case 22:
        return this.valkey ? this.valkeyHashWithTtls() : this.redisHashWithTtls(false);
      case 24:
        return this.redisHashWithTtls(true);
      case 23: // listpack of (field, value, TTL) triplets (Redis 7.4 release candidates)
      case 25: // the same after the hash's earliest field expiry (Redis 7.4 GA on)
        if (this.sub === 0 && type === 25) {
          this.minExpire();
          this.sub = 1;
          this.mark = this.pos;
        }
        return this.singleBlob(type);
      default:
        return fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
    }
  }

  /**
   * {@link value} in a trusted read: the value's bounds only (every string
   * skipped by its length, scores and expiries by theirs), the same `sub`
   * positions and commits. Undefined for the types it leaves to the full
   * reading: module values and streams (rare, and their layout needs it),
   * and types that fail.
   */
  private trustedValue(): boolean | undefined {
    const type = this.type;
    switch (type) {
      case 0:
      case 9:
      case 10:
      case 11:
      case 12:
      case 13:
      case 16:
      case 17:
      case 20:
      case 23: // one string, or one blob
        if (this.sub === 0) this.beginElements(1);
        while (this.count > 0) if (!this.skipElement()) return false;
        return true;
      case 1:
      case 2:
      case 14: // elements, members, ziplist nodes
        if (this.sub === 0) this.beginElements(this.length());
        while (this.count > 0) if (!this.skipElement()) return false;
        return true;
      case 4: // field, value, …
        if (this.sub === 0) this.beginElements(2 * this.length());
        while (this.count > 0) if (!this.skipElement()) return false;
        return true;
      case 3:
      case 5: // member, score (text or binary double)
        if (this.sub === 0) this.beginElements(this.length());
        for (;;) {
          if (this.sub === 1) {
            if (this.count === 0) return true;
            const done = this.skipString();
            this.sub = 2;
            this.mark = this.pos;
            if (!done) return false;
          }
          if (type === 5) this.skip(8);
          else {
            const n = this.u8();
            if (n < 253) this.skip(n);
          }
          this.count--;
          this.sub = 1;
          this.mark = this.pos;
        }
      case 25: // the hash's earliest field expiry, then its listpack
        if (this.sub === 0) {
          this.skip(8);
          this.sub = 3;
          this.mark = this.pos;
        }
        if (this.sub === 3) this.beginElements(1);
        while (this.count > 0) if (!this.skipElement()) return false;
        return true;
      case 18: // quicklist v2: container kind, node
        if (this.sub === 0) this.beginElements(this.length());
        for (;;) {
          if (this.sub === 1) {
            if (this.count === 0) return true;
            this.length();
            this.sub = 2;
            this.mark = this.pos;
          }
          const done = this.skipString();
          this.count--;
          this.sub = 1;
          this.mark = this.pos;
          if (!done) return false;
        }
      case 22:
      case 24:
        return this.trustedHashWithTtls(type);
      default:
        return undefined;
    }
  }

  /** Hashes with field TTLs in their plain forms (22, 24), in a trusted read: see {@link trustedValue}. */
  private trustedHashWithTtls(type: number): boolean {
    const valkey = type === 22 && this.valkey;
    if (this.sub === 0) {
      if (type === 24) this.skip(8); // the earliest field expiry
      this.beginElements(this.length());
    }
    for (;;) {
      if (this.sub === 1) {
        if (this.count === 0) return true;
        if (!valkey) this.length(true); // the field's TTL (Redis)
        this.sub = 2;
        this.mark = this.pos;
      }
      if (this.sub === 2) {
        const done = this.skipString(); // field
        this.sub = 3;
        this.mark = this.pos;
        if (!done) return false;
      }
      if (this.sub === 3) {
        const done = this.skipString(); // value
        this.sub = valkey ? 4 : 1;
        if (!valkey) this.count--;
        this.mark = this.pos;
        if (!done) return false;
        if (!valkey) continue;
      }
      this.skip(8); // the field's expiry (Valkey)
      this.count--;
      this.sub = 1;
      this.mark = this.pos;
    }
  }

  /** At the value's start: `count` members follow, each at most once (the duplicate check begins again). */
  private beginMembers(count: number): void {
    this.beginElements(count);
    this.dupBegin(count);
  }

  /** At the value's start: `count` elements follow (position 1 = at an element); none makes an empty key. */
  private beginElements(count: number): void {
    this.count = count;
    this.emptyValue = count === 0;
    this.sub = 1;
    this.mark = this.pos;
  }

  /**
   * The name of a module value's type, from the 64-bit module id that
   * precedes it (9 characters in its high 54 bits; the low 10 bits are the
   * encoding version). Read from the raw bytes: the id does not fit a double.
   */
  private moduleTypeName(): string {
    const p = this.pos;
    this.need(1);
    let id: bigint;
    if (this.buf[p] === 0x81) {
      this.need(9);
      id = new DataView(this.buf.buffer, this.buf.byteOffset + p + 1, 8).getBigUint64(0, false);
      this.pos += 9;
    } else id = BigInt(this.length());
    let name = '';
    for (let j = 0, rest = id >> 10n; j < 9; j++, rest >>= 6n) name = MODULE_NAME_CHARS[Number(rest & 63n)]! + name;
    return name;
  }

  /** A hash's earliest field expiry (8 bytes, ms) before its fields; Redis refuses one beyond 2^48. */
  private minExpire(): number {
    this.need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    if (v > BigInt(HFE_EXPIRE_MAX) + 1n) this.fail(`hash minimum field expiry ${v} is beyond 2^48 ms: Redis refuses it ("Hash read invalid minExpire value")`);
    return Number(v);
  }

  /**
   * Redis's hash with field expiration in its plain encoding: (24) the
   * earliest field expiry, then the length, then per field its TTL (a
   * length: 0 for none, else relative to that earliest expiry, plus 1), the
   * field and the value; (22, Redis 7.4 release candidates) no earliest
   * expiry and absolute TTLs. Redis refuses an expiry beyond 2^48 ms.
   */
  private redisHashWithTtls(relative: boolean): boolean {
    if (this.sub === 0) {
      const min = relative ? this.minExpire() : 0;
      this.count2 = min;
      this.beginMembers(this.length());
      this.collectionLength = this.count;
    }
    for (;;) {
      if (this.sub === 1) {
        if (this.count === 0) {
          this.settleHashFields();
          return true;
        }
        const ttl = this.length(true);
        const expireAt = relative ? (ttl !== 0 ? ttl + this.count2 - 1 : 0) : ttl;
        if (expireAt > HFE_EXPIRE_MAX) this.fail(`field expiry ${expireAt} is beyond 2^48 ms: Redis refuses it ("invalid expireAt time")`);
        this.sub = 2;
        this.mark = this.pos;
      }
      if (this.sub === 2) {
        if (!this.fingerprintString()) return false; // field
        this.hashFieldCheck();
        this.sub = 3;
        this.mark = this.pos;
      }
      const done = this.skipString(); // value
      this.count--;
      this.sub = 1;
      this.mark = this.pos;
      if (!done) return false;
    }
  }

  /**
   * Valkey's hash with field expiration (type 22 after the `VALKEY` magic):
   * the length, then per field the field, the value and its expiry (8 bytes,
   * ms; -1 for none).
   */
  private valkeyHashWithTtls(): boolean {
    if (this.sub === 0) this.beginMembers(this.length());
    for (;;) {
      if (this.sub === 1) {
        if (this.count === 0) return true;
        if (!this.fingerprintString()) return false; // field
        this.dupCheck('hash fields');
        this.sub = 2;
        this.mark = this.pos;
      }
      if (this.sub === 2) {
        const done = this.skipString(); // value
        this.sub = 3;
        this.mark = this.pos;
        if (!done) return false;
      }
      this.skip(8); // expiry
      this.count--;
      this.sub = 1;
      this.mark = this.pos;
    }
  }

  /** Skips one element string and commits; false when its body continues in the next chunks. */
  private skipElement(): boolean {
    const done = this.skipString();
    this.count--;
    this.mark = this.pos;
    return done;
  }

  /** A value stored as one blob; one without an element makes an empty key (skipped on load). */
  private singleBlob(type: number): boolean {
    const blob = this.keptString();
    if (blob === null) return false;
    let n: number;
    switch (type) {
      case 9:
        // Every entry takes at least 3 bytes: a bound for the duplicate table.
        this.dupBegin(Math.ceil(blob.length / 3));
        n = validateZipmap(blob, this.seen);
        if (n === 0) this.fail('empty zipmap: Redis refuses it ("Zipmap integrity check failed")');
        break;
      case 10:
        n = validateZiplist(blob);
        break;
      case 11:
        n = validateIntset(blob, this.intsetUnordered);
        break;
      case 12:
      case 13:
        n = validateZiplist(blob);
        if (n % 2 !== 0) this.fail('ziplist of pairs has an odd entry count');
        // Redis converts these ziplists entry by entry on load and refuses a member or field twice.
        if (n >= 4 && (this.dupBegin(n / 2), ziplistHasDuplicate(blob, 2, this.seen))) {
          this.fail(
            `duplicate ${type === 12 ? 'zset members' : 'hash fields'} in a ziplist: Redis refuses it ("${type === 12 ? 'Zset' : 'Hash'} ziplist integrity check failed")`,
          );
        }
        break;
      case 16:
      case 17:
        n = this.listpackWithMembers(blob, 2);
        if (n % 2 !== 0) this.sanitizeOnly(n / 2, 'listpack of pairs has an odd element count');
        this.listpackDuplicates(n, 2, type === 16 ? 'hash fields' : 'zset members');
        break;
      case 23:
      case 25: {
        n = this.listpackWithMembers(blob, 3);
        if (n % 3 !== 0) this.sanitizeOnly(n / 3, 'listpack of (field, value, TTL) triplets has an element count that is not a multiple of 3');
        this.listpackDuplicates(n, 3, 'hash fields');
        // Redis's sanitizer refuses these ("Hash listpack integrity check failed"); a default load takes the TTLs on
        // trust: a string one trips an assertion when the hash expires, misordered ones expire fields late or never.
        const ttl = listpackTtlProblem(blob);
        if (ttl !== null) this.fail(`hash listpack with field TTLs: ${ttl}: Redis refuses it ("Hash listpack integrity check failed")`);
        break;
      }
      default: // 20
        n = this.listpackWithMembers(blob, 1);
        this.listpackDuplicates(n, 1, 'set members');
    }
    this.emptyValue = n === 0;
    return true;
  }

  /**
   * Redis 8.8's sparse array (type 28): the element count, an insert-index
   * flag (0 or 1) and, with 1, the insert index; then per element its index
   * (a plain length), a tag (0 a string, 1 an integer, 2 a double, 3 a short
   * string) and the element: 8 bytes for tags 1 and 2, a string for 0 and 3.
   */
  private array(): boolean {
    if (this.sub === 0) {
      const count = this.length(true);
      const flag = this.length();
      if (flag > 1) this.fail(`array insert-index flag ${flag} is neither 0 nor 1: Redis refuses it`);
      if (flag === 1) this.length(true); // the insert index (up to 2^64 - 2)
      this.beginElements(count);
    }
    for (;;) {
      if (this.sub === 1) {
        if (this.count === 0) return true;
        this.length(true); // the element's index
        const tag = this.length();
        if (tag === 1 || tag === 2) {
          this.skip(8);
          this.count--;
          this.mark = this.pos;
          continue;
        }
        if (tag !== 0 && tag !== 3) this.fail(`array element tag ${tag} is none of 0–3 (string, integer, double, short string): Redis refuses it`);
        this.sub = 2;
        this.mark = this.pos;
      }
      const done = this.skipString();
      this.count--;
      this.sub = 1;
      this.mark = this.pos;
      if (!done) return false;
    }
  }

  /** The field count of the template a hash references; an unknown template is corruption. */
  private templateFieldCount(id: number): number {
    const fields = this.templates.fieldCount(id);
    if (fields === undefined) this.fail(unknownTemplateProblem(id, this.templates.size));
    this.templateHashes++; // counted once per key: both readers call this once, at the value's start
    return fields;
  }

  /** Redis 8.10's template hash as a listpack (type 30): the template's id first, then one value per field. */
  private templateListpack(): boolean {
    const blob = this.keptString();
    if (blob === null) return false;
    const n = validateListpack(blob);
    const id = listpackFirstId(blob);
    if (id === null) this.fail('template hash listpack does not begin with a template id (a non-negative integer): Redis refuses it');
    const fields = this.templateFieldCount(id);
    if (n - 1 !== fields) this.fail(`template hash listpack holds ${n - 1} values, template ${id} has ${fields} fields: Redis refuses it`);
    return true;
  }

  /** Redis 8.10's template hash as strings (type 32): the template's id (a length), then one value per field. */
  private templateValues(): boolean {
    if (this.sub === 0) this.beginElements(this.templateFieldCount(this.length(true)));
    while (this.count > 0) if (!this.skipElement()) return false;
    return true;
  }

  /**
   * Redis 8.10's self-contained template hash (types 29, 31; see
   * format/hash-template.ts): the field format, the field names (one
   * listpack, or a count then one string each, streamed one per commit so
   * nothing is sized by the count), then the values (type 29: a listpack of
   * the writer's template id and one value per field; 31: one string per
   * field). Nothing is kept past the key: it names no template of the file.
   */
  private selfContainedTemplate(type: number): boolean {
    if (this.sub === 0) {
      const format = this.length();
      const problem = selfFieldFormatProblem(format);
      if (problem !== null) this.fail(problem);
      if (format === SELF_FIELDS_LISTPACK) this.sub = 10;
      else {
        const fields = this.length(true);
        const countProblem = templateFieldCountProblem(fields);
        if (countProblem !== null) this.fail(countProblem);
        this.selfFields = fields;
        this.count = fields;
        this.selfPrevious = EMPTY;
        this.sub = 11;
      }
      this.emptyValue = false; // a template has fields, and each a value
      this.mark = this.pos;
    }
    if (this.sub === 10) {
      const blob = this.keptString();
      if (blob === null) return false;
      this.selfFields = validateListpack(blob);
      const problem = listpackFieldsProblem(blob);
      if (problem !== null) this.fail(problem);
      this.sub = 12;
      this.mark = this.pos;
    }
    while (this.sub === 11) {
      const field = this.keptString();
      if (field === null) return false;
      const index = this.selfFields - this.count;
      if (index > 0) {
        const problem = templateFieldOrderProblem(this.selfPrevious, field, index);
        if (problem !== null) this.fail(problem);
      }
      if (--this.count === 0) {
        this.selfPrevious = EMPTY;
        this.sub = 12;
      } else this.selfPrevious = field.slice(); // the view is valid only until the next read
      this.mark = this.pos;
    }
    if (type === HASH_TEMPLATE_ARRAY) {
      if (this.sub === 12) this.beginElements(this.selfFields);
      while (this.count > 0) if (!this.skipElement()) return false;
      return true;
    }
    const blob = this.keptString();
    if (blob === null) return false;
    const problem = selfValuesCountProblem(validateListpack(blob), this.selfFields);
    if (problem !== null) this.fail(problem);
    return true;
  }

  /** A quicklist: its node count; nodes that hold elements are counted in `count2` (none: an empty key). */
  private beginQuicklist(): void {
    this.beginElements(this.length());
    this.count2 = 0;
  }

  /** A quicklist node's body: Redis refuses an empty one ("encoded_len == 0"). */
  private nonEmptyNode(blob: Uint8Array): Uint8Array {
    if (blob.length === 0) this.fail('quicklist node with an empty body: Redis refuses to load it');
    return blob;
  }

  /** A packed node of `elements`: Redis drops an empty one silently, and a quicklist left with none is an empty key. */
  private quicklistNode(elements: number): void {
    if (elements > 0) this.count2++;
  }

  private quicklist2(): boolean {
    if (this.sub === 0) this.beginQuicklist();
    for (;;) {
      if (this.sub === 1) {
        if (this.count === 0) {
          this.emptyValue = this.count2 === 0;
          return true;
        }
        const container = this.length();
        if (container === 1) {
          // PLAIN: one large element (never empty: Redis refuses an empty body).
          this.need(1);
          if (this.buf[this.pos] === 0) this.fail('quicklist node with an empty body: Redis refuses to load it');
          this.count2++;
          if (!this.skipElement()) return false;
          continue;
        }
        if (container !== 2) this.fail(`quicklist node container ${container} is neither plain (1) nor packed (2)`);
        this.sub = 2;
        this.mark = this.pos;
      }
      // PACKED: a listpack.
      const blob = this.keptString();
      if (blob === null) return false;
      this.quicklistNode(validateListpack(this.nonEmptyNode(blob)));
      this.count--;
      this.sub = 1;
      this.mark = this.pos;
    }
  }

  /** Module data is self-describing: opcode, value, …, EOF (0). */
  private moduleBody(): boolean {
    for (;;) {
      const opcode = this.length();
      if (opcode === 0) {
        this.mark = this.pos;
        return true;
      }
      if (opcode === 1 || opcode === 2) this.length(true);
      else if (opcode === 3) this.skip(4);
      else if (opcode === 4) this.skip(8);
      else if (opcode === 5) {
        const done = this.skipString();
        this.mark = this.pos;
        if (!done) return false;
        continue;
      } else this.fail(`unknown module data opcode ${opcode}`);
      this.mark = this.pos;
    }
  }

  /** A stream: listpack nodes, metadata, consumer groups with their PELs and consumers. */
  private stream(type: number): boolean {
    for (;;) {
      switch (this.sub) {
        case S_NODES:
          this.count = this.streamNodes = this.length();
          this.dupBegin(this.count);
          this.sub = S_NODE_KEY;
          break;
        case S_NODE_KEY: {
          if (this.count === 0) {
            this.sub = S_META;
            break;
          }
          const key = this.keptString();
          if (key === null) return false;
          if (key.length !== 16) this.fail(`stream node key is ${key.length} bytes, expected a 16-byte stream ID`);
          this.fpReset();
          this.fpUpdate(key, 0, 16);
          this.dupCheckAs('a stream node under an ID already seen: Redis refuses it ("Listpack re-added with existing key")');
          this.sub = S_NODE_LISTPACK;
          break;
        }
        case S_NODE_LISTPACK: {
          const listpack = this.keptString();
          if (listpack === null) return false;
          if (validateListpack(listpack) === 0) this.fail('empty listpack inside stream');
          this.count--;
          this.sub = S_NODE_KEY;
          break;
        }
        case S_META: {
          const entries = this.length();
          this.length(true); // last id ms
          this.length(true); // last id seq
          if (type >= 19) {
            for (let i = 0; i < 5; i++) this.length(true); // first id, max deleted id, entries added
          }
          if (entries > 0 && this.streamNodes === 0) this.fail(`stream length ${entries} but no listpacks`);
          this.count = this.length(); // groups
          this.groupNames.clear();
          this.sub = S_GROUP;
          break;
        }
        case S_GROUP:
          if (this.count === 0) {
            this.groupNames.clear();
            if (type < STREAM_WITH_IDMP) return true;
            this.sub = S_IDMP;
            break;
          }
          if (!this.fingerprintString()) return false; // group name
          if (!this.addName(this.groupNames)) this.fail('a consumer group name twice: Redis refuses it ("Duplicated consumer group name")');
          this.sub = S_GROUP_META;
          break;
        case S_GROUP_META:
          this.length(true);
          this.length(true); // last delivered id
          if (type >= 19) this.length(true); // entries read
          this.count2 = this.length(); // PEL size
          this.pel.clear();
          this.consumerNames.clear();
          this.sub = S_PEL;
          break;
        case S_PEL: {
          if (this.count2 === 0) {
            this.count2 = this.length(); // consumers
            this.sub = S_CONSUMER;
            break;
          }
          const id = this.streamId();
          if (this.pel.has(id)) this.fail('duplicate entry in a consumer group PEL');
          this.skip(8); // delivery time
          this.length(true); // delivery count
          this.pel.set(id, false); // only now: a cut inside the entry re-reads it from its start
          this.count2--;
          break;
        }
        case S_CONSUMER:
          if (this.count2 === 0) {
            if (type >= STREAM_WITH_NACKS) {
              this.sub = S_NACK_COUNT;
              break;
            }
            this.unownedPendingEntries();
            this.count--;
            this.pel.clear();
            this.consumerNames.clear();
            this.sub = S_GROUP;
            break;
          }
          if (!this.fingerprintString()) return false; // consumer name
          if (!this.addName(this.consumerNames)) this.fail('a consumer twice in a group: Redis refuses it ("Duplicate stream consumer detected")');
          this.sub = S_CONSUMER_META;
          break;
        case S_CONSUMER_META:
          this.skip(type >= 21 ? 16 : 8); // seen time (+ active time in v3)
          this.count3 = this.length(); // owned PEL entries
          this.owned.clear();
          this.sub = S_OWNED;
          break;
        case S_NACK_COUNT:
          this.count3 = this.length(); // NACKed entries of the group
          this.owned.clear();
          this.sub = S_NACK;
          break;
        case S_NACK: {
          if (this.count3 === 0) {
            this.owned.clear();
            this.unownedPendingEntries();
            this.count--;
            this.pel.clear();
            this.consumerNames.clear();
            this.sub = S_GROUP;
            break;
          }
          // A NACKed entry is a pending entry of the group that no consumer holds (XNACK released it).
          const id = this.streamId();
          if (!this.pel.has(id)) this.fail('a NACKed entry not found in the group PEL: Redis refuses it');
          if (this.owned.has(id)) this.fail('a NACKed entry listed twice: Redis refuses it');
          if (this.pel.get(id)) this.fail('a NACKed entry that a consumer owns: Redis refuses it');
          this.owned.add(id);
          this.pel.set(id, true); // accounted for: not an unowned entry
          this.count3--;
          break;
        }
        case S_IDMP: {
          const problem = idmpSettingsProblem(this.length(true), this.length(true));
          if (problem !== null) this.fail(problem);
          this.count = this.length(); // producers
          this.sub = S_IDMP_PRODUCER;
          break;
        }
        case S_IDMP_PRODUCER:
          if (this.count === 0) {
            this.groupNames.clear();
            this.sub = S_IDMP_TOTALS;
            break;
          }
          if (!this.fingerprintString()) return false; // producer id
          this.sub = S_IDMP_COUNT;
          break;
        case S_IDMP_COUNT:
          this.count3 = this.length(); // its entries
          // The loader skips a producer without entries; one with entries twice fails its rax insert, unless every
          // entry of the first had expired by load time (then it was dropped): so a warning, as the outcome depends on when.
          if (this.count3 > 0 && !this.addName(this.groupNames))
            this.warn(
              this.base + this.pos,
              `key ${this.keys + 1}: a stream's idempotent producer appears twice: Redis refuses it ("Stream IDMP entries loading failed") unless the first one's entries have all expired when the file is loaded`,
            );
          this.count--;
          this.sub = this.count3 > 0 ? S_IDMP_IID : S_IDMP_PRODUCER;
          break;
        case S_IDMP_IID: {
          const done = this.skipString(); // idempotent id
          this.sub = S_IDMP_ID;
          this.mark = this.pos;
          if (!done) return false;
          break;
        }
        case S_IDMP_ID:
          this.length(true);
          this.length(true); // the stream ID it was added as
          this.count3--;
          this.sub = this.count3 > 0 ? S_IDMP_IID : S_IDMP_PRODUCER;
          break;
        case S_IDMP_TOTALS:
          this.length(true); // IDs added
          this.length(true); // duplicates detected
          this.mark = this.pos;
          return true;
        default: {
          // S_OWNED
          if (this.count3 === 0) {
            this.owned.clear();
            this.count2--;
            this.sub = S_CONSUMER;
            break;
          }
          const id = this.streamId();
          if (!this.pel.has(id)) this.fail('consumer PEL entry not found in the group PEL');
          if (this.owned.has(id)) this.fail('a consumer owns the same pending entry twice: Redis refuses it ("Duplicated consumer PEL entry")');
          this.owned.add(id);
          this.pel.set(id, true);
          this.count3--;
        }
      }
      this.mark = this.pos;
    }
  }
}
