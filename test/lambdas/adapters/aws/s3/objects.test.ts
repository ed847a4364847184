import { GetObjectRetentionCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { throttleRetry } from '../../../../../lambdas/adapters/aws/retry.js';
import { addObjectTags, getObjectRetention, getObjectTags, listObjects, parseS3Url } from '../../../../../lambdas/adapters/aws/s3/objects.js';
import { awsError, FakeClock } from '../../../../support/fakes.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
const modified = new Date('2026-11-21T04:00:00Z');

beforeEach(() => {
  s3.reset();
});

describe('listObjects', () => {
  it('follows NextContinuationToken while IsTruncated, with the prefix on every page', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'rdr-a-20261121-0300-0001.rdb', Size: 10, LastModified: modified, ETag: '"e1"' }],
        IsTruncated: true,
        NextContinuationToken: 't2',
      })
      .resolvesOnce({
        Contents: [{ Key: 'rdr-a-20261121-0300-0002.rdb', Size: 20 }, {}],
        IsTruncated: true,
        NextContinuationToken: 't3',
      })
      .resolvesOnce({ Contents: [{ Key: 'rdr-a-20261121-0300-0003.rdb', Size: 30 }], IsTruncated: false, NextContinuationToken: 'ignored' });
    const found = await listObjects(client, 'bucket', 'rdr-a-20261121-0300-');
    expect(found).toEqual([
      { key: 'rdr-a-20261121-0300-0001.rdb', size: 10, lastModified: modified, etag: '"e1"' },
      { key: 'rdr-a-20261121-0300-0002.rdb', size: 20, lastModified: undefined, etag: undefined },
      { key: 'rdr-a-20261121-0300-0003.rdb', size: 30, lastModified: undefined, etag: undefined },
    ]);
    expect(s3).toHaveReceivedCommandTimes(ListObjectsV2Command, 3);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'bucket', Prefix: 'rdr-a-20261121-0300-', ContinuationToken: undefined },
      { Bucket: 'bucket', Prefix: 'rdr-a-20261121-0300-', ContinuationToken: 't2' },
      { Bucket: 'bucket', Prefix: 'rdr-a-20261121-0300-', ContinuationToken: 't3' },
    ]);
  });

  it('refuses a page that says it is truncated without a token to go on: never a listing cut short as whole', async () => {
    // NextContinuationToken "is sent when IsTruncated is true" (ListObjectsV2Output): a store that omits it cannot be listed to its end.
    s3.on(ListObjectsV2Command).resolvesOnce({ Contents: [{ Key: 'a.json', Size: 1 }], IsTruncated: true });
    await expect(listObjects(client, 'bucket', 'reports/')).rejects.toThrow(
      'ListObjectsV2 of s3://bucket/reports/ answered IsTruncated without a NextContinuationToken after 1 key(s): the listing cannot be read to its end (an S3-compatible store that does not page as S3 does?)',
    );
  });

  it('returns nothing for an empty prefix listing', async () => {
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0, IsTruncated: false });
    expect(await listObjects(client, 'bucket', 'rdr-')).toEqual([]);
  });

  it('retries a throttled page alone', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'k1' }], IsTruncated: true, NextContinuationToken: 't2' })
      .rejectsOnce(awsError('SlowDown', 'Please reduce your request rate.', 503))
      .resolvesOnce({ Contents: [{ Key: 'k2' }], IsTruncated: false });
    const clock = new FakeClock(0);
    const found = await listObjects(client, 'bucket', 'k', throttleRetry(clock, 60_000, 100));
    expect(found.map((o) => o.key)).toEqual(['k1', 'k2']);
    expect(s3).toHaveReceivedNthCommandWith(ListObjectsV2Command, 3, { ContinuationToken: 't2' });
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe('getObjectRetention (vault replicas)', () => {
  it('reads the mode and retain-until, expecting the given owner; none when S3 says the object has no lock', async () => {
    const until = new Date('2027-12-27T00:00:00Z');
    s3.on(GetObjectRetentionCommand, { Key: 'locked.rdb' }).resolves({ Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until } });
    s3.on(GetObjectRetentionCommand, { Key: 'open.rdb' }).rejects(awsError('NoSuchObjectLockConfiguration'));
    expect(await getObjectRetention(client, 'vault', 'locked.rdb', { expectedOwner: '222222222222' })).toEqual({ mode: 'COMPLIANCE', retainUntil: until });
    expect(await getObjectRetention(client, 'vault', 'open.rdb')).toBeUndefined();
    expect(s3.commandCalls(GetObjectRetentionCommand)[0]!.args[0].input).toEqual({ Bucket: 'vault', Key: 'locked.rdb', ExpectedBucketOwner: '222222222222' });
  });

  it('lets every other error through (a bucket of another owner is not "no lock")', async () => {
    s3.on(GetObjectRetentionCommand).rejects(awsError('AccessDenied'));
    await expect(getObjectRetention(client, 'vault', 'x.rdb', { expectedOwner: '222222222222' })).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe('getObjectTags / addObjectTags', () => {
  it('reads tags as a record', async () => {
    s3.on(GetObjectTaggingCommand).resolves({
      TagSet: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: undefined },
      ],
    });
    expect(await getObjectTags(client, 'bucket', 'key', 'v1')).toEqual({ a: '1', b: '' });
    expect(s3).toHaveReceivedCommandWith(GetObjectTaggingCommand, { Bucket: 'bucket', Key: 'key', VersionId: 'v1' });
  });

  it('merges the new tags into the current set and writes the whole set', async () => {
    s3.on(GetObjectTaggingCommand).resolves({
      TagSet: [
        { Key: 'team', Value: 'payments' },
        { Key: 'redis-dr:tier', Value: 'hourly' },
      ],
    });
    s3.on(PutObjectTaggingCommand).resolves({});
    const written = await addObjectTags(client, 'bucket', 'key', { 'redis-dr:tier': 'daily', 'redis-dr:plan': 'sessions' });
    expect(written).toEqual({ team: 'payments', 'redis-dr:tier': 'daily', 'redis-dr:plan': 'sessions' });
    expect(s3.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'key',
      VersionId: undefined,
      Tagging: {
        TagSet: [
          { Key: 'team', Value: 'payments' },
          { Key: 'redis-dr:tier', Value: 'daily' },
          { Key: 'redis-dr:plan', Value: 'sessions' },
        ],
      },
    });
  });

  it('uses the tags it is given instead of reading them, and tags the given version', async () => {
    s3.on(PutObjectTaggingCommand).resolves({});
    await addObjectTags(client, 'bucket', 'key', { b: '2' }, { current: { a: '1' }, versionId: 'v7' });
    expect(s3).not.toHaveReceivedCommand(GetObjectTaggingCommand);
    expect(s3).toHaveReceivedCommandWith(PutObjectTaggingCommand, {
      VersionId: 'v7',
      Tagging: {
        TagSet: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      },
    });
  });

  it('refuses to write more than 10 tags', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: Array.from({ length: 9 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) });
    await expect(addObjectTags(client, 'bucket', 'key', { x: '1', y: '2' })).rejects.toThrow(/11 tags, S3 allows 10/);
    expect(s3).not.toHaveReceivedCommand(PutObjectTaggingCommand);
  });

  it('retries the throttled call only', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    s3.on(PutObjectTaggingCommand)
      .rejectsOnce(awsError('SlowDown', 'slow', 503))
      .resolves({});
    const clock = new FakeClock(0);
    await addObjectTags(client, 'bucket', 'key', { a: '1' }, { wrap: throttleRetry(clock, 60_000, 100) });
    expect(s3).toHaveReceivedCommandTimes(GetObjectTaggingCommand, 1);
    expect(s3).toHaveReceivedCommandTimes(PutObjectTaggingCommand, 2);
  });
});

describe('parseS3Url', () => {
  it.each([
    ['s3://prod-export/rdr-a-20261121-0300-0001.rdb', { bucket: 'prod-export', key: 'rdr-a-20261121-0300-0001.rdb' }],
    ['s3://my.bucket.eu/dir/sub/key.rdb', { bucket: 'my.bucket.eu', key: 'dir/sub/key.rdb' }],
    ['s3://bucket/', undefined],
    ['s3://bucket', undefined],
    ['s3://Bucket/key', undefined],
    ['s3://ab/key', undefined],
    ['https://bucket.s3.amazonaws.com/key', undefined],
    ['/tmp/dump.rdb', undefined],
  ])('%s → %j', (url, expected) => {
    expect(parseS3Url(url)).toEqual(expected);
  });
});
