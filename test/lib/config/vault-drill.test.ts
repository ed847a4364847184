import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { drillRunInput, drillsFromVault, vaultDrillAccounts } from '../../../lib/deployment.js';

const NOW = new Date('2026-01-15T00:00:00Z');

/** A valid config whose plan drills from the vault; each test breaks one thing. */
function vaultDrill(change: (c: Record<string, any>) => void = () => {}): Record<string, any> {
  const c: Record<string, any> = {
    name: 'test',
    primary: { region: 'eu-west-1', account: '111111111111' },
    dr: {
      region: 'eu-central-1',
      network: {
        vpcId: 'vpc-0fedcba9876543210',
        subnetIds: ['subnet-0123456789abcdef0'],
        securityGroupIds: ['sg-0123456789abcdef0'],
        cacheSubnetGroupName: 'drills',
      },
    },
    vault: { account: '222222222222', region: 'eu-central-1', retentionDays: 400 },
    plans: [
      {
        name: 'sessions',
        targets: { replicationGroupIds: ['sessions-prod'] },
        schedule: { cron: 'cron(0 0/2 * * ? *)' },
        rpoMinutes: 150,
        export: { enabled: true },
        drill: { enabled: true, where: 'dr', fromVault: true },
      },
    ],
  };
  change(c);
  return c;
}

function problemsOf(raw: unknown): string[] {
  const result = validateConfig(raw, { now: NOW });
  return result.ok ? [] : result.problems;
}

describe('config plans[].drill.fromVault', () => {
  it('accepts a vault drill in the DR region, and the schedule input reads the vault bucket expecting the vault account as owner', () => {
    const result = validateConfig(vaultDrill(), { now: NOW });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const plan = result.config.plans[0]!;
    expect(drillsFromVault(result.config, plan)).toBe(true);
    expect(vaultDrillAccounts(result.config)).toEqual(['111111111111']);
    const input = drillRunInput('test', plan, 'dr', 'redis-dr-test-111111111111-eu-central-1', result.config.vault);
    expect(input.bucket).toBe('redis-dr-test-222222222222-eu-central-1');
    // The DR bucket too: the drill copies the chosen replica there and seeds from the copy (same account).
    expect(input.vault).toEqual({ account: '222222222222', seedBucket: 'redis-dr-test-111111111111-eu-central-1' });
    // Primary drills never read the vault.
    expect(drillRunInput('test', plan, 'primary', undefined, result.config.vault)).not.toHaveProperty('vault');
  });

  it('defaults to false: DR drills read the DR bucket, and the vault lets no drill account read', () => {
    const result = validateConfig(
      vaultDrill((c) => delete c.plans[0].drill.fromVault),
      { now: NOW },
    );
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.plans[0]!.drill.fromVault).toBe(false);
    expect(vaultDrillAccounts(result.config)).toEqual([]);
    expect(drillRunInput('test', result.config.plans[0]!, 'dr', 'dr-bucket', result.config.vault)).toMatchObject({ bucket: 'dr-bucket' });
  });

  it('refuses a vault drill without a vault', () => {
    expect(problemsOf(vaultDrill((c) => delete c.vault))).toEqual([
      "plans[0].drill.fromVault needs a vault, got true without a vault section: a vault drill seeds from the vault account's replicas; add vault, or remove drill.fromVault",
    ]);
  });

  it('refuses a vault in another region than the DR region (ElastiCache seeds only from its own region)', () => {
    expect(problemsOf(vaultDrill((c) => (c.vault.region = 'eu-north-1')))).toEqual([
      'vault.region must equal dr.region "eu-central-1" for a vault drill (plan "sessions" has drill.fromVault), got "eu-north-1": ' +
        "ElastiCache seeds a cluster only from a bucket in the cluster's region, and the vault drill runs in the DR region; put the vault in the DR region, or remove drill.fromVault",
    ]);
  });

  it('refuses a vault drill of a plan that drills only in the primary region', () => {
    expect(problemsOf(vaultDrill((c) => (c.plans[0].drill.where = 'primary')))).toContain(
      'plans[0].drill.where must be "dr" or "both" with drill.fromVault, got "primary": a vault drill runs in the DR region\'s drill state machine; set drill.where to "dr" or "both"',
    );
  });

  it('refuses a vault drill of a plan that does not export (no replicas of it in the vault)', () => {
    const problems = problemsOf(
      vaultDrill((c) => {
        c.plans[0].export.enabled = false;
        c.plans.push({
          name: 'other',
          targets: { replicationGroupIds: ['other-prod'] },
          schedule: { cron: 'cron(0 0/2 * * ? *)' },
          rpoMinutes: 150,
          export: { enabled: true },
        });
      }),
    );
    expect(problems).toContain(
      'plans[0].drill.fromVault needs export.enabled on the same plan, got true without it: only exported .rdb copies replicate into the vault; enable export, or remove drill.fromVault',
    );
  });

  it("refuses a vault drill with a default Object Lock on the DR bucket (the drill's seed copy there could not be deleted)", () => {
    expect(problemsOf(vaultDrill((c) => (c.dr.objectLock = { mode: 'GOVERNANCE', days: 30 })))).toEqual([
      'dr.objectLock cannot be set with a vault drill (plan "sessions" has drill.fromVault), got "GOVERNANCE" for 30 days: ' +
        "the drill copies the vault's replica into the DR bucket and deletes the copy when it ends, which a default lock forbids; the vault already keeps the copies locked: remove dr.objectLock, or remove drill.fromVault",
    ]);
  });

  it('refuses DR drills in the vault account itself', () => {
    expect(problemsOf(vaultDrill((c) => (c.dr.account = '222222222222')))).toContain(
      'dr.account must differ from vault.account for a vault drill, got "222222222222" for both: the drill runs in the workload account, which the vault lets read only; deploy the DR stack in a workload account',
    );
  });

  it('says once that the vault account is the workload account (no second message for the drill account)', () => {
    expect(problemsOf(vaultDrill((c) => (c.vault.account = '111111111111')))).toEqual([
      'vault.account must differ from primary.account, got "111111111111" for both: a vault in the workload account gives no isolation (its administrators could delete it); use a separate account',
    ]);
  });

  it('refuses a fromVault that is not a boolean, naming the field', () => {
    expect(problemsOf(vaultDrill((c) => (c.plans[0].drill.fromVault = 'yes'))).join('\n')).toMatch(/^plans\[0\]\.drill\.fromVault /);
  });
});
