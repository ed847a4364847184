import {
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  SnapshotNotFoundFault,
  type ServerlessCacheSnapshot,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import { serveVerdictsOfTags } from '../../../support/verdict-store.js';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DrillInput } from '../../../../lambdas/domain/drills/drill.js';
import { NoRecoveryPointError } from '../../../../lambdas/domain/drills/select.js';
import { RestorePreflightError } from '../../../../lambdas/domain/drills/restore-preflight.js';
import { exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import { parseSnapshotName } from '../../../../lambdas/domain/plans/naming.js';
import { EXPIRY_BUCKETS, formatExpiryHistogram } from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import { drillSelectEventSchema, selectRecoveryPoint, type DrillSelectEvent } from '../../../../lambdas/jobs/drills/drill-select.js';
import { fakeDeps } from '../../../support/fakes.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const s3 = mockClient(S3Client);

const STARTED = '2026-11-21T10:00:00.000Z';
const DAY = 86_400_000;
const BUCKET = 'redis-dr-prod-dr';
const meta = { $metadata: {} };
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'prod', 'redis-dr:plan': 'sessions' };

// ---------------------------------------------------------------------------
// A small account: snapshots with tags (primary), DR bucket objects with tags.

interface FakeSnapshot {
  name: string;
  target: string;
  status: string;
  tags: Record<string, string>;
  shards: number;
  /** A serverless cache's snapshot (DescribeServerlessCacheSnapshots), else a replication group's. */
  serverless?: boolean;
  /** The node type it was taken on (default cache.r7g.large). */
  nodeType?: string;
  /** Its node snapshot's CacheSize (`6 MB`), when given. */
  cacheSize?: string;
}
let snapshots: FakeSnapshot[];
let objects: Map<string, Record<string, string>>;
/** Copies whose verdict tag has no verdict object (put by someone other than the verifier). */
const forged = new Set<string>();
/** Object sizes ListObjectsV2 answers (default 100 bytes). */
let sizes: Map<string, number>;
let deps: ReturnType<typeof fakeDeps>;

function input(over: Partial<DrillInput> = {}): DrillInput {
  return {
    deployment: 'prod',
    plan: 'sessions',
    where: 'primary',
    targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
    rtoMinutes: 30,
    checks: { keyCountTolerancePct: 1, expectKeys: [], expectValues: {}, sampleSize: 10 },
    ...over,
  };
}

function event(over: Partial<DrillInput> = {}, startedAt = STARTED): DrillSelectEvent {
  return drillSelectEventSchema.parse({ input: input(over), startedAt });
}

function addSnapshot(name: string, over: Partial<FakeSnapshot> & { tags?: Record<string, string> } = {}): void {
  const target = over.target ?? /^rdr-(.+)-\d{8}-\d{4}$/.exec(name)![1]!;
  snapshots.push({
    name,
    target,
    status: 'available',
    shards: 1,
    ...over,
    tags: { ...OURS, 'redis-dr:source': target, 'redis-dr:tier': 'daily', ...over.tags },
  });
}

function describeSnapshot(s: FakeSnapshot): Snapshot {
  const m = /-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$/.exec(s.name)!;
  return {
    SnapshotName: s.name,
    ReplicationGroupId: s.target,
    SnapshotStatus: s.status,
    Engine: 'redis',
    EngineVersion: '7.1.0',
    CacheNodeType: s.nodeType ?? 'cache.r7g.large',
    NumNodeGroups: s.shards,
    CacheParameterGroupName: s.shards > 1 ? 'default.redis7.cluster.on' : 'default.redis7',
    NodeSnapshots: [
      {
        NodeGroupId: '0001',
        SnapshotCreateTime: new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, 30)),
        ...(s.cacheSize ? { CacheSize: s.cacheSize } : {}),
      },
    ],
  };
}

function describeServerlessSnapshot(s: FakeSnapshot): ServerlessCacheSnapshot {
  return {
    ServerlessCacheSnapshotName: s.name,
    ARN: `arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:${s.name}`,
    Status: s.status,
    CreateTime: parseSnapshotName(s.name)!.at,
    ServerlessCacheConfiguration: { ServerlessCacheName: s.target, Engine: 'valkey', MajorEngineVersion: '8' },
  };
}

/** Shard objects of export `name` of target `rg` with export and verifier tags; `over` per shard. */
function putExport(name: string, shards: number, over: Record<number, Record<string, string | undefined>> = {}, present?: number[]): void {
  const snapshot = name.replace(/-r\d+$/, '');
  const { at } = parseSnapshotName(snapshot)!;
  for (const shard of present ?? Array.from({ length: shards }, (_, i) => i + 1)) {
    const tags: Record<string, string | undefined> = {
      ...exportObjectTags({
        tier: 'daily',
        plan: 'sessions',
        snapshot,
        createdAt: new Date(at.getTime() + 42_000),
        shard,
        shards,
        engine: 'redis 7.1.0',
      }),
      'redis-dr:verified': 'ok',
      'redis-dr:rdb': `v=11 keys=${100 * shard} expires=${shard} string=${90 * shard} zset=${10 * shard}`,
      ...over[shard],
    };
    objects.set(
      `${name}-${String(shard).padStart(4, '0')}.rdb`,
      Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => e[1] !== undefined)),
    );
  }
}

