/**
 * Reads the keys of an RDB file as it streams by, each as a DUMP payload that
 * `RESTORE` takes: key-level recovery straight from a recovery point.
 *
 * The verifier's parser does the reading (so a file it refuses yields no key
 * past its first bad byte) and tells a {@link RdbKeySink} where each key's
 * bytes lie; this module keeps only the bytes of the key still open (the
 * chunk in hand, plus, for a key that spans chunks, copies of its earlier
 * parts), so memory is a chunk plus the largest key, bounded by
 * `maxKeyBytes`. A payload is the value's bytes exactly as stored, so every
 * encoding the file holds reaches the target unchanged.
 *
 * Only whole-file problems the parser sees at a byte are found as the keys
 * stream by; a flipped byte inside a plain string is caught by the file's
 * CRC-64 at its end (callers that must not write such a key verify the file
 * first).
 */
import { Crc64 } from './codecs/crc64.js';
import { decodeRdbString, moduleTypeNameOf } from './format/encoded-string.js';
import { DUMP_FOOTER_BYTES, sealDumpPayload } from './format/dump-payload.js';
import { RdbParser, type RdbKeySink } from './format/parser.js';
import type { KeyDigestSpill } from './format/key-digests.js';
import { NO_EXPIRY } from './format/key-sink.js';
import type { SegmentContext } from './format/split.js';
import type { RdbCheckpoint, RdbReport } from './report.js';
import { DEFAULT_MAX_KEY_BYTES } from './max-key-bytes.js';

export { type KeyPlacement, type RdbKey, type KeyPlaces, KeyInPlace, releasePayload } from './key-in-place.js';
import { footer, KeyInParts, KeyInPlace, type KeyPlacement, type KeyPlaces, type RdbKey } from './key-in-place.js';

