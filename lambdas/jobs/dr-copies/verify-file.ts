/**
 * `verify-rdb` on one file, local or `s3://`, as a use case: the streaming
 * verifier on the bytes (unwrapped from Valkey's compressed envelope where
 * they come in one), a second thread where a core is free (a plain local
 * file parsed in two parts at once, else the CRC-64 on it),
 * and the duplicate-key check spilling to temporary files beyond its memory
 * (adapters/host/key-digest-spill.ts), so any number of keys is checked
 * exactly within the command's memory target.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import {
  readFileChunks,
  readFileChunksReused,
  twoThreadsHelp,
  verifyRdbFileOnTwoThreads,
  verifyRdbStreamOnTwoThreads,
} from '../../adapters/host/crc64-thread.js';
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import { dismissSplitWorkerStandby } from '../../adapters/host/split-worker-start.js';
import type { RdbEnvelopeInfo } from '../../adapters/storage/rdb-envelope.js';
import { verifyRdbStream, type RdbReport } from '../../domain/rdb/verifier.js';
import { type VerifyRdbFileResult, verifyRdbBody } from './verify-body.js';
import { noSuchFileHint } from '../../domain/keys/s3-url-meant.js';

export type { VerifyRdbFileResult };

export type { RdbEnvelopeInfo };

/** How {@link verifyRdbFile} reads its input (S3 only; a local file is streamed as is). */
export interface VerifyRdbFileOptions {
  readonly requireChecksum?: boolean;
  /** s3:// only: ranged GETs in flight at once. */
  readonly readConcurrency?: number;
  /** s3:// only: bytes per ranged GET (for tests). */
  readonly readPartBytes?: number;
}

/** Bytes to verify and their size, or why not (a usage problem). */
async function openInput(file: string, options: VerifyRdbFileOptions): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }> {
  // The S3 client loads only for s3:// locations (a local file starts fast).
  if (/^s3:\/\//i.test(file)) {
    return (await import('../../adapters/storage/s3-rdb.js')).openS3(file, {
      concurrency: options.readConcurrency,
      partBytes: options.readPartBytes,
    });
  }
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new Error(`cannot read ${file}: no such file${noSuchFileHint(file)}`);
  }
  if (!stat.isFile()) throw new Error(`cannot read ${file}: not a regular file`);
  return { body: readFileChunks(file), size: stat.size };
}

/**
 * Whether the local `file` starts with the magic of Valkey's compressed envelope (`VKCS`, as rdb-envelope.ts's
 * isRdbEnvelope checks it): only then are the envelope's modules loaded (the LZ4 and xxHash ones cost a plain
 * file's verification 30 million instructions at start, cachegrind) and its chunks go through the decoder.
 */
function startsWithEnvelope(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === 'VKCS';
  } finally {
    closeSync(fd);
  }
}

/** Verifies the RDB file at `file` (a path or `s3://bucket/key`). Throws for a file that cannot be read (a usage problem). */
export async function verifyRdbFile(file: string, options: VerifyRdbFileOptions = {}): Promise<VerifyRdbFileResult> {
  try {
    return await verifyOneFile(file, options);
  } finally {
    // The split worker the CLI may have started in standby (bin/redis-dr.ts), if the verification did not take it.
    // Not awaited: it never keeps the process alive, and waiting for its thread to stop only delays the report.
    void dismissSplitWorkerStandby();
  }
}

async function verifyOneFile(file: string, options: VerifyRdbFileOptions): Promise<VerifyRdbFileResult> {
  const { body, size } = await openInput(file, options);
  const s3 = /^s3:\/\//i.test(file);
  if (s3) {
    const { nativeLz4Blocks } = await import('../../adapters/storage/lz4-native.js');
    return verifyRdbBody(body, size, {
      ...(options.requireChecksum !== undefined ? { requireChecksum: options.requireChecksum } : {}),
      blocks: nativeLz4Blocks,
    });
  }
  let envelope: RdbEnvelopeInfo | undefined;
  const verifierOptions = { requireChecksum: options.requireChecksum ?? false, keyDigestSpill: () => tempKeyDigestSpill() };
  let report: RdbReport;
  if (!startsWithEnvelope(file)) {
    // A plain local file goes to the verifier as read (the envelope decoder would pass it through untouched):
    // where a core is free, its two parts are parsed and checksummed at once, one per thread (adapters/host/crc64-thread.ts).
    if (twoThreadsHelp(size ?? 0)) report = await verifyRdbFileOnTwoThreads(file, size ?? 0, verifierOptions);
    else {
      void dismissSplitWorkerStandby(); // its CPU is this thread's now
      report = await verifyRdbStream(readFileChunksReused(file), verifierOptions);
    }
  } else {
    void dismissSplitWorkerStandby();
    const unwrap = await envelopeDecoder((e) => (envelope = e));
    // A large file is parsed on this thread and checksummed on another where a core is free.
    report = !twoThreadsHelp(size ?? 0)
      ? await verifyRdbStream(unwrap(body), verifierOptions)
      : await verifyRdbStreamOnTwoThreads((worker) => unwrap(readFileChunks(file, 1 << 20, worker)), verifierOptions);
  }
  return { report, ...(size !== undefined ? { bytes: size } : {}), ...(envelope ? { envelope } : {}) };
}

/** The decoder of Valkey's compressed envelope (rdbcompression lz4): a file in one is verified as the RDB file it holds. */
async function envelopeDecoder(found: (e: RdbEnvelopeInfo) => void): Promise<(bytes: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>> {
  const [{ decodeRdbEnvelope }, { nativeLz4Blocks }] = await Promise.all([
    import('../../adapters/storage/rdb-envelope.js'),
    import('../../adapters/storage/lz4-native.js'),
  ]);
  return (bytes) => decodeRdbEnvelope(bytes, found, nativeLz4Blocks);
}