/** The DR verifier's collapse mark of export `name` (listed by ListObjectsV2, its body answered by GetObject). */
function markExport(name: string, detail: string): void {
  const key = `redis-dr-verdicts/collapses/${name}.json`;
  objects.set(key, {});
  const mark = { kind: 'dr-collapse-mark', export: name, point: name.replace(/-r\d+$/, ''), target: 'rg-a', baseline: 'rdr-rg-a-20261121-0100' };
  const body = JSON.stringify({ ...mark, measure: 'keys', dropPct: 100, detail, judgedAt: STARTED });
  s3.on(GetObjectCommand, { Key: key }).callsFake(async () => ({ Body: sdkStreamMixin(Readable.from([Buffer.from(body)])) }));
}

beforeEach(() => {
  ec.reset();
  tagging.reset();
  s3.reset();
  snapshots = [];
  objects = new Map();
  sizes = new Map();
  deps = fakeDeps(Date.parse(STARTED));

  tagging.on(GetResourcesCommand).callsFake((i: { TagFilters: { Key: string; Values?: string[] }[] }) => ({
    ...meta,
    // The real API ANDs filters and ORs the values of one filter.
    ResourceTagMappingList: snapshots
      .filter((s) => i.TagFilters.every((f) => f.Values?.includes(s.tags[f.Key] ?? '\u0000')))
      .map((s) => ({
        ResourceARN: `arn:aws:elasticache:eu-west-1:111122223333:${s.serverless ? 'serverlesscachesnapshot' : 'snapshot'}:${s.name}`,
        Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
      })),
  }));
  ec.on(DescribeSnapshotsCommand).callsFake((i: { ReplicationGroupId?: string; SnapshotName?: string }) => {
    if (i.SnapshotName) {
      const s = snapshots.find((x) => x.name === i.SnapshotName);
      if (!s) throw new SnapshotNotFoundFault({ message: `${i.SnapshotName} not found`, $metadata: {} });
      return { Snapshots: [describeSnapshot(s)] };
    }
    return { Snapshots: snapshots.filter((s) => !s.serverless && s.target === i.ReplicationGroupId).map(describeSnapshot) };
  });
  ec.on(DescribeServerlessCacheSnapshotsCommand).callsFake((i: { ServerlessCacheName?: string; ServerlessCacheSnapshotName?: string }) => ({
    ServerlessCacheSnapshots: snapshots
      .filter((s) => s.serverless && (i.ServerlessCacheSnapshotName ? s.name === i.ServerlessCacheSnapshotName : s.target === i.ServerlessCacheName))
      .map(describeServerlessSnapshot),
  }));
  s3.on(ListObjectsV2Command).callsFake((i: { Prefix: string }) => ({
    Contents: [...objects.keys()].filter((k) => k.startsWith(i.Prefix)).map((Key) => ({ Key, Size: sizes.get(Key) ?? 100 })),
    IsTruncated: false,
  }));
  s3.on(GetObjectTaggingCommand).callsFake((i: { Key: string }) => ({
    TagSet: Object.entries(objects.get(i.Key) ?? {}).map(([Key, Value]) => ({ Key, Value })),
  }));
  // Each verdict tag here is the verifier's, its verdict object written with it; but for the copies in `forged`.
  forged.clear();
  serveVerdictsOfTags(s3, (k) => objects.get(k), { forged: (k) => forged.has(k) });
});