export interface RdbKeyReaderOptions {
  /** A key (name and value) larger than this in the file is refused, not buffered. @default {@link DEFAULT_MAX_KEY_BYTES} */
  readonly maxKeyBytes?: number;
  /**
   * RDB version written in the payloads. @default the file's own version
   * (the target must read it: check with `rdbRefusal` first).
   */
  readonly payloadVersion?: number;
  /**
   * Seal each payload with its footer (RDB version and CRC-64: what RESTORE
   * checks). A reader whose payloads never reach a server (convert-rdb reads
   * object bytes and values) skips the checksum: the footer's CRC-64 is zeros
   * (its RDB version is written: a type's meaning depends on it). A
   * function says it per value type (migrate re-encodes the types the
   * target cannot read from their payloads: only the others go to a server
   * as they are). @default true
   */
  readonly sealPayloads?: boolean | ((type: number) => boolean);
  /**
   * Continue where a verifier paused (its checkpoint): push the file's bytes
   * from `resumeFrom.offset` on; the keys' offsets stay the file's, and the
   * file's version is the checkpoint's (the header is not read again). What
   * a DR copy's key index is built with across the verifier's invocations.
   */
  readonly resumeFrom?: RdbCheckpoint;
  /**
   * Read a segment of the file from the top-level boundary `from` on, the
   * head's context given (domain/rdb/format/split.ts: the second thread of a
   * split verification): push the bytes from `from` on. Keys before the
   * segment's first SELECTDB carry the database SEGMENT_DB (parse-constants.ts),
   * which the caller relabels with the database at `from`. Its report judges
   * only the segment (no CRC-64 of the bytes before it).
   */
  readonly segment?: { readonly from: number; readonly context: SegmentContext };
  /**
   * Which keys to build payloads for (the others cost only their parsing);
   * `bytes` is the key's size in the file (type, name and value), `at` where
   * its value lies (what an index of the file keeps). @default all
   */
  readonly want?: (db: number, name: Buffer, bytes: number, at: KeyPlacement) => boolean;
  /**
   * Asked of a key still open at the end of a push, once its name is in:
   * false drops its value's bytes as they stream by (a big key another
   * database holds, or one `--match` leaves out, is never held whole). The
   * key is then unwanted whatever `want` answers at its end (`want` is still
   * asked, so a caller can count it). `type` is the byte before the name (the
   * value type, or Redis 8.6's key metadata opcode). @default every key's bytes are kept until `want` decides
   */
  readonly wantName?: (db: number, name: Buffer, type: number) => boolean;
  /** As the verifier's {@link RdbVerifierOptions.requireChecksum}. */
  readonly requireChecksum?: boolean;
  /**
   * The caller never writes into a chunk it pushed (each read is a fresh
   * buffer): a key's earlier chunks are kept by reference, not copied, so a
   * big key is not held twice (and no copies are left for the GC). @default false
   */
  readonly keepChunks?: boolean;
  /**
   * The bytes are ones a verification of the whole file already passed (a
   * second read whose blocks match the first's CRCs): the duplicate-member
   * check of a big collection runs on a sample (tables of 1.5 MiB) instead of
   * exactly (24 MiB, held until {@link RdbKeyReader.end}). @default false
   */
  readonly reread?: boolean;
  /** With `keepChunks`, a value of this many bytes or more gets its payload in parts ({@link RdbKey.payloadParts}). @default 1 MiB */
  readonly partsFromBytes?: number;
  /**
   * The bytes are ones an earlier read of this file judged valid, proven the
   * same block by block (rdb/block-digests.ts checks each block before it is
   * pushed): the parser reads only the keys' bounds (no CRC-64, no blob,
   * LZF or duplicate checks: the earlier read did them), and takes the empty
   * keys that read found ({@link RdbKeyReader.emptyKeyOffsets}). Never for
   * bytes not so proven. @default undefined (a full verification)
   */
  readonly verifiedBefore?: { readonly emptyKeys: ReadonlySet<number> };
  /**
   * A file this process wrote, read back (convert-rdb's output): true for the key of `ordinal` (0 for the file's first
   * key, in file order) and value `type` whose value the caller proves, by a digest of this read, to be one a full
   * verification passed (a key copied as it was, held against the input by its bytes; or a plain form whose elements the
   * caller walks in full and holds, in order, against a verified value's). Those values are read by their bounds alone;
   * every other value gets every check of a full read, and so do the file's framing and CRC-64. No duplicate-key check:
   * the caller proves every name equal, in order, to those of a checked file. Instead of true, the value's byte length as
   * this process wrote it (its digest holding those bytes): a value that lies whole in a chunk is then passed over by it,
   * not walked (a length that is not the value's misreads the next key). Never for bytes not so proven. @default
   * undefined (every value checked)
   */
  readonly valueCheckedBefore?: (ordinal: number, type: number) => boolean | number;
  /**
   * The file's CRC-64 is computed by the caller (who checksums every byte
   * anyway, as the first read's block CRCs do): it gives the CRC-64 of the
   * bytes before the trailer ({@link RdbKeyReader.checksumEnd}) to
   * {@link RdbKeyReader.settleChecksum} before {@link RdbKeyReader.end}, or
   * the file fails. @default false
   */
  readonly externalChecksum?: boolean;
  /**
   * Each key is handed to `visit` where it lies, as the parser finds it
   * (during {@link RdbKeyReader.push}, which then returns no keys): no
   * RdbKey, name or payload is built for it. For a caller that is done with
   * a key before the call returns (convert-rdb writes and digests it): the
   * views are valid only during the call. `want` is not asked.
   */
  readonly visit?: (k: KeyInPlace) => void;
  /**
   * With `visit`: true for the key of `ordinal` (0 for the first key visited) and value `type` whose value the caller
   * takes in parts ({@link KeyInPlace.parts}) when it spans chunks and is `partsFromBytes` or more: the bytes the
   * reader kept, not gathered into a copy of their own (a big value is then held once, not twice).
   */
  readonly valueParts?: (ordinal: number, type: number) => boolean;
  /**
   * The caller's walk of each listpack of a value it re-encodes, in place of the parser's validation walk (the parser's
   * sink's {@link RdbKeySink.listpack}: convert-rdb's input, write/transcode.ts `WalkedListpacks`). @default none
   */
  readonly listpack?: RdbKeySink['listpack'];
  /** Each key handed over as the parser finds it ({@link KeyPlaces}; {@link RdbKeyReader.push} then returns none), `want` and `visit` not asked. */
  readonly place?: KeyPlaces['place'];
  /** As the verifier's {@link RdbVerifierOptions.keyDigestSpill}: where the duplicate-key check spills (not used by a `verifiedBefore` read, which runs no check). */
  readonly keyDigestSpill?: () => KeyDigestSpill;
  /**
   * The parser to read through, built by the caller around the reader (its
   * sink): a verification's own parser, with exactly the options it has
   * without the reader (a DR copy's key index is taken from the verifier's
   * one parse: {@link RdbKeyReader.verifying}). The reader's own parser
   * options (`requireChecksum`, `resumeFrom`'s policy, `verifiedBefore` …) are
   * then not used; `resumeFrom` and `segment` still say where the bytes
   * pushed start, and the parser built must start there too. @default a parser of the options above
   */
  readonly parser?: (sink: RdbKeySink) => RdbParser;
}

