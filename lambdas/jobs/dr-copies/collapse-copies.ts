import type { S3Client } from '@aws-sdk/client-s3';
import type { CallWrapper } from '../../adapters/aws/elasticache.js';
import { describeError } from '../../adapters/aws/errors.js';
import { addObjectTags, getObjectTags } from '../../adapters/aws/s3/objects.js';
import { heldTierValue, releasedTierValue } from '../../domain/plans/collapse.js';
import { TAGS } from '../../domain/plans/types.js';

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
