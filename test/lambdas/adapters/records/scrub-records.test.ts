/**
 * A scrub's record put into the DR bucket (moto, a real S3 API behind a proxy): a PUT whose answer was lost after S3
 * stored it (the SDK sends it again, and that attempt meets the record: 412) is the run's record, read back; another
 * writer's record under the name is not taken for it.
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { readScrubLedger, writeScrubRecord } from '../../../../lambdas/adapters/records/scrub-records.js';
import { KeyExistsError } from '../../../../lambdas/adapters/storage/object-store.js';
import { type ScrubRecord, scrubRecordName } from '../../../../lambdas/domain/scrub/record.js';
import { motoForFile } from '../../../support/moto-file.js';
import { proxiedS3Client, viaS3Proxy } from '../../../support/s3-proxy.js';

const motoS3 = motoForFile();
let n = 0;

const startedAt = new Date('2026-11-27T05:00:00.000Z');
const record: ScrubRecord = {
  kind: 'redis-dr-scrub',
  destination: 's3://dr/',
  startedAt: startedAt.toISOString(),
  finishedAt: '2026-11-27T05:01:00.000Z',
  days: 30,
  copies: 1,
  results: [{ file: 'rdr-app-20261127-0400-0001.rdb', ok: true, problems: [] }],
};
const name = scrubRecordName(startedAt);

/** `f` against a fresh bucket through a proxy that cuts the answer of the first PUT of the record (`cut`), after moto stored it. */
async function throughProxy<T>(cut: boolean, f: (bucket: string) => Promise<T>): Promise<T> {
  const bucket = `scrub-records-${++n}`;
  await motoS3().bucket(bucket);
  let done = !cut;
  const rule = (method: string, url: string) => !done && (done = method === 'PUT' && url.split('?')[0]!.endsWith(`/${name}`));
  return viaS3Proxy(motoS3().endpoint, { cut: rule }, () => f(bucket));
}

describe("a scrub's record whose PUT answer was lost after S3 stored it", () => {
  it('is the run\'s record, read back: written, not "an object appeared" failing a scrub that stored its record', async () => {
    const r = await throughProxy(true, async (bucket) => {
      const s3 = proxiedS3Client();
      try {
        const key = await writeScrubRecord(s3, bucket, name, record).catch((e: unknown) => e);
        return { key, ledger: await readScrubLedger(motoS3().client, bucket) };
      } finally {
        s3.destroy();
      }
    });
    expect(r.key).toBe(`scrub/${name}`);
    expect(r.ledger.records).toEqual([record]);
  });

  it("negative: another writer's record of the very same bytes under the name is refused (KeyExistsError), left as it is", async () => {
    const text = `${JSON.stringify(record, null, 2)}\n`;
    const r = await throughProxy(false, async (bucket) => {
      await motoS3().client.send(new PutObjectCommand({ Bucket: bucket, Key: `scrub/${name}`, Body: text }));
      const s3 = proxiedS3Client();
      try {
        const err = await writeScrubRecord(s3, bucket, name, record).catch((e: unknown) => e);
        // HEAD, not GET: a GET's body never read stayed open on moto's socket, and moto's stop at the file's end aborted it
        // with no listener: an uncaught ECONNRESET vitest named in this file (two whole runs, every test passed, exit 1).
        const got = await motoS3().client.send(new HeadObjectCommand({ Bucket: bucket, Key: `scrub/${name}` }));
        return { err, metadata: got.Metadata };
      } finally {
        s3.destroy();
      }
    });
    expect(r.err).toBeInstanceOf(KeyExistsError);
    expect(r.metadata).toEqual({});
  });
});
