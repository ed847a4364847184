/**
 * Verifying one RDB file as two segments read at once (the split
 * verification of adapters/host/rdb-split-worker.ts): one parser reads the
 * file from its start, another from a later offset X to its end, each
 * parsing and checksumming its own bytes; the first stops at X and takes the
 * second's findings in. Pure: the threads, the file and the messages are the
 * adapter's.
 *
 * Why the merged report is the one a single parser gives, field for field:
 * the parser's state at a top-level boundary (between two entries, no key,
 * collection or string open) is its counters and lists plus a small context
 * that decides how the next bytes are read: the header's version and magic,
 * the file's `ctime` (expiries are counted against it), the hash templates
 * defined so far, a pending expiry (EXPIRETIME read, its key not yet), and
 * the current database. Parsing is deterministic: two parsers that start at
 * the same boundary with the same context read the same entries, count the
 * same keys and warnings and fail at the same byte. So the merge is accepted
 * only when
 * - the first parser came to a top-level boundary at exactly X (it stopped
 *   there: {@link RdbParser.stopAtBoundary}); a guessed X inside an entry is
 *   passed, and the first parser simply reads on to the end on its own;
 * - its context there is the one the second parser assumed: the same
 *   version, magic and `ctime`, no expiry pending, no hash template defined
 *   (the second parser knows none); the database need not be known: the
 *   second parser files its keys before its first SELECTDB under
 *   {@link SEGMENT_DB}, and the merge files them under the first parser's
 *   database at X (the database is used for nothing else);
 * - the second parser read its segment to the end with no error at all
 *   (a failure, an unsupported format, a key whose template it does not
 *   know: the first parser reads the segment again and its verdict is the
 *   report's, with the same message and offset);
 * - the duplicate-key check can be the same: exact on both sides (spilling),
 *   or sampling on neither and the keys of both within one set's memory.
 * Then counters add up, lists append what the first parser did not have
 * yet (first-seen order, the same caps), the second parser's digest records
 * follow the first's in the order a single parser adds them (so the same
 * duplicate is found first), and the file's CRC-64 is the combination of
 * the two parts' CRCs (codecs/crc64-combine.ts): the trailer is judged by
 * {@link RdbParser.settleChecksum} exactly as a single parser judges it.
 * Anything else falls back to the first parser reading on alone: a split
 * can only save time, never change a verdict.
 */
import { Crc64 } from '../codecs/crc64.js';
import { crc64Combine } from '../codecs/crc64-combine.js';
import { type ChecksumStatus, type RdbWarningKind, type SlotImport, typesSeen, type WarningKinds } from '../report.js';
import type { KeyDigestSet, KeyDigestSpill } from './key-digests.js';
import { RdbParser, type RdbKeySink } from './parser.js';
import * as constants from './parse-constants.js';
import { fileDbKeys, noteOnce } from './parse-opcodes.js';
import type { RdbParserState } from './parse-state.js';
import { MAX_SLOT_IMPORTS_KEPT } from './slot-import.js';

const { MAX_WARNINGS, P_DONE, SEGMENT_DB } = constants;

/** What the second parser must know of the file's head to read a segment: see {@link RdbParser.startSegment}. */
export interface SegmentContext {
  readonly version: number;
  readonly valkey: boolean;
  readonly fileTimeMs: number;
}

