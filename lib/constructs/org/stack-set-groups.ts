/**
 * Which accounts get which StackSets: accounts whose effective plans are the
 * same share one pair of StackSets (DR, then primary). An OU's group is the
 * plans its accounts inherit without settings of their own, and targets
 * the OU (automatic deployment: an account that joins it later gets them);
 * an account with settings of its own, or in a child OU whose plans differ,
 * is taken out of its parents' group (`DIFFERENCE`) and given its own
 * (`INTERSECTION` with its OU). Effective plans are the same when their
 * tiers' settings and their default tier are: the default tier's plan also
 * selects the untagged caches (member-config.ts), and a StackSet gives each
 * of its accounts the same template.
 */
import { createHash } from 'node:crypto';
import { effectivePlans } from '../../../lambdas/domain/org/effective.js';
import type { EffectivePlans } from '../../../lambdas/domain/org/merge.js';
import { accountLevels, type OrgTree, ouOfAccount } from '../../../lambdas/domain/org/tree.js';
import { mergeLevels } from '../../../lambdas/domain/org/merge.js';

/** One set of deployment targets of a StackSet group (CloudFormation's DeploymentTargets). */
export interface GroupTarget {
  readonly organizationalUnitIds: readonly string[];
  readonly accountFilterType?: 'DIFFERENCE' | 'INTERSECTION';
  readonly accounts?: readonly string[];
}

/** Accounts that share effective plans, and how the StackSets reach them. */
export interface StackSetGroup {
  /** A short stable name: `g` and the plans' hash. */
  readonly name: string;
  readonly plans: EffectivePlans;
  readonly targets: readonly GroupTarget[];
  /** The accounts listed today (for the synth summary). */
  readonly accounts: readonly string[];
}

/**
 * Settings added after the first StackSets shipped, with their defaults: at the default they stay out of a group's
 * signature, so its name (and its StackSets' names) stays what it was before the setting existed. A new name would be
 * a new StackSet beside the old one, whose member stacks hold the same fixed resource names.
 */
const LATER_SETTINGS: Readonly<Record<string, unknown>> = { 'drill.where': 'primary', 'drill.fromVault': false };

/** The tiers' settings without their sources: what decides a group. */
const signature = (plans: EffectivePlans): string =>
  JSON.stringify(
    plans.tiers.map((t) => [
      t.name,
      Object.fromEntries(
        Object.entries(t.settings)
          .filter(([k, v]) => !(k in LATER_SETTINGS) || LATER_SETTINGS[k] !== v.value)
          .map(([k, v]) => [k, v.value]),
      ),
    ]),
  );

/** What decides a group: the tiers' settings and the default tier (which tier's plan selects the untagged caches). */
const groupKey = (plans: EffectivePlans): string => JSON.stringify([signature(plans), plans.defaultTier?.value ?? null]);

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 6);

/**
 * A group's name: `g` and the hash of its tiers' settings when its default tier is the root's (the tier most
 * accounts inherit; as before default tiers were applied, so such a group keeps its StackSets, and its member
 * stacks their deployment name and their backups' chain), else the hash of both. A name depends on the group's own
 * plans and the root's default tier only, never on which other groups exist: adding, moving or removing an OU or
 * an account renames no other group (review 21: a name that went to whichever of two groups kept the root's default
 * moved, StackSets and all, to a newly added OU's accounts).
 */
function groupName(plans: EffectivePlans, rootDefault: string | undefined): string {
  return `g${shortHash(plans.defaultTier?.value === rootDefault ? signature(plans) : groupKey(plans))}`;
}

/** The StackSet of a group in the DR or the primary region (GroupStackSets names it; `org doctor` reads it by this name). */
export function stackSetName(orgName: string, groupName: string, where: 'dr' | 'primary'): string {
  return `redis-dr-${orgName}-${groupName}-${where}`;
}

/** The groups of an organization whose config has no problems (lib/config/org.ts validated it). */
export function stackSetGroups(tree: OrgTree): StackSetGroup[] {
  const tierNames = Object.keys(tree.root.tiers);
  const groups = new Map<string, { plans: EffectivePlans; ous: string[]; minus: string[]; own: { ou: string; account: string }[] }>();
  const groupOf = (plans: EffectivePlans) => {
    const key = groupKey(plans);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { plans, ous: [], minus: [], own: [] }));
    return g;
  };
  // Each OU as a whole: the plans of an account of it with no settings of its own.
  const ouPlans = new Map<string, EffectivePlans>();
  for (const ou of tree.organizationalUnits) {
    const probe = ou.accounts[0];
    const levels = probe === undefined ? undefined : accountLevels(tree, probe);
    if (!Array.isArray(levels)) continue;
    const merged = mergeLevels(
      tierNames,
      levels.filter((l) => !l.path.startsWith('accounts[')),
    );
    if (merged.ok) {
      ouPlans.set(ou.id, merged.plans);
      groupOf(merged.plans).ous.push(ou.id);
    }
  }
  for (const ou of tree.organizationalUnits) {
    for (const account of ou.accounts) {
      const merged = effectivePlans(tree, account);
      if (!merged.ok) continue;
      const key = groupKey(merged.plans);
      // Every targeted ancestor OU of another group deploys here too (StackSets reach child OUs): take the account out of it.
      for (let at = ouOfAccount(tree, account); at !== undefined; at = tree.organizationalUnits.find((o) => o.id === at!.parentId)) {
        const theirs = ouPlans.get(at.id);
        if (theirs && groupKey(theirs) !== key) groupOf(theirs).minus.push(account);
      }
      if (groupKey(ouPlans.get(ou.id)!) !== key) groupOf(merged.plans).own.push({ ou: ou.id, account });
    }
  }
  const rootDefault = tree.root.defaultTier;
  return [...groups.values()].map((g) => {
    const targets: GroupTarget[] = [];
    if (g.ous.length > 0)
      targets.push({
        organizationalUnitIds: g.ous,
        ...(g.minus.length > 0 ? { accountFilterType: 'DIFFERENCE' as const, accounts: [...new Set(g.minus)] } : {}),
      });
    for (const { ou, account } of g.own) targets.push({ organizationalUnitIds: [ou], accountFilterType: 'INTERSECTION', accounts: [account] });
    const accounts = [
      ...tree.organizationalUnits.filter((o) => g.ous.includes(o.id)).flatMap((o) => o.accounts.filter((a) => !g.minus.includes(a))),
      ...g.own.map((o) => o.account),
    ];
    const name = groupName(g.plans, rootDefault);
    return { name, plans: g.plans, targets, accounts };
  });
}
