/**
 * verify-rdb's `read` step (verify-rdb.ts): one invocation's bytes of a DR
 * copy through the RDB verifier, from byte 0 or a checkpoint, on one thread
 * or, for a large plain copy, two (verify-rdb-split.ts), until the copy ends
 * or the invocation's deadline pauses the verifier at a key boundary.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../../adapters/aws/errors.js';
import type { RetryClock } from '../../adapters/aws/retry.js';
import { ObjectChangedError, readRanges, type ObjectIdentity } from '../../adapters/aws/s3/ranges.js';
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import { createRdbBytesDecoder } from '../../adapters/storage/rdb-envelope.js';
import { VERIFY_GAVE_UP } from '../../domain/dr-copies/verify-errors.js';
import {
  createRdbVerifier,
  pushDecoded,
  type RdbCheckpoint,
  type RdbVerifier,
  type RdbVerifierOptions,
  rdbVerifierParser,
  verifierOver,
} from '../../domain/rdb/verifier.js';
import type { LogSink } from '../kernel/deps.js';
import { planSplit, type SplitKeyIndex, type SplitReadInput, type TwoThreadSettings, verifyRangesOnTwoThreads } from './verify-rdb-split.js';

/**
 * A verification that cannot succeed by trying again (no progress, too many
 * invocations or changes): its name is the Lambda error type the state
 * machine does not retry.
 */
export class VerifyGaveUp extends Error {
  override readonly name = VERIFY_GAVE_UP;
}

/** What reading a copy needs from the outside world (part of verify-rdb.ts's VerifyDeps). */
export interface CopyReadDeps {
  readonly s3: S3Client;
  readonly log: LogSink;
  readonly clock: Pick<RetryClock, 'now'>;
  /**
   * When this invocation must stop reading (per `clock`, ms): the verifier
   * then pauses at the next boundary between two keys and the state goes
   * back to the state machine. Leave time for the rest of that key and the
   * tagging (the handler keeps two minutes of the Lambda's time).
   */
  readonly deadline: number;
  /** Ranged GETs and their size (the defaults of readRanges otherwise). */
  readonly reads?: { readonly partBytes?: number; readonly concurrency?: number };
  /** @internal The two-thread path's settings (verify-rdb-split.ts): the tests lower its threshold and watch it. */
  readonly twoThreads?: TwoThreadSettings;
}

/** The copy being read: where it is, and the fields every log line names. */
export interface CopyToRead {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | undefined;
  readonly base: Readonly<Record<string, unknown>>;
}

/**
 * Reads the copy from `start` (the checkpoint's offset, with `resumeFrom`)
 * through the verifier; the parser that holds the verdict, or `changed` when
 * the object changed under the read (the caller starts again from byte 0).
 * With `index` (copy-key-index.ts) the verifier's parser has the index's
 * sink (one parse: the keys' places come from the verification
 * itself), and the index is told every byte this thread reads, with its
 * offset; on two threads also the keys the worker's part holds, once that
 * part is taken.
 */
export async function readCopy(
  copy: CopyToRead,
  identity: ObjectIdentity,
  start: number,
  resumeFrom: RdbCheckpoint | undefined,
  deps: CopyReadDeps,
  index?: SplitKeyIndex,
): Promise<Pick<RdbVerifier, 'checkpoint' | 'end'> | 'changed'> {
  const { bucket, key, versionId, base } = copy;
  // DR copies are ElastiCache exports, which always carry a CRC-64: a zeroed trailer is a failure here. The duplicate-key
  // check exact past its memory (spilled to a temporary folder, made only when needed), as verify-rdb's.
  const options: RdbVerifierOptions = { requireChecksum: true, keyDigestSpill: () => tempKeyDigestSpill(), ...(resumeFrom ? { resumeFrom } : {}) };
  // A copy in Valkey's compressed envelope (rdbcompression lz4) is verified as the RDB it holds. Only from byte 0:
  // a checkpoint is taken on plain files only (see below), so a resumed verification reads a plain file.
  const unwrap = start === 0 ? await createRdbBytesDecoder() : undefined;
  // Two vCPUs (the function's memory gives them): the object's two parts at once, when it is plain and large enough.
  const split: SplitReadInput = {
    s3: deps.s3,
    bucket,
    key,
    versionId: identity.versionId ?? versionId,
    etag: identity.etag,
    size: identity.size,
    start,
    ...(resumeFrom ? { resumeFrom } : {}),
    now: () => deps.clock.now(),
    deadline: deps.deadline,
    ...(deps.reads ? { reads: deps.reads } : {}),
  };
  index?.expect?.(identity.size);
  try {
    const plan = await planSplit(split, deps.twoThreads);
    if (plan) {
      return await verifyRangesOnTwoThreads(
        split,
        plan,
        {
          ...deps.twoThreads,
          observe: (taken, from) => {
            deps.log.info('read in two parts at once, on two threads', { ...base, from: start, at: plan.at, split: from, taken });
            deps.twoThreads?.observe?.(taken, from);
          },
        },
        index,
      );
    }
    // With the key index, the verifier's parser places its keys (copy-key-index.ts): the index is taken from this
    // very parse, with the verifier's own options, not from a second pass over the bytes.
    const indexed = index?.verifying((sink) => rdbVerifierParser(options, sink), resumeFrom);
    const oneThread = indexed ? verifierOver(indexed.parser, indexed.push, indexed.end) : createRdbVerifier(options);
    const feed = (take: () => Uint8Array[]): void => pushDecoded(oneThread, take);
    let offset = start;
    for await (const chunk of readRanges(deps.s3, {
      bucket,
      key,
      versionId: identity.versionId ?? versionId,
      etag: identity.etag,
      start,
      end: identity.size,
      ...deps.reads,
    })) {
      index?.push(chunk, offset);
      offset += chunk.length;
      if (unwrap) feed(() => unwrap.push(chunk));
      else oneThread.push(chunk);
      // Past the deadline, stop at the next key boundary (a pause asked only after a push: every invocation moves on).
      if (deps.clock.now() >= deps.deadline) {
        // A checkpoint is an offset into the object's bytes, which for a compressed copy are not the RDB's:
        // such a copy is verified within one invocation (at the verifier's speed, over 100 GB of RDB in 13 minutes).
        if (unwrap?.envelope) {
          throw new VerifyGaveUp(
            `s3://${bucket}/${key} is LZ4-compressed (Valkey rdbcompression lz4) and did not verify within one invocation: a compressed copy cannot be checkpointed; verify it with \`redis-dr verify-rdb s3://${bucket}/${key}\``,
          );
        }
        oneThread.pause();
      }
      const state = oneThread.state;
      if (state === 'paused' || state === 'failed') break;
    }
    if (unwrap && oneThread.state !== 'paused' && oneThread.state !== 'failed') feed(() => unwrap.end());
    return oneThread;
  } catch (err) {
    if (!(err instanceof ObjectChangedError)) throw err;
    deps.log.warn('the object changed while it was read: verifying again from byte 0', { ...base, error: describeError(err) });
    return 'changed';
  }
}