/** A segment's findings, as the second parser hands them over (structured-clonable: posted between threads). */
export interface RdbSegment {
  /** The boundary it started at, and its context there. */
  readonly from: number;
  readonly context: SegmentContext;
  /** File offset after its last byte (the file's size). */
  readonly total: number;
  readonly keys: number;
  readonly expires: number;
  readonly expiredKeys: number;
  readonly expiryCounts: readonly number[];
  readonly expiryUnbased: number;
  readonly emptyKeys: number;
  /** `ctime` at the segment's end (an AUX field inside it may set it). */
  readonly fileTimeMs: number;
  readonly moduleTypes: Readonly<Record<string, number>>;
  readonly moduleAux: readonly string[];
  readonly ignorableKeyMeta: Readonly<Record<string, number>>;
  readonly databases: readonly number[];
  /** Keys per database ([db, keys]; {@link SEGMENT_DB} for those before its first SELECTDB); absent when not counted. */
  readonly keysByDb?: readonly (readonly [number, number])[];
  /** Type slots in the order the segment first saw them, and the keys per slot. */
  readonly typeOrder: readonly number[];
  readonly typeCounts: readonly number[];
  /** The RDB value type bytes of the segment's keys (ParseState.rdbTypesSeen). */
  readonly rdbTypes: readonly number[];
  readonly auxFields: Readonly<Record<string, string>>;
  readonly functionLibraries: number;
  readonly slotImports: readonly SlotImport[];
  readonly slotImportJobs: number;
  readonly templateHashes: number;
  readonly warnings: readonly { readonly offset: number; readonly message: string }[];
  readonly warningCount: number;
  readonly warningKinds: WarningKinds;
  readonly sampledCollections: number;
  readonly minDupDetection: number;
  readonly trailingBytes: number;
  readonly checksum: ChecksumStatus;
  /** The trailer read and its offset (a file with one, not all zeros), else null and -1. */
  readonly trailer: Uint8Array | null;
  readonly trailerAt: number;
  /** CRC-64 of [from, trailerAt), 16 hex digits. */
  readonly crc: string;
  /** Keys in the segment's digest set, whether it sampled, and whether it spilled. */
  readonly digestKeys: number;
  readonly digestsSampled: boolean;
  readonly digestsSpilled: boolean;
  /**
   * Set when the segment ended paused at a top-level boundary (`total`, told
   * to stop before a deadline) instead of at the file's end: what a
   * checkpoint there carries besides the counters (an expiry read whose key
   * is not yet, the hash templates the segment defined).
   */
  readonly paused?: {
    readonly pendingExpireMs?: number;
    readonly hashTemplates?: readonly (readonly [number, number])[];
    /** The database selected where it paused ({@link SEGMENT_DB}: none selected in the segment, the first parser's). */
    readonly db: number;
  };
}

/** The head's context a parser holds (read from a parser of the file's first bytes). */
export function segmentContext(p: RdbParserState): SegmentContext {
  return { version: p.version, valkey: p.valkey, fileTimeMs: p.fileTimeMs };
}

/**
 * The findings of a segment's parser that read to the file's end, or that
 * paused at a top-level boundary ({@link RdbParser.pause}: its end is then
 * that boundary, and merging it leaves the first parser paused there), or
 * why they cannot be used (then the first parser reads the segment itself).
 */
export function segmentOf(p: RdbParser, from: number, context: SegmentContext): RdbSegment | string {
  if (p.error) return `the segment from byte ${from} failed at byte ${p.error.offset}: ${p.error.message}`;
  const paused = p.state() === 'paused';
  if (!paused && p.phase !== P_DONE) return `the segment from byte ${from} ended before the file's end`;
  const digests = p.keyDigests;
  fileDbKeys(p);
  return {
    ...(p.keysByDb !== undefined ? { keysByDb: [...p.keysByDb] } : {}),
    ...(paused
      ? {
          paused: {
            db: p.db,
            ...(p.expirePending ? { pendingExpireMs: p.pendingExpireMs } : {}),
            ...(p.templates.size > 0 ? { hashTemplates: p.templates.entries() } : {}),
          },
        }
      : {}),
    from,
    context,
    total: paused ? p.pausedAt : p.total,
    keys: p.keys,
    expires: p.expires,
    expiredKeys: p.expiredKeys,
    expiryCounts: [...p.expiryCounts],
    expiryUnbased: p.expiryUnbased,
    emptyKeys: p.emptyKeys,
    fileTimeMs: p.fileTimeMs,
    moduleTypes: { ...p.moduleTypes },
    moduleAux: [...p.moduleAux],
    ignorableKeyMeta: { ...p.ignorableKeyMeta },
    databases: [...p.databases],
    typeOrder: [...p.typeOrder],
    typeCounts: [...p.typeCounts],
    rdbTypes: typesSeen(p.rdbTypesSeen) ?? [],
    auxFields: { ...p.auxFields },
    functionLibraries: p.functionLibraries,
    slotImports: p.slotImports.map((s) => ({ ...s, ranges: s.ranges.map(([a, b]) => [a, b] as const) })),
    slotImportJobs: p.slotImportJobs,
    templateHashes: p.templateHashes,
    warnings: p.warnings.map((w) => ({ ...w })),
    warningCount: p.warningCount,
    warningKinds: { ...p.warningKinds },
    sampledCollections: p.sampledCollections,
    minDupDetection: p.minDupDetection,
    trailingBytes: p.trailingBytes,
    checksum: p.checksum,
    trailer: p.pendingTrailer === null ? null : p.pendingTrailer.slice(),
    trailerAt: p.trailerAt,
    crc: p.crc.value.toString(16).padStart(16, '0'),
    digestKeys: digests?.size ?? 0,
    digestsSampled: digests !== undefined && digests.detectionProbability < 1,
    digestsSpilled: digests?.spilled ?? false,
  };
}

