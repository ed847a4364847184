/**
 * A streaming, pure verifier for Redis and Valkey RDB files (`REDIS` versions
 * 1–13, `VALKEY` versions 80 and 81; newer ones are reported unsupported,
 * neither valid nor corrupt): it checks the
 * structure of every opcode and value, validates the compact encodings stored
 * inside strings, checks LZF-compressed strings expand to their declared
 * length, counts keys, and compares the CRC-64 trailer. Bytes arrive in chunks
 * of any size; memory stays bounded whatever the file size (plain strings are
 * skipped without buffering, LZF strings are checked as they stream by).
 *
 * The parsing itself is in parser.ts (a resumable state machine over each
 * chunk, written for throughput); this module is its public face.
 *
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.h
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.c
 */
import { RdbFormatError } from './blobs.js';
import { RdbParser } from './parser.js';

export { RdbFormatError, RdbUnsupportedError } from './blobs.js';

/** Outcome of the CRC-64 trailer check. */
export type ChecksumStatus = 'ok' | 'mismatch' | 'absent';

/** What the verifier found in one RDB file. */
export interface RdbReport {
  /** True when the whole file parsed and the checksum was not a mismatch (nor absent when one is required). */
  readonly ok: boolean;
  /** RDB format version from the header (0 when the header was unreadable). */
  readonly version: number;
  /** `VALKEY` for Valkey 9's magic (version 80 on); absent for `REDIS`. */
  readonly magic?: 'VALKEY';
  /** `absent` for versions before 5 or an all-zero trailer (rdbchecksum no); a failure instead with `requireChecksum`. */
  readonly checksum: ChecksumStatus;
  /**
   * Keys a restore loads (already expired ones included, as redis-check-rdb
   * counts them); not the empty keys (see `emptyKeys`).
   */
  readonly keys: number;
  /**
   * Keys (counted in `keys`) whose expiry had passed when the file was
   * written, per its `ctime` AUX field: a server loading the file as a
   * primary drops them. Absent when none (or the file has no `ctime`).
   */
  readonly expiredKeys?: number;
  /**
   * When the keys with an expiry expire: an expiry histogram in its text form
   * (domain/expiry.ts) based at the file's `ctime`, every key with an expiry
   * counted (the already expired ones in its first bucket). Absent when no
   * key has an expiry, or the file has no `ctime` to base it on.
   */
  readonly expiryHistogram?: string;
  /** Keys whose collection holds no element: Redis and Valkey skip them on load. Absent when none. */
  readonly emptyKeys?: number;
  /** Module values by module type name (e.g. `ReJSON-RL`): the restore server must load those modules. Absent when none. */
  readonly moduleTypes?: Readonly<Record<string, number>>;
  /** Modules whose AUX data (MODULE_AUX) the file carries: Redis refuses the file unless they are loaded. Absent when none. */
  readonly moduleAux?: readonly string[];
  /** Keys that carried an expire time. */
  readonly expires: number;
  /** Database numbers selected in the file, in order of appearance. */
  readonly databases: readonly number[];
  /** Keys per Redis type name (`string`, `list`, `set`, `zset`, `hash`, `stream`, `module`). */
  readonly byType: Readonly<Record<string, number>>;
  /** AUX fields (`redis-ver`, `ctime`, `used-mem`, …); values longer than 1024 characters are cut. */
  readonly auxFields: Readonly<Record<string, string>>;
  /** Function libraries (FUNCTION2 opcodes) stored in the file. */
  readonly functionLibraries: number;
  /** Bytes after the end of the file (EOF opcode and checksum): ignored, as Redis ignores them. Absent when none. */
  readonly trailingBytes?: number;
  /**
   * What Redis loads with default settings but `sanitize-dump-payload yes`
   * refuses (e.g. duplicate fields in a small hash): the file is still `ok`.
   * At most 20 kept; `warningCount` counts them all. Absent when none.
   */
  readonly warnings?: readonly { readonly offset: number; readonly message: string }[];
  readonly warningCount?: number;
  /**
   * Collections too large for the exact duplicate check (more than 2^20
   * members) were checked on a sample: a duplicate pair in them is found
   * with at least `minDetectionProbability`. Absent when every check was exact.
   */
  readonly duplicateCheck?: { readonly sampledCollections: number; readonly minDetectionProbability: number };
  /** First problem found: `offset` is the number of bytes consumed when it was detected. */
  readonly error?: { readonly offset: number; readonly message: string };
  /**
   * The file is in a format this verifier does not know (a newer RDB
   * version, a type or envelope it cannot read): it was not judged, so it is
   * neither valid nor corrupt (`ok` is false, `error` says where and why).
   * Absent otherwise.
   */
  readonly unsupported?: { readonly version: number; readonly writtenBy: string };
}

