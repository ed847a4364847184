/**
 * `redis-dr doctor`'s checks of objects in the account, pure: who owns the
 * newest export (ElastiCache's writes under BucketOwnerPreferred), and
 * whether the vault's lifecycle really expires replicas past their lock.
 * The job (lambdas/jobs/doctor/checks.ts) reads; these judge.
 */
import { longestVaultDays, type VaultTierDays } from '../vault/vault-retention.js';
import { ACL_RESET_WHY, aclResetCommand } from './acl-reset.js';
import type { DoctorCheck } from './check.js';

const DAY_MS = 86_400_000;

/**
 * The newest export's owner against its bucket's. An object the bucket owner
 * does not own is not replicated by S3 replication (the source bucket owner
 * needs access to it) and cannot be tagged by the export function: the DR
 * copy and the vault replica never come. The fix depends on the route.
 */
export function judgeExportOwner(
  region: string,
  bucket: string,
  key: string,
  owners: { readonly object?: string; readonly bucket?: string },
  route: 'acl' | 'bucket-policy',
): DoctorCheck {
  const subject = `export bucket ${bucket} owner of ${key}`;
  if (!owners.object || !owners.bucket) {
    return {
      section: 'buckets',
      region,
      subject,
      state: 'fail',
      detail: `S3 named no owner (object ${owners.object ?? 'none'}, bucket ${owners.bucket ?? 'none'})`,
      fix: `read it yourself: aws s3api get-object-acl --bucket ${bucket} --key ${key} --query Owner`,
    };
  }
  if (owners.object === owners.bucket) {
    return { section: 'buckets', region, subject, state: 'pass', detail: 'owned by the bucket owner: it can be tagged and replicated', fix: null };
  }
  const fix =
    route === 'acl'
      ? `the ACL route keeps ACLs on (BucketOwnerPreferred), and ElastiCache's export stayed its own: set dr.elastiCacheBucketAccess to "bucket-policy" where the export guide allows it (ACLs disabled, BucketOwnerEnforced: S3 makes the bucket owner own every object, these too), ` +
        `reset the ACL of this bucket and of the DR bucket first (${aclResetCommand(bucket, region)}, and the same for the DR bucket: ${ACL_RESET_WHY}), then deploy; else ` +
        `copy the object over itself as the bucket owner (aws s3 cp s3://${bucket}/${key} s3://${bucket}/${key} --metadata-directive COPY) and run doctor again`
      : `the bucket should enforce bucket ownership (BucketOwnerEnforced): check its Object Ownership (aws s3api get-bucket-ownership-controls --bucket ${bucket}) and deploy the stacks again`;
  return {
    section: 'buckets',
    region,
    subject,
    state: 'fail',
    detail: `owned by canonical user ${owners.object}, not the bucket owner ${owners.bucket}: S3 replication and tagging skip it, so neither the DR copy nor the vault replica comes`,
    fix,
  };
}

/** How long a vault version may exist at most: the lifecycle rule's days (lib/constructs/vault/vault-bucket.ts) plus S3's lag. */
export interface VaultExpiryBound {
  /** Days after which the rule expires the current version (the longest tier's lock, plus one). */
  readonly expireDays: number;
  /** Days a noncurrent version is kept after that. */
  readonly noncurrentDays: number;
  /**
   * Days S3's lifecycle may lag: it runs asynchronously and rounds to the
   * next midnight UTC.
   */
  readonly graceDays: number;
}

/** S3's lifecycle lag allowed before a version still present counts as not expired. */
export const LIFECYCLE_GRACE_DAYS = 2;

/**
 * The vault's bound: its lifecycle rule expires every replica a day after the
 * longest tier's lock ends, and removes the noncurrent version a day later.
 */
export function vaultExpiryBound(days: VaultTierDays): VaultExpiryBound {
  return { expireDays: longestVaultDays(days) + 1, noncurrentDays: 1, graceDays: LIFECYCLE_GRACE_DAYS };
}

/**
 * Whether the vault's lifecycle removes what it should: any version (not a
 * delete marker) written longer ago than the bound is still there → fail,
 * with where to look. A version's age counts from its last write: it became
 * noncurrent at the latest `expireDays` later, and went `noncurrentDays`
 * after that. This is the account's proof that the bucket policy's `Deny
 * s3:DeleteObject` does not stop lifecycle expiry (no AWS page says so).
 */
export function judgeVaultExpiry(
  region: string,
  bucket: string,
  versions: readonly { key: string; versionId: string; lastModified?: Date; deleteMarker: boolean }[],
  bound: VaultExpiryBound,
  now: Date,
): DoctorCheck {
  const total = bound.expireDays + bound.noncurrentDays + bound.graceDays;
  const cutoff = now.getTime() - total * DAY_MS;
  const subject = `vault bucket ${bucket} lifecycle expiry`;
  const objects = versions.filter((v) => !v.deleteMarker && v.lastModified);
  const overdue = objects.filter((v) => v.lastModified!.getTime() < cutoff).sort((a, b) => a.lastModified!.getTime() - b.lastModified!.getTime());
  if (overdue.length > 0) {
    const first = overdue[0]!;
    return {
      section: 'vault',
      region,
      subject,
      state: 'fail',
      detail:
        `${overdue.length} version(s) written more than ${total} days ago are still there (oldest: ${first.key} version ${first.versionId}, ` +
        `${first.lastModified!.toISOString()}); the lifecycle expires replicas after ${bound.expireDays} days and noncurrent versions ${bound.noncurrentDays} day later`,
      fix:
        `with the vault account's credentials, read the rule (aws s3api get-bucket-lifecycle-configuration --bucket ${bucket}) and the version's lock ` +
        `(aws s3api get-object-retention --bucket ${bucket} --key ${first.key} --version-id ${first.versionId}); a rule in place with the lock over means ` +
        `lifecycle expiry is blocked (not by the policy's Deny s3:DeleteObject, which does not apply to lifecycle): open an AWS support case; ` +
        'the vault keeps, and bills, these versions meanwhile',
    };
  }
  const oldest = objects.reduce<Date | undefined>((o, v) => (o === undefined || v.lastModified! < o ? v.lastModified : o), undefined);
  const detail = oldest
    ? `nothing older than ${total} days (the oldest version, ${oldest.toISOString()}, is due to go by ${new Date(oldest.getTime() + total * DAY_MS).toISOString()})`
    : 'no versions yet';
  return { section: 'vault', region, subject, state: 'pass', detail, fix: null };
}
