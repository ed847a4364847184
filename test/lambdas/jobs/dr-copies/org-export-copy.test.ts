import { GetObjectCommand, GetObjectTaggingCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { copyExportUnderOrgRoot } from '../../../../lambdas/jobs/dr-copies/org-export-copy.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';

/**
 * A finished export's shard under the account's prefix (issue 52: the export replicas of an organization's
 * vault), over a real S3 API (moto): the same bytes and ETag under `<account>/<region>/<key>`, its tags, and
 * nothing written for a prefix that is not the account-prefix layout or a source that is not versioned.
 */
let moto: MotoS3;
let n = 0;
const KEY = 'rdr-sessions-20261125-0200-0001.rdb';
const TAGS = { 'redis-dr:tier': 'daily', 'redis-dr:plan': 'sessions', 'redis-dr:shard': '0001/0001' };

beforeAll(async () => {
  moto = await startMotoS3();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

async function exportBucket(versioned = true): Promise<string> {
  const bucket = `export-${++n}`;
  await moto.bucket(bucket);
  if (versioned) await moto.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: Buffer.from('REDIS0011 not really an rdb, bytes to copy') }));
  return bucket;
}

describe('copyExportUnderOrgRoot', () => {
  it('copies the shard to <account>/<region>/<key> with the same bytes and ETag and its tags', async () => {
    const bucket = await exportBucket();
    const root = accountRegionPrefix('111111111111', 'eu-west-1');
    const target = await copyExportUnderOrgRoot(moto.client, bucket, KEY, root, TAGS);
    expect(target).toBe(`111111111111/eu-west-1/${KEY}`);
    const [src, copy] = await Promise.all([KEY, target].map((Key) => moto.client.send(new GetObjectCommand({ Bucket: bucket, Key }))));
    expect(await copy!.Body!.transformToString()).toBe(await src!.Body!.transformToString());
    expect(copy!.ETag).toBe(src!.ETag);
    const tags = await moto.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: target }));
    expect(Object.fromEntries(tags.TagSet!.map((t) => [t.Key, t.Value]))).toEqual(TAGS);
  }, 60_000);

  it.each([
    ['no account', 'eu-west-1/'],
    ['no region', '111111111111/'],
    ['a deeper prefix', '111111111111/eu-west-1/extra/'],
  ])(
    'refuses an orgRoot with %s, writing nothing',
    async (_what, root) => {
      const bucket = await exportBucket();
      await expect(copyExportUnderOrgRoot(moto.client, bucket, KEY, root, TAGS)).rejects.toThrow(/^orgRoot must be <12-digit account>\/<region>\//);
    },
    60_000,
  );

  it('refuses a source without a version id (an unversioned bucket), naming it', async () => {
    const bucket = await exportBucket(false);
    await expect(copyExportUnderOrgRoot(moto.client, bucket, KEY, accountRegionPrefix('111111111111', 'eu-west-1'), TAGS)).rejects.toThrow(
      new RegExp(`s3://${bucket}/${KEY}: HeadObject gave no version id`),
    );
  }, 60_000);
});