/**
 * Why the first parser, paused at the segment's start, cannot take the
 * segment in (see the module comment), or null when it can.
 */
export function mergeProblem(main: RdbParser, segment: RdbSegment): string | null {
  if (main.error) return 'the first part failed';
  if (main.state() !== 'paused' || main.pausedAt !== segment.from) return `the first part did not stop at byte ${segment.from}`;
  if (main.expirePending) return 'an expiry is pending at the boundary';
  if (main.templates.size > 0) return 'hash templates are defined before the boundary';
  // A library's name is held against every library before it (Redis refuses a file with one name twice): the segment's
  // parser knows none of the first part's, so the first part reads any library after the boundary itself. Redis writes
  // its libraries before the keys, where no split starts.
  if (segment.functionLibraries > 0) return 'function libraries after the boundary';
  const { version, valkey, fileTimeMs } = segment.context;
  if (main.version !== version || main.valkey !== valkey || main.fileTimeMs !== fileTimeMs) return 'the file head differs from the one the segment assumed';
  const digests = main.keyDigests;
  // A paused merge ends in a checkpoint, which carries no digests (a resumed parser checks duplicates from there on).
  if (digests !== undefined && !digests.exact && segment.paused === undefined) {
    // A sampling check samples by how many keys it held when: only where neither sampled and both fit does it stay exact.
    if (digests.detectionProbability < 1 || segment.digestsSampled || digests.size + segment.digestKeys > digests.capacity)
      return 'the sampled duplicate-key check';
  }
  return null;
}

/**
 * A segment's warning as a single parser words it: the segment's parser counts keys from its own start, so the key
 * number a message starts with (`key N …`, `opcode after key N`: parse-state.ts describe) is moved on by the keys
 * before the segment.
 */
function numberedFromFileStart(message: string, keysBefore: number): string {
  return message.replace(/^(opcode after key |key )(\d+)/, (_, words: string, n: string) => `${words}${Number(n) + keysBefore}`);
}

/**
 * Takes `segment` into `main` (paused at its start, {@link mergeProblem}
 * null): `main` then stands at the file's end with the trailer judged, as a
 * single parser that read the whole file, and `main.end()` gives the report.
 * `records(s)` gives the segment's digest records of shard `s` in the order
 * its set added them (spilled ones first); `lazily`, they are read by the
 * final duplicate-key check only, shard by shard ({@link KeyDigestSet.absorbLater}:
 * for a side that spilled, whose records are on disk).
 *
 * A paused segment leaves `main` paused at the segment's end instead, with
 * the CRC-64 of every byte before it: `main.checkpoint()` is then the one a
 * single parser paused there gives, and resumes the same way. Its digests
 * are not taken (no checkpoint carries any); the database it paused in is.
 */
