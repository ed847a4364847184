/**
 * `redis-dr org plan`: an account's effective plans from the org config,
 * offline. Every refusal is a usage error (exit 2), one line each: the
 * config's problems (a merge conflict naming both levels, an account in no
 * OU, a tier naming no tier), an account id that is none, a tier the root
 * does not define.
 */
import { effectivePlans, tierOfCache } from '../../domain/org/effective.js';
import type { EffectivePlans } from '../../domain/org/merge.js';
import { show } from '../../domain/plans/problems.js';
import { ConfigError } from '../../../lib/config/load.js';
import { loadOrgConfig, type OrgConfig } from '../../../lib/config/org.js';
import { UsageError } from '../kernel/usage-error.js';
import type { MemberVaultView } from '../../domain/org/format-plan.js';
import { vaultTierDays } from '../../domain/vault/vault-retention.js';
import { vaultCarried } from '../../../lib/config/org-vault.js';
import { recoveryBucketName, vaultStackName } from '../../../lib/deployment.js';

/** What `org plan` asks. */
export interface OrgPlanRequest {
  /** The org config file. */
  readonly file: string;
  readonly account: string;
  /** A cache's `redis-dr:tier` tag value: only that tier, refused when it names no tier. */
  readonly tier?: string;
}

/** The answer: the config, the account's plans, and the tier asked for (or the account's default). */
export interface OrgPlanAnswer {
  readonly config: OrgConfig;
  readonly plans: EffectivePlans;
  readonly tiers?: readonly string[];
  /** The organization's vault the account's member stacks replicate into; absent when no tier of the account has vault.enabled. */
  readonly vault?: MemberVaultView;
}

/** The organization's vault as the account's member stacks replicate into it (lib/constructs/org/member-vault.ts). */
function vaultView(config: OrgConfig, plans: EffectivePlans): { vault?: MemberVaultView } {
  if (!vaultCarried(plans)) return {};
  const v = config.vault;
  return {
    vault: {
      stack: vaultStackName({ name: config.name }),
      bucket: recoveryBucketName(config.name, v.account, v.region),
      account: v.account,
      region: v.region,
      days: vaultTierDays(v.retentionDays, v.tierRetentionDays),
    },
  };
}

/** The org config of `file`. @throws UsageError (exit 2) naming the file and every problem */
export function readOrgConfig(file: string): OrgConfig {
  try {
    return loadOrgConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message.replaceAll('-c config=<file>', '-c <file>'));
    throw err;
  }
}

/** Reads the org config and merges `account`'s levels. @throws UsageError (exit 2) on any bad input */
export function orgPlan(request: OrgPlanRequest): OrgPlanAnswer {
  if (!/^\d{12}$/.test(request.account))
    throw new UsageError(`--account must be a 12-digit AWS account id, got ${show(request.account)}: e.g. --account 111122223333`);
  const config = readOrgConfig(request.file);
  const merged = effectivePlans(config, request.account);
  if (!merged.ok) throw new UsageError(`${request.file}: ${merged.problems.join('\n')}`);
  const vault = vaultView(config, merged.plans);
  if (request.tier === undefined) return { config, plans: merged.plans, ...vault };
  const found = tierOfCache(merged.plans, { 'redis-dr:tier': request.tier });
  if ('problem' in found) throw new UsageError(`--tier: ${found.problem}`);
  return { config, plans: merged.plans, tiers: [request.tier], ...vault };
}