/** Empty keys whose offsets a reader keeps (Redis writes none; a file with more is read in full the second time). */
export const EMPTY_KEYS_KEPT = 1 << 16;

const EMPTY = new Uint8Array(0);

/** Members held exactly by the duplicate check of a reread (see {@link RdbKeyReaderOptions.reread}). */
const REREAD_DUP_EXACT_MEMBERS = 1 << 16;

/** Retained parts smaller than this are merged (a key over many small chunks is a few parts). */
const SMALL_PART_BYTES = 64 * 1024;

/**
 * The bytes of a plain stored string's length prefix, from its first byte
 * (RDB's 6-, 14-, 32- or 64-bit length: 1, 2, 5 or 9), or 0 for an
 * integer or LZF encoding (0b11……: decoded by decodeRdbString).
 */
export function storedNamePrefix(first: number): number {
  return first >> 6 === 0 ? 1 : first >> 6 === 1 ? 2 : first === 0x80 ? 5 : first === 0x81 ? 9 : 0;
}

/** The RDB version and magic of a file's first 9 bytes (`REDIS0012`, `VALKEY080`); version 0 when not arrived (undefined) or not a number. */
export function rdbHeaderVersion(header: Uint8Array | undefined): { version: number; valkey: boolean } {
  if (!header) return { version: 0, valkey: false };
  const text = Buffer.from(header).toString('latin1');
  const valkey = text.startsWith('VALKEY');
  const version = Number(valkey ? text.slice(6) : text.slice(5));
  return { version: Number.isInteger(version) ? version : 0, valkey };
}

/** Copies `src[from, to)` into `into` at `at`; a few bytes (a key name) in a loop, cheaper than the view `set` needs. */
export function copyBytes(src: Uint8Array, from: number, to: number, into: Uint8Array, at: number): void {
  if (to - from > 32) into.set(src.subarray(from, to), at);
  else for (let i = from; i < to; i++) into[at++] = src[i]!;
}

/**
 * Streams an RDB file's keys: push chunks in file order, each push returns
 * the keys that ended in it; `end()` returns the verifier's report (and with
 * it any problem, at the byte it was found).
 */
export class RdbKeyReader implements RdbKeySink {
  /** Dropped at {@link end} (its duplicate check alone holds up to 24 MiB after a big collection). */
  private parser: RdbParser | undefined;
  private report: RdbReport | undefined;
  private readonly maxKeyBytes: number;
  private readonly keepChunks: boolean;
  private readonly partsFromBytes: number;
  private readonly want: RdbKeyReaderOptions['want'];
  private readonly wantName: RdbKeyReaderOptions['wantName'];
  /** The file offset of the open key `wantName` was asked about, and of the one it declined (-1: none). */
  private askedAt = -1;
  private declinedAt = -1;
  private payloadVersion: number;
  /** Per value type, whether its payloads are sealed (see {@link RdbKeyReaderOptions.sealPayloads}). */
  private readonly seals = new Uint8Array(256);
  private readonly visit: RdbKeyReaderOptions['visit'];
  private readonly valueParts: RdbKeyReaderOptions['valueParts'];
  private visited = 0;
  /** @internal The parser's {@link RdbKeySink.listpack}. */
  readonly listpack: RdbKeySink['listpack'];
  private readonly place: RdbKeyReaderOptions['place'];
  private readonly inPlace = new KeyInPlace();
  private viewFrom = 0; // where the name nameView returned lies in it
  private viewTo = 0;
  /**
   * Retained bytes of earlier chunks, as copies of their parts in file order:
   * file bytes [retainedAt, retainedAt + retainedLength), ending where the
   * current chunk starts. Parts, not one growing buffer: a big key costs its
   * own bytes, not the doubling's up to 2× plus the copy while it grows.
   */
  private retained: Uint8Array[] = [];
  private retainedAt = 0;
  /** Resumed from a checkpoint: the file's version and magic, as the checkpoint says (its header is not read again). */
  private resumed: { version: number; valkey: boolean } | undefined;
  private retainedLength = 0;
  private chunk: Uint8Array = EMPTY;
  private chunkAt = 0;
  private total = 0;
  private readonly header = new Uint8Array(9);
  private out: RdbKey[] = [];
  private failure: { offset: number; message: string } | undefined;
  private readonly emptyAt: number[] = [];
  private emptyOverflow = false;
  /** Keys the file holds that `want` declined. */
  unwanted = 0;
  /**
   * Its function libraries, each as a `FUNCTION RESTORE` payload (FUNCTION2
   * opcode and code string, RDB version, CRC-64: what `FUNCTION DUMP`
   * writes for one library). Libraries come before the keys in a file.
   */
  readonly functions: Buffer[] = [];

