import { GetBucketAclCommand, GetObjectAclCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CallWrapper } from '../elasticache.js';

/**
 * S3 object versions and owners: every version under a prefix (the vault
 * drill's seed-copy cleanup, doctor's check that the vault lifecycle expires
 * replicas), and the owner of an object against its bucket's (doctor's check
 * that ElastiCache's exports belong to the bucket owner).
 */

const direct: CallWrapper = (call) => call();

/** One version (or delete marker) as ListObjectVersions lists it. */
export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  readonly lastModified?: Date;
  readonly deleteMarker: boolean;
}

/** Every version and delete marker under `prefix`, all pages (`expectedOwner`: S3 refuses a bucket of another account). */
export async function listVersions(
  client: S3Client,
  bucket: string,
  prefix: string,
  wrap: CallWrapper = direct,
  expectedOwner?: string,
): Promise<ObjectVersion[]> {
  const found: ObjectVersion[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await wrap(() =>
      client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker, ExpectedBucketOwner: expectedOwner })),
    );
    for (const v of page.Versions ?? [])
      if (v.Key && v.VersionId) found.push({ key: v.Key, versionId: v.VersionId, lastModified: v.LastModified, deleteMarker: false });
    for (const m of page.DeleteMarkers ?? [])
      if (m.Key && m.VersionId) found.push({ key: m.Key, versionId: m.VersionId, lastModified: m.LastModified, deleteMarker: true });
    // NextKeyMarker is "returned when IsTruncated is true" (ListObjectVersionsOutput): without it the rest cannot be listed,
    // and a listing cut short is never whole (the versions a caller deletes or judges would be some of them).
    if (page.IsTruncated && !page.NextKeyMarker)
      throw new Error(
        `ListObjectVersions of s3://${bucket}/${prefix} answered IsTruncated without a NextKeyMarker after ${found.length} version(s): the listing cannot be read to its end (an S3-compatible store that does not page as S3 does?)`,
      );
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return found;
}

/**
 * The canonical user ids owning an object (GetObjectAcl) and its bucket
 * (GetBucketAcl). With ACLs disabled (BucketOwnerEnforced) S3 answers the
 * bucket owner for every object; under BucketOwnerPreferred an object keeps
 * its writer as owner unless it was written with `bucket-owner-full-control`.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
 */
export async function objectAndBucketOwners(
  client: S3Client,
  bucket: string,
  key: string,
  wrap: CallWrapper = direct,
): Promise<{ object?: string; bucket?: string }> {
  const [object, owner] = await Promise.all([
    wrap(() => client.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }))),
    wrap(() => client.send(new GetBucketAclCommand({ Bucket: bucket }))),
  ]);
  return { object: object.Owner?.ID, bucket: owner.Owner?.ID };
}
