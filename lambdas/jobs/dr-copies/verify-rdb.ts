import { describeError, errorName } from '../../adapters/aws/errors.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import { addObjectTags, getObjectRetention, getObjectTags, listObjects, putComplianceRetention } from '../../adapters/aws/s3/objects.js';
import { DEFAULT_COLLAPSE_THRESHOLD_PCT, type Collapse } from '../../domain/plans/collapse.js';
import type { CopyVerificationSettings } from '../../domain/plans/settings.js';
import { copySets, judgeCopySets, type CopyObject } from '../../domain/points/collapse-points.js';
import { putCollapsedMetrics, setCopyTiers } from './collapse-copies.js';
import { COLLAPSE_RELEASE_PREFIX, type CollapseMark, collapseMarkKey, releasesOfKeys } from '../../domain/points/collapse-records.js';
import { collapseMarkValue } from '../../domain/points/collapse-points.js';
import { writeCollapseRecord } from '../../adapters/records/collapse-records.js';
import { headObject, type ObjectIdentity } from '../../adapters/aws/s3/ranges.js';
import type { MetricsSink } from '../../adapters/aws/metrics.js';
import type { Page } from '../../domain/alerting/page.js';
import { parseExportObjectKey } from '../../domain/points/export-objects.js';
import { splitAccountKey } from '../../domain/points/account-prefix.js';
import { SEED_COPY_PREFIX } from '../../domain/vault/vault-seed.js';
import { parseSnapshotName } from '../../domain/plans/naming.js';
import { verdictTags } from '../../domain/points/rdb-summary.js';
import { rdbVerdict, type RdbReport, type RdbVerdict, type RdbVerifier } from '../../domain/rdb/verifier.js';
import { TAGS } from '../../domain/plans/types.js';
import { retentionHolds, vaultRetentionFor, type VaultTierDays } from '../../domain/vault/vault-retention.js';
import type { AsyncSigner } from '../../domain/attest/chain.js';
import { corruptAlert, type PageOrigin, targetOfKey, unsupportedAlert } from './verify-rdb-pages.js';
import { notCheckpointableReport, packCheckpoint, stateBytes, VERIFY_STATE_MAX_BYTES } from '../../domain/dr-copies/verify-state.js';
import type { S3ObjectEvent, VerifyProgressState, VerifyStepInput } from './verify-rdb-progress.js';
import { type CopyReadDeps, type CopyToRead, readCopy, VerifyGaveUp } from './verify-rdb-read.js';
import { copyTags, storeVerdict, verdictFound } from './verify-rdb-verdict.js';
import {
  CopyKeyIndex,
  duplicatesOverAll,
  followCopyTags,
  type IndexedObject,
  lifecycleTags,
  writeCopyKeyIndex,
  writeCopyKeySegment,
} from './copy-key-index.js';

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
 * The verdict that counts is an object, `redis-dr-verdicts/<key>.json` in
 * the DR bucket and `redis-dr-vault-verdicts/<key>.json` in the vault
 * (domain/points/verdict-objects.ts), which only this verifier may write: in
 * the vault replication copies the workload account's tags, forged verdicts
 * included, and in the DR bucket whoever may tag a copy (the operator's
 * `retention release`) can put a different summary over an `ok` verdict. A
 * copy is "already verified" only when that object names its version; the
 * tags are written after it, for people.
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
export { VerifyGaveUp } from './verify-rdb-read.js';

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
   * The key of the verdict object written and read back; absent when the version verified was no
   * longer the current one (the newer version's own event verifies it).
   */
  readonly verdictObject?: string;
}

