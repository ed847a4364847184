/**
 * What one selftest run covers, derived from the config by
 * lib/deployment.ts `selftestInput` (names, the schedules' inputs): the
 * stacks to look at, one target per plan, its export, and the drills.
 */
import type { DrillInput, DrillWhere } from '../drills/drill.js';
import type { ExportRunInput, SnapshotRunInput } from '../plans/plan-input.js';
import type { TargetRef } from '../plans/types.js';

/** Which regions' paths a run covers (`--region`). */
export type SelftestRegions = 'primary' | 'dr' | 'both';

/** One plan's part of the run. */
export interface SelftestPlan {
  readonly plan: string;
  /** The target followed (the plan's first named cache); undefined: the plan selects by tags only, the first selected is followed. */
  readonly target?: TargetRef;
  /** The snapshot schedule's input, narrowed to `target` when there is one. */
  readonly snapshot: Omit<SnapshotRunInput, 'scheduledTime'>;
  /** The export schedule's input without targets; undefined when the plan does not export. */
  readonly export?: Omit<ExportRunInput, 'scheduledTime' | 'targets'>;
  /** The drills the run starts (the plan's, in the regions covered). */
  readonly drills: readonly { readonly where: DrillWhere; readonly region: string; readonly stateMachineArn: string; readonly input: DrillInput }[];
}

/**
 * `--canary`: a throwaway cache the run creates in the primary region and
 * always deletes, snapshotted (and exported) instead of the plan's own
 * target. Tagged as the drills' clusters are (`redis-dr:drill`, managed,
 * deployment), so the tag-conditioned permissions that let a drill create
 * and delete its cluster are the ones that let the operator do it; AUTH,
 * in-transit and at-rest encryption on, as every cluster redis-dr creates.
 */
export interface SelftestCanary {
  /** The cache's id: `rdr-drill-canary-<yyyymmdd>-<hhmmss>` (the drills' prefix; at most 40 characters). */
  readonly id: string;
  /** The plan whose snapshot and export inputs the canary's point goes through (tags, tier, export bucket). */
  readonly plan: string;
  readonly engine: 'valkey' | 'redis';
  readonly nodeType: string;
  /** Where drills create clusters in the primary region (config `network`). */
  readonly cacheSubnetGroupName: string;
  readonly securityGroupIds: readonly string[];
  /** Keys the canary holds when its point is taken: a new cache is empty, and nothing outside its VPC can write to it. */
  readonly knownKeys: 0;
  /** `--keep`: the canary's recovery point stays (else it is deleted with the cache). */
  readonly keep: boolean;
}

/** The canary cache's id for a run started at `at` (the drills' prefix, so the drills' reaper and permissions cover it). */
export function canaryId(at: Date): string {
  const t = at.toISOString();
  return `rdr-drill-canary-${t.slice(0, 10).replace(/-/g, '')}-${t.slice(11, 19).replace(/:/g, '')}`;
}

/** Everything one run covers. */
export interface SelftestInput {
  readonly deployment: string;
  readonly regions: SelftestRegions;
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** Where the copies land and the record is written. */
  readonly drBucket: string;
  /** The export bucket also replicates into a vault. */
  readonly vault: boolean;
  /**
   * A vault of an organization (config `vault.organizationId`): the DR bucket's account, under whose
   * `<account>/<region>/` (domain/points/account-prefix.ts) the record is written too, the prefix that replicates there.
   */
  readonly orgEvidence?: { readonly account: string };
  readonly plans: readonly SelftestPlan[];
  /** The deploy command, for fixes. */
  readonly deploy: string;
  /** `--canary`: snapshot a throwaway cache instead of each plan's target. */
  readonly canary?: SelftestCanary;
}
