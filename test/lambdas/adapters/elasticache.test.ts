import {
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listTargetSnapshots } from '../../../lambdas/adapters/elasticache';
import { throttleRetry } from '../../../lambdas/adapters/retry';
import { awsError, FakeClock } from '../../support/fakes';
import { snapshotTagsBySources } from '../../../lambdas/adapters/tagging';

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
          NodeSnapshots: [
            { SnapshotCreateTime: new Date('2026-11-21T10:03:00Z') },
            { SnapshotCreateTime: new Date('2026-11-21T10:01:00Z') },
          ],
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
    ec.on(DescribeSnapshotsCommand)
      .resolvesOnce(page(1, 'm2'))
      .rejectsOnce(awsError('ThrottlingException'))
      .resolvesOnce(page(2, 'm3'))
      .resolvesOnce(page(3));
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
    const byName = await snapshotTagsBySources(new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1' }), { 'redis-dr:managed': 'true' }, 'redis-dr:source', sources);
    expect([...byName.keys()].sort()).toEqual(['rdr-a-20261121-1000', 'rdr-s-20261121-1000']);
    expect(byName.get('rdr-a-20261121-1000')).toEqual({ 'redis-dr:tier': 'daily' });
    const sizes = tagging.commandCalls(GetResourcesCommand).map((c) => c.args[0].input.TagFilters!.at(-1)!.Values!.length);
    expect(sizes).toEqual([20, 20, 5]);
  });
});
