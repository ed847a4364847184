/**
 * Vault replication of the organization's member accounts (docs/org.md,
 * "Vault replication of member accounts"): the `vault` of a member
 * deployment config, and the deployment config of the one vault they
 * replicate into, both from the org config.
 *
 * Names: the vault is the org's deployment, `<org name>` (stack
 * `RedisDr-<org name>-Vault`, bucket `redis-dr-<org name>-<vault account>-<vault region>`);
 * each member deployment, `<org name>-<group>`, names it with
 * `vault.deployment`, and its replication roles (`redis-dr-<org name>-<group>-replication-<region>`)
 * are what the vault's organization grant takes: `redis-dr-<org name>*-replication-<region>`
 * (lib/constructs/vault/vault-bucket.ts), under `${aws:PrincipalAccount}/` only.
 */
import type { EffectivePlans } from '../../../lambdas/domain/org/merge.js';
import type { OrgConfig } from '../../config/org.js';
import { vaultCarried } from '../../config/org-vault.js';
import type { RedisDrProps } from '../../redis-dr.js';
import { stackSetGroups } from './stack-set-groups.js';
import type { OrgVaultAccount } from '../../stacks/vault-stack.js';

type MemberVault = NonNullable<RedisDrProps['vault']>;
type MemberPlan = RedisDrProps['plans'][number];

/** The organization's vault as a member deployment names it: granted by organization, the org's deployment's. */
function vaultOf(org: OrgConfig): MemberVault {
  const v = org.vault;
  return {
    account: v.account,
    region: v.region,
    organizationId: v.organizationId,
    retentionDays: v.retentionDays,
    ...(v.tierRetentionDays ? { tierRetentionDays: { ...v.tierRetentionDays } } : {}),
    deployment: org.name,
  };
}

/** A member deployment's `vault`: the organization's, when one of the group's tiers has `vault.enabled`; else none. */
export function memberVault(org: OrgConfig, plans: EffectivePlans): { vault: MemberVault } | Record<string, never> {
  return vaultCarried(plans) ? { vault: vaultOf(org) } : {};
}

/** The lowest of two export min tiers (the vault's freshness and retention cover every GFS tier any group exports). */
const LOWER = ['hourly', 'daily', 'weekly', 'monthly'] as const;

/**
 * The deployment config of the organization's vault (`-c stacks=org-vault`):
 * named `<org name>`, in the vault account, its plans the exporting tiers of
 * every group that replicates into it, one per tier name. Where groups give
 * a tier different settings, the vault takes the longest RPO (its
 * vault-stale alarm must not page a group doing what its tier says) and the
 * most copies of each GFS tier (its retention check then covers every
 * group); `undefined` when no tier replicates into a vault.
 * @param member each group's member deployment config (lib/constructs/org/member-config.ts)
 */
export function orgVaultProps(org: OrgConfig, member: (group: string, plans: EffectivePlans) => RedisDrProps): RedisDrProps | undefined {
  const byTier = new Map<string, MemberPlan>();
  for (const group of stackSetGroups(org)) {
    if (!vaultCarried(group.plans)) continue;
    for (const plan of member(group.name, group.plans).plans.filter((p) => p.export?.enabled)) {
      const seen = byTier.get(plan.name);
      byTier.set(plan.name, seen ? widest(seen, plan) : plan);
    }
  }
  if (byTier.size === 0) return undefined;
  return {
    name: org.name,
    ...(org.example ? { example: true } : {}),
    primary: { region: org.regions.primary },
    dr: { region: org.regions.dr },
    vault: (({ deployment: _own, ...v }) => v)(vaultOf(org)),
    alerts: { emails: [...org.alerts.emails], httpsEndpoints: [...org.alerts.httpsEndpoints] },
    plans: [...byTier.values()].map(({ drill: _drill, ...p }) => p),
  };
}

/**
 * Every account the org config lists whose group replicates into the vault (a tier with `vault.enabled`), by account
 * id: what the vault's per-account freshness measures and alarms on. Accounts of groups that do not replicate are not
 * in it; an account that joins an OU later is measured once the org config lists it and the vault stack is redeployed.
 */
export function orgVaultAccounts(org: OrgConfig, member: (group: string, plans: EffectivePlans) => RedisDrProps): OrgVaultAccount[] {
  const accounts = new Map<string, OrgVaultAccount>();
  for (const group of stackSetGroups(org)) {
    if (!vaultCarried(group.plans)) continue;
    const plans = member(group.name, group.plans)
      .plans.filter((p) => p.export?.enabled)
      .map((p) => p.name);
    if (plans.length === 0) continue;
    for (const account of group.accounts) accounts.set(account, { account, region: org.regions.primary, plans });
  }
  return [...accounts.values()].sort((a, b) => a.account.localeCompare(b.account));
}

/** Two groups' plans of one tier as the vault sees them: the longer RPO (and its schedule), the more copies, the lower min tier. */
function widest(a: MemberPlan, b: MemberPlan): MemberPlan {
  const slower = (b.rpoMinutes ?? 0) > (a.rpoMinutes ?? 0) ? b : a;
  const count = (k: 'hourly' | 'daily' | 'weekly' | 'monthly' | 'minKeep') => Math.max(a.retention?.[k] ?? 0, b.retention?.[k] ?? 0);
  const min = LOWER[Math.min(LOWER.indexOf(a.export!.minTier ?? 'hourly'), LOWER.indexOf(b.export!.minTier ?? 'hourly'))];
  return {
    ...slower,
    retention: { hourly: count('hourly'), daily: count('daily'), weekly: count('weekly'), monthly: count('monthly'), minKeep: count('minKeep') },
    export: { ...slower.export, enabled: true, minTier: min },
  };
}
