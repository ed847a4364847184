import {
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import { serveVerdictsOfTags } from '../../../support/verdict-store.js';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetObjectTaggingCommand, ListObjectsV2Command, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeStateMachineCommand, ListExecutionsCommand, SFNClient, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { GetScheduleGroupCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listSucceededDrills, stateMachineCreatedAt } from '../../../../lambdas/adapters/aws/drill-history.js';
import { scheduleGroupCreatedAt } from '../../../../lambdas/adapters/aws/scheduler.js';
import type { DrillExecution } from '../../../../lambdas/domain/points/freshness.js';
import type { FreshnessInput } from '../../../../lambdas/domain/plans/plan-input.js';
import type { TargetKind } from '../../../../lambdas/domain/plans/types.js';
import { FreshnessRunFailedError, runFreshness, type FreshnessDeps, type FreshnessReport } from '../../../../lambdas/jobs/scheduled/freshness.js';
import { awsError, fakeDeps, type FakeClock, type MemoryLog, type MemoryMetrics } from '../../../support/fakes.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);

const NOW = Date.parse('2026-11-21T10:00:00Z');
const BUCKET = 'prod-redis-dr-dr';
const DRILL_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:redis-dr-drill';
const meta = { $metadata: {} };
const ARN_TYPE: Record<TargetKind, string> = { 'replication-group': 'snapshot', 'serverless-cache': 'serverlesscachesnapshot' };
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'prod', 'redis-dr:plan': 'sessions' };

// ---------------------------------------------------------------------------
// An in-memory account: snapshots with tags, DR objects with tags, drill executions.

interface FakeSnapshot {
  name: string;
  target: string;
  kind: TargetKind;
  status: string;
  tags: Record<string, string>;
  createdAt: Date;
}

let snapshots: Map<string, FakeSnapshot>;
/** The region's caches (for the coverage inventory), with their tags. */
let caches: { kind: TargetKind; id: string; engine?: string; nodeType?: string; dataTiering?: boolean; tags: Record<string, string> }[];
let objects: Map<string, Record<string, string>>;
let executions: DrillExecution[];
let faults: { command: string; match: (i: Record<string, unknown>) => boolean; error: Error }[];
let deps: FreshnessDeps & { metrics: MemoryMetrics; log: MemoryLog; clock: FakeClock };
let metrics: MemoryMetrics;

/** A snapshot of `rdr-<target>-<yyyymmdd>-<hhmm>`, taken 42 s after its minute; `tags: null` for an untagged one. */
function addSnapshot(name: string, options: { status?: string; kind?: TargetKind; tags?: Record<string, string> | null } = {}): void {
  const [, target, y, mo, d, h, mi] = /^rdr-(.+)-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$/.exec(name)!;
  snapshots.set(name, {
    name,
    target: target!,
    kind: options.kind ?? 'replication-group',
    status: options.status ?? 'available',
    tags: options.tags === null ? {} : { ...OURS, 'redis-dr:source': target!, 'redis-dr:tier': 'daily', ...options.tags },
    createdAt: new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, 42)),
  });
}

/** DR objects of an export: shards `shards` of `of`, tagged as the export and verify Lambdas leave them. */
function addExport(
  exportName: string,
  options: { shards?: number[]; of?: number; plan?: string; verified?: 'ok' | 'corrupt' | null; created?: string } = {},
): void {
  const of = options.of ?? 1;
  const shards = options.shards ?? Array.from({ length: of }, (_, i) => i + 1);
  const pad = (n: number) => String(n).padStart(4, '0');
  for (const shard of shards) {
    const tags: Record<string, string> = {
      'redis-dr:tier': 'daily',
      'redis-dr:plan': options.plan ?? 'sessions',
      'redis-dr:created': options.created ?? '2026-11-21T06:00:42.000Z',
      'redis-dr:shard': `${pad(shard)}/${pad(of)}`,
      'redis-dr:engine': 'redis 7.1.0',
    };
    if (options.verified !== null) {
      const verdict = options.verified ?? 'ok';
      tags['redis-dr:verified'] = verdict;
      tags['redis-dr:rdb'] = verdict === 'ok' ? 'v=11 keys=10 expires=0 string=10' : 'v=11 keys=0 expires=0 error@12=bad crc';
    }
    objects.set(`${exportName}-${pad(shard)}.rdb`, tags);
  }
}

function addDrill(stop: string, input: Record<string, unknown>, target?: string): void {
  executions.push({
    executionArn: `arn:aws:states:eu-west-1:111122223333:execution:redis-dr-drill:run-${executions.length}`,
    stopDate: new Date(stop),
    input: JSON.stringify(input),
    output: JSON.stringify({ input, drill: { choice: target ? { target } : null } }),
  });
}

function fail(command: string, error: Error, match: (i: Record<string, unknown>) => boolean = () => true): void {
  faults.push({ command, error, match });
}

function maybeFail(command: string, i: Record<string, unknown>): void {
  const f = faults.find((x) => x.command === command && x.match(i));
  if (f) throw f.error;
}

/** Pages of two, so every listing really paginates. */
function pageOf<T>(items: readonly T[], token: string | undefined): { page: T[]; next?: string } {
  const start = Number(token ?? 0);
  return { page: items.slice(start, start + 2), ...(start + 2 < items.length ? { next: String(start + 2) } : {}) };
}

function describeRg(s: FakeSnapshot): Snapshot {
  return {
    SnapshotName: s.name,
    ReplicationGroupId: s.target,
    SnapshotStatus: s.status,
    SnapshotSource: 'manual',
    NodeSnapshots: [{ NodeGroupId: '0001', SnapshotCreateTime: s.createdAt }],
  };
}

