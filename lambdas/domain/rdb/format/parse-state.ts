/** The resumable RDB parser's state and primitives (see format/parser.ts for the design). */
import { EXPIRY_BUCKETS } from '../expiry-histogram.js';
import { Crc64 } from '../codecs/crc64.js';
import { LzfChecker, lzfDecompressTransient, lzfTransientCalls } from '../codecs/lzf.js';
import { RdbFormatError } from '../errors.js';
import type { ChecksumStatus, RdbWarningKind, SlotImport } from '../report.js';
import { listpackHasDuplicate, ziplistHasDuplicate } from './blob-members.js';
import { type ListpackMembers, validateListpack, validateZiplist } from './blobs.js';
import { DuplicateCheck, fingerprintStart, fingerprintUpdate } from './duplicates.js';
import { HashTemplates } from './hash-template.js';
import { ListpackStream } from './listpack-stream.js';
import { LzfListpackStream } from './lzf-listpack.js';
import { KeyDigestSet, type KeyDigestSpill, keyDigestUpdate, newKeyDigest } from './key-digests.js';
import { TYPE_NAMES, TYPE_SLOT } from './opcodes.js';
import * as constants from './parse-constants.js';
import type { RdbKeySink, TrustedRead } from './key-sink.js';
import { streamReadState } from './stream-node.js';

// Module-local copies of the parser's constants (read per key and element): an imported binding is a getter call under tsx.
const {
  B_COLLECT,
  B_HASH,
  B_KEY_DIGEST,
  B_LISTPACK,
  B_LZF,
  B_LZF_LISTPACK,
  B_NONE,
  B_SKIP,
  EMPTY,
  FIXED_WHAT,
  LISTPACK_ENTRIES,
  LISTPACK_VALUE,
  LZF_MAX_RATIO,
  MAX_TOKEN,
  MAX_WARNINGS,
  P_HEADER,
  textEncoder,
  UNDERFLOW,
  W_AUX_NAMED,
  W_HEADER,
  W_KEY_NAME,
  W_KEY_VALUE,
  W_OPCODE,
} = constants;
/** Fails the file with `message` (no position: callers name what they read). */
export function fail(message: string): never {
  throw new RdbFormatError(message);
}

/**
 * The parser's state and the primitives every value reader uses (lengths, strings skipped, kept or fingerprinted,
 * duplicate checks); the readers of each type family are functions of it (format/parse-*.ts), the driver is
 * {@link RdbParser} (format/parser.ts). Its members are public to those modules only: nothing else imports this class.
 */
