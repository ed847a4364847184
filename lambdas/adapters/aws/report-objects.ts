/**
 * The DR report's files in a bucket (`reports/…`): each written with a
 * SHA-256 checksum (a bucket with a default Object Lock retention requires
 * one; the vault's then locks the report like its replicas), then read back:
 * stored only when the body read back is the one written.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CallWrapper } from './elasticache.js';

const direct: CallWrapper = (call) => call();

const TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', json: 'application/json', csv: 'text/csv; charset=utf-8' };

/**
 * Writes `body` to s3://bucket/key and reads it back.
 * @throws Error naming the object when the read-back differs
 */
export async function putTextReadBack(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  wrap: CallWrapper = direct,
  expectedOwner?: string,
): Promise<void> {
  const ContentType = TYPES[key.slice(key.lastIndexOf('.') + 1)] ?? 'text/plain; charset=utf-8';
  await wrap(() =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType, ChecksumAlgorithm: 'SHA256', ExpectedBucketOwner: expectedOwner })),
  );
  const back = await wrap(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ExpectedBucketOwner: expectedOwner })));
  const text = (await back.Body?.transformToString()) ?? '';
  if (text !== body) throw new Error(`s3://${bucket}/${key} read back differs from what was written (${text.length} of ${body.length} characters)`);
}
