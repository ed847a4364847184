/**
 * The deployment's plans as the cost estimate reads them (lambdas/domain/cost),
 * and the estimate of a synthesized deployment: shared by the synth summary
 * and `redis-dr cost`, so both print the same figures.
 */
import {
  type CostAssumptions,
  type CostEstimate,
  type CostPlan,
  DEFAULT_COST_ASSUMPTIONS,
  estimateMonthlyCost,
  type StackResources,
} from '../lambdas/domain/cost/estimate.js';
import type { PriceTable } from '../lambdas/domain/cost/prices.js';
import { vaultReplicaDays, vaultTierDays } from '../lambdas/domain/vault/vault-retention.js';
import { selectsAtRunTime } from '../lambdas/domain/plans/plan-input.js';
import type { RedisDrConfig } from './config/index.js';
import { scrubSettings, VERIFY_MEMORY_MB } from './deployment.js';

/** Each plan's schedule, caches, retention, export and drills, as far as they cost. */
export function costPlans(config: Pick<RedisDrConfig, 'plans'>): CostPlan[] {
  return config.plans.map((plan) => ({
    name: plan.name,
    schedule: { cron: plan.schedule.cron, timeZone: plan.schedule.timeZone },
    targets: plan.targets.replicationGroupIds.length + plan.targets.serverlessCacheNames.length,
    selectsByTags: selectsAtRunTime(plan.targets),
    retention: { hourly: plan.retention.hourly, daily: plan.retention.daily, weekly: plan.retention.weekly, monthly: plan.retention.monthly },
    ...(plan.export.enabled
      ? {
          export: {
            minTier: plan.export.minTier,
            expireDays: plan.export.expireDays,
            ...(plan.export.archiveMonthlyAfterDays !== undefined ? { archiveMonthlyAfterDays: plan.export.archiveMonthlyAfterDays } : {}),
          },
        }
      : {}),
    ...(plan.drill.enabled
      ? {
          drill: {
            schedule: { cron: plan.drill.schedule.cron, timeZone: plan.drill.schedule.timeZone },
            sides: plan.drill.where === 'both' ? (['primary', 'dr'] as const) : ([plan.drill.where] as const),
            ...(plan.drill.nodeType !== undefined ? { nodeType: plan.drill.nodeType } : {}),
          },
        }
      : {}),
  }));
}

/** The monthly estimate of `config` deployed as `stacks` (its synthesized templates). */
export function deploymentCost(
  config: Pick<RedisDrConfig, 'plans' | 'dr' | 'primary'> & Partial<Pick<RedisDrConfig, 'scrub' | 'lambda' | 'vault'>>,
  stacks: readonly StackResources[],
  options: { readonly now?: Date; readonly assumptions?: Partial<CostAssumptions>; readonly priceTables?: Readonly<Record<string, PriceTable>> } = {},
): CostEstimate {
  return estimateMonthlyCost({
    stacks,
    plans: costPlans(config),
    replicationTimeControl: config.dr.replicationTimeControl,
    assumptions: { ...DEFAULT_COST_ASSUMPTIONS, ...options.assumptions },
    regions: { primary: config.primary.region, dr: config.dr.region },
    ...(options.priceTables ? { priceTables: options.priceTables } : {}),
    now: options.now ?? new Date(),
    // The DR stack scrubs its bucket whenever a plan exports (lib/stacks/dr-stack.ts).
    ...(config.plans.some((p) => p.export.enabled)
      ? { scrub: { days: scrubSettings(config).days, memoryMb: config.lambda?.verifyMemorySizeMb ?? VERIFY_MEMORY_MB } }
      : {}),
    // The vault stack scrubs its replicas whenever there is a vault (lib/stacks/vault-stack.ts); a replica is kept
    // until the lifecycle expires it, a day after the longest tier's lock (vaultLifecycleRules).
    ...(config.vault
      ? {
          vaultScrub: {
            days: scrubSettings(config).days,
            memoryMb: config.lambda?.verifyMemorySizeMb ?? VERIFY_MEMORY_MB,
            region: config.vault.region,
            replicaDays: vaultReplicaDays(vaultTierDays(config.vault.retentionDays, config.vault.tierRetentionDays)),
            replicationTimeControl: config.vault.replicationTimeControl,
            organizationCopies: config.vault.organizationId !== undefined,
          },
        }
      : {}),
  });
}