  constructor(options: RdbKeyReaderOptions = {}) {
    this.maxKeyBytes = options.maxKeyBytes ?? DEFAULT_MAX_KEY_BYTES;
    this.keepChunks = options.keepChunks ?? false;
    this.partsFromBytes = options.partsFromBytes ?? 1024 * 1024;
    this.want = options.want;
    this.wantName = options.wantName;
    this.payloadVersion = options.payloadVersion ?? 0;
    const seal = options.sealPayloads ?? true;
    for (let type = 0; type < 256; type++) this.seals[type] = (typeof seal === 'function' ? seal(type) : seal) ? 1 : 0;
    this.visit = options.visit;
    this.valueParts = options.valueParts;
    this.listpack = options.listpack;
    this.place = options.place;
    // The parser's own bound on blobs it materializes stays the verifier's default.
    const resumeFrom = options.resumeFrom;
    if (resumeFrom) {
      this.resumed = { version: resumeFrom.version, valkey: resumeFrom.valkey };
      this.total = resumeFrom.offset;
      this.retainedAt = resumeFrom.offset;
      this.payloadVersion ||= resumeFrom.version;
    }
    const segment = options.segment;
    if (segment) {
      this.resumed = { version: segment.context.version, valkey: segment.context.valkey };
      this.total = segment.from;
      this.retainedAt = segment.from;
      this.payloadVersion ||= segment.context.version;
    }
    if (options.parser) {
      this.parser = options.parser(this);
      return;
    }
    this.parser = new RdbParser(
      512 * 1024 * 1024,
      resumeFrom?.requireChecksum ?? options.requireChecksum ?? false,
      resumeFrom,
      this,
      undefined,
      options.externalChecksum ?? false,
      options.reread ? REREAD_DUP_EXACT_MEMBERS : undefined,
      options.verifiedBefore ?? (options.valueCheckedBefore ? { valueCheckedBefore: options.valueCheckedBefore } : undefined),
      options.keyDigestSpill,
    );
    if (segment) this.parser.startSegment(segment.from, segment.context);
  }

  /**
   * The type byte offsets of the keys whose value holds no element (skipped
   * on load), for a later read of the same bytes
   * ({@link RdbKeyReaderOptions.verifiedBefore}); undefined when there were
   * more than {@link EMPTY_KEYS_KEPT}.
   */
  get emptyKeyOffsets(): ReadonlySet<number> | undefined {
    return this.emptyOverflow ? undefined : new Set(this.emptyAt);
  }

  /** @internal The parser's {@link RdbKeySink} callback. */
  emptyKey(start: number): void {
    if (this.emptyAt.length < EMPTY_KEYS_KEPT) this.emptyAt.push(start);
    else this.emptyOverflow = true;
  }

  /**
   * The parser the bytes go through (the verification itself, with
   * {@link RdbKeyReaderOptions.parser}): its state, pause and checkpoint are
   * the reader's. Bytes still go in through {@link push}, which tells the
   * keys where they lie. Undefined after {@link end}.
   */
  get verifying(): RdbParser | undefined {
    return this.parser;
  }

