import type { S3Client } from '@aws-sdk/client-s3';
import type { CallWrapper } from '../../adapters/aws/elasticache.js';
import { describeError } from '../../adapters/aws/errors.js';
import { addObjectTags, getObjectTags, listObjects } from '../../adapters/aws/s3/objects.js';
import { heldTierValue, releasedTierValue } from '../../domain/plans/collapse.js';
import { TAGS } from '../../domain/plans/types.js';
import { parseSnapshotName } from '../../domain/plans/naming.js';
import { snapshotOfExport } from '../../domain/points/export-objects.js';
import { COLLAPSE_MARK_PREFIX, COLLAPSE_RELEASE_PREFIX, markedExportsOfKeys, releasesOfKeys } from '../../domain/points/collapse-records.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import type { MetricsSink } from '../../adapters/aws/metrics.js';

/**
 * Holding and releasing the S3 copies of recovery points: the tier tag
 * (`redis-dr:tier`) moved to `held-<tier>`, which no lifecycle rule matches,
 * and back. A value of the same tag, not a new one: exported objects carry
 * up to 10 tags already (MAX_OBJECT_TAGS). Shared by the export job (export
 * bucket), the verify job (DR bucket) and `retention release` (both).
 */

/** What one pass over objects did. */
export interface TierChange {
  /** Keys retagged, `key: from → to`. */
  readonly changed: readonly { readonly key: string; readonly from: string; readonly to: string }[];
  readonly failed: readonly { readonly key: string; readonly error: string }[];
}

/**
 * Sets the tier tag of each object to its held (`hold`) or released value,
 * merging with its other tags; an object without a tier tag, or already
 * there, is left alone. One object's failure does not stop the others.
 */
export async function setCopyTiers(s3: S3Client, bucket: string, keys: readonly string[], hold: boolean, wrap?: CallWrapper): Promise<TierChange> {
  const changed: { key: string; from: string; to: string }[] = [];
  const failed: { key: string; error: string }[] = [];
  for (const key of keys) {
    try {
      const current = await getObjectTags(s3, bucket, key, undefined, wrap);
      const from = current[TAGS.tier];
      if (from === undefined) continue;
      const to = hold ? heldTierValue(from) : releasedTierValue(from);
      if (to === from) continue;
      await addObjectTags(s3, bucket, key, { [TAGS.tier]: to }, { current, wrap });
      changed.push({ key, from, to });
    } catch (err) {
      failed.push({ key, error: describeError(err) });
    }
  }
  return { changed, failed };
}

/**
 * `KeyspaceCollapsed` after a judged copy, by bucket and by target. In the DR bucket, the collapses not released yet
 * (marks no `retention release` record names): its alarm keeps its state between verifications and pages until the
 * collapse is released, whichever cache's good copy is verified next (a plain 1 or 0 for this copy went back to 0
 * with the next good copy of any cache, and its 5-minute period resolved the page while nothing was released). The
 * vault (no marks there): whether this copy collapsed.
 */
export async function putCollapsedMetrics(
  bucket: string,
  dir: string,
  target: string,
  collapsed: boolean,
  deps: { readonly s3: S3Client; readonly metrics: MetricsSink; readonly vaultVerdicts?: boolean },
): Promise<void> {
  const dims = { [DIMENSION.bucket]: bucket };
  if (deps.vaultVerdicts) {
    deps.metrics.put(METRIC.keyspaceCollapsed, collapsed ? 1 : 0, 'Count', { ...dims, [DIMENSION.target]: target });
    deps.metrics.put(METRIC.keyspaceCollapsed, collapsed ? 1 : 0, 'Count', dims);
    return;
  }
  const open = await openDrCollapses(deps.s3, bucket, dir);
  const ofTarget = open.filter((e) => parseSnapshotName(snapshotOfExport(e))?.target === target);
  deps.metrics.put(METRIC.keyspaceCollapsed, ofTarget.length, 'Count', { ...dims, [DIMENSION.target]: target });
  deps.metrics.put(METRIC.keyspaceCollapsed, open.length, 'Count', dims);
}

/**
 * The exports the DR bucket's collapse marks name (copies under `dir`; `names`: only marks and releases whose names
 * begin so, `rdr-<target>-` say) whose point no release record names: the collapses not released, which the DR
 * keyspace-collapsed alarm counts, `status` shows and a release of another collapse leaves held. One listing of each.
 */
export async function openDrCollapses(s3: S3Client, bucket: string, dir: string, names = '', wrap?: CallWrapper): Promise<string[]> {
  const [marks, releases] = await Promise.all(
    [COLLAPSE_MARK_PREFIX, COLLAPSE_RELEASE_PREFIX].map(async (p) => (await listObjects(s3, bucket, `${p}${dir}${names}`, wrap)).map((o) => o.key)),
  );
  const released = releasesOfKeys(dir, releases!);
  return [...markedExportsOfKeys(dir, marks!)].filter((e) => !released.has(snapshotOfExport(e)));
}
