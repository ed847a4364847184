/**
 * An object redis-dr writes beside a copy (verify-rdb's key index,
 * `<copy>.keys`): put with S3's SHA-256 checked on arrival, under the copy's
 * own Object Lock retention when it has one (so the index lives as long as
 * the copy and cannot be changed meanwhile) and with the copy's lifecycle
 * tags (plan and tier: the DR bucket's tag-filtered lifecycle rules expire
 * it with the copy), then read back (HeadObject's checksum and length, and
 * its tags).
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand, type ObjectLockMode, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getObjectTags } from './objects.js';
import type { ObjectRetention } from '../../../domain/vault/vault-copies.js';

/**
 * The Object Lock retention of an object's version, as HeadObject gives it
 * (S3 includes it for a caller allowed s3:GetObjectRetention); undefined when
 * it has none.
 */
export async function objectLockOf(client: S3Client, bucket: string, key: string, versionId: string | undefined): Promise<ObjectRetention | undefined> {
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return head.ObjectLockMode && head.ObjectLockRetainUntilDate ? { mode: head.ObjectLockMode, retainUntil: head.ObjectLockRetainUntilDate } : undefined;
}

/**
 * Puts `body` as `key`, locked like `retention` (the copy's) when given,
 * tagged with `tags` (the x-amz-tagging header) when any, with `metadata`
 * (`x-amz-meta-…`: the copy's version an index was built from), and reads
 * it back.
 * @throws an Error naming the object when S3 holds other bytes or tags than those sent
 */
export async function putObjectBeside(
  client: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  retention: ObjectRetention | undefined,
  tags: Readonly<Record<string, string>> = {},
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  const sha256 = createHash('sha256').update(body).digest('base64');
  const lock =
    retention?.mode && retention.retainUntil ? { ObjectLockMode: retention.mode as ObjectLockMode, ObjectLockRetainUntilDate: retention.retainUntil } : {};
  const tagging = Object.keys(tags).length > 0 ? { Tagging: new URLSearchParams(Object.entries(tags)).toString() } : {};
  // The algorithm named too: S3 wants a checksum header on a put under Object Lock.
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ChecksumAlgorithm: 'SHA256',
      ChecksumSHA256: sha256,
      ...lock,
      ...tagging,
      ...(Object.keys(metadata).length > 0 ? { Metadata: { ...metadata } } : {}),
    }),
  );
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
  if (head.ContentLength !== body.length || (head.ChecksumSHA256 !== undefined && head.ChecksumSHA256 !== sha256))
    throw new Error(
      `s3://${bucket}/${key} read back ${head.ContentLength} bytes, SHA-256 ${head.ChecksumSHA256}; sent ${body.length} bytes, SHA-256 ${sha256}: not the bytes put`,
    );
  const lost = Object.entries(metadata).filter(([k, v]) => head.Metadata?.[k] !== v);
  if (lost.length > 0)
    throw new Error(
      `s3://${bucket}/${key} read back without the metadata put (${lost.map(([k, v]) => `${k}=${v}`).join(', ')}): serve could not tie it to its copy`,
    );
  if (Object.keys(tags).length === 0) return;
  const held = await getObjectTags(client, bucket, key);
  const missing = Object.entries(tags).filter(([k, v]) => held[k] !== v);
  if (missing.length > 0)
    throw new Error(`s3://${bucket}/${key} read back without the tags put (${missing.map(([k, v]) => `${k}=${v}`).join(', ')}): it would outlive its copy`);
}