function install(): void {
  tagging
    .on(GetResourcesCommand)
    .callsFake((i: { TagFilters: { Key: string; Values: string[] }[]; ResourceTypeFilters?: string[]; PaginationToken?: string }) => {
      maybeFail('GetResources', i);
      if (i.ResourceTypeFilters?.includes('elasticache:replicationgroup')) {
        const tagged = caches
          .filter((c) => Object.keys(c.tags).length > 0)
          .map((c) => ({
            ResourceARN: `arn:aws:elasticache:eu-west-1:111122223333:${c.kind === 'replication-group' ? 'replicationgroup' : 'serverlesscache'}:${c.id}`,
            Tags: Object.entries(c.tags).map(([Key, Value]) => ({ Key, Value })),
          }));
        const { page, next } = pageOf(tagged, i.PaginationToken);
        return { ResourceTagMappingList: page, PaginationToken: next ?? '' };
      }
      const list = [...snapshots.values()]
        .filter((s) => i.TagFilters.every((f) => f.Values.includes(s.tags[f.Key] ?? '\u0000')))
        .map((s) => ({
          ResourceARN: `arn:aws:elasticache:eu-west-1:111122223333:${ARN_TYPE[s.kind]}:${s.name}`,
          Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
        }));
      return { ResourceTagMappingList: list };
    });
  ec.on(DescribeSnapshotsCommand).callsFake((i: { ReplicationGroupId?: string; Marker?: string }) => {
    maybeFail('DescribeSnapshots', i);
    const list = [...snapshots.values()].filter((s) => s.kind === 'replication-group' && s.target === i.ReplicationGroupId);
    const { page, next } = pageOf(list, i.Marker);
    return { Snapshots: page.map(describeRg), Marker: next };
  });
  ec.on(DescribeServerlessCacheSnapshotsCommand).callsFake((i: { ServerlessCacheName?: string; NextToken?: string }) => {
    maybeFail('DescribeServerlessCacheSnapshots', i);
    const list = [...snapshots.values()].filter((s) => s.kind === 'serverless-cache' && s.target === i.ServerlessCacheName);
    const { page, next } = pageOf(list, i.NextToken);
    return {
      ServerlessCacheSnapshots: page.map((s) => ({ ServerlessCacheSnapshotName: s.name, Status: s.status, CreateTime: s.createdAt })),
      NextToken: next,
    };
  });
  ec.on(DescribeReplicationGroupsCommand).callsFake((i: { Marker?: string }) => {
    maybeFail('DescribeReplicationGroups', i);
    const { page, next } = pageOf(
      caches.filter((c) => c.kind === 'replication-group'),
      i.Marker,
    );
    return {
      ReplicationGroups: page.map((c) => ({
        ReplicationGroupId: c.id,
        Engine: c.engine ?? 'redis',
        CacheNodeType: c.nodeType ?? 'cache.r7g.large',
        DataTiering: c.dataTiering ? 'enabled' : 'disabled',
        ClusterEnabled: false,
      })),
      Marker: next,
    };
  });
  ec.on(DescribeServerlessCachesCommand).callsFake((i: { NextToken?: string }) => {
    maybeFail('DescribeServerlessCaches', i);
    const { page, next } = pageOf(
      caches.filter((c) => c.kind === 'serverless-cache'),
      i.NextToken,
    );
    return { ServerlessCaches: page.map((c) => ({ ServerlessCacheName: c.id, Engine: c.engine ?? 'valkey' })), NextToken: next };
  });
  s3.on(ListObjectsV2Command).callsFake((i: { Bucket: string; Prefix?: string; ContinuationToken?: string }) => {
    maybeFail('ListObjectsV2', i);
    expect(i.Bucket).toBe(BUCKET);
    const keys = [...objects.keys()].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
    const { page, next } = pageOf(keys, i.ContinuationToken);
    return { Contents: page.map((Key) => ({ Key, Size: 1024 })), IsTruncated: next !== undefined, NextContinuationToken: next };
  });
  s3.on(GetObjectTaggingCommand).callsFake((i: { Key: string }) => {
    maybeFail('GetObjectTagging', i);
    const tags = objects.get(i.Key);
    if (!tags) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta });
    return { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
  });
  // Each verdict tag here is the verifier's, its verdict object written with it.
  serveVerdictsOfTags(s3, (k) => objects.get(k));
}

beforeEach(() => {
  ec.reset();
  tagging.reset();
  s3.reset();
  sfn.reset();
  snapshots = new Map();
  caches = [];
  objects = new Map();
  executions = [];
  faults = [];
  const base = fakeDeps(NOW);
  deps = {
    ...base,
    drillHistory: async () => {
      if (faults.some((f) => f.command === 'drillHistory')) throw faults.find((f) => f.command === 'drillHistory')!.error;
      return executions;
    },
  };
  metrics = base.metrics;
  install();
});

type PlanInput = FreshnessInput['plans'][number];

/** A target selection of explicit replication group ids. */
function ids(...replicationGroupIds: string[]): PlanInput['targets'] {
  return { replicationGroupIds, serverlessCacheNames: [], selectByTags: {} };
}

function plan(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    plan: 'sessions',
    targets: ids('rg-a', 'rg-b'),
    exports: true,
    drills: false,
    ...overrides,
  };
}

function input(overrides: Partial<FreshnessInput> = {}): FreshnessInput {
  return { deployment: 'prod', where: 'primary', plans: [plan()], budgetSeconds: 60, ...overrides };
}

/** Points as `metric plan/target` → seconds. */
function points(r: FreshnessReport): Record<string, number> {
  return Object.fromEntries(r.points.map((p) => [`${p.metric} ${p.plan}/${p.target}`, p.seconds]));
}

/** The run emitted nothing and recorded exactly this one gap. */
function expectOnlyGap(r: FreshnessReport, target: string, metric: string, why: string): void {
  expect(r.points).toEqual([]);
  expect(metrics.points).toEqual([]);
  expect(r.gaps).toEqual([{ plan: 'sessions', target, metric, why }]);
}

async function runFailed(i: FreshnessInput): Promise<FreshnessRunFailedError> {
  const err = await runFreshness(i, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FreshnessRunFailedError);
  return err as FreshnessRunFailedError;
}

// ---------------------------------------------------------------------------

