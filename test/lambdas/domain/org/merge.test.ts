/**
 * The tier merge (lambdas/domain/org/merge.ts), held as properties over
 * random organizations (seeded: a failure names its seed and reproduces):
 * each setting comes from the deepest level that sets it, else its default,
 * and says which; a lock refuses a different value below it naming both
 * levels and lets the same value pass; the order OUs are listed in changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { effectivePlans, orgProblems, tierOfCache } from '../../../../lambdas/domain/org/effective.js';
import { DEFAULT_SOURCE, mergeLevels } from '../../../../lambdas/domain/org/merge.js';
import { TIER_DEFAULTS, TIER_LEAF_NAMES, type TierLeaf, type TierOverride, type TierValue } from '../../../../lambdas/domain/org/tier-settings.js';
import { accountLevels, type OrgLevel, type OrgTree, orgTreeSchema } from '../../../../lambdas/domain/org/tree.js';
import { mulberry32 } from '../../../support/prng.js';

const TIERS = ['gold', 'silver', 'bronze'];
const SEEDS = Array.from({ length: 120 }, (_, i) => 1000 + i);

/** A valid random value of a leaf. */
function leafValue(leaf: TierLeaf, random: () => number): TierValue {
  const n = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  if (leaf.endsWith('enabled') || leaf === 'drill.fromVault') return random() < 0.5;
  if (leaf === 'export.minTier') return ['hourly', 'daily', 'weekly', 'monthly'][n(0, 3)]!;
  if (leaf === 'drill.where') return ['primary', 'dr', 'both'][n(0, 2)]!;
  if (leaf === 'rpoMinutes') return n(5, 2000);
  if (leaf === 'retention.daily' || leaf === 'retention.minKeep' || leaf === 'drill.everyDays' || leaf === 'drill.rtoMinutes' || leaf === 'vault.retentionDays')
    return n(1, 60);
  return n(0, 60);
}

/**
 * An override setting a random subset of leaves (export on wherever it is set, so neither the vault nor a DR-region drill
 * lacks it; drill.fromVault off wherever it is set, so no vault drill lacks its vault or DR drill).
 */
function override(random: () => number, density: number): TierOverride {
  const out: Record<string, Record<string, TierValue> | TierValue> = {};
  for (const leaf of TIER_LEAF_NAMES) {
    if (random() >= density) continue;
    const value = leaf === 'vault.enabled' || leaf === 'export.enabled' ? true : leaf === 'drill.fromVault' ? false : leafValue(leaf, random);
    const [group, inner] = leaf.split('.');
    if (inner === undefined) out[group!] = value;
    else out[group!] = { ...((out[group!] as Record<string, TierValue>) ?? {}), [inner]: value };
  }
  return out as TierOverride;
}

/** A random organization: a root with every tier's RPO, up to 6 OUs nested at random, 1-3 accounts each, some with settings. */
function randomTree(seed: number): OrgTree {
  const random = mulberry32(seed);
  const tiers = Object.fromEntries(
    TIERS.map((t) => [t, { ...override(random, 0.4), rpoMinutes: leafValue('rpoMinutes', random) as number, export: { enabled: true } }]),
  );
  const count = 1 + Math.floor(random() * 6);
  let account = 100000000000;
  const ous = Array.from({ length: count }, (_, i) => ({
    id: `ou-root-${String(i).padStart(8, '0')}`,
    name: `ou${i}`,
    ...(i > 0 && random() < 0.7 ? { parentId: `ou-root-${String(Math.floor(random() * i)).padStart(8, '0')}` } : {}),
    accounts: Array.from({ length: 1 + Math.floor(random() * 3) }, () => String(account++)),
    ...(random() < 0.5 ? { defaultTier: TIERS[Math.floor(random() * 3)] } : {}),
    tiers: Object.fromEntries(TIERS.filter(() => random() < 0.5).map((t) => [t, override(random, 0.3)])),
  }));
  const all = ous.flatMap((o) => o.accounts);
  const accounts = all.filter(() => random() < 0.3).map((id) => ({ id, tiers: { [TIERS[Math.floor(random() * 3)]!]: override(random, 0.3) } }));
  return orgTreeSchema.parse({ root: { tiers }, organizationalUnits: ous, accounts });
}

/** What the deepest level setting `tier.leaf` sets, by walking the levels by hand. */
function expected(levels: readonly OrgLevel[], tier: string, leaf: TierLeaf): { value: TierValue | undefined; source: string } {
  let found: { value: TierValue | undefined; source: string } = { value: TIER_DEFAULTS[leaf], source: DEFAULT_SOURCE };
  const [group, inner] = leaf.split('.') as [string, string | undefined];
  for (const level of levels) {
    const o = level.tiers?.[tier] as Record<string, unknown> | undefined;
    const v = inner === undefined ? o?.[group] : (o?.[group] as Record<string, unknown> | undefined)?.[inner];
    if (v !== undefined) found = { value: v as TierValue, source: level.label };
  }
  return found;
}

