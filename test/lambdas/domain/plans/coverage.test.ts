import { describe, expect, it } from 'vitest';
import { coverageOf, planSelects, selectedWithoutTag, unprotectedCount, type CacheInfo, type CoveragePlan } from '../../../../lambdas/domain/plans/coverage.js';

const cache = (id: string, over: Partial<CacheInfo> = {}): CacheInfo => ({
  kind: 'replication-group',
  id,
  engine: 'valkey',
  nodeType: 'cache.r7g.large',
  dataTiering: false,
  clusterMode: false,
  tags: {},
  ...over,
});

const plan = (name: string, targets: Partial<CoveragePlan['targets']>, exports = true): CoveragePlan => ({
  name,
  exports,
  targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: {}, ...targets },
});

describe('coverageOf', () => {
  it('names the plan that selects a cache by id, case-insensitively, and only of its kind', () => {
    const plans = [plan('sessions', { replicationGroupIds: ['Sessions-Prod'], serverlessCacheNames: ['cart'] })];
    const out = coverageOf([cache('sessions-prod'), cache('cart'), cache('cart', { kind: 'serverless-cache' })], plans);
    expect(out).toEqual([
      { kind: 'replication-group', id: 'cart', state: 'unprotected', plans: [], why: null },
      { kind: 'replication-group', id: 'sessions-prod', state: 'protected', plans: ['sessions'], why: null },
      { kind: 'serverless-cache', id: 'cart', state: 'protected', plans: ['sessions'], why: null },
    ]);
    expect(unprotectedCount(out)).toBe(1);
  });

  it('selects by tags only when the cache carries every tag with the same value', () => {
    const p = plan('tagged', { selectByTags: { team: 'payments', env: 'prod' } });
    expect(planSelects(p, cache('a', { tags: { team: 'payments', env: 'prod', extra: 'x' } }))).toBe(true);
    expect(planSelects(p, cache('b', { tags: { team: 'payments' } }))).toBe(false);
    expect(planSelects(p, cache('c', { tags: { team: 'payments', env: 'Prod' } }))).toBe(false);
    // An empty selection selects nothing (not everything).
    expect(planSelects(plan('none', {}), cache('d', { tags: { team: 'payments' } }))).toBe(false);
  });

  it('covers a cache without the tag key by a selectWithoutTag plan, and one with the key (any value) only by its tag selection', () => {
    const gold = plan('gold', { selectByTags: { 'redis-dr:tier': 'gold' }, selectWithoutTag: 'redis-dr:tier' });
    const silver = plan('silver', { selectByTags: { 'redis-dr:tier': 'silver' } });
    const out = coverageOf(
      [
        cache('untagged'),
        cache('other-tags', { tags: { team: 'shop' } }),
        cache('silver', { tags: { 'redis-dr:tier': 'silver' } }),
        cache('empty-value', { tags: { 'redis-dr:tier': '' } }),
        cache('memo', { kind: 'serverless-cache', engine: 'memcached', nodeType: undefined }),
        cache('rdr-drill', { tags: { 'redis-dr:drill': 'exec-1' } }),
      ],
      [gold, silver],
    );
    expect(out.map((c) => [c.id, c.state, c.plans])).toEqual([
      ['empty-value', 'unprotected', []],
      ['other-tags', 'protected', ['gold']],
      ['rdr-drill', 'redis-dr', []],
      ['silver', 'protected', ['silver']],
      ['untagged', 'protected', ['gold']],
      ['memo', 'unprotectable', []],
    ]);
    // The negative case: without selectWithoutTag the same plan leaves the untagged cache unprotected.
    const tagOnly = plan('gold', { selectByTags: { 'redis-dr:tier': 'gold' } });
    expect(coverageOf([cache('untagged')], [tagOnly])[0]).toMatchObject({ state: 'unprotected', plans: [] });
  });

  it('selectedWithoutTag takes neither a drill restore nor Memcached, whatever their tags lack', () => {
    expect(selectedWithoutTag('redis-dr:tier', { tags: {}, engine: 'redis' })).toBe(true);
    expect(selectedWithoutTag('redis-dr:tier', { tags: {} })).toBe(true);
    expect(selectedWithoutTag('redis-dr:tier', { tags: { 'redis-dr:tier': 'gold' }, engine: 'valkey' })).toBe(false);
    expect(selectedWithoutTag('redis-dr:tier', { tags: { 'redis-dr:drill': 'x' }, engine: 'valkey' })).toBe(false);
    expect(selectedWithoutTag('redis-dr:tier', { tags: {}, engine: 'Memcached' })).toBe(false);
  });

  it('lists every plan that names a cache, in config order', () => {
    const plans = [plan('hourly', { selectByTags: { tier: 'gold' } }), plan('daily', { replicationGroupIds: ['orders'] })];
    expect(coverageOf([cache('orders', { tags: { tier: 'gold' } })], plans)[0]).toMatchObject({ state: 'protected', plans: ['hourly', 'daily'] });
  });

  it('calls a cache that takes no snapshots unprotectable, with why, and does not count it', () => {
    const out = coverageOf(
      [cache('tiny', { nodeType: 'cache.t1.micro' }), cache('memo', { kind: 'serverless-cache', engine: 'memcached', nodeType: undefined })],
      [],
    );
    expect(out.map((c) => [c.id, c.state])).toEqual([
      ['tiny', 'unprotectable'],
      ['memo', 'unprotectable'],
    ]);
    expect(out[0]!.why).toMatch(/cache\.t1\.micro.*no snapshots/);
    expect(out[1]!.why).toMatch(/memcached/);
    expect(unprotectedCount(out)).toBe(0);
  });

  it('calls an unplanned data-tiering cache unprotectable (no DR copy), and notes the limit when an exporting plan names it', () => {
    const tiered = cache('big', { nodeType: 'cache.r6gd.xlarge', dataTiering: true });
    expect(coverageOf([tiered], [])[0]).toMatchObject({ state: 'unprotectable', why: expect.stringMatching(/data tiering.*no DR copy/) });
    expect(coverageOf([tiered], [plan('p', { replicationGroupIds: ['big'] })])[0]).toMatchObject({
      state: 'protected',
      plans: ['p'],
      why: expect.stringMatching(/does not export/),
    });
    // A snapshot-only plan gets everything the cache allows: no note.
    expect(coverageOf([tiered], [plan('p', { replicationGroupIds: ['big'] }, false)])[0]).toMatchObject({ state: 'protected', why: null });
  });

  it('a regular cache nobody names is unprotected (not unprotectable)', () => {
    const out = coverageOf([cache('new-one', { clusterMode: true, engine: 'redis' })], [plan('p', { replicationGroupIds: ['old-one'] })]);
    expect(out[0]).toMatchObject({ state: 'unprotected', why: null });
    expect(unprotectedCount(out)).toBe(1);
  });

  it("leaves redis-dr's own drill caches out of the count", () => {
    const out = coverageOf([cache('rdr-drill-x', { tags: { 'redis-dr:drill': 'run-1' } })], []);
    expect(out[0]).toMatchObject({ state: 'redis-dr' });
    expect(unprotectedCount(out)).toBe(0);
  });
});
