import { GetResourcesCommand, type ResourceGroupsTaggingAPIClient, type TagFilter } from '@aws-sdk/client-resource-groups-tagging-api';
import type { CallWrapper } from './elasticache.js';
import type { TargetRef } from '../../domain/plans/types.js';

/**
 * Resource Groups Tagging API calls: one paginated query finds every tagged
 * cache (or every snapshot of a plan) in the region, instead of describing
 * each cache and listing its tags one by one.
 * @see https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 */

/** GetResources' page-size maximum. */
export const TAGGING_PAGE_SIZE = 100;
/** GetResources accepts at most this many values in one tag filter. */
export const TAG_FILTER_MAX_VALUES = 20;

/** Resource types of backup targets, as the Tagging API names them. */
const TARGET_TYPES: Record<string, TargetRef['kind']> = {
  replicationgroup: 'replication-group',
  serverlesscache: 'serverless-cache',
};

/** Snapshot resource types in ElastiCache ARNs. */
const SNAPSHOT_TYPES = new Set(['snapshot', 'serverlesscachesnapshot']);

/** `arn:aws:elasticache:<region>:<account>:<type>:<name>` → type and name. */
export function parseElastiCacheArn(arn: string): { type: string; name: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[2] !== 'elasticache') return undefined;
  return { type: parts[5] ?? '', name: parts.slice(6).join(':') };
}

/**
 * One page-through of GetResources over ElastiCache resources: ARN, ARN parts
 * and tags of each. Each page goes through `wrap`, so a throttled page is
 * retried alone rather than the whole listing.
 */
export async function* taggedElastiCacheResources(
  client: ResourceGroupsTaggingAPIClient,
  TagFilters: TagFilter[],
  wrap: CallWrapper,
  ResourceTypeFilters: string[] = ['elasticache'],
): AsyncGenerator<{ arn: string; type: string; name: string; tags: Record<string, string> }> {
  let PaginationToken: string | undefined;
  do {
    const page = await wrap(() =>
      client.send(
        // Type filter (service-level by default); the resource type is read from each ARN.
        new GetResourcesCommand({ TagFilters, ResourceTypeFilters, ResourcesPerPage: TAGGING_PAGE_SIZE, PaginationToken }),
      ),
    );
    for (const mapping of page.ResourceTagMappingList ?? []) {
      const arn = mapping.ResourceARN && parseElastiCacheArn(mapping.ResourceARN);
      if (!arn) continue;
      const tags: Record<string, string> = {};
      for (const t of mapping.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
      yield { arn: mapping.ResourceARN!, ...arn, tags };
    }
    PaginationToken = page.PaginationToken || undefined;
  } while (PaginationToken);
}

/**
 * Replication groups and serverless caches carrying every tag in `tags`
 * (AND across keys), all pages.
 */
export async function findTargetsByTags(
  client: ResourceGroupsTaggingAPIClient,
  tags: Readonly<Record<string, string>>,
  wrap: CallWrapper = (call) => call(),
): Promise<TargetRef[]> {
  const TagFilters: TagFilter[] = Object.entries(tags).map(([Key, Value]) => ({ Key, Values: [Value] }));
  if (TagFilters.length === 0) return [];
  const found: TargetRef[] = [];
  for await (const resource of taggedElastiCacheResources(client, TagFilters, wrap)) {
    const kind = TARGET_TYPES[resource.type];
    if (kind) found.push({ kind, id: resource.name });
  }
  return found;
}

/**
 * Tags of the snapshots that carry all of `required` and whose `sourceKey` tag
 * is one of `sources`, by snapshot name. Sources are queried in groups of 20
 * (the API's limit on values per filter).
 */
export async function snapshotTagsBySources(
  client: ResourceGroupsTaggingAPIClient,
  required: Readonly<Record<string, string>>,
  sourceKey: string,
  sources: readonly string[],
  wrap: CallWrapper = (call) => call(),
): Promise<Map<string, Record<string, string>>> {
  const byName = new Map<string, Record<string, string>>();
  for (let i = 0; i < sources.length; i += TAG_FILTER_MAX_VALUES) {
    const TagFilters: TagFilter[] = [
      ...Object.entries(required).map(([Key, Value]) => ({ Key, Values: [Value] })),
      { Key: sourceKey, Values: sources.slice(i, i + TAG_FILTER_MAX_VALUES) },
    ];
    for await (const resource of taggedElastiCacheResources(client, TagFilters, wrap)) {
      if (SNAPSHOT_TYPES.has(resource.type)) byName.set(resource.name, resource.tags);
    }
  }
  return byName;
}
