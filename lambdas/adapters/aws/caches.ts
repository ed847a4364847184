import { DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, type ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { CacheInfo } from '../../domain/plans/coverage.js';
import type { CallWrapper } from './elasticache.js';
import { taggedElastiCacheResources } from './tagging.js';

/**
 * Every replication group and serverless cache of a region, with its tags:
 * two paged Describe listings (no ids: read-only `elasticache:Describe*` on
 * `*`) and one paged Tagging API query for the tags of all of them (a cache
 * with no tags is not in its answer: no tags). Each page goes through `wrap`.
 */

/** Page size of the listings (DescribeReplicationGroups allows 100, DescribeServerlessCaches 100; 50 is safe for both). */
export const CACHE_PAGE_SIZE = 50;

/** The region's caches for the coverage inventory (see {@link CacheInfo}). */
export async function listCaches(elasticache: ElastiCacheClient, tagging: ResourceGroupsTaggingAPIClient, wrap: CallWrapper): Promise<CacheInfo[]> {
  const tags = new Map<string, Record<string, string>>();
  for await (const r of taggedElastiCacheResources(tagging, [], wrap, ['elasticache:replicationgroup', 'elasticache:serverlesscache'])) {
    tags.set(`${r.type}/${r.name}`, r.tags);
  }
  const caches: CacheInfo[] = [];
  let Marker: string | undefined;
  do {
    const page = await wrap(() => elasticache.send(new DescribeReplicationGroupsCommand({ MaxRecords: CACHE_PAGE_SIZE, Marker })));
    for (const g of page.ReplicationGroups ?? []) {
      if (!g.ReplicationGroupId) continue;
      caches.push({
        kind: 'replication-group',
        id: g.ReplicationGroupId,
        ...(g.Engine ? { engine: g.Engine } : {}),
        ...(g.CacheNodeType ? { nodeType: g.CacheNodeType } : {}),
        dataTiering: g.DataTiering === 'enabled',
        clusterMode: g.ClusterEnabled === true || g.ClusterMode === 'enabled',
        tags: tags.get(`replicationgroup/${g.ReplicationGroupId}`) ?? {},
      });
    }
    Marker = page.Marker || undefined;
  } while (Marker);
  let NextToken: string | undefined;
  do {
    const page = await wrap(() => elasticache.send(new DescribeServerlessCachesCommand({ MaxResults: CACHE_PAGE_SIZE, NextToken })));
    for (const c of page.ServerlessCaches ?? []) {
      if (!c.ServerlessCacheName) continue;
      caches.push({
        kind: 'serverless-cache',
        id: c.ServerlessCacheName,
        ...(c.Engine ? { engine: c.Engine } : {}),
        dataTiering: false,
        // Serverless caches speak the cluster protocol.
        clusterMode: true,
        tags: tags.get(`serverlesscache/${c.ServerlessCacheName}`) ?? {},
      });
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return caches;
}
