/**
 * The pages verify-rdb (verify-rdb.ts) sends about a DR copy: a corrupt one, and one in a format it cannot judge yet.
 */
import { ALARM_KINDS, runbookOf } from '../../domain/alerting/catalog.js';
import { pageAttributes, pageSubject, type Page } from '../../domain/alerting/page.js';
import { parseExportObjectKey } from '../../domain/points/export-objects.js';
import { NOT_CHECKPOINTABLE } from '../../domain/dr-copies/verify-state.js';
import { parseSnapshotName } from '../../domain/plans/naming.js';
import { TAGS } from '../../domain/plans/types.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';

/** The source cache a key belongs to, from our naming; `unknown` for foreign keys. */
export function targetOfKey(key: string): string {
  const parsed = parseExportObjectKey(key.split('/').pop() ?? key);
  return (parsed && parseSnapshotName(parsed.snapshot)?.target) ?? 'unknown';
}

/** The deployment and region a page comes from. */
export interface PageOrigin {
  readonly deployment: string;
  readonly region: string;
}

/** How a page names a DR copy (`s3://bucket/key (version v)`) and the snapshot it is a copy of. */
function pagedCopy(bucket: string, key: string, versionId: string | undefined, tags: Readonly<Record<string, string>>): { copy: string; snapshot: string } {
  return {
    copy: `s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ''}`,
    snapshot: tags[TAGS.snapshot] ?? parseExportObjectKey(key)?.snapshot ?? 'unknown',
  };
}

/**
 * The page for a DR copy in a format the verifier cannot judge (a newer RDB
 * version or envelope than this redis-dr reads): not corrupt, and not a
 * verified copy either; the fix is upgrading redis-dr.
 */
export function unsupportedAlert(
  bucket: string,
  key: string,
  versionId: string | undefined,
  target: string,
  tags: Readonly<Record<string, string>>,
  report: RdbReport,
  origin: PageOrigin,
): Page {
  const { copy, snapshot } = pagedCopy(bucket, key, versionId, tags);
  const why = report.error?.message ?? `unsupported format (version ${report.version})`;
  const command = `\`redis-dr verify-rdb s3://${bucket}/${key}\``;
  // Read, but too large a state to carry between invocations (domain/dr-copies/verify-state.ts): no upgrade helps.
  const next = why.startsWith(NOT_CHECKPOINTABLE)
    ? `The format is read, but this copy cannot be verified over several invocations. Next step: judge it in one process with ${command} from a host that can read the bucket.`
    : 'The engine writes a newer RDB format than this redis-dr reads (an engine upgrade?). Next steps: upgrade redis-dr to a release that reads it and deploy; ' +
      `then judge this copy with ${command}.`;
  const message = [
    `The DR copy ${copy} could not be verified: ${why}.`,
    `Cache: ${target}. Snapshot: ${snapshot}. The copy is not known to be damaged, but it does not count as a verified copy: the freshness of verified copies ages until it does.`,
    `${next} See ${runbookOf('rdb-unsupported')}.`,
    `Region: ${origin.region}. Deployment: ${origin.deployment}.`,
  ].join('\n');
  return {
    subject: pageSubject('warning', origin.deployment, 'DR copy in an unsupported format', target, origin.region),
    message,
    attributes: pageAttributes({ kind: 'rdb-unsupported', severity: 'warning', deployment: origin.deployment, region: origin.region, target, bucket }),
  };
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
  const { copy, snapshot } = pagedCopy(bucket, key, versionId, tags);
  const message = [
    `The DR copy ${copy} is corrupt ${where}.`,
    `Cache: ${target}. Snapshot: ${snapshot}. RDB version ${report.version}; ${report.keys} keys read before the problem.`,
    'Nothing was deleted: the copy is kept as evidence, and the snapshot in the primary region is untouched.',
    'This copy cannot be used to seed a cluster. Next steps: run `redis-dr verify-rdb s3://' +
      `${bucket}/${key}\` to confirm, check the export bucket's copy of the same key, and see ${kind.runbook}.`,
    `Region: ${origin.region}. Deployment: ${origin.deployment}.`,
  ].join('\n');
  return {
    subject: pageSubject(kind.severity, origin.deployment, kind.title, target, origin.region),
    message,
    attributes: pageAttributes({ kind: 'rdb-corrupt', severity: kind.severity, deployment: origin.deployment, region: origin.region, target, bucket }),
  };
}
