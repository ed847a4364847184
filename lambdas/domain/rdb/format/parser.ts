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
import { EXPIRY_BUCKETS, formatExpiryHistogram } from '../expiry-histogram.js';
import { Crc64, crcMismatch } from '../codecs/crc64.js';
import { lzfTransientCalls } from '../codecs/lzf.js';
import { RdbFormatError, RdbUnsupportedError } from '../errors.js';
import { type RdbCheckpoint, type RdbReport, type RdbVerifierState, type SlotImport, typesSeen } from '../report.js';
import { templateFieldCountProblem, templateFieldOrderProblem } from './hash-template.js';
import { type DuplicateKey, duplicateKeyMessage, type KeyDigestSet, type KeyDigestSpill } from './key-digests.js';
import { TYPE_NAMES } from './opcodes.js';
import * as constants from './parse-constants.js';
import { moduleBody, moduleCheckpoint, moduleFindings } from './parse-modules.js';
import * as fileStructure from './parse-opcodes.js';
import type { RdbKeySink, TrustedRead } from './key-sink.js';
import { fail, RdbParserState } from './parse-state.js';
import * as valueTables from './parse-values.js';
import { MAX_SLOT_IMPORTS_KEPT, MAX_SLOT_RANGES_KEPT, slotImportNameProblem, slotRangeCountProblem, slotRangeProblem } from './slot-import.js';

// Module-local copies of the parser's constants (and of the per-key functions and tables): under tsx and vitest an imported binding is a getter call per
// read (in the CLI's CommonJS a property load), and these are read per key and per element; a local const is free.
const {
  B_NONE,
  DEFAULT_DATABASES,
  EMPTY,
  reportedAux,
  MAX_TOKEN,
  P_AUX_KEY,
  P_AUX_VALUE,
  P_DONE,
  P_FUNCTION_END,
  P_HASH_TEMPLATE_FIELD,
  P_HASH_TEMPLATE_HEAD,
  P_HEADER,
  P_KEY_META,
  P_MODULE_AUX,
  P_OPCODE,
  P_SLOT_IMPORT_COUNT,
  P_SLOT_IMPORT_NAME,
  P_SLOT_IMPORT_RANGE,
  P_VALUE,
  SEGMENT_DB,
  UNDERFLOW,
  utf8,
  W_AUX,
  W_AUX_NAMED,
  W_HASH_TEMPLATE,
  W_KEY_META,
  W_KEY_NAME,
  W_KEY_VALUE,
  W_MODULE_AUX,
  W_OPCODE,
  W_SLOT_IMPORT,
} = constants;
const { finishKey, header, keyMetaClasses, keyNameDigest, opcode } = fileStructure;
const { passedOver, REDIS_TRUSTED, REDIS_VALUES, VALKEY_TRUSTED, VALKEY_VALUES } = valueTables;

export type { RdbKeySink, TrustedRead } from './key-sink.js';

/** How the message of an error of the verification itself (not of the file) starts. */
const VERIFIER_FAILURE = 'verifier failure: ';
/** The state machine; see the module comment. One instance per file. */
export class RdbParser extends RdbParserState {
  constructor(
    maxValueBytes: number,
    /** A file without a CRC-64 (an all-zero trailer, or RDB < 5) is a failure, not `absent`. */
    requireChecksum = false,
    resumeFrom?: RdbCheckpoint,
    /** Told where each key's bytes are; checked once per key, so the verifier without one pays nothing. */
    sink?: RdbKeySink,
    /** Told every key's expiry time (ms), when the caller wants them exactly (`drill local`). */
    expiryTimes?: { add(expireAtMs: number): void },
    /** The CRC-64 is computed by the caller (another thread): see {@link RdbParser.checksumEnd} and {@link RdbParser.settleChecksum}. */
    externalChecksum = false,
    /** Members of a collection whose duplicate check is exact (a read of bytes verified before needs less: see RdbKeyReaderOptions.reread). */
    dupExactMembers?: number,
    /**
     * Part of the checks taken as done ({@link TrustedRead}): the bytes are
     * ones this parser judged valid before, proven the same by block CRCs
     * (rdb/block-digests.ts; only the keys' bounds are read, see
     * RdbKeyReaderOptions.verifiedBefore), or a written file read back whose
     * keys copied as they were are read by their bounds
     * (RdbKeyReaderOptions.valueCheckedBefore).
     */
    trusted?: TrustedRead,
    /** Where the duplicate-key check puts its digests when they do not fit in memory (see format/key-digests.ts); without one, it samples. */
    keyDigestSpill?: () => KeyDigestSpill,
    /** @internal Digest records held in memory before spilling (tests make it small). */
    keyDigestsInMemory?: number,
  ) {
    super(maxValueBytes, requireChecksum, sink, expiryTimes, externalChecksum, dupExactMembers, trusted, keyDigestSpill, keyDigestsInMemory);
    if (externalChecksum && resumeFrom) throw new RangeError('a verification whose checksum is computed elsewhere cannot resume from a checkpoint');
    if (resumeFrom) this.resume(resumeFrom);
  }

