/**
 * The organization's vault as the org config says it (docs/org.md, "Vault
 * replication of member accounts"): which accounts' member stacks replicate
 * into it, and whether it keeps every copy they replicate as long as they
 * keep it. One vault for the organization, one retention per GFS tier
 * (`vault.retentionDays`, the floor every replica gets as it lands, and
 * `vault.tierRetentionDays`): replicas of every protection tier share the
 * bucket, and the vault's verifier extends each replica's lock by its GFS
 * tier tag (`redis-dr:tier=monthly`), never by protection tier.
 */
import { effectivePlans } from '../../lambdas/domain/org/effective.js';
import type { EffectivePlans, EffectiveTier } from '../../lambdas/domain/org/merge.js';
import type { OrgTree } from '../../lambdas/domain/org/tree.js';
import { TIERS, type Tier } from '../../lambdas/domain/plans/types.js';
import { vaultTierDays } from '../../lambdas/domain/vault/vault-retention.js';
import { tierExpireDays } from './defaults.js';

/** The org config's `vault`, as far as retention goes. */
export interface OrgVaultDays {
  readonly account: string;
  readonly retentionDays: number;
  readonly tierRetentionDays?: Partial<Record<Tier, number>>;
}

/**
 * Whether the member stacks of accounts with `plans` replicate into the
 * organization's vault: when one of their tiers has `vault.enabled`. The
 * vault is per account, as in a deployment config: every exporting tier of
 * such an account replicates there (its export bucket's `<account>/<region>/`).
 */
export function vaultCarried(plans: EffectivePlans): boolean {
  return plans.tiers.some((t) => t.settings['vault.enabled'].value === true);
}

/** The GFS tiers a protection tier exports: from its `export.minTier` up; none without exports. */
export function exportedGfsTiers(tier: EffectiveTier): Tier[] {
  if (tier.settings['export.enabled'].value !== true) return [];
  const min = TIERS.indexOf(tier.settings['export.minTier'].value as Tier);
  return TIERS.slice(Math.max(0, min));
}

/** Days the export lifecycle keeps each GFS tier of `tier`'s copies: what its retention counts imply (lib/config/defaults.ts). */
function keptDays(tier: EffectiveTier): Record<Tier, number> {
  const count = (g: Tier) => Number(tier.settings[`retention.${g}`].value);
  return tierExpireDays({ hourly: count('hourly'), daily: count('daily'), weekly: count('weekly'), monthly: count('monthly') }, {});
}

/** The field that sets the vault's days of GFS tier `g`: its own `tierRetentionDays`, else the floor. */
function daysField(vault: OrgVaultDays, g: Tier): string {
  return vault.tierRetentionDays?.[g] !== undefined ? `vault.tierRetentionDays.${g}` : 'vault.retentionDays';
}

/**
 * Every problem of the organization's vault, each one line naming the field, its value and the fix, once however
 * many accounts share it: a vault that lets go of a copy a member account still keeps (a GFS tier's days shorter than
 * an exporting tier keeps it), a tier asking its replicas be kept longer than the vault keeps them
 * (`<tier>.vault.retentionDays`), and the vault account among the accounts whose member stacks replicate into it.
 */
export function orgVaultProblems(tree: OrgTree, vault: OrgVaultDays): string[] {
  const days = vaultTierDays(vault.retentionDays, vault.tierRetentionDays);
  const problems = new Set<string>();
  // As a deployment config's vault (lib/config/checks.ts): COMPLIANCE retention is never shortened below the floor.
  for (const g of TIERS) {
    const own = vault.tierRetentionDays?.[g];
    if (own !== undefined && own < vault.retentionDays)
      problems.add(
        `vault.tierRetentionDays.${g} is ${own}, shorter than vault.retentionDays ${vault.retentionDays} (the retention every replica gets as it lands): COMPLIANCE retention cannot be shortened; set ${vault.retentionDays} or more, or lower vault.retentionDays`,
      );
  }
  // The vault's own days first: what the accounts need is judged against days that can be.
  if (problems.size > 0) return [...problems];
  tree.organizationalUnits.forEach((ou, i) => {
    for (const account of ou.accounts) {
      const merged = effectivePlans(tree, account);
      // A merge problem is orgProblems' to say.
      if (!merged.ok || !vaultCarried(merged.plans)) continue;
      if (account === vault.account)
        problems.add(
          `organizationalUnits[${i}].accounts lists the vault account ${account} (ou ${ou.name}), whose tiers replicate into the vault: its member stacks would replicate into the vault from the vault account itself, which then guards nothing; keep the vault account out of the OUs redis-dr targets (e.g. a security OU), or name another vault.account`,
        );
      for (const tier of merged.plans.tiers) problemsOfTier(tier, vault, days, problems);
    }
  });
  return [...problems];
}

function problemsOfTier(tier: EffectiveTier, vault: OrgVaultDays, days: Record<Tier, number>, problems: Set<string>): void {
  const kept = keptDays(tier);
  const exported = exportedGfsTiers(tier);
  for (const g of exported) {
    if (days[g] >= kept[g]) continue;
    const field = daysField(vault, g);
    const counts = tier.settings[`retention.${g}`];
    problems.add(
      `${field} is ${days[g]}, shorter than tier ${tier.name} keeps its ${g} exports (${kept[g]} days for retention.${g} ${counts.value}, from ${counts.source}): ` +
        `the vault would let go of copies the member accounts still keep; set vault.tierRetentionDays.${g} to ${kept[g]} or more`,
    );
  }
  const asked = tier.settings['vault.retentionDays'];
  if (tier.settings['vault.enabled'].value !== true) return;
  const short = exported.filter((g) => days[g] < Number(asked.value));
  if (short.length === 0) return;
  const shortest = Math.min(...short.map((g) => days[g]));
  problems.add(
    `${tier.name}.vault.retentionDays is ${asked.value} (from ${asked.source}), longer than the organization's vault keeps its ${short.join(', ')} replicas ` +
      `(${[...new Set(short.map((g) => `${daysField(vault, g)} ${days[g]}`))].join(', ')}): the vault locks a replica by its GFS tier, not by ${tier.name}; ` +
      `set ${short.map((g) => `vault.tierRetentionDays.${g}`).join(', ')} to ${asked.value} or more, or lower ${tier.name}.vault.retentionDays to ${shortest}`,
  );
}

/**
 * Every problem of the tiers whose DR drill seeds from the vault (`drill.fromVault`), once however many accounts have
 * one: ElastiCache seeds a cluster only from a bucket in the cluster's region, so the vault must be in the DR region
 * (as a deployment config's `vault.region`, lib/config/checks.ts `checkVaultDrill`).
 */
export function orgVaultDrillProblems(tree: OrgTree, vault: { readonly region: string }, drRegion: string): string[] {
  const problems = new Set<string>();
  for (const ou of tree.organizationalUnits) {
    for (const account of ou.accounts) {
      const merged = effectivePlans(tree, account);
      if (!merged.ok) continue;
      for (const tier of merged.plans.tiers.filter((t) => t.settings['drill.fromVault'].value === true)) {
        if (vault.region === drRegion) continue;
        problems.add(
          `vault.region is "${vault.region}", not regions.dr "${drRegion}", while tier ${tier.name} has drill.fromVault (from ${tier.settings['drill.fromVault'].source}): ElastiCache seeds a cluster only from a bucket in its own region, and the vault drill runs in the DR region; put the vault in ${drRegion}, or remove drill.fromVault`,
        );
      }
    }
  }
  return [...problems];
}
