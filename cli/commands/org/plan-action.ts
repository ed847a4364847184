import { drillNetworksOf, notCarried } from '../../../lambdas/domain/org/effective.js';
import { formatEffectivePlans, memberDrillsOf } from '../../../lambdas/domain/org/format-plan.js';
import { orgPlan } from '../../../lambdas/jobs/org/plan.js';

/** `redis-dr org plan`'s options (cli/commands/org/command.ts). */
export interface OrgPlanOptions {
  readonly config: string;
  readonly account: string;
  readonly tier?: string;
  readonly json?: boolean;
}

/** `redis-dr org plan -c <org config> --account <id>`: prints the effective plans (exit 2 on bad input). */
export async function orgPlanAction(options: OrgPlanOptions): Promise<void> {
  const { config, plans, tiers, vault } = orgPlan({ file: options.config, account: options.account, tier: options.tier });
  const drills = memberDrillsOf(config);
  if (options.json) {
    const shown = tiers ? { ...plans, tiers: plans.tiers.filter((t) => tiers.includes(t.name)) } : plans;
    // What the member stacks do not carry yet, as the text says it (docs/org.md, "What the StackSets carry").
    process.stdout.write(
      `${JSON.stringify({ account: options.account, ...shown, ...(drills ? { drills } : {}), ...(vault ? { vault } : {}), notCarried: notCarried(shown, drillNetworksOf(config)) }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(`${formatEffectivePlans(options.account, plans, tiers, drills, vault).join('\n')}\n`);
}
