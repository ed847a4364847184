import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type CollapseMark, collapseMarkSchema } from '../../domain/points/collapse-records.js';
import type { CallWrapper } from '../aws/elasticache.js';
import { errorName } from '../aws/errors.js';
import { PutError } from '../storage/object-store.js';
import { S3ObjectStore } from '../storage/object-store-s3.js';

/**
 * The DR bucket's keyspace-collapse records (domain/points/collapse-records.ts):
 * the verifier's marks and the operator's releases, each put through the
 * object store's verified put (PutObject with its SHA-256, HeadObject reads
 * S3's checksum back) so that it counts as stored only when S3 holds the
 * bytes written, and the body of a mark read for a drill's report.
 */

const direct: CallWrapper = (call) => call();
const ABSENT = new Set(['NoSuchKey', 'NotFound']);

/**
 * Puts `record` (JSON) at `key`, replacing what is there, and reads it back.
 * @throws Error naming the record when the put or its read-back fails
 */
export async function writeCollapseRecord(s3: S3Client, bucket: string, key: string, record: object, wrap: CallWrapper = direct): Promise<string> {
  const store = new S3ObjectStore(s3, bucket, '');
  try {
    await wrap(() => store.put(key, Buffer.from(`${JSON.stringify(record)}\n`), { ifExists: 'replace', contentType: 'application/json' }));
  } catch (err) {
    const stage = err instanceof PutError ? err.stage : 'write';
    const cause = err instanceof PutError ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      stage === 'read-back' ? `s3://${bucket}/${key} written but not read back as written: ${message}` : `s3://${bucket}/${key} not written: ${message}`,
      { cause },
    );
  }
  return key;
}

/** The mark at `key`, parsed; undefined when there is none or it is not a mark (other errors throw). */
export async function readCollapseMark(s3: S3Client, bucket: string, key: string, wrap: CallWrapper = direct): Promise<CollapseMark | undefined> {
  let body: string;
  try {
    const out = await wrap(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    body = (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (ABSENT.has(errorName(err))) return undefined;
    throw err;
  }
  try {
    const parsed = collapseMarkSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
