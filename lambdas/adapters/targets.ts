import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { TargetSelection } from '../domain/plan-input.js';
import type { TargetRef } from '../domain/types.js';
import { findTargetsByTags } from './tagging.js';

/**
 * A plan's targets: explicit replication group ids and serverless cache names,
 * plus everything the Tagging API finds for `selectByTags`; de-duplicated and
 * sorted so runs are reproducible.
 */
export async function resolveTargets(
  tagging: ResourceGroupsTaggingAPIClient,
  selection: TargetSelection,
): Promise<TargetRef[]> {
  const byKey = new Map<string, TargetRef>();
  const add = (t: TargetRef) => byKey.set(`${t.kind}/${t.id}`, t);
  selection.replicationGroupIds.forEach((id) => add({ kind: 'replication-group', id: id.toLowerCase() }));
  selection.serverlessCacheNames.forEach((id) => add({ kind: 'serverless-cache', id: id.toLowerCase() }));
  if (Object.keys(selection.selectByTags).length > 0) {
    (await findTargetsByTags(tagging, selection.selectByTags)).forEach(add);
  }
  return [...byKey.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
}
