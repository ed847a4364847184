import { z } from 'zod';
import { describeError, errorName } from '../adapters/errors.js';
import { DIMENSION, METRIC } from '../domain/alerting/metrics.js';
import type { LogSink } from '../adapters/runtime.js';
import { addObjectTags, getObjectTags, openObject } from '../adapters/s3.js';
import type { MetricsSink } from '../adapters/metrics.js';
import type { RetryClock } from '../adapters/retry.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { ALARM_KINDS } from '../domain/alerting/catalog.js';
import { pageAttributes, pageSubject, type Page } from '../domain/alerting/page.js';
import { parseExportObjectKey } from '../domain/export.js';
import { parseSnapshotName } from '../domain/naming.js';
import { verdictTags } from '../domain/rdb-summary.js';
import { verifyRdbStream, type RdbReport } from '../domain/rdb/verifier.js';
import { TAGS } from '../domain/types.js';

/**
 * verify-rdb (DR region): on every `.rdb` object created in (or re-tagged in)
 * the DR bucket, stream it through the RDB verifier and write the verdict as
 * object tags; count it; page on a corrupt copy. Never deletes or rewrites an
 * object: a corrupt copy is evidence, and the primary snapshot is untouched.
 *
 * Why tag events too: S3 replaces an object's whole tag set when tags change,
 * and the export function tags the source objects after they were replicated;
 * if that change reaches this copy it drops our verdict. The object then has
 * tags but no verdict, and is verified again. Our own tagging also raises an
 * event; it finds the verdict present and does nothing.
 */

/** The EventBridge "Object Created" / "Object Tags Added" event, as far as it is used. */
export const s3ObjectEventSchema = z.object({
  'detail-type': z.enum(['Object Created', 'Object Tags Added']),
  source: z.literal('aws.s3'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(3) }),
    object: z.object({
      // Our keys use only URL-safe characters; EventBridge passes keys as written.
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      'version-id': z.string().optional(),
    }),
  }),
});
export type S3ObjectEvent = z.infer<typeof s3ObjectEventSchema>;

/** What one invocation did. */
export interface VerifyOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** `verified`: verdict written now; `already-verified`; `gone`: the object (version) no longer exists. */
  readonly action: 'verified' | 'already-verified' | 'gone';
  readonly verdict?: 'ok' | 'corrupt';
  readonly keys?: number;
  readonly bytes?: number;
  readonly seconds?: number;
  readonly error?: { readonly offset: number; readonly message: string };
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
}

const GONE = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound']);

