/**
 * ElastiCache, read only: a protected cache's shape as doctor judges it —
 * engine and version, cluster mode, shards, node type, data tiering — and
 * its newest snapshot's sizes (`redis-dr doctor`).
 */
import {
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  type ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import type { TargetFacts } from '../../domain/doctor/judge.js';
import type { TargetKind } from '../../domain/plans/types.js';
import { describeRestorableSnapshot } from './drill-clusters.js';
import type { CallWrapper } from './elasticache.js';
import { errorName } from './errors.js';

const direct: CallWrapper = (call) => call();

/**
 * The cache `id` of `kind`; `undefined` when it does not exist. A
 * replication group's engine version is its member clusters' (one
 * DescribeCacheClusters of the first member).
 */
export async function describeTarget(
  client: ElastiCacheClient,
  kind: TargetKind,
  id: string,
  wrap: CallWrapper = direct,
): Promise<Omit<TargetFacts, 'newestSnapshot'> | undefined> {
  try {
    if (kind === 'serverless-cache') {
      const out = await wrap(() => client.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: id })));
      const c = out.ServerlessCaches?.[0];
      if (!c) return undefined;
      return {
        status: (c.Status ?? 'unknown').toLowerCase(),
        engine: c.Engine,
        engineVersion: c.FullEngineVersion ?? c.MajorEngineVersion,
        clusterMode: true,
        dataTiering: false,
        shards: 1,
      };
    }
    const out = await wrap(() => client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id })));
    const g = out.ReplicationGroups?.[0];
    if (!g) return undefined;
    const member = g.MemberClusters?.[0];
    const cluster = member ? (await wrap(() => client.send(new DescribeCacheClustersCommand({ CacheClusterId: member })))).CacheClusters?.[0] : undefined;
    return {
      status: (g.Status ?? 'unknown').toLowerCase(),
      engine: g.Engine ?? cluster?.Engine,
      engineVersion: cluster?.EngineVersion,
      nodeType: g.CacheNodeType ?? cluster?.CacheNodeType,
      clusterMode: g.ClusterEnabled === true,
      dataTiering: g.DataTiering === 'enabled',
      shards: Math.max(1, g.NodeGroups?.length ?? 1),
    };
  } catch (err) {
    if (errorName(err) === 'ReplicationGroupNotFoundFault' || errorName(err) === 'ServerlessCacheNotFoundFault') return undefined;
    throw err;
  }
}

/** A snapshot's node type and node snapshot sizes (the restore preflight's evidence); `undefined` when it is gone. */
export async function snapshotSizes(client: ElastiCacheClient, name: string, wrap: CallWrapper = direct): Promise<TargetFacts['newestSnapshot']> {
  const s = await describeRestorableSnapshot(client, name, wrap);
  return s ? { name: s.name, nodeType: s.nodeType, cacheSizes: s.cacheSizes } : undefined;
}