describe('freshness (primary): recovery point and exported copy ages', () => {
  it('computes each target’s ages exactly from its newest snapshot and its newest exported one', async () => {
    addSnapshot('rdr-rg-a-20261121-0900');
    addSnapshot('rdr-rg-a-20261121-0300', { tags: { 'redis-dr:exported': '2026-11-21T04:10:00.000Z' } });
    addSnapshot('rdr-rg-b-20261120-1000', { tags: { 'redis-dr:exported': '2026-11-20T11:00:00.000Z' } });

    const r = await runFreshness(input(), deps);

    expect(points(r)).toEqual({
      // 10:00:00 − 09:00:42 (fresh)
      'RecoveryPointAgeSeconds sessions/rg-a': 3_558,
      // 10:00:00 − 03:00:42
      'ExportedCopyAgeSeconds sessions/rg-a': 25_158,
      // a day old (stale): 10:00:00 − 10:00:42 the day before
      'RecoveryPointAgeSeconds sessions/rg-b': 86_358,
      'ExportedCopyAgeSeconds sessions/rg-b': 86_358,
    });
    expect(metrics.points).toContainEqual({
      name: 'RecoveryPointAgeSeconds',
      value: 3_558,
      unit: 'Seconds',
      dimensions: { Plan: 'sessions', Target: 'rg-a' },
    });
    // Exactly {Plan, Target} per target, and {Plan} for the worst of the plan (what alarms watch).
    expect(metrics.points.every((p) => ['Plan,Target', 'Plan'].includes(Object.keys(p.dimensions).sort().join()))).toBe(true);
    expect(r.planPoints).toEqual([
      { plan: 'sessions', metric: 'ExportedCopyAgeSeconds', seconds: 86_358 },
      { plan: 'sessions', metric: 'RecoveryPointAgeSeconds', seconds: 86_358 },
    ]);
    expect(metrics.sum('RecoveryPointAgeSeconds', { Plan: 'sessions' })).toBe(86_358);
    // Each point names the snapshot it measured.
    expect(r.points.filter((p) => p.target === 'rg-a').map((p) => [p.metric, p.recoveryPoint])).toEqual([
      ['ExportedCopyAgeSeconds', 'rdr-rg-a-20261121-0300'],
      ['RecoveryPointAgeSeconds', 'rdr-rg-a-20261121-0900'],
    ]);
    expect(r.gaps).toEqual([]);
    expect(r.failed).toEqual([]);
  });

  it('emits no plan-level age when a target of the plan has nothing (missing data pages)', async () => {
    addSnapshot('rdr-rg-a-20261121-0900');
    const r = await runFreshness(input({ plans: [plan({ exports: false, targets: ids('rg-a', 'rg-b') })] }), deps);
    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(r.planPoints).toEqual([]);
    expect(metrics.points.filter((p) => Object.keys(p.dimensions).join() === 'Plan')).toEqual([]);
  });

  it('emits no exported-copy age when the plan does not export', async () => {
    addSnapshot('rdr-rg-a-20261121-0900', { tags: { 'redis-dr:exported': '2026-11-21T09:10:00.000Z' } });
    const r = await runFreshness(input({ plans: [plan({ exports: false, targets: ids('rg-a') })] }), deps);
    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
  });

  it('ignores other plans’, other deployments’, unmanaged, failed and creating snapshots', async () => {
    addSnapshot('rdr-rg-a-20261121-0955', { status: 'creating' });
    addSnapshot('rdr-rg-a-20261121-0950', { status: 'failed', tags: { 'redis-dr:exported': 'x' } });
    addSnapshot('rdr-rg-a-20261121-0945', { tags: { 'redis-dr:plan': 'queues', 'redis-dr:exported': 'x' } });
    addSnapshot('rdr-rg-a-20261121-0940', { tags: null });
    addSnapshot('rdr-rg-a-20261121-0935', { tags: { 'redis-dr:deployment': 'staging' } });
    addSnapshot('rdr-rg-a-20261121-0800');

    const r = await runFreshness(input({ plans: [plan({ targets: ids('rg-a') })] }), deps);

    // 10:00:00 − 08:00:42; nothing of this plan is exported.
    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 7_158 });
    expect(r.gaps).toEqual([
      { plan: 'sessions', target: 'rg-a', metric: 'ExportedCopyAgeSeconds', why: 'no snapshot of plan sessions marked redis-dr:exported' },
    ]);
  });

  it('emits no data point for a target without any snapshot, and logs a warning', async () => {
    addSnapshot('rdr-rg-a-20261121-0900');

    const r = await runFreshness(input({ plans: [plan({ exports: false })] }), deps);

    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(metrics.points.filter((p) => p.dimensions.Target === 'rg-b')).toEqual([]);
    expect(r.gaps).toEqual([{ plan: 'sessions', target: 'rg-b', metric: 'RecoveryPointAgeSeconds', why: 'no available snapshot of plan sessions' }]);
    expect(deps.log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ target: 'rg-b', metric: 'RecoveryPointAgeSeconds' }) }),
    );
  });

  it('reads every DescribeSnapshots page (the newest snapshot on the last one)', async () => {
    for (const hhmm of ['0100', '0200', '0300', '0400', '0930']) addSnapshot(`rdr-rg-a-20261121-${hhmm}`);

    const r = await runFreshness(input({ plans: [plan({ exports: false, targets: ids('rg-a') })] }), deps);

    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 1_758 });
    expect(ec).toHaveReceivedCommandTimes(DescribeSnapshotsCommand, 3);
  });

  it('measures serverless caches too', async () => {
    addSnapshot('rdr-sc-a-20261121-0930', { kind: 'serverless-cache' });
    const r = await runFreshness(
      input({ plans: [plan({ exports: false, targets: { replicationGroupIds: [], serverlessCacheNames: ['sc-a'], selectByTags: {} } })] }),
      deps,
    );
    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/sc-a': 1_758 });
  });

  it('keeps measuring after one target fails, then throws naming it', async () => {
    addSnapshot('rdr-rg-a-20261121-0900');
    addSnapshot('rdr-rg-b-20261121-0900');
    fail('DescribeSnapshots', awsError('AccessDeniedException', 'not allowed'), (i) => i.ReplicationGroupId === 'rg-b');

    const err = await runFailed(input({ plans: [plan({ exports: false })] }));

    expect(err.message).toContain('rg-b');
    expect(err.message).toContain('AccessDeniedException: not allowed');
    expect(points(err.report)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(metrics.sum('RecoveryPointAgeSeconds', { Plan: 'sessions', Target: 'rg-a' })).toBe(3_558);
    expect(err.report.failed).toEqual([{ plan: 'sessions', target: 'rg-b', error: 'AccessDeniedException: not allowed' }]);
  });

  it('retries a throttled page within the budget', async () => {
    addSnapshot('rdr-rg-a-20261121-0900');
    let throttled = 1;
    faults.push({
      command: 'DescribeSnapshots',
      match: () => throttled-- > 0,
      error: awsError('Throttling', 'Rate exceeded'),
    });
    const r = await runFreshness(input({ plans: [plan({ exports: false, targets: ids('rg-a') })] }), deps);
    // Measured at the start of the run, whatever the retry waited.
    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(deps.clock.sleeps).toHaveLength(1);
  });
});

