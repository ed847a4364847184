import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { COPY_OBJECT_MAX_BYTES, multipartParts, partRanges, type SeedReplica } from '../../../domain/vault/vault-seed.js';
import type { CallWrapper } from '../elasticache.js';
import { listVersions } from './versions.js';

/**
 * Server-side copies of one object version into another bucket, and the
 * removal of every version of a key: the vault drill's seed copy. S3 copies
 * the bytes (CopyObject up to 5 GiB; UploadPartCopy with the source's own
 * part lengths for a multipart source, so the copy's ETag is the source's);
 * `CopySourceIfMatch` pins the bytes to the verified ETag.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 */

const direct: CallWrapper = (call) => call();

/** Where a copy reads from: one version of a replica, in a bucket of `expectedOwner`. */
export interface CopySource {
  readonly bucket: string;
  readonly replica: SeedReplica;
  /** The source bucket's account: S3 refuses the copy when another account owns it. */
  readonly expectedOwner?: string;
}

function copySource(src: CopySource): string {
  return `${src.bucket}/${encodeURIComponent(src.replica.key).replace(/%2F/g, '/')}?versionId=${encodeURIComponent(src.replica.versionId)}`;
}

/** Copies `src` to `bucket`/`key` (same ETag as the source for SSE-S3). */
export async function copyVersion(client: S3Client, src: CopySource, bucket: string, key: string, wrap: CallWrapper = direct): Promise<void> {
  const parts = multipartParts(src.replica.etag);
  const common = { Bucket: bucket, Key: key, CopySource: copySource(src), ExpectedSourceBucketOwner: src.expectedOwner };
  if (parts === undefined) {
    if (src.replica.size > COPY_OBJECT_MAX_BYTES) {
      throw new Error(`s3://${src.bucket}/${src.replica.key} has ${src.replica.size} bytes and a single-part ETag: CopyObject copies at most 5 GiB`);
    }
    await wrap(() =>
      // No tags on the copy (REPLACE with none): the replica's tier tags must not put it under the DR bucket's tier rules.
      client.send(new CopyObjectCommand({ ...common, CopySourceIfMatch: src.replica.etag, MetadataDirective: 'COPY', TaggingDirective: 'REPLACE' })),
    );
    return;
  }
  // The source's own part lengths (HeadObject of each part), so each part's MD5 and so the ETag come out the same.
  const lengths: number[] = [];
  for (let n = 1; n <= parts; n++) {
    const head = await wrap(() =>
      client.send(
        new HeadObjectCommand({
          Bucket: src.bucket,
          Key: src.replica.key,
          VersionId: src.replica.versionId,
          PartNumber: n,
          ExpectedBucketOwner: src.expectedOwner,
        }),
      ),
    );
    lengths.push(head.ContentLength ?? 0);
  }
  const ranges = partRanges(lengths, src.replica.size);
  const upload = await wrap(() => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })));
  const uploadId = upload.UploadId;
  if (!uploadId) throw new Error(`CreateMultipartUpload for s3://${bucket}/${key} returned no UploadId`);
  try {
    const done: { ETag: string; PartNumber: number }[] = [];
    for (const [i, range] of ranges.entries()) {
      const out = await wrap(() =>
        client.send(
          new UploadPartCopyCommand({
            ...common,
            UploadId: uploadId,
            PartNumber: i + 1,
            CopySourceRange: range,
            CopySourceIfMatch: src.replica.etag,
          }),
        ),
      );
      const etag = out.CopyPartResult?.ETag;
      if (!etag) throw new Error(`UploadPartCopy of part ${i + 1} of s3://${bucket}/${key} returned no ETag`);
      done.push({ ETag: etag, PartNumber: i + 1 });
    }
    await wrap(() => client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done } })));
  } catch (err) {
    // Parts of an unfinished upload are billed until aborted; the lifecycle rule's abort is the backstop.
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw err;
  }
}

/** The current version's length, ETag and version id (HeadObject). */
export async function headObject(
  client: S3Client,
  bucket: string,
  key: string,
  wrap: CallWrapper = direct,
): Promise<{ size?: number; etag?: string; versionId?: string }> {
  const out = await wrap(() => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
  return { size: out.ContentLength, etag: out.ETag, versionId: out.VersionId };
}

/** Every version and delete marker of exactly `key` (the listing is by prefix). */
async function versionsOf(client: S3Client, bucket: string, key: string, wrap: CallWrapper): Promise<string[]> {
  return (await listVersions(client, bucket, key, wrap)).filter((v) => v.key === key).map((v) => v.versionId);
}

/**
 * Deletes every version (and delete marker) of `key`, then lists again: it
 * counts as deleted only when nothing of it is left. Returns how many
 * versions went. A key that never existed is 0, not an error.
 * @throws Error when versions are still listed after the deletes
 */
export async function deleteAllVersions(client: S3Client, bucket: string, key: string, wrap: CallWrapper = direct): Promise<number> {
  const ids = await versionsOf(client, bucket, key, wrap);
  for (const VersionId of ids) await wrap(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId })));
  const left = await versionsOf(client, bucket, key, wrap);
  if (left.length > 0) throw new Error(`s3://${bucket}/${key}: ${left.length} version(s) still listed after deleting them`);
  return ids.length;
}