/** What a report says about the file: `ok`, `corrupt`, or `unsupported` (a format this verifier cannot judge). */
export type RdbVerdict = 'ok' | 'corrupt' | 'unsupported';

/** The verdict of a report: an unsupported format is never `ok`, and never `corrupt` either. */
export function rdbVerdict(report: Pick<RdbReport, 'ok' | 'unsupported'>): RdbVerdict {
  return report.ok ? 'ok' : report.unsupported ? 'unsupported' : 'corrupt';
}

/**
 * Where a paused verification stopped, and everything it had found up to
 * there: enough to continue in another process (a later Lambda invocation)
 * with one verdict and one set of counts for the whole file. Plain JSON
 * (a Step Functions state carries it), a few KB at most: AUX values are cut
 * at 1024 characters and at most 20 warnings are kept.
 *
 * A checkpoint is only ever taken at a boundary between two top-level
 * entries (keys, AUX fields, SELECTDB, …), where no collection is open: the
 * per-collection state (duplicate tables, stream PELs) is empty there, so
 * nothing large needs saving.
 */
export interface RdbCheckpoint {
  /** Layout of this record; another layout is refused on resume. */
  readonly format: 1;
  /** Bytes of the file consumed: the next read starts here. */
  readonly offset: number;
  /** CRC-64 of bytes [0, offset), 16 hex digits. */
  readonly crc: string;
  /** Whether the verification requires a checksum (must match on resume). */
  readonly requireChecksum: boolean;
  readonly version: number;
  readonly valkey: boolean;
  readonly keys: number;
  readonly expires: number;
  readonly expiredKeys: number;
  /** Keys with an expiry per expiry-grid bucket; added later: absent in older checkpoints (the report then has no histogram). */
  readonly expiryCounts?: readonly number[];
  /** Keys with an expiry not in `expiryCounts`. */
  readonly expiryUnbased?: number;
  readonly emptyKeys: number;
  /** The file's `ctime` in ms, -1 when not (yet) seen. */
  readonly fileTimeMs: number;
  /** An EXPIRETIME opcode read, its key not yet: the expiry applies to the next key. */
  readonly pendingExpireMs?: number;
  readonly moduleTypes: Readonly<Record<string, number>>;
  /** Added after the first checkpoints were written: absent in those (none). */
  readonly moduleAux?: readonly string[];
  readonly databases: readonly number[];
  /** Keys per type, in order of first appearance. */
  readonly byType: Readonly<Record<string, number>>;
  readonly auxFields: Readonly<Record<string, string>>;
  readonly functionLibraries: number;
  readonly warnings: readonly { readonly offset: number; readonly message: string }[];
  readonly warningCount: number;
  readonly sampledCollections: number;
  readonly minDetectionProbability: number;
}

/** Options for {@link createRdbVerifier}. */
export interface RdbVerifierOptions {
  /**
   * Largest single value the verifier holds or expands: a ziplist, listpack,
   * intset or zipmap blob or an AUX value, and any LZF string's compressed or
   * decompressed size. Larger declared sizes are reported as errors instead
   * of allocated. Plain strings whose content does not matter (keys, members,
   * values) are skipped by length whatever their size.
   * @default 536870912 (512 MiB, Redis's default proto-max-bulk-len)
   */
  readonly maxValueBytes?: number;
  /**
   * Fail a file that carries no CRC-64 (an all-zero trailer, or RDB < 5)
   * instead of reporting `checksum: 'absent'`. ElastiCache exports always
   * carry one, so the DR region requires it: a zeroed trailer must not hide a
   * flipped byte. Self-managed servers may run `rdbchecksum no`.
   * @default false
   */
  readonly requireChecksum?: boolean;
  /**
   * Continue a verification that paused there: push the file's bytes from
   * `resumeFrom.offset` on. Its `requireChecksum` must equal this one's.
   * @throws RangeError for a checkpoint of another layout or policy
   */
  readonly resumeFrom?: RdbCheckpoint;
  /**
   * Told every key's expiry time (ms since the epoch) as the file is read:
   * an `ExactExpiries` (domain/expiry.ts) for a caller that checks a restore of the file
   * against exact expiry times (`drill local`). Counts the keys of this run
   * only (not those before `resumeFrom`).
   */
  readonly expiryTimes?: { add(expireAtMs: number): void };
}

