import { DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, type ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveTargets } from '../../../../lambdas/adapters/aws/targets.js';
import type { TargetSelection } from '../../../../lambdas/domain/plans/plan-input.js';
import { awsError } from '../../../support/fakes.js';

/**
 * A plan's run-time selection against the ElastiCache and Tagging API boundary: `selectWithoutTag` is every cache the
 * Describe listings show minus those whose tags carry the key (GetResources never returns a cache that never had a
 * tag), and a failed lookup is a selectionError, never an empty selection.
 */
const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const clients = { elasticache: new ElastiCacheClient({ region: 'eu-west-1' }), tagging: new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1' }) };
const direct = <T>(call: () => Promise<T>) => call();
const meta = { $metadata: {} };
const ARN = 'arn:aws:elasticache:eu-west-1:111122223333';

const mapping = (type: string, name: string, tags: Record<string, string>): ResourceTagMapping => ({
  ResourceARN: `${ARN}:${type}:${name}`,
  Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
});

const selection = (over: Partial<TargetSelection>): TargetSelection => ({ replicationGroupIds: [], serverlessCacheNames: [], selectByTags: {}, ...over });
const ids = (r: Awaited<ReturnType<typeof resolveTargets>>) => r.targets.map((t) => `${t.kind}/${t.id}`);

beforeEach(() => {
  ec.reset();
  tagging.reset();
  // Two pages of replication groups (Marker), one of serverless caches.
  ec.on(DescribeReplicationGroupsCommand).callsFake((i: { Marker?: string }) =>
    i.Marker === undefined
      ? {
          ...meta,
          ReplicationGroups: [
            { ReplicationGroupId: 'sessions', Engine: 'valkey' },
            { ReplicationGroupId: 'orders', Engine: 'redis' },
          ],
          Marker: 'p2',
        }
      : {
          ...meta,
          ReplicationGroups: [
            { ReplicationGroupId: 'ledger', Engine: 'valkey' },
            { ReplicationGroupId: 'rdr-drill-1', Engine: 'valkey' },
          ],
        },
  );
  ec.on(DescribeServerlessCachesCommand).resolves({
    ...meta,
    ServerlessCaches: [
      { ServerlessCacheName: 'carts', Engine: 'valkey' },
      { ServerlessCacheName: 'memo', Engine: 'memcached' },
    ],
  });
  tagging.on(GetResourcesCommand).callsFake((i: { TagFilters?: { Key: string; Values?: string[] }[] }) => {
    const all = [
      mapping('replicationgroup', 'orders', { 'redis-dr:tier': 'silver', team: 'shop' }),
      mapping('replicationgroup', 'ledger', { 'redis-dr:tier': 'gold' }),
      mapping('replicationgroup', 'rdr-drill-1', { 'redis-dr:drill': 'exec-1' }),
      // Tagged once, no tags now: GetResources lists it with an empty tag set.
      mapping('serverlesscache', 'carts', {}),
    ];
    const wanted = i.TagFilters ?? [];
    const match = (m: ResourceTagMapping) =>
      wanted.every((f) => m.Tags?.some((t) => t.Key === f.Key && (f.Values === undefined || f.Values.length === 0 || f.Values.includes(t.Value ?? ''))));
    return { ...meta, ResourceTagMappingList: all.filter(match) };
  });
});

describe('resolveTargets', () => {
  it('selects every Valkey or Redis OSS cache without the tag key: never tagged, or tagged once; not a drill restore, not Memcached', async () => {
    const r = await resolveTargets(clients, selection({ selectWithoutTag: 'redis-dr:tier' }), direct);
    expect(r.selectionError).toBeUndefined();
    expect(ids(r)).toEqual(['replication-group/sessions', 'serverless-cache/carts']);
    // Both listings paged through.
    expect(ec.commandCalls(DescribeReplicationGroupsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, 'p2']);
  });

  it('adds the tier tag selection, and leaves out a cache tagged with another tier', async () => {
    const r = await resolveTargets(clients, selection({ selectByTags: { 'redis-dr:tier': 'gold' }, selectWithoutTag: 'redis-dr:tier' }), direct);
    expect(ids(r)).toEqual(['replication-group/ledger', 'replication-group/sessions', 'serverless-cache/carts']);
    expect(ids(r)).not.toContain('replication-group/orders');
  });

  it('selects no untagged cache without selectWithoutTag (the negative case), and lists nothing for it', async () => {
    const r = await resolveTargets(clients, selection({ selectByTags: { 'redis-dr:tier': 'gold' } }), direct);
    expect(ids(r)).toEqual(['replication-group/ledger']);
    expect(ec.commandCalls(DescribeReplicationGroupsCommand)).toHaveLength(0);
  });

  it.each([
    ['DescribeReplicationGroups', () => ec.on(DescribeReplicationGroupsCommand).rejects(awsError('AccessDeniedException', 'not allowed', 400))],
    ['DescribeServerlessCaches', () => ec.on(DescribeServerlessCachesCommand).rejects(awsError('InternalFailure', 'boom', 500))],
    ['GetResources', () => tagging.on(GetResourcesCommand).rejects(awsError('ThrottlingException', 'slow down', 400))],
  ])('a failing %s is a selectionError naming the selection, never an empty selection; explicit targets stay', async (_, fail) => {
    fail();
    const r = await resolveTargets(clients, selection({ replicationGroupIds: ['Pinned'], selectWithoutTag: 'redis-dr:tier' }), direct);
    expect(ids(r)).toEqual(['replication-group/pinned']);
    expect(r.selectionError).toMatch(/^selectWithoutTag redis-dr:tier lookup failed: \w+/);
  });
});