export class RdbParserState {
  // ---- report ---------------------------------------------------------
  version = 0;
  checksum: ChecksumStatus = 'absent';
  /** Bytes after the end of the file (EOF opcode and checksum), which Redis ignores. */
  trailingBytes = 0;
  keys = 0;
  expires = 0;
  /** Keys whose expiry had passed when the file was written (its `ctime`): a server loading it as a primary drops them. */
  expiredKeys = 0;
  fileTimeMs = -1;
  pendingExpireMs = 0;
  /** The pending expiry exactly where {@link pendingExpireMs} rounds it (past ±2^53 ms: review 45), for writers and RESTORE. */
  pendingExpireExact: bigint | undefined = undefined;
  /** Keys with an expiry per bucket of the expiry grid (domain/rdb/expiry-histogram.ts), from the file's `ctime`. */
  readonly expiryCounts = new Float64Array(EXPIRY_BUCKETS);
  /** The last key's bucket and its offsets (after, up to]: the next key is likely in it too. */
  bucket = 0;
  bucketFrom = 0;
  bucketTo = -1;
  /** Keys with an expiry not in `expiryCounts` (read before any `ctime`, or before a checkpoint that kept no histogram). */
  expiryUnbased = 0;
  /** Keys whose value holds no element: Redis skips them on load ("empty keys skipped"). */
  emptyKeys = 0;
  /** Keys per module type name (module values written through the module API). */
  readonly moduleTypes: Record<string, number> = {};
  /** Modules whose AUX data the file carries (MODULE_AUX opcodes): a server without them refuses the file. */
  readonly moduleAux: string[] = [];
  /** Keys per Redis 8.6 key metadata class a server without its module may skip (ALLOW_IGNORE), by class name. */
  readonly ignorableKeyMeta: Record<string, number> = {};
  /** `VALKEY` magic (Valkey 9 on), not `REDIS`. */
  valkey = false;
  readonly databases: number[] = [];
  /** Keys per {@link TYPE_NAMES} slot, and the slots in order of first appearance (the report keeps that order). */
  readonly typeCounts = new Float64Array(TYPE_NAMES.length);
  readonly typeOrder: number[] = [];
  /** Per RDB value type byte, 1 once a key of it was read (engines.ts requiredFormat); undefined when resumed from a checkpoint that did not keep them. */
  rdbTypesSeen: Uint8Array | undefined = new Uint8Array(256);
  readonly auxFields: Record<string, string> = {};
  functionLibraries = 0;
  /** Valkey 9 slot imports in progress when the file was saved (opcode 243), at most {@link MAX_SLOT_IMPORTS_KEPT} kept. */
  readonly slotImports: SlotImport[] = [];
  slotImportJobs = 0;
  /** The slot import being read: its job name, ranges kept, ranges in the file, and ranges still to read. */
  importJob = '';
  importRanges: [number, number][] = [];
  importRangeCount = 0;
  importRangesLeft = 0;
  /** Redis 8.10's hash templates defined so far (opcode 242): one number each, whatever their fields. */
  readonly templates = new HashTemplates();
  /** The template being read: its id, its fields still to read, and the last field read (for the order check). */
  templateId = 0;
  templateFields = 0;
  templateFieldsLeft = 0;
  templatePrevious: Uint8Array = EMPTY;
  /** Keys whose hash references one of those templates (types 30, 32). */
  templateHashes = 0;
  /** The self-contained template hash being read (types 29, 31): its field count, and the last raw field (for the order check). */
  selfFields = 0;
  selfPrevious: Uint8Array = EMPTY;
  /** Database selected by the last SELECTDB (0 before any). */
  db = 0;
  /** Keys per database, filed at each SELECTDB and the end from `keys - dbStartKeys` (no cost per key); undefined: not counted. */
  keysByDb: Map<number, number> | undefined = new Map();
  dbStartKeys = 0;
  /** With a {@link RdbKeySink}: file offsets of the open key's type byte and of its name's end; -1 when no key is open. */
  keyStart = -1;
  keyNameEnd = -1;
  error: { offset: number; message: string } | undefined;
  /** The file is in a format this parser does not know (set with `error`): neither valid nor corrupt. */
  unsupported: { version: number; writtenBy: string } | undefined;

  // ---- cursor over the current buffer -----------------------------------
  buf: Uint8Array = EMPTY;
  pos = 0;
  limit = 0;
  /** Last commit point in `buf`: state matches the input up to here. */
  mark = 0;
  /** File offset of `buf[0]`. */
  base = 0;
  /** The last LZF string expanded: compressed file bytes [lzfLastAt, lzfLastEnd), intact while lzfTransientCalls() is lzfLastCall. */
  lzfLastAt = -1;
  lzfLastEnd = -1;
  lzfLastOut: Uint8Array = EMPTY;
  lzfLastCall = -1;
  /** Bytes of `buf` before this index are in the CRC already. */
  crcFrom = 0;
  crc = new Crc64();
  /** With an external checksum: the trailer read, until {@link RdbParser.settleChecksum} judges it. */
  pendingTrailer: Uint8Array | null = null;
  /** With an external checksum: the trailer's file offset once read, else -1. */
  trailerAt = -1;
  /** Bytes pushed so far. */
  total = 0;
  /** Uncommitted bytes at the end of the last chunk (fewer than MAX_TOKEN), then room to join the next chunk's start. */
  readonly carry = new Uint8Array(2 * MAX_TOKEN);
  carryLength = 0;