describe('the tier merge, over random organizations', () => {
  it('takes each setting from the deepest level that sets it, else its default, and names that level', () => {
    // Every check labelled and held equal once: an expect() each was about 38,000 (7-27 us of CPU each: vitest's
    // assertion state, chai's proxies); a mismatch is named by its label in the one diff.
    const got: [string, unknown][] = [];
    const want: [string, unknown][] = [];
    for (const seed of SEEDS) {
      const tree = randomTree(seed);
      got.push([`seed ${seed} problems`, orgProblems(tree)]);
      want.push([`seed ${seed} problems`, []]);
      for (const account of tree.organizationalUnits.flatMap((o) => o.accounts)) {
        const levels = accountLevels(tree, account) as OrgLevel[];
        const merged = effectivePlans(tree, account);
        if (!merged.ok) throw new Error(`seed ${seed}: ${merged.problems.join('; ')}`);
        for (const tier of merged.plans.tiers) {
          for (const leaf of TIER_LEAF_NAMES) {
            const label = `seed ${seed} ${account} ${tier.name}.${leaf}`;
            got.push([label, tier.settings[leaf]]);
            want.push([label, expected(levels, tier.name, leaf)]);
          }
        }
        const own = [...levels].reverse().find((l) => l.defaultTier !== undefined);
        got.push([`seed ${seed} ${account} defaultTier`, merged.plans.defaultTier]);
        want.push([`seed ${seed} ${account} defaultTier`, own ? { value: own.defaultTier, source: own.label } : undefined]);
      }
    }
    expect(got).toEqual(want);
  });

  it('gives the same plans whatever order the OUs and accounts are listed in', () => {
    for (const seed of SEEDS.slice(0, 60)) {
      const tree = randomTree(seed);
      const random = mulberry32(seed ^ 0x5eed);
      const shuffled = <T>(xs: readonly T[]): T[] =>
        xs
          .map((x) => ({ x, k: random() }))
          .sort((a, b) => a.k - b.k)
          .map(({ x }) => x);
      const other: OrgTree = { ...tree, organizationalUnits: shuffled(tree.organizationalUnits), accounts: shuffled(tree.accounts) };
      for (const account of tree.organizationalUnits.flatMap((o) => o.accounts)) {
        const strip = (r: ReturnType<typeof effectivePlans>) => (r.ok ? r.plans.tiers : r.problems);
        expect(strip(effectivePlans(other, account)), `seed ${seed}`).toEqual(strip(effectivePlans(tree, account)));
      }
    }
  });

  it('refuses a locked setting set otherwise below, naming both levels; the same value below passes', () => {
    for (const seed of SEEDS.slice(0, 80)) {
      const random = mulberry32(seed);
      // Not the switches (with drill.fromVault: a true one needs other leaves, refused on its own when alone).
      const settings = TIER_LEAF_NAMES.filter((l) => !l.endsWith('enabled') && l !== 'drill.fromVault');
      const leaf = settings[Math.floor(random() * settings.length)]!;
      const [group, inner] = leaf.split('.') as [string, string | undefined];
      const at = (value: TierValue): TierOverride => (inner === undefined ? { [group]: value } : { [group]: { [inner]: value } }) as TierOverride;
      const locked = leafValue(leaf, random);
      let other = leafValue(leaf, random);
      while (other === locked) other = leafValue(leaf, random);
      const root: OrgLevel = { label: 'root', path: 'root', tiers: { gold: { rpoMinutes: 60, ...at(locked) } }, locked: [`gold.${leaf}`] };
      const middle: OrgLevel = { label: 'ou a (ou-x)', path: 'organizationalUnits[0]', tiers: {} };
      const below = (value: TierValue): OrgLevel => ({ label: 'account 1', path: 'accounts[0]', tiers: { gold: at(value) } });
      const refused = mergeLevels(['gold'], [root, middle, below(other)]);
      expect(refused.ok, `seed ${seed} ${leaf}`).toBe(false);
      const [problem] = refused.ok ? [] : refused.problems;
      expect(problem).toContain(`accounts[0].tiers.gold.${leaf} conflicts with a lock`);
      expect(problem).toContain('root (root.locked)');
      expect(mergeLevels(['gold'], [root, middle, below(locked)]).ok, `seed ${seed} ${leaf}`).toBe(true);
    }
  });
});

