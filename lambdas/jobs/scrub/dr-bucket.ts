/**
 * The scheduled scrub of the DR bucket (NIST 800-53 CP-9(1), SOC 2 A1.3),
 * through the one engine of the bucket scrubs (bucket-scrub.ts): each daily
 * run re-reads a sample of the `.rdb` copies so every copy is re-read within
 * `days`, judged against the key counts verify-rdb tagged on arrival (no
 * SHA-256 of a DR copy is ever kept). Where the copy's twin is still in the
 * primary region's export bucket, its length and ETag must be the copy's
 * (S3 replication keeps the ETag, so equal ETags and lengths are the same
 * bytes as exported).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { errorName } from '../../adapters/aws/errors.js';
import { readDrCopy } from '../../adapters/records/verdict-objects.js';
import { NO_VERDICT_OBJECT, UNPROVEN_VERDICT } from '../../domain/points/verdict-objects.js';
import { headObject } from '../../adapters/aws/s3/ranges.js';
import { TAGS } from '../../domain/plans/types.js';
import { parseRdbSummary } from '../../domain/points/rdb-summary.js';
import { accountRegionPrefix } from '../../domain/points/account-prefix.js';
import { type DrScrubInput, SCRUB_RECORDS_PREFIX } from '../../domain/scrub/input.js';
import { isDrCopyKey } from '../../domain/vault/vault-seed.js';
import { type ArrivalRecord, type BucketScrubDeps, type BucketScrubRun, runBucketScrub, type ScrubPlace } from './bucket-scrub.js';

/** The twin of a DR copy in the primary region's export bucket, as HeadObject answers. */
export interface DrTwin {
  readonly bytes: number;
  readonly etag?: string;
}

const NO_TWIN = new Set(['NotFound', 'NoSuchKey']);

/** The twin lookup in the primary region's export bucket: HeadObject of the same key; none when it is gone there. */
export function twinIn(s3: S3Client, bucket: string): (key: string) => Promise<DrTwin | undefined> {
  return async (key) => {
    try {
      const h = await headObject(s3, bucket, key);
      return { bytes: h.size, ...(h.etag ? { etag: h.etag } : {}) };
    } catch (err) {
      if (NO_TWIN.has(errorName(err))) return undefined;
      throw err;
    }
  };
}

/** What a scheduled scrub of the DR bucket needs from the outside world. */
export interface DrScrubDeps extends BucketScrubDeps {
  /** The copy's twin in the primary region (same key), or undefined where there is none (expired there). */
  readonly twin?: (key: string) => Promise<DrTwin | undefined>;
}

/**
 * What verify-rdb recorded of a copy on arrival (its verdict object, the
 * tags only as it confirms them): its verdict must be `ok`, its key count
 * is kept. A verdict tag without a verdict object is a problem, named.
 */
async function recordedOfTags(s3: S3Client, bucket: string, key: string): Promise<ArrivalRecord> {
  const { tags, untrusted } = await readDrCopy(s3, bucket, key);
  const verdict = tags[TAGS.verified];
  if (verdict === undefined) return { problems: [] };
  if (verdict === UNPROVEN_VERDICT) return { problems: [untrusted ?? `a verdict tag ${NO_VERDICT_OBJECT}`] };
  const summary = verdict === 'ok' ? parseRdbSummary(tags[TAGS.rdb]) : undefined;
  return {
    recorded: { noDigestKept: "a DR copy is ElastiCache's export; verify-rdb writes its verdict and key counts", ...(summary ? { keys: summary.keys } : {}) },
    problems: verdict === 'ok' ? [] : [`verify-rdb found it ${verdict} on arrival`],
  };
}

/** The twin's problems: its length and ETag must be the copy's; a twin that cannot be read (other than gone) is one. */
async function twinProblems(twin: DrScrubDeps['twin'], key: string, found: { readonly bytes?: number; readonly etag?: string }): Promise<string[]> {
  let t: DrTwin | undefined;
  try {
    t = await twin?.(key);
  } catch (err) {
    return [`its primary-region twin could not be read: ${err instanceof Error ? err.message : String(err)}`];
  }
  if (!t) return [];
  const out: string[] = [];
  if (found.bytes !== undefined && found.bytes !== t.bytes) out.push(`length ${found.bytes} bytes is not the primary-region twin's ${t.bytes}`);
  if (found.etag && t.etag && found.etag !== t.etag) out.push(`ETag ${found.etag} is not the primary-region twin's ${t.etag}`);
  return out;
}

/**
 * The DR bucket as a scrub's place: its `.rdb` copies (a vault drill's seed copies are not copies), records under
 * `scrub/`, and with `orgRoot` (`<account>/<region>/`) under `<orgRoot>scrub/` too.
 */
export function drScrubPlace(bucket: string, deps: Pick<DrScrubDeps, 's3' | 'twin'>, orgRoot?: string): ScrubPlace {
  return {
    bucket,
    what: 'DR copy',
    recordsPrefix: SCRUB_RECORDS_PREFIX,
    ...(orgRoot !== undefined ? { orgRecordsPrefix: `${orgRoot}${SCRUB_RECORDS_PREFIX}` } : {}),
    isCopy: isDrCopyKey,
    arrival: (key) => recordedOfTags(deps.s3, bucket, key),
    compare: (key, found) => twinProblems(deps.twin, key, found),
  };
}

/**
 * One scheduled run over the DR bucket `bucket`: every copy re-read within `days`.
 * @throws ScrubFailed when a copy was bad or the run stopped PARTIAL (after the pages and the record); a fault listing or writing the record
 */
export function runDrScrub(req: Pick<DrScrubInput, 'bucket' | 'days' | 'orgEvidence'>, deps: DrScrubDeps): Promise<BucketScrubRun> {
  // The bucket's region is the function's own (the DR stack's): the region of the account's prefix.
  const orgRoot = req.orgEvidence ? accountRegionPrefix(req.orgEvidence.account, deps.where.region) : undefined;
  return runBucketScrub(drScrubPlace(req.bucket, deps, orgRoot), req.days, deps);
}