describe('freshness (dr): verified copy ages', () => {
  const dr = (overrides: Partial<FreshnessInput> = {}) => input({ where: 'dr', bucket: BUCKET, plans: [plan({ targets: ids('rg-a') })], ...overrides });

  it('measures the newest complete, verified export from its redis-dr:created tag, over paginated listings', async () => {
    addExport('rdr-rg-a-20261121-0600', { of: 3, created: '2026-11-21T06:00:42.000Z' });
    addExport('rdr-rg-a-20261120-0600', { of: 3, created: '2026-11-20T06:00:42.000Z' });

    const r = await runFreshness(dr(), deps);

    expect(points(r)).toEqual({ 'VerifiedCopyAgeSeconds sessions/rg-a': 14_358 });
    // Six keys, two per page.
    expect(s3).toHaveReceivedCommandTimes(ListObjectsV2Command, 3);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input.Prefix).toBe('rdr-rg-a-');
    // The newest export was usable: the older one's tags were never read.
    expect(s3).toHaveReceivedCommandTimes(GetObjectTaggingCommand, 3);
  });

  it('names the export it measured, and leaves its listings and tags with a caller that passes its own (status reads them)', async () => {
    addExport('rdr-rg-a-20261121-0900', { verified: null });
    addExport('rdr-rg-a-20261121-0600', { created: '2026-11-21T06:00:42.000Z' });
    const reads = { listings: new Map<string, Promise<string[]>>(), objectTags: new Map<string, Promise<Record<string, string>>>() };

    const r = await runFreshness(dr(), deps, reads);

    expect(r.points.map((p) => [p.metric, p.recoveryPoint])).toEqual([['VerifiedCopyAgeSeconds', 'rdr-rg-a-20261121-0600']]);
    expect([...reads.listings.keys()]).toEqual(['rdr-rg-a-']);
    expect(await reads.listings.get('rdr-rg-a-')).toEqual(['rdr-rg-a-20261121-0600-0001.rdb', 'rdr-rg-a-20261121-0900-0001.rdb']);
    expect([...reads.objectTags.keys()].sort()).toEqual(['rdr-rg-a-20261121-0600-0001.rdb', 'rdr-rg-a-20261121-0900-0001.rdb']);
  });

  it.each([
    ['without verification tags', { verified: null }],
    ['with a shard missing', { of: 3, shards: [1, 3] }],
    ['verified corrupt', { verified: 'corrupt' as const }],
  ])('does not count a newer export %s', async (_, newer) => {
    addExport('rdr-rg-a-20261121-0900', { created: '2026-11-21T09:00:42.000Z', ...newer });
    addExport('rdr-rg-a-20261121-0600', { created: '2026-11-21T06:00:42.000Z' });

    const r = await runFreshness(dr(), deps);

    expect(points(r)).toEqual({ 'VerifiedCopyAgeSeconds sessions/rg-a': 14_358 });
  });

  it('emits no data point when no export is verified, and says why', async () => {
    addExport('rdr-rg-a-20261121-0900', { verified: null });

    const r = await runFreshness(dr(), deps);

    const why = 'none of 1 export(s) verified and complete; newest: unverified: rdr-rg-a-20261121-0900-0001.rdb not verified yet';
    expectOnlyGap(r, 'rg-a', 'VerifiedCopyAgeSeconds', why);
  });

  it('emits no data point for a named target without exports', async () => {
    const r = await runFreshness(dr(), deps);
    expectOnlyGap(r, 'rg-a', 'VerifiedCopyAgeSeconds', `no exports in s3://${BUCKET}`);
  });

  it('finds a tag-selected plan’s targets from the objects’ plan tag, and leaves other plans’ targets alone', async () => {
    addExport('rdr-rg-x-20261121-0600', { plan: 'sessions' });
    addExport('rdr-rg-y-20261121-0900', { plan: 'queues', created: '2026-11-21T09:00:42.000Z' });
    // Replicated before the export Lambda tagged it: says nothing about ownership.
    objects.set('rdr-rg-z-20261121-0900-0001.rdb', {});
    addExport('rdr-rg-z-20261121-0600', { plan: 'sessions', created: '2026-11-21T06:30:42.000Z' });

    const r = await runFreshness(
      dr({
        plans: [
          plan({ targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: { team: 'web' } } }),
          plan({ plan: 'queues', targets: ids('rg-y') }),
        ],
      }),
      deps,
    );

    expect(points(r)).toEqual({
      'VerifiedCopyAgeSeconds sessions/rg-x': 14_358,
      'VerifiedCopyAgeSeconds sessions/rg-z': 12_558,
      'VerifiedCopyAgeSeconds queues/rg-y': 3_558,
    });
    expect(r.gaps).toEqual([]);
    // No Tagging API in the DR region for the primary's caches.
    expect(tagging).not.toHaveReceivedCommand(GetResourcesCommand);
  });

  it('fails the plan’s targets when the bucket cannot be listed, and throws', async () => {
    fail('ListObjectsV2', awsError('AccessDenied', 'no list'));
    const err = await runFailed(dr());
    expect(err.report.failed).toEqual([{ plan: 'sessions', target: 'rg-a', metric: 'VerifiedCopyAgeSeconds', error: 'AccessDenied: no list' }]);
  });

  it('fails one target whose tags cannot be read and still measures the others', async () => {
    addExport('rdr-rg-a-20261121-0600');
    addExport('rdr-rg-b-20261121-0600');
    fail('GetObjectTagging', awsError('AccessDenied', 'no tags'), (i) => String(i.Key).startsWith('rdr-rg-b-'));

    const err = await runFailed(dr({ plans: [plan({ targets: ids('rg-a', 'rg-b') })] }));

    expect(points(err.report)).toEqual({ 'VerifiedCopyAgeSeconds sessions/rg-a': 14_358 });
    expect(err.message).toContain('rg-b (VerifiedCopyAgeSeconds: AccessDenied: no tags)');
  });
});