describe('drill select, primary region', () => {
  it('refuses, before anything is created, to drill a snapshot taken on r6gd (data tiering) onto a node type without it', async () => {
    addSnapshot('rdr-rg-a-20261121-0200', { nodeType: 'cache.r6gd.xlarge' });

    const err = await selectRecoveryPoint(event({ nodeType: 'cache.r6g.xlarge' }), deps).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(RestorePreflightError);
    expect((err as Error).message).toMatch(/\[data-tiering\] rdr-rg-a-20261121-0200 was taken on cache\.r6gd\.xlarge/);
    // Onto r6gd itself a drill refuses too: its create step cannot turn data tiering on.
    const own = await selectRecoveryPoint(event(), deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((own as RestorePreflightError).refusals.map((r) => r.reason)).toEqual([expect.stringMatching(/DataTieringEnabled/)]);
  });

  it("refuses a snapshot whose CacheSize does not fit drill.nodeType; the snapshot's own node type takes it", async () => {
    addSnapshot('rdr-rg-a-20261121-0200', { cacheSize: '3 GB' });

    const err = await selectRecoveryPoint(event({ nodeType: 'cache.t4g.small' }), deps).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect((err as RestorePreflightError).refusals.map((r) => r.rule)).toEqual(['node-memory']);
    expect((err as Error).message).toMatch(/3\.00 GiB on file, more than cache\.t4g\.small holds/);
    await expect(selectRecoveryPoint(event(), deps)).resolves.toMatchObject({ nodeType: 'cache.r7g.large' });
  });

  it('restores the newest available snapshot of the plan, ignoring newer ones of other plans, failed or creating', async () => {
    addSnapshot('rdr-rg-a-20261121-0200', { tags: { 'redis-dr:keys': '1200', 'redis-dr:canary': 'c-0200' } });
    addSnapshot('rdr-rg-a-20261121-0100');
    addSnapshot('rdr-rg-a-20261121-0300', { tags: { 'redis-dr:plan': 'queues' } });
    addSnapshot('rdr-rg-a-20261121-0400', { status: 'failed' });
    addSnapshot('rdr-rg-a-20261121-0500', { status: 'creating' });

    const choice = await selectRecoveryPoint(event(), deps);

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
      expected: { keys: 1200, canary: 'c-0200' },
    });
  });

  it('drill.pointSelection random: restores an older retained snapshot, drawn by the execution (the same start, the same point), and records the draw', async () => {
    for (const hh of ['01', '02', '03', '04', '05', '06']) addSnapshot(`rdr-rg-a-20261121-${hh}00`);
    const older = ['01', '02', '03', '04', '05'].map((hh) => `rdr-rg-a-20261121-${hh}00`);
    const drawn = new Set<string>();
    for (let day = 0; day < 40; day++) {
      const startedAt = new Date(Date.parse(STARTED) + day * 3_600_000).toISOString();
      const choice = await selectRecoveryPoint(event({ pointSelection: 'random' }, startedAt), deps);
      expect(older).toContain(choice.recoveryPoint);
      expect(choice.selection).toEqual({ mode: 'random', drawnFrom: 5 });
      // A retried select step (the same execution) draws the same point.
      expect((await selectRecoveryPoint(event({ pointSelection: 'random' }, startedAt), deps)).recoveryPoint).toBe(choice.recoveryPoint);
      drawn.add(choice.recoveryPoint);
    }
    // Over 40 executions the draws reach every older point, never the newest.
    expect([...drawn].sort()).toEqual(older);
    // newest (the default) is untouched: the newest point, no selection recorded.
    const newest = await selectRecoveryPoint(event(), deps);
    expect(newest.recoveryPoint).toBe('rdr-rg-a-20261121-0600');
    expect(newest.selection).toBeUndefined();
  });

  it('drill.pointSelection random with a single retained point restores it, saying it was drawn from none older', async () => {
    addSnapshot('rdr-rg-a-20261121-0100');
    const choice = await selectRecoveryPoint(event({ pointSelection: 'random' }), deps);
    expect(choice).toMatchObject({ recoveryPoint: 'rdr-rg-a-20261121-0100', selection: { mode: 'random', drawnFrom: 0 } });
  });

  it('restores a sharded snapshot with cluster mode enabled and the input node type', async () => {
    addSnapshot('rdr-rg-a-20261121-0200', { shards: 3 });

    const choice = await selectRecoveryPoint(event({ nodeType: 'cache.t4g.medium' }), deps);

    expect(choice).toMatchObject({ shards: 3, clusterMode: 'enabled', nodeType: 'cache.t4g.medium', expected: {} });
  });

  it('rotates over the targets that have a recovery point, one per day, sorted by id', async () => {
    for (const t of ['rg-a', 'rg-b', 'rg-c']) addSnapshot(`rdr-${t}-20261121-0200`);
    addSnapshot('rdr-rg-d-20261121-0200', { status: 'creating' });
    const targets = { replicationGroupIds: ['rg-d', 'rg-c', 'rg-b', 'rg-a'], serverlessCacheNames: [], selectByTags: {} };

    const picked: string[] = [];
    for (let day = 0; day < 6; day++) {
      const startedAt = new Date(Date.parse(STARTED) + day * DAY).toISOString();
      picked.push((await selectRecoveryPoint(event({ targets }, startedAt), deps)).target);
    }

    // 2026-11-21 is day 20778 since the epoch: 20778 % 3 = 0 → rg-a first.
    expect(picked).toEqual(['rg-a', 'rg-b', 'rg-c', 'rg-a', 'rg-b', 'rg-c']);
  });

  it('restores a serverless cache from its newest snapshot of the plan: the snapshot ARN, engine and major version', async () => {
    const targets = { replicationGroupIds: [], serverlessCacheNames: ['sls-a'], selectByTags: {} };
    addSnapshot('rdr-sls-a-20261121-0300', { serverless: true, tags: { 'redis-dr:keys': '77' } });
    addSnapshot('rdr-sls-a-20261121-0400', { serverless: true, status: 'creating' });
    addSnapshot('rdr-sls-a-20261121-0500', { serverless: true, tags: { 'redis-dr:plan': 'queues' } });

    const choice = await selectRecoveryPoint(event({ targets }), deps);

    expect(choice).toEqual({
      kind: 'serverless-cache',
      target: 'sls-a',
      recoveryPoint: 'rdr-sls-a-20261121-0300',
      createdAt: '2026-11-21T03:00:00.000Z',
      ageSeconds: 7 * 3600,
      clusterId: expect.stringMatching(/^rdr-drill-sls-a-[0-9a-f]{6}-261121100000$/),
      engine: 'valkey',
      engineVersion: '8',
      nodeType: 'serverless',
      shards: 1,
      clusterMode: 'enabled',
      snapshotArns: ['arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:rdr-sls-a-20261121-0300'],
      expected: { keys: 77 },
    });
    expect(ec.commandCalls(DescribeSnapshotsCommand)).toHaveLength(0);
  });

  it('rotates over replication groups and serverless caches alike, and fails with NoRecoveryPointError when nothing is left', async () => {
    const targets = { replicationGroupIds: ['rg-a'], serverlessCacheNames: ['sls-a'], selectByTags: {} };
    addSnapshot('rdr-rg-a-20261121-0200', { status: 'creating' });
    addSnapshot('rdr-sls-a-20261121-0200', { serverless: true, status: 'failed' });

    const err = await selectRecoveryPoint(event({ targets }), deps).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(NoRecoveryPointError);
    expect((err as Error).name).toBe('NoRecoveryPointError');
    expect((err as Error).message).toBe(
      'plan sessions: no usable snapshot to restore: rg-a (no available snapshot of plan sessions); sls-a (no available snapshot of plan sessions)',
    );

    addSnapshot('rdr-rg-a-20261121-0100');
    addSnapshot('rdr-sls-a-20261121-0100', { serverless: true });
    const picked = [];
    for (let day = 0; day < 2; day++) {
      const c = await selectRecoveryPoint(event({ targets }, new Date(Date.parse(STARTED) + day * DAY).toISOString()), deps);
      picked.push(`${c.target} ${c.kind}`);
    }
    expect(picked).toEqual(['rg-a replication-group', 'sls-a serverless-cache']);
  });

  it('passes over snapshots marked a keyspace collapse (an active mark): restores the newest point before them and records what it passed over', async () => {
    const mark = 'keys 1 vs 1200 at rdr-rg-a-20261121-0100 (99.9 pct fewer)';
    addSnapshot('rdr-rg-a-20261121-0100', { tags: { 'redis-dr:keys': '1200' } });
    addSnapshot('rdr-rg-a-20261121-0200', { tags: { 'redis-dr:keys': '1', 'redis-dr:collapsed': mark } });
    addSnapshot('rdr-rg-a-20261121-0300', { tags: { 'redis-dr:keys': '1', 'redis-dr:collapsed': mark } });
    // A released mark is no collapse to pass over: the operator ended it (`retention release`).
    addSnapshot('rdr-rg-a-20261120-2300', { tags: { 'redis-dr:collapsed': `released 2026-11-21T00:00:00.000Z ${mark}` } });

    const choice = await selectRecoveryPoint(event(), deps);
    expect(choice).toMatchObject({
      recoveryPoint: 'rdr-rg-a-20261121-0100',
      expected: { keys: 1200 },
      collapsedPassedOver: { count: 2, newest: 'rdr-rg-a-20261121-0300', mark },
    });
    // A random draw never lands on a collapsed point either: it draws among the points before it.
    for (let hour = 0; hour < 12; hour++) {
      const drawn = await selectRecoveryPoint(event({ pointSelection: 'random' }, new Date(Date.parse(STARTED) + hour * 3_600_000).toISOString()), deps);
      expect(drawn).toMatchObject({ recoveryPoint: 'rdr-rg-a-20261120-2300', selection: { mode: 'random', drawnFrom: 1 } });
    }
    // Without a collapse nothing is recorded.
    snapshots = snapshots.filter((s) => !s.tags['redis-dr:collapsed'] || s.tags['redis-dr:collapsed'].startsWith('released'));
    expect((await selectRecoveryPoint(event(), deps)).collapsedPassedOver).toBeUndefined();
  });

  it('a target whose every available snapshot is marked a keyspace collapse has no usable point, and the error says why and how to accept the drop', async () => {
    addSnapshot('rdr-rg-a-20261121-0200', { tags: { 'redis-dr:collapsed': 'keys 0 (empty keyspace)' } });
    const err = await selectRecoveryPoint(event(), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRecoveryPointError);
    expect((err as Error).message).toBe(
      'plan sessions: no usable snapshot to restore: rg-a (every available snapshot of plan sessions (1) is marked a keyspace collapse ' +
        '(newest rdr-rg-a-20261121-0200: keys 0 (empty keyspace)); if the drop was intended, accept it with ' +
        '`redis-dr retention release -c config/<env>.json --target rg-a --point rdr-rg-a-20261121-0200 --accept` ' +
        '(docs/runbooks/keyspace-collapse.md))',
    );
  });

  it('fails for a retry, not as NoRecoveryPoint, when the chosen snapshot vanished since the listing', async () => {
    addSnapshot('rdr-rg-a-20261121-0200');
    ec.on(DescribeSnapshotsCommand, { SnapshotName: 'rdr-rg-a-20261121-0200' }).rejects(new SnapshotNotFoundFault({ message: 'gone', $metadata: {} }));

    await expect(selectRecoveryPoint(event(), deps)).rejects.toThrow('snapshot rdr-rg-a-20261121-0200 is gone since it was listed as available; select again');
  });
});

