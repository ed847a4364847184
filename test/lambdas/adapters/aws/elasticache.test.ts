import {
  AddTagsToResourceCommand,
  CopySnapshotCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ExportServerlessCacheSnapshotCommand,
  ServerlessCacheSnapshotNotFoundFault,
  SnapshotNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeSnapshotDetail, listTargetSnapshots, startSnapshotExport, tagSnapshot } from '../../../../lambdas/adapters/aws/elasticache.js';
import { throttleRetry } from '../../../../lambdas/adapters/aws/retry.js';
import { awsError, FakeClock } from '../../../support/fakes.js';
import { snapshotTagsBySources } from '../../../../lambdas/adapters/aws/tagging.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const client = new ElastiCacheClient({ region: 'eu-west-1' });

beforeEach(() => {
  ec.reset();
  tagging.reset();
});

describe('listTargetSnapshots', () => {
  it('maps replication group snapshots: earliest node time, lowercase status, name time while creating', async () => {
    ec.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        {
          SnapshotName: 'rdr-rg-a-20261121-1000',
          SnapshotStatus: 'Available',
          NodeSnapshots: [{ SnapshotCreateTime: new Date('2026-11-21T10:03:00Z') }, { SnapshotCreateTime: new Date('2026-11-21T10:01:00Z') }],
        },
        { SnapshotName: 'rdr-rg-a-20261121-1100', SnapshotStatus: 'creating', NodeSnapshots: [] },
      ],
    });
    const found = await listTargetSnapshots(client, { kind: 'replication-group', id: 'rg-a' });
    expect(found).toEqual([
      { name: 'rdr-rg-a-20261121-1000', source: 'rg-a', kind: 'replication-group', status: 'available', createdAt: new Date('2026-11-21T10:01:00Z') },
      { name: 'rdr-rg-a-20261121-1100', source: 'rg-a', kind: 'replication-group', status: 'creating', createdAt: new Date('2026-11-21T11:00:00Z') },
    ]);
  });

  it('retries a throttled page alone, not the whole listing', async () => {
    const page = (n: number, Marker?: string) => ({
      Snapshots: [{ SnapshotName: `rdr-rg-a-20261121-0${n}00`, SnapshotStatus: 'available' }],
      Marker,
    });
    ec.on(DescribeSnapshotsCommand).resolvesOnce(page(1, 'm2')).rejectsOnce(awsError('ThrottlingException')).resolvesOnce(page(2, 'm3')).resolvesOnce(page(3));
    const clock = new FakeClock(0);
    const found = await listTargetSnapshots(client, { kind: 'replication-group', id: 'rg-a' }, throttleRetry(clock, 60_000, 100));
    expect(found.map((f) => f.name)).toEqual(['rdr-rg-a-20261121-0100', 'rdr-rg-a-20261121-0200', 'rdr-rg-a-20261121-0300']);
    expect(ec).toHaveReceivedCommandTimes(DescribeSnapshotsCommand, 4);
    expect(ec).toHaveReceivedNthCommandWith(DescribeSnapshotsCommand, 3, { Marker: 'm2' });
    expect(clock.sleeps).toHaveLength(1);
  });

  it('reads every page of serverless snapshots and uses their CreateTime', async () => {
    ec.on(DescribeServerlessCacheSnapshotsCommand)
      .resolvesOnce({
        ServerlessCacheSnapshots: [{ ServerlessCacheSnapshotName: 'rdr-sls-20261121-1000', Status: 'available', CreateTime: new Date('2026-11-21T10:02:00Z') }],
        NextToken: 't2',
      })
      .resolvesOnce({
        ServerlessCacheSnapshots: [{ ServerlessCacheSnapshotName: 'rdr-sls-20261121-1100', Status: 'creating' }],
      });
    const found = await listTargetSnapshots(client, { kind: 'serverless-cache', id: 'sls' });
    expect(found.map((f) => [f.name, f.status, f.createdAt.toISOString()])).toEqual([
      ['rdr-sls-20261121-1000', 'available', '2026-11-21T10:02:00.000Z'],
      ['rdr-sls-20261121-1100', 'creating', '2026-11-21T11:00:00.000Z'],
    ]);
    expect(ec).toHaveReceivedNthCommandWith(DescribeServerlessCacheSnapshotsCommand, 2, { NextToken: 't2', MaxResults: 50 });
  });
});

