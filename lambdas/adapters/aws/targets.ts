import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { selectedWithoutTag } from '../../domain/plans/coverage.js';
import type { TargetSelection } from '../../domain/plans/plan-input.js';
import type { TargetRef } from '../../domain/plans/types.js';
import { listCaches } from './caches.js';
import { describeError } from './errors.js';
import type { ThrottleRetry } from './retry.js';
import { findTargetsByTags } from './tagging.js';

/** A plan's targets, and why its run-time selection could not be read, if it could not. */
export interface ResolvedTargets {
  readonly targets: TargetRef[];
  /** Set when `selectByTags` or `selectWithoutTag` failed: the explicit targets (and the other selection's) are still returned. */
  readonly selectionError?: string;
}

/** The clients a plan's selection reads with: the Tagging API, and ElastiCache's listings for `selectWithoutTag`. */
export interface SelectionClients {
  readonly tagging: ResourceGroupsTaggingAPIClient;
  readonly elasticache: ElastiCacheClient;
}

/**
 * A plan's targets: explicit replication group ids and serverless cache names, plus everything the Tagging API
 * finds for `selectByTags`, plus every cache of the region without the tag key `selectWithoutTag`; de-duplicated
 * and sorted so runs are reproducible. A failing lookup does not cost the explicit targets their backup: it is
 * returned as `selectionError`, never as an empty selection.
 *
 * "Without the tag" cannot be asked of the Tagging API: GetResources returns only resources that have or once had
 * tags, so a cache that never had one is not in its answer at all. So the region's caches are listed
 * (DescribeReplicationGroups and DescribeServerlessCaches, every page) and the ones whose tags (one GetResources
 * over both cache types) carry the key are taken out, by the rule coverage judges with (`selectedWithoutTag`).
 * @see https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 */
export async function resolveTargets(clients: SelectionClients, selection: TargetSelection, retry: ThrottleRetry): Promise<ResolvedTargets> {
  const byKey = new Map<string, TargetRef>();
  const add = (t: TargetRef) => byKey.set(`${t.kind}/${t.id}`, t);
  selection.replicationGroupIds.forEach((id) => {
    add({ kind: 'replication-group', id: id.toLowerCase() });
  });
  selection.serverlessCacheNames.forEach((id) => {
    add({ kind: 'serverless-cache', id: id.toLowerCase() });
  });
  const errors: string[] = [];
  if (Object.keys(selection.selectByTags).length > 0) {
    try {
      (await findTargetsByTags(clients.tagging, selection.selectByTags, retry)).forEach(add);
    } catch (err) {
      errors.push(`selectByTags lookup failed: ${describeError(err)}`);
    }
  }
  const without = selection.selectWithoutTag;
  if (without !== undefined) {
    try {
      const caches = await listCaches(clients.elasticache, clients.tagging, retry);
      for (const c of caches) if (selectedWithoutTag(without, c)) add({ kind: c.kind, id: c.id.toLowerCase() });
    } catch (err) {
      errors.push(`selectWithoutTag ${without} lookup failed: ${describeError(err)}`);
    }
  }
  const targets = [...byKey.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  return errors.length > 0 ? { targets, selectionError: errors.join('; ') } : { targets };
}