/** Everything a verification needs from the outside world (reading the copy: CopyReadDeps). */
export interface VerifyDeps extends CopyReadDeps {
  /** Publishes a page to the region's alert topic. */
  readonly alert: (page: Page) => Promise<void>;
  /** The deployment and region every page names. */
  readonly where: PageOrigin;
  readonly metrics: MetricsSink;
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
   * The vault: verdict objects under the vault's prefix, and the replica's
   * tags never taken as verdicts (S3 replication copies them from the
   * workload account). Otherwise the DR bucket's prefix: a verdict tag
   * without its object is verified again.
   * @default false (the DR bucket)
   */
  readonly vaultVerdicts?: boolean;
  /**
   * The evidence key of the verifier's place (KMS, lambdas/adapters/aws/kms-signer.ts: the DR stack's in the DR
   * region, the vault's in the vault account): each verdict is signed as the next record of its bucket's verdict chain
   * (adapters/records/verdict-chain.ts) before it is written, and its verdict object is that signed record. A failed
   * Sign fails the step: no verdict is stored unsigned.
   * @default none (verdicts unsigned: a stack without the key)
   */
  readonly signer?: AsyncSigner;
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

/** One invocation's copy: the event, where the object is, what its logs and metrics name, and the restarts so far. */
interface Invocation extends CopyToRead {
  readonly event: S3ObjectEvent;
  readonly versionId: string | undefined;
  readonly base: { readonly bucket: string; readonly key: string; readonly versionId: string | undefined };
  readonly target: string;
  readonly dims: Record<string, string>;
  readonly targetDims: Record<string, string>;
  /** An organization's vault: the replica's account (its key's `<account>/<region>/` prefix) as a dimension too. */
  readonly accountDims: Record<string, string> | undefined;
  restarts: number;
}

/** Where one invocation's verification starts: fresh, or from the checkpoint of the same object version. */
interface Resume {
  readonly progress: VerifyStepInput['progress'];
  readonly invocations: number;
  readonly startedAt: number;
  readonly start: number;
}

/**
 * One invocation of a verification: from the start, or from `progress`.
 * Returns `done` with the outcome once the verdict is tagged (and paged), or
 * the progress to invoke it with again. Throws on read, tagging or alert
 * failures (the state machine retries the invocation from the same progress).
 */
export async function verifyStep(input: VerifyStepInput, deps: VerifyDeps): Promise<VerifyStepResult> {
  const at = invocationOf(input);
  // A vault drill's seed copy lands in the DR bucket for the length of one drill and is deleted after it: it is no
  // DR copy (no export tags, no recovery point of this bucket), and its replica's verdict is the vault's.
  if (at.key.startsWith(SEED_COPY_PREFIX)) {
    deps.log.info("a vault drill's seed copy, not a DR copy: not verified here", at.base);
    return done(at, { ...at.base, action: 'not-a-copy' });
  }
  try {
    const current = await getObjectTags(deps.s3, at.bucket, at.key, at.versionId);
    const already = await verdictFound(at.bucket, at.key, at.versionId, current, deps);
    if (already) return done(at, await confirmVerdict(at, already, current, deps));
    const identity = await headObject(deps.s3, at.bucket, at.key, at.versionId);
    // The vault: the replica is locked for its tier before a byte is read (a replica still waiting for its tier
    // costs one call, not a read). Once: a retention only grows, so later invocations need not look again.
    const retention = deps.retention && !input.progress ? await ensureRetention(at.bucket, at.key, current, identity, deps.retention, deps) : undefined;
    const resume = resumeOf(at, input.progress, identity, deps);
    // The key index beside the copy: from the bytes this read hands it, from where the verifier resumes (its checkpoint).
    const index = new CopyKeyIndex(`s3://${at.bucket}/${at.key}`, resume.start);
    const verifier = await readCopy(at, identity, resume.start, resume.progress?.checkpoint, deps, index);
    if (verifier === 'changed') return { done: false, event: at.event, restarts: restart(at) };
    const ended = pauseOrEnd(at, verifier, identity, resume, deps);
    const copy = indexedObject(at, identity, current, deps);
    if ('done' in ended) return await keySegmentBeside(at, copy, index, resume, ended, deps);
    // A resumed verification's check for a key stored twice completed over every invocation's keys (its index's).
    const report = await duplicatesOverAll(deps.s3, copy, index, resume.progress?.keyIndexParts, ended, (err) =>
      deps.log.warn('the key index was not made before the verdict: its check for a key stored twice stays partial', { ...at.base, error: describeError(err) }),
    );
    const outcome = await recordVerdict(at, report, current, identity, resume, retention, deps);
    logVerdict(outcome, report, deps);
    if (outcome.verdict === 'ok') await keyIndexBeside(at, copy, index, resume, deps);
    return done(at, outcome);
  } catch (err) {
    return stepFailed(at, err, deps);
  }
}

/** The copy as its key index names it; in the DR bucket with its lifecycle tags (the vault's lifecycle reads none). */
function indexedObject(at: Invocation, identity: ObjectIdentity, tags: Readonly<Record<string, string>>, deps: VerifyDeps): IndexedObject {
  return {
    bucket: at.bucket,
    key: at.key,
    versionId: identity.versionId ?? at.versionId,
    etag: identity.etag,
    size: identity.size,
    tags: deps.retention ? {} : lifecycleTags(tags),
  };
}

/**
 * A paused invocation's keys put beside the copy as a segment of its index
 * (copy-key-index.ts), their boundaries added to the progress; logged, never
 * failing the verification (without every segment the last invocation
 * writes no index, and serve reads the copy whole).
 */
async function keySegmentBeside(at: Invocation, copy: IndexedObject, index: CopyKeyIndex, resume: Resume, paused: VerifyStepResult, deps: VerifyDeps) {
  if (paused.done || !paused.progress) return paused;
  const before = resume.start === 0 ? [0] : resume.progress?.keyIndexParts;
  const end = paused.progress.checkpoint.offset;
  let parts: number[] | undefined;
  try {
    const segment = before ? await writeCopyKeySegment(deps.s3, copy, index, end, deps.retention !== undefined) : 'an earlier segment is missing';
    if (typeof segment === 'string') deps.log.info(`no key index segment: ${segment}`, at.base);
    else parts = [...before!, end];
  } catch (err) {
    deps.log.warn('the key index segment beside the copy was not written: the copy gets no index', { ...at.base, error: describeError(err) });
  }
  return { ...paused, progress: { ...paused.progress, ...(parts ? { keyIndexParts: parts } : {}) } };
}

/** The key index beside a copy judged `ok` (copy-key-index.ts); logged, never failing the verification (serve then reads the copy whole). */
async function keyIndexBeside(at: Invocation, copy: IndexedObject, index: CopyKeyIndex, resume: Resume, deps: VerifyDeps): Promise<void> {
  try {
    const did = await writeCopyKeyIndex(deps.s3, copy, index, deps.retention !== undefined, resume.progress?.keyIndexParts);
    deps.log.info(did, at.base);
  } catch (err) {
    deps.log.warn('the key index beside the copy was not written: serve reads the copy whole', { ...at.base, error: describeError(err) });
  }
}

/** The invocation's copy and counters, from its input. */
function invocationOf(input: VerifyStepInput): Invocation {
  const { event } = input;
  const bucket = event.detail.bucket.name;
  const key = event.detail.object.key;
  const versionId = event.detail.object['version-id'];
  const dims = { [DIMENSION.bucket]: bucket };
  const target = targetOfKey(key);
  const owner = splitAccountKey(key)?.account;
  return {
    event,
    bucket,
    key,
    versionId,
    base: { bucket, key, versionId },
    target,
    dims,
    targetDims: { ...dims, [DIMENSION.target]: target },
    accountDims: owner ? { ...dims, [DIMENSION.account]: owner } : undefined,
    restarts: input.restarts ?? 0,
  };
}

/** The invocation's end with an outcome. */
function done(at: Invocation, outcome: VerifyOutcome): VerifyStepResult {
  return { done: true, event: at.event, outcome };
}

/** Another version of the object met: from byte 0 again, up to MAX_VERIFY_RESTARTS times. */
function restart(at: Invocation): number {
  if (++at.restarts > MAX_VERIFY_RESTARTS) {
    throw new VerifyGaveUp(`s3://${at.bucket}/${at.key} changed ${at.restarts} times during its verification; giving up (a new version raises its own event)`);
  }
  return at.restarts;
}

/** A copy verified before: the tripwire and the retention looked at again, the verdict found returned. */
async function confirmVerdict(at: Invocation, already: string, current: Record<string, string>, deps: VerifyDeps): Promise<VerifyOutcome> {
  const { bucket, key, versionId, base } = at;
  deps.log.info('already verified', { ...base, verdict: already });
  // A retry after the tripwire failed finds the verdict written: the check runs again (for the newest set only).
  if (already === 'ok') await collapseCheck(bucket, key, at.target, undefined, deps, true);
  // The DR bucket: the copy's tags changed (this event); its key index and segments follow, to expire with it.
  if (already === 'ok' && !deps.retention) await indexTagsFollow(at, current, deps);
  // The tier may have changed since (a collapse holds the copy): the retention follows it, never back.
  const retention = deps.retention
    ? await ensureRetention(bucket, key, current, await headObject(deps.s3, bucket, key, versionId), deps.retention, deps)
    : undefined;
  return {
    ...base,
    action: 'already-verified',
    verdict: already === 'ok' || already === 'unsupported' ? already : 'corrupt',
    ...(retention ? { retention } : {}),
  };
}

/** The copy's index and segments retagged as the copy (copy-key-index.ts); logged, never failing the step (the next tag event tries again). */
async function indexTagsFollow(at: Invocation, current: Record<string, string>, deps: VerifyDeps): Promise<void> {
  try {
    const retagged = await followCopyTags(deps.s3, at.bucket, at.key, current);
    if (retagged.length > 0) deps.log.info(`key index tagged as the copy: ${retagged.join(', ')}`, at.base);
  } catch (err) {
    deps.log.warn("the key index's tags do not follow the copy's: it may expire apart from it", { ...at.base, error: describeError(err) });
  }
}

/** Where this invocation starts: the checkpoint when it is of this object version, else byte 0 (a restart); gives up past MAX_VERIFY_INVOCATIONS. */
function resumeOf(at: Invocation, given: VerifyStepInput['progress'], identity: ObjectIdentity, deps: VerifyDeps): Resume {
  let progress = given;
  if (progress && (progress.size !== identity.size || progress.etag !== identity.etag || progress.versionId !== identity.versionId)) {
    // Never a checkpoint of one version on another's bytes.
    deps.log.warn('the object changed since the last checkpoint: verifying again from byte 0', {
      ...at.base,
      checkpointOf: { size: progress.size, etag: progress.etag, versionId: progress.versionId },
      now: identity,
    });
    progress = undefined;
    restart(at);
  }
  const invocations = (progress?.invocations ?? 0) + 1;
  if (invocations > MAX_VERIFY_INVOCATIONS) {
    throw new VerifyGaveUp(
      `s3://${at.bucket}/${at.key}: verification not finished after ${MAX_VERIFY_INVOCATIONS} invocations (at byte ${progress?.checkpoint.offset} of ${identity.size})`,
    );
  }
  return { progress, invocations, startedAt: progress?.startedAt ?? deps.clock.now(), start: progress?.checkpoint.offset ?? 0 };
}

/**
 * A verifier paused at a checkpoint: the state to invoke again with (unless
 * too large for Step Functions to carry: then the copy is not verified here).
 * Otherwise the report of the whole copy.
 */
function pauseOrEnd(
  at: Invocation,
  verifier: Pick<RdbVerifier, 'checkpoint' | 'end'>,
  identity: ObjectIdentity,
  { start, startedAt, invocations }: Resume,
  deps: VerifyDeps,
): VerifyStepResult | RdbReport {
  const checkpoint = verifier.checkpoint();
  if (!checkpoint) return verifier.end();
  if (checkpoint.offset <= start) throw new VerifyGaveUp(`s3://${at.bucket}/${at.key}: no key boundary reached after byte ${start} within one invocation`);
  const next: VerifyProgressState = {
    size: identity.size,
    etag: identity.etag,
    versionId: identity.versionId,
    startedAt,
    invocations,
    checkpoint: packCheckpoint(checkpoint),
  };
  const paused: VerifyStepResult = { done: false, event: at.event, progress: next, ...(at.restarts > 0 ? { restarts: at.restarts } : {}) };
  // Measured as Step Functions will carry it: a state past its quota would fail the execution, a cut one would
  // call keys of a template it dropped corrupt. Too large (a Redis 8.10 file's template registry), the copy is
  // not verified here, and says why.
  const bytes = stateBytes(paused);
  if (bytes > VERIFY_STATE_MAX_BYTES) return notCheckpointableReport(verifier.end(), checkpoint, bytes);
  deps.log.info('verification paused at a checkpoint; the state machine continues it', {
    ...at.base,
    offset: checkpoint.offset,
    size: identity.size,
    percent: Math.round((checkpoint.offset / Math.max(1, identity.size)) * 1000) / 10,
    keys: checkpoint.keys,
    invocations,
    stateBytes: bytes,
  });
  return paused;
}

/** The verdict given: paged when corrupt or unsupported, stored (vault), tagged, counted, then the collapse tripwire. */
async function recordVerdict(
  at: Invocation,
  report: RdbReport,
  current: Record<string, string>,
  identity: ObjectIdentity,
  { startedAt, invocations }: Resume,
  retention: RetentionOutcome | undefined,
  deps: VerifyDeps,
): Promise<VerifyOutcome> {
  const { bucket, key, versionId, target } = at;
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
  // The verdict that counts is the object, written and read back before the tags, so the tag event our own
  // tagging raises finds it and does nothing (a retry before it verifies again).
  const verdictObject = await storeVerdict(bucket, key, identity, report, deps);
  // The verdict goes on the version that was read. Tags re-read just before writing: a replicated tag change may have landed meanwhile.
  await addObjectTags(deps.s3, bucket, key, verdictTags(report), { versionId: identity.versionId ?? versionId });

  const counted = verdict === 'ok' ? METRIC.rdbVerified : verdict === 'unsupported' ? METRIC.rdbUnsupported : METRIC.rdbCorrupt;
  deps.metrics.put(counted, 1, 'Count', at.targetDims);
  deps.metrics.put(counted, 1, 'Count', at.dims);
  if (at.accountDims) deps.metrics.put(counted, 1, 'Count', at.accountDims);
  deps.metrics.put(METRIC.rdbVerifySeconds, seconds, 'Seconds', at.dims);
  if (report.ok) deps.metrics.put(METRIC.rdbKeys, report.keys, 'Count', at.targetDims);
  // The tripwire, once the verdict is on the copy (a shard verified at the same time then sees it): throws when
  // holding failed, and the state machine's retry runs it again.
  if (report.ok) await collapseCheck(bucket, key, target, { ...current, ...verdictTags(report) }, deps, false);
  return {
    ...at.base,
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
}

/** Logs the verdict: verified (with warnings as a warning), not judged (a newer format), or corrupt. */
function logVerdict(outcome: VerifyOutcome, report: RdbReport, deps: VerifyDeps): void {
  const { verdict } = outcome;
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
}

/**
 * An invocation that threw: the object gone is done, a vault replica without
 * its tier yet waits; anything else is counted, logged and rethrown (the
 * state machine retries from the last checkpoint).
 */
function stepFailed(at: Invocation, err: unknown, deps: VerifyDeps): VerifyStepResult {
  const { base } = at;
  if (GONE.has(errorName(err))) {
    deps.log.warn('object no longer exists; nothing to verify', { ...base, error: describeError(err) });
    return done(at, { ...base, action: 'gone' });
  }
  if (err instanceof VaultTierPending) {
    deps.log.info('replica carries no export tags yet: its tier decides its retention; the state machine waits and looks again', {
      ...base,
      graceEnds: err.graceEnds.toISOString(),
    });
    return { done: false, event: at.event, awaitTier: err.graceEnds.toISOString(), ...(at.restarts > 0 ? { restarts: at.restarts } : {}) };
  }
  deps.metrics.put(METRIC.rdbVerifyErrors, 1, 'Count', at.dims);
  if (at.accountDims) deps.metrics.put(METRIC.rdbVerifyErrors, 1, 'Count', at.accountDims);
  deps.log.error('verification could not finish this step; the state machine retries it from the last checkpoint', { ...base, error: describeError(err) });
  throw err;
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
 * on, so a release (`retention release`) stays released; the points an
 * operator released or accepted (the release records it wrote,
 * domain/points/collapse-records.ts) are judged no more, an accepted one the
 * baseline. A collapse also gets a mark object (same module), which the DR
 * drills read to pass the export over. `newestOnly`: act
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
  const dir = key.slice(0, key.length - (key.split('/').pop() ?? key).length);
  const prefix = `${dir}rdr-${target}-`;
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
  // The DR bucket: the points an operator released or accepted (`retention release`) are judged no more.
  const releases = deps.vaultVerdicts
    ? new Map<string, 'released' | 'accepted'>()
    : releasesOfKeys(
        dir,
        (await listObjects(deps.s3, bucket, `${COLLAPSE_RELEASE_PREFIX}${prefix}`)).map((o) => o.key),
      );
  const verdicts = judgeCopySets(sets, threshold, releases);
  const collapse = verdicts.get(mine.exportName);
  // The mark a DR drill reads to pass the export over (the objects have no tag left for one), before the holds: a
  // failed hold's retry writes it again. Not in the vault: no `retention release` could end it there.
  if (collapse && !deps.vaultVerdicts) {
    const mark: CollapseMark = {
      kind: 'dr-collapse-mark',
      export: mine.exportName,
      point: mine.snapshot,
      target,
      baseline: collapse.previous,
      measure: collapse.measure,
      dropPct: collapse.dropPct,
      detail: collapseMarkValue(collapse),
      judgedAt: new Date(deps.clock.now()).toISOString(),
    };
    await writeCollapseRecord(deps.s3, bucket, collapseMarkKey(dir, mine.exportName), mark);
  }
  await putCollapsedMetrics(bucket, dir, target, collapse !== undefined, deps);
  if (!collapse) return undefined;
  deps.log.error('keyspace collapsed: DR copy holds far fewer keys than the copy before; the earlier copies are held', { bucket, target, collapse });
  const earlier = sets.filter(
    (x) => x.createdAt.getTime() < mine.createdAt.getTime() && !verdicts.has(x.exportName) && releases.get(x.snapshot) !== 'released',
  );
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