  /**
   * After the parser paused at a boundary it was asked to stop at
   * (RdbParser.stopAtBoundary: the split verification's start of the second
   * thread, its part not taken): the parse goes on from there, and the
   * caller pushes the file's bytes from that boundary on again. No key is
   * open at a boundary: nothing retained is needed.
   */
  continueFromPause(): void {
    const parser = this.parser;
    if (!parser) throw new RangeError('the reader has ended');
    const at = parser.pausedAt;
    parser.continueFromPause();
    this.total = at;
    this.release();
    this.retainedAt = at;
    this.askedAt = -1;
    this.declinedAt = -1;
  }

  /** With `externalChecksum`: how far from the file's start the CRC-64 trailer covers (exact once the trailer was read). */
  checksumEnd(): number {
    return this.parser?.checksumEnd() ?? 0;
  }

  /** With `externalChecksum`: the trailer was read and waits for {@link settleChecksum}. */
  get checksumPending(): boolean {
    return this.parser?.checksumPending() ?? false;
  }

  /** With `externalChecksum`: `crc` is the CRC-64 of the file's bytes [0, {@link checksumEnd}); judged against the trailer. */
  settleChecksum(crc: bigint): void {
    this.parser?.settleChecksum(crc);
  }

  /** The file's RDB version and magic, once its header has arrived (version 0 before). */
  get fileVersion(): { version: number; valkey: boolean } {
    return this.resumed ?? rdbHeaderVersion(this.total < 9 ? undefined : this.header);
  }

  /** Redis 8.10's hash templates the file defined so far (opcode 242): a template hash (types 30, 32) takes its field names from them. */
  get templates(): RdbParser['templates'] | undefined {
    return this.parser?.templates;
  }

  /** The file's AUX fields read so far (all of them once the first key is in: servers write them first). */
  get auxFields(): Readonly<Record<string, string>> {
    return this.parser?.auxFields ?? this.report?.auxFields ?? {};
  }

  /** The first problem: the parser's, or a key over the limit. */
  get error(): { offset: number; message: string } | undefined {
    return this.failure;
  }

  /** Feeds the next bytes; returns the keys that ended in them. Never throws. */
  push(input: Uint8Array): RdbKey[] {
    const parser = this.parser;
    if (this.failure || input.length === 0 || !parser) return [];
    const chunk = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (this.total < 9) this.header.set(chunk.subarray(0, 9 - this.total), this.total);
    this.chunk = chunk;
    this.chunkAt = this.total;
    this.total += chunk.length;
    this.out = [];
    if (this.payloadVersion === 0 && this.total >= 9) this.payloadVersion = this.fileVersion.version;
    parser.push(chunk);
    const out = this.out;
    this.out = [];
    if (!this.failure && parser.state() === 'failed') {
      const report = parser.end();
      if (report.error) this.failure = { ...report.error };
    }
    this.retain(parser);
    this.chunk = EMPTY;
    return this.failure ? out.filter((k) => k.end <= this.failure!.offset) : out;
  }

  /** Declares the end of input: the verifier's report, with a key over the limit as its error. */
  end(): RdbReport {
    this.report ??= this.parser!.end();
    const report = this.report;
    this.parser = undefined;
    this.release();
    if (this.failure && (!report.error || report.error.offset > this.failure.offset)) return { ...report, ok: false, error: { ...this.failure } };
    return report;
  }

