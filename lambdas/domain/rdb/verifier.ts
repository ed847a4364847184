/**
 * A streaming, pure verifier for Redis and Valkey RDB files (`REDIS` versions
 * 1–15, `VALKEY` versions 80 and 81; newer ones are reported unsupported,
 * neither valid nor corrupt): it checks the
 * structure of every opcode and value, validates the compact encodings stored
 * inside strings, checks LZF-compressed strings expand to their declared
 * length, counts keys, and compares the CRC-64 trailer. Bytes arrive in chunks
 * of any size; memory stays bounded whatever the file size (plain strings are
 * skipped without buffering, LZF strings are checked as they stream by).
 *
 * The parsing itself is in format/parser.ts (a resumable state machine over each
 * chunk, written for throughput); this module is its public face.
 *
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.h
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.c
 */
import { RdbFormatError } from './errors.js';
import { type RdbKeySink, RdbParser } from './format/parser.js';

import type { KeyDigestSpill } from './format/key-digests.js';
import type { RdbCheckpoint, RdbReport, RdbVerifierState } from './report.js';

export { RdbFormatError, RdbUnsupportedError } from './errors.js';
export { RDB_WARNING_KINDS, rdbVerdict } from './report.js';
export type { KeyDigestSpill } from './format/key-digests.js';
export type { ChecksumStatus, RdbCheckpoint, RdbReport, RdbVerdict, RdbVerifierState, RdbWarningKind, WarningKinds } from './report.js';

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
   * an `ExactExpiries` (domain/rdb/expiry-histogram.ts) for a caller that checks a restore of the file
   * against exact expiry times (`drill local`). Counts the keys of this run
   * only (not those before `resumeFrom`).
   */
  readonly expiryTimes?: { add(expireAtMs: number): void };
  /**
   * The caller computes the CRC-64 (in another thread, beside the parsing):
   * the verifier does not. It says how far the checksummed range is known
   * ({@link RdbVerifier.checksumEnd}) and, once the trailer is read, waits for
   * {@link RdbVerifier.settleChecksum} before `end()`; the report is the one the
   * verifier gives when it computes the checksum itself. Not with `resumeFrom`
   * (throws RangeError), and `pause()` does nothing.
   * @default false
   */
  readonly externalChecksum?: boolean;
  /**
   * Where the duplicate-key check (a key stored twice in one database)
   * spills its 16-byte digests once 2^21 of them fill its memory (32 MiB):
   * the CLI gives temporary files (adapters/host/key-digest-spill.ts).
   * Without one, the check keeps a sample beyond that, and the report says
   * with what probability a duplicate is found (`duplicateKeyCheck`).
   * Called at most once.
   */
  readonly keyDigestSpill?: () => KeyDigestSpill;
  /** @internal Digest records held in memory before spilling or sampling (tests make it small). @default 2^21 */
  readonly keyDigestsInMemory?: number;
}

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
  /**
   * With `externalChecksum`: bytes from the start of the file known to lie
   * before the CRC-64 trailer (all of them once the trailer was read): the
   * caller may checksum the file up to here, never beyond.
   */
  checksumEnd(): number;
  /** With `externalChecksum`: the trailer was read and waits for {@link RdbVerifier.settleChecksum}. */
  readonly checksumPending: boolean;
  /** With `externalChecksum`: the CRC-64 of the file's first {@link RdbVerifier.checksumEnd} bytes, to judge the trailer with. */
  settleChecksum(crc: bigint): void;
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
  const parser = rdbVerifierParser(options);
  return verifierOver(
    parser,
    (chunk) => parser.push(chunk),
    () => parser.end(),
  );
}

/**
 * The parser {@link createRdbVerifier} verifies with, told where each key
 * lies when given a `sink` (a key reader around it: keys.ts's `parser`
 * option, the DR copy's key index taken from the verification's own parse).
 * The sink changes nothing of the checks.
 */
export function rdbVerifierParser(options: RdbVerifierOptions = {}, sink?: RdbKeySink): RdbParser {
  return new RdbParser(
    options.maxValueBytes ?? 512 * 1024 * 1024,
    options.requireChecksum ?? false,
    options.resumeFrom,
    sink,
    options.expiryTimes,
    options.externalChecksum ?? false,
    undefined,
    undefined,
    options.keyDigestSpill,
    options.keyDigestsInMemory,
  );
}

/**
 * The {@link RdbVerifier} of `parser`, its bytes going in through `push`
 * and its report out through `end` (the parser's own, or a key reader's
 * around it: keys.ts's RdbKeyReader, which tells where each key lies).
 */
export function verifierOver(parser: RdbParser, push: (chunk: Uint8Array) => void, end: () => RdbReport): RdbVerifier {
  return {
    push,
    end,
    sourceFailed: (err) => parser.sourceFailed(err),
    pause: () => parser.pause(),
    checkpoint: () => parser.checkpoint(),
    checksumEnd: () => parser.checksumEnd(),
    get checksumPending() {
      return parser.checksumPending();
    },
    settleChecksum: (crc) => parser.settleChecksum(crc),
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
