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

/** Everything one run covers. */
export interface SelftestInput {
  readonly deployment: string;
  readonly regions: SelftestRegions;
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** The stacks looked at first (the regions covered), and the output naming each one's alert topic. */
  readonly stacks: readonly { readonly where: DrillWhere; readonly region: string; readonly stackName: string }[];
  readonly alertTopicOutput: string;
  /** Where the copies land and the record is written. */
  readonly drBucket: string;
  /** The export bucket also replicates into a vault. */
  readonly vault: boolean;
  readonly plans: readonly SelftestPlan[];
  /** The deploy command, for fixes. */
  readonly deploy: string;
}
