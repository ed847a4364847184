import { describeError, errorName } from '../../adapters/aws/errors.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import type { LogSink } from '../kernel/deps.js';
import { addObjectTags, getObjectRetention, getObjectTags, listObjects, putComplianceRetention } from '../../adapters/aws/s3/objects.js';
import { DEFAULT_COLLAPSE_THRESHOLD_PCT, type Collapse } from '../../domain/plans/collapse.js';
import type { CopyVerificationSettings } from '../../domain/plans/settings.js';
import { copySets, judgeCopySets, type CopyObject } from '../../domain/points/collapse-points.js';
import { setCopyTiers } from './collapse-copies.js';
import { headObject, ObjectChangedError, readRanges } from '../../adapters/aws/s3/ranges.js';
import type { MetricsSink } from '../../adapters/aws/metrics.js';
import type { RetryClock } from '../../adapters/aws/retry.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Page } from '../../domain/alerting/page.js';
import { parseExportObjectKey } from '../../domain/points/export-objects.js';
import { SEED_COPY_PREFIX } from '../../domain/vault/vault-seed.js';
import { parseSnapshotName } from '../../domain/plans/naming.js';
import { verdictTags } from '../../domain/points/rdb-summary.js';
import { createRdbVerifier, pushDecoded, rdbVerdict, type RdbReport, type RdbVerdict, type RdbVerifier } from '../../domain/rdb/verifier.js';
import { createRdbBytesDecoder } from '../../adapters/storage/rdb-envelope.js';
import { TAGS } from '../../domain/plans/types.js';
import { VERIFY_GAVE_UP } from '../../domain/dr-copies/verify-errors.js';
import { retentionHolds, vaultRetentionFor, type VaultTierDays } from '../../domain/vault/vault-retention.js';
import { vaultVerdictOf, verdictNamesReplica } from '../../domain/vault/vault-verdict.js';
import { readVaultVerdict, replicaVersion, vaultReplicaTags, writeVaultVerdict } from '../../adapters/records/vault-verdicts.js';
import { corruptAlert, type PageOrigin, targetOfKey, unsupportedAlert } from './verify-rdb-pages.js';
import { notCheckpointableReport, packCheckpoint, stateBytes, VERIFY_STATE_MAX_BYTES } from '../../domain/dr-copies/verify-state.js';
import type { S3ObjectEvent, VerifyProgressState, VerifyStepInput } from './verify-rdb-progress.js';
import { planSplit, type SplitReadInput, type TwoThreadSettings, verifyRangesOnTwoThreads } from './verify-rdb-split.js';

/**
 * verify-rdb (DR region): on every `.rdb` object created in (or re-tagged in)
 * the DR bucket, stream it through the RDB verifier and write the verdict as
 * object tags; count it; page on a corrupt copy. Never deletes or rewrites an
 * object: a corrupt copy is evidence, and the primary snapshot is untouched.
 *
 * Any size: one invocation verifies as much as its time allows, then pauses
 * the verifier at the next boundary between two keys and returns a
 * checkpoint (parser counts and CRC-64 state, a few KB; a Redis 8.10 file's
 * hash template registry adds an entry per template) with the object's
 * identity; the verify state machine (lib/constructs/dr-copies.ts) invokes it
 * again with that state until it is done. Why Step Functions rather than the
 * function invoking itself: the checkpoint lives in the execution's state, so
 * a failed invocation is retried from the last checkpoint by the state
 * machine's retry policy with nothing else to store; every step is visible
 * in the execution history; and a verification that cannot finish fails the
 * execution, which pages. Reads are parallel ranged GETs fed to the parser in
 * order, each with If-Match on the ETag, and a checkpoint is used only for
 * the object version (ETag, version id, size) it was taken on. A state larger
 * than Step Functions carries (domain/dr-copies/verify-state.ts: measured,
 * never cut) ends the verification as `unsupported`, "not verified: template
 * registry too large to checkpoint", paged with the command that verifies it
 * in one process.
 *
 * Why tag events too: S3 replaces an object's whole tag set when tags change,
 * and the export function tags the source objects after they were replicated;
 * if that change reaches this copy it drops our verdict. The object then has
 * tags but no verdict, and is verified again. Our own tagging also raises an
 * event; it finds the verdict present and does nothing.
 *
 * The vault (`deps.vaultVerdicts`): replication copies the workload
 * account's tags, forged verdicts included, so a verdict there is the object
 * `redis-dr-vault-verdicts/<key>.json` (domain/vault/vault-verdict.ts),
 * which only this verifier may write; a replica is "already verified" only
 * when that object names its version.
 */

