import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';

const NOW = new Date('2026-01-15T00:00:00Z');

/** A valid config with a vault; each test breaks one thing. */
function vaulted(change: (c: Record<string, any>) => void = () => {}): Record<string, any> {
  const c: Record<string, any> = {
    name: 'test',
    primary: { region: 'eu-west-1', account: '111111111111' },
    dr: { region: 'eu-central-1' },
    vault: { account: '222222222222', region: 'eu-central-1', retentionDays: 400 },
    plans: [
      {
        name: 'sessions',
        targets: { replicationGroupIds: ['sessions-prod'] },
        schedule: { cron: 'cron(0 0/2 * * ? *)' },
        rpoMinutes: 150,
        export: { enabled: true },
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

describe('config vault', () => {
  it('accepts a vault in another account and fills its defaults', () => {
    const result = validateConfig(vaulted(), { now: NOW });
    expect(result.ok && result.config.vault).toEqual({ account: '222222222222', region: 'eu-central-1', retentionDays: 400, replicationTimeControl: false });
  });

  it('refuses a vault in the workload account: no isolation', () => {
    expect(problemsOf(vaulted((c) => (c.vault.account = '111111111111')))).toEqual([
      'vault.account must differ from primary.account, got "111111111111" for both: a vault in the workload account gives no isolation (its administrators could delete it); use a separate account',
    ]);
  });

  it('needs primary.account: the vault names its replication role', () => {
    expect(problemsOf(vaulted((c) => delete c.primary.account))).toEqual([
      expect.stringMatching(/^primary\.account is required with a vault, got none: .*set primary\.account/),
    ]);
  });

  it('refuses a retention shorter than the longest exported tier keeps copies, naming plan and tier', () => {
    // Default retention counts: monthly 12 → 31 * 12 + 1 = 373 days.
    expect(problemsOf(vaulted((c) => (c.vault.retentionDays = 372)))).toEqual([
      'vault.retentionDays must be at least the longest time an exported copy is kept (373 days: plan "sessions", tier monthly), got 372: the vault would let go of copies the workload still keeps; set 373 or more, or give that tier its own days in vault.tierRetentionDays',
    ]);
    expect(problemsOf(vaulted((c) => (c.vault.retentionDays = 373)))).toEqual([]);
    // Given expiry days count, and only the tiers the plan exports.
    expect(
      problemsOf(
        vaulted((c) => {
          c.plans[0].export.expireDays = { daily: 30, monthly: 500 };
          c.vault.retentionDays = 400;
        }),
      ),
    ).toEqual([expect.stringContaining('(500 days: plan "sessions", tier monthly), got 400')]);
    expect(
      problemsOf(
        vaulted((c) => {
          c.plans[0].retention = { hourly: 24, daily: 7, weekly: 4, monthly: 0 };
          c.vault.retentionDays = 28;
        }),
      ),
    ).toEqual([expect.stringContaining('(29 days: plan "sessions", tier weekly), got 28')]);
  });

  it('takes days per tier, the floor for the rest, and holds each tier to the plans that export it', () => {
    // Default retention counts: hourly ceil(24/24)+1 = 2, daily 8, weekly 29, monthly 373 days.
    const tiered = (days: Record<string, number>, floor = 2) =>
      vaulted((c) => {
        c.vault.retentionDays = floor;
        c.vault.tierRetentionDays = days;
      });
    const result = validateConfig(tiered({ daily: 8, weekly: 29, monthly: 373 }), { now: NOW });
    expect(result.ok && result.config.vault?.tierRetentionDays).toEqual({ daily: 8, weekly: 29, monthly: 373 });
    expect(problemsOf(tiered({ daily: 8, weekly: 29, monthly: 372 }))).toEqual([
      'vault.tierRetentionDays.monthly must be at least the time the exporting plans keep monthly copies (373 days: plan "sessions"), got 372: the vault would let go of copies the workload still keeps; set 373 or more',
    ]);
    // A tier left out falls back to retentionDays, which must then cover it.
    expect(problemsOf(tiered({ daily: 8, monthly: 373 }))).toEqual([
      'vault.retentionDays must be at least the longest time an exported copy of a tier tierRetentionDays does not name is kept (29 days: plan "sessions", tier weekly), got 2: the vault would let go of copies the workload still keeps; set 29 or more',
    ]);
    // No tier shorter than the floor every replica gets as it lands.
    expect(problemsOf(tiered({ hourly: 5, daily: 8, weekly: 29, monthly: 373 }, 10))).toEqual([
      "vault.tierRetentionDays.hourly must be at least vault.retentionDays (10, the retention every replica gets as it lands), got 5: COMPLIANCE retention cannot be shortened; set 10 or more, or lower vault.retentionDays to the shortest tier's days",
      "vault.tierRetentionDays.daily must be at least vault.retentionDays (10, the retention every replica gets as it lands), got 8: COMPLIANCE retention cannot be shortened; set 10 or more, or lower vault.retentionDays to the shortest tier's days",
    ]);
    // Tiers no plan exports need no days: a plan exporting weekly and up.
    expect(
      problemsOf(
        vaulted((c) => {
          c.plans[0].export.minTier = 'weekly';
          c.vault.retentionDays = 1;
          c.vault.tierRetentionDays = { weekly: 29, monthly: 373 };
        }),
      ),
    ).toEqual([]);
  });

  it('names the tier field, the value and the fix for bad per-tier days', () => {
    expect(problemsOf(vaulted((c) => (c.vault.tierRetentionDays = { monthly: 0 })))).toEqual(['vault.tierRetentionDays.monthly must be at least 1, got 0']);
    expect(problemsOf(vaulted((c) => (c.vault.tierRetentionDays = { monthly: 400.5 })))).toEqual([
      expect.stringMatching(/^vault\.tierRetentionDays\.monthly must be a whole number of days, got 400\.5/),
    ]);
    expect(problemsOf(vaulted((c) => (c.vault.tierRetentionDays = { yearly: 400 })))).toEqual([expect.stringMatching(/^vault\.tierRetentionDays.*yearly/)]);
  });

  it('refuses a vault no plan exports into', () => {
    expect(problemsOf(vaulted((c) => (c.plans[0].export.enabled = false)))).toEqual([
      'vault needs a plan with export.enabled, got none: only exported .rdb copies replicate into the vault; enable export on a plan, or remove vault',
    ]);
  });

  it('refuses vault.kmsKeyArn as removed, saying why (SSE-S3 sources replicate as SSE-S3) and what protects the replicas instead', () => {
    expect(problemsOf(vaulted((c) => (c.vault.kmsKeyArn = 'arn:aws:kms:eu-central-1:222222222222:key/abc')))).toEqual([
      expect.stringMatching(
        /^vault\.kmsKeyArn was removed: S3 replicates SSE-S3 objects .* as SSE-S3 .* Remove it: the vault bucket is SSE-S3, .*Object Lock COMPLIANCE/,
      ),
    ]);
  });

  it('checks the workload accounts: the primary account in, the vault account out', () => {
    expect(problemsOf(vaulted((c) => (c.vault.workloadAccounts = ['333333333333'])))).toEqual([
      'vault.workloadAccounts must list primary.account "111111111111", got ["333333333333"]: this deployment\'s exports replicate from it; add it',
    ]);
    expect(problemsOf(vaulted((c) => (c.vault.workloadAccounts = ['111111111111', '222222222222'])))).toEqual([
      'vault.workloadAccounts must not list the vault account "222222222222": the vault takes replicas from workload accounts only; remove it',
    ]);
    expect(problemsOf(vaulted((c) => (c.vault.workloadAccounts = ['111111111111', '333333333333'])))).toEqual([]);
  });

  it('names the field, the value and the fix for a bad shape', () => {
    expect(problemsOf(vaulted((c) => (c.vault.retentionDays = 0)))).toEqual(['vault.retentionDays must be at least 1, got 0']);
    expect(problemsOf(vaulted((c) => (c.vault.region = 'mars-1')))).toEqual([expect.stringMatching(/^vault\.region is not a known AWS region, got "mars-1"/)]);
  });
});
