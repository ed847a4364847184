import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr org plan`: the effective tiers of an account of
 * config/org-example.json with each value's level, and the bad inputs it
 * refuses in one line, exit 2 (an OU merge conflict, an account in no OU,
 * a tier naming no tier).
 */
const EXAMPLE = 'config/org-example.json';
const DIR = mkdtempSync(join(tmpdir(), 'redis-dr-org-plan-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** The example with `change` applied, written to a file of its own. */
function variant(name: string, change: (config: Record<string, any>) => void): string {
  const config = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>;
  change(config);
  const file = join(DIR, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('redis-dr org plan', () => {
  it("prints an account's levels, its default tier and each tier's settings with the level each came from", async () => {
    const r = await runInProcess(['org', 'plan', '-c', EXAMPLE, '--account', '333333333333']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^account 333333333333: root > ou prod \(ou-ex12-prod0001\) > ou payments \(ou-ex12-paym0001\) > account 333333333333$/m);
    // The default tier's plan in the member stacks selects the untagged caches too: the tier they fall under, and where from.
    expect(r.stdout).toMatch(
      /^caches without a redis-dr:tier tag: tier silver \(defaultTier, from ou prod \(ou-ex12-prod0001\)\): the member stacks' silver plan selects every Valkey and Redis OSS cache of the primary region without the tag, beside those tagged redis-dr:tier=silver$/m,
    );
    expect(r.stdout).not.toMatch(/not applied|not protected/);
    // One value from each level, and a default.
    expect(r.stdout).toMatch(/^tier gold \(redis-dr:tier=gold\)\n {2}setting +value +from\n {2}rpoMinutes +120 +ou prod \(ou-ex12-prod0001\)$/m);
    expect(r.stdout).toMatch(/^ {2}drill\.rtoMinutes +20 +account 333333333333$/m);
    expect(r.stdout).toMatch(/^ {2}drill\.everyDays +14 +ou payments \(ou-ex12-paym0001\)$/m);
    expect(r.stdout).toMatch(/^ {2}vault\.retentionDays +90 +root$/m);
    expect(r.stdout).toMatch(/^ {2}retention\.minKeep +3 +default$/m);
    // gold asks for drills in both regions (drill.where both), carried with the org config's drill.network and drill.drNetwork:
    // where, how often for its everyDays, and the parameters read in each region.
    expect(r.stdout).toMatch(/^ {2}drill\.where +both +root$/m);
    expect(r.stdout).toMatch(
      /^ {2}vault\.retentionDays +90 +root\n {2}drills: in eu-west-1 \(primary\), weekly \(Sundays 04:00\) cron\(0 4 \? \* SUN \*\) for drill\.everyDays 7, network from SSM parameters \/acme\/network\/vpc-id, \/acme\/network\/private-subnet-ids, \/acme\/network\/redis-dr-security-group-ids, \/acme\/network\/cache-subnet-group \(from the org config's drill\.network, read in this account\)\n {2}drills: in eu-central-1 \(DR, from the DR copies\), weekly \(Sundays 04:00\) cron\(0 4 \? \* SUN \*\) for drill\.everyDays 7, network from SSM parameters \/acme\/network\/dr\/private-subnet-ids, \/acme\/network\/dr\/redis-dr-security-group-ids, \/acme\/network\/dr\/cache-subnet-group \(from the org config's drill\.drNetwork, read in this account\)$/m,
    );
    // silver drills the native snapshot (drill.where primary, the default): the primary region only.
    expect(r.stdout).toMatch(/^ {2}drill\.where +primary +default\n(?: .*\n)* {2}drills: in eu-west-1 \(primary\), weekly/m);
    expect(r.stdout.match(/drills: in eu-central-1/g)).toHaveLength(1);
    // and a vault, carried: where gold's replicas go, under the account's own prefix, and how long each GFS tier is locked.
    expect(r.stdout).toMatch(
      /^ {2}vault: exports from hourly up and the account's reports replicate into redis-dr-acme-999999999999-eu-central-1 \(RedisDr-acme-Vault, account 999999999999, eu-central-1\) under 333333333333\/<region>\/, locked \(COMPLIANCE\) hourly 90, daily 90, weekly 90, monthly 400 days by their GFS tier/m,
    );
    // silver exports without asking for the vault: its copies replicate too (the vault is per account), and it says so.
    expect(r.stdout).toMatch(/^ {2}vault: its exports from daily up replicate too, into redis-dr-acme-999999999999-eu-central-1: the vault is per account/m);
    expect(r.stdout).not.toMatch(/NOT CARRIED YET/);
  });

  it('names the default tier untagged caches fall under per account, and says none is protected where no level sets one', async () => {
    const sandbox = await runInProcess(['org', 'plan', '-c', EXAMPLE, '--account', '444444444444']);
    expect(sandbox.stdout).toMatch(/^caches without a redis-dr:tier tag: tier bronze \(defaultTier, from root\): the member stacks' bronze plan selects/m);
    const none = variant('no-default-tier', (c) => {
      delete c.root.defaultTier;
      delete c.organizationalUnits[0].defaultTier;
      c.organizationalUnits[0].locked = [];
    });
    const r = await runInProcess(['org', 'plan', '-c', none, '--account', '444444444444']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^caches without a redis-dr:tier tag: not protected \(no level sets defaultTier: tag a cache to opt it in\)$/m);
  });

  it('without drill networks, names the drills as not carried, and prints no drill line', async () => {
    const r = await runInProcess(['org', 'plan', '-c', variant('no-drill-network', (c) => delete c.drill), '--account', '333333333333']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ {2}NOT CARRIED YET by the StackSets and the pipeline: drill\.where "both" in the primary region \(from root\), drill\.where "both" in the DR region \(from root\): this account does not get them/m,
    );
    // silver drills in the primary region only (the default drill.where): its drill.enabled is named.
    expect(r.stdout).toMatch(/^ {2}NOT CARRIED YET by the StackSets and the pipeline: drill\.enabled \(from root\): this account does not get it/m);
    expect(r.stdout).not.toMatch(/^ {2}drills: /m);
  });

  it('without drill.drNetwork, drills gold in the primary region and names its DR-region drill as not carried', async () => {
    const r = await runInProcess([
      'org',
      'plan',
      '-c',
      variant('no-dr-network', (c) => delete c.drill.drNetwork),
      '--account',
      '333333333333',
      '--tier',
      'gold',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}drills: in eu-west-1 \(primary\), /m);
    expect(r.stdout).not.toMatch(/^ {2}drills: in eu-central-1/m);
    expect(r.stdout).toMatch(
      /^ {2}NOT CARRIED YET by the StackSets and the pipeline: drill\.where "both" in the DR region \(from root\): this account does not get it/m,
    );
  });

  it('prints drill.fromVault with its level, and the DR drill seeding from the vault (carried: nothing named NOT CARRIED YET)', async () => {
    const file = variant('from-vault', (c) => void (c.root.tiers.gold.drill.fromVault = true));
    const r = await runInProcess(['org', 'plan', '-c', file, '--account', '333333333333', '--tier', 'gold']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}drill\.fromVault +true +root$/m);
    expect(r.stdout).toMatch(/^ {2}drills: in eu-central-1 \(DR, from the account's replicas in the organization's vault\), /m);
    expect(r.stdout).not.toMatch(/NOT CARRIED YET/);
    // Left at its default: printed as such, and nothing named.
    const plain = await runInProcess(['org', 'plan', '-c', EXAMPLE, '--account', '333333333333', '--tier', 'gold']);
    expect(plain.stdout).toMatch(/^ {2}drill\.fromVault +false +default$/m);
    expect(plain.stdout).not.toMatch(/NOT CARRIED YET/);
  });

  it('prints no vault line for an account none of whose tiers asks for the vault', async () => {
    const r = await runInProcess([
      'org',
      'plan',
      '-c',
      variant('no-vault', (c) => void (c.root.tiers.gold.vault.enabled = false)),
      '--account',
      '333333333333',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}vault\.enabled +false +root$/m);
    expect(r.stdout).not.toMatch(/^ {2}vault: /m);
  });

  it('--tier prints that tier only; --json gives the same as data', async () => {
    const r = await runInProcess(['org', 'plan', '-c', EXAMPLE, '--account', '444444444444', '--tier', 'gold', '--json']);
    expect(r.code).toBe(0);
    const plans = JSON.parse(r.stdout) as { account: string; defaultTier: unknown; tiers: { name: string; settings: Record<string, unknown> }[] };
    expect(plans.tiers.map((t) => t.name)).toEqual(['gold']);
    expect(plans.defaultTier).toEqual({ value: 'bronze', source: 'root' });
    expect(plans.tiers[0]!.settings.rpoMinutes).toEqual({ value: 240, source: 'root' });
    expect((plans as unknown as { notCarried: string[] }).notCarried).toEqual([]);
    expect((plans as unknown as { vault: unknown }).vault).toEqual({
      stack: 'RedisDr-acme-Vault',
      bucket: 'redis-dr-acme-999999999999-eu-central-1',
      account: '999999999999',
      region: 'eu-central-1',
      days: { hourly: 90, daily: 90, weekly: 90, monthly: 400 },
    });
    expect((plans as unknown as { drills: unknown }).drills).toEqual({
      primary: {
        region: 'eu-west-1',
        fromSsm: {
          vpcId: '/acme/network/vpc-id',
          subnetIds: '/acme/network/private-subnet-ids',
          securityGroupIds: '/acme/network/redis-dr-security-group-ids',
          subnetGroupName: '/acme/network/cache-subnet-group',
        },
      },
      dr: {
        region: 'eu-central-1',
        fromSsm: {
          vpcId: '/acme/network/dr/vpc-id',
          subnetIds: '/acme/network/dr/private-subnet-ids',
          securityGroupIds: '/acme/network/dr/redis-dr-security-group-ids',
          subnetGroupName: '/acme/network/dr/cache-subnet-group',
        },
      },
    });
    expect(plans.tiers[0]!.settings['drill.where']).toEqual({ value: 'both', source: 'root' });
  });

  const refusals: [string, () => string[], RegExp][] = [
    [
      'an OU merge conflict, naming both levels',
      () => [
        '-c',
        variant('conflict', (c) => {
          c.organizationalUnits[2].tiers = { gold: { vault: { enabled: false } } };
        }),
        '--account',
        '444444444444',
      ],
      /^redis-dr: .*conflict\.json: organizationalUnits\[2\]\.tiers\.gold\.vault\.enabled conflicts with a lock: ou sandbox \(ou-ex12-sand0001\) sets gold\.vault\.enabled = false, root \(root\.locked\) holds it at true: remove it from organizationalUnits\[2\], or take the lock off root$/,
    ],
    ['an account in no OU', () => ['-c', EXAMPLE, '--account', '555555555555'], /^redis-dr: config\/org-example\.json: account "555555555555" is in no OU/],
    [
      'a tier naming no tier',
      () => ['-c', EXAMPLE, '--account', '111111111111', '--tier', 'glod'],
      /^redis-dr: --tier: tag redis-dr:tier names no tier, got "glod": did you mean "gold"\? the tiers are gold, silver, bronze/,
    ],
    [
      "an OU's default tier naming no tier",
      () => ['-c', variant('no-tier', (c) => void (c.organizationalUnits[2].defaultTier = 'platinum')), '--account', '444444444444'],
      /organizationalUnits\[2\]\.defaultTier names no tier, got "platinum": the tiers are gold, silver, bronze/,
    ],
    ['an account id that is none', () => ['-c', EXAMPLE, '--account', '1234'], /^redis-dr: --account must be a 12-digit AWS account id, got "1234"/],
    [
      "an organization vault that lets go of a tier's copies before the accounts do",
      () => ['-c', variant('short-vault', (c) => void (c.vault.tierRetentionDays = { monthly: 200 })), '--account', '444444444444'],
      /^redis-dr: .*short-vault\.json: vault\.tierRetentionDays\.monthly is 200, shorter than tier gold keeps its monthly exports \(373 days for retention\.monthly 12, from root\): the vault would let go of copies the member accounts still keep; set vault\.tierRetentionDays\.monthly to 373 or more$/,
    ],
  ];
  it.each(refusals)('refuses %s: one line, exit 2', async (_what, args, line) => {
    const r = await runInProcess(['org', 'plan', ...args()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(line);
  });
});