describe('the tier merge, by example', () => {
  const root: OrgLevel = { label: 'root', path: 'root', tiers: { gold: { rpoMinutes: 60 } } };

  it('a lock on a whole tier holds the defaults too, and *.<setting> every tier', () => {
    const lockAll: OrgLevel = { ...root, tiers: { gold: { rpoMinutes: 60 }, silver: { rpoMinutes: 240 } }, locked: ['*.retention.minKeep'] };
    const r = mergeLevels(['gold', 'silver'], [lockAll, { label: 'ou x', path: 'organizationalUnits[0]', tiers: { silver: { retention: { minKeep: 1 } } } }]);
    expect(r).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^organizationalUnits\[0\]\.tiers\.silver\.retention\.minKeep conflicts with a lock: .* holds it at 3/)],
    });
  });

  it('a locked default tier refuses another below it', () => {
    const r = mergeLevels(
      ['gold', 'bronze'],
      [
        { ...root, tiers: { gold: { rpoMinutes: 60 }, bronze: { rpoMinutes: 600 } }, defaultTier: 'bronze', locked: ['defaultTier'] },
        { label: 'ou x', path: 'organizationalUnits[0]', defaultTier: 'gold' },
      ],
    );
    expect(r.ok ? [] : r.problems).toEqual([
      expect.stringContaining('organizationalUnits[0].defaultTier conflicts with a lock: ou x sets defaultTier = "gold"'),
    ]);
  });

  it('refuses a tier without an RPO, and a vault without exports naming where each came from', () => {
    expect(mergeLevels(['gold'], [{ label: 'root', path: 'root', tiers: { gold: {} } }])).toEqual({
      ok: false,
      problems: [expect.stringContaining('root.tiers.gold.rpoMinutes is required')],
    });
    const r = mergeLevels(['gold'], [root, { label: 'ou x', path: 'organizationalUnits[0]', tiers: { gold: { vault: { enabled: true } } } }]);
    expect(r.ok ? [] : r.problems).toEqual([
      'organizationalUnits[0].tiers.gold.vault.enabled is true but gold.export.enabled is false (the default): the vault holds replicas of the exports, turn export.enabled on where vault.enabled is',
    ]);
  });

  it.each([
    ['dr', { enabled: true, where: 'dr' }, false],
    ['both', { enabled: true, where: 'both' }, false],
    ['primary', { enabled: true, where: 'primary' }, true],
    ['dr, drills off', { enabled: false, where: 'dr' }, true],
  ] as const)('drill.where %s without exports: refused unless it drills in the primary region only or not at all', (_what, drill, ok) => {
    const r = mergeLevels(['gold'], [root, { label: 'account 1', path: 'accounts[0]', tiers: { gold: { drill } } }]);
    expect(r.ok ? [] : r.problems).toEqual(
      ok
        ? []
        : [
            `accounts[0].tiers.gold.drill.where is "${drill.where}" but gold.export.enabled is false (the default): a DR-region drill restores the DR copies, which exports make; turn export.enabled on, or set drill.where to "primary"`,
          ],
    );
    // Exports on, wherever they are set, lift it.
    expect(
      mergeLevels(
        ['gold'],
        [
          { ...root, tiers: { gold: { rpoMinutes: 60, export: { enabled: true } } } },
          { label: 'account 1', path: 'accounts[0]', tiers: { gold: { drill } } },
        ],
      ).ok,
    ).toBe(true);
  });
});

it.each([
  ['no vault', { export: { enabled: true }, drill: { enabled: true, where: 'dr', fromVault: true } }, ['vault']],
  ['no DR drill', { export: { enabled: true }, vault: { enabled: true }, drill: { enabled: true, fromVault: true } }, ['dr']],
  ['drills off', { export: { enabled: true }, vault: { enabled: true }, drill: { enabled: false, where: 'both', fromVault: true } }, ['dr']],
  ['neither', { export: { enabled: true }, drill: { fromVault: true } }, ['vault', 'dr']],
  ['vault and a DR drill', { export: { enabled: true }, vault: { enabled: true }, drill: { enabled: true, where: 'both', fromVault: true } }, []],
] as const)('drill.fromVault with %s: refused in one line per missing part, naming the levels', (_what, gold, missing) => {
  const r = mergeLevels(
    ['gold'],
    [
      { label: 'root', path: 'root', tiers: { gold: { rpoMinutes: 60 } } },
      { label: 'account 1', path: 'accounts[0]', tiers: { gold } },
    ],
  );
  const lines = {
    vault:
      "accounts[0].tiers.gold.drill.fromVault is true but gold.vault.enabled is false (the default): a vault drill seeds from the account's replicas in the organization's vault; turn vault.enabled on, or remove drill.fromVault",
    dr: expect.stringMatching(
      /^accounts\[0\]\.tiers\.gold\.drill\.fromVault is true but gold does not drill in the DR region \(drill\.enabled (true|false) from (the default|account 1, accounts\[0\]\.tiers\.gold\.drill\.enabled), drill\.where "(primary|both)" from (the default|account 1, accounts\[0\]\.tiers\.gold\.drill\.where)\): a vault drill is the DR region's drill; set drill\.enabled true and drill\.where "dr" or "both", or remove drill\.fromVault$/,
    ),
  };
  expect(r.ok ? [] : r.problems).toEqual(missing.map((m) => lines[m]));
});

