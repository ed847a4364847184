/**
 * `redis-dr verify-copy --unproven`: the upgrade path for copies verified
 * before verdicts were objects (issue 53). Every DR copy that reads
 * `unproven` (a verdict tag without a verdict object naming its current
 * version) is handed to the DR verify state machine, a few at a time, and
 * each one's verdict is read back as `verify-copy` reads it: ok only when the
 * verifier's own verdict object now says ok. Nothing here writes a verdict;
 * the verifier does, or the copy stays unproven.
 */
import { mapConcurrent } from '../../adapters/aws/retry.js';
import { listObjects } from '../../adapters/aws/s3/objects.js';
import { readDrCopy } from '../../adapters/records/verdict-objects.js';
import { NO_VERDICT_OBJECT, UNPROVEN_VERDICT } from '../../domain/points/verdict-objects.js';
import { TAGS } from '../../domain/plans/types.js';
import { isDrCopyKey } from '../../domain/vault/vault-seed.js';
import type { OperatorAws, WaitOptions } from '../kernel/operator.js';
import { type VerifyCopyInput, type VerifyCopyResult, verifyOneCopy } from './verify-copy.js';
import { UNPROVEN_CONCURRENCY } from './verify-unproven-defaults.js';

export { UNPROVEN_CONCURRENCY };

/** Copies whose verdict is read at once while listing. */
const READ_CONCURRENCY = 16;

/** Where, and how. */
export interface VerifyUnprovenInput extends Pick<VerifyCopyInput, 'stateMachineArn' | 'region' | 'bucket'> {
  /** List the unproven copies only; start nothing. */
  readonly dryRun?: boolean;
  /** Verifications at once. @default UNPROVEN_CONCURRENCY */
  readonly concurrency?: number;
}

/** A copy that reads unproven, and why (readDrCopy's `untrusted`). */
export interface UnprovenCopy {
  readonly key: string;
  readonly why: string;
}

/** The run: the copies found unproven and, unless a dry run, each one's verification. */
export interface VerifyUnprovenResult {
  readonly bucket: string;
  /** Copies listed in the DR bucket. */
  readonly copies: number;
  readonly unproven: readonly UnprovenCopy[];
  readonly dryRun: boolean;
  /** One per unproven copy, in order (none on a dry run). */
  readonly results: readonly VerifyCopyResult[];
  /** True only when no copy was unproven, or every one was verified ok now; a dry run with any unproven copy is not ok. */
  readonly ok: boolean;
}

/** The DR bucket's copies that read unproven, in key order. */
async function unprovenCopies(aws: OperatorAws, region: string, bucket: string): Promise<{ copies: number; unproven: UnprovenCopy[] }> {
  const s3 = aws.s3(region);
  // Every export's copy is named rdr-… (the verifier and drills list the same prefix).
  const keys = (await listObjects(s3, bucket, 'rdr-'))
    .map((o) => o.key)
    .filter(isDrCopyKey)
    .sort();
  // Each copy's tags, version and verdict object read a few copies at a time (three calls each); a read that fails fails the run.
  const readings = await mapConcurrent(keys, READ_CONCURRENCY, (key) => readDrCopy(s3, bucket, key));
  const unproven = keys.flatMap((key, i) =>
    readings[i]!.tags[TAGS.verified] === UNPROVEN_VERDICT ? [{ key, why: readings[i]!.untrusted ?? `a verdict tag ${NO_VERDICT_OBJECT}` }] : [],
  );
  return { copies: keys.length, unproven };
}

/** A verification that could not be started or followed to its end: not ok, its error saying why (the other copies go on). */
function failedVerification(input: VerifyUnprovenInput, key: string, err: unknown): VerifyCopyResult {
  return { bucket: input.bucket, key, executionArn: '(unknown)', status: 'ERROR', error: err instanceof Error ? err.message : String(err), ok: false };
}

/**
 * Lists every unproven copy of the DR bucket and, unless `dryRun`, starts the
 * verifier on each (at most `concurrency` at once) and follows each to its
 * verdict. Ok only when every unproven copy now has an ok verdict object.
 */
export async function verifyUnproven(input: VerifyUnprovenInput, aws: OperatorAws, wait: WaitOptions): Promise<VerifyUnprovenResult> {
  const { copies, unproven } = await unprovenCopies(aws, input.region, input.bucket);
  const base = { bucket: input.bucket, copies, unproven, dryRun: input.dryRun === true };
  if (input.dryRun || unproven.length === 0) return { ...base, results: [], ok: unproven.length === 0 };
  const concurrency = Math.max(1, input.concurrency ?? UNPROVEN_CONCURRENCY);
  const results = new Array<VerifyCopyResult>(unproven.length);
  let next = 0;
  // Each copy's outcome is kept (a failed start or wait is that copy's), so not mapConcurrent, which stops at the first failure.
  const worker = async (): Promise<void> => {
    while (next < unproven.length) {
      const i = next++;
      const { key } = unproven[i]!;
      // One execution name per copy: copies started in the same second must not share one.
      results[i] = await verifyOneCopy(input, key, aws, wait, `cli-unproven-${i + 1}`).catch((err: unknown) => failedVerification(input, key, err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, unproven.length) }, worker));
  return { ...base, results, ok: results.every((r) => r.ok) };
}
