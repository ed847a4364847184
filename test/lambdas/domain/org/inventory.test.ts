import { describe, expect, it } from 'vitest';
import { classifyInventory, inventoryCounts, parseInventoryRows } from '../../../../lambdas/domain/org/inventory.js';
import { loadOrgConfig } from '../../../../lib/config/org.js';

/**
 * The org inventory's judgement of each cache the aggregator records,
 * against config/org-example.json (accounts 111…-444…, primary eu-west-1,
 * root default tier bronze, prod's default silver) and the redis-dr stacks.
 */
const ORG = loadOrgConfig('config/org-example.json');
const STACKS = [
  { accountId: '111111111111', awsRegion: 'eu-west-1' },
  { accountId: '444444444444', awsRegion: 'eu-west-1' },
];

/** A replication group's configuration item as Config's advanced query returns it. */
function rg(account: string, id: string, extra: { tags?: Record<string, string>; region?: string; configuration?: Record<string, unknown> } = {}): string {
  return JSON.stringify({
    accountId: account,
    awsRegion: extra.region ?? 'eu-west-1',
    resourceType: 'AWS::ElastiCache::ReplicationGroup',
    resourceId: id,
    tags: Object.entries(extra.tags ?? {}).map(([key, value]) => ({ key, value })),
    configuration: { replicationGroupId: id, status: 'available', snapshotRetentionLimit: 0, cacheNodeType: 'cache.r7g.large', ...extra.configuration },
  });
}

function judge(results: string[]) {
  const { rows, malformed } = parseInventoryRows(results);
  return { ...classifyInventory(ORG, rows, STACKS), malformed };
}

describe('the org inventory', () => {
  it('protects a tagged cache where a redis-dr stack runs, and an untagged one by its account default tier', () => {
    const inv = judge([rg('111111111111', 'orders', { tags: { 'redis-dr:tier': 'gold' } }), rg('444444444444', 'sessions')]);
    expect(inv.caches.map((c) => [c.id, c.state, c.tier, c.why])).toEqual([
      ['orders', 'protected', 'gold', null],
      ['sessions', 'protected', 'bronze (default)', null],
    ]);
  });

  it('says native backups only when redis-dr does not protect a cache but ElastiCache keeps automatic backups', () => {
    const inv = judge([rg('222222222222', 'ledger', { configuration: { snapshotRetentionLimit: 7 } })]);
    expect(inv.caches[0]).toMatchObject({ state: 'native-backups-only', nativeRetentionDays: 7, tier: 'silver (default)' });
    expect(inv.caches[0]!.why).toMatch(/no redis-dr stack in 222222222222\/eu-west-1.*automatic backups 7 day\(s\)/);
  });

  it('says unprotected, and why: the account in no OU, another region, no stack', () => {
    const inv = judge([
      rg('555555555555', 'stray', { tags: { 'redis-dr:tier': 'gold' } }),
      rg('111111111111', 'far', { region: 'us-east-1', tags: { 'redis-dr:tier': 'gold' } }),
      rg('333333333333', 'nostack', { tags: { 'redis-dr:tier': 'gold' } }),
    ]);
    expect(inv.caches.map((c) => [c.id, c.state])).toEqual([
      ['far', 'unprotected'],
      ['nostack', 'unprotected'],
      ['stray', 'unprotected'],
    ]);
    expect(inv.caches.map((c) => c.why)).toEqual([
      expect.stringMatching(/in us-east-1: the organization protects eu-west-1/),
      expect.stringMatching(/no redis-dr stack in 333333333333\/eu-west-1/),
      'account 555555555555 is in no OU of the org config',
    ]);
  });

  it('says unprotectable for data tiering (no export), Memcached and a cache cluster outside a replication group', () => {
    const inv = judge([
      rg('222222222222', 'tiered', { configuration: { dataTiering: 'enabled', cacheNodeType: 'cache.r6gd.xlarge' } }),
      JSON.stringify({
        accountId: '222222222222',
        awsRegion: 'eu-west-1',
        resourceType: 'AWS::ElastiCache::CacheCluster',
        resourceId: 'mc',
        configuration: { engine: 'memcached' },
      }),
      JSON.stringify({
        accountId: '222222222222',
        awsRegion: 'eu-west-1',
        resourceType: 'AWS::ElastiCache::CacheCluster',
        resourceId: 'solo',
        configuration: { engine: 'redis' },
      }),
    ]);
    expect(inv.caches.map((c) => [c.id, c.state])).toEqual([
      ['mc', 'unprotectable'],
      ['solo', 'unprotectable'],
      ['tiered', 'unprotectable'],
    ]);
    expect(inv.caches.map((c) => c.why)).toEqual([
      expect.stringMatching(/^engine memcached/),
      expect.stringMatching(/outside any replication group/),
      expect.stringMatching(/^data tiering: ElastiCache does not export/),
    ]);
  });

  it('keeps a protected data-tiering cache protected, saying it gets snapshots but no DR copy', () => {
    const inv = judge([rg('111111111111', 'tiered', { configuration: { dataTiering: 'enabled' } })]);
    expect(inv.caches[0]).toMatchObject({ state: 'protected', why: expect.stringMatching(/^data tiering/) });
  });

  it("folds a replication group's member nodes into the group", () => {
    const member = JSON.stringify({
      accountId: '111111111111',
      awsRegion: 'eu-west-1',
      resourceType: 'AWS::ElastiCache::CacheCluster',
      resourceId: 'orders-001',
      configuration: { engine: 'redis', replicationGroupId: 'orders' },
    });
    expect(judge([rg('111111111111', 'orders'), member]).caches.map((c) => c.id)).toEqual(['orders']);
  });

  it('names a tier tag that names no tier, and never gives the cache another tier', () => {
    const inv = judge([rg('111111111111', 'typo', { tags: { 'redis-dr:tier': 'gould' } })]);
    expect(inv.caches[0]).toMatchObject({ state: 'unprotected', tier: 'gould' });
    expect(inv.tagProblems).toEqual([expect.stringMatching(/^111111111111\/eu-west-1 typo: tag redis-dr:tier names no tier, got "gould"/)]);
  });

  it('names a row that is no configuration item, and still judges the rest', () => {
    const inv = judge(['{not json', JSON.stringify({ accountId: 'x', resourceType: 'AWS::S3::Bucket' }), rg('111111111111', 'ok')]);
    expect(inv.malformed).toEqual([expect.stringMatching(/^result 1: not JSON/), expect.stringMatching(/^result 2: accountId/)]);
    expect(inventoryCounts(inv.caches)).toEqual({ protected: 1, 'native-backups-only': 0, unprotectable: 0, unprotected: 0 });
  });
});
