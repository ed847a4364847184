import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { TargetSelection } from '../../domain/plans/plan-input.js';
import type { TargetRef } from '../../domain/plans/types.js';
import type { ThrottleRetry } from './retry.js';
import { describeError } from './errors.js';
import { findTargetsByTags } from './tagging.js';

/** A plan's targets, and why the tag selection could not be read, if it could not. */
export interface ResolvedTargets {
  readonly targets: TargetRef[];
  /** Set when `selectByTags` failed: explicit targets are still returned. */
  readonly selectionError?: string;
}

/**
 * A plan's targets: explicit replication group ids and serverless cache names,
 * plus everything the Tagging API finds for `selectByTags`; de-duplicated and
 * sorted so runs are reproducible. A failing tag query does not cost the
 * explicit targets their backup: it is returned as `selectionError`.
 */
export async function resolveTargets(tagging: ResourceGroupsTaggingAPIClient, selection: TargetSelection, retry: ThrottleRetry): Promise<ResolvedTargets> {
  const byKey = new Map<string, TargetRef>();
  const add = (t: TargetRef) => byKey.set(`${t.kind}/${t.id}`, t);
  selection.replicationGroupIds.forEach((id) => {
    add({ kind: 'replication-group', id: id.toLowerCase() });
  });
  selection.serverlessCacheNames.forEach((id) => {
    add({ kind: 'serverless-cache', id: id.toLowerCase() });
  });
  let selectionError: string | undefined;
  if (Object.keys(selection.selectByTags).length > 0) {
    try {
      (await findTargetsByTags(tagging, selection.selectByTags, retry)).forEach(add);
    } catch (err) {
      selectionError = `selectByTags lookup failed: ${describeError(err)}`;
    }
  }
  const targets = [...byKey.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  return { targets, selectionError };
}
