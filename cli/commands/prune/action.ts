import type { RedisDrConfig } from '../../../lib/config/index.js';
import { retentionPolicyOf } from '../../../lambdas/domain/plans/plan-input.js';
import { pruneRunInput } from '../../../lib/deployment.js';
import { listTargetSnapshots } from '../../../lambdas/adapters/aws/elasticache.js';
import { planSnapshotTags, toRecoveryPoints } from '../../../lambdas/adapters/aws/plan-snapshots.js';
import { mapConcurrent, throttleRetry } from '../../../lambdas/adapters/aws/retry.js';
import { resolveTargets } from '../../../lambdas/adapters/aws/targets.js';
import { CliAws, type CliEnv, findPlan, loadCliConfig, runAwsCommand } from '../../aws.js';
import { formatPlan, planRetention, type TargetPlan } from '../retention/plan-action.js';
import { UsageError } from '../../usage.js';

/**
 * `redis-dr prune --plan <name> --dry-run`: the retention plan of
 * `retention plan`, against AWS. It reads what the prune Lambda reads (the
 * plan's targets, their manual snapshots, the Tagging API's ownership tags)
 * and runs the same rules with the same safety rails, then prints which
 * snapshots are kept (with the rules that keep each) and which the next
 * scheduled run would delete. It never deletes: deleting is the scheduled
 * Lambda's job, within its IAM scope and per-run cap.
 */

/** What a dry run found. */
export interface PruneDryRun {
  readonly plan: string;
  readonly region: string;
  readonly now: string;
  /** Deletions per target per run: more than this waits for later runs. */
  readonly maxDeletesPerTarget: number;
  readonly targets: readonly TargetPlan[];
  /** The tag selection could not be resolved. */
  readonly problems: readonly string[];
}

/** Reads the plan's snapshots in the primary region and plans their retention. */
export async function pruneDryRun(config: RedisDrConfig, aws: CliAws, planName: string): Promise<PruneDryRun> {
  const plan = findPlan(config, planName);
  const region = config.primary.region;
  const input = pruneRunInput(config.name, plan, true);
  const deps = aws.deps(region);
  const owner = { deployment: input.deployment, plan: input.plan };
  const retry = throttleRetry(deps.clock, deps.clock.now() + input.budgetSeconds * 1000, deps.throttleDelayMs);
  const { targets, selectionError } = await resolveTargets(deps.tagging, input.targets, retry);
  const owned = await planSnapshotTags(
    deps.tagging,
    owner,
    targets.map((t) => t.id),
    { concurrency: deps.concurrency, retry },
  );
  const points = (
    await mapConcurrent(targets, deps.concurrency, async (t) => toRecoveryPoints(await listTargetSnapshots(deps.elasticache, t, retry), t.id, owned, owner))
  ).flat();
  const now = new Date(aws.clock.now());
  const planned = planRetention(points, retentionPolicyOf(input), now);
  // Targets without a single snapshot still show (with nothing to keep).
  const seen = new Set(planned.map((p) => p.target));
  const empty = targets.filter((t) => !seen.has(t.id)).map((t): TargetPlan => ({ target: t.id, keep: [], delete: [], ignored: [] }));
  return {
    plan: plan.name,
    region,
    now: now.toISOString(),
    maxDeletesPerTarget: input.maxDeletesPerTarget,
    targets: [...planned, ...empty].sort((a, b) => a.target.localeCompare(b.target)),
    problems: selectionError ? [selectionError] : [],
  };
}

/** Registers `prune`. */
/** The `prune` command's action (loaded only when the command runs; options: cli/commands/prune/command.ts). */
export async function pruneAction(o: { plan: string; dryRun?: boolean; config: string; json?: boolean }, env: CliEnv = {}): Promise<void> {
  if (!o.dryRun) {
    throw new UsageError(
      'prune needs --dry-run: the CLI never deletes snapshots; the scheduled prune Lambda does, within its safety rails (set retention.dryRun=false in the config to let it)',
    );
  }
  const config = loadCliConfig(o.config);
  findPlan(config, o.plan);
  const aws = new CliAws(config, env);
  await runAwsCommand('prune', aws, async () => {
    const r = await pruneDryRun(config, aws, o.plan);
    const note = `DRY RUN: nothing deleted. Plan ${r.plan} in ${r.region} at ${r.now}; a prune run deletes at most ${r.maxDeletesPerTarget} per target, oldest first.\n`;
    const problems = r.problems.map((p) => `problem: ${p}\n`).join('');
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${note}${problems}${formatPlan(r.targets)}`);
    return r.problems.length > 0 ? 1 : 0;
  });
}