export function mergeSegment(main: RdbParser, segment: RdbSegment, records: (shard: number) => Iterable<Uint32Array>, lazily = false): void {
  const problem = mergeProblem(main, segment);
  if (problem !== null) throw new RangeError(`the segment cannot be merged: ${problem}`);
  // Per-database counts: the first part's keys under its database at X, the segment's before its first SELECTDB there too.
  fileDbKeys(main);
  const segmentByDb = segment.keysByDb;
  if (main.keysByDb !== undefined && segmentByDb !== undefined) {
    for (const [db, n] of segmentByDb) {
      const into = db === SEGMENT_DB ? main.db : db;
      main.keysByDb.set(into, (main.keysByDb.get(into) ?? 0) + n);
    }
  } else main.keysByDb = undefined;
  const keysBefore = main.keys;
  main.keys += segment.keys;
  main.dbStartKeys = main.keys;
  main.expires += segment.expires;
  main.expiredKeys += segment.expiredKeys;
  for (const [i, n] of segment.expiryCounts.entries()) main.expiryCounts[i]! += n;
  main.expiryUnbased += segment.expiryUnbased;
  main.emptyKeys += segment.emptyKeys;
  main.fileTimeMs = segment.fileTimeMs;
  for (const [name, n] of Object.entries(segment.moduleTypes)) main.moduleTypes[name] = (main.moduleTypes[name] ?? 0) + n;
  for (const name of segment.moduleAux) noteOnce(main.moduleAux, name);
  for (const [name, n] of Object.entries(segment.ignorableKeyMeta)) main.ignorableKeyMeta[name] = (main.ignorableKeyMeta[name] ?? 0) + n;
  for (const db of segment.databases) noteOnce(main.databases, db);
  for (const slot of segment.typeOrder) if (main.typeCounts[slot] === 0) main.typeOrder.push(slot);
  for (const [slot, n] of segment.typeCounts.entries()) main.typeCounts[slot]! += n;
  for (const type of segment.rdbTypes) if (main.rdbTypesSeen) main.rdbTypesSeen[type] = 1;
  Object.assign(main.auxFields, segment.auxFields);
  main.functionLibraries += segment.functionLibraries;
  for (const s of segment.slotImports.slice(0, Math.max(0, MAX_SLOT_IMPORTS_KEPT - main.slotImports.length))) {
    main.slotImports.push({ ...s, ranges: s.ranges.map(([a, b]) => [a, b] as const) });
  }
  main.slotImportJobs += segment.slotImportJobs;
  main.templateHashes += segment.templateHashes;
  for (const w of segment.warnings.slice(0, Math.max(0, MAX_WARNINGS - main.warnings.length)))
    main.warnings.push({ offset: w.offset, message: numberedFromFileStart(w.message, keysBefore) });
  main.warningCount += segment.warningCount;
  for (const [kind, n] of Object.entries(segment.warningKinds) as [RdbWarningKind, number][]) main.warningKinds[kind] = (main.warningKinds[kind] ?? 0) + n;
  main.sampledCollections += segment.sampledCollections;
  main.minDupDetection = Math.min(main.minDupDetection, segment.minDupDetection);
  if (segment.paused !== undefined) {
    main.crc = Crc64.resume(crc64Combine(main.crc.value, BigInt(`0x${segment.crc}`), segment.total - segment.from));
    main.total = segment.total;
    main.carryLength = 0;
    main.pausedAt = segment.total;
    main.pauseWanted = false;
    main.stopAt = -1;
    main.expirePending = segment.paused.pendingExpireMs !== undefined;
    main.pendingExpireMs = segment.paused.pendingExpireMs ?? 0;
    for (const [id, fields] of segment.paused.hashTemplates ?? []) main.templates.define(id, fields);
    // The checkpoint's database (a file may select one again): where the segment paused, else where it began.
    if (segment.paused.db !== SEGMENT_DB) main.db = segment.paused.db;
    return;
  }
  const digests = main.keyDigests;
  if (digests !== undefined && lazily) digests.absorbLater(records, SEGMENT_DB, main.db);
  else if (digests !== undefined) {
    for (let s = 0; s < 256; s++) for (const part of records(s)) digests.absorb(part, SEGMENT_DB, main.db);
  }
  // The file's end, as a single parser stands there: the trailer (if any) waits for the whole file's CRC.
  const crcBefore = main.crc.value;
  main.phase = P_DONE;
  main.total = segment.total;
  main.carryLength = 0;
  main.pausedAt = -1;
  main.pauseWanted = false;
  main.stopAt = -1;
  main.trailingBytes = segment.trailingBytes;
  main.checksum = segment.checksum;
  if (segment.trailer !== null) {
    main.pendingTrailer = segment.trailer.slice();
    main.trailerAt = segment.trailerAt;
    main.settleChecksum(crc64Combine(crcBefore, BigInt(`0x${segment.crc}`), segment.trailerAt - segment.from));
  }
}