describe('snapshotTagsBySources', () => {
  it('keeps only snapshot resources and splits sources into filters of 20 values', async () => {
    tagging.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: [
        { ResourceARN: 'arn:aws:elasticache:eu-west-1:1:snapshot:rdr-a-20261121-1000', Tags: [{ Key: 'redis-dr:tier', Value: 'daily' }] },
        { ResourceARN: 'arn:aws:elasticache:eu-west-1:1:serverlesscachesnapshot:rdr-s-20261121-1000', Tags: [] },
        { ResourceARN: 'arn:aws:elasticache:eu-west-1:1:replicationgroup:rg-a', Tags: [{ Key: 'redis-dr:tier', Value: 'x' }] },
      ],
    });
    const sources = Array.from({ length: 45 }, (_, i) => `rg-${i}`);
    const byName = await snapshotTagsBySources(
      new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1' }),
      { 'redis-dr:managed': 'true' },
      'redis-dr:source',
      sources,
    );
    expect([...byName.keys()].sort()).toEqual(['rdr-a-20261121-1000', 'rdr-s-20261121-1000']);
    expect(byName.get('rdr-a-20261121-1000')).toEqual({ 'redis-dr:tier': 'daily' });
    const sizes = tagging.commandCalls(GetResourcesCommand).map((c) => c.args[0].input.TagFilters!.at(-1)!.Values!.length);
    expect(sizes).toEqual([20, 20, 5]);
  });
});

describe('describeSnapshotDetail', () => {
  it('describes a replication group snapshot: status, ARN, engine, shards from NumNodeGroups, earliest node time', async () => {
    ec.on(DescribeSnapshotsCommand, { SnapshotName: 'rdr-rg-a-20261121-0300' }).resolves({
      Snapshots: [
        {
          SnapshotName: 'rdr-rg-a-20261121-0300',
          SnapshotStatus: 'Exporting',
          ARN: 'arn:aws:elasticache:eu-west-1:111122223333:snapshot:rdr-rg-a-20261121-0300',
          Engine: 'redis',
          EngineVersion: '7.1.0',
          NumNodeGroups: 3,
          NodeSnapshots: [
            { NodeGroupId: '0001', SnapshotCreateTime: new Date('2026-11-21T03:01:00Z') },
            { NodeGroupId: '0002', SnapshotCreateTime: new Date('2026-11-21T03:00:30Z') },
          ],
        },
      ],
    });
    expect(await describeSnapshotDetail(client, 'replication-group', 'rdr-rg-a-20261121-0300')).toEqual({
      name: 'rdr-rg-a-20261121-0300',
      kind: 'replication-group',
      status: 'exporting',
      arn: 'arn:aws:elasticache:eu-west-1:111122223333:snapshot:rdr-rg-a-20261121-0300',
      engine: 'redis 7.1.0',
      shards: 3,
      createdAt: new Date('2026-11-21T03:00:30Z'),
    });
  });

  it.each([
    ['distinct node groups when NumNodeGroups is absent', [{ NodeGroupId: '0001' }, { NodeGroupId: '0001' }, { NodeGroupId: '0002' }], 2],
    ['nothing when nothing says', [{}], undefined],
  ])('counts shards from %s', async (_, NodeSnapshots, shards) => {
    ec.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotName: 'rdr-rg-a-20261121-0300', SnapshotStatus: 'available', NodeSnapshots }] });
    const detail = await describeSnapshotDetail(client, 'replication-group', 'rdr-rg-a-20261121-0300');
    expect(detail?.shards).toBe(shards);
    expect(detail?.engine).toBeUndefined();
  });

  it('describes a serverless snapshot: engine from its cache configuration, shard count unknown', async () => {
    ec.on(DescribeServerlessCacheSnapshotsCommand, { ServerlessCacheSnapshotName: 'rdr-sls-20261121-0300' }).resolves({
      ServerlessCacheSnapshots: [
        {
          ServerlessCacheSnapshotName: 'rdr-sls-20261121-0300',
          ARN: 'arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:rdr-sls-20261121-0300',
          Status: 'available',
          CreateTime: new Date('2026-11-21T03:00:10Z'),
          ServerlessCacheConfiguration: { ServerlessCacheName: 'sls', Engine: 'valkey', MajorEngineVersion: '8' },
        },
      ],
    });
    expect(await describeSnapshotDetail(client, 'serverless-cache', 'rdr-sls-20261121-0300')).toEqual({
      name: 'rdr-sls-20261121-0300',
      kind: 'serverless-cache',
      status: 'available',
      arn: 'arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:rdr-sls-20261121-0300',
      engine: 'valkey 8',
      createdAt: new Date('2026-11-21T03:00:10Z'),
    });
  });

  it('returns undefined for a snapshot that does not exist (any more)', async () => {
    ec.on(DescribeSnapshotsCommand).rejects(new SnapshotNotFoundFault({ message: 'gone', $metadata: {} }));
    ec.on(DescribeServerlessCacheSnapshotsCommand).rejects(new ServerlessCacheSnapshotNotFoundFault({ message: 'gone', $metadata: {} }));
    expect(await describeSnapshotDetail(client, 'replication-group', 'rdr-rg-a-20261121-0300')).toBeUndefined();
    expect(await describeSnapshotDetail(client, 'serverless-cache', 'rdr-sls-20261121-0300')).toBeUndefined();
  });

  it('lets other errors through', async () => {
    ec.on(DescribeSnapshotsCommand).rejects(awsError('AccessDenied', 'no', 403));
    await expect(describeSnapshotDetail(client, 'replication-group', 'rdr-rg-a-20261121-0300')).rejects.toThrow('no');
  });
});