export {
  type S3ObjectEvent,
  rdbCheckpointSchema,
  s3ObjectEventSchema,
  type VerifyProgress,
  type VerifyProgressState,
  type VerifyStepInput,
  type VerifyInvocation,
  verifyInvocationSchema,
  verifyProgressSchema,
  verifyStepSchema,
} from './verify-rdb-progress.js';
export { corruptAlert, type PageOrigin, unsupportedAlert } from './verify-rdb-pages.js';

/** What one invocation returns to the state machine: done with an outcome, or the state to continue from. */
export type VerifyStepResult =
  | { readonly done: true; readonly event: S3ObjectEvent; readonly outcome: VerifyOutcome }
  | {
      readonly done: false;
      readonly event: S3ObjectEvent;
      /** The checkpoint's template registry packed (verifyProgressSchema unpacks it). */
      readonly progress?: VerifyProgressState;
      readonly restarts?: number;
      /**
       * The vault: the replica carries none of the export's tags yet; the state machine waits, then invokes
       * again. Until when the replica waits for them (ISO instant), then it is kept for the longest tier.
       */
      readonly awaitTier?: string;
    };

/**
 * Invocations one verification may take: at the default budget (13 minutes
 * each) and a slow 50 MB/s this is over 2 TB; more means it is not moving.
 */
export const MAX_VERIFY_INVOCATIONS = 50;
/** Times an object may change under a verification before it gives up (each change restarts from byte 0). */
export const MAX_VERIFY_RESTARTS = 3;

/**
 * A verification that cannot succeed by trying again (no progress, too many
 * invocations or changes): its name is the Lambda error type the state
 * machine does not retry.
 */
export class VerifyGaveUp extends Error {
  override readonly name = VERIFY_GAVE_UP;
}

/**
 * A vault replica that carries none of the export's tags yet, within the
 * grace: its tier (and so its retention) is not known. Not an error: the
 * step returns `awaitTier` and the vault's verify state machine waits and
 * invokes it again (lib/constructs/dr-copies.ts).
 */
class VaultTierPending extends Error {
  constructor(readonly graceEnds: Date) {
    super(`the replica's tier is not known before ${graceEnds.toISOString()}`);
  }
}

/** The retention a vault replica was found or left with (read back from S3). */
export interface RetentionOutcome {
  readonly tier: string;
  readonly days: number;
  /** The retain-until date read back. */
  readonly retainUntil: string;
  /** PutObjectRetention was called (the date read before was earlier). */
  readonly extended: boolean;
}

/** What one verification did. */
export interface VerifyOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /**
   * `verified`: verdict written now; `already-verified`; `gone`: the object (version) no longer exists;
   * `not-a-copy`: a vault drill's seed copy (its replica was verified in the vault), read and tagged by nobody here.
   */
  readonly action: 'verified' | 'already-verified' | 'gone' | 'not-a-copy';
  /** `unsupported`: a format the verifier cannot judge (a newer engine's): neither verified nor corrupt. */
  readonly verdict?: RdbVerdict;
  readonly keys?: number;
  readonly bytes?: number;
  readonly seconds?: number;
  /** Lambda invocations the verification took (more than one for a copy too large for one). */
  readonly invocations?: number;
  readonly error?: { readonly offset: number; readonly message: string };
  /** The vault: the replica's COMPLIANCE retention, read back (when this invocation ensured it). */
  readonly retention?: RetentionOutcome;
  /**
   * The vault: the key of the verdict object written and read back; absent when the version verified was no
   * longer the current one (the newer version's own event verifies it).
   */
  readonly verdictObject?: string;
}

