/**
 * S3, read only: how a recovery bucket is set up — versioning, replication,
 * Object Lock, the bucket policy's service principals, the ACL's grants
 * (`redis-dr doctor`). Each setting is its own call (and permission), so
 * each is read on its own: a denied one leaves the others checked.
 */
import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ReplicationRuleFacts } from '../../../domain/doctor/judge.js';
import type { CallWrapper } from '../elasticache.js';
import { errorName } from '../errors.js';

const direct: CallWrapper = (call) => call();

/** Thrown when the bucket does not exist (every read here answers `NoSuchBucket` then). */
export class NoSuchBucketError extends Error {
  override readonly name = 'NoSuchBucketError';
  constructor(readonly bucket: string) {
    super(`bucket ${bucket} does not exist`);
  }
}

async function read<T>(bucket: string, call: () => Promise<T>, absent: readonly string[] = []): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (errorName(err) === 'NoSuchBucket') throw new NoSuchBucketError(bucket);
    if (absent.includes(errorName(err))) return undefined;
    throw err;
  }
}

/** `Enabled`, `Suspended`, or `undefined` when versioning was never turned on. */
export async function bucketVersioning(client: S3Client, bucket: string, wrap: CallWrapper = direct): Promise<string | undefined> {
  const out = await read(bucket, () => wrap(() => client.send(new GetBucketVersioningCommand({ Bucket: bucket }))));
  return out?.Status;
}

/** The bucket's replication rules; empty when it has no replication configuration. */
export async function bucketReplicationRules(client: S3Client, bucket: string, wrap: CallWrapper = direct): Promise<ReplicationRuleFacts[]> {
  const out = await read(bucket, () => wrap(() => client.send(new GetBucketReplicationCommand({ Bucket: bucket }))), ['ReplicationConfigurationNotFoundError']);
  return (out?.ReplicationConfiguration?.Rules ?? []).map((r) => ({
    id: r.ID,
    status: r.Status,
    destination: r.Destination?.Bucket,
    account: r.Destination?.Account,
    ownerOverride: r.Destination?.AccessControlTranslation?.Owner === 'Destination',
    deleteMarkers: r.DeleteMarkerReplication?.Status,
  }));
}

/** Object Lock and its default retention (days; years are counted as 365 days). */
export async function bucketObjectLock(
  client: S3Client,
  bucket: string,
  wrap: CallWrapper = direct,
): Promise<{ enabled: boolean; mode?: string; days?: number }> {
  const out = await read(bucket, () => wrap(() => client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))), [
    'ObjectLockConfigurationNotFoundError',
  ]);
  const c = out?.ObjectLockConfiguration;
  const r = c?.Rule?.DefaultRetention;
  return { enabled: c?.ObjectLockEnabled === 'Enabled', mode: r?.Mode, days: r?.Days ?? (r?.Years !== undefined ? r.Years * 365 : undefined) };
}

/** The service principals the bucket policy allows anything (empty without a policy). */
export async function bucketPolicyServicePrincipals(client: S3Client, bucket: string, wrap: CallWrapper = direct): Promise<string[]> {
  const out = await read(bucket, () => wrap(() => client.send(new GetBucketPolicyCommand({ Bucket: bucket }))), ['NoSuchBucketPolicy']);
  if (!out?.Policy) return [];
  const doc = JSON.parse(out.Policy) as { Statement?: { Effect?: string; Principal?: { Service?: string | string[] } }[] };
  const services = (doc.Statement ?? []).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Principal?.Service ?? []].flat());
  return [...new Set(services)];
}

/** The ACL's grants to canonical users. */
export async function bucketAclGrants(client: S3Client, bucket: string, wrap: CallWrapper = direct): Promise<{ id: string; permission: string }[]> {
  const out = await read(bucket, () => wrap(() => client.send(new GetBucketAclCommand({ Bucket: bucket }))));
  return (out?.Grants ?? [])
    .filter((g) => g.Grantee?.Type === 'CanonicalUser' && g.Grantee.ID && g.Permission)
    .map((g) => ({ id: g.Grantee!.ID!, permission: g.Permission! }));
}

/** An object's `ReplicationStatus` (`COMPLETED`, `PENDING`, `FAILED`, `REPLICA`); `undefined` when it has none. */
export async function objectReplicationStatus(client: S3Client, bucket: string, key: string, wrap: CallWrapper = direct): Promise<string | undefined> {
  const out = await read(bucket, () => wrap(() => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))));
  return out?.ReplicationStatus;
}
