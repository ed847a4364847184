import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { collapseMarkState, isGoodMark, probeKeyspace } from '../../domain/points/collapse-points.js';
import { isSnapshotOf } from '../../domain/plans/naming.js';
import { isTier, TAGS, type RecoveryPoint } from '../../domain/plans/types.js';
import type { SnapshotSummary } from './elasticache.js';
import { mapConcurrent, type ThrottleRetry } from './retry.js';
import { snapshotTagsBySources, TAG_FILTER_MAX_VALUES } from './tagging.js';

/**
 * Which snapshots belong to a plan. ElastiCache's describe calls return no
 * tags, so ownership comes from the Tagging API and is joined here with the
 * describe view (status, time) of each target.
 */

/** The plan a run works for. */
export interface PlanOwner {
  readonly deployment: string;
  readonly plan: string;
}

/** Tags the snapshot Lambda writes that make a snapshot this plan's. */
export function ownerTags(owner: PlanOwner): Record<string, string> {
  return { [TAGS.managed]: 'true', [TAGS.deployment]: owner.deployment, [TAGS.plan]: owner.plan };
}

/** True when `tags` say the snapshot is managed by exactly this deployment and plan. */
export function isOwnedBy(tags: Readonly<Record<string, string>> | undefined, owner: PlanOwner): boolean {
  return Object.entries(ownerTags(owner)).every(([k, v]) => tags?.[k] === v);
}

/**
 * Tags of every snapshot this deployment manages on `targetIds` (any plan, so
 * a name taken by another plan shows up as a conflict), by snapshot name:
 * 20 sources per Tagging API query, queries in parallel, each through `retry`.
 */
export async function planSnapshotTags(
  tagging: ResourceGroupsTaggingAPIClient,
  owner: PlanOwner,
  targetIds: readonly string[],
  options: { concurrency: number; retry: ThrottleRetry },
): Promise<Map<string, Record<string, string>>> {
  const chunks: string[][] = [];
  for (let i = 0; i < targetIds.length; i += TAG_FILTER_MAX_VALUES) {
    chunks.push(targetIds.slice(i, i + TAG_FILTER_MAX_VALUES));
  }
  const maps = await mapConcurrent(chunks, options.concurrency, (sources) =>
    snapshotTagsBySources(tagging, { [TAGS.managed]: 'true', [TAGS.deployment]: owner.deployment }, TAGS.source, sources, options.retry),
  );
  return new Map(maps.flatMap((m) => [...m]));
}

/** The count (and accepted collapse) of a good point, from its tags: counted, and no active, released or unjudged collapse. */
function goodCount(tags: Readonly<Record<string, string>> | undefined): { keys?: number; accepted?: boolean } {
  const keys = probeKeyspace(tags);
  const state = collapseMarkState(tags?.[TAGS.collapsed]);
  if (keys === undefined || !isGoodMark(state)) return {};
  return { keys, ...(state === 'accepted' ? { accepted: true } : {}) };
}

/**
 * The target's `rdr-` snapshots as recovery points; `managed` only when the
 * snapshot's own tags name this deployment and plan; `held` and `collapsed`
 * from the tripwire's tags (a released or accepted collapse is not `collapsed`).
 */
export function toRecoveryPoints(
  summaries: readonly SnapshotSummary[],
  targetId: string,
  tagsByName: ReadonlyMap<string, Record<string, string>>,
  owner: PlanOwner,
): RecoveryPoint[] {
  return summaries
    .filter((s) => isSnapshotOf(s.name, targetId))
    .map((s) => {
      const tags = tagsByName.get(s.name);
      const tier = tags?.[TAGS.tier];
      return {
        name: s.name,
        source: targetId,
        status: s.status,
        createdAt: s.createdAt,
        managed: isOwnedBy(tags, owner),
        tier: isTier(tier) ? tier : undefined,
        plan: tags?.[TAGS.plan],
        exported: tags?.[TAGS.exported] !== undefined,
        // Holds and collapse marks: retention keeps held points, and holds the whole target while the newest is collapsed.
        ...(tags?.[TAGS.hold] ? { held: tags[TAGS.hold] } : {}),
        ...(collapseMarkState(tags?.[TAGS.collapsed]) === 'active' ? { collapsed: true } : {}),
        // Not judged yet (its tags could not be read when it was taken): while it is the newest, nothing is pruned.
        ...(collapseMarkState(tags?.[TAGS.collapsed]) === 'unjudged' ? { unproven: true } : {}),
        // The probe's count of a good point: retention keeps the fullest of the collapse window while the newest holds fewer.
        ...goodCount(tags),
      };
    });
}
