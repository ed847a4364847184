import {
  GetObjectCommand,
  GetObjectRetentionCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { errorName } from '../errors.js';
import type { Readable } from 'node:stream';
import { mergeTags } from '../../../domain/points/export-objects.js';
import type { ObjectRetention } from '../../../domain/vault/vault-copies.js';
import type { CallWrapper } from '../elasticache.js';

/**
 * S3 calls of the export and verify-rdb Lambdas (and the CLI): list, read
 * tags, merge tags, stream an object. Paginated by hand so each page goes
 * through the caller's throttling retry (see elasticache.ts).
 */

const direct: CallWrapper = (call) => call();

/** An object as a listing shows it. */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly lastModified?: Date;
  readonly etag?: string;
}

/** Every object under `prefix`, all pages (`expectedOwner`: S3 refuses the call when another account owns the bucket; `startAfter`: only keys after it). */
export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  wrap: CallWrapper = direct,
  expectedOwner?: string,
  startAfter?: string,
): Promise<ObjectSummary[]> {
  return (await listObjectPages(client, bucket, prefix, { wrap, expectedOwner, startAfter })).objects;
}

/**
 * The objects under `prefix`, at most `maxPages` pages of 1,000 (`complete`: false when more were left unlisted):
 * a listing whose cost is bounded whatever the prefix holds.
 */
export async function listObjectsBounded(
  client: S3Client,
  bucket: string,
  prefix: string,
  maxPages: number,
  wrap: CallWrapper = direct,
): Promise<{ objects: ObjectSummary[]; complete: boolean }> {
  return listObjectPages(client, bucket, prefix, { wrap, maxPages });
}

async function listObjectPages(
  client: S3Client,
  bucket: string,
  prefix: string,
  opts: { wrap: CallWrapper; expectedOwner?: string; startAfter?: string; maxPages?: number },
): Promise<{ objects: ObjectSummary[]; complete: boolean }> {
  const found: ObjectSummary[] = [];
  let ContinuationToken: string | undefined;
  let pages = 0;
  do {
    if (opts.maxPages !== undefined && pages >= opts.maxPages) return { objects: found, complete: false };
    pages += 1;
    const page = await opts.wrap(() =>
      client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken,
          ExpectedBucketOwner: opts.expectedOwner,
          ...(opts.startAfter !== undefined && ContinuationToken === undefined ? { StartAfter: opts.startAfter } : {}),
        }),
      ),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key) found.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified, etag: o.ETag });
    }
    // NextContinuationToken "is sent when IsTruncated is true": without it the rest cannot be listed, and a listing cut short is never whole.
    if (page.IsTruncated && !page.NextContinuationToken)
      throw new Error(
        `ListObjectsV2 of s3://${bucket}/${prefix} answered IsTruncated without a NextContinuationToken after ${found.length} key(s): the listing cannot be read to its end (an S3-compatible store that does not page as S3 does?)`,
      );
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return { objects: found, complete: true };
}

/** An object's tags as a record. */
export async function getObjectTags(
  client: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
  wrap: CallWrapper = direct,
  expectedOwner?: string,
): Promise<Record<string, string>> {
  const out = await wrap(() =>
    client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId, ExpectedBucketOwner: expectedOwner })),
  );
  const tags: Record<string, string> = {};
  for (const t of out.TagSet ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return tags;
}

/**
 * Adds `add` to an object's tags, keeping the others (PutObjectTagging
 * replaces the whole set). Returns the tags written.
 * @throws Error when the merged set would exceed S3's 10 tags.
 */
export async function addObjectTags(
  client: S3Client,
  bucket: string,
  key: string,
  add: Readonly<Record<string, string>>,
  options: { versionId?: string; current?: Readonly<Record<string, string>>; wrap?: CallWrapper } = {},
): Promise<Record<string, string>> {
  const wrap = options.wrap ?? direct;
  const current = options.current ?? (await getObjectTags(client, bucket, key, options.versionId, wrap));
  const merged = mergeTags(current, add);
  await wrap(() =>
    client.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: key,
        VersionId: options.versionId,
        Tagging: { TagSet: Object.entries(merged).map(([Key, Value]) => ({ Key, Value })) },
      }),
    ),
  );
  return merged;
}

/**
 * GetObjectRetention of an object's version (default: the current one);
 * `undefined` when it has none (S3 answers `NoSuchObjectLockConfiguration`).
 * `expectedOwner`: S3 refuses the call when another account owns the bucket.
 */
export async function getObjectRetention(
  client: S3Client,
  bucket: string,
  key: string,
  options: { readonly versionId?: string; readonly wrap?: CallWrapper; readonly expectedOwner?: string } = {},
): Promise<ObjectRetention | undefined> {
  const wrap = options.wrap ?? direct;
  try {
    const out = await wrap(() =>
      client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, ExpectedBucketOwner: options.expectedOwner })),
    );
    return out.Retention ? { mode: out.Retention.Mode, retainUntil: out.Retention.RetainUntilDate } : undefined;
  } catch (err) {
    if (errorName(err) === 'NoSuchObjectLockConfiguration') return undefined;
    throw err;
  }
}

/** PutObjectRetention in COMPLIANCE mode to `retainUntil` (never bypassing governance: the request names no bypass). */
export async function putComplianceRetention(
  client: S3Client,
  bucket: string,
  key: string,
  retainUntil: Date,
  versionId?: string,
  wrap: CallWrapper = direct,
): Promise<void> {
  await wrap(() =>
    client.send(
      new PutObjectRetentionCommand({ Bucket: bucket, Key: key, VersionId: versionId, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: retainUntil } }),
    ),
  );
}

/** The body of an object as a Node stream of bytes, with its size. */
export async function openObject(
  client: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<{ body: AsyncIterable<Uint8Array>; size?: number; versionId?: string }> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return { body: out.Body as Readable & AsyncIterable<Uint8Array>, size: out.ContentLength, versionId: out.VersionId };
}

/** `s3://bucket/key` → parts; `undefined` when not an S3 URL with a key. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(url);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}
