import { describe, expect, it } from 'vitest';
import { ACCOUNT_RESOURCE_TYPE, cacheVerdicts, ruleEvaluations } from '../../../../lambdas/domain/org/cache-verdicts.js';
import { classifyInventory, inventoryCounts, judgeServerless, parseInventoryRows, SERVERLESS_ACTION_STATES } from '../../../../lambdas/domain/org/inventory.js';
import type { CacheInfo } from '../../../../lambdas/domain/plans/coverage.js';
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
  it("protects a tagged cache where a redis-dr stack runs, and an untagged one by its account's default tier (the member stacks' default tier plan selects it)", () => {
    const inv = judge([
      rg('111111111111', 'orders', { tags: { 'redis-dr:tier': 'gold' } }),
      rg('444444444444', 'tagged', { tags: { 'redis-dr:tier': 'bronze' } }),
      rg('444444444444', 'sessions'),
      rg('111111111111', 'carts', { tags: { team: 'shop' } }),
    ]);
    expect(inv.caches.map((c) => [c.id, c.state, c.tier, c.why])).toEqual([
      ['carts', 'protected', 'silver (default)', null],
      ['orders', 'protected', 'gold', null],
      ['sessions', 'protected', 'bronze (default)', null],
      ['tagged', 'protected', 'bronze', null],
    ]);
  });

  it("never gives the default tier to a drill's own restore, nor to an untagged cache where no stack runs", () => {
    const inv = judge([rg('444444444444', 'rdr-drill-x', { tags: { 'redis-dr:drill': 'exec-1' } }), rg('333333333333', 'ledger-untagged')]);
    expect(inv.caches.map((c) => [c.id, c.state, c.tier])).toEqual([
      ['ledger-untagged', 'unprotected', 'silver (default)'],
      ['rdr-drill-x', 'unprotected', null],
    ]);
    expect(inv.caches[0]!.why).toMatch(/^tier silver, but no redis-dr stack in 333333333333\/eu-west-1/);
    expect(inv.caches[1]!.why).toBe("a redis-dr drill's restore (redis-dr:drill), deleted when the drill ends: no default tier applies to it");
  });

  it('says native backups only when redis-dr does not protect a cache but ElastiCache keeps automatic backups', () => {
    const inv = judge([rg('222222222222', 'ledger', { tags: { 'redis-dr:tier': 'silver' }, configuration: { snapshotRetentionLimit: 7 } })]);
    expect(inv.caches[0]).toMatchObject({ state: 'native-backups-only', nativeRetentionDays: 7, tier: 'silver' });
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
    const inv = judge([rg('111111111111', 'tiered', { tags: { 'redis-dr:tier': 'gold' }, configuration: { dataTiering: 'enabled' } })]);
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
    const inv = judge([
      '{not json',
      JSON.stringify({ accountId: 'x', resourceType: 'AWS::S3::Bucket' }),
      rg('111111111111', 'ok', { tags: { 'redis-dr:tier': 'gold' } }),
    ]);
    expect(inv.malformed).toEqual([expect.stringMatching(/^result 1: not JSON/), expect.stringMatching(/^result 2: accountId/)]);
    expect(inventoryCounts(inv.caches)).toEqual({ protected: 1, 'native-backups-only': 0, unprotectable: 0, unprotected: 0 });
  });
});

describe("each account's serverless caches, from the verified-copy rule's evaluation of the account", () => {
  const NOW = new Date('2026-11-25T12:00:00Z');
  const AT = { rule: 'redis-dr-acme-gabc123-verified-copy', account: '111111111111', region: 'eu-west-1' } as const;
  const sl = (id: string, engine = 'redis'): CacheInfo => ({ kind: 'serverless-cache', id, engine, dataTiering: false, clusterMode: false, tags: {} });
  // What the rule puts (its own code), as the aggregator hands it back.
  const evaluated = (caches: CacheInfo[], recordedAt = '2026-11-25T01:00:00.000Z') => {
    const e = ruleEvaluations(cacheVerdicts(caches, undefined, 's3://dr/reports/', NOW), AT.account).find((x) => x.resourceType === ACCOUNT_RESOURCE_TYPE)!;
    return { compliance: e.compliance, annotation: e.annotation, recordedAt };
  };

  it('names the serverless caches without a verified copy (no report: none has one), and needs action', () => {
    const s = judgeServerless(AT, evaluated([sl('carts'), sl('sessions')]), NOW);
    expect(s).toMatchObject({ state: 'without-verified-copy', caches: 2, without: 2, names: ['carts', 'sessions'], evaluatedAt: '2026-11-25T01:00:00.000Z' });
    expect(s.why).toBe('2 of 2 serverless cache(s) without a verified copy within the RPO: carts, sessions');
    expect(SERVERLESS_ACTION_STATES.has(s.state)).toBe(true);
  });

  it('says "none" only from an evaluation that says so, and "not evaluated" without one (never none by default)', () => {
    const none = judgeServerless(AT, evaluated([]), NOW);
    expect(none).toMatchObject({ state: 'none', caches: 0, without: 0 });
    expect(SERVERLESS_ACTION_STATES.has(none.state)).toBe(false);
    const absent = judgeServerless(AT, undefined, NOW);
    expect(absent).toMatchObject({ state: 'not-evaluated', caches: null, evaluatedAt: null });
    expect(absent.why).toMatch(/^no evaluation of the account by redis-dr-acme-gabc123-verified-copy in 111111111111\/eu-west-1: the rule does not run there/);
    expect(SERVERLESS_ACTION_STATES.has(absent.state)).toBe(true);
  });

  it('is stale past 48 hours (the rule runs every 24): the rule stopped, whatever its last evaluation said', () => {
    expect(judgeServerless(AT, evaluated([], '2026-11-23T12:00:00.000Z'), NOW).state).toBe('none');
    const old = judgeServerless(AT, evaluated([], '2026-11-23T11:59:00.000Z'), NOW);
    expect(old).toMatchObject({ state: 'stale', caches: 0 });
    expect(old.why).toMatch(/last evaluated 2026-11-23T11:59:00.000Z, over 48 h ago: the rule runs every 24 h, so it stopped/);
    expect(judgeServerless(AT, { ...evaluated([]), recordedAt: null }, NOW).state).toBe('stale');
  });

  it('says so when the annotation was clipped, and keeps a NON_COMPLIANT it cannot read as needing action', () => {
    const many = judgeServerless(AT, evaluated(Array.from({ length: 40 }, (_, i) => sl(`serverless-cache-number-${i}`))), NOW);
    expect(many).toMatchObject({ state: 'without-verified-copy', caches: 40, without: 40 });
    expect(many.why).toMatch(/\(clipped to the 256 characters Config takes: more not named\)$/);
    const other = { compliance: 'NON_COMPLIANT', annotation: 'something else', recordedAt: '2026-11-25T01:00:00.000Z' };
    const foreign = judgeServerless(AT, other, NOW);
    expect(foreign).toMatchObject({ state: 'without-verified-copy', caches: null });
    expect(foreign.why).toBe('NON_COMPLIANT, an annotation this version does not read: "something else"');
    expect(judgeServerless(AT, { ...other, compliance: 'COMPLIANT' }, NOW).state).toBe('unread');
  });

  it('tells caches that cannot have a DR copy (Memcached) from verified ones', () => {
    expect(judgeServerless(AT, evaluated([sl('memo', 'memcached')]), NOW)).toMatchObject({ state: 'unprotectable', caches: 1, names: ['memo'] });
  });
});
