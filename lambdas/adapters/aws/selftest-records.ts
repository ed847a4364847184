/**
 * The selftest's summary records in the DR bucket (`selftest/<time>.json`):
 * written with a read-back (stored = read back), and the newest one read for
 * `status` and `doctor`.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SELFTEST_PREFIX, type SelftestRecord, selftestRecordSchema } from '../../domain/selftest/steps.js';

/** The record's bytes as written (stable: read-back compares them). */
export function selftestRecordBody(record: SelftestRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * Writes the record, then reads it back: stored only when the body read back
 * is the one written. A SHA-256 checksum goes with the PUT (a bucket with a
 * default Object Lock retention requires one).
 * @throws Error when the read-back differs.
 */
export async function writeSelftestRecord(s3: S3Client, bucket: string, key: string, record: SelftestRecord): Promise<number> {
  const body = selftestRecordBody(record);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', ChecksumAlgorithm: 'SHA256' }));
  const back = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await back.Body?.transformToString()) ?? '';
  if (text !== body) throw new Error(`s3://${bucket}/${key} read back differs from what was written (${text.length} of ${body.length} bytes)`);
  return body.length;
}

/** The newest record under `selftest/` (keys sort by time), or undefined when none. */
export async function readNewestSelftestRecord(s3: S3Client, bucket: string): Promise<{ key: string; record: SelftestRecord } | undefined> {
  let newest: string | undefined;
  let ContinuationToken: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: SELFTEST_PREFIX, ContinuationToken }));
    for (const o of out.Contents ?? []) if (o.Key?.endsWith('.json') && (newest === undefined || o.Key > newest)) newest = o.Key;
    ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (ContinuationToken);
  if (!newest) return undefined;
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: newest }));
  const parsed = selftestRecordSchema.safeParse(JSON.parse((await got.Body?.transformToString()) ?? 'null'));
  if (!parsed.success) throw new Error(`s3://${bucket}/${newest} is not a selftest record: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return { key: newest, record: parsed.data };
}
