import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { readNewestSelftestRecord, selftestRecordBody } from '../../../../lambdas/adapters/records/selftest-records.js';
import type { SelftestRecord } from '../../../../lambdas/domain/selftest/steps.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
const record: SelftestRecord = {
  kind: 'redis-dr-selftest',
  version: 1,
  deployment: 'd',
  startedAt: '2030-06-01T10:00:00Z',
  finishedAt: '2030-06-01T10:05:00Z',
  regions: 'both',
  verdict: 'passed',
  steps: [],
};

beforeEach(() => {
  s3.reset();
});

describe('readNewestSelftestRecord', () => {
  it('reads the newest record over every page of the listing', async () => {
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'selftest/2030-06-01T10-05-00Z.json', Size: 1 }], IsTruncated: true, NextContinuationToken: 't2' })
      .resolvesOnce({ Contents: [{ Key: 'selftest/2030-05-01T10-05-00Z.json', Size: 1 }], IsTruncated: false });
    s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from([Buffer.from(selftestRecordBody(record))])) });
    expect(await readNewestSelftestRecord(client, 'bucket')).toEqual({ key: 'selftest/2030-06-01T10-05-00Z.json', record });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input.Key).toBe('selftest/2030-06-01T10-05-00Z.json');
  });

  it('fails a listing cut short (IsTruncated without a token) instead of taking its first page as every record', async () => {
    s3.on(ListObjectsV2Command).resolvesOnce({ Contents: [{ Key: 'selftest/2030-05-01T10-05-00Z.json', Size: 1 }], IsTruncated: true });
    await expect(readNewestSelftestRecord(client, 'bucket')).rejects.toThrow(/answered IsTruncated without a NextContinuationToken after 1 key\(s\)/);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
