import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { validateOrgConfig } from '../../../lib/config/org.js';
import { vaultBucketName, vaultStackName } from '../../../lib/deployment.js';
import { RedisDrVault } from '../../../lib/redis-dr.js';

/**
 * A deployment that replicates into another deployment's vault
 * (`vault.deployment`: an organization's, deployed once from the org config),
 * and the organization vault's retention against every account's tiers: each
 * refusal one line naming the field, the value and the fix.
 */
const ORG_ID = 'o-abcdefghij';

function vaulted(edit: (raw: Record<string, any>) => void): ReturnType<typeof validateConfig> {
  const raw = JSON.parse(readFileSync('test/fixtures/config/vault.json', 'utf8')) as Record<string, any>;
  edit(raw);
  return validateConfig(raw);
}

const problems = (r: ReturnType<typeof validateConfig>) => (r.ok ? [] : r.problems);

describe("a deployment replicating into another deployment's vault (vault.deployment)", () => {
  it("names the vault's bucket and stack by the vault's deployment, and without it by its own name", () => {
    const vault = { account: '222222222222', region: 'eu-central-1' };
    expect(vaultBucketName('acme-g1', { ...vault, deployment: 'acme' })).toBe('redis-dr-acme-222222222222-eu-central-1');
    expect(vaultBucketName('vaulted', vault)).toBe('redis-dr-vaulted-222222222222-eu-central-1');
    expect(vaultStackName({ name: 'acme-g1', vault: { deployment: 'acme' } })).toBe('RedisDr-acme-Vault');
    expect(vaultStackName({ name: 'vaulted' })).toBe('RedisDr-vaulted-Vault');
  });

  it('is valid with vault.organizationId and a name that starts with it, and then needs no primary.account', () => {
    const r = vaulted((c) => {
      c.name = 'vaulted-east';
      c.vault.organizationId = ORG_ID;
      c.vault.deployment = 'vaulted';
      delete c.primary.account;
    });
    expect(problems(r)).toEqual([]);
  });

  it('still needs primary.account for a vault that lists its accounts', () => {
    expect(problems(vaulted((c) => delete c.primary.account))).toEqual([expect.stringMatching(/^primary\.account is required with a vault, got none/)]);
  });

  it.each([
    [
      'without vault.organizationId',
      (c: Record<string, any>) => {
        c.name = 'vaulted-east';
        c.vault.deployment = 'vaulted';
      },
      /^vault\.deployment needs vault\.organizationId, got "vaulted" without it: .*; set vault\.organizationId, or remove vault\.deployment$/,
    ],
    [
      'naming a vault whose grant does not take this deployment',
      (c: Record<string, any>) => {
        c.vault.organizationId = ORG_ID;
        c.vault.deployment = 'acme';
      },
      /^vault\.deployment must be the start of name "vaulted", got "acme": the vault's grant takes the replication roles redis-dr-acme\*-replication-<region> only; rename the deployment acme-<suffix>, or name the vault it replicates to$/,
    ],
  ])('is refused %s, in one line', (_what, edit, line) => {
    const found = problems(vaulted(edit));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(line);
  });

  it('has no vault stack of its own: RedisDrVault refuses it, naming where the vault comes from', () => {
    const raw = JSON.parse(readFileSync('test/fixtures/config/vault.json', 'utf8')) as Record<string, any>;
    raw.name = 'vaulted-east';
    raw.vault.organizationId = ORG_ID;
    raw.vault.deployment = 'vaulted';
    expect(() => new RedisDrVault(new App(), 'V', raw as never)).toThrow(
      /vault\.deployment names another deployment's vault, got "vaulted": .*-c stacks=org-vault/,
    );
  });
});

describe("the organization vault's retention (org config vault.retentionDays, vault.tierRetentionDays)", () => {
  function org(edit: (raw: Record<string, any>) => void): string[] {
    const raw = JSON.parse(readFileSync('config/org-example.json', 'utf8')) as Record<string, any>;
    edit(raw);
    const r = validateOrgConfig(raw);
    return r.ok ? [] : r.problems;
  }

  it("holds the example: every GFS tier kept at least as long as any account's exports keep it, and gold's 90 days", () => {
    expect(org(() => {})).toEqual([]);
  });

  it("refuses a floor shorter than a tier's exports, once for all the accounts sharing it, naming the field, the value and the fix", () => {
    expect(
      org((c) => {
        c.vault = { ...c.vault, retentionDays: 90, tierRetentionDays: {} };
      }),
    ).toEqual([
      'vault.retentionDays is 90, shorter than tier gold keeps its monthly exports (373 days for retention.monthly 12, from root): the vault would let go of copies the member accounts still keep; set vault.tierRetentionDays.monthly to 373 or more',
      'vault.retentionDays is 90, shorter than tier silver keeps its monthly exports (187 days for retention.monthly 6, from root): the vault would let go of copies the member accounts still keep; set vault.tierRetentionDays.monthly to 187 or more',
    ]);
  });

  it('refuses a GFS tier shorter than the floor every replica gets as it lands', () => {
    expect(
      org((c) => {
        c.vault.tierRetentionDays = { monthly: 400, hourly: 30 };
      }),
    ).toEqual([
      'vault.tierRetentionDays.hourly is 30, shorter than vault.retentionDays 90 (the retention every replica gets as it lands): COMPLIANCE retention cannot be shortened; set 90 or more, or lower vault.retentionDays',
    ]);
  });

  it('refuses a GFS tier shorter than what an OU keeps, naming the level its count came from', () => {
    expect(
      org((c) => {
        c.organizationalUnits[2].tiers = { gold: { retention: { monthly: 13 } } };
      }),
    ).toEqual([
      'vault.tierRetentionDays.monthly is 400, shorter than tier gold keeps its monthly exports (404 days for retention.monthly 13, from ou sandbox (ou-ex12-sand0001)): the vault would let go of copies the member accounts still keep; set vault.tierRetentionDays.monthly to 404 or more',
    ]);
  });

  it('refuses a tier asking its replicas be kept longer than the vault keeps its GFS tiers, in one line with the fix', () => {
    expect(
      org((c) => {
        c.root.tiers.gold.vault.retentionDays = 120;
      }),
    ).toEqual([
      "gold.vault.retentionDays is 120 (from root), longer than the organization's vault keeps its hourly, daily, weekly replicas (vault.retentionDays 90): the vault locks a replica by its GFS tier, not by gold; set vault.tierRetentionDays.hourly, vault.tierRetentionDays.daily, vault.tierRetentionDays.weekly to 120 or more, or lower gold.vault.retentionDays to 90",
    ]);
  });

  it('refuses the vault account among the accounts whose tiers replicate into it, and not when no tier asks for the vault', () => {
    const inOu = (c: Record<string, any>) => c.organizationalUnits[2].accounts.push(c.vault.account);
    expect(org(inOu)).toEqual([
      expect.stringMatching(
        /^organizationalUnits\[2\]\.accounts lists the vault account 999999999999 \(ou sandbox\), whose tiers replicate into the vault: .*name another vault\.account$/,
      ),
    ]);
    expect(
      org((c) => {
        inOu(c);
        c.root.tiers.gold.vault.enabled = false;
      }),
    ).toEqual([]);
  });
});
