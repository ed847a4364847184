import {
  DeleteReplicationGroupCommand,
  DeleteServerlessCacheCommand,
  DeleteUserCommand,
  DeleteUserGroupCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ListTagsForResourceCommand,
  ReplicationGroupNotFoundFault,
  SnapshotNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  deleteDrillResource,
  describeDrillGroup,
  describeRestorableSnapshot,
  findDrillResources,
  isGroupNotFound,
  resourceTags,
} from '../../../../lambdas/adapters/aws/drill-clusters.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const client = new ElastiCacheClient({ region: 'eu-west-1' });
const taggingClient = new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1' });
const meta = { $metadata: {} };
const RG_ARN = 'arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:';

beforeEach(() => {
  ec.reset();
  tagging.reset();
});

describe('describeRestorableSnapshot', () => {
  it("maps engine, version, node type, shard count, parameter group and the shards' cache sizes", async () => {
    ec.on(DescribeSnapshotsCommand, { SnapshotName: 'rdr-rg-a-20261121-0200' }).resolves({
      Snapshots: [
        {
          SnapshotName: 'rdr-rg-a-20261121-0200',
          SnapshotStatus: 'Available',
          Engine: 'redis',
          EngineVersion: '7.1.0',
          CacheNodeType: 'cache.r7g.large',
          NumNodeGroups: 3,
          CacheParameterGroupName: 'default.redis7.cluster.on',
          NodeSnapshots: [{ NodeGroupId: '0001', CacheSize: '6 GB' }, { NodeGroupId: '0002', CacheSize: '5 GB' }, { NodeGroupId: '0003' }],
        },
      ],
    });

    const snapshot = await describeRestorableSnapshot(client, 'rdr-rg-a-20261121-0200');

    expect(snapshot).toEqual({
      name: 'rdr-rg-a-20261121-0200',
      status: 'available',
      engine: 'redis',
      engineVersion: '7.1.0',
      nodeType: 'cache.r7g.large',
      shards: 3,
      parameterGroup: 'default.redis7.cluster.on',
      // The shards' sizes the restore preflight compares with the target's memory (a node without one says nothing).
      cacheSizes: ['6 GB', '5 GB'],
    });
  });

  it('counts node groups when NumNodeGroups is missing, and one shard when nothing says', async () => {
    ec.on(DescribeSnapshotsCommand, { SnapshotName: 'two' })
      .resolves({ Snapshots: [{ SnapshotName: 'two', NodeSnapshots: [{ NodeGroupId: '0001' }, { NodeGroupId: '0002' }, { NodeGroupId: '0002' }] }] })
      .on(DescribeSnapshotsCommand, { SnapshotName: 'one' })
      .resolves({ Snapshots: [{ SnapshotName: 'one' }] });

    expect((await describeRestorableSnapshot(client, 'two'))?.shards).toBe(2);
    expect(await describeRestorableSnapshot(client, 'one')).toMatchObject({ shards: 1, status: 'unknown', engine: undefined });
  });

  it('says undefined for a snapshot that does not exist', async () => {
    ec.on(DescribeSnapshotsCommand).rejects(new SnapshotNotFoundFault({ message: 'gone', $metadata: {} }));

    expect(await describeRestorableSnapshot(client, 'rdr-rg-a-20261121-0200')).toBeUndefined();
  });
});