  /** @internal The parser's {@link RdbKeySink} callback. */
  key(db: number, type: number, start: number, nameEnd: number, end: number, expireAtMs: number): void {
    if (this.failure) return;
    if (end - start > this.maxKeyBytes) {
      this.failure = { offset: start, message: this.tooLarge(start, end - start) };
      return;
    }
    if (this.place !== undefined) {
      this.place(db, type, this.nameView(start + 1, nameEnd), this.viewFrom, this.viewTo, nameEnd, end, expireAtMs === NO_EXPIRY ? Number.NaN : expireAtMs);
      return;
    }
    if (this.visit !== undefined) {
      this.inPlace.expireAtExact = this.exactExpiry(expireAtMs);
      this.visitKey(this.visit, db, type, start, nameEnd, end, expireAtMs === NO_EXPIRY ? null : expireAtMs);
      return;
    }
    const name = this.name(start + 1, nameEnd);
    const expireAt = expireAtMs === NO_EXPIRY ? null : expireAtMs;
    // The parser's listpack member check of this value (a member twice: warned, loaded as it is, but no plain form of it is).
    const memberTwice = (type === 16 || type === 17 || type === 20) && this.parser?.lpMembers.duplicate === true;
    const wanted = this.want ? this.want(db, name, end - start, { type, valueAt: nameEnd, valueEnd: end, expireAtMs: expireAt, memberTwice }) : true;
    if (!wanted || start === this.declinedAt) {
      this.unwanted++;
      return;
    }
    const payloadBytes = 1 + (end - nameEnd) + DUMP_FOOTER_BYTES;
    let key: { -readonly [K in keyof RdbKey]: RdbKey[K] };
    if (this.keepChunks && end - nameEnd >= this.partsFromBytes) {
      key = new KeyInParts(db, name, type, expireAt, payloadBytes, start, end, this.payloadParts(type, nameEnd, end), this.exactExpiry(expireAtMs));
    } else {
      const payload = Buffer.allocUnsafe(payloadBytes);
      payload[0] = type;
      this.gather(nameEnd, end, payload, 1);
      footer(payload, this.payloadVersion, this.seals[type] === 1);
      // One literal, not a spread of a common part: this runs once per key (a second object per key was garbage).
      key = { db, name, type, expireAtMs: expireAt, expireAtExact: this.exactExpiry(expireAtMs), payloadBytes, offset: start, end, payload };
    }
    if (type === 6 || type === 7) {
      // The module id: the first bytes after the type byte (gathered, so parts are not joined).
      const head = new Uint8Array(1 + Math.min(9, end - nameEnd));
      head[0] = type;
      key.module = moduleTypeNameOf(this.gather(nameEnd, nameEnd + head.length - 1, head, 1));
    }
    this.out.push(key);
  }

  /** The exact expiry of the key being read, where its double is rounded (past ±2^53 ms); else undefined. */
  private exactExpiry(expireAtMs: number): bigint | undefined {
    return expireAtMs !== NO_EXPIRY && !Number.isSafeInteger(expireAtMs) ? this.parser?.pendingExpireExact : undefined;
  }

  /**
   * Hands a key to `visit` where it lies: its name and value as views of the
   * chunk when they are in it (nearly every key: no copy, no object), else
   * gathered (a key that spans chunks) or decoded (an integer or LZF name).
   */
  private visitKey(visit: (k: KeyInPlace) => void, db: number, type: number, start: number, nameEnd: number, end: number, expireAt: number | null): void {
    const k = this.inPlace;
    const chunk = this.chunk;
    const at = this.chunkAt;
    const name = this.nameView(start + 1, nameEnd);
    // A name decoded or gathered across a seam is a Buffer; handed on as a plain Uint8Array, the class of the chunk's
    // views (a local file's chunks), so that the code reading names meets one class: a Buffer met first at a seam
    // threw away the writer's and the digest's optimized code once per conversion (bench/README.md, convert-rdb, 04:30).
    k.nameBytes = name === chunk || name.constructor === Uint8Array ? name : new Uint8Array(name.buffer, name.byteOffset, name.length);
    k.nameFrom = this.viewFrom;
    k.nameTo = this.viewTo;
    k.storedName = name === chunk ? undefined : this.storedName(start + 1, nameEnd);
    if (nameEnd >= at) {
      k.bytes = chunk;
      k.bytesAt = at;
      k.from = nameEnd - at;
      k.to = end - at;
    } else {
      const inParts = end - nameEnd >= this.partsFromBytes && this.valueParts?.(this.visited, type) === true;
      if (inParts) k.parts = this.partsOf(nameEnd, end);
      k.bytes = inParts ? EMPTY : this.gather(nameEnd, end, new Uint8Array(end - nameEnd), 0);
      // The key ends in this chunk: nothing before it is read again, so its kept parts go now (collectable while it is
      // handled; handed on in parts, they are the caller's, which may let them go as it goes).
      this.release();
      this.retainedAt = at;
      k.bytesAt = nameEnd;
      k.from = 0;
      k.to = inParts ? 0 : end - nameEnd;
    }
    k.parser = this.parser;
    k.db = db;
    k.type = type;
    k.expireAtMs = expireAt;
    k.offset = start;
    k.end = end;
    k.version = this.payloadVersion;
    k.seal = this.seals[type] === 1;
    this.visited++;
    visit(k);
    k.parts = undefined;
    k.bytes = EMPTY;
    k.nameBytes = EMPTY;
    k.storedName = undefined;
  }

