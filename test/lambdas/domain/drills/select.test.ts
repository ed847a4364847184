import { describe, expect, it } from 'vitest';
import { drillClusterId, majorVersion, SERVERLESS_NODE_TYPE, type DrillInput } from '../../../../lambdas/domain/drills/drill.js';
import {
  assessDrExport,
  CANARY_TAG,
  clusterModeOf,
  DEFAULT_DRILL_NODE_TYPE,
  drChoice,
  NoRecoveryPointError,
  parseEngineTag,
  partitionOf,
  pickTarget,
  primaryChoice,
  snapshotExpected,
  rotationIndex,
  s3ObjectArn,
  serverlessChoice,
} from '../../../../lambdas/domain/drills/select.js';
import { drExportsByTarget, drExportsUnder, newestAvailable, type DrExport } from '../../../../lambdas/domain/points/choice.js';
import { exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import type { RecoveryPoint } from '../../../../lambdas/domain/plans/types.js';
import { DR_DRILL_INPUT } from '../../../support/drill-fixtures.js';

const STARTED = new Date('2026-11-21T10:00:00Z');
const DAY = 86_400_000;

const INPUT: DrillInput = DR_DRILL_INPUT;

describe('rotationIndex', () => {
  it.each([
    ['1970-01-01T00:00:00Z', 3, 0],
    ['1970-01-01T23:59:59Z', 3, 0],
    ['1970-01-02T00:00:00Z', 3, 1],
    ['1970-01-04T00:00:00Z', 3, 0],
    ['2026-11-21T10:00:00Z', 1, 0],
  ])('at %s with %i candidates is %i', (at, count, index) => {
    expect(rotationIndex(new Date(at), count)).toBe(index);
  });

  it('rejects a count below 1, naming it', () => {
    expect(() => rotationIndex(STARTED, 0)).toThrow('count must be a positive integer, got 0');
  });
});

describe('pickTarget', () => {
  it('restores every target once over N daily drills at the same hour, whatever the candidate order', () => {
    const candidates = [{ target: 'rg-c' }, { target: 'rg-a' }, { target: 'rg-b' }];
    const picked = [0, 1, 2].map((d) => pickTarget(candidates, new Date(STARTED.getTime() + d * DAY))!.target);
    expect(new Set(picked)).toEqual(new Set(['rg-a', 'rg-b', 'rg-c']));
  });

  it('alternates two targets on daily drills (hours modulo 2 would pick the same one every day)', () => {
    const candidates = [{ target: 'rg-a' }, { target: 'rg-b' }];
    const picked = [0, 1, 2, 3].map((d) => pickTarget(candidates, new Date(STARTED.getTime() + d * DAY))!.target);
    expect(picked[0]).not.toBe(picked[1]);
    expect(picked[0]).toBe(picked[2]);
    expect(picked[1]).toBe(picked[3]);
  });

  it('picks nothing from no candidates', () => {
    expect(pickTarget([], STARTED)).toBeUndefined();
  });
});

describe('newestAvailable', () => {
  const point = (name: string, hour: number, over: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
    name,
    source: 'rg-a',
    status: 'available',
    createdAt: new Date(Date.UTC(2026, 10, 21, hour)),
    managed: true,
    plan: 'sessions',
    ...over,
  });

  it('takes the newest available managed snapshot, ignoring newer failed, creating and unmanaged ones', () => {
    const points = [
      point('rdr-rg-a-20261121-0200', 2),
      point('rdr-rg-a-20261121-0400', 4),
      point('rdr-rg-a-20261121-0500', 5, { status: 'failed' }),
      point('rdr-rg-a-20261121-0600', 6, { status: 'creating' }),
      point('rdr-rg-a-20261121-0700', 7, { managed: false }),
    ];
    expect(newestAvailable(points)?.name).toBe('rdr-rg-a-20261121-0400');
  });

  it('finds nothing when no snapshot is available', () => {
    expect(newestAvailable([point('rdr-rg-a-20261121-0200', 2, { status: 'creating' })])).toBeUndefined();
  });
});