describe('findDrillResources', () => {
  it('asks for the drill tag (any value) and the deployment, over every page, keeping groups, serverless caches, users and user groups', async () => {
    tagging
      .on(GetResourcesCommand, { PaginationToken: undefined })
      .resolves({
        ...meta,
        ResourceTagMappingList: [
          { ResourceARN: `${RG_ARN}rdr-drill-rg-a-2611211000`, Tags: [{ Key: 'redis-dr:drill', Value: 'exec-1' }] },
          { ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:cluster:rdr-drill-rg-a-2611211000-001' },
          { ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:serverlesscache:rdr-drill-sls-2611211000' },
          { ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:usergroup:rdr-drill-sls-2611211000' },
          { ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:user:rdr-drill-sls-2611211000' },
        ],
        PaginationToken: 'p2',
      })
      .on(GetResourcesCommand, { PaginationToken: 'p2' })
      .resolves({ ...meta, ResourceTagMappingList: [{ ResourceARN: `${RG_ARN}rdr-drill-rg-b-2611201000` }], PaginationToken: '' });

    const found = await findDrillResources(taggingClient, 'prod');

    const arn = (type: string, id: string) => `arn:aws:elasticache:eu-west-1:111122223333:${type}:${id}`;
    expect(found).toEqual([
      { kind: 'replication-group', id: 'rdr-drill-rg-a-2611211000', arn: `${RG_ARN}rdr-drill-rg-a-2611211000`, tags: { 'redis-dr:drill': 'exec-1' } },
      { kind: 'serverless-cache', id: 'rdr-drill-sls-2611211000', arn: arn('serverlesscache', 'rdr-drill-sls-2611211000'), tags: {} },
      { kind: 'user-group', id: 'rdr-drill-sls-2611211000', arn: arn('usergroup', 'rdr-drill-sls-2611211000'), tags: {} },
      { kind: 'user', id: 'rdr-drill-sls-2611211000', arn: arn('user', 'rdr-drill-sls-2611211000'), tags: {} },
      { kind: 'replication-group', id: 'rdr-drill-rg-b-2611201000', arn: `${RG_ARN}rdr-drill-rg-b-2611201000`, tags: {} },
    ]);
    expect(tagging).toHaveReceivedCommandWith(GetResourcesCommand, {
      TagFilters: [{ Key: 'redis-dr:drill' }, { Key: 'redis-dr:deployment', Values: ['prod'] }],
      ResourceTypeFilters: ['elasticache'],
    });
  });
});

describe('describeDrillGroup', () => {
  it('maps status, creation time and ARN', async () => {
    const created = new Date('2026-11-20T10:00:00Z');
    ec.on(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'rdr-drill-rg-a-2611201000' }).resolves({
      ReplicationGroups: [
        {
          ReplicationGroupId: 'rdr-drill-rg-a-2611201000',
          Status: 'Available',
          ReplicationGroupCreateTime: created,
          ARN: `${RG_ARN}rdr-drill-rg-a-2611201000`,
        },
      ],
    });

    expect(await describeDrillGroup(client, 'rdr-drill-rg-a-2611201000')).toEqual({
      id: 'rdr-drill-rg-a-2611201000',
      status: 'available',
      createdAt: created,
      arn: `${RG_ARN}rdr-drill-rg-a-2611201000`,
    });
  });

  it('says undefined for a group that does not exist', async () => {
    ec.on(DescribeReplicationGroupsCommand).rejects(new ReplicationGroupNotFoundFault({ message: 'gone', $metadata: {} }));

    expect(await describeDrillGroup(client, 'rdr-drill-x-2611201000')).toBeUndefined();
  });
});

describe('resourceTags and deleteDrillResource', () => {
  it('reads tags by ARN and deletes without keeping the primary or taking a final snapshot', async () => {
    ec.on(ListTagsForResourceCommand).resolves({ TagList: [{ Key: 'redis-dr:drill', Value: 'exec-1' }, { Key: 'empty' }] });
    ec.on(DeleteReplicationGroupCommand).resolves({});

    expect(await resourceTags(client, `${RG_ARN}rdr-drill-rg-a-2611201000`)).toEqual({ 'redis-dr:drill': 'exec-1', empty: '' });
    await deleteDrillResource(client, 'replication-group', 'rdr-drill-rg-a-2611201000');

    expect(ec).toHaveReceivedCommandWith(ListTagsForResourceCommand, { ResourceName: `${RG_ARN}rdr-drill-rg-a-2611201000` });
    const input = ec.commandCalls(DeleteReplicationGroupCommand)[0]!.args[0].input;
    expect(input).toEqual({ ReplicationGroupId: 'rdr-drill-rg-a-2611201000', RetainPrimaryCluster: false });
  });

  it('deletes a serverless cache, a user group and a user with their own calls', async () => {
    ec.on(DeleteServerlessCacheCommand).resolves({});
    ec.on(DeleteUserGroupCommand).resolves({});
    ec.on(DeleteUserCommand).resolves({});
    await deleteDrillResource(client, 'serverless-cache', 'rdr-drill-s-1');
    await deleteDrillResource(client, 'user-group', 'rdr-drill-s-1');
    await deleteDrillResource(client, 'user', 'rdr-drill-s-1');
    expect(ec.commandCalls(DeleteServerlessCacheCommand)[0]!.args[0].input).toEqual({ ServerlessCacheName: 'rdr-drill-s-1' });
    expect(ec.commandCalls(DeleteUserGroupCommand)[0]!.args[0].input).toEqual({ UserGroupId: 'rdr-drill-s-1' });
    expect(ec.commandCalls(DeleteUserCommand)[0]!.args[0].input).toEqual({ UserId: 'rdr-drill-s-1' });
    expect(ec.commandCalls(DeleteReplicationGroupCommand)).toHaveLength(0);
  });

  it('recognizes the SDK not-found fault by name', () => {
    expect(isGroupNotFound(new ReplicationGroupNotFoundFault({ message: 'x', $metadata: {} }))).toBe(true);
    expect(isGroupNotFound(new SnapshotNotFoundFault({ message: 'x', $metadata: {} }))).toBe(false);
  });
});