describe('freshness: last successful drill', () => {
  const drills = (overrides: Partial<FreshnessInput> = {}) =>
    input({
      drillStateMachineArn: DRILL_ARN,
      plans: [plan({ exports: false, drills: true, targets: ids() })],
      ...overrides,
    });
  const sessions = { plan: 'sessions', deployment: 'prod' };

  it('measures the plan’s newest succeeded drill over all targets and per target; other plans’ drills are ignored', async () => {
    addDrill('2026-11-21T06:00:00Z', sessions, 'rg-b');
    addDrill('2026-11-21T09:30:00Z', { plan: 'queues', deployment: 'prod' }, 'rg-q');
    addDrill('2026-11-21T09:45:00Z', { plan: 'sessions', deployment: 'staging' }, 'rg-a');
    addDrill('2026-11-21T08:00:00Z', sessions, 'rg-a');
    addDrill('2026-11-20T08:00:00Z', sessions, 'rg-a');

    const r = await runFreshness(drills(), deps);

    expect(points(r)).toEqual({
      'LastSuccessfulDrillAgeSeconds sessions/all': 7_200,
      'LastSuccessfulDrillAgeSeconds sessions/rg-a': 7_200,
      'LastSuccessfulDrillAgeSeconds sessions/rg-b': 14_400,
    });
  });

  it('emits no data point for a plan without a succeeded drill', async () => {
    addDrill('2026-11-21T09:30:00Z', { plan: 'queues', deployment: 'prod' }, 'rg-q');
    const r = await runFreshness(drills(), deps);
    expectOnlyGap(r, 'all', 'LastSuccessfulDrillAgeSeconds', 'no succeeded drill of plan sessions among the last 50 succeeded executions');
  });

  it('does not look at drills without a state machine here', async () => {
    const r = await runFreshness(drills({ drillStateMachineArn: undefined }), deps);
    expect(r).toEqual({ where: 'primary', points: [], planPoints: [], gaps: [], failed: [] });
  });

  it('reads the history through the Step Functions adapter (paginated) in the handler’s deps shape', async () => {
    const client = new SFNClient({ region: 'eu-west-1' });
    const stops = ['2026-11-21T09:00:00Z', '2026-11-21T08:00:00Z', '2026-11-21T07:00:00Z'];
    sfn.on(ListExecutionsCommand).callsFake((i: { nextToken?: string }) => {
      const { page, next } = pageOf(stops, i.nextToken);
      return {
        executions: page.map((s) => ({
          executionArn: `exec-${s}`,
          stateMachineArn: DRILL_ARN,
          name: s,
          status: 'SUCCEEDED' as const,
          startDate: new Date(s),
          stopDate: new Date(s),
        })),
        nextToken: next,
      };
    });
    sfn.on(DescribeExecutionCommand).callsFake((i: { executionArn: string }) => {
      const s = i.executionArn.slice('exec-'.length);
      const input = s.startsWith('2026-11-21T07') ? sessions : { plan: 'queues', deployment: 'prod' };
      return { executionArn: i.executionArn, stopDate: new Date(s), status: 'SUCCEEDED', input: JSON.stringify(input), output: '{}' };
    });
    deps = { ...deps, drillHistory: (arn, wrap) => listSucceededDrills(client, arn, { limit: 50, concurrency: 2, wrap }) };

    const r = await runFreshness(drills(), deps);

    // The execution without a target in its output counts for the plan only.
    expect(points(r)).toEqual({ 'LastSuccessfulDrillAgeSeconds sessions/all': 10_800 });
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 2);
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: DRILL_ARN, statusFilter: 'SUCCEEDED' });
  });

  it('fails the drill age when the history cannot be read, after emitting the other ages', async () => {
    addSnapshot('rdr-rg-a-20261121-0900');
    fail('drillHistory', awsError('AccessDeniedException', 'no history'));

    const err = await runFailed(drills({ plans: [plan({ exports: false, drills: true, targets: ids('rg-a') })] }));

    expect(points(err.report)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(err.report.failed).toEqual([
      { plan: 'sessions', target: 'all', metric: 'LastSuccessfulDrillAgeSeconds', error: 'AccessDeniedException: no history' },
    ]);
    expect(err.message).toBe('plan sessions: freshness failed for 1 target(s): all (LastSuccessfulDrillAgeSeconds: AccessDeniedException: no history)');
  });
});