  /**
   * The expansion of the LZF string whose compressed bytes are file bytes
   * [from, to), when it is the last string this parser expanded and its
   * output is still intact; else undefined. A reader that re-encodes the
   * value just checked (convert-rdb's transcoder) takes it instead of
   * expanding the same bytes a second time.
   */
  lzfExpansionOf(from: number, to: number): Uint8Array | undefined {
    return from === this.lzfLastAt && to === this.lzfLastEnd && this.lzfLastCall === lzfTransientCalls() ? this.lzfLastOut : undefined;
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
      this.error = { offset: this.base + this.pos, message: e instanceof RdbFormatError ? e.message : `${VERIFIER_FAILURE}${String(e)}` };
      if (e instanceof RdbUnsupportedError) this.unsupported = { version: e.version, writtenBy: e.writtenBy };
    } finally {
      this.buf = EMPTY; // never hold on to the caller's chunk
    }
  }

  /** The file's bytes could not be produced (a damaged or unknown envelope around them, found by the stage that unwraps it): that is the verdict. */
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
      this.error = { offset: this.trailerAt + 8, message: `${VERIFIER_FAILURE}the CRC-64 computed outside the parser never arrived` };
    }
    if (this.keyDigests !== undefined) this.settleDuplicateKeys(this.keyDigests);
    const needsDatabases = this.databases.reduce((n, db) => Math.max(n, db + 1), 0); // not Math.max(...): too many arguments
    const keyCheckProbability = this.keyDigests?.detectionProbability ?? 1;
    const byType: Record<string, number> = {};
    for (const slot of this.typeOrder) byType[TYPE_NAMES[slot]!] = this.typeCounts[slot]!;
    return {
      ok: this.error === undefined,
      // Not a verdict on the file: the verification itself failed (parse-state's messages for it start so).
      ...(this.error?.message.startsWith(VERIFIER_FAILURE) ? { verifierFailure: true as const } : {}),
      version: this.version,
      checksum: this.checksum,
      keys: this.keys,
      expires: this.expires,
      databases: [...this.databases],
      ...(this.keysByDbUpTo() ?? {}),
      byType,
      ...(this.rdbTypesSeen ? { rdbTypes: typesSeen(this.rdbTypesSeen) } : {}),
      auxFields: { ...this.auxFields },
      functionLibraries: this.functionLibraries,
      ...fileStructure.libraryRefusals(this),
      ...(this.slotImportJobs > 0 ? { slotImports: this.slotImportsCopy(), slotImportJobs: this.slotImportJobs } : {}),
      ...(this.trailingBytes > 0 ? { trailingBytes: this.trailingBytes } : {}),
      ...(this.emptyKeys > 0 ? { emptyKeys: this.emptyKeys } : {}),
      ...(this.expiredKeys > 0 ? { expiredKeys: this.expiredKeys } : {}),
      ...(this.expires > 0 && this.expiryUnbased === 0 && this.fileTimeMs >= 0
        ? { expiryHistogram: formatExpiryHistogram({ baseMs: this.fileTimeMs, counts: [...this.expiryCounts] })! }
        : {}),
      ...moduleFindings(this),
      ...(this.templateHashes > 0 ? { templateHashes: this.templateHashes } : {}),
      ...(this.valkey ? { magic: 'VALKEY' as const } : {}),
      ...(this.warningCount > 0 ? { warnings: [...this.warnings], warningCount: this.warningCount, warningKinds: { ...this.warningKinds } } : {}),
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

  /** The duplicate-key check's outcome when another thread took part in it (see {@link settleDuplicatesWith}). */
  private duplicatesSettled: { readonly twice: DuplicateKey | undefined } | string | undefined;

  /**
   * The duplicate-key check, done before {@link end} by the caller: the split
   * verification checks half of the digests' shards on each thread
   * (KeyDigestSet.handOver). `end` then takes this outcome (the first key
   * twice, or none) instead of checking the digests; a string is why the
   * check could not be completed, which `end` reports as a verifier failure.
   */
  settleDuplicatesWith(outcome: { readonly twice: DuplicateKey | undefined } | string): void {
    this.duplicatesSettled = outcome;
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
      const settled = this.duplicatesSettled;
      if (typeof settled === 'string') {
        this.error = { offset: this.total, message: `${VERIFIER_FAILURE}${settled}` };
        return;
      }
      const twice = settled !== undefined ? settled.twice : digests.findDuplicate();
      if (twice) {
        this.error = {
          offset: this.total - this.trailingBytes,
          message: duplicateKeyMessage(twice.db, this.fileTimeMs, this.expires),
        };
      }
    } catch (e) {
      this.error = { offset: this.total, message: `${VERIFIER_FAILURE}the duplicate-key check could not read its digests back (${String(e)})` };
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

  /** Part of the checks are taken as done (a checkpoint would not say which): no pause, no segment. */
  private get trustedRead(): boolean {
    return this.noCrc || this.valueCheckedBefore !== undefined;
  }

  /** See {@link RdbVerifier.pause}: takes effect at once when the input so far ends at a boundary. Not with an external checksum (its state is elsewhere), nor in a trusted read (no checksum). */
  pause(): void {
    if (this.pausedAt >= 0 || this.externalChecksum || this.trustedRead) return; // paused already: the checkpoint stays where it is
    this.pauseWanted = true;
    this.stopAt = -1; // a deadline's pause takes the next boundary, even where a split's stop was waiting for a later one
    // Bytes held in the carry are uncommitted: the boundary before them is where the state stands.
    if (!this.error && this.phase === P_OPCODE && this.body === B_NONE) this.pausedAt = this.total - this.carryLength;
  }

  /**
   * Pauses at the top-level boundary at file offset `offset` if the parse
   * comes to one there (then `state()` is `paused` and {@link RdbParser.splitStatus}
   * says what holds at that point); one that passes `offset` inside an entry
   * goes on and sets `stopMissed`. For the split verification (format/split.ts).
   */
  stopAtBoundary(offset: number): void {
    if (this.pausedAt >= 0 || this.error || this.externalChecksum || this.trustedRead) return;
    const committed = this.total - this.carryLength;
    const atBoundary = this.phase === P_OPCODE && this.body === B_NONE;
    if (offset === committed && atBoundary) {
      this.pausedAt = offset;
      return;
    }
    if (offset <= committed) {
      this.stopMissed = true;
      return;
    }
    this.stopAt = offset;
    this.pauseWanted = true;
  }

  /**
   * After a pause at {@link stopAtBoundary}: the parse goes on from the
   * boundary; the caller pushes the file's bytes from {@link RdbParser.pausedAt} on again
   * (those pushed after it were not read).
   */
  continueFromPause(): void {
    if (this.pausedAt < 0) throw new RangeError('the parser is not paused');
    this.total = this.pausedAt;
    this.carryLength = 0;
    this.pausedAt = -1;
    this.stopAt = -1;
    this.pauseWanted = false;
  }

  /**
   * Starts this (new) parser at the top-level boundary at `offset` of a
   * file whose header says `version` and `valkey`, whose `ctime` is
   * `fileTimeMs` (-1: none), in a database not known yet ({@link SEGMENT_DB}
   * until a SELECTDB), with its CRC-64 from 0 there: see format/split.ts.
   */
  startSegment(offset: number, context: { readonly version: number; readonly valkey: boolean; readonly fileTimeMs: number }): void {
    if (this.total !== 0 || this.externalChecksum || this.trustedRead) throw new RangeError('a segment is read by a new parser that computes its own checksum');
    this.segment = true;
    this.total = offset;
    this.keysCheckedFrom = offset;
    this.version = context.version;
    this.valkey = context.valkey;
    this.fileTimeMs = context.fileTimeMs;
    this.db = SEGMENT_DB;
    this.phase = P_OPCODE;
    this.what = W_OPCODE;
  }

  state(): RdbVerifierState {
    if (this.error) return 'failed';
    if (this.pausedAt >= 0) return 'paused';
    return this.phase === P_DONE ? 'done' : 'reading';
  }

  /** The keys per database read so far (filed up to here), ascending, as a report or checkpoint carries them. */
  private keysByDbUpTo(): { keysByDb: Record<string, number> } | undefined {
    fileStructure.fileDbKeys(this);
    return this.keysByDb === undefined ? undefined : { keysByDb: Object.fromEntries([...this.keysByDb].sort((a, b) => a[0] - b[0])) };
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
      ...moduleCheckpoint(this),
      databases: [...this.databases],
      db: this.db,
      ...(this.keysByDbUpTo() ?? {}),
      byType,
      ...(this.rdbTypesSeen ? { rdbTypes: typesSeen(this.rdbTypesSeen) } : {}),
      auxFields: { ...this.auxFields },
      functionLibraries: this.functionLibraries,
      ...fileStructure.libraryCheckpoint(this),
      ...(this.slotImportJobs > 0 ? { slotImports: this.slotImportsCopy(), slotImportJobs: this.slotImportJobs } : {}),
      ...(this.templates.size > 0 ? { hashTemplates: this.templates.entries() } : {}),
      ...(this.templateHashes > 0 ? { templateHashes: this.templateHashes } : {}),
      warnings: this.warnings.map((w) => ({ ...w })),
      warningCount: this.warningCount,
      warningKinds: { ...this.warningKinds },
      sampledCollections: this.sampledCollections,
      minDetectionProbability: this.minDupDetection,
    };
  }

  /** Takes up the state a checkpoint saved: the parser then expects the byte at `offset`, an opcode. */
  private resume(cp: RdbCheckpoint): void {
    if (cp.format !== 1) throw new RangeError(`an RDB checkpoint of layout ${String(cp.format)} cannot be resumed (this verifier writes layout 1)`);
    if (cp.requireChecksum !== this.requireChecksum)
      throw new RangeError(`the checkpoint was taken with requireChecksum ${cp.requireChecksum}; resume it with the same policy`);
    if (!/^[0-9a-f]{16}$/.test(cp.crc)) throw new RangeError(`the checkpoint's crc must be 16 hex digits, got ${JSON.stringify(cp.crc)}`);
    this.total = cp.offset;
    // The keys before the checkpoint are not in this run's digests: duplicates are looked for among the keys from here.
    this.keysCheckedFrom = cp.offset;
    this.crc = Crc64.resume(BigInt(`0x${cp.crc}`));
    this.version = cp.version;
    this.valkey = cp.valkey;
    this.keys = cp.keys;
    // The keys before the checkpoint, by database (a checkpoint from before they were counted: none for this run).
    this.keysByDb = cp.keysByDb === undefined ? undefined : new Map(Object.entries(cp.keysByDb).map(([db, n]) => [Number(db), n]));
    this.dbStartKeys = cp.keys;
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
    Object.assign(this.ignorableKeyMeta, cp.ignorableKeyMeta);
    for (const name of cp.moduleAux ?? []) fileStructure.noteOnce(this.moduleAux, name); // not push(...): too many arguments
    for (const db of cp.databases) fileStructure.noteOnce(this.databases, db);
    this.db = cp.db ?? cp.databases.at(-1) ?? 0; // where it paused (a file may select one again); an older one's: the last listed
    for (const [name, n] of Object.entries(cp.byType)) {
      const slot = TYPE_NAMES.indexOf(name as (typeof TYPE_NAMES)[number]);
      if (slot < 0) throw new RangeError(`the checkpoint counts keys of an unknown type ${JSON.stringify(name)}`);
      this.typeCounts[slot] = n;
      this.typeOrder.push(slot);
    }
    this.rdbTypesSeen = cp.rdbTypes && Uint8Array.from({ length: 256 }, (_, t) => (cp.rdbTypes!.includes(t) ? 1 : 0)); // none kept: none reported
    Object.assign(this.auxFields, cp.auxFields);
    this.functionLibraries = cp.functionLibraries;
    fileStructure.resumeLibraries(this, cp.functionLibraryNames);
    for (const job of cp.slotImports ?? []) this.slotImports.push({ ...job, ranges: job.ranges.map(([a, b]) => [a, b] as const) });
    this.slotImportJobs = cp.slotImportJobs ?? this.slotImports.length;
    for (const [id, fields] of cp.hashTemplates ?? []) this.templates.define(id, fields);
    this.templateHashes = cp.templateHashes ?? 0;
    this.warnings.push(...cp.warnings.map((w) => ({ ...w })));
    this.warningCount = cp.warningCount;
    Object.assign(this.warningKinds, cp.warningKinds);
    this.sampledCollections = cp.sampledCollections;
    this.minDupDetection = cp.minDetectionProbability;
    this.phase = P_OPCODE;
    this.what = W_OPCODE;
  }

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
          const at = base + this.mark;
          if (this.stopAt < 0 || at === this.stopAt) {
            this.pausedAt = at;
            break;
          }
          if (at > this.stopAt) {
            // Passed without a boundary there: the parse goes on, and the caller learns it (stopMissed).
            this.stopMissed = true;
            this.stopAt = -1;
            this.pauseWanted = false;
          }
        }
        this.step();
      }
    } catch (e) {
      if (e !== UNDERFLOW) throw e;
      this.pos = this.mark;
    }
    if (this.phase !== P_DONE && !this.externalChecksum && !this.noCrc) this.crc.update(buf, this.crcFrom, this.mark);
  }

  /** Parses from the current phase until the next commit point at least. */
  private step(): void {
    switch (this.phase) {
      case P_OPCODE:
        opcode(this);
        return;
      case P_VALUE:
        if (this.nameOpen) {
          // The name streamed past its chunk: its body is complete now (or its LZF bytes collected).
          this.what = W_KEY_NAME;
          if (!keyNameDigest(this)) return;
          this.nameOpen = false;
          this.mark = this.pos;
        }
        this.what = W_KEY_VALUE;
        if (this.value()) finishKey(this);
        return;
      case P_HEADER:
        header(this);
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
        this.auxFields[this.auxKey] = reportedAux(text);
        // When the file was written (seconds): keys whose expiry had passed by then are counted apart.
        if (this.auxKey === 'ctime') this.fileTimeMs = fileStructure.fileTimeOf(text, this.fileTimeMs);
        this.commit(P_OPCODE);
        return;
      }
      case P_MODULE_AUX:
        this.what = W_MODULE_AUX;
        if (moduleBody(this)) this.commit(P_OPCODE);
        return;
      case P_KEY_META:
        this.what = W_KEY_META;
        if (keyMetaClasses(this)) this.commit(P_OPCODE);
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
        this.templates.addName(this.templateId, Buffer.from(field));
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
        fileStructure.functionLibraryEnd(this);
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

  // ---- values ---------------------------------------------------------------------

  /**
   * Parses the current key's value as far as the buffer allows. Returns true
   * when it is complete, false when a string body continues in the next chunks
   * (then it is called again, at the same `sub` position, once the body is done).
   * The reader comes from the magic's dispatch table (format/parse-values.ts),
   * looked up once per call. A trusted read takes the value's bounds only (every
   * string skipped by its length, scores and expiries by theirs; the same `sub`
   * positions and commits) for the types its table lists, and reads the others
   * (module values, Redis 8.6's streams, templates, arrays: rare) in full.
   */
  private value(): boolean {
    const type = this.type;
    if (this.trusted) {
      const read = (this.valkey ? VALKEY_TRUSTED : REDIS_TRUSTED)[type];
      if (read !== undefined) return passedOver(this, type) || read(this, type);
    }
    const read = (this.valkey ? VALKEY_VALUES : REDIS_VALUES)[type];
    if (read === undefined) return fail(`unknown value type or opcode ${type} (0x${type.toString(16)})`);
    return read(this, type);
  }
}
