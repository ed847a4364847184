/**
 * What one StackSet deploys into each of its accounts, as a deployment
 * config (the same schema as one account's, validated the same way): one
 * plan per tier, selecting the caches tagged `redis-dr:tier=<tier>`, with the
 * tier's effective RPO, retention and export; the plan of the group's
 * default tier (`defaultTier`) also selects every cache of the account's
 * primary region without a `redis-dr:tier` tag (`selectWithoutTag`: the
 * StackSet gives every account of the group the same template, so accounts
 * whose default tiers differ are in different groups, stack-set-groups.ts). Account-agnostic (no account
 * anywhere: the StackSet gives each instance its own), its alert topics
 * subscribed to the org config's `alerts`. A tier's drills run where its
 * `drill.where` says, in each region whose network the org config names
 * (`drill.network`, `drill.drNetwork`: SSM parameter names, resolved in each
 * account); with a tier's `vault.enabled`, the account replicates into the
 * organization's vault (member-vault.ts).
 */
import { CACHE_TIER_TAG, carriedDrillRegions, type DrillNetworks, drillNetworksOf, drillSchedule } from '../../../lambdas/domain/org/effective.js';
import type { EffectivePlans, EffectiveTier } from '../../../lambdas/domain/org/merge.js';
import type { OrgConfig } from '../../config/org.js';
import type { RedisDrProps } from '../../redis-dr.js';
import { memberVault } from './member-vault.js';

/** Snapshot intervals a cron of a replication group can run at (at most 20 manual snapshots per node per day: every 2 h at most). */
const INTERVAL_HOURS = [2, 3, 4, 6, 8, 12, 24] as const;

/** The snapshot cron of a tier: the longest interval within its RPO, or a problem when even every 2 hours is too rare. */
export function tierCron(tier: EffectiveTier, where: string): { cron: string } | { problem: string } {
  const rpo = Number(tier.settings.rpoMinutes.value);
  const hours = [...INTERVAL_HOURS].reverse().find((h) => h * 60 <= rpo);
  if (hours === undefined)
    return {
      problem: `${where}: tier ${tier.name}'s rpoMinutes ${rpo} (from ${tier.settings.rpoMinutes.source}) is below 120: ElastiCache takes at most 20 manual snapshots of a node a day, so a snapshot every 2 hours is the most often; set rpoMinutes to 120 or more`,
    };
  return { cron: hours === 24 ? 'cron(0 1 * * ? *)' : `cron(0 0/${hours} * * ? *)` };
}

/**
 * A tier's drill in the member stacks: in each region its `drill.where` asks for whose network the org config
 * names (the primary region restores the native snapshot; the DR region the DR copies, which the merge makes sure
 * the tier exports), none when no such region is left (the tier is then named NOT CARRIED YET).
 */
function memberDrill(tier: EffectiveTier, networks: DrillNetworks) {
  const regions = carriedDrillRegions(tier, networks);
  if (regions.length === 0) return {};
  const s = tier.settings;
  return {
    drill: {
      enabled: true,
      where: regions.length === 2 ? ('both' as const) : regions[0]!,
      schedule: { cron: drillSchedule(Number(s['drill.everyDays'].value)).cron },
      rtoMinutes: Number(s['drill.rtoMinutes'].value),
      // The DR drill seeds from the account's replica in the organization's vault, under its own `<account>/<primary
      // region>/` (the vault stack grants the member drill roles that prefix; the merge makes sure the tier has vault.enabled).
      ...(s['drill.fromVault'].value === true && regions.includes('dr') ? { fromVault: true } : {}),
    },
  };
}

/** The deployment name of a StackSet group's member stacks: `<org name>-<group>`, cut to the 24 characters a deployment name takes. */
export function memberDeploymentName(orgName: string, group: string): string {
  return `${orgName}-${group}`.slice(0, 24);
}

/**
 * The deployment config of the accounts whose effective plans are `plans`,
 * named `<org name>-<group>`; or every problem that keeps a tier from deploying.
 */
export function memberConfig(org: OrgConfig, group: string, plans: EffectivePlans): { ok: true; props: RedisDrProps } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const built: RedisDrProps['plans'] = [];
  for (const tier of plans.tiers) {
    const s = tier.settings;
    const schedule = tierCron(tier, `StackSet group ${group}`);
    if ('problem' in schedule) {
      problems.push(schedule.problem);
      continue;
    }
    built.push({
      name: tier.name,
      targets: {
        selectByTags: { [CACHE_TIER_TAG]: tier.name },
        ...(plans.defaultTier?.value === tier.name ? { selectWithoutTag: CACHE_TIER_TAG } : {}),
      },
      schedule: { cron: schedule.cron },
      rpoMinutes: Number(s.rpoMinutes.value),
      retention: {
        hourly: Number(s['retention.hourly'].value),
        daily: Number(s['retention.daily'].value),
        weekly: Number(s['retention.weekly'].value),
        monthly: Number(s['retention.monthly'].value),
        minKeep: Number(s['retention.minKeep'].value),
      },
      export: { enabled: s['export.enabled'].value === true, minTier: s['export.minTier'].value as 'hourly' },
      ...memberDrill(tier, drillNetworksOf(org)),
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    props: {
      name: memberDeploymentName(org.name, group),
      ...(org.example ? { example: true } : {}),
      primary: { region: org.regions.primary },
      ...(org.drill?.network && built.some((p) => p.drill && p.drill.where !== 'dr') ? { network: { fromSsm: { ...org.drill.network.fromSsm } } } : {}),
      dr: {
        region: org.regions.dr,
        ...(org.drill?.drNetwork && built.some((p) => p.drill && p.drill.where !== 'primary')
          ? { network: { fromSsm: { ...org.drill.drNetwork.fromSsm } } }
          : {}),
      },
      ...memberVault(org, plans),
      // Every member account's topics page the organization's on-call: no per-account edit (docs/org.md).
      alerts: { emails: [...org.alerts.emails], httpsEndpoints: [...org.alerts.httpsEndpoints] },
      plans: built,
    },
  };
}