  // ---- parse state ------------------------------------------------------
  phase = P_HEADER;
  what = W_HEADER;
  expirePending = false;
  auxKey = '';
  /** RDB type of the key being read. */
  type = 0;
  /** Position inside the value: 0 before its first byte; then per type. */
  sub = 0;
  /** Elements left at the value's levels (stream: nodes or groups; PEL entries or consumers; owned IDs). */
  count = 0;
  count2 = 0;
  count3 = 0;
  /** Key metadata (P_KEY_META): classes left, and whether the current class's value is being read. */
  metaClassesLeft = 0;
  metaInValue = false;
  /** The stream being read (parse-streams.ts; stream-node.ts {@link streamReadState}). */
  readonly stream = streamReadState();
  /** The group's PEL: entry ID → whether a consumer owns it. Reused (cleared) from group to group, as are the sets below. */
  readonly pel = new Map<string, boolean>();
  /** Fingerprints (53 bits) of the stream's group names and of the current group's consumer names; IDs the current consumer owns. */
  readonly groupNames = new Set<number>();
  readonly consumerNames = new Set<number>();
  readonly owned = new Set<string>();
  /** The current key's value holds no element (an empty key: skipped on load). */
  emptyValue = false;
  /**
   * Fingerprint of the member being read (two 32-bit FNV-1a lanes), and whether a streamed one is complete. A typed array, not
   * two number fields: 32-bit values beyond V8's small integers would be boxed on every store (+50 MiB of garbage measured).
   */
  readonly fp = new Int32Array(2);
  fpReady = false;
  /** The collected bytes in progress are a member to fingerprint, not a blob to keep. */
  fpCollect = false;
  readonly dups: DuplicateCheck;
  /** The open key's name digest (three 32-bit lanes, format/key-digests.ts), whether a streamed one is complete, and whether
   * a name that did not fit its chunk (streamed, or LZF-collected) is still to be finished. */
  readonly kd = newKeyDigest();
  kdLength = 0;
  kdReady = false;
  kdCollect = false;
  nameOpen = false;
  /** Every key's digest and database, checked for a key stored twice at the end (none in a trusted read). */
  readonly keyDigests: KeyDigestSet | undefined;
  /** File offset from which keys are in {@link keyDigests}: 0, or where a resumed verification started. */
  keysCheckedFrom = 0;
  /** A trusted file (TrustedRead's `emptyKeys`: no CRC-64, every key by its bounds); the open key's value read by its bounds only (per key with `valueCheckedBefore`, whose ordinal is `keysBegun`). */
  readonly trustedFile: boolean;
  readonly noCrc: boolean; // no CRC-64 here: a trusted file
  trusted: boolean;
  readonly trustedEmpty: ReadonlySet<number> | undefined;
  readonly valueCheckedBefore: ((ordinal: number, type: number) => boolean | number) | undefined;
  knownValueBytes = -1; // the open key's value length valueCheckedBefore gave (-1: none, or its read has begun)
  keysBegun = 0;
  /** Fields of the hash being read, whether one of its fields or values is longer than LISTPACK_VALUE, and where its first duplicate field was. */
  collectionLength = 0;
  longElement = false;
  deferredDupAt = -1;
  readonly warnings: { offset: number; message: string }[] = [];
  warningCount = 0;
  /** The warnings of each kind, all of them counted (the report's `warningKinds`). */
  readonly warningKinds: Partial<Record<RdbWarningKind, number>> = {};
  /** Collections checked on a sample only (more members than DUP_EXACT_MEMBERS), and the smallest detection probability. */
  sampledCollections = 0;
  minDupDetection = 1;

  // ---- a string body that continues in later chunks ---------------------
  body = B_NONE;
  bodyLeft = 0;
  readonly lzf = new LzfChecker();
  /** Plain length to expand to after LZF (the LZF header's second length). */
  lzfPlain = 0;
  collecting: Uint8Array = EMPTY;
  collectedBytes = 0;
  collectLzf = false;
  /** A collected string, handed to the next {@link keptString} call. */
  collected: Uint8Array | null = null;
  /** A big listpack validated as it streams by (parse-listpacks.ts keptListpack), and its element count once it is done (-1: none). */
  readonly lpStream = new ListpackStream();
  streamed = -1;
  /** A big LZF-compressed listpack expanded into {@link lpStream} as it streams by (parse-listpacks.ts). */
  readonly lzfListpack = new LzfListpackStream(this.lpStream);

  // ---- pausing at a checkpoint --------------------------------------------------
  /** A pause was asked for: stop at the next top-level boundary. */
  pauseWanted = false;
  /** File offset where the parser paused; -1 while it has not. */
  pausedAt = -1;
  /** With a pause wanted: pause at the top-level boundary at exactly this offset, never at another (-1: the next one); see RdbParser.stopAt. */
  stopAt = -1;
  /** The parser passed {@link stopAt} without a top-level boundary there. */
  stopMissed = false;
  /** Reads a file's segment from a boundary on (format/split.ts): its CRC-64 is the segment's, so the trailer waits to be judged. */
  segment = false;