  /** The name at file bytes [from, to) as stored when that is LZF or an integer (its first byte 0b11……), else undefined (a plain name gathered across a seam). */
  private storedName(from: number, to: number): Uint8Array | undefined {
    const stored = from >= this.chunkAt ? this.chunk.subarray(from - this.chunkAt, to - this.chunkAt) : this.gather(from, to, new Uint8Array(to - from), 0);
    return stored[0]! >> 6 === 3 ? stored : undefined;
  }

  /** The name at file bytes [from, to) as Redis compares it, at [viewFrom, viewTo) of the bytes returned: a view of the chunk when plain there, else decoded or gathered. */
  private nameView(from: number, to: number): Uint8Array {
    const chunk = this.chunk;
    const at = this.chunkAt;
    const prefix = from >= at ? storedNamePrefix(chunk[from - at]!) : 0;
    if (prefix > 0 && from + prefix <= to) {
      this.viewFrom = from + prefix - at;
      this.viewTo = to - at;
      return chunk;
    }
    const name = this.name(from, to);
    this.viewFrom = 0;
    this.viewTo = name.length;
    return name;
  }

  /**
   * A DUMP payload as parts: its type byte, views of file bytes [from, to)
   * in the kept chunks (no copy), and its footer (RDB version, CRC-64 of it all).
   */
  private payloadParts(type: number, from: number, to: number): Buffer[] {
    const parts: Buffer[] = [Buffer.from([type])];
    const crc = new Crc64().update(parts[0]!, 0, 1);
    for (const b of this.partsOf(from, to, true)) {
      const part = Buffer.from(b.buffer, b.byteOffset, b.length);
      crc.update(part, 0, part.length);
      parts.push(part);
    }
    const footer = Buffer.allocUnsafe(DUMP_FOOTER_BYTES);
    footer[0] = this.payloadVersion & 0xff;
    footer[1] = (this.payloadVersion >> 8) & 0xff;
    crc.update(footer, 0, 2).writeLittleEndian(footer, 2);
    parts.push(footer);
    return parts;
  }