describe('freshness: grace after a deploy (ages of points not there yet count from the state machine’s creation)', () => {
  const VERIFY_ARN = 'arn:aws:states:eu-central-1:111122223333:stateMachine:redis-dr-prod-verify-rdb';
  const client = new SFNClient({ region: 'eu-central-1' });
  /** The state machines and their creation dates, answered by DescribeStateMachine. */
  let created: Map<string, Date>;
  const hoursBefore = (h: number) => new Date(NOW - h * 3_600_000);
  // Alarm limits (the alarms fire at >= limit): RPO 210 min + 120 min for copies; a weekly drill + 4 h.
  const copyLimit = (210 + 120) * 60;
  const drillLimit = (7 * 24 + 4) * 3600;

  beforeEach(() => {
    created = new Map();
    sfn.on(DescribeStateMachineCommand).callsFake((i: { stateMachineArn: string }) => {
      maybeFail('DescribeStateMachine', i);
      const at = created.get(i.stateMachineArn);
      if (!at) throw new StateMachineDoesNotExist({ message: `State Machine Does Not Exist: '${i.stateMachineArn}'`, ...meta });
      return { stateMachineArn: i.stateMachineArn, name: 'x', definition: '{}', roleArn: 'r', type: 'STANDARD', creationDate: at };
    });
    deps = { ...deps, protectionStart: (arn, wrap) => stateMachineCreatedAt(client, arn, wrap) };
  });

  const dr = (overrides: Partial<FreshnessInput> = {}) =>
    input({ where: 'dr', bucket: BUCKET, verifyStateMachineArn: VERIFY_ARN, plans: [plan({ targets: ids('rg-a', 'rg-b') })], ...overrides });
  const drills = (overrides: Partial<FreshnessInput> = {}) =>
    input({ drillStateMachineArn: DRILL_ARN, plans: [plan({ exports: false, drills: true, targets: ids() })], ...overrides });

  it('dr, before the first copy is due: targets without a copy are measured from the verify state machine’s creation, under the limit', async () => {
    created.set(VERIFY_ARN, hoursBefore(1));

    const r = await runFreshness(dr(), deps);

    expect(points(r)).toEqual({ 'VerifiedCopyAgeSeconds sessions/rg-a': 3_600, 'VerifiedCopyAgeSeconds sessions/rg-b': 3_600 });
    expect(r.points.every((p) => p.sinceProtectionStart === true && p.recoveryPoint === undefined)).toBe(true);
    expect(r.gaps).toEqual([]);
    // The plan-level point the alarm watches exists from the first run, below the limit: OK, no page.
    expect(r.planPoints).toEqual([{ plan: 'sessions', metric: 'VerifiedCopyAgeSeconds', seconds: 3_600 }]);
    expect(metrics.sum('VerifiedCopyAgeSeconds', { Plan: 'sessions' })).toBeLessThan(copyLimit);
    // Read once per run, whatever the number of targets.
    expect(sfn).toHaveReceivedCommandTimes(DescribeStateMachineCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(DescribeStateMachineCommand, { stateMachineArn: VERIFY_ARN });
  });

  it('dr, once the first copy is overdue and none came: at or past the limit (the page)', async () => {
    created.set(VERIFY_ARN, hoursBefore(6));
    const r = await runFreshness(dr(), deps);
    expect(r.planPoints).toEqual([{ plan: 'sessions', metric: 'VerifiedCopyAgeSeconds', seconds: 21_600 }]);
    expect(r.planPoints[0]!.seconds).toBeGreaterThanOrEqual(copyLimit);
  });

  it('dr, with a verified copy: its real age; the target without one still counts from the start; the worst is the plan’s', async () => {
    created.set(VERIFY_ARN, hoursBefore(1));
    addExport('rdr-rg-a-20261121-0600', { created: '2026-11-21T06:00:42.000Z' });

    const r = await runFreshness(dr(), deps);

    expect(points(r)).toEqual({ 'VerifiedCopyAgeSeconds sessions/rg-a': 14_358, 'VerifiedCopyAgeSeconds sessions/rg-b': 3_600 });
    expect(r.points.find((p) => p.target === 'rg-a')).toMatchObject({ recoveryPoint: 'rdr-rg-a-20261121-0600' });
    expect(r.points.find((p) => p.target === 'rg-a')!.sinceProtectionStart).toBeUndefined();
    expect(r.planPoints).toEqual([{ plan: 'sessions', metric: 'VerifiedCopyAgeSeconds', seconds: 14_358 }]);
  });

  it('dr, an export not verified yet is a target with no point: measured from the start', async () => {
    created.set(VERIFY_ARN, hoursBefore(2));
    addExport('rdr-rg-a-20261121-0900', { verified: null });
    const r = await runFreshness(dr({ plans: [plan({ targets: ids('rg-a') })] }), deps);
    expect(points(r)).toEqual({ 'VerifiedCopyAgeSeconds sessions/rg-a': 7_200 });
  });

  it('dr, a tag-selected plan with nothing in the bucket yet: the plan as a whole (target all) from the start', async () => {
    created.set(VERIFY_ARN, hoursBefore(1));
    addExport('rdr-rg-y-20261121-0900', { plan: 'queues', created: '2026-11-21T09:00:42.000Z' });

    const r = await runFreshness(
      dr({ plans: [plan({ targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: { team: 'web' } } })] }),
      deps,
    );

    expect(points(r)).toEqual({ 'VerifiedCopyAgeSeconds sessions/all': 3_600 });
    expect(r.planPoints).toEqual([{ plan: 'sessions', metric: 'VerifiedCopyAgeSeconds', seconds: 3_600 }]);
  });

  it('dr, a plan of the caches without a tag: measured as a whole like a tag-selected one, its copies listed under every rdr- name', async () => {
    created.set(VERIFY_ARN, hoursBefore(1));
    addExport('rdr-rg-y-20261121-0900', { plan: 'queues', created: '2026-11-21T09:00:42.000Z' });
    const untagged = { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: {}, selectWithoutTag: 'redis-dr:tier' };
    const r = await runFreshness(dr({ plans: [plan({ targets: untagged })] }), deps);
    expect(points(r)).toEqual({ 'VerifiedCopyAgeSeconds sessions/all': 3_600 });
  });

  it('drills, before the first drill is due: the plan’s drill age counts from the drill state machine’s creation, under the limit', async () => {
    created.set(DRILL_ARN, hoursBefore(48));

    const r = await runFreshness(drills(), deps);

    expect(points(r)).toEqual({ 'LastSuccessfulDrillAgeSeconds sessions/all': 172_800 });
    expect(r.planPoints).toEqual([{ plan: 'sessions', metric: 'LastSuccessfulDrillAgeSeconds', seconds: 172_800 }]);
    expect(r.planPoints[0]!.seconds).toBeLessThan(drillLimit);
  });

  it('drills, a week and more with no succeeded drill: past the limit (the page)', async () => {
    created.set(DRILL_ARN, hoursBefore(7 * 24 + 5));
    const r = await runFreshness(drills(), deps);
    expect(r.planPoints[0]!.seconds).toBeGreaterThanOrEqual(drillLimit);
  });

  it('drills, with a succeeded drill: its real age, and the start is not read', async () => {
    created.set(DRILL_ARN, hoursBefore(1));
    addDrill('2026-11-14T08:00:00Z', { plan: 'sessions', deployment: 'prod' });
    const r = await runFreshness(drills(), deps);
    expect(points(r)).toEqual({ 'LastSuccessfulDrillAgeSeconds sessions/all': 7 * 86_400 + 7_200 });
    expect(sfn).not.toHaveReceivedCommand(DescribeStateMachineCommand);
  });

  it('a state machine that does not exist: no data point (missing data pages), and says why', async () => {
    const r = await runFreshness(drills(), deps);
    expectOnlyGap(
      r,
      'all',
      'LastSuccessfulDrillAgeSeconds',
      `no succeeded drill of plan sessions among the last 50 succeeded executions; ${DRILL_ARN} does not exist, so protection has no start`,
    );
  });

  it('a start that cannot be read: a failure (no data point) and the run throws', async () => {
    fail('DescribeStateMachine', awsError('AccessDeniedException', 'no describe'));
    const err = await runFailed(dr({ plans: [plan({ targets: ids('rg-a') })] }));
    expect(err.report.points).toEqual([]);
    expect(err.report.planPoints).toEqual([]);
    expect(err.report.failed).toEqual([{ plan: 'sessions', target: 'rg-a', metric: 'VerifiedCopyAgeSeconds', error: 'AccessDeniedException: no describe' }]);
  });

  it('without a way to read the start (redis-dr status): no data point, as before', async () => {
    created.set(VERIFY_ARN, hoursBefore(1));
    const { protectionStart: _unused, ...withoutStart } = deps;
    const r = await runFreshness(dr({ plans: [plan({ targets: ids('rg-a') })] }), withoutStart as FreshnessDeps);
    expectOnlyGap(r, 'rg-a', 'VerifiedCopyAgeSeconds', `no exports in s3://${BUCKET}`);
  });
});