/** Everything a verification needs from the outside world. */
export interface VerifyDeps {
  readonly s3: S3Client;
  /** Publishes a page to the region's alert topic. */
  readonly alert: (page: Page) => Promise<void>;
  /** The deployment and region every page names. */
  readonly where: PageOrigin;
  readonly metrics: MetricsSink;
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
  /** Each plan's `collapseThresholdPct` (the copies' `redis-dr:plan` tag); absent plans: the default, 50. */
  readonly collapseThresholdPct?: Readonly<Record<string, number>>;
  /**
   * The vault only: each tier's COMPLIANCE retention in days. Every replica's
   * retain-until date is extended to its tier's days after it landed and read
   * back before it is verified (and again when its verdict is found). Absent
   * (DR copies): no retention is touched.
   */
  readonly retention?: VaultTierDays;
  /**
   * The vault: the verdict is kept as an object under the reserved prefix
   * (domain/vault/vault-verdict.ts), written and read back here, and a
   * replica counts as verified only when that object names its version. Tags
   * on replicas are never taken as verdicts: S3 replication copies them
   * from the workload account. (Verdict tags are still written, for people.)
   * @default false (DR copies: the verdict is the tags)
   */
  readonly vaultVerdicts?: boolean;
  /** @internal The two-thread path's settings (verify-rdb-split.ts): the tests lower its threshold and watch it. */
  readonly twoThreads?: TwoThreadSettings;
}

/**
 * The deps a verification takes from the settings its task sent
 * (`verifyInvocationSchema`): the plans' collapse thresholds and, in the
 * vault, the tiers' days, whose presence also makes verdicts objects.
 */
export function settingsDeps(settings: CopyVerificationSettings): Pick<VerifyDeps, 'collapseThresholdPct' | 'retention' | 'vaultVerdicts'> {
  const retention = settings.vaultRetentionDays;
  return { collapseThresholdPct: settings.collapseThresholdPct, ...(retention ? { retention, vaultVerdicts: true } : {}) };
}

const GONE = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);

/**
 * One invocation of a verification: from the start, or from `progress`.
 * Returns `done` with the outcome once the verdict is tagged (and paged), or
 * the progress to invoke it with again. Throws on read, tagging or alert
 * failures (the state machine retries the invocation from the same progress).
 */