/** Verifies one object version; throws on read, tagging or alert failures (EventBridge retries, then the DLQ). */
export async function verifyObject(event: S3ObjectEvent, deps: VerifyDeps): Promise<VerifyOutcome> {
  const bucket = event.detail.bucket.name;
  const key = event.detail.object.key;
  const versionId = event.detail.object['version-id'];
  const base = { bucket, key, versionId };
  const target = targetOfKey(key);
  const dims = { [DIMENSION.bucket]: bucket };
  const targetDims = { ...dims, [DIMENSION.target]: target };

  try {
    const current = await getObjectTags(deps.s3, bucket, key, versionId);
    if (current[TAGS.verified]) {
      deps.log.info('already verified', { ...base, verdict: current[TAGS.verified] });
      return { ...base, action: 'already-verified', verdict: current[TAGS.verified] === 'ok' ? 'ok' : 'corrupt' };
    }

    const started = deps.clock.now();
    const object = await openObject(deps.s3, bucket, key, versionId);
    let bytes = 0;
    // DR copies are ElastiCache exports, which always carry a CRC-64: a zeroed trailer is a failure here.
    const report = await verifyRdbStream(countBytes(object.body, (n) => (bytes += n)), { requireChecksum: true });
    const seconds = (deps.clock.now() - started) / 1000;

    // Tags re-read just before writing: a replicated tag change may have landed meanwhile.
    await addObjectTags(deps.s3, bucket, key, verdictTags(report), { versionId });

    deps.metrics.put(report.ok ? METRIC.rdbVerified : METRIC.rdbCorrupt, 1, 'Count', targetDims);
    deps.metrics.put(report.ok ? METRIC.rdbVerified : METRIC.rdbCorrupt, 1, 'Count', dims);
    deps.metrics.put(METRIC.rdbVerifySeconds, seconds, 'Seconds', dims);
    if (report.ok) deps.metrics.put(METRIC.rdbKeys, report.keys, 'Count', targetDims);

    const outcome: VerifyOutcome = {
      ...base,
      action: 'verified',
      verdict: report.ok ? 'ok' : 'corrupt',
      keys: report.keys,
      bytes,
      seconds,
      error: report.error,
    };
    if (report.ok) {
      const found = {
        ...outcome,
        version: report.version,
        byType: report.byType,
        ...(report.emptyKeys ? { emptyKeys: report.emptyKeys } : {}),
        ...(report.expiredKeys ? { expiredKeys: report.expiredKeys } : {}),
        ...(report.moduleTypes ? { moduleTypes: report.moduleTypes } : {}),
        ...(report.duplicateCheck ? { duplicateCheck: report.duplicateCheck } : {}),
      };
      // Valid as Redis loads it, but what sanitize-dump-payload yes would refuse is worth a look: logged as a warning.
      if (report.warningCount) deps.log.warn('DR copy verified, with warnings', { ...found, warningCount: report.warningCount, warnings: report.warnings });
      else deps.log.info('DR copy verified', found);
    } else {
      deps.log.error('DR copy is corrupt', { ...outcome, version: report.version, checksum: report.checksum });
      await deps.alert(corruptAlert(bucket, key, versionId, target, current, report, deps.where));
    }
    return outcome;
  } catch (err) {
    if (GONE.has(errorName(err))) {
      deps.log.warn('object no longer exists; nothing to verify', { ...base, error: describeError(err) });
      return { ...base, action: 'gone' };
    }
    deps.metrics.put(METRIC.rdbVerifyErrors, 1, 'Count', dims);
    deps.log.error('verification could not finish; EventBridge retries it', { ...base, error: describeError(err) });
    throw err;
  }
}

/** The source cache a key belongs to, from our naming; `unknown` for foreign keys. */
function targetOfKey(key: string): string {
  const parsed = parseExportObjectKey(key.split('/').pop() ?? key);
  return (parsed && parseSnapshotName(parsed.snapshot)?.target) ?? 'unknown';
}

async function* countBytes(body: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    add(chunk.byteLength);
    yield chunk;
  }
}

/** The deployment and region a page comes from. */
export interface PageOrigin {
  readonly deployment: string;
  readonly region: string;
}

/** The page for a corrupt copy: what, where, what it means, what to do (severity and runbook from the catalog). */
export function corruptAlert(
  bucket: string,
  key: string,
  versionId: string | undefined,
  target: string,
  tags: Readonly<Record<string, string>>,
  report: RdbReport,
  origin: PageOrigin,
): Page {
  const kind = ALARM_KINDS['rdb-corrupt'];
  const where = report.error ? `at byte ${report.error.offset}: ${report.error.message}` : `checksum ${report.checksum}`;
  const snapshot = tags[TAGS.snapshot] ?? parseExportObjectKey(key)?.snapshot ?? 'unknown';
  const message = [
    `The DR copy s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ''} is corrupt ${where}.`,
    `Cache: ${target}. Snapshot: ${snapshot}. RDB version ${report.version}; ${report.keys} keys read before the problem.`,
    'Nothing was deleted: the copy is kept as evidence, and the snapshot in the primary region is untouched.',
    'This copy cannot be used to seed a cluster. Next steps: run `npx redis-dr verify-rdb s3://' +
      `${bucket}/${key}\` to confirm, check the export bucket's copy of the same key, and see ${kind.runbook}.`,
    `Region: ${origin.region}. Deployment: ${origin.deployment}.`,
  ].join('\n');
  return {
    subject: pageSubject(kind.severity, origin.deployment, kind.title, target, origin.region),
    message,
    attributes: pageAttributes({ kind: 'rdb-corrupt', severity: kind.severity, deployment: origin.deployment, region: origin.region, target, bucket }),
  };
}
