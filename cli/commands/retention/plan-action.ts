import { nowOption } from '../../instant.js';
import { readFileSync } from 'node:fs';
import { retentionPolicyOf } from '../../../lambdas/domain/plans/plan-input.js';
import { z } from 'zod';
import { parseSnapshotName } from '../../../lambdas/domain/plans/naming.js';
import { retentionCountsSchema, rpoMinutesSchema } from '../../../lambdas/domain/plans/settings.js';
import { planRetention } from '../../../lambdas/domain/plans/retention-plan.js';
import { isTier, TIERS, type RecoveryPoint, type RetentionPolicy } from '../../../lambdas/domain/plans/types.js';
import { pruneRunInput } from '../../../lib/deployment.js';
import { findPlan, loadCliConfig } from '../../config-file.js';
import { formatPlan } from '../../retention-table.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/**
 * `redis-dr retention plan (--policy <file> | -c <config> --plan <name>) --snapshots <file> [--now <iso>]`:
 * an offline dry run of the grandfather-father-son rules, the same
 * `selectExpired` the prune Lambda runs, per target: which recovery points
 * are kept (with every rule that keeps each) and which would be deleted.
 */

/** The policy file: a plan's retention counts (the config's and the prune Lambda's schema), its RPO and time zone. */
export const policyFileSchema = retentionCountsSchema.extend({
  rpoMinutes: rpoMinutesSchema,
  timeZone: z.string().default('UTC'),
});

const snapshotSchema = z.strictObject({
  name: z.string().min(1),
  /** The target; default: from the `rdr-<target>-…` name. */
  source: z.string().optional(),
  status: z.string().default('available'),
  /** ISO time; default: from the name. */
  createdAt: z.string().optional(),
  /** `redis-dr:managed=true` was on the snapshot; default: the name starts with `rdr-`. */
  managed: z.boolean().optional(),
  tier: z.enum(TIERS).optional(),
});

/** What `aws elasticache describe-snapshots` prints, as far as it is used. */
const describeSnapshotsSchema = z.object({
  Snapshots: z.array(
    z.object({
      SnapshotName: z.string(),
      SnapshotStatus: z.string().optional(),
      NodeSnapshots: z.array(z.object({ SnapshotCreateTime: z.string().optional() })).optional(),
    }),
  ),
});

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${what} ${file}: no such file`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function problems(file: string, error: z.ZodError): string {
  return error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'} ${i.message}`).join('\n');
}

/**
 * Recovery points from either our simple list (`[{name, status, createdAt,
 * managed, tier}]`) or `describe-snapshots` output. Describe output has no
 * tags: a snapshot counts as managed when its name is one of ours, and its
 * tier is decided by time (as the snapshot Lambda would have).
 */
export function readSnapshots(file: string): RecoveryPoint[] {
  const raw = readJson(file, 'snapshots file');
  const described = describeSnapshotsSchema.safeParse(raw);
  const list = described.success
    ? described.data.Snapshots.map((s) => ({
        name: s.SnapshotName,
        status: (s.SnapshotStatus ?? 'available').toLowerCase(),
        createdAt: s.NodeSnapshots?.[0]?.SnapshotCreateTime,
      }))
    : raw;
  const parsed = z.array(snapshotSchema).safeParse(list);
  if (!parsed.success) throw new UsageError(problems(file, parsed.error));
  return parsed.data.map((s, i) => {
    const fromName = parseSnapshotName(s.name);
    const source = s.source ?? fromName?.target;
    const createdAt = s.createdAt ? new Date(s.createdAt) : fromName?.at;
    if (!source) throw new UsageError(`${file}: [${i}].source is required for ${JSON.stringify(s.name)} (not an rdr-<target>-<date>-<time> name)`);
    if (!createdAt || Number.isNaN(createdAt.getTime()))
      throw new UsageError(`${file}: [${i}].createdAt is required for ${JSON.stringify(s.name)}, as an ISO time`);
    return {
      name: s.name,
      source,
      status: s.status.toLowerCase(),
      createdAt,
      managed: s.managed ?? fromName !== undefined,
      tier: isTier(s.tier) ? s.tier : undefined,
    };
  });
}

/** The `retention` command's action (loaded only when the command runs; options: cli/commands/retention/command.ts). */
export function retentionAction(options: RetentionPlanOptions): void {
  try {
    const policy = policyOf(options);
    const now = nowOption(options.now);
    const plans = planRetention(readSnapshots(options.snapshots), policy, now);
    process.stdout.write(options.json ? `${JSON.stringify({ now: now.toISOString(), targets: plans }, null, 2)}\n` : formatPlan(plans));
  } catch (err) {
    // Bad files and bad policies are usage errors (exit 2), with every problem named.
    throw err instanceof UsageError ? err : new UsageError((err as Error).message);
  }
}

/** Options of `retention plan`. */
export interface RetentionPlanOptions {
  readonly policy?: string;
  readonly config?: string;
  readonly plan?: string;
  readonly snapshots: string;
  readonly now?: string;
  readonly json?: boolean;
}

/**
 * The policy: from `--policy <file>`, or the plan's retention in the
 * deployment config (`-c <config> --plan <name>`: exactly what the prune
 * Lambda of that plan applies). One of the two, not both.
 */
function policyOf(options: RetentionPlanOptions): RetentionPolicy {
  if (options.policy !== undefined && (options.plan !== undefined || options.config !== undefined)) {
    throw new UsageError('give either --policy <file> or -c <config> --plan <name>, not both');
  }
  if (options.policy !== undefined) {
    const raw = readJson(options.policy, 'policy file');
    if (raw !== null && typeof raw === 'object' && 'plans' in raw) {
      throw new UsageError(`${options.policy} is a deployment config, not a policy file: use -c ${options.policy} --plan <name>`);
    }
    const policy = policyFileSchema.safeParse(raw);
    if (!policy.success) throw new UsageError(problems(options.policy, policy.error));
    return policy.data;
  }
  if (options.plan === undefined) {
    throw new UsageError(
      options.config !== undefined
        ? `-c ${options.config} needs --plan <name>: the plan whose retention to apply`
        : 'give the retention policy: --policy <file>, or -c <config> --plan <name> to use a plan of the deployment config',
    );
  }
  const config = loadCliConfig(options.config);
  const input = pruneRunInput(config.name, findPlan(config, options.plan), true);
  return retentionPolicyOf(input);
}
