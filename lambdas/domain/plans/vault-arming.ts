/**
 * How long the vault's dead man's switches wait for a first replica. They
 * arm with the first replica that reaches the vault (the vault is deployed
 * first, the workload stacks may follow days later), but never later than
 * this after the vault's own deploy: a vault that never receives a replica
 * (a replication rule never set up, or failing from its first object) pages
 * once the grace is over instead of staying quiet for ever.
 */
export const VAULT_ARMING_GRACE_DAYS = 7;

/**
 * Where a vault switch counts from before any replica arrived: `now` (age 0)
 * during the grace after `deployedAt`, then the grace's end; `now` when the
 * deploy time is not known.
 */
export function vaultArmingStart(deployedAt: Date | undefined, now: Date, graceDays = VAULT_ARMING_GRACE_DAYS): Date {
  if (!deployedAt) return now;
  const armed = deployedAt.getTime() + graceDays * 86_400_000;
  return armed < now.getTime() ? new Date(armed) : now;
}
