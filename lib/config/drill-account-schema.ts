/** The config's `drillAccount` section and the plan's `drill.account`: drills in a separate drill account (lib/stacks/drill-account-stack.ts). */
import { z } from 'zod';

/** What the plan's `drill.account` means. */
export const DRILL_ACCOUNT_FIELD =
  "Run this plan's vault drills (drill.fromVault) in the separate drill account (config drillAccount; its id): restores segregated from the workload account (DORA art. 12, NIST CP-9(2)). Default: in the workload account's DR region.";

/**
 * The separate drill account: its id and its network in the vault's region.
 * Built from the main schema's account and network schemas (passed in: they live there).
 */
export function drillAccountSchema<A extends z.ZodType<string>, N extends z.ZodType>(account: A, network: N) {
  return z
    .strictObject({
      account: account.meta({
        description:
          'The drill account: another account than primary.account, dr.account and vault.account. Plans drill there with drill.account set to this id.',
      }),
      network: network.meta({
        description:
          'VPC placement in the drill account, in vault.region: drill clusters (its cacheSubnetGroupName and security groups) and the verify function run there. Same fields as the top-level network.',
      }),
    })
    .meta({
      description:
        "A separate drill account (DORA art. 12, NIST CP-9(2): restores on systems segregated from the source): plans with drill.account restore the vault's replicas into clusters of this account, in vault.region. " +
        "Its stack RedisDr-<name>-Drill is deployed with this account's credentials (-c stacks=drill); the vault lets its drill roles read replicas, nothing more.",
    });
}
