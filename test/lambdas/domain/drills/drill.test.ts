import { describe, expect, it } from 'vitest';
import {
  clusterParameterGroup,
  drillClusterId,
  drillStartOf,
  evenSlotLayout,
  MAX_CLUSTER_ID_LENGTH,
  recoveryPointChoiceSchema,
} from '../../../../lambdas/domain/drills/drill.js';
import { isValidTargetId } from '../../../../lambdas/domain/plans/naming.js';

const AT = new Date('2026-11-22T04:00:27Z');

describe('drillClusterId', () => {
  it.each([
    // To the second, so a drill started by hand and a scheduled one in the same minute differ; a hash of the whole target keeps targets apart.
    ['sessions-prod', 'rdr-drill-sessions-p-50d7da-261122040027'],
    ['a', 'rdr-drill-a-ca9781-261122040027'],
    // Cut to fit 40 characters, without leaving a trailing hyphen at the cut.
    ['very-long-replication-group-name-of-forty', 'rdr-drill-very-long-4f2d58-261122040027'],
    ['abcdefghijklmnop-qrstuvwxyz', 'rdr-drill-abcdefghij-d61159-261122040027'],
  ])('%s → %s', (target, expected) => {
    expect(drillClusterId(target, AT)).toBe(expected);
  });

  it('keeps targets that share their first characters apart (the ids that used to collide)', () => {
    const one = drillClusterId('orders-production-eu-1', AT);
    const two = drillClusterId('orders-production-eu-2', AT);
    expect(one).toBe('rdr-drill-orders-pro-f9f93c-261122040027');
    expect(two).toBe('rdr-drill-orders-pro-4a233a-261122040027');
    expect(drillClusterId('Orders-Production-EU-1', AT)).toBe(one); // ElastiCache ids are case-insensitive
  });

  it('always gives a valid ElastiCache id of at most 40 characters', () => {
    for (let n = 1; n <= 40; n++) {
      const target = `t${'-x1'.repeat(20)}`.slice(0, n);
      const id = drillClusterId(target, AT);
      expect(id.length).toBeLessThanOrEqual(MAX_CLUSTER_ID_LENGTH);
      expect(isValidTargetId(id), id).toBe(true);
    }
  });

  it('rejects a choice whose cluster id is too long', () => {
    const choice = {
      target: 't',
      recoveryPoint: 'rdr-t-20261122-0400',
      createdAt: AT.toISOString(),
      ageSeconds: 10,
      clusterId: 'x'.repeat(41),
      engine: 'redis',
      engineVersion: '7.1',
      nodeType: 'cache.t4g.small',
      shards: 1,
      clusterMode: 'disabled',
      expected: {},
    };
    expect(recoveryPointChoiceSchema.safeParse(choice).success).toBe(false);
    expect(recoveryPointChoiceSchema.safeParse({ ...choice, clusterId: drillClusterId('t', AT) }).success).toBe(true);
  });
});

describe('sharded restores', () => {
  it.each([
    ['redis', '7.1.0', 'default.redis7.cluster.on'],
    ['redis', '6.2.6', 'default.redis6.x.cluster.on'],
    ['redis', '5.0.6', 'default.redis5.0.cluster.on'],
    ['valkey', '8.0', 'default.valkey8.cluster.on'],
    ['valkey', '7.2', 'default.valkey7.cluster.on'],
  ])('%s %s → %s', (engine, version, expected) => {
    expect(clusterParameterGroup(engine, version)).toBe(expected);
  });

  it.each([1, 2, 3, 5, 90, 500])('splits the 16384 slots over %i shards without gap or overlap', (shards) => {
    const layout = evenSlotLayout(shards);
    expect(layout).toHaveLength(shards);
    let next = 0;
    for (const [i, g] of layout.entries()) {
      const [from, to] = g.Slots.split('-').map(Number) as [number, number];
      expect(from).toBe(next);
      expect(to).toBeGreaterThanOrEqual(from);
      expect(g.NodeGroupId).toBe(String(i + 1).padStart(4, '0'));
      next = to + 1;
    }
    expect(next).toBe(16384);
  });
});

describe('drillStartOf', () => {
  it('reads back the start time drillClusterId put in an id (users and user groups have no creation time)', () => {
    const at = new Date('2026-11-20T02:03:04Z');
    expect(drillStartOf(drillClusterId('orders-production-eu-1', at))).toEqual(at);
  });

  it.each(['rdr-drill-handmade', 'orders-prod-261120020304', 'rdr-drill-x-261399020304', 'rdr-drill-x-261120250304'])('%s: no drill start', (id) => {
    expect(drillStartOf(id)).toBeUndefined();
  });
});
