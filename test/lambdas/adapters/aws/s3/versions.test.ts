import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listVersions } from '../../../../../lambdas/adapters/aws/s3/versions.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });

beforeEach(() => {
  s3.reset();
});

describe('listVersions', () => {
  it('follows NextKeyMarker and NextVersionIdMarker while IsTruncated, versions and delete markers alike', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: 'a', VersionId: 'v1' }], IsTruncated: true, NextKeyMarker: 'a', NextVersionIdMarker: 'v1' })
      .resolvesOnce({ DeleteMarkers: [{ Key: 'b', VersionId: 'd1' }], IsTruncated: false });
    expect(await listVersions(client, 'bucket', 'p/')).toEqual([
      { key: 'a', versionId: 'v1', lastModified: undefined, deleteMarker: false },
      { key: 'b', versionId: 'd1', lastModified: undefined, deleteMarker: true },
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => [c.args[0].input.KeyMarker, c.args[0].input.VersionIdMarker])).toEqual([
      [undefined, undefined],
      ['a', 'v1'],
    ]);
  });

  it('refuses a page that says it is truncated without a marker to go on: never a listing cut short as whole', async () => {
    s3.on(ListObjectVersionsCommand).resolvesOnce({ Versions: [{ Key: 'a', VersionId: 'v1' }], IsTruncated: true });
    await expect(listVersions(client, 'bucket', 'p/')).rejects.toThrow(
      'ListObjectVersions of s3://bucket/p/ answered IsTruncated without a NextKeyMarker after 1 version(s): the listing cannot be read to its end (an S3-compatible store that does not page as S3 does?)',
    );
  });
});