describe('freshness: grace after a deploy, primary (snapshots count from the first one the schedule fires after the schedule group was created)', () => {
  const GROUP_ARN = 'arn:aws:scheduler:eu-west-1:111122223333:schedule-group/redis-dr-prod';
  const scheduler = mockClient(SchedulerClient);
  const client = new SchedulerClient({ region: 'eu-west-1' });
  // Every 3 hours on the hour; the alarm's limit is the RPO, 210 minutes.
  const everyThreeHours = { cron: 'cron(0 0/3 * * ? *)', timeZone: 'UTC' };
  const rpoLimit = 210 * 60;
  let groupCreated: Date | undefined;

  beforeEach(() => {
    scheduler.reset();
    groupCreated = undefined;
    scheduler.on(GetScheduleGroupCommand).callsFake((i: { Name: string }) => {
      if (!groupCreated)
        throw new ResourceNotFoundException({
          message: `Schedule group ${i.Name} does not exist.`,
          Message: `Schedule group ${i.Name} does not exist.`,
          $metadata: {},
        });
      return { Name: i.Name, Arn: GROUP_ARN, State: 'ACTIVE', CreationDate: groupCreated };
    });
    deps = { ...deps, protectionStart: (arn, wrap) => scheduleGroupCreatedAt(client, arn, wrap) };
  });

  const primary = () => input({ scheduleGroupArn: GROUP_ARN, plans: [plan({ targets: ids('rg-a'), snapshotSchedule: everyThreeHours })] });

  it('before the first snapshot is due: 0 until the schedule first fires, then its age, under the limit; exports the same', async () => {
    // Deployed 08:10; the schedule first fires at 09:00; now is 10:00.
    groupCreated = new Date('2026-11-21T08:10:00Z');
    const r = await runFreshness(primary(), deps);
    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_600, 'ExportedCopyAgeSeconds sessions/rg-a': 3_600 });
    expect(r.points.every((p) => p.sinceProtectionStart === true)).toBe(true);
    expect(r.points[0]!.seconds).toBeLessThan(rpoLimit);
    // Deployed 09:50: the first snapshot is at 12:00, still ahead; the age is 0, never negative.
    groupCreated = new Date('2026-11-21T09:50:00Z');
    const early = await runFreshness(primary(), deps);
    expect(points(early)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 0, 'ExportedCopyAgeSeconds sessions/rg-a': 0 });
    expect(scheduler).toHaveReceivedCommandWith(GetScheduleGroupCommand, { Name: 'redis-dr-prod' });
  });

  it('once the first snapshot is overdue and none came: at or past the limit (the page)', async () => {
    // Deployed 02:30; first fire 03:00; by 10:00 seven hours without a snapshot.
    groupCreated = new Date('2026-11-21T02:30:00Z');
    const r = await runFreshness(primary(), deps);
    expect(points(r)['RecoveryPointAgeSeconds sessions/rg-a']).toBe(7 * 3_600);
    expect(points(r)['RecoveryPointAgeSeconds sessions/rg-a']).toBeGreaterThanOrEqual(rpoLimit);
  });

  it('with a snapshot: its real age, however old, and the group is not read', async () => {
    groupCreated = new Date('2026-11-21T09:50:00Z');
    addSnapshot('rdr-rg-a-20261121-0900');
    const r = await runFreshness(
      input({ scheduleGroupArn: GROUP_ARN, plans: [plan({ exports: false, targets: ids('rg-a'), snapshotSchedule: everyThreeHours })] }),
      deps,
    );
    expect(points(r)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(scheduler).not.toHaveReceivedCommand(GetScheduleGroupCommand);
  });

  it('a schedule group that does not exist: no data point (missing data pages), and says why', async () => {
    const r = await runFreshness(
      input({ scheduleGroupArn: GROUP_ARN, plans: [plan({ exports: false, targets: ids('rg-a'), snapshotSchedule: everyThreeHours })] }),
      deps,
    );
    expectOnlyGap(r, 'rg-a', 'RecoveryPointAgeSeconds', `no available snapshot of plan sessions; ${GROUP_ARN} does not exist, so protection has no start`);
  });
});

