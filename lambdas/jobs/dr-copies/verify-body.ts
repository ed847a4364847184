/**
 * The verifier over bytes as they come (an S3 object, a scrub's re-read from
 * an object store). A module of its own, apart from verify-file.ts, so the
 * scrub Lambda's graph never takes in lz4-napi's native binary (esbuild, as
 * the Lambdas are bundled, has no loader for it): blocks of Valkey's
 * compressed envelope are decoded by lz4js unless the caller, running from
 * node_modules (the CLI), hands the native decoder in.
 */
import { twoThreadsHelp, verifyRdbStreamOnTwoThreads } from '../../adapters/host/crc64-thread.js';
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import { dismissSplitWorkerStandby } from '../../adapters/host/split-worker-start.js';
import { decodeRdbEnvelope, type Lz4BlockDecoder, lz4jsBlocks, type RdbEnvelopeInfo } from '../../adapters/storage/rdb-envelope.js';
import { verifyRdbStream } from '../../domain/rdb/verifier.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';

/** What a verification of one file found. */
export interface VerifyRdbFileResult {
  readonly report: RdbReport;
  /** The file's size in bytes, when known. */
  readonly bytes?: number;
  /** The file came in a compressed envelope, unwrapped on the way. */
  readonly envelope?: RdbEnvelopeInfo;
}

/** How {@link verifyRdbBody} reads. */
export interface VerifyRdbBodyOptions {
  readonly requireChecksum?: boolean;
  /** The envelope's LZ4 block decoder. @default lz4js (plain JavaScript: bundles into a Lambda) */
  readonly blocks?: Lz4BlockDecoder;
}

/**
 * Verifies bytes as they come, unwrapped from Valkey's compressed envelope
 * where they come in one; a large body is parsed on this thread and
 * checksummed on another where a core is free.
 */
export async function verifyRdbBody(
  body: AsyncIterable<Uint8Array>,
  size: number | undefined,
  options: VerifyRdbBodyOptions = {},
): Promise<VerifyRdbFileResult> {
  void dismissSplitWorkerStandby();
  const verifierOptions = { requireChecksum: options.requireChecksum ?? false, keyDigestSpill: () => tempKeyDigestSpill() };
  let envelope: RdbEnvelopeInfo | undefined;
  const unwrap = (bytes: AsyncIterable<Uint8Array>) => decodeRdbEnvelope(bytes, (e) => (envelope = e), options.blocks ?? lz4jsBlocks);
  const report = !twoThreadsHelp(size ?? 0)
    ? await verifyRdbStream(unwrap(body), verifierOptions)
    : await verifyRdbStreamOnTwoThreads(unwrap(body), verifierOptions);
  return { report, ...(size !== undefined ? { bytes: size } : {}), ...(envelope ? { envelope } : {}) };
}