/**
 * What the first thread does with the worker's outcome once it stopped at
 * the worker's start: merges the worker's part ({@link mergeSegment}) and
 * returns true, or returns why it cannot (the worker's failure, or
 * {@link mergeProblem}), `main` untouched: it then reads the part itself.
 * The one decision of both split verifications (a local file, the DR
 * verify job's ranged reads).
 */
export function takeSegment(
  main: RdbParser,
  outcome: { readonly type: 'done'; readonly segment: RdbSegment } | { readonly reason: string },
  records: (shard: number) => Iterable<Uint32Array>,
  lazily = false,
): true | string {
  if (!('segment' in outcome)) return outcome.reason;
  const problem = mergeProblem(main, outcome.segment);
  if (problem !== null) return problem;
  mergeSegment(main, outcome.segment, records, lazily);
  return true;
}

/** The parser options both segments are read with (those of the verification). */
export interface SegmentParserOptions {
  readonly maxValueBytes: number;
  readonly requireChecksum: boolean;
  readonly keyDigestSpill?: () => KeyDigestSpill;
  readonly keyDigestsInMemory?: number;
}

/** How the second parser looks for its start. */
export interface SegmentSearch {
  /** First offset to try. */
  readonly from: number;
  /** Offsets tried at most, one byte apart, before giving up (no split). @default 256 KiB */
  readonly tries?: number;
  /** A trial succeeds once it read this many keys without an error, or the file's end. @default 32 */
  readonly trialKeys?: number;
  /** Bytes a trial reads at most (a start whose keys are so large fails). @default 8 MiB */
  readonly trialBytes?: number;
}

/**
 * Where the second thread's search should begin so that both threads end
 * together: the first thread has parsed `parsed` bytes in `elapsedMs` when
 * the second is ready (its thread and module loaded), and the second needs
 * `warmupMs` more before it parses at the same speed (its search, its code
 * not yet optimized). With the first thread's speed v, the first reaches
 * x at (x - parsed) / v and the second ends at warmupMs + (size - x) / v:
 * equal at x = (size + parsed + warmupMs · v) / 2. A second thread that
 * loads late is given less instead of leaving the first waiting at the
 * boundary (measured on the CLI: 108–283 ms of a 1.2–1.5 s verification
 * with a fixed start at 53 %). `fallback` where nothing was parsed yet (no
 * speed to go by). Pure.
 */
export function balancedStart(size: number, parsed: number, elapsedMs: number, warmupMs: number, fallback: number): number {
  if (!(parsed > 0 && elapsedMs > 0)) return fallback;
  const speed = parsed / elapsedMs;
  return Math.min(size, Math.max(parsed, Math.floor((size + parsed + warmupMs * speed) / 2)));
}

/** A synchronous read of the file: up to `length` bytes at `offset` (fewer only at its end). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

/**
 * The context of the file's head (version, magic, `ctime`) read by a parser
 * of its first `headBytes` (the AUX fields come first; a `ctime` after them
 * only makes the merge refused: see {@link mergeProblem}), or undefined when its header does not parse
 * (then the file is not split: the first parser finds what is wrong).
 */
export function readHeadContext(read: ReadAt, size: number, options: SegmentParserOptions, headBytes = 64 << 10): SegmentContext | undefined {
  const head = new RdbParser(options.maxValueBytes, options.requireChecksum);
  head.push(read(0, Math.min(size, headBytes)));
  return head.version === 0 ? undefined : segmentContext(head);
}

/**
 * Keys a found start's trial reads before the offset the segment starts at
 * ({@link findSegmentStart}): the made-up entries a start inside a value can
 * read before it falls in step with the file's are fewer.
 */
export const RESYNC_KEYS = 8;