describe('the organization tree', () => {
  const tree = (extra: Partial<Record<string, unknown>> = {}) =>
    orgTreeSchema.parse({
      root: { tiers: { gold: { rpoMinutes: 60 }, bronze: { rpoMinutes: 1440 } } },
      organizationalUnits: [
        { id: 'ou-ab12-aaaaaaaa', name: 'prod', accounts: ['111111111111'] },
        { id: 'ou-ab12-bbbbbbbb', name: 'dev', accounts: ['222222222222'] },
      ],
      ...extra,
    });

  it('refuses an account in two OUs, naming both', () => {
    const t = tree();
    t.organizationalUnits[1]!.accounts.push('111111111111');
    expect(orgProblems(t)).toEqual([
      'account 111111111111 is in two OUs, ou prod (ou-ab12-aaaaaaaa) at organizationalUnits[0] and ou dev (ou-ab12-bbbbbbbb) at organizationalUnits[1]: an account has one parent OU, keep it in the one it is in',
    ]);
  });

  it('refuses an account in no OU, a parent that is no OU, a circle, and a tier the root does not define', () => {
    expect(effectivePlans(tree(), '333333333333')).toEqual({ ok: false, problems: [expect.stringMatching(/^account "333333333333" is in no OU/)] });
    const t = tree({ accounts: [{ id: '333333333333', tiers: { platinum: { rpoMinutes: 5 } } }] });
    t.organizationalUnits[0]!.parentId = 'ou-ab12-cccccccc';
    t.organizationalUnits[1]!.defaultTier = 'glod';
    expect(orgProblems(t)).toEqual([
      'organizationalUnits[0].parentId names no OU, got "ou-ab12-cccccccc": give an id of organizationalUnits, or leave it out for an OU under the root',
      'accounts[0].id "333333333333" is in no OU of organizationalUnits[].accounts: add it to the accounts of its OU',
      'organizationalUnits[1].defaultTier names no tier, got "glod": did you mean "gold"? the tiers are gold, bronze (root.tiers defines them)',
      'accounts[0].tiers.platinum names no tier of root.tiers, got "platinum": the tiers are gold, bronze (root.tiers defines them)',
    ]);
    const circle = tree();
    circle.organizationalUnits[0]!.parentId = 'ou-ab12-bbbbbbbb';
    circle.organizationalUnits[1]!.parentId = 'ou-ab12-aaaaaaaa';
    expect(orgProblems(circle)).toEqual([expect.stringContaining('makes a circle'), expect.stringContaining('makes a circle')]);
  });

  it("a cache's tier tag: a tier, the account's default, none, or a tag naming no tier refused", () => {
    const t = tree({ root: { tiers: { gold: { rpoMinutes: 60 }, bronze: { rpoMinutes: 1440 } }, defaultTier: 'bronze' } });
    const merged = effectivePlans(t, '111111111111');
    if (!merged.ok) throw new Error(merged.problems.join());
    expect(tierOfCache(merged.plans, { 'redis-dr:tier': 'gold' })).toMatchObject({ tier: { name: 'gold' }, by: 'tag' });
    expect(tierOfCache(merged.plans, {})).toMatchObject({ tier: { name: 'bronze' }, by: 'default' });
    expect(tierOfCache(merged.plans, { 'redis-dr:tier': 'gld' })).toEqual({
      problem: 'tag redis-dr:tier names no tier, got "gld": did you mean "gold"? the tiers are gold, bronze (root.tiers defines them)',
    });
    const untiered = effectivePlans(tree(), '111111111111');
    expect(untiered.ok && tierOfCache(untiered.plans, {})).toEqual({ tier: undefined });
  });

  it('refuses a tier named like a recovery-point tier, and a lock that names no setting', () => {
    expect(orgTreeSchema.safeParse({ root: { tiers: { daily: { rpoMinutes: 60 } } }, organizationalUnits: [] }).success).toBe(false);
    expect(orgTreeSchema.safeParse({ root: { tiers: { gold: {} }, locked: ['gold.rpo'] }, organizationalUnits: [] }).success).toBe(false);
  });
});
