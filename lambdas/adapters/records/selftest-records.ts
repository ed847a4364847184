/**
 * The selftest's summary records in the DR bucket (`selftest/<time>.json`):
 * written with a read-back (stored = read back), and the newest one read for
 * `status` and `doctor`.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../aws/s3/objects.js';
import { SELFTEST_PREFIX, type SelftestRecord, selftestRecordSchema } from '../../domain/selftest/steps.js';
import { S3ObjectStore } from '../storage/object-store-s3.js';

/** The record's bytes as written (stable: read-back compares them). */
export function selftestRecordBody(record: SelftestRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * Writes the record through the object store's verified put (SHA-256 sent
 * with the PUT, then read back): stored only when what is stored is what was
 * written. The bytes written.
 * @throws PutError when it was not stored as written
 */
export async function writeSelftestRecord(s3: S3Client, bucket: string, key: string, record: SelftestRecord): Promise<number> {
  const put = await new S3ObjectStore(s3, bucket, '').put(key, Buffer.from(selftestRecordBody(record)), {
    ifExists: 'replace',
    contentType: 'application/json',
  });
  return put.bytes;
}

/** The newest record under `selftest/` (keys sort by time), or undefined when none. */
export async function readNewestSelftestRecord(s3: S3Client, bucket: string): Promise<{ key: string; record: SelftestRecord } | undefined> {
  let newest: string | undefined;
  // Every page (a listing that cannot be read to its end fails: objects.ts), so the newest is the newest.
  for (const o of await listObjects(s3, bucket, SELFTEST_PREFIX)) if (o.key.endsWith('.json') && (newest === undefined || o.key > newest)) newest = o.key;
  if (!newest) return undefined;
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: newest }));
  const parsed = selftestRecordSchema.safeParse(JSON.parse((await got.Body?.transformToString()) ?? 'null'));
  if (!parsed.success) throw new Error(`s3://${bucket}/${newest} is not a selftest record: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return { key: newest, record: parsed.data };
}
