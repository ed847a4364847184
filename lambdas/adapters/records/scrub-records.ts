/**
 * The scheduled scrubs' records in the DR bucket (`scrub/redis-dr-scrub-<time>.json`) and the vault's,
 * one per run, never replaced): written through the object store's verified
 * put (SHA-256 sent with the PUT, then read back), and read back as the
 * ledger of when each copy was last re-read.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type Attestation, chainHead } from '../../domain/attest/chain.js';
import { SCRUB_RECORDS_PREFIX } from '../../domain/scrub/input.js';
import { parseScrubRecord, SCRUB_RECORD_PREFIX, type ScrubRecord } from '../../domain/scrub/record.js';
import { S3ObjectStore } from '../storage/object-store-s3.js';

function store(s3: S3Client, bucket: string, prefix: string): S3ObjectStore {
  return new S3ObjectStore(s3, bucket, prefix);
}

/**
 * Writes a run's record under `name`, never over another (If-None-Match), read back.
 * @throws PutError / KeyExistsError (another writer's record there) when it was not stored as written
 */
export async function writeScrubRecord(
  s3: S3Client,
  bucket: string,
  name: string,
  record: ScrubRecord & { readonly attestation?: Attestation },
  prefix = SCRUB_RECORDS_PREFIX,
): Promise<string> {
  // Marked: a PUT whose answer was lost after S3 stored it (the SDK's retry meets it, 412) is this run's record, read
  // back, not another writer's (which would fail a run that stored its record).
  await store(s3, bucket, prefix).put(name, Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8'), {
    ifExists: 'fail',
    contentType: 'application/json',
    mark: true,
  });
  return `${prefix}${name}`;
}

/** The runs' records under a prefix, and the newest attestation among them (the head of their signed chain). */
export interface ScrubLedger {
  readonly records: ScrubRecord[];
  readonly head?: Attestation;
}

/** Every run's record under `prefix` (`scrub/`, the vault's `redis-dr-vault-scrub/`; one that does not parse is left out, never guessed), and the chain's head. */
export async function readScrubLedger(s3: S3Client, bucket: string, prefix = SCRUB_RECORDS_PREFIX): Promise<ScrubLedger> {
  const s = store(s3, bucket, prefix);
  const names = (await s.list()).map((o) => o.key).filter((k) => k.startsWith(SCRUB_RECORD_PREFIX) && k.endsWith('.json'));
  const records: ScrubRecord[] = [];
  const raw: unknown[] = [];
  for (const name of names) {
    const text = (await s.get(name)).toString('utf8');
    const record = parseScrubRecord(text);
    if (!record) continue;
    records.push(record);
    // The schema drops the attestation; the chain's head is read from the record as stored.
    raw.push(JSON.parse(text) as unknown);
  }
  const head = chainHead(raw);
  return { records, ...(head ? { head } : {}) };
}

/** Every run's record under `prefix` ({@link readScrubLedger} without the chain). */
export async function readScrubRecords(s3: S3Client, bucket: string, prefix = SCRUB_RECORDS_PREFIX): Promise<ScrubRecord[]> {
  return (await readScrubLedger(s3, bucket, prefix)).records;
}