export async function verifyStep(input: VerifyStepInput, deps: VerifyDeps): Promise<VerifyStepResult> {
  const { event } = input;
  const bucket = event.detail.bucket.name;
  const key = event.detail.object.key;
  const versionId = event.detail.object['version-id'];
  const base = { bucket, key, versionId };
  const target = targetOfKey(key);
  const dims = { [DIMENSION.bucket]: bucket };
  const targetDims = { ...dims, [DIMENSION.target]: target };
  let restarts = input.restarts ?? 0;
  /** Another version of the object met: from byte 0 again, up to MAX_VERIFY_RESTARTS times. */
  const restart = (): number => {
    if (++restarts > MAX_VERIFY_RESTARTS) {
      throw new VerifyGaveUp(`s3://${bucket}/${key} changed ${restarts} times during its verification; giving up (a new version raises its own event)`);
    }
    return restarts;
  };
  const done = (outcome: VerifyOutcome): VerifyStepResult => ({ done: true, event, outcome });
  // A vault drill's seed copy lands in the DR bucket for the length of one drill and is deleted after it: it is no
  // DR copy (no export tags, no recovery point of this bucket), and its replica's verdict is the vault's.
  if (key.startsWith(SEED_COPY_PREFIX)) {
    deps.log.info("a vault drill's seed copy, not a DR copy: not verified here", base);
    return done({ ...base, action: 'not-a-copy' });
  }

  try {
    const current = await getObjectTags(deps.s3, bucket, key, versionId);
    const already = await verdictFound(bucket, key, versionId, current, deps);
    if (already) {
      deps.log.info('already verified', { ...base, verdict: already });
      // A retry after the tripwire failed finds the verdict written: the check runs again (for the newest set only).
      if (already === 'ok') await collapseCheck(bucket, key, target, undefined, deps, true);
      // The tier may have changed since (a collapse holds the copy): the retention follows it, never back.
      const retention = deps.retention
        ? await ensureRetention(bucket, key, current, await headObject(deps.s3, bucket, key, versionId), deps.retention, deps)
        : undefined;
      return done({
        ...base,
        action: 'already-verified',
        verdict: already === 'ok' || already === 'unsupported' ? already : 'corrupt',
        ...(retention ? { retention } : {}),
      });
    }

    const identity = await headObject(deps.s3, bucket, key, versionId);
    // The vault: the replica is locked for its tier before a byte is read (a replica still waiting for its tier
    // costs one call, not a read). Once: a retention only grows, so later invocations need not look again.
    const retention = deps.retention && !input.progress ? await ensureRetention(bucket, key, current, identity, deps.retention, deps) : undefined;
    let progress = input.progress;
    if (progress && (progress.size !== identity.size || progress.etag !== identity.etag || progress.versionId !== identity.versionId)) {
      // Never a checkpoint of one version on another's bytes.
      deps.log.warn('the object changed since the last checkpoint: verifying again from byte 0', {
        ...base,
        checkpointOf: { size: progress.size, etag: progress.etag, versionId: progress.versionId },
        now: identity,
      });
      progress = undefined;
      restart();
    }
    const invocations = (progress?.invocations ?? 0) + 1;
    if (invocations > MAX_VERIFY_INVOCATIONS) {
      throw new VerifyGaveUp(
        `s3://${bucket}/${key}: verification not finished after ${MAX_VERIFY_INVOCATIONS} invocations (at byte ${progress?.checkpoint.offset} of ${identity.size})`,
      );
    }
    const startedAt = progress?.startedAt ?? deps.clock.now();
    const start = progress?.checkpoint.offset ?? 0;

    // DR copies are ElastiCache exports, which always carry a CRC-64: a zeroed trailer is a failure here.
    const oneThread = createRdbVerifier({ requireChecksum: true, ...(progress ? { resumeFrom: progress.checkpoint } : {}) });
    /** The parser that holds the verdict: this one, or the two-thread path's. */
    let verifier: Pick<RdbVerifier, 'checkpoint' | 'end'> = oneThread;
    // A copy in Valkey's compressed envelope (rdbcompression lz4) is verified as the RDB it holds. Only from byte 0:
    // a checkpoint is taken on plain files only (see below), so a resumed verification reads a plain file.
    const unwrap = start === 0 ? await createRdbBytesDecoder() : undefined;
    const feed = (take: () => Uint8Array[]): void => pushDecoded(oneThread, take);
    // Two vCPUs (the function's memory gives them): the object's two parts at once, when it is plain and large enough.
    const split: SplitReadInput = {
      s3: deps.s3,
      bucket,
      key,
      versionId: identity.versionId ?? versionId,
      etag: identity.etag,
      size: identity.size,
      start,
      ...(progress ? { resumeFrom: progress.checkpoint } : {}),
      now: () => deps.clock.now(),
      deadline: deps.deadline,
      ...(deps.reads ? { reads: deps.reads } : {}),
    };
    try {
      const plan = await planSplit(split, deps.twoThreads);
      if (plan) {
        verifier = await verifyRangesOnTwoThreads(split, plan, {
          ...deps.twoThreads,
          observe: (taken, from) => {
            deps.log.info('read in two parts at once, on two threads', { ...base, from: start, at: plan.at, split: from, taken });
            deps.twoThreads?.observe?.(taken, from);
          },
        });
      } else
        for await (const chunk of readRanges(deps.s3, {
          bucket,
          key,
          versionId: identity.versionId ?? versionId,
          etag: identity.etag,
          start,
          end: identity.size,
          ...deps.reads,
        })) {
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
      if (!plan && unwrap && oneThread.state !== 'paused' && oneThread.state !== 'failed') feed(() => unwrap.end());
    } catch (err) {
      if (!(err instanceof ObjectChangedError)) throw err;
      deps.log.warn('the object changed while it was read: verifying again from byte 0', { ...base, error: describeError(err) });
      return { done: false, event, restarts: restart() };
    }

    const checkpoint = verifier.checkpoint();
    let report: RdbReport | undefined;
    if (checkpoint) {
      if (checkpoint.offset <= start) throw new VerifyGaveUp(`s3://${bucket}/${key}: no key boundary reached after byte ${start} within one invocation`);
      const next: VerifyProgressState = {
        size: identity.size,
        etag: identity.etag,
        versionId: identity.versionId,
        startedAt,
        invocations,
        checkpoint: packCheckpoint(checkpoint),
      };
      const paused: VerifyStepResult = { done: false, event, progress: next, ...(restarts > 0 ? { restarts } : {}) };
      // Measured as Step Functions will carry it: a state past its quota would fail the execution, a cut one would
      // call keys of a template it dropped corrupt. Too large (a Redis 8.10 file's template registry), the copy is
      // not verified here, and says why.
      const bytes = stateBytes(paused);
      if (bytes <= VERIFY_STATE_MAX_BYTES) {
        deps.log.info('verification paused at a checkpoint; the state machine continues it', {
          ...base,
          offset: checkpoint.offset,
          size: identity.size,
          percent: Math.round((checkpoint.offset / Math.max(1, identity.size)) * 1000) / 10,
          keys: checkpoint.keys,
          invocations,
          stateBytes: bytes,
        });
        return paused;
      }
      report = notCheckpointableReport(verifier.end(), checkpoint, bytes);
    }

    report ??= verifier.end();
    // The verification failed (its /tmp full, a spill not read back): no verdict on the copy, no tag, no page for a
    // corrupt copy; the invocation fails with the cause and is retried.
    if (report.verifierFailure) throw new Error(`the verification of s3://${bucket}/${key} failed, not the copy: ${report.error?.message ?? 'unknown'}`);
    const verdict = rdbVerdict(report);
    const seconds = (deps.clock.now() - startedAt) / 1000;

    // A corrupt copy is paged before its verdict is tagged: a retry after a failed page finds no verdict and pages
    // again (a page twice rather than none; once tagged, a retry stops at "already verified"). A copy in a format
    // the verifier cannot judge pages apart, as what it is: redis-dr is behind the engine, the copy is not damaged.
    if (verdict === 'corrupt') await deps.alert(corruptAlert(bucket, key, versionId, target, current, report, deps.where));
    if (verdict === 'unsupported') await deps.alert(unsupportedAlert(bucket, key, versionId, target, current, report, deps.where));
    // The vault: the verdict that counts is the object, written and read back before the tags, so the tag event
    // our own tagging raises finds it and does nothing (a retry before it verifies again).
    const verdictObject = deps.vaultVerdicts ? await storeVaultVerdict(bucket, key, identity, report, deps) : undefined;
    // The verdict goes on the version that was read. Tags re-read just before writing: a replicated tag change may have landed meanwhile.
    await addObjectTags(deps.s3, bucket, key, verdictTags(report), { versionId: identity.versionId ?? versionId });

    const counted = verdict === 'ok' ? METRIC.rdbVerified : verdict === 'unsupported' ? METRIC.rdbUnsupported : METRIC.rdbCorrupt;
    deps.metrics.put(counted, 1, 'Count', targetDims);
    deps.metrics.put(counted, 1, 'Count', dims);
    deps.metrics.put(METRIC.rdbVerifySeconds, seconds, 'Seconds', dims);
    if (report.ok) deps.metrics.put(METRIC.rdbKeys, report.keys, 'Count', targetDims);
    // The tripwire, once the verdict is on the copy (a shard verified at the same time then sees it): throws when
    // holding failed, and the state machine's retry runs it again.
    if (report.ok) await collapseCheck(bucket, key, target, { ...current, ...verdictTags(report) }, deps, false);

    const outcome: VerifyOutcome = {
      ...base,
      action: 'verified',
      verdict,
      keys: report.keys,
      bytes: identity.size,
      seconds,
      invocations,
      error: report.error,
      ...(retention ? { retention } : {}),
      ...(verdictObject ? { verdictObject } : {}),
    };
    if (report.ok) {
      const found = {
        ...outcome,
        version: report.version,
        byType: report.byType,
        ...(report.emptyKeys ? { emptyKeys: report.emptyKeys } : {}),
        ...(report.expiredKeys ? { expiredKeys: report.expiredKeys } : {}),
        ...(report.moduleTypes ? { moduleTypes: report.moduleTypes } : {}),
        ...(report.moduleAux ? { moduleAux: report.moduleAux } : {}),
        ...(report.slotImports ? { slotImports: report.slotImports, slotImportJobs: report.slotImportJobs } : {}),
        ...(report.duplicateCheck ? { duplicateCheck: report.duplicateCheck } : {}),
        // Partial duplicate-key check (resumed from a checkpoint, or sampled past 2^21 keys in one invocation): said, not hidden.
        ...(report.duplicateKeyCheck ? { duplicateKeyCheck: report.duplicateKeyCheck } : {}),
        // Valid, on conditions (the summary tag carries both: dbs=… and fn=N).
        ...(report.needsDatabases ? { needsDatabases: report.needsDatabases } : {}),
        ...(report.functionLibraries ? { functionLibraries: report.functionLibraries } : {}),
      };
      // Valid as Redis loads it, but what sanitize-dump-payload yes would refuse is worth a look: logged as a warning.
      if (report.warningCount) deps.log.warn('DR copy verified, with warnings', { ...found, warningCount: report.warningCount, warnings: report.warnings });
      else deps.log.info('DR copy verified', found);
    } else if (verdict === 'unsupported') {
      deps.log.warn('DR copy is in a format this verifier cannot judge: not verified, not corrupt', {
        ...outcome,
        version: report.version,
        unsupported: report.unsupported,
      });
    } else {
      deps.log.error('DR copy is corrupt', { ...outcome, version: report.version, checksum: report.checksum });
    }
    return done(outcome);
  } catch (err) {
    if (GONE.has(errorName(err))) {
      deps.log.warn('object no longer exists; nothing to verify', { ...base, error: describeError(err) });
      return done({ ...base, action: 'gone' });
    }
    if (err instanceof VaultTierPending) {
      deps.log.info('replica carries no export tags yet: its tier decides its retention; the state machine waits and looks again', {
        ...base,
        graceEnds: err.graceEnds.toISOString(),
      });
      return { done: false, event, awaitTier: err.graceEnds.toISOString(), ...(restarts > 0 ? { restarts } : {}) };
    }
    deps.metrics.put(METRIC.rdbVerifyErrors, 1, 'Count', dims);
    deps.log.error('verification could not finish this step; the state machine retries it from the last checkpoint', { ...base, error: describeError(err) });
    throw err;
  }
}

/**
 * The verdict already given to this version, if any. DR copies: the verdict
 * tag. The vault: the verdict object, only when it names this version (id
 * and ETag); a verdict tag there may have come by replication from the
 * workload account and is never taken (logged, and verified over).
 */
async function verdictFound(
  bucket: string,
  key: string,
  versionId: string | undefined,
  tags: Readonly<Record<string, string>>,
  deps: VerifyDeps,
): Promise<string | undefined> {
  if (!deps.vaultVerdicts) return tags[TAGS.verified];
  const [version, stored] = await Promise.all([replicaVersion(deps.s3, bucket, key, { versionId }), readVaultVerdict(deps.s3, bucket, key)]);
  if (stored.verdict && verdictNamesReplica(stored.verdict, version)) return stored.verdict.verdict;
  if (stored.verdict) {
    deps.log.info('the verdict object is about another version of the replica: verifying this one', {
      bucket,
      key,
      verdictOf: stored.verdict.replica,
      version,
    });
  }
  if (tags[TAGS.verified]) {
    deps.log.warn('replica carries a verdict tag the vault did not write (replicated from the workload account?): not trusted, verifying', {
      bucket,
      key,
      tag: tags[TAGS.verified],
    });
  }
  return undefined;
}

/**
 * The vault: writes the verdict object of the version verified and reads it
 * back; nothing when that version is no longer the current one (a verdict
 * names the replica readers see: the newer version's own event verifies it).
 */
async function storeVaultVerdict(
  bucket: string,
  key: string,
  verified: { readonly size: number; readonly etag?: string; readonly versionId?: string },
  report: RdbReport,
  deps: VerifyDeps,
): Promise<string | undefined> {
  const now = await replicaVersion(deps.s3, bucket, key);
  if (now.versionId !== verified.versionId || now.etag !== verified.etag) {
    deps.log.warn('a newer version of the replica landed during its verification: no verdict object for the older one', {
      bucket,
      key,
      verified,
      current: now,
    });
    return undefined;
  }
  const written = await writeVaultVerdict(deps.s3, bucket, vaultVerdictOf(report, { key, ...verified }, new Date(deps.clock.now())));
  deps.log.info('vault verdict object written and read back', { bucket, key, verdictObject: written, versionId: verified.versionId });
  return written;
}

/** A copy's tags for the keyspace-collapse tripwire: the vault's with the verdict object's in place of any verdict tag. */
function copyTags(bucket: string, key: string, deps: VerifyDeps): Promise<Record<string, string>> {
  return deps.vaultVerdicts ? vaultReplicaTags(deps.s3, bucket, key) : getObjectTags(deps.s3, bucket, key);
}

/**
 * The vault: extends the replica's COMPLIANCE retain-until date to its
 * tier's days after it landed (unknown tier: the longest), then reads it
 * back. Throws {@link VaultTierPending} while the replica waits for the
 * export's tags (the step returns `awaitTier`), and an Error when the retention read back is not
 * COMPLIANCE until at least that date: a replica counts as kept only once
 * S3 says so.
 */
async function ensureRetention(
  bucket: string,
  key: string,
  tags: Readonly<Record<string, string>>,
  identity: { readonly versionId?: string; readonly lastModified?: Date },
  days: VaultTierDays,
  deps: VerifyDeps,
): Promise<RetentionOutcome> {
  const where = `s3://${bucket}/${key}${identity.versionId ? ` (version ${identity.versionId})` : ''}`;
  if (!identity.lastModified) throw new Error(`${where}: HeadObject answered without a Last-Modified; the retention cannot be dated`);
  const decision = vaultRetentionFor(tags, identity.lastModified, new Date(deps.clock.now()), days);
  if (decision.kind === 'await-tier') throw new VaultTierPending(decision.graceEnds);
  if (decision.why) deps.log.warn('replica of no known tier: kept for the longest tier', { bucket, key, why: decision.why, days: decision.days });
  const before = await getObjectRetention(deps.s3, bucket, key, { versionId: identity.versionId });
  const extended = !retentionHolds(before, decision.retainUntil);
  if (extended) await putComplianceRetention(deps.s3, bucket, key, decision.retainUntil, identity.versionId);
  const after = extended ? await getObjectRetention(deps.s3, bucket, key, { versionId: identity.versionId }) : before;
  if (!retentionHolds(after, decision.retainUntil)) {
    throw new Error(
      `${where}: retention read back is ${after?.mode ?? 'none'} until ${after?.retainUntil?.toISOString() ?? 'never'}, ` +
        `not COMPLIANCE until ${decision.retainUntil.toISOString()} (tier ${decision.tier}, ${decision.days} days): the replica is not kept as promised`,
    );
  }
  const outcome = { tier: decision.tier, days: decision.days, retainUntil: after!.retainUntil!.toISOString(), extended };
  deps.log.info(extended ? 'replica retention extended and read back' : 'replica retention already held', { bucket, key, ...outcome });
  return outcome;
}

/**
 * The keyspace-collapse tripwire on DR copies: the verifier's key counts of
 * one export, summed over its shards once every shard was verified intact,
 * judged against the fullest good export of the same target in the collapse window (7 days). On a
 * collapse the copies of every earlier good export get the tier tag
 * `held-<tier>` (no lifecycle rule matches it) and `KeyspaceCollapsed` is 1.
 * Objects have no tag left for a mark (MAX_OBJECT_TAGS): verdicts are
 * recomputed from the counts, and only the export just completed is acted
 * on, so a release (`retention release`) stays released. `newestOnly`: act
 * only when the export is the target's newest (the re-run of a retry, which
 * tag events of older copies also reach). Throws when holding failed.
 */
async function collapseCheck(
  bucket: string,
  key: string,
  target: string,
  ownTags: Readonly<Record<string, string>> | undefined,
  deps: VerifyDeps,
  newestOnly: boolean,
): Promise<Collapse | undefined> {
  const self = parseExportObjectKey(key.split('/').pop() ?? key);
  if (!self || target === 'unknown') return undefined;
  const prefix = `${key.slice(0, key.length - (key.split('/').pop() ?? key).length)}rdr-${target}-`;
  const listed = (await listObjects(deps.s3, bucket, prefix)).filter((o) => {
    const p = parseExportObjectKey(o.key.split('/').pop() ?? o.key);
    return p !== undefined && parseSnapshotName(p.snapshot)?.target === target;
  });
  const timeOf = (k: string) => parseSnapshotName(parseExportObjectKey(k.split('/').pop() ?? k)!.snapshot)!.at.getTime();
  const selfAt = parseSnapshotName(self.snapshot)?.at.getTime() ?? 0;
  if (newestOnly && listed.some((o) => timeOf(o.key) > selfAt)) return undefined;
  // Tags of this target's copies up to this one (later ones cannot change its verdict).
  const objects: CopyObject[] = [];
  for (const o of listed) {
    if (timeOf(o.key) > selfAt) continue;
    const tags = o.key === key && ownTags ? ownTags : await copyTags(bucket, o.key, deps);
    objects.push({ key: o.key, size: o.size, tags });
  }
  const sets = copySets(objects, (snapshot) => parseSnapshotName(snapshot)?.at);
  const mine = sets.find((x) => x.exportName === self.exportName);
  if (!mine || mine.keys === undefined) return undefined;
  const plan = mine.objects.map((o) => o.tags[TAGS.plan]).find((p) => p !== undefined);
  const threshold = (plan !== undefined ? deps.collapseThresholdPct?.[plan] : undefined) ?? DEFAULT_COLLAPSE_THRESHOLD_PCT;
  const verdicts = judgeCopySets(sets, threshold);
  const collapse = verdicts.get(mine.exportName);
  const dims = { [DIMENSION.bucket]: bucket };
  deps.metrics.put(METRIC.keyspaceCollapsed, collapse ? 1 : 0, 'Count', { ...dims, [DIMENSION.target]: target });
  deps.metrics.put(METRIC.keyspaceCollapsed, collapse ? 1 : 0, 'Count', dims);
  if (!collapse) return undefined;
  deps.log.error('keyspace collapsed: DR copy holds far fewer keys than the copy before; the earlier copies are held', { bucket, target, collapse });
  const earlier = sets.filter((x) => x.createdAt.getTime() < mine.createdAt.getTime() && !verdicts.has(x.exportName));
  const change = await setCopyTiers(
    deps.s3,
    bucket,
    earlier.flatMap((x) => x.objects.map((o) => o.key)),
    true,
  );
  for (const c of change.changed)
    deps.log.warn('DR copy held: a later copy of the target collapsed', { bucket, key: c.key, from: c.from, to: c.to, collapsed: collapse.point });
  if (change.failed.length > 0) {
    throw new Error(
      `keyspace collapse at ${collapse.point}: holding ${change.failed.length} earlier DR copies failed: ${change.failed.map((f) => `${f.key}: ${f.error}`).join('; ')}`,
    );
  }
  return collapse;
}