describe('small parsers', () => {
  it.each([
    ['redis 7.1.0', { engine: 'redis', engineVersion: '7.1.0' }],
    ['valkey 8.0', { engine: 'valkey', engineVersion: '8.0' }],
    ['Redis 6.2.6', { engine: 'redis', engineVersion: '6.2.6' }],
    ['redis', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('parseEngineTag(%j) is %j', (tag, expected) => {
    expect(parseEngineTag(tag)).toEqual(expected);
  });

  it.each([
    ['eu-central-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('partitionOf(%s) is %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });

  it('builds S3 object ARNs the way SnapshotArns wants them', () => {
    expect(s3ObjectArn('aws', 'dr-bucket', 'rdr-rg-a-20261121-0200-0001.rdb')).toBe('arn:aws:s3:::dr-bucket/rdr-rg-a-20261121-0200-0001.rdb');
  });

  it.each([
    [1, undefined, 'disabled'],
    [1, 'default.redis7', 'disabled'],
    [1, 'default.redis7.cluster.on', 'enabled'],
    [3, undefined, 'enabled'],
  ] as const)('clusterModeOf(%i, %s) is %s', (shards, group, mode) => {
    expect(clusterModeOf(shards, group)).toBe(mode);
  });
});

describe('primaryChoice', () => {
  it('maps the snapshot, its probe tags and the start time onto a valid choice', () => {
    const choice = primaryChoice(
      {
        name: 'rdr-rg-a-20261121-0200',
        target: 'rg-a',
        createdAt: new Date('2026-11-21T02:00:30Z'),
        engine: 'redis',
        engineVersion: '7.1.0',
        nodeType: 'cache.r7g.large',
        shards: 1,
        tags: { 'redis-dr:keys': '1200', [CANARY_TAG]: 'c-20261121-0200' },
      },
      { nodeType: INPUT.nodeType },
      STARTED,
    );
    expect(choice).toEqual({
      kind: 'replication-group',
      target: 'rg-a',
      recoveryPoint: 'rdr-rg-a-20261121-0200',
      createdAt: '2026-11-21T02:00:30.000Z',
      ageSeconds: 8 * 3600 - 30,
      clusterId: 'rdr-drill-rg-a-a768c3-261121100000',
      engine: 'redis',
      engineVersion: '7.1.0',
      nodeType: 'cache.r7g.large',
      shards: 1,
      clusterMode: 'disabled',
      snapshotName: 'rdr-rg-a-20261121-0200',
      expected: { keys: 1200, canary: 'c-20261121-0200' },
    });
  });

  it.each([
    [
      "the probe's expiry histogram, with the count",
      { 'redis-dr:keys': '1200', 'redis-dr:ttl': 'toy6ck/a.5/p.3' },
      { keys: 1200, expires: 8, expiries: ['toy6ck/a.5/p.3'] },
    ],
    ['no histogram without a count', { 'redis-dr:ttl': 'toy6ck/a.5' }, {}],
    ['no histogram that does not parse', { 'redis-dr:keys': '1200', 'redis-dr:ttl': 'not a histogram' }, { keys: 1200 }],
  ])('expects %s', (_, tags, expected) => {
    expect(snapshotExpected(tags)).toEqual(expected);
  });

  it('prefers the input node type and expects nothing when no probe ran', () => {
    const choice = primaryChoice(
      { name: 'rdr-rg-a-20261121-0200', target: 'rg-a', createdAt: STARTED, engine: 'valkey', engineVersion: '8.0', shards: 2, tags: {} },
      { nodeType: 'cache.t4g.medium' },
      STARTED,
    );
    expect(choice).toMatchObject({ nodeType: 'cache.t4g.medium', clusterMode: 'enabled', ageSeconds: 0, expected: {} });
  });
});

// --- DR ---------------------------------------------------------------------

const SNAP = 'rdr-rg-a-20261121-0200';

/** Tags of shard `shard` of `shards` as the export and verify-rdb Lambdas leave them. */
function shardTags(shard: number, shards: number, over: Record<string, string | undefined> = {}): Record<string, string> {
  const tags: Record<string, string | undefined> = {
    ...exportObjectTags({
      tier: 'daily',
      plan: 'sessions',
      snapshot: SNAP,
      createdAt: new Date('2026-11-21T02:00:42Z'),
      shard,
      shards,
      engine: 'redis 7.1.0',
      keys: 3000,
    }),
    'redis-dr:verified': 'ok',
    'redis-dr:rdb': `v=11 keys=${1000 * shard} expires=${shard} string=${900 * shard} hash=${100 * shard}`,
    ...over,
  };
  return Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => e[1] !== undefined));
}

function exportOf(shards: number[], name = SNAP): DrExport {
  return drExportsByTarget(
    shards.map((s) => `${name}-${String(s).padStart(4, '0')}.rdb`),
    () => true,
  ).get('rg-a')![0]!;
}

describe('drExportsByTarget', () => {
  it('groups shard objects by export and target, newest first, later attempts first, ignoring foreign keys', () => {
    const keys = [
      'rdr-rg-a-20261120-0200-0001.rdb',
      'rdr-rg-a-20261121-0200-0002.rdb',
      'rdr-rg-a-20261121-0200-0001.rdb',
      'rdr-rg-a-20261121-0200-r2-0001.rdb',
      'rdr-rg-a-b-20261121-0300-0001.rdb',
      'notes.txt',
      'rdr-rg-a-20261121-0200-0001.rdb.tmp',
    ];
    const byTarget = drExportsByTarget(keys, () => true);
    expect([...byTarget.keys()].sort()).toEqual(['rg-a', 'rg-a-b']);
    expect(byTarget.get('rg-a')!.map((e) => [e.exportName, e.objects.map((o) => o.shard)])).toEqual([
      ['rdr-rg-a-20261121-0200-r2', [1]],
      ['rdr-rg-a-20261121-0200', [1, 2]],
      ['rdr-rg-a-20261120-0200', [1]],
    ]);
  });

  it('leaves out targets the filter refuses', () => {
    const byTarget = drExportsByTarget(['rdr-rg-a-20261121-0200-0001.rdb', 'rdr-rg-b-20261121-0200-0001.rdb'], (t) => t === 'rg-b');
    expect([...byTarget.keys()]).toEqual(['rg-b']);
  });
});

describe('drExportsUnder', () => {
  const own = '111122223333/eu-west-1/';
  const keys = [
    `${own}rdr-rg-a-20261121-0200-0001.rdb`,
    `${own}rdr-rg-a-20261121-0200-0002.rdb`,
    '999988887777/eu-west-1/rdr-rg-a-20261121-0400-0001.rdb',
    'rdr-rg-a-20261121-0500-0001.rdb',
  ];

  it("an account's prefix: its exports parsed after it, objects by full key; another account's and the root's left out", () => {
    const byTarget = drExportsUnder(keys, own, () => true);
    expect(byTarget.get('rg-a')!.map((e) => [e.exportName, e.objects.map((o) => o.key)])).toEqual([
      ['rdr-rg-a-20261121-0200', [`${own}rdr-rg-a-20261121-0200-0001.rdb`, `${own}rdr-rg-a-20261121-0200-0002.rdb`]],
    ]);
  });

  it("the root (''): what drExportsByTarget finds, prefixed keys not parsed", () => {
    expect(drExportsUnder(keys, '', () => true)).toEqual(drExportsByTarget(keys, () => true));
    expect(
      drExportsUnder(keys, '', () => true)
        .get('rg-a')!
        .map((e) => e.exportName),
    ).toEqual(['rdr-rg-a-20261121-0500']);
  });
});

describe('assessDrExport', () => {
  const exp3 = exportOf([1, 2, 3]);
  const tags3 = (over: Record<number, Record<string, string | undefined>> = {}) =>
    new Map(exp3.objects.map((o) => [o.key, shardTags(o.shard, 3, over[o.shard])]));

  it('takes a complete, verified export and sums keys, expiring keys and types over its shards', () => {
    const verdict = assessDrExport(exp3, tags3({ 2: { [CANARY_TAG]: 'c-1' } }), { plan: 'sessions', minTier: 'daily' });
    expect(verdict).toEqual({
      usable: true,
      choice: {
        export: exp3,
        createdAt: new Date('2026-11-21T02:00:42Z'),
        engine: 'redis',
        engineVersion: '7.1.0',
        tier: 'daily',
        expected: { keys: 6000, expires: 6, byType: { string: 5400, hash: 600 }, canary: 'c-1' },
        // The shards' summaries, for the restore preflight (RDB version, databases).
        summaries: [1, 2, 3].map((n) => expect.objectContaining({ version: 11, keys: 1000 * n })),
      },
    });
  });

  it("carries every shard's expiry histogram, so the drill subtracts only the keys expired by its check", () => {
    const rdb = (shard: number, ttl?: string) => ({
      'redis-dr:rdb': `v=11 keys=${1000 * shard} expires=${shard} string=${900 * shard} hash=${100 * shard}${ttl ? ` ttl=${ttl}` : ''}`,
    });
    const all = assessDrExport(exp3, tags3({ 1: rdb(1, 'toy6ck/a.1'), 2: rdb(2, 'toy6ck/b.2'), 3: rdb(3, 'toy6cl/c.3') }), { plan: 'sessions' });
    expect(all.usable && all.choice.expected).toMatchObject({ keys: 6000, expires: 6, expiries: ['toy6ck/a.1', 'toy6ck/b.2', 'toy6cl/c.3'] });
    // A shard with keys with an expiry but no histogram (verified before histograms were recorded): its keys would go
    // unaccounted, so none are carried and the check falls back to "any key with an expiry may have expired".
    const partly = assessDrExport(exp3, tags3({ 1: rdb(1, 'toy6ck/a.1'), 2: rdb(2, 'toy6ck/b.2') }), { plan: 'sessions' });
    expect(partly.usable && partly.choice.expected.expiries).toBeUndefined();
  });

  it('takes a copy a keyspace collapse holds (tier held-daily) as of its tier', () => {
    const held = tags3(Object.fromEntries([1, 2, 3].map((n) => [n, { 'redis-dr:tier': 'held-daily' }])));
    expect(assessDrExport(exp3, held, { plan: 'sessions', minTier: 'daily' })).toMatchObject({ usable: true, choice: { tier: 'daily' } });
    const heldHourly = tags3(Object.fromEntries([1, 2, 3].map((n) => [n, { 'redis-dr:tier': 'held-hourly' }])));
    expect(assessDrExport(exp3, heldHourly, { plan: 'sessions', minTier: 'daily' })).toMatchObject({ usable: false, problem: 'below-min-tier' });
  });

  it.each([
    ['another plan', tags3({ 1: { 'redis-dr:plan': 'queues' } }), 'other-plan'],
    ['a shard tagged for another shard count', tags3({ 3: { 'redis-dr:shard': '0003/0004' } }), 'incomplete'],
    ['a shard not verified yet', tags3({ 2: { 'redis-dr:verified': undefined, 'redis-dr:rdb': undefined } }), 'unverified'],
    ['a shard verified without a summary', tags3({ 2: { 'redis-dr:rdb': undefined } }), 'unverified'],
    ['a corrupt shard', tags3({ 3: { 'redis-dr:verified': 'corrupt', 'redis-dr:rdb': 'v=11 keys=10 expires=0 error@4096=bad length' } }), 'corrupt'],
    ['no engine tag', tags3({ 1: { 'redis-dr:engine': undefined } }), 'no-engine'],
  ])('refuses an export with %s', (_, tags, problem) => {
    expect(assessDrExport(exp3, tags, { plan: 'sessions' })).toMatchObject({ usable: false, problem });
  });

  it('refuses an export missing a shard object (still replicating)', () => {
    const exp = exportOf([1, 3]);
    const tags = new Map(exp.objects.map((o) => [o.key, shardTags(o.shard, 3)]));
    expect(assessDrExport(exp, tags, { plan: 'sessions' })).toEqual({
      usable: false,
      problem: 'incomplete',
      detail: `${SNAP} has shard(s) 1,3 of 3`,
    });
  });

  it.each([
    ['daily', undefined, true],
    ['daily', 'daily', true],
    ['daily', 'weekly', false],
    ['monthly', 'weekly', true],
  ] as const)('a %s export with minTier %s is usable: %s', (tier, minTier, usable) => {
    const tags = tags3({ 1: { 'redis-dr:tier': tier } });
    expect(assessDrExport(exp3, tags, { plan: 'sessions', minTier }).usable).toBe(usable);
  });
});

describe('drChoice', () => {
  it('seeds from the shard objects in shard order with the input node type or the default', () => {
    const exp = exportOf([2, 1, 3]);
    const verdict = assessDrExport(exp, new Map(exp.objects.map((o) => [o.key, shardTags(o.shard, 3)])), { plan: 'sessions' });
    if (!verdict.usable) throw new Error(verdict.detail);
    const choice = drChoice(verdict.choice, INPUT, { bucket: 'redis-dr-prod-dr', partition: 'aws' }, STARTED);
    expect(choice).toMatchObject({
      target: 'rg-a',
      recoveryPoint: SNAP,
      createdAt: '2026-11-21T02:00:42.000Z',
      ageSeconds: 8 * 3600 - 42,
      clusterId: 'rdr-drill-rg-a-a768c3-261121100000',
      nodeType: DEFAULT_DRILL_NODE_TYPE,
      shards: 3,
      clusterMode: 'enabled',
      snapshotArns: [1, 2, 3].map((s) => `arn:aws:s3:::redis-dr-prod-dr/${SNAP}-000${s}.rdb`),
    });
    expect(choice.snapshotName).toBeUndefined();
    expect(drChoice(verdict.choice, { ...INPUT, nodeType: 'cache.r7g.xlarge' }, { bucket: 'b-dr', partition: 'aws' }, STARTED).nodeType).toBe(
      'cache.r7g.xlarge',
    );
    // Copies that do not record the layout: the even split.
    expect(choice.nodeGroupConfiguration!.map((g) => g.Slots)).toEqual(['0-5460', '5461-10921', '10922-16383']);
  });

  it("rebuilds the source's own slot layout when the export recorded it on every shard", () => {
    const exp = exportOf([1, 2, 3]);
    const layout = ['0-99', '100-200,16000-16383', '201-15999'];
    const tags = new Map<string, Record<string, string>>(
      exp.objects.map((o) => [o.key, shardTags(o.shard, 3, { 'redis-dr:shard': `000${o.shard}/0003 ${layout[o.shard - 1]!.replace(',', '+')}` })]),
    );
    const verdict = assessDrExport(exp, tags, { plan: 'sessions' });
    if (!verdict.usable) throw new Error(verdict.detail);
    expect(drChoice(verdict.choice, INPUT, { bucket: 'b', partition: 'aws' }, STARTED).nodeGroupConfiguration).toEqual([
      { NodeGroupId: '0001', Slots: '0-99', ReplicaCount: 0 },
      { NodeGroupId: '0002', Slots: '100-200,16000-16383', ReplicaCount: 0 },
      { NodeGroupId: '0003', Slots: '201-15999', ReplicaCount: 0 },
    ]);
    // One shard without it: the even split, not a half-recorded layout.
    tags.set(exp.objects[1]!.key, shardTags(2, 3));
    const partial = assessDrExport(exp, tags, { plan: 'sessions' });
    if (!partial.usable) throw new Error(partial.detail);
    expect(drChoice(partial.choice, INPUT, { bucket: 'b', partition: 'aws' }, STARTED).nodeGroupConfiguration!.map((g) => g.Slots)).toEqual([
      '0-5460',
      '5461-10921',
      '10922-16383',
    ]);
  });
});

describe('serverless choices', () => {
  it('primary: a new serverless cache from the snapshot ARN, major version only, no node type, read as a cluster', () => {
    const choice = serverlessChoice(
      {
        name: 'rdr-sls-a-20261121-0200',
        arn: 'arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:rdr-sls-a-20261121-0200',
        target: 'sls-a',
        createdAt: new Date('2026-11-21T02:00:00Z'),
        engine: 'Valkey',
        engineVersion: '8.1',
        tags: { 'redis-dr:keys': '5', [CANARY_TAG]: 'c-1' },
      },
      STARTED,
    );
    expect(choice).toMatchObject({
      kind: 'serverless-cache',
      engine: 'valkey',
      engineVersion: '8',
      nodeType: SERVERLESS_NODE_TYPE,
      clusterMode: 'enabled',
      snapshotArns: ['arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:rdr-sls-a-20261121-0200'],
      expected: { keys: 5, canary: 'c-1' },
    });
    expect(choice.snapshotName).toBeUndefined();
    expect(choice.clusterId).toBe(drillClusterId('sls-a', STARTED));
  });

  it("DR: every shard's copy, no slot layout or parameter group (a serverless cache lays out its slots itself)", () => {
    const exp = exportOf([1, 2, 3]);
    const verdict = assessDrExport(exp, new Map(exp.objects.map((o) => [o.key, shardTags(o.shard, 3)])), { plan: 'sessions' });
    if (!verdict.usable) throw new Error(verdict.detail);
    const choice = drChoice(verdict.choice, { nodeType: 'cache.r7g.xlarge' }, { bucket: 'b', partition: 'aws' }, STARTED, 'serverless-cache');
    expect(choice).toMatchObject({
      kind: 'serverless-cache',
      nodeType: SERVERLESS_NODE_TYPE,
      shards: 3,
      clusterMode: 'enabled',
      engineVersion: majorVersion(verdict.choice.engineVersion),
    });
    expect(choice.snapshotArns).toHaveLength(3);
    expect(choice).not.toHaveProperty('nodeGroupConfiguration');
    expect(choice).not.toHaveProperty('cacheParameterGroupName');
  });

  it.each([
    ['7.1.0', '7'],
    ['8', '8'],
    [' 9.0 ', '9'],
  ])('majorVersion(%j) is %j', (version, major) => expect(majorVersion(version)).toBe(major));

  it('majorVersion refuses a version without one', () => expect(() => majorVersion('latest')).toThrow('engine version "latest" has no major version'));
});

describe('NoRecoveryPointError', () => {
  it('names the plan, the region kind and every target with why', () => {
    const err = new NoRecoveryPointError('sessions', 'dr', [
      { target: 'rg-a', why: 'no exports in s3://b' },
      { target: 'rg-b', why: 'none of 2 export(s) usable' },
    ]);
    expect(err.name).toBe('NoRecoveryPointError');
    expect(err.message).toBe('plan sessions: no usable DR copy to restore: rg-a (no exports in s3://b); rg-b (none of 2 export(s) usable)');
    expect(new NoRecoveryPointError('sessions', 'primary', []).message).toBe('plan sessions: no usable snapshot to restore: the plan selected no caches');
  });
});
