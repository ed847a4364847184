/**
 * The scheduled scrubs' records in the DR bucket (`scrub/redis-dr-scrub-<time>.json`) and the vault's,
 * one per run, never replaced): written through the object store's verified
 * put (SHA-256 sent with the PUT, then read back), and read back as the
 * ledger of when each copy was last re-read.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { SCRUB_RECORDS_PREFIX } from '../../domain/scrub/input.js';
import { parseScrubRecord, SCRUB_RECORD_PREFIX, type ScrubRecord } from '../../domain/scrub/record.js';
import { S3ObjectStore } from '../storage/object-store-s3.js';

function store(s3: S3Client, bucket: string, prefix: string): S3ObjectStore {
  return new S3ObjectStore(s3, bucket, prefix);
}

/**
 * Writes a run's record under `name`, never over another (If-None-Match), read back.
 * @throws PutError / KeyExistsError when it was not stored as written
 */
export async function writeScrubRecord(s3: S3Client, bucket: string, name: string, record: ScrubRecord, prefix = SCRUB_RECORDS_PREFIX): Promise<string> {
  await store(s3, bucket, prefix).put(name, Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8'), { ifExists: 'fail', contentType: 'application/json' });
  return `${prefix}${name}`;
}

/** Every run's record under `prefix` (`scrub/`, the vault's `redis-dr-vault-scrub/`; one that does not parse is left out, never guessed). */
export async function readScrubRecords(s3: S3Client, bucket: string, prefix = SCRUB_RECORDS_PREFIX): Promise<ScrubRecord[]> {
  const s = store(s3, bucket, prefix);
  const names = (await s.list()).map((o) => o.key).filter((k) => k.startsWith(SCRUB_RECORD_PREFIX) && k.endsWith('.json'));
  const out: ScrubRecord[] = [];
  for (const name of names) {
    const record = parseScrubRecord((await s.get(name)).toString('utf8'));
    if (record) out.push(record);
  }
  return out;
}
