/**
 * `redis-dr org plan`'s text: an account's levels, the tier of an untagged
 * cache, and each tier's settings with the level each came from. Pure.
 */
import { CACHE_TIER_TAG, carriedDrillRegions, drillSchedule, notCarried, untaggedTier } from './effective.js';
import type { EffectivePlans } from './merge.js';
import { TIER_LEAF_NAMES } from './tier-settings.js';

/** Rows as aligned columns (two spaces between, the last column unpadded). */
function aligned(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/** The SSM parameter names of a region's drill network (the org config's `drill.network.fromSsm` or `drill.drNetwork.fromSsm`). */
export interface SsmNetworkNames {
  readonly vpcId: string;
  readonly subnetIds: string;
  readonly securityGroupIds: string;
  readonly subnetGroupName: string;
}

/** Where the member stacks' drills can run: each region whose network the org config names, with its parameter names. */
export interface MemberDrills {
  readonly primary?: { readonly region: string; readonly fromSsm: SsmNetworkNames };
  readonly dr?: { readonly region: string; readonly fromSsm: SsmNetworkNames };
}

/** An org config's drill networks by region, or undefined when it names none (no member drills). */
export function memberDrillsOf(org: {
  readonly regions: { readonly primary: string; readonly dr: string };
  readonly drill?: { readonly network?: { readonly fromSsm: SsmNetworkNames }; readonly drNetwork?: { readonly fromSsm: SsmNetworkNames } };
}): MemberDrills | undefined {
  if (!org.drill) return undefined;
  const { network, drNetwork } = org.drill;
  return {
    ...(network ? { primary: { region: org.regions.primary, fromSsm: network.fromSsm } } : {}),
    ...(drNetwork ? { dr: { region: org.regions.dr, fromSsm: drNetwork.fromSsm } } : {}),
  };
}

/**
 * The SSM parameters a member stack reads in a region for its drills: all four in the primary region; in the DR
 * region not the VPC id, which only a serverless drill's endpoint grant names (the DR region's drills by tag seed
 * node-based clusters from the DR copies), so its stack has no parameter for it.
 */
export function drillParameterNames(region: 'primary' | 'dr', n: SsmNetworkNames): string[] {
  return region === 'primary' ? [n.vpcId, n.subnetIds, n.securityGroupIds, n.subnetGroupName] : [n.subnetIds, n.securityGroupIds, n.subnetGroupName];
}

/** What a region's drill restores, and the org config field its network comes from. */
const DRILL_REGION = {
  primary: { says: 'primary', field: 'drill.network' },
  dr: { says: 'DR, from the DR copies', field: 'drill.drNetwork' },
} as const;

/** The `drills:` lines of a tier: one per region the member stacks drill it in. */
function drillLines(tier: EffectivePlans['tiers'][number], drills: MemberDrills): string[] {
  const schedule = drillSchedule(Number(tier.settings['drill.everyDays'].value));
  return carriedDrillRegions(tier, { primary: drills.primary !== undefined, dr: drills.dr !== undefined }).map((r) => {
    const { region, fromSsm: n } = drills[r]!;
    // drill.fromVault: the member DR drill seeds from the account's replica in the organization's vault (member-config.ts).
    const says =
      r === 'dr' && tier.settings['drill.fromVault'].value === true ? "DR, from the account's replicas in the organization's vault" : DRILL_REGION[r].says;
    return (
      `  drills: in ${region} (${says}), ${schedule.says} ${schedule.cron} for drill.everyDays ${tier.settings['drill.everyDays'].value}, ` +
      `network from SSM parameters ${drillParameterNames(r, n).join(', ')} (from the org config's ${DRILL_REGION[r].field}, read in this account)`
    );
  });
}

/** The organization's vault an account's member stacks replicate into (a tier of the account has `vault.enabled`). */
export interface MemberVaultView {
  /** `RedisDr-<org name>-Vault`, deployed once (`-c stacks=org-vault`). */
  readonly stack: string;
  readonly bucket: string;
  readonly account: string;
  readonly region: string;
  /** COMPLIANCE days per GFS tier (`vault.retentionDays`, `vault.tierRetentionDays`). */
  readonly days: Readonly<Record<string, number>>;
}

/**
 * What a tier gets of the organization's vault: with `vault.enabled`, where its replicas go and how long each GFS
 * tier is locked; an exporting tier of an account whose vault is on replicates too (the vault is per account).
 */
export function vaultLines(account: string, tier: EffectivePlans['tiers'][number], vault: MemberVaultView | undefined): string[] {
  if (vault === undefined || tier.settings['export.enabled'].value !== true) return [];
  const from = `exports from ${tier.settings['export.minTier'].value} up`;
  if (tier.settings['vault.enabled'].value !== true)
    return [`  vault: its ${from} replicate too, into ${vault.bucket}: the vault is per account, and another tier of this account has vault.enabled`];
  const days = Object.entries(vault.days)
    .map(([t, d]) => `${t} ${d}`)
    .join(', ');
  return [
    `  vault: ${from} and the account's reports replicate into ${vault.bucket} (${vault.stack}, account ${vault.account}, ${vault.region}) under ${account}/<region>/, ` +
      `locked (COMPLIANCE) ${days} days by their GFS tier (the org config's vault)`,
  ];
}

/**
 * The lines of an account's effective plans; `tiers` limits them to those named. `drills`: the org config's drill
 * networks, without which the member stacks carry no drills in that region. `vault`: the organization's vault, when
 * the account's member stacks replicate into it.
 */
export function formatEffectivePlans(
  account: string,
  plans: EffectivePlans,
  tiers?: readonly string[],
  drills?: MemberDrills,
  vault?: MemberVaultView,
): string[] {
  const lines = [`account ${account}: ${plans.levels.join(' > ')}`];
  lines.push(`caches without a ${CACHE_TIER_TAG} tag: ${untaggedTier(plans)}`);
  for (const tier of plans.tiers.filter((t) => tiers === undefined || tiers.includes(t.name))) {
    lines.push('', `tier ${tier.name} (${CACHE_TIER_TAG}=${tier.name})`);
    const rows = [['setting', 'value', 'from'], ...TIER_LEAF_NAMES.map((leaf) => [leaf, String(tier.settings[leaf].value), tier.settings[leaf].source])];
    lines.push(...aligned(rows).map((l) => `  ${l}`));
    if (drills) lines.push(...drillLines(tier, drills));
    lines.push(...vaultLines(account, tier, vault));
    const missing = notCarried({ ...plans, tiers: [tier] }, { primary: drills?.primary !== undefined, dr: drills?.dr !== undefined });
    if (missing.length > 0)
      lines.push(
        `  NOT CARRIED YET by the StackSets and the pipeline: ${missing.map((m) => m.slice(tier.name.length + 1)).join(', ')}: this account does not get ${missing.length > 1 ? 'them' : 'it'} from them (docs/org.md, "What the StackSets carry, and what not yet")`,
      );
  }
  return lines;
}