describe('startSnapshotExport / tagSnapshot', () => {
  it('exports a replication group snapshot with CopySnapshot to the bucket', async () => {
    ec.on(CopySnapshotCommand).resolves({});
    await startSnapshotExport(client, 'replication-group', 'rdr-rg-a-20261121-0300', 'rdr-rg-a-20261121-0300-r2', 'bucket');
    expect(ec.commandCalls(CopySnapshotCommand)[0]!.args[0].input).toEqual({
      SourceSnapshotName: 'rdr-rg-a-20261121-0300',
      TargetSnapshotName: 'rdr-rg-a-20261121-0300-r2',
      TargetBucket: 'bucket',
    });
  });

  it('exports a serverless snapshot with ExportServerlessCacheSnapshot, under its own name only', async () => {
    ec.on(ExportServerlessCacheSnapshotCommand).resolves({});
    await startSnapshotExport(client, 'serverless-cache', 'rdr-sls-20261121-0300', 'rdr-sls-20261121-0300', 'bucket');
    expect(ec.commandCalls(ExportServerlessCacheSnapshotCommand)[0]!.args[0].input).toEqual({
      ServerlessCacheSnapshotName: 'rdr-sls-20261121-0300',
      S3BucketName: 'bucket',
    });
    await expect(startSnapshotExport(client, 'serverless-cache', 'rdr-sls-20261121-0300', 'rdr-sls-20261121-0300-r2', 'bucket')).rejects.toThrow(
      /exported under its own name/,
    );
    expect(ec).toHaveReceivedCommandTimes(ExportServerlessCacheSnapshotCommand, 1);
  });

  it('tags a snapshot by ARN', async () => {
    ec.on(AddTagsToResourceCommand).resolves({});
    await tagSnapshot(client, 'arn:aws:elasticache:eu-west-1:1:snapshot:s', { 'redis-dr:exported': '2026-11-21T10:00:00.000Z' });
    expect(ec.commandCalls(AddTagsToResourceCommand)[0]!.args[0].input).toEqual({
      ResourceName: 'arn:aws:elasticache:eu-west-1:1:snapshot:s',
      Tags: [{ Key: 'redis-dr:exported', Value: '2026-11-21T10:00:00.000Z' }],
    });
  });
});
