/**
 * AOF history shipped into S3 (moto, a real S3 API, behind a proxy): a PUT whose answer was lost after S3 stored it
 * (the SDK sends it again, and that attempt meets the object: 412 under If-None-Match) is the run's own object, read
 * back and counted as uploaded, not a key an earlier run had written (0 bytes, never read back).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3AofStore } from '../../../../lambdas/adapters/storage/aof-store.js';
import { motoForFile } from '../../../support/moto-file.js';
import { proxiedS3Client, viaS3Proxy } from '../../../support/s3-proxy.js';

const moto = motoForFile();
let n = 0;

/** `f` with a store of a fresh bucket through a proxy that cuts the answer of the first PUT of `key` (when given), after moto stored it. */
async function throughProxy<T>(key: string | undefined, f: (store: S3AofStore, bucket: string) => Promise<T>): Promise<T> {
  const bucket = `aof-lost-${++n}`;
  await moto().bucket(bucket);
  let done = key === undefined;
  const cut = (method: string, url: string) => !done && (done = method === 'PUT' && url.split('?')[0]!.endsWith(`/aof/${key}`));
  return viaS3Proxy(moto().endpoint, { cut }, async () => {
    const client = proxiedS3Client();
    try {
      return await f(new S3AofStore(client, bucket, 'aof/'), bucket);
    } finally {
      client.destroy();
    }
  });
}

describe('S3AofStore: a PUT whose answer was lost after S3 stored it (moto behind a proxy)', () => {
  it('is the run\'s own object: read back and counted (its bytes), not "already there" (0)', async () => {
    const body = Buffer.from('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n');
    expect(await throughProxy('part-1', (store) => store.put('part-1', body))).toBe(body.length);
  });

  it('negative: an object an earlier writer left under the key (the very same bytes) is left, 0 bytes', async () => {
    const body = Buffer.from('the same bytes');
    const sent = await throughProxy(undefined, async (store, bucket) => {
      await moto().client.send(new PutObjectCommand({ Bucket: bucket, Key: 'aof/part-1', Body: body }));
      return store.put('part-1', body);
    });
    expect(sent).toBe(0);
  });
});
