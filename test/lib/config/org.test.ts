import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOrgConfig, validateOrgConfig } from '../../../lib/config/org.js';

/** The org config (lib/config/org.ts): the example reads, and each problem is one line naming field, value and fix. */
const example = (): Record<string, any> => JSON.parse(readFileSync('config/org-example.json', 'utf8')) as Record<string, any>;

describe('the org config', () => {
  it('reads config/org-example.json with its defaults', () => {
    const config = loadOrgConfig('config/org-example.json');
    expect(config.vault.organizationId).toBe('o-exampleorg1');
    expect(config.stackSets.operationPreferences).toEqual({ maxConcurrentPercentage: 25, failureTolerancePercentage: 10, regionConcurrencyType: 'SEQUENTIAL' });
    expect(config.accounts).toHaveLength(1);
  });

  it('names each field, value and fix: organization id, regions, an unknown setting, a tier setting', () => {
    const c = example();
    c.vault.organizationId = 'org-1';
    c.regions.dr = 'eu-west-1';
    c.root.tiers.gold.retention.daly = 3;
    c.root.tiers.silver.rpoMinutes = 2;
    const r = validateOrgConfig(c);
    expect(r.ok ? [] : r.problems).toEqual([
      'regions must name two different regions, got {"primary":"eu-west-1","dr":"eu-west-1"}: the DR region holds the copies: give another region',
      'vault.organizationId must be an organization id like "o-a1b2c3d4e5", got "org-1": aws organizations describe-organization prints it',
      'root.tiers.gold.retention.daly is not a known setting: did you mean "daily"?',
      'root.tiers.silver.rpoMinutes must be >= 5, got 2',
    ]);
  });

  it('refuses a conflict once however many accounts inherit it', () => {
    const c = example();
    c.organizationalUnits[0].tiers.gold.vault = { enabled: false };
    const r = validateOrgConfig(c);
    expect(r.ok ? [] : r.problems).toEqual([expect.stringMatching(/^organizationalUnits\[0\]\.tiers\.gold\.vault\.enabled conflicts with a lock/)]);
  });

  it('refuses a tier that drills in the DR region without exports, naming both levels and the fix; with exports, or in the primary region, it passes', () => {
    const c = example();
    // silver exports at the root; the sandbox OU turns its exports off and asks for DR-region drills.
    c.organizationalUnits[2].tiers = { silver: { export: { enabled: false }, drill: { where: 'both' } } };
    const r = validateOrgConfig(c);
    expect(r.ok ? [] : r.problems).toEqual([
      'organizationalUnits[2].tiers.silver.drill.where is "both" but silver.export.enabled is false (ou sandbox (ou-ex12-sand0001), organizationalUnits[2].tiers.silver.export.enabled): a DR-region drill restores the DR copies, which exports make; turn export.enabled on, or set drill.where to "primary"',
    ]);
    c.organizationalUnits[2].tiers.silver.drill.where = 'primary';
    expect(validateOrgConfig(c).ok).toBe(true);
    c.organizationalUnits[2].tiers.silver = { drill: { where: 'dr' } };
    expect(validateOrgConfig(c).ok).toBe(true);
    // A tier whose drills are off asks for no DR copies, wherever drill.where points.
    c.organizationalUnits[2].tiers.silver = { export: { enabled: false }, drill: { enabled: false, where: 'dr' } };
    expect(validateOrgConfig(c).ok).toBe(true);
  });

  it('refuses a drill.where that is no region, and a drill block naming no network', () => {
    const c = example();
    c.root.tiers.gold.drill.where = 'vault';
    c.drill = {};
    const r = validateOrgConfig(c);
    expect(r.ok ? [] : r.problems).toEqual([
      'drill names no network, got {}: give drill.network (primary region) and/or drill.drNetwork (DR region), or leave drill out',
      'root.tiers.gold.drill.where must be "primary", "dr" or "both", got "vault"',
    ]);
  });

  it('refuses drill.fromVault with the vault outside the DR region, once however many accounts have it; in the DR region it passes', () => {
    const c = example();
    c.vault.region = c.regions.primary;
    c.root.tiers.gold.drill = { ...c.root.tiers.gold.drill, enabled: true, where: 'both', fromVault: true };
    const r = validateOrgConfig(c);
    expect(r.ok ? [] : r.problems).toEqual([
      `vault.region is "${c.regions.primary}", not regions.dr "${c.regions.dr}", while tier gold has drill.fromVault (from root): ElastiCache seeds a cluster only from a bucket in its own region, and the vault drill runs in the DR region; put the vault in ${c.regions.dr}, or remove drill.fromVault`,
    ]);
    c.vault.region = c.regions.dr;
    expect(validateOrgConfig(c).ok).toBe(true);
    // Without drill.fromVault the vault may lie anywhere.
    c.vault.region = c.regions.primary;
    c.root.tiers.gold.drill.fromVault = false;
    expect(validateOrgConfig(c).ok).toBe(true);
  });
});