  /** An intset out of order: Redis checks the order only with sanitize-dump-payload yes. Bound once (one per intset would be garbage). */
  readonly intsetUnordered = (i: number): void =>
    this.warn(
      this.base + this.pos,
      `${this.describe()}: intset members are not strictly ascending at index ${i}: Redis loads it; only sanitize-dump-payload yes refuses it`,
      'sanitize-only',
    );

  /** The duplicate table's check, bound once (the blob scans call it per member). */
  readonly seen = (h1: number, h2: number): boolean => this.dups.seen(h1, h2);

  /** What {@link validateListpack} checks of the members besides the structure (one object: this runs per small collection). */
  readonly lpMembers: ListpackMembers = { stride: 1, seen: this.seen, duplicate: false, walked: false };

  constructor(
    readonly maxValueBytes: number,
    /** A file without a CRC-64 (an all-zero trailer, or RDB < 5) is a failure, not `absent`. */
    readonly requireChecksum: boolean,
    /** Told where each key's bytes are; checked once per key, so the verifier without one pays nothing. */
    readonly sink: RdbKeySink | undefined,
    /** Told every key's expiry time (ms), when the caller wants them exactly (`drill local`). */
    readonly expiryTimes: { add(expireAtMs: number): void } | undefined,
    /** The CRC-64 is computed by the caller (another thread): see RdbParser's checksumEnd and settleChecksum. */
    readonly externalChecksum: boolean,
    dupExactMembers: number | undefined,
    trusted: TrustedRead | undefined,
    keyDigestSpill: (() => KeyDigestSpill) | undefined,
    keyDigestsInMemory: number | undefined,
  ) {
    this.trustedEmpty = trusted !== undefined && 'emptyKeys' in trusted ? trusted.emptyKeys : undefined;
    this.trustedFile = this.trusted = this.trustedEmpty !== undefined;
    this.valueCheckedBefore = trusted !== undefined && 'valueCheckedBefore' in trusted ? trusted.valueCheckedBefore : undefined;
    this.noCrc = this.trustedFile;
    this.keyDigests = trusted !== undefined ? undefined : new KeyDigestSet(keyDigestSpill, keyDigestsInMemory);
    if (trusted !== undefined && sink === undefined) throw new RangeError('a trusted read is for a key sink (its keys are named by offset or order)');
    this.dups = new DuplicateCheck(dupExactMembers);
  }

  /** Moves to `phase` with the input consumed up to `pos`. */
  commit(phase: number): void {
    this.phase = phase;
    this.mark = this.pos;
  }