  /**
   * File bytes [from, to) as views of the retained parts and the chunk, in order: no copy but of the chunk's part when
   * the caller reuses its chunks and the parts must outlive the push (`inPush`: they are used during it only).
   */
  private partsOf(from: number, to: number, inPush = false): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let partAt = this.retainedAt;
    for (const part of this.retained) {
      const lo = Math.max(from, partAt);
      const hi = Math.min(to, partAt + part.length);
      if (hi > lo) parts.push(part.subarray(lo - partAt, hi - partAt));
      partAt += part.length;
    }
    const lo = Math.max(from, this.chunkAt) - this.chunkAt;
    if (to - this.chunkAt > lo) parts.push((inPush || this.keepChunks ? this.chunk.subarray : this.chunk.slice).call(this.chunk, lo, to - this.chunkAt));
    return parts;
  }

  /**
   * The key name stored at file bytes [from, to), in a buffer of its own. A
   * plain string (length prefix, then the bytes: nearly every name) is copied
   * once, straight from the file bytes; an integer-encoded or LZF one is
   * decoded by {@link decodeRdbString}.
   */
  private name(from: number, to: number): Buffer {
    const prefix = storedNamePrefix(this.byteAt(from));
    if (prefix === 0 || from + prefix > to) return decodeRdbString(this.gather(from, to, new Uint8Array(to - from), 0));
    return this.gather(from + prefix, to, Buffer.allocUnsafe(to - from - prefix), 0) as Buffer;
  }

  /** The file byte at `pos` (retained or in the current chunk). */
  private byteAt(pos: number): number {
    if (pos >= this.chunkAt) return this.chunk[pos - this.chunkAt]!;
    let at = this.retainedAt;
    for (const part of this.retained) {
      if (pos < at + part.length) return part[pos - at]!;
      at += part.length;
    }
    throw new Error(`key byte at ${pos} was not retained`);
  }

  /** @internal The parser's {@link RdbKeySink} callback. */
  functionLibrary(start: number, end: number): void {
    if (this.failure) return;
    if (end - start > this.maxKeyBytes) {
      this.failure = { offset: start, message: this.tooLarge(start, end - start) };
      return;
    }
    const payload = Buffer.allocUnsafe(end - start + DUMP_FOOTER_BYTES);
    this.gather(start, end, payload, 0);
    this.functions.push(Buffer.from(sealDumpPayload(payload, this.payloadVersion)));
  }

  private tooLarge(start: number, bytes: number): string {
    return `the key at byte ${start} takes ${bytes > this.maxKeyBytes ? bytes : `more than ${this.maxKeyBytes}`} bytes in the file, more than the limit of ${this.maxKeyBytes} bytes per key (512 MiB by default, Redis's proto-max-bulk-len: RESTORE could not take it either)`;
  }

  private release(): void {
    this.retained = [];
    this.retainedLength = 0;
  }

  /** Copies file bytes [from, to) (retained or in the current chunk) into `into` at `at`. */
  private gather(from: number, to: number, into: Uint8Array, at: number): Uint8Array {
    let pos = from;
    if (pos < this.retainedAt + this.retainedLength) {
      if (pos < this.retainedAt) throw new Error(`key bytes at ${pos} were not retained`);
      let partAt = this.retainedAt;
      for (const part of this.retained) {
        const partEnd = partAt + part.length;
        if (pos < partEnd && pos < to) {
          const take = Math.min(to, partEnd) - pos;
          copyBytes(part, pos - partAt, pos - partAt + take, into, at);
          at += take;
          pos += take;
        }
        partAt = partEnd;
      }
    }
    if (pos < to) {
      if (pos < this.chunkAt) throw new Error(`key bytes at ${pos} were not retained`);
      copyBytes(this.chunk, pos - this.chunkAt, to - this.chunkAt, into, at);
    }
    return into;
  }

  /**
   * Keeps the bytes from the open key's start (or the parser's uncommitted
   * tail) on, only up to its name's end when `wantName` declined it; drops the rest.
   */
  private retain(parser: RdbParser): void {
    if (this.failure || parser.state() === 'done') {
      this.release();
      return;
    }
    const from = parser.retainFrom();
    let keepTo = this.total;
    const open = this.wantName ? parser.openKey() : undefined;
    if (open && open.start === from && open.nameEnd <= this.total) {
      if (this.askedAt !== open.start) {
        this.askedAt = open.start;
        if (!this.wantName!(open.db, this.name(open.start + 1, open.nameEnd), this.byteAt(open.start))) this.declinedAt = open.start;
      }
      if (this.declinedAt === open.start) keepTo = open.nameEnd;
    }
    if (from >= this.chunkAt) {
      this.retained = [];
      this.retainedLength = 0;
      this.retainedAt = from;
    } else if (from > this.retainedAt) {
      // A key opened inside the retained bytes: drop the parts before it (and the head of the part it opens in).
      while (this.retained.length > 0 && this.retainedAt + this.retained[0]!.length <= from) {
        const dropped = this.retained.shift()!;
        this.retainedAt += dropped.length;
        this.retainedLength -= dropped.length;
      }
      if (from > this.retainedAt) {
        const drop = from - this.retainedAt;
        this.retained[0] = this.keepChunks ? this.retained[0]!.subarray(drop) : this.retained[0]!.slice(drop);
        this.retainedLength -= drop;
        this.retainedAt = from;
      }
    }
    const start = Math.max(from, this.chunkAt);
    const add = keepTo - start;
    if (add > 0 && this.total - from <= this.maxKeyBytes) {
      const part = this.chunk.subarray(start - this.chunkAt, keepTo - this.chunkAt);
      const last = this.retained[this.retained.length - 1];
      if (this.keepChunks && part.length >= SMALL_PART_BYTES) this.retained.push(part);
      else if (last !== undefined && last.length + part.length <= SMALL_PART_BYTES) {
        // Small chunks (a slow source, tests) merged, so a key over many of them is a few parts.
        const merged = new Uint8Array(last.length + part.length);
        merged.set(last);
        merged.set(part, last.length);
        this.retained[this.retained.length - 1] = merged;
      } else this.retained.push(part.slice());
      this.retainedLength += add;
    }
    // A declined key is not held: the file's own bound on it is checked at its end (key()).
    if (keepTo === this.total && this.total - from > this.maxKeyBytes) this.failure = { offset: from, message: this.tooLarge(from, this.total - from) };
  }
}