describe('drill select, DR region', () => {
  const dr = (over: Partial<DrillInput> = {}, startedAt = STARTED) => event({ where: 'dr', bucket: BUCKET, ...over }, startedAt);

  it('refuses, before anything is created, a sharded copy whose files hold keys outside db 0 (cluster mode would refuse it)', async () => {
    putExport('rdr-rg-a-20261121-0100', 2, { 2: { 'redis-dr:rdb': 'v=11 keys=200 expires=0 dbs=0+3 string=200' } });

    const err = await selectRecoveryPoint(dr(), deps).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(RestorePreflightError);
    // The name and message are what the drill's report shows as its error (the state machine catches select into the report).
    expect((err as Error).name).toBe('RestorePreflightError');
    expect((err as Error).message).toMatch(
      /^restore preflight refused rdr-rg-a-20261121-0100 \(nothing was created\): \[cluster-mode-databases\] .*database\(s\) 0, 3.*fix: /,
    );
  });

  it("carries a copy's choice without its shards' expiry histograms when they would outgrow the Step Functions state beside the input", async () => {
    // 200 shards, each summary with an expiry histogram of 40 buckets (its keys expiring over years).
    const ttl = formatExpiryHistogram({
      baseMs: Date.parse('2026-11-21T01:00:00Z'),
      counts: Array.from({ length: EXPIRY_BUCKETS }, (_, k) => (k >= 10 && k < 50 ? 1000 + k : 0)),
    });
    const over = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [i + 1, { 'redis-dr:rdb': `v=11 keys=100000 expires=40000 string=100000 ttl=${ttl}` }]),
    );
    putExport('rdr-rg-a-20261121-0100', 200, over);
    // An input naming 1,500 keys to check, beside the group the wait step describes (a node group a shard), leaves the
    // choice about 68 KB of the state: the histograms (about 40 KB) do not fit beside the rest.
    const expectKeys = Array.from({ length: 1500 }, (_, i) => `session:user:${String(i).padStart(12, '0')}`);
    const choice = await selectRecoveryPoint(dr({ nodeType: 'cache.r7g.large', checks: { ...input().checks, expectKeys } }), deps);
    expect(choice.expected).toEqual({ keys: 200 * 100_000, expires: 200 * 40_000, byType: { string: 200 * 100_000 }, expiriesLeftOut: true });
    expect(choice.snapshotArns).toHaveLength(200);
    expect(deps.log.lines.some((e) => e.level === 'warn' && /without its shards' expiry histograms/.test(e.message))).toBe(true);
  });

  it('refuses a copy whose largest shard does not fit the drill node type, naming drill.nodeType as the fix', async () => {
    putExport('rdr-rg-a-20261121-0100', 1);
    sizes.set('rdr-rg-a-20261121-0100-0001.rdb', 2 * 1024 ** 3);

    const err = await selectRecoveryPoint(dr(), deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as RestorePreflightError).refusals?.map((r) => r.rule)).toEqual(['node-memory']);
    expect((err as Error).message).toMatch(/cache\.t4g\.small holds.*set drill\.nodeType/);
    // A node type that holds it: chosen as before.
    await expect(selectRecoveryPoint(dr({ nodeType: 'cache.r7g.large' }), deps)).resolves.toMatchObject({ nodeType: 'cache.r7g.large' });
  });

  it('skips incomplete, unverified and corrupt exports and seeds from the newest good one, shards in order, types summed', async () => {
    putExport('rdr-rg-a-20261121-0400', 3, {}, [1, 3]); // shard 2 still replicating
    putExport('rdr-rg-a-20261121-0300', 3, { 2: { 'redis-dr:verified': undefined, 'redis-dr:rdb': undefined } });
    putExport('rdr-rg-a-20261121-0200-r2', 3, { 3: { 'redis-dr:verified': 'corrupt', 'redis-dr:rdb': 'v=11 keys=0 expires=0 error@9=bad' } });
    putExport('rdr-rg-a-20261121-0100', 3);
    putExport('rdr-rg-a-20261120-0100', 3);

    const choice = await selectRecoveryPoint(dr(), deps);

    const key = (s: number) => `rdr-rg-a-20261121-0100-000${s}.rdb`;
    expect(choice).toEqual({
      kind: 'replication-group',
      target: 'rg-a',
      recoveryPoint: 'rdr-rg-a-20261121-0100',
      createdAt: '2026-11-21T01:00:42.000Z',
      ageSeconds: 9 * 3600 - 42,
      clusterId: 'rdr-drill-rg-a-a768c3-261121100000',
      engine: 'redis',
      engineVersion: '7.1.0',
      nodeType: 'cache.t4g.small',
      shards: 3,
      clusterMode: 'enabled',
      snapshotArns: [1, 2, 3].map((s) => `arn:aws:s3:::${BUCKET}/${key(s)}`),
      cacheParameterGroupName: 'default.redis7.cluster.on',
      nodeGroupConfiguration: [
        { NodeGroupId: '0001', Slots: '0-5460', ReplicaCount: 0 },
        { NodeGroupId: '0002', Slots: '5461-10921', ReplicaCount: 0 },
        { NodeGroupId: '0003', Slots: '10922-16383', ReplicaCount: 0 },
      ],
      expected: { keys: 600, expires: 6, byType: { string: 540, zset: 60 } },
    });
    // Nothing older than the chosen export was read.
    const read = s3.commandCalls(GetObjectTaggingCommand).map((c) => c.args[0].input.Key);
    expect(read.some((k) => k?.startsWith('rdr-rg-a-20261120'))).toBe(false);
  });

  it('drill.pointSelection random: seeds from an older good export; a drawn export that is not usable falls back to the newest good one', async () => {
    putExport('rdr-rg-a-20261121-0400', 1);
    putExport('rdr-rg-a-20261121-0300', 1);
    putExport('rdr-rg-a-20261121-0200', 1);
    const picks = new Set<string>();
    for (let hour = 0; hour < 30; hour++) {
      const choice = await selectRecoveryPoint(dr({ pointSelection: 'random' }, new Date(Date.parse(STARTED) + hour * 3_600_000).toISOString()), deps);
      expect(choice.selection).toEqual({ mode: 'random', drawnFrom: 2 });
      picks.add(choice.recoveryPoint);
    }
    expect([...picks].sort()).toEqual(['rdr-rg-a-20261121-0200', 'rdr-rg-a-20261121-0300']);
    // Both older copies corrupt: whatever is drawn, the newest good copy is restored (a drill still runs).
    objects.set('rdr-rg-a-20261121-0300-0001.rdb', { ...objects.get('rdr-rg-a-20261121-0300-0001.rdb')!, 'redis-dr:verified': 'corrupt' });
    objects.set('rdr-rg-a-20261121-0200-0001.rdb', { ...objects.get('rdr-rg-a-20261121-0200-0001.rdb')!, 'redis-dr:verified': 'corrupt' });
    expect((await selectRecoveryPoint(dr({ pointSelection: 'random' }), deps)).recoveryPoint).toBe('rdr-rg-a-20261121-0400');
  });

  it('drill.pointSelection random draws among every retained export, not only the newest 48 (the whole retention is sampled)', async () => {
    // 60 hourly exports: the 12 oldest are past the 48 newest the tries are bounded by.
    const names = Array.from({ length: 60 }, (_, i) => {
      const t = new Date(Date.parse('2026-11-21T04:00:00Z') - i * 3_600_000);
      return `rdr-rg-a-${t.toISOString().slice(0, 10).replaceAll('-', '')}-${t.toISOString().slice(11, 13)}00`;
    });
    for (const n of names) putExport(n, 1);
    const oldest12 = new Set(names.slice(48));
    let fromOldest = 0;
    for (let hour = 0; hour < 40; hour++) {
      const choice = await selectRecoveryPoint(dr({ pointSelection: 'random' }, new Date(Date.parse(STARTED) + hour * 3_600_000).toISOString()), deps);
      expect(choice.selection).toEqual({ mode: 'random', drawnFrom: 59 });
      if (oldest12.has(choice.recoveryPoint)) fromOldest++;
    }
    // 12 of 59 older points: about 8 of 40 draws; none when the draw was among the newest 48 alone.
    expect(fromOldest).toBeGreaterThan(0);
  });

  it('ignores other plans and exports below minTier', async () => {
    putExport('rdr-rg-a-20261121-0300', 1, { 1: { 'redis-dr:plan': 'queues', 'redis-dr:tier': 'monthly' } });
    putExport('rdr-rg-a-20261121-0200', 1);
    putExport('rdr-rg-a-20261101-0000', 1, { 1: { 'redis-dr:tier': 'monthly' } });

    const choice = await selectRecoveryPoint(dr({ minTier: 'weekly' }), deps);

    expect(choice).toMatchObject({ recoveryPoint: 'rdr-rg-a-20261101-0000', shards: 1, clusterMode: 'disabled' });
  });

  it('lists only the explicit targets’ prefixes, and keeps a same-prefix target out', async () => {
    putExport('rdr-rg-a-b-20261121-0300', 1, { 1: { 'redis-dr:source': 'rg-a-b' } });
    putExport('rdr-rg-a-20261121-0200', 1);

    const choice = await selectRecoveryPoint(dr(), deps);

    expect(choice.target).toBe('rg-a');
    // The copies, and the DR verifier's collapse marks and the operator's releases, of the listed target only.
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'rdr-rg-a-',
      'redis-dr-verdicts/collapses/rdr-rg-a-',
      'redis-dr-releases/rdr-rg-a-',
    ]);
  });

  it('with the caches without a tag (an organization default tier), lists every rdr- export of the plan as a tag selection does', async () => {
    putExport('rdr-rg-b-20261121-0200', 1);
    const targets = { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: {}, selectWithoutTag: 'redis-dr:tier' };
    const choice = await selectRecoveryPoint(dr({ targets }), deps);
    expect(choice.target).toBe('rg-b');
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'rdr-',
      'redis-dr-verdicts/collapses/rdr-',
      'redis-dr-releases/rdr-',
    ]);
  });

  it('with a tag selection, takes every target whose exports carry the plan; a listed serverless cache restores as one', async () => {
    putExport('rdr-rg-b-20261121-0200', 1);
    putExport('rdr-sls-a-20261121-0300', 3);
    const targets = { replicationGroupIds: [], serverlessCacheNames: ['sls-a'], selectByTags: { team: 'payments' } };

    const picked = [];
    for (let day = 0; day < 2; day++) picked.push(await selectRecoveryPoint(dr({ targets }, new Date(Date.parse(STARTED) + day * DAY).toISOString()), deps));

    expect(picked.map((c) => `${c.target} ${c.kind}`)).toEqual(['rg-b replication-group', 'sls-a serverless-cache']);
    const key = (s: number) => `rdr-sls-a-20261121-0300-000${s}.rdb`;
    // A serverless cache takes every shard's copy, engine and major version; it lays out its slots itself.
    expect(picked[1]).toEqual({
      kind: 'serverless-cache',
      target: 'sls-a',
      recoveryPoint: 'rdr-sls-a-20261121-0300',
      createdAt: '2026-11-21T03:00:42.000Z',
      ageSeconds: expect.any(Number),
      clusterId: expect.stringMatching(/^rdr-drill-sls-a-[0-9a-f]{6}-261122100000$/),
      engine: 'redis',
      engineVersion: '7',
      nodeType: 'serverless',
      shards: 3,
      clusterMode: 'enabled',
      snapshotArns: [1, 2, 3].map((s) => `arn:aws:s3:::${BUCKET}/${key(s)}`),
      expected: { keys: 600, expires: 6, byType: { string: 540, zset: 60 } },
    });
    expect(
      s3
        .commandCalls(ListObjectsV2Command)
        .map((c) => c.args[0].input.Prefix)
        .filter((p) => p?.startsWith('rdr-')),
    ).toEqual(['rdr-', 'rdr-']);
    expect(tagging.commandCalls(GetResourcesCommand)).toHaveLength(0);
  });

  it('issue 53 item 3: skips an export whose ok verdict tags have no verdict object (another summary put over them), naming it', async () => {
    putExport('rdr-rg-a-20261121-0300', 3);
    putExport('rdr-rg-a-20261121-0100', 3);
    // Somebody re-put the newest export's tags with a larger key count: the verifier's objects are not there for them.
    for (const shard of [1, 2, 3]) {
      const key = `rdr-rg-a-20261121-0300-000${shard}.rdb`;
      objects.set(key, { ...objects.get(key)!, 'redis-dr:rdb': 'v=11 keys=999999 expires=0 string=999999' });
      forged.add(key);
    }
    await expect(selectRecoveryPoint(dr(), deps)).resolves.toMatchObject({ recoveryPoint: 'rdr-rg-a-20261121-0100', expected: { keys: 600 } });
    // Alone, it is no recovery point: the message says what the tags are.
    objects.clear();
    putExport('rdr-rg-a-20261121-0300', 1);
    forged.add('rdr-rg-a-20261121-0300-0001.rdb');
    const targets = { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} };
    await expect(selectRecoveryPoint(dr({ targets }), deps)).rejects.toThrow(
      'rg-a (none of 1 export(s) usable; newest: unverified: rdr-rg-a-20261121-0300-0001.rdb carry a verdict tag without a verdict object (not trusted))',
    );
  });

  it('fails with NoRecoveryPointError naming why each target has no usable copy', async () => {
    putExport('rdr-rg-a-20261121-0200', 2, { 2: { 'redis-dr:verified': undefined } });
    const targets = { replicationGroupIds: ['rg-a', 'rg-b'], serverlessCacheNames: [], selectByTags: {} };

    const err = await selectRecoveryPoint(dr({ targets }), deps).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(NoRecoveryPointError);
    expect((err as Error).message).toBe(
      `plan sessions: no usable DR copy to restore: rg-b (no exports in s3://${BUCKET}); ` +
        'rg-a (none of 1 export(s) usable; newest: unverified: rdr-rg-a-20261121-0200-0002.rdb not verified yet)',
    );
  });

  it('passes over exports the DR verifier marked a keyspace collapse: seeds from the newest before them, records what it passed over; a released point is drilled again', async () => {
    for (const hour of ['0000', '0100', '0200', '0300']) putExport(`rdr-rg-a-20261121-${hour}`, 1);
    markExport('rdr-rg-a-20261121-0200', 'rdr-rg-a-20261121-0200 holds 1 keys 99.9 pct fewer than 100 in rdr-rg-a-20261121-0100');
    markExport('rdr-rg-a-20261121-0300', 'rdr-rg-a-20261121-0300 holds 0 keys 100 pct fewer than 100 in rdr-rg-a-20261121-0100');

    const choice = await selectRecoveryPoint(dr(), deps);
    expect(choice).toMatchObject({
      recoveryPoint: 'rdr-rg-a-20261121-0100',
      collapsedPassedOver: {
        count: 2,
        newest: 'rdr-rg-a-20261121-0300',
        mark: 'rdr-rg-a-20261121-0300 holds 0 keys 100 pct fewer than 100 in rdr-rg-a-20261121-0100',
      },
    });
    // A random draw never lands on a marked export either.
    for (let hour = 0; hour < 12; hour++) {
      const drawn = await selectRecoveryPoint(dr({ pointSelection: 'random' }, new Date(Date.parse(STARTED) + hour * 3_600_000).toISOString()), deps);
      expect(drawn).toMatchObject({ recoveryPoint: 'rdr-rg-a-20261121-0000', selection: { mode: 'random', drawnFrom: 1 } });
    }
    // Released (`retention release`, its record in the DR bucket): the point is no longer passed over.
    objects.set('redis-dr-releases/rdr-rg-a-20261121-0300.released.json', {});
    expect(await selectRecoveryPoint(dr(), deps)).toMatchObject({
      recoveryPoint: 'rdr-rg-a-20261121-0300',
      collapsedPassedOver: { count: 1, newest: 'rdr-rg-a-20261121-0200' },
    });
    // Without a mark nothing is recorded.
    for (const k of [...objects.keys()]) if (k.startsWith('redis-dr-verdicts/')) objects.delete(k);
    expect((await selectRecoveryPoint(dr(), deps)).collapsedPassedOver).toBeUndefined();
  });

  it('a target whose every export is marked a keyspace collapse has no usable DR copy, and the error says how to accept the drop', async () => {
    putExport('rdr-rg-a-20261121-0200-r2', 1);
    markExport('rdr-rg-a-20261121-0200-r2', 'rdr-rg-a-20261121-0200 holds 0 keys 100 pct fewer than 100 in rdr-rg-a-20261121-0100');
    const err = await selectRecoveryPoint(dr(), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRecoveryPointError);
    expect((err as Error).message).toBe(
      `plan sessions: no usable DR copy to restore: rg-a (every export of rg-a in s3://${BUCKET} (1) is marked a keyspace collapse by the DR verifier ` +
        '(newest rdr-rg-a-20261121-0200-r2: rdr-rg-a-20261121-0200 holds 0 keys 100 pct fewer than 100 in rdr-rg-a-20261121-0100); if the drop was intended, accept it with ' +
        '`redis-dr retention release -c config/<env>.json --target rg-a --point rdr-rg-a-20261121-0200 --accept` (docs/runbooks/keyspace-collapse.md))',
    );
    // Accepted: drilled.
    objects.set('redis-dr-releases/rdr-rg-a-20261121-0200.accepted.json', {});
    expect(await selectRecoveryPoint(dr(), deps)).toMatchObject({ recoveryPoint: 'rdr-rg-a-20261121-0200-r2' });
  });

  it('requires the DR bucket, saying so', async () => {
    await expect(selectRecoveryPoint(event({ where: 'dr' }), deps)).rejects.toThrow(
      'plan sessions: input.bucket is required when where is "dr" (the DR bucket holding the .rdb copies), got none',
    );
  });
});

describe('drillSelectEventSchema', () => {
  it('refuses an event without a valid start time, naming the field', () => {
    const result = drillSelectEventSchema.safeParse({ input: input(), startedAt: 'yesterday' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['startedAt'], message: 'must be an ISO-8601 instant' });
  });
});
