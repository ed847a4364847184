import { describe, expect, it } from 'vitest';
import { vaultLifecycleRules } from '../../../../lib/constructs/vault/vault-bucket.js';
import { judgeExportOwner, judgeVaultExpiry, LIFECYCLE_GRACE_DAYS, vaultExpiryBound } from '../../../../lambdas/domain/doctor/object-checks.js';
import { vaultTierDays } from '../../../../lambdas/domain/vault/vault-retention.js';

const NOW = new Date('2027-12-01T00:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

describe('vaultExpiryBound', () => {
  it.each([
    [400, {}],
    [400, { hourly: 30, daily: 90 }],
    [30, {}],
  ])('is the vault lifecycle rule the template deploys (retentionDays %i, tiers %j)', (retention, tiers) => {
    const days = vaultTierDays(retention, tiers);
    const rule = vaultLifecycleRules(days).find((r) => r.expiration !== undefined)!;
    const bound = vaultExpiryBound(days);
    expect(bound.expireDays).toBe(rule.expiration!.toDays());
    expect(bound.noncurrentDays).toBe(rule.noncurrentVersionExpiration!.toDays());
    expect(bound.graceDays).toBe(LIFECYCLE_GRACE_DAYS);
  });
});

describe('judgeVaultExpiry', () => {
  const bound = { expireDays: 401, noncurrentDays: 1, graceDays: 2 };
  const v = (key: string, age: number, deleteMarker = false) => ({ key, versionId: `${key}-v`, lastModified: daysAgo(age), deleteMarker });
  it.each([
    ['no versions', [], 'pass'],
    ['one at the bound', [v('a', 404)], 'pass'],
    ['one a day past it', [v('a', 405)], 'fail'],
    ['only a delete marker past it (markers are not replicas)', [v('a', 900, true)], 'pass'],
  ] as const)('%s → %s', (_name, versions, state) => {
    expect(judgeVaultExpiry('eu-central-1', 'b', versions, bound, NOW).state).toBe(state);
  });
});

describe('judgeExportOwner', () => {
  it.each([
    ['the bucket owner', { object: 'o', bucket: 'o' }, 'acl', 'pass', null],
    ["ElastiCache's account, ACL route", { object: 'ec', bucket: 'o' }, 'acl', 'fail', /dr\.elastiCacheBucketAccess to "bucket-policy"/],
    ["ElastiCache's account, bucket-policy route", { object: 'ec', bucket: 'o' }, 'bucket-policy', 'fail', /get-bucket-ownership-controls/],
    ['no owner named', { bucket: 'o' }, 'acl', 'fail', /get-object-acl/],
  ] as const)('%s', (_name, owners, route, state, fix) => {
    const check = judgeExportOwner('eu-west-1', 'b', 'k', owners, route);
    expect(check.state).toBe(state);
    if (fix) expect(check.fix).toMatch(fix);
    else expect(check.fix).toBeNull();
  });
});