/**
 * Finds the segment's start: the first offset from `search.from` at which
 * a parser started there ({@link RdbParser.startSegment}) reads
 * `trialKeys` keys without an error, or to the file's end exactly (no byte
 * after its trailer), moved on to the end of the {@link RESYNC_KEYS}th key
 * that trial read, where a second trial must hold too (else the first
 * start stays: see below). Returns the parser of the start returned (it has
 * read `next - from` bytes), or undefined. A start
 * found this way is a guess: only the first parser, stopping at a boundary
 * exactly there, proves it (see the module comment).
 *
 * Why the move: an offset inside a value can read as a few entries and then
 * fall in step with the file's own. Each entry of 10,000,000 written by
 * `DEBUG POPULATE` ends its LZF value with `01 00 00` before the next entry's
 * type byte `00`: from the `00` three bytes early, `00 01 00 00` reads as a
 * string key "\0" with an empty value, and the next entry is the file's. The
 * first thread, reading the file's entries, never stops there, so the whole
 * second part was parsed for nothing (measured: the split never taken, 3.6 s
 * where one thread takes 2.9 s). The entries after the trial's first few
 * are the file's in such a case, and in the case where the first offset was
 * right they are still entries of the file.
 */
export function findSegmentStart(
  read: ReadAt,
  size: number,
  context: SegmentContext,
  options: SegmentParserOptions,
  search: SegmentSearch,
): { readonly from: number; readonly next: number; readonly parser: RdbParser } | undefined {
  const tries = Math.max(0, Math.min(search.tries ?? 256 << 10, size - search.from));
  const trialKeys = search.trialKeys ?? 32;
  const trialBytes = search.trialBytes ?? 8 << 20;
  const piece = 64 << 10;
  let window = read(search.from, Math.min(tries + piece, size - search.from));
  /** Parses from `from` until `trialKeys` keys, an error or the end; whether that start holds, and the parser. */
  const trial = (from: number, sink?: RdbKeySink): { readonly holds: boolean; readonly next: number; readonly parser: RdbParser } => {
    const parser = newSegmentParser(from, context, options, sink);
    let at = from;
    while (parser.state() === 'reading' && parser.keys + parser.emptyKeys < trialKeys && at - from < trialBytes && at < size) {
      const offset = at - search.from;
      if (offset + piece > window.length && search.from + window.length < size) {
        window = read(search.from, Math.min(offset + piece + (1 << 20), size - search.from)); // grows: a trial reads on
      }
      const bytes = window.subarray(offset, Math.min(offset + piece, window.length));
      if (bytes.length === 0) break;
      parser.push(bytes);
      at += bytes.length;
    }
    // The end counts only where it is the file's: any 0xFF byte and 8 more read as an EOF opcode and a trailer.
    const atEnd = parser.state() === 'done' && parser.trailingBytes === 0 && at === size;
    return { holds: atEnd || (parser.state() === 'reading' && parser.keys + parser.emptyKeys >= trialKeys), next: at, parser };
  };
  for (let i = 0; i < tries; i++) {
    const from = search.from + i;
    // Most bytes cannot begin an entry (a value type, up to 40 in any format so far, or an opcode from 0xF0): a parser
    // per offset costs about 30 µs, so inside a large value the search would spin for seconds without this.
    const first = window[i]!;
    if (first > 40 && first < 0xf0) continue;
    const ends: number[] = [];
    const found = trial(from, {
      key: (_db, _type, _start, _nameEnd, end) => void (ends.length < RESYNC_KEYS && ends.push(end)),
      functionLibrary: () => {},
    });
    if (!found.holds) continue;
    const later = ends[RESYNC_KEYS - 1];
    if (later !== undefined) {
      const moved = trial(later);
      if (moved.holds) return { from: later, next: moved.next, parser: moved.parser };
    }
    // The first start stays: fewer keys than that to the file's end (a split this close to it gains nothing anyway), or
    // the entries from there do not hold as far (a trial's bytes end, or the file fails a little further on), where a
    // search on would go on inside the entry it began. Read again by a parser without the sink, and made last: the
    // worker names the spill folder of each parser that spills, and the last one named must be the kept parser's.
    const again = trial(from);
    return { from, next: again.next, parser: again.parser };
  }
  return undefined;
}

/** A parser of the segment from `from`, with the verification's options (and a sink, for a trial). */
export function newSegmentParser(from: number, context: SegmentContext, options: SegmentParserOptions, sink?: RdbKeySink): RdbParser {
  const parser = new RdbParser(
    options.maxValueBytes,
    options.requireChecksum,
    undefined,
    sink,
    undefined,
    false,
    undefined,
    undefined,
    options.keyDigestSpill,
    options.keyDigestsInMemory,
  );
  parser.startSegment(from, context);
  return parser;
}
