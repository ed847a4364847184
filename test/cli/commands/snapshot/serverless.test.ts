import {
  CreateServerlessCacheSnapshotCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeServerlessCachesCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ExportServerlessCacheSnapshotCommand,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../support/fakes.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * `snapshot` and `export` of a serverless cache (issue 53 item 2: record
 * serverless runs): their calls are recorded (test/fixtures/iam/calls/cli-serverless.json)
 * like every CLI test's, so the operator policy derived from the recordings
 * allows CreateServerlessCacheSnapshot and ExportServerlessCacheSnapshot
 * with the export's dependent actions (lib/iam-actions.ts).
 */
const CONFIG = 'test/fixtures/config/selftest-serverless.json';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const ACCOUNT = '111122223333';
const CACHE = 'edge-cache';
const POINT = `rdr-${CACHE}-20261123-0800`;
const POINT_ARN = `arn:aws:elasticache:eu-west-1:${ACCOUNT}:serverlesscachesnapshot:${POINT}`;
const TAGS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'sl', 'redis-dr:plan': 'edge', 'redis-dr:source': CACHE, 'redis-dr:tier': 'hourly' };

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const s3 = mockClient(S3Client);
const sts = mockClient(STSClient);
afterAll(() => {
  for (const m of [ec, tagging, s3, sts]) m.restore();
});

let clock: FakeClock;
beforeEach(() => {
  for (const m of [ec, tagging, s3, sts]) m.reset();
  clock = new FakeClock(NOW);
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT });
  ec.on(DescribeServerlessCachesCommand).resolves({
    ServerlessCaches: [{ ServerlessCacheName: CACHE, Status: 'available', Engine: 'valkey', MajorEngineVersion: '8' }],
  });
  ec.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
  ec.on(DescribeServerlessCacheSnapshotsCommand).resolves({
    ServerlessCacheSnapshots: [
      { ServerlessCacheSnapshotName: POINT, ARN: POINT_ARN, Status: 'available', CreateTime: new Date(NOW - 7_200_000), SnapshotType: 'manual' },
    ],
  });
  ec.on(CreateServerlessCacheSnapshotCommand).resolves({});
  ec.on(ExportServerlessCacheSnapshotCommand).resolves({});
  tagging
    .on(GetResourcesCommand)
    .resolves({ ResourceTagMappingList: [{ ResourceARN: POINT_ARN, Tags: Object.entries(TAGS).map(([Key, Value]) => ({ Key, Value })) }] });
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
});

describe('redis-dr snapshot and export of a serverless cache', () => {
  it('snapshot takes a serverless snapshot with the plan tags (CreateServerlessCacheSnapshot)', async () => {
    const r = await runInProcess(['snapshot', '-c', CONFIG, '--plan', 'edge'], { clock });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const created = ec.commandCalls(CreateServerlessCacheSnapshotCommand)[0]!.args[0].input;
    expect(created).toMatchObject({ ServerlessCacheName: CACHE, ServerlessCacheSnapshotName: `rdr-${CACHE}-20261123-1000` });
    expect(Object.fromEntries((created.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ 'redis-dr:deployment': 'sl', 'redis-dr:plan': 'edge' });
  });

  it('export starts the serverless export into the export bucket (ExportServerlessCacheSnapshot)', async () => {
    const r = await runInProcess(['export', '-c', CONFIG, '--plan', 'edge'], { clock });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(ec.commandCalls(ExportServerlessCacheSnapshotCommand)[0]!.args[0].input).toEqual({
      ServerlessCacheSnapshotName: POINT,
      S3BucketName: `redis-dr-sl-${ACCOUNT}-eu-west-1`,
    });
  });
});