describe('freshness: budget', () => {
  it('fails what it had no time left to measure', async () => {
    addSnapshot('rdr-rg-a-20261121-0900');
    addSnapshot('rdr-rg-b-20261121-0900');
    // Listing rg-a's snapshots takes the whole budget.
    ec.on(DescribeSnapshotsCommand).callsFake((i: { ReplicationGroupId?: string }) => {
      deps.clock.advance(61_000);
      return { Snapshots: [...snapshots.values()].filter((s) => s.target === i.ReplicationGroupId).map(describeRg) };
    });
    deps = { ...deps, concurrency: 1 };

    const err = await runFailed(input({ plans: [plan({ exports: false })] }));

    expect(points(err.report)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(err.report.failed).toEqual([{ plan: 'sessions', target: 'rg-b', error: 'out of time before it was measured' }]);
  });
});

describe('freshness: coverage (UnprotectedCaches)', () => {
  function addCaches(): void {
    caches = [
      { kind: 'replication-group', id: 'rg-a', tags: {} },
      { kind: 'replication-group', id: 'rg-b', tags: {} },
      { kind: 'replication-group', id: 'tagged', tags: { team: 'payments' } },
      { kind: 'replication-group', id: 'newcomer', tags: { team: 'search' } },
      { kind: 'replication-group', id: 'tiered', nodeType: 'cache.r6gd.xlarge', dataTiering: true, tags: {} },
      { kind: 'replication-group', id: 'rdr-drill-1', tags: { 'redis-dr:drill': 'run-1' } },
      { kind: 'serverless-cache', id: 'cart', tags: {} },
      { kind: 'serverless-cache', id: 'memo', engine: 'memcached', tags: {} },
    ];
  }

  it('counts the caches no plan names that could be protected, every page of every listing, with no dimensions', async () => {
    addCaches();
    addSnapshot('rdr-rg-a-20261121-0900');
    addSnapshot('rdr-rg-b-20261121-0900');
    const plans = [
      plan({ exports: false }),
      plan({ plan: 'tagged', exports: false, targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: { team: 'payments' } } }),
    ];
    const r = await runFreshness(input({ coverage: true, plans }), deps);

    expect(metrics.points.filter((p) => p.name === 'UnprotectedCaches')).toEqual([{ name: 'UnprotectedCaches', value: 2, unit: 'Count', dimensions: {} }]);
    expect(r.coverage!.map((c) => `${c.id}:${c.state}${c.plans.length ? `:${c.plans.join(',')}` : ''}`)).toEqual([
      'newcomer:unprotected',
      'rdr-drill-1:redis-dr',
      'rg-a:protected:sessions',
      'rg-b:protected:sessions',
      'tagged:protected:tagged',
      'tiered:unprotectable',
      'cart:unprotected',
      'memo:unprotectable',
    ]);
  });

  it('in the DR region no plan protects a cache: every one but the drill caches and the unprotectable counts', async () => {
    addCaches();
    const r = await runFreshness(input({ where: 'dr', coverage: true, plans: [plan({ exports: false })] }), deps);
    expect(metrics.sum('UnprotectedCaches', {})).toBe(5);
    expect(r.coverage!.filter((c) => c.state === 'protected')).toEqual([]);
  });

  it('all protected: 0, a data point all the same (the alarm clears)', async () => {
    caches = [{ kind: 'replication-group', id: 'rg-a', tags: {} }];
    addSnapshot('rdr-rg-a-20261121-0900');
    await runFreshness(input({ coverage: true, plans: [plan({ exports: false, targets: ids('rg-a') })] }), deps);
    expect(metrics.points.filter((p) => p.name === 'UnprotectedCaches').map((p) => p.value)).toEqual([0]);
  });

  it('without coverage in the input: no listing, no metric', async () => {
    addCaches();
    await runFreshness(input({ plans: [plan({ exports: false, targets: ids() })] }), deps);
    expect(ec).not.toHaveReceivedCommand(DescribeReplicationGroupsCommand);
    expect(metrics.points.filter((p) => p.name === 'UnprotectedCaches')).toEqual([]);
  });

  it('lists the caches once an hour: the scheduled tick in the first 5 minutes of the hour, not the other eleven', async () => {
    addCaches();
    const plans = [plan({ exports: false, targets: ids() })];
    await runFreshness(input({ coverage: true, plans, scheduledTime: '2026-11-21T10:05:00Z' }), deps);
    await runFreshness(input({ coverage: true, plans, scheduledTime: '2026-11-21T10:55:00Z' }), deps);
    expect(ec).not.toHaveReceivedCommand(DescribeReplicationGroupsCommand);
    expect(metrics.points.filter((p) => p.name === 'UnprotectedCaches')).toEqual([]);
    const r = await runFreshness(input({ coverage: true, plans, scheduledTime: '2026-11-21T11:00:00Z' }), deps);
    expect(ec).toHaveReceivedCommand(DescribeReplicationGroupsCommand);
    expect(r.coverage).toBeDefined();
    expect(metrics.points.filter((p) => p.name === 'UnprotectedCaches')).toHaveLength(1);
  });

  it('retries a throttled page of the listing (second page of replication groups) and counts every cache', async () => {
    addCaches();
    let throttled = 1;
    faults.push({ command: 'DescribeReplicationGroups', match: (i) => i.Marker === '2' && throttled-- > 0, error: awsError('Throttling', 'Rate exceeded') });
    await runFreshness(input({ coverage: true, plans: [plan({ exports: false, targets: ids() })] }), deps);
    // newcomer, rg-a, rg-b, tagged, cart: the second page (rg-a, rg-b) was not lost to the throttle.
    expect(metrics.sum('UnprotectedCaches', {})).toBe(5);
    expect(deps.clock.sleeps).toHaveLength(1);
  });

  it('a denied listing: no data point, the run fails naming the call, the other measurements stand', async () => {
    addCaches();
    addSnapshot('rdr-rg-a-20261121-0900');
    fail('DescribeServerlessCaches', awsError('AccessDeniedException', 'not authorized to perform: elasticache:DescribeServerlessCaches'));
    const err = await runFailed(input({ coverage: true, plans: [plan({ exports: false, targets: ids('rg-a') })] }));
    expect(metrics.points.filter((p) => p.name === 'UnprotectedCaches')).toEqual([]);
    expect(points(err.report)).toEqual({ 'RecoveryPointAgeSeconds sessions/rg-a': 3_558 });
    expect(err.report.failed).toEqual([{ plan: 'coverage', target: 'all', error: expect.stringMatching(/elasticache:DescribeServerlessCaches/) }]);
    expect(err.report.coverage).toBeUndefined();
  });
});
