/**
 * The organization as the org config describes it: the root's tiers, the
 * OUs (nested by `parentId`, each listing its accounts) and per-account
 * settings, and the chain of levels one account inherits from (root, its
 * OUs outermost first, itself). An account has one parent in AWS
 * Organizations, so it is listed in exactly one OU: one in two is refused
 * naming both, one in none is refused naming it. Pure.
 */
import { z } from 'zod';
import { closest } from '../plans/did-you-mean.js';
import { says, show } from '../plans/problems.js';
import { TIER_LEAF_NAMES, type TierOverride, tierNameSchema, tierOverrideSchema } from './tier-settings.js';

/** An AWS account id. */
export const accountIdSchema = z.string().regex(/^\d{12}$/, { error: says('must be a 12-digit AWS account id', 'write it as a string of 12 digits') });

/** An OU id as AWS Organizations writes it: `ou-<root suffix>-<suffix>`. */
export const ouIdSchema = z
  .string()
  .regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, { error: says('must be an OU id like "ou-ab12-cdef3456"', 'copy it from AWS Organizations') });

/**
 * A lock: what no level below may set otherwise (AWS Backup's
 * `@@operators_allowed_for_child_policies: ["@@none"]`). `defaultTier`, a
 * tier (`gold`: all its settings), a tier's group or setting
 * (`gold.retention`, `gold.rpoMinutes`), or any tier's (`*.vault.enabled`).
 */
export const lockSchema = z.string().refine(
  (lock) => {
    if (lock === 'defaultTier') return true;
    const [tier, ...rest] = lock.split('.');
    const leaf = rest.join('.');
    const tierOk = tier === '*' || tierNameSchema.safeParse(tier).success;
    return tierOk && (leaf === '' || TIER_LEAF_NAMES.some((l) => l === leaf || l.startsWith(`${leaf}.`)));
  },
  {
    error: says(
      'is not a lock',
      `write "defaultTier", "<tier>", "<tier>.<setting>" or "*.<setting>", settings being ${TIER_LEAF_NAMES.join(', ')} or their groups`,
    ),
  },
);

const levelShape = {
  defaultTier: tierNameSchema
    .optional()
    .meta({ description: 'Tier of the caches with no redis-dr:tier tag. Unset everywhere: a cache is protected only once tagged.' }),
  tiers: z.record(tierNameSchema, tierOverrideSchema).optional().meta({ description: 'Settings of the tiers at this level, by tier name.' }),
};

const lockedField = z
  .array(lockSchema)
  .optional()
  .meta({ description: 'Settings no level below may change (a different value there is a conflict refused naming both).' });

/** The root level: the tiers the organization has (their names) and what every account inherits. */
export const orgRootSchema = z.strictObject({
  ...levelShape,
  tiers: z
    .record(tierNameSchema, tierOverrideSchema)
    .refine((tiers) => Object.keys(tiers).length > 0, { error: says('must define at least one tier', 'e.g. { "gold": { "rpoMinutes": 60 } }') })
    .meta({ description: "The organization's tiers, by name: a cache's redis-dr:tier tag names one." }),
  locked: lockedField,
});

/** One organizational unit. */
export const orgUnitSchema = z.strictObject({
  id: ouIdSchema,
  name: z.string().min(1).max(128),
  parentId: ouIdSchema.optional().meta({ description: "The parent OU's id; left out, the OU is directly under the root." }),
  accounts: z.array(accountIdSchema).default([]).meta({ description: 'The accounts directly in this OU.' }),
  ...levelShape,
  locked: lockedField,
});

/** One account's own settings (it locks nothing: nothing is below it). */
export const orgAccountSchema = z.strictObject({ id: accountIdSchema, name: z.string().min(1).max(128).optional(), ...levelShape });

/** The organization's tree of settings. */
export const orgTreeShape = {
  root: orgRootSchema,
  organizationalUnits: z.array(orgUnitSchema).min(1, { error: says('must list at least one OU', 'list the OUs whose accounts redis-dr protects') }),
  accounts: z.array(orgAccountSchema).default([]).meta({ description: 'Settings of single accounts (each also listed in one OU).' }),
};
export const orgTreeSchema = z.strictObject(orgTreeShape);
/** The organization's tree, validated. */
export type OrgTree = z.infer<typeof orgTreeSchema>;
/** One OU. */
export type OrgUnit = OrgTree['organizationalUnits'][number];

/** One level an account inherits from: where it is in the config, what it sets. */
export interface OrgLevel {
  /** How a reader names it: `root`, `ou payments (ou-ab12-cdef3456)`, `account 111122223333`. */
  readonly label: string;
  /** Where it is in the config: `root`, `organizationalUnits[1]`, `accounts[0]`. */
  readonly path: string;
  readonly defaultTier?: string;
  readonly tiers?: Readonly<Record<string, TierOverride>>;
  readonly locked?: readonly string[];
}

