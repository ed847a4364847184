/**
 * A redis-dr stack's CloudFormation drift, as the account's evidence keeps
 * it (the selftest record's `stacks`, read by the org roll-up): the status
 * of CloudFormation's last drift detection, from DescribeStacks'
 * `DriftInformation`. Kept here, below the selftest and doctor folders that
 * write it, so the roll-up reads the one schema. Pure.
 */
import { z } from 'zod';

/** CloudFormation's drift statuses (`DriftInformation.StackDriftStatus`). */
export const STACK_DRIFT_STATUSES = ['DRIFTED', 'IN_SYNC', 'NOT_CHECKED', 'UNKNOWN'] as const;
/** A stack's drift status as CloudFormation last detected it. */
export type StackDriftStatus = (typeof STACK_DRIFT_STATUSES)[number];

/** One redis-dr stack and its drift status as of CloudFormation's last drift detection (`checkedAt`; absent: none ran). */
export const stackDriftSchema = z.strictObject({
  stack: z.string().min(1),
  region: z.string().min(1),
  drift: z.enum(STACK_DRIFT_STATUSES),
  /** When the last drift detection started (ISO-8601); absent when it never ran. */
  checkedAt: z.string().optional(),
});
/** One stack's drift as the evidence keeps it. */
export type StackDrift = z.infer<typeof stackDriftSchema>;

/** The stacks CloudFormation's last drift detection found DRIFTED. */
export function driftedStacks(stacks: readonly StackDrift[] | undefined): StackDrift[] {
  return (stacks ?? []).filter((s) => s.drift === 'DRIFTED');
}