  /** Streams the current buffer into the string body in progress; true when the body is complete. */
  continueBody(): boolean {
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
    } else if (body === B_LISTPACK) this.lpStream.update(this.buf, from, from + take);
    else if (body === B_LZF_LISTPACK) this.lzfListpack.update(this.buf, from, from + take);
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
      this.collected = this.collectLzf ? this.expanded(bytes, this.base + this.pos) : bytes;
    } else if (body === B_LISTPACK) this.streamed = this.lpStream.finish();
    else if (body === B_LZF_LISTPACK) this.streamed = this.lzfListpack.finish();
    return true;
  }

  describe(): string {
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
  fail(message: string): never {
    return fail(`${this.describe()}: ${message}`);
  }

  need(n: number): void {
    if (this.pos + n > this.limit) throw UNDERFLOW;
  }

  u8(): number {
    const p = this.pos;
    if (p >= this.limit) throw UNDERFLOW;
    this.pos = p + 1;
    return this.buf[p]!;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** An RDB length; returns `-1 - encoding` for the special string encodings. */
  lengthOrEncoding(allowHuge: boolean): number {
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

  /** A plain length, as rdbLoadLen(rdb, NULL) reads it (Redis 6.2 to 8.x, Valkey): the "encoded value" form 0xC0–0xFF is its low 6 bits. */
  length(allowHuge = false): number {
    const n = this.lengthOrEncoding(allowHuge);
    return n < 0 ? -1 - n : n;
  }

  /** Reads an LZF string's two lengths and checks them; returns the compressed length (the plain one goes to `lzfPlain`). */
  lzfHeader(): number {
    const compressed = this.length();
    const plain = this.length();
    // An empty body expands to nothing: the empty string where 0 is declared (Redis loads it: LzfBody.verdict), else refused.
    if (compressed === 0 && plain !== 0) this.fail('LZF string with an empty compressed body');
    if (plain > this.maxValueBytes) this.fail(`LZF string of ${plain} bytes exceeds the verifier limit of ${this.maxValueBytes} bytes`);
    if (plain > compressed * LZF_MAX_RATIO) this.fail(`LZF string claims ${plain} bytes from ${compressed} compressed bytes, more than LZF can expand`);
    this.checkLimit(compressed);
    this.lzfPlain = plain;
    return compressed;
  }

  /** Values the verifier has to hold are bounded by `maxValueBytes`. */
  checkLimit(n: number): void {
    if (n > this.maxValueBytes) this.fail(`length ${n} exceeds the verifier limit of ${this.maxValueBytes} bytes`);
  }

  /** Begins streaming a string body of which only `buf[pos, limit)` is here; commits. */
  startBody(kind: number, length: number): void {
    this.body = kind;
    this.bodyLeft = length;
    this.continueBody(); // takes what is here; does not complete, as the body is longer
  }

  /**
   * Skips a string whose content does not matter. Returns true when it ended
   * in this buffer, false when its body continues in the next chunks (state
   * committed; the caller returns and is called again once the body is done).
   */
  skipString(): boolean {
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
  keptString(): Uint8Array | null {
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

  /** A string in one of the special encodings (integers: their decimal text; LZF: expanded), as {@link keptString} returns it. */
  encodedString(encoding: number): Uint8Array | null {
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
      return this.expanded(this.buf.subarray(this.pos - compressed, this.pos), this.base + this.pos);
    }
    this.collect(compressed, true);
    return null;
  }

  /** The LZF string `compressed`, whose bytes end at file offset `end`, expanded (transient), and noted as the last expansion. */
  private expanded(compressed: Uint8Array, end: number): Uint8Array {
    this.lzfLastOut = lzfDecompressTransient(compressed, this.lzfPlain);
    this.lzfLastAt = end - compressed.length;
    this.lzfLastEnd = end;
    this.lzfLastCall = lzfTransientCalls();
    return this.lzfLastOut;
  }

  collect(length: number, lzf: boolean): void {
    this.collecting = new Uint8Array(length);
    this.collectedBytes = 0;
    this.collectLzf = lzf;
    this.startBody(B_COLLECT, length);
  }

  fpReset(): void {
    fingerprintStart(this.fp);
    this.fpReady = false;
  }

  /** Incremental, so streamed members hash the same. */
  fpUpdate(b: Uint8Array, from: number, to: number): void {
    fingerprintUpdate(this.fp, b, from, to);
  }

  /**
   * Reads a member (set member, sorted set member, hash field) into its
   * fingerprint: its content as Redis compares it (an integer-encoded one as
   * its decimal text, an LZF one expanded). False when its body continues in
   * the next chunks; the next call, once it is complete, returns true.
   */
  fingerprintString(): boolean {
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

  /** A collection of `count` members starts: the duplicate check begins again (sampled beyond DUP_EXACT_MEMBERS). */
  dupBegin(count: number): void {
    this.sampledAt(this.dups.begin(count));
  }

  /** A collection checked for duplicates with probability `rate` (below 1: on a sample), counted for the report. */
  sampledAt(rate: number): void {
    if (rate < 1) this.sampledCollections++;
    this.minDupDetection = Math.min(this.minDupDetection, rate);
  }

  /** The member just fingerprinted: a second one equal to it is refused, as Redis refuses it on load. */
  dupCheck(what: string): void {
    // The message is built only on a duplicate: this runs once per member.
    if (this.dups.seen(this.fp[0]!, this.fp[1]!)) this.fail(`duplicate ${what}: Redis refuses it ("Duplicate ${what} detected")`);
  }

  /** The member just fingerprinted must be new in the collection; `message` says what a repeat is. */
  dupCheckAs(message: string): void {
    if (this.dups.seen(this.fp[0]!, this.fp[1]!)) this.fail(message);
  }

  /**
   * Validates a listpack of members (every `stride`-th element) and finds whether one is there twice (`lpMembers.duplicate`),
   * for {@link listpackDuplicates}: in the validating walk where the header gives the count (to size the table), else in
   * a walk of its own after it (65535, no count: the table grows as a streamed one's does, for the same verdict).
   */
  listpackWithMembers(blob: Uint8Array, stride: number): number {
    const m = this.lpMembers;
    const declared = blob.length >= 7 ? blob[4]! | (blob[5]! << 8) : 0xffff;
    if (declared !== 0xffff && Math.floor(declared / stride) >= 2) {
      // The walk fails unless the count is `declared`: the table is begun for the members it will hold.
      this.dupBegin(Math.floor(declared / stride));
      m.stride = stride;
      return this.validListpack(blob, m, Math.ceil(declared / stride));
    }
    const n = this.validListpack(blob);
    const members = Math.floor(n / stride);
    m.duplicate = members >= 2 && (declared === 0xffff ? this.dups.beginGrowing() : this.dupBegin(members), listpackHasDuplicate(blob, stride, this.seen));
    return n;
  }

  /** {@link validateListpack} (`members` of `m`), or the sink's walk where it re-encodes the value and vouches for it ({@link RdbKeySink.listpack}). */
  validListpack(blob: Uint8Array, m?: ListpackMembers, members = 0): number {
    const walked = this.sink?.listpack?.(this.keyStart, this.type, blob, m?.stride ?? 0, members) ?? -1;
    this.lpMembers.walked = walked >= 0;
    if (walked >= 0 && m !== undefined) m.duplicate = false;
    return walked >= 0 ? walked : validateListpack(blob, m);
  }

  /** A duplicate {@link listpackWithMembers} found in a listpack of `elements`: see {@link sanitizeOnly}. */
  listpackDuplicates(elements: number, stride: number, what: string): void {
    const members = Math.floor(elements / stride);
    if (members >= 2) this.sampledAt(this.dups.grownDetection); // one begun without its count: sampled only once it grew past the exact table
    if (members >= 2 && this.lpMembers.duplicate) this.sanitizeOnly(members, `duplicate ${what} in a listpack`);
  }

  /**
   * What Redis checks in a listpack only with sanitize-dump-payload yes
   * (duplicates, a count that is not a multiple of the tuple): it loads a
   * small one as it is, so that is a warning; one of more than
   * LISTPACK_ENTRIES members it converts to a hash table or skiplist on load,
   * and the conversion refuses (or crashes on) it, so that is a failure.
   */
  sanitizeOnly(members: number, problem: string, risk = ''): void {
    if (members > LISTPACK_ENTRIES) this.fail(`${problem}, in a collection of ${Math.floor(members)} members that Redis converts on load: Redis refuses it`);
    this.warn(this.base + this.pos, `${this.describe()}: ${problem}: Redis loads it${risk}; only sanitize-dump-payload yes refuses it`, 'sanitize-only');
  }

  /** A warning: the file passes; `message` says what Redis does with it, `kind` counts it (the summary line words each kind). */
  warn(offset: number, message: string, kind: RdbWarningKind): void {
    if (this.warningCount++ < MAX_WARNINGS) this.warnings.push({ offset, message });
    this.warningKinds[kind] = (this.warningKinds[kind] ?? 0) + 1;
  }

  /** At the value's start: `count` members follow, each at most once (the duplicate check begins again). */
  beginMembers(count: number): void {
    this.beginElements(count);
    this.dupBegin(count);
  }

  /** At the value's start: `count` elements follow (position 1 = at an element); none makes an empty key. */
  beginElements(count: number): void {
    this.count = count;
    this.emptyValue = count === 0;
    this.sub = 1;
    this.mark = this.pos;
  }

  /** Skips one element string and commits; false when its body continues in the next chunks. */
  skipElement(): boolean {
    const done = this.skipString();
    this.count--;
    this.mark = this.pos;
    return done;
  }

  /** A ziplist of pairs (zset 12, hash 13): Redis converts these entry by entry on load and refuses a member or field twice. */
  ziplistPairs(blob: Uint8Array, what: string, name: string): number {
    const n = validateZiplist(blob);
    if (n % 2 !== 0) this.fail('ziplist of pairs has an odd entry count');
    if (n >= 4 && (this.dupBegin(n / 2), ziplistHasDuplicate(blob, 2, this.seen))) {
      this.fail(`duplicate ${what} in a ziplist: Redis refuses it ("${name} ziplist integrity check failed")`);
    }
    return n;
  }
}