const ouLabel = (ou: OrgUnit): string => `ou ${ou.name} (${ou.id})`;

/** The OU an account is directly in, or undefined. */
export function ouOfAccount(tree: OrgTree, account: string): OrgUnit | undefined {
  return tree.organizationalUnits.find((ou) => ou.accounts.includes(account));
}

/**
 * The levels `account` inherits from, root first, or a problem when it is
 * in no OU. Assumes a tree without {@link treeProblems}.
 */
export function accountLevels(tree: OrgTree, account: string): OrgLevel[] | { problem: string } {
  const ou = ouOfAccount(tree, account);
  if (ou === undefined)
    return {
      problem: `account ${show(account)} is in no OU of organizationalUnits[].accounts: add it to the accounts of the OU it is in (AWS Organizations: aws organizations list-parents --child-id ${account})`,
    };
  const chain: OrgUnit[] = [];
  for (let at: OrgUnit | undefined = ou; at !== undefined; at = tree.organizationalUnits.find((o) => o.id === at!.parentId)) chain.unshift(at);
  const levels: OrgLevel[] = [{ label: 'root', path: 'root', ...tree.root }];
  for (const unit of chain) levels.push({ label: ouLabel(unit), path: `organizationalUnits[${tree.organizationalUnits.indexOf(unit)}]`, ...unit });
  const own = tree.accounts.findIndex((a) => a.id === account);
  if (own >= 0) levels.push({ label: `account ${account}`, path: `accounts[${own}]`, ...tree.accounts[own]! });
  return levels;
}

/**
 * What is wrong with the tree as a whole, each one line naming the field,
 * the value and the fix: an OU listed twice, a parent that is no OU or a
 * circle of parents, an account in two OUs (both named), an account's
 * settings for an account in no OU, a tier or default tier the root does
 * not define.
 */
export function treeProblems(tree: OrgTree): string[] {
  const problems: string[] = [];
  const ous = tree.organizationalUnits;
  const tierNames = Object.keys(tree.root.tiers);
  const byId = new Map<string, number>();
  ous.forEach((ou, i) => {
    const first = byId.get(ou.id);
    if (first !== undefined) problems.push(`organizationalUnits[${i}].id ${show(ou.id)} is already organizationalUnits[${first}]: list each OU once`);
    else byId.set(ou.id, i);
  });
  ous.forEach((ou, i) => {
    if (ou.parentId !== undefined && !byId.has(ou.parentId))
      problems.push(
        `organizationalUnits[${i}].parentId names no OU, got ${show(ou.parentId)}: give an id of organizationalUnits, or leave it out for an OU under the root`,
      );
    const seen = new Set<string>();
    for (let at: OrgUnit | undefined = ou; at?.parentId !== undefined; at = ous[byId.get(at.parentId)!]) {
      if (seen.has(at.id)) {
        problems.push(`organizationalUnits[${i}].parentId makes a circle through ${show(at.id)}: an OU cannot be its own ancestor`);
        break;
      }
      seen.add(at.id);
    }
  });
  const home = new Map<string, number>();
  ous.forEach((ou, i) => {
    for (const account of ou.accounts) {
      const first = home.get(account);
      if (first === undefined) home.set(account, i);
      else if (first !== i)
        problems.push(
          `account ${account} is in two OUs, ${ouLabel(ous[first]!)} at organizationalUnits[${first}] and ${ouLabel(ou)} at organizationalUnits[${i}]: an account has one parent OU, keep it in the one it is in`,
        );
    }
  });
  tree.accounts.forEach((a, i) => {
    if (!home.has(a.id)) problems.push(`accounts[${i}].id ${show(a.id)} is in no OU of organizationalUnits[].accounts: add it to the accounts of its OU`);
  });
  const levels: [string, { defaultTier?: string; tiers?: Record<string, unknown> }][] = [
    ['root', tree.root],
    ...ous.map((ou, i) => [`organizationalUnits[${i}]`, ou] as [string, OrgUnit]),
    ...tree.accounts.map((a, i) => [`accounts[${i}]`, a] as [string, OrgTree['accounts'][number]]),
  ];
  for (const [path, level] of levels) {
    if (level.defaultTier !== undefined && !tierNames.includes(level.defaultTier))
      problems.push(`${path}.defaultTier names no tier, got ${show(level.defaultTier)}: ${tierChoice(level.defaultTier, tierNames)}`);
    for (const name of Object.keys(level.tiers ?? {}))
      if (!tierNames.includes(name)) problems.push(`${path}.tiers.${name} names no tier of root.tiers, got ${show(name)}: ${tierChoice(name, tierNames)}`);
  }
  return problems;
}

/** The fix for a name that is no tier: the tiers there are (the closest first when it looks like a typo). */
export function tierChoice(name: string, tierNames: readonly string[]): string {
  const close = closest(name, tierNames);
  return `${close ? `did you mean "${close}"? ` : ''}the tiers are ${tierNames.join(', ')} (root.tiers defines them)`;
}