/**
 * Where a verifier stands: `reading` wants more bytes; `paused` stopped at a
 * checkpoint ({@link RdbVerifier.pause}); `failed` found a problem (more bytes
 * change nothing); `done` read the EOF opcode and trailer (later bytes are
 * only counted as trailing).
 */
export type RdbVerifierState = 'reading' | 'paused' | 'failed' | 'done';

/** A verifier that is fed chunks and produces a report at the end. */
export interface RdbVerifier {
  /** Feeds the next bytes of the file. Never throws; problems are kept for {@link RdbVerifier.end}. */
  push(chunk: Uint8Array): void;
  /** Declares the end of input and returns the report. Never throws. */
  end(): RdbReport;
  /**
   * The bytes could not be produced: a stage in front of the verifier (the
   * one that unwraps a compressed envelope) found its own format damaged or
   * unknown. That becomes the report's error (unsupported for an
   * RdbUnsupportedError); later bytes change nothing.
   */
  sourceFailed(err: RdbFormatError): void;
  /**
   * Stop at the next boundary between two top-level entries: that may be
   * where the input pushed so far already stands, or within a later chunk.
   * Once there, the state is `paused`, later bytes are ignored and
   * {@link RdbVerifier.checkpoint} says where to resume.
   */
  pause(): void;
  /** Where a paused verifier stopped; undefined unless `paused`. */
  checkpoint(): RdbCheckpoint | undefined;
  readonly state: RdbVerifierState;
}

/**
 * Creates a streaming verifier. Push chunks in file order, then call `end()`.
 *
 * @example
 * const v = createRdbVerifier();
 * for await (const chunk of body) v.push(chunk);
 * const report = v.end();
 */
export function createRdbVerifier(options: RdbVerifierOptions = {}): RdbVerifier {
  const parser = new RdbParser(options.maxValueBytes ?? 512 * 1024 * 1024, options.requireChecksum ?? false, options.resumeFrom, undefined, options.expiryTimes);
  return {
    push: (chunk) => parser.push(chunk),
    end: () => parser.end(),
    sourceFailed: (err) => parser.sourceFailed(err),
    pause: () => parser.pause(),
    checkpoint: () => parser.checkpoint(),
    get state() {
      return parser.state();
    },
  };
}

/**
 * Pushes the RDB bytes a decoding step yields (`take`: the envelope stage's
 * output for the next chunk, or its end) into `verifier`. A format error the
 * step throws (the envelope or frame damaged or unknown) is the file's
 * verdict; any other error is thrown.
 */
export function pushDecoded(verifier: Pick<RdbVerifier, 'push' | 'sourceFailed'>, take: () => Uint8Array[]): void {
  try {
    for (const plain of take()) verifier.push(plain);
  } catch (err) {
    if (!(err instanceof RdbFormatError)) throw err;
    verifier.sourceFailed(err);
  }
}

/**
 * Verifies an RDB file from an async stream of chunks (e.g. an S3 `GetObject`
 * body, through the stage that unwraps a compressed envelope). A format error
 * the stream throws (an {@link RdbFormatError}: its envelope damaged or
 * unknown) is the file's verdict; other errors (reading it) are thrown.
 */
export async function verifyRdbStream(source: AsyncIterable<Uint8Array>, options: RdbVerifierOptions = {}): Promise<RdbReport> {
  const verifier = createRdbVerifier(options);
  try {
    for await (const chunk of source) verifier.push(chunk);
  } catch (err) {
    if (!(err instanceof RdbFormatError)) throw err;
    verifier.sourceFailed(err);
  }
  return verifier.end();
}
