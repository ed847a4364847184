import {
  AddTagsToResourceCommand,
  CopySnapshotCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ExportServerlessCacheSnapshotCommand,
  InvalidServerlessCacheSnapshotStateFault,
  InvalidSnapshotStateFault,
  ServerlessCacheSnapshotNotFoundFault,
  SnapshotAlreadyExistsFault,
  SnapshotNotFoundFault,
  type ServerlessCacheSnapshot,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_SETTLE_MS } from '../../../../lambdas/domain/dr-copies/export-plan.js';
import type { ExportRunInput } from '../../../../lambdas/domain/plans/plan-input.js';
import type { TargetKind, Tier } from '../../../../lambdas/domain/plans/types.js';
import { ExportRunFailedError, runExportPlan, type ExportRunReport } from '../../../../lambdas/jobs/dr-copies/export.js';
import { awsError, fakeDeps, type FakeClock, type MemoryMetrics } from '../../../support/fakes.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const s3 = mockClient(S3Client);

const NOW = Date.parse('2026-11-21T10:00:00Z');
const HOUR = 3_600_000;
const BUCKET = 'prod-redis-dr-export';
const meta = { $metadata: {} };

// ---------------------------------------------------------------------------
// A small in-memory account: ElastiCache snapshots with tags, and the export
// bucket's objects with tags. The mocks below answer from it the way the
// services do, so a test reads as a sequence of runs against one world.

interface FakeSnapshot {
  name: string;
  target: string;
  kind: TargetKind;
  status: string;
  tags: Record<string, string>;
  createdAt: Date;
  /** NumNodeGroups (replication groups). */
  shards: number;
  arn?: string;
}

interface FakeObject {
  tags: Record<string, string>;
  lastModified: Date;
}

interface Fault {
  command: string;
  match: (input: Record<string, unknown>) => boolean;
  error: Error;
  /** How many more calls fail; Infinity: every call. */
  times: number;
}

let snapshots: Map<string, FakeSnapshot>;
let objects: Map<string, FakeObject>;
let faults: Fault[];
/** Milliseconds each call of a command takes (advances the fake clock). */
let latency: Record<string, number>;
/** Exports the fake services accepted, in order. */
let exportsStarted: { snapshot: string; exportName: string }[];

let deps: ReturnType<typeof fakeDeps>;
let clock: FakeClock;
let metrics: MemoryMetrics;

const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'prod', 'redis-dr:plan': 'sessions' };

function input(overrides: Partial<ExportRunInput> = {}): ExportRunInput {
  return {
    deployment: 'prod',
    plan: 'sessions',
    targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
    minTier: 'daily',
    bucket: BUCKET,
    maxStartsPerRun: 10,
    budgetSeconds: 300,
    ...overrides,
  };
}

/** A snapshot of this plan as the snapshot Lambda leaves it; `tags: null` for an untagged one. */
function addSnapshot(
  name: string,
  options: {
    target?: string;
    kind?: TargetKind;
    tier?: Tier;
    status?: string;
    shards?: number;
    tags?: Record<string, string> | null;
    arn?: string | null;
  } = {},
): FakeSnapshot {
  const target = options.target ?? /^rdr-(.+)-\d{8}-\d{4}$/.exec(name)![1]!;
  const kind = options.kind ?? 'replication-group';
  const m = /-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$/.exec(name)!;
  const createdAt = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, 42));
  const type = kind === 'serverless-cache' ? 'serverlesscachesnapshot' : 'snapshot';
  const s: FakeSnapshot = {
    name,
    target,
    kind,
    status: options.status ?? 'available',
    tags: options.tags === null ? {} : { ...OURS, 'redis-dr:source': target, 'redis-dr:tier': options.tier ?? 'daily', ...options.tags },
    createdAt,
    shards: options.shards ?? 1,
    arn: options.arn === null ? undefined : (options.arn ?? `arn:aws:elasticache:eu-west-1:111122223333:${type}:${name}`),
  };
  snapshots.set(name, s);
  return s;
}

/** Objects of shards `shards` of export `exportName`, written `ageMs` ago (settled by default). */
function putObjects(exportName: string, shards: readonly number[], ageMs = HOUR, tags: Record<string, string> = {}): void {
  for (const shard of shards) {
    objects.set(`${exportName}-${String(shard).padStart(4, '0')}.rdb`, {
      tags: { ...tags },
      lastModified: new Date(clock.now() - ageMs),
    });
  }
}

/** The export ElastiCache was running finishes: every shard object lands, the snapshot is available again. */
function finishExport(snapshot: string, exportName = snapshot): void {
  const s = snapshots.get(snapshot)!;
  putObjects(
    exportName,
    Array.from({ length: s.shards }, (_, i) => i + 1),
    60_000,
  );
  s.status = 'available';
}

function fail(command: string, error: Error, options: { times?: number; match?: Fault['match'] } = {}): void {
  faults.push({ command, error, times: options.times ?? 1, match: options.match ?? (() => true) });
}

function maybeFail(command: string, i: Record<string, unknown>): void {
  clock.advance(latency[command] ?? 0);
  const f = faults.find((x) => x.command === command && x.times > 0 && x.match(i));
  if (!f) return;
  f.times--;
  throw f.error;
}

function describeRg(s: FakeSnapshot): Snapshot {
  return {
    SnapshotName: s.name,
    ReplicationGroupId: s.target,
    SnapshotStatus: s.status,
    SnapshotSource: 'manual',
    Engine: 'redis',
    EngineVersion: '7.1.0',
    NumNodeGroups: s.shards,
    ARN: s.arn,
    NodeSnapshots: Array.from({ length: s.shards }, (_, i) => ({
      NodeGroupId: String(i + 1).padStart(4, '0'),
      SnapshotCreateTime: s.createdAt,
      // A custom layout (not the even split): node groups of 2 shards own 0-99 and 100-16383.
      ...(s.shards === 2 ? { NodeGroupConfiguration: { NodeGroupId: String(i + 1).padStart(4, '0'), Slots: i === 0 ? '0-99' : '100-16383' } } : {}),
    })),
  };
}

function describeServerless(s: FakeSnapshot): ServerlessCacheSnapshot {
  return {
    ServerlessCacheSnapshotName: s.name,
    ARN: s.arn,
    SnapshotType: 'manual',
    Status: s.status,
    CreateTime: s.createdAt,
    ServerlessCacheConfiguration: { ServerlessCacheName: s.target, Engine: 'valkey', MajorEngineVersion: '8' },
  };
}

function install(): void {
  tagging.on(GetResourcesCommand).callsFake((i: { TagFilters: { Key: string; Values: string[] }[] }) => {
    maybeFail('GetResources', i);
    // The real API ANDs the filters; values within one filter are ORed.
    const list = [...snapshots.values()]
      .filter((s) => i.TagFilters.every((f) => f.Values.includes(s.tags[f.Key] ?? '\u0000')))
      .map((s) => ({
        ResourceARN: `arn:aws:elasticache:eu-west-1:111122223333:${s.kind === 'serverless-cache' ? 'serverlesscachesnapshot' : 'snapshot'}:${s.name}`,
        Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
      }));
    return { ResourceTagMappingList: list };
  });
  ec.on(DescribeSnapshotsCommand).callsFake((i: { ReplicationGroupId?: string; SnapshotName?: string }) => {
    maybeFail('DescribeSnapshots', i);
    if (i.SnapshotName) {
      const s = snapshots.get(i.SnapshotName);
      if (s?.kind !== 'replication-group') throw new SnapshotNotFoundFault({ message: `${i.SnapshotName} not found`, ...meta });
      return { Snapshots: [describeRg(s)] };
    }
    const list = [...snapshots.values()].filter((s) => s.kind === 'replication-group' && s.target === i.ReplicationGroupId);
    return { Snapshots: list.map(describeRg) };
  });
  ec.on(DescribeServerlessCacheSnapshotsCommand).callsFake((i: { ServerlessCacheName?: string; ServerlessCacheSnapshotName?: string }) => {
    maybeFail('DescribeServerlessCacheSnapshots', i);
    if (i.ServerlessCacheSnapshotName) {
      const s = snapshots.get(i.ServerlessCacheSnapshotName);
      if (s?.kind !== 'serverless-cache') throw new ServerlessCacheSnapshotNotFoundFault({ message: 'not found', ...meta });
      return { ServerlessCacheSnapshots: [describeServerless(s)] };
    }
    const list = [...snapshots.values()].filter((s) => s.kind === 'serverless-cache' && s.target === i.ServerlessCacheName);
    return { ServerlessCacheSnapshots: list.map(describeServerless) };
  });
  ec.on(CopySnapshotCommand).callsFake((i: { SourceSnapshotName: string; TargetSnapshotName: string; TargetBucket?: string }) => {
    maybeFail('CopySnapshot', i);
    const s = snapshots.get(i.SourceSnapshotName);
    if (!s) throw new SnapshotNotFoundFault({ message: 'not found', ...meta });
    if (s.status !== 'available') throw new InvalidSnapshotStateFault({ message: `snapshot is ${s.status}`, ...meta });
    // ElastiCache never overwrites an object (modelled as the name being taken).
    if ([...objects.keys()].some((k) => new RegExp(`^${i.TargetSnapshotName}-\\d{4}\\.rdb$`).test(k))) {
      throw new SnapshotAlreadyExistsFault({ message: `${i.TargetSnapshotName} exists in the bucket`, ...meta });
    }
    s.status = 'exporting';
    exportsStarted.push({ snapshot: s.name, exportName: i.TargetSnapshotName });
    return { Snapshot: describeRg(s) };
  });
  ec.on(ExportServerlessCacheSnapshotCommand).callsFake((i: { ServerlessCacheSnapshotName: string; S3BucketName: string }) => {
    maybeFail('ExportServerlessCacheSnapshot', i);
    const s = snapshots.get(i.ServerlessCacheSnapshotName)!;
    if (s.status !== 'available') throw new InvalidServerlessCacheSnapshotStateFault({ message: `snapshot is ${s.status}`, ...meta });
    s.status = 'exporting';
    exportsStarted.push({ snapshot: s.name, exportName: s.name });
    return { ServerlessCacheSnapshot: describeServerless(s) };
  });
  ec.on(AddTagsToResourceCommand).callsFake((i: { ResourceName: string; Tags: { Key: string; Value: string }[] }) => {
    maybeFail('AddTagsToResource', i);
    const s = [...snapshots.values()].find((x) => x.arn === i.ResourceName);
    if (!s) throw awsError('InvalidARNFault', `${i.ResourceName} is not a snapshot`);
    for (const t of i.Tags) s.tags[t.Key] = t.Value;
    return { TagList: [] };
  });

  s3.on(ListObjectsV2Command).callsFake((i: { Bucket: string; Prefix?: string; ContinuationToken?: string }) => {
    maybeFail('ListObjectsV2', i);
    expect(i.Bucket).toBe(BUCKET);
    const keys = [...objects.keys()].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
    // Two keys per page, so multi-shard listings really paginate.
    const start = Number(i.ContinuationToken ?? 0);
    const page = keys.slice(start, start + 2);
    const more = start + 2 < keys.length;
    return {
      Contents: page.map((Key) => ({ Key, Size: 1024, LastModified: objects.get(Key)!.lastModified })),
      IsTruncated: more,
      NextContinuationToken: more ? String(start + 2) : undefined,
    };
  });
  s3.on(GetObjectTaggingCommand).callsFake((i: { Key: string }) => {
    maybeFail('GetObjectTagging', i);
    const o = objects.get(i.Key);
    if (!o) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta });
    return { TagSet: Object.entries(o.tags).map(([Key, Value]) => ({ Key, Value })) };
  });
  s3.on(PutObjectTaggingCommand).callsFake((i: { Key: string; Tagging: { TagSet: { Key: string; Value: string }[] } }) => {
    maybeFail('PutObjectTagging', i);
    const o = objects.get(i.Key);
    if (!o) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta });
    if (i.Tagging.TagSet.length > 10) throw awsError('BadRequest', 'Object tags cannot be greater than 10');
    o.tags = Object.fromEntries(i.Tagging.TagSet.map((t) => [t.Key, t.Value]));
    return {};
  });
}

beforeEach(() => {
  ec.reset();
  tagging.reset();
  s3.reset();
  deps = fakeDeps(NOW);
  ({ clock, metrics } = deps);
  snapshots = new Map();
  objects = new Map();
  faults = [];
  latency = {};
  exportsStarted = [];
  install();
});

async function runFailed(i: ExportRunInput = input()): Promise<ExportRunFailedError> {
  const err = await runExportPlan(i, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExportRunFailedError);
  return err as ExportRunFailedError;
}

function counts(r: ExportRunReport): Record<string, number> {
  const { started, completed, inProgress, backlog, failed, skipped, waiting } = r;
  return { started, completed, inProgress, backlog, failed, skipped, waiting };
}

const NONE = { started: 0, completed: 0, inProgress: 0, backlog: 0, failed: 0, skipped: 0, waiting: 0 };

function nothingDeleted(): void {
  expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
}

// ---------------------------------------------------------------------------

describe('export handler: the life of one export', () => {
  it.each([1, 3])('exports a %i-shard replication group snapshot over four runs', async (shards) => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { shards, tier: 'weekly', tags: { 'redis-dr:keys': '1234' } });

    // Run 1: nothing in the bucket → CopySnapshot to the bucket under the snapshot's own name.
    const r1 = await runExportPlan(input(), deps);
    expect(counts(r1)).toEqual({ ...NONE, started: 1 });
    expect(ec).toHaveReceivedCommandTimes(CopySnapshotCommand, 1);
    // No Tags: the target is the source's own (tagged) name; tags would also need AddTagsToResource on it.
    expect(ec.commandCalls(CopySnapshotCommand)[0]!.args[0].input).toStrictEqual({
      SourceSnapshotName: snap,
      TargetSnapshotName: snap,
      TargetBucket: BUCKET,
    });
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: BUCKET, Prefix: `${snap}-` });
    expect(metrics.sum('ExportsStarted', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(metrics.sum('ExportsStarted', { Plan: 'sessions' })).toBe(1);

    // Run 2: ElastiCache is exporting → in progress, nothing started or tagged.
    clock.advance(HOUR);
    const r2 = await runExportPlan(input(), deps);
    expect(counts(r2)).toEqual({ ...NONE, inProgress: 1 });
    expect(r2.results[0]).toMatchObject({ snapshot: snap, outcome: 'in-progress', detail: 'snapshot is exporting' });
    expect(ec).toHaveReceivedCommandTimes(CopySnapshotCommand, 1);
    expect(s3).not.toHaveReceivedCommand(PutObjectTaggingCommand);
    expect(ec).not.toHaveReceivedCommand(AddTagsToResourceCommand);
    expect(metrics.sum('ExportsInProgress', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);

    // Run 3: every shard object is there and the snapshot is available → tag and mark.
    finishExport(snap);
    clock.advance(HOUR);
    const r3 = await runExportPlan(input(), deps);
    expect(counts(r3)).toEqual({ ...NONE, completed: 1 });
    expect(r3.results[0]).toMatchObject({ outcome: 'completed', exportName: snap, attempt: 1, shards });
    expect([...objects.keys()].sort()).toHaveLength(shards);
    const pad = (n: number) => String(n).padStart(4, '0');
    for (let shard = 1; shard <= shards; shard++) {
      expect(objects.get(`${snap}-${pad(shard)}.rdb`)!.tags).toEqual({
        'redis-dr:tier': 'weekly',
        'redis-dr:plan': 'sessions',
        'redis-dr:snapshot': snap,
        'redis-dr:created': '2026-11-21T03:00:42.000Z',
        'redis-dr:shard': `${pad(shard)}/${pad(shards)}`,
        'redis-dr:engine': 'redis 7.1.0',
        'redis-dr:keys': '1234',
      });
    }
    expect(ec).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: `arn:aws:elasticache:eu-west-1:111122223333:snapshot:${snap}`,
      Tags: [{ Key: 'redis-dr:exported', Value: new Date(clock.now()).toISOString() }],
    });
    expect(snapshots.get(snap)!.tags['redis-dr:exported']).toBe('2026-11-21T12:00:00.000Z');
    expect(metrics.sum('ExportsCompleted', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(metrics.sum('ExportsCompleted', { Plan: 'sessions' })).toBe(1);

    // Run 4: marked exported → not a candidate: not even listed in the bucket.
    const lists = s3.commandCalls(ListObjectsV2Command).length;
    const r4 = await runExportPlan(input(), deps);
    expect(counts(r4)).toEqual(NONE);
    expect(r4.results).toEqual([]);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(lists);
    expect(ec).toHaveReceivedCommandTimes(CopySnapshotCommand, 1);
    expect(ec).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 1);
    nothingDeleted();
  });

  it('exports a serverless snapshot with ExportServerlessCacheSnapshot and finalizes it once the objects settle', async () => {
    const snap = 'rdr-sls-20261121-0300';
    addSnapshot(snap, { kind: 'serverless-cache', tier: 'monthly' });
    const i = input({ targets: { replicationGroupIds: [], serverlessCacheNames: ['sls'], selectByTags: {} } });

    expect(counts(await runExportPlan(i, deps))).toEqual({ ...NONE, started: 1 });
    expect(ec.commandCalls(ExportServerlessCacheSnapshotCommand)[0]!.args[0].input).toEqual({
      ServerlessCacheSnapshotName: snap,
      S3BucketName: BUCKET,
    });
    expect(ec).not.toHaveReceivedCommand(CopySnapshotCommand);

    // The object has just landed: the shard count of a serverless snapshot is
    // unknown, so a fresh contiguous set is not yet taken as complete.
    snapshots.get(snap)!.status = 'available';
    putObjects(snap, [1], 0);
    const early = await runExportPlan(i, deps);
    expect(counts(early)).toEqual({ ...NONE, inProgress: 1 });
    expect(s3).not.toHaveReceivedCommand(PutObjectTaggingCommand);

    clock.advance(EXPORT_SETTLE_MS);
    expect(counts(await runExportPlan(i, deps))).toEqual({ ...NONE, completed: 1 });
    expect(objects.get(`${snap}-0001.rdb`)!.tags).toMatchObject({
      'redis-dr:tier': 'monthly',
      'redis-dr:snapshot': expect.stringMatching(/^rdr-sls-/),
      'redis-dr:shard': '0001/0001',
      'redis-dr:engine': 'valkey 8',
    });
    expect(ec).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: `arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:${snap}`,
    });
    expect(ec).toHaveReceivedCommandTimes(ExportServerlessCacheSnapshotCommand, 1);
  });
});

describe('export handler: half-finished and pre-existing exports', () => {
  it('starts attempt -r2 for a half-finished export, reports it as incomplete and keeps the leftovers', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { shards: 3 });
    putObjects(snap, [1, 2]);

    const err = await runFailed();
    expect(counts(err.report)).toEqual({ ...NONE, started: 1, failed: 1 });
    expect(err.report.results[0]).toMatchObject({
      snapshot: snap,
      outcome: 'failed',
      reason: 'incomplete',
      retry: 'started',
      exportName: `${snap}-r2`,
      attempt: 2,
    });
    expect(err.message).toContain(`${snap} (incomplete: ${snap} is incomplete: shard(s) 1, 2 of 3)`);
    // The retry's new name is no tagged snapshot: the request carries this deployment's tags (tag-on-create),
    // which the export role's RetryTargets statement requires (aws:RequestTag).
    const retry = ec.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input);
    expect(retry).toStrictEqual([
      {
        SourceSnapshotName: snap,
        TargetSnapshotName: `${snap}-r2`,
        TargetBucket: BUCKET,
        Tags: [
          { Key: 'redis-dr:managed', Value: 'true' },
          { Key: 'redis-dr:deployment', Value: input().deployment },
        ],
      },
    ]);
    expect(metrics.sum('ExportsFailed', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(metrics.sum('ExportsStarted', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    // The leftovers are neither deleted nor tagged.
    nothingDeleted();
    expect(s3).not.toHaveReceivedCommand(PutObjectTaggingCommand);
    expect(objects.get(`${snap}-0001.rdb`)!.tags).toEqual({});

    // The retry completes: its objects are tagged, the leftovers stay untouched.
    finishExport(snap, `${snap}-r2`);
    clock.advance(HOUR);
    const done = await runExportPlan(input(), deps);
    expect(done.results[0]).toMatchObject({ outcome: 'completed', exportName: `${snap}-r2`, attempt: 2, shards: 3 });
    expect(objects.get(`${snap}-r2-0003.rdb`)!.tags['redis-dr:shard']).toBe('0003/0003');
    expect(objects.get(`${snap}-0001.rdb`)!.tags).toEqual({});
    expect(s3.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input.Key)).toEqual([
      `${snap}-r2-0001.rdb`,
      `${snap}-r2-0002.rdb`,
      `${snap}-r2-0003.rdb`,
    ]);
    nothingDeleted();
  });

  it('waits while the objects of a half-finished shard set are still arriving', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { shards: 3 });
    putObjects(snap, [1, 2], EXPORT_SETTLE_MS - 60_000);
    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, inProgress: 1 });
    expect(report.results[0]!.detail).toBe(`objects still arriving (${snap}: 2 of 3 shard(s))`);
    expect(ec).not.toHaveReceivedCommand(CopySnapshotCommand);
  });

  it('gives up after the third half-finished attempt: reports, starts nothing, deletes nothing', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { shards: 3 });
    putObjects(snap, [1]);
    putObjects(`${snap}-r2`, [1, 2]);
    putObjects(`${snap}-r3`, [2, 3]);
    const err = await runFailed();
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'gave-up', attempt: 3 });
    expect(err.message).toMatch(/gave-up: half-finished after 3 attempts/);
    expect(ec).not.toHaveReceivedCommand(CopySnapshotCommand);
    nothingDeleted();
  });

  it('gives up on a half-finished serverless export, which cannot be retried under a new name', async () => {
    const snap = 'rdr-sls-20261121-0300';
    addSnapshot(snap, { kind: 'serverless-cache' });
    putObjects(snap, [1, 3]);
    const err = await runFailed(input({ targets: { replicationGroupIds: [], serverlessCacheNames: ['sls'], selectByTags: {} } }));
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'gave-up' });
    expect(ec).not.toHaveReceivedCommand(ExportServerlessCacheSnapshotCommand);
  });

  it('finalizes objects that were already in the bucket without exporting again', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { shards: 2 });
    putObjects(snap, [1, 2]);
    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, completed: 1 });
    expect(ec).not.toHaveReceivedCommand(CopySnapshotCommand);
    // The source's slot layout rides on the shard tag, for DR restores and drills.
    expect(objects.get(`${snap}-0001.rdb`)!.tags['redis-dr:shard']).toBe('0001/0002 0-99');
    expect(objects.get(`${snap}-0002.rdb`)!.tags['redis-dr:shard']).toBe('0002/0002 100-16383');
  });

  it('takes SnapshotAlreadyExistsFault from CopySnapshot as an export in progress, and finalizes next run', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap);
    fail('CopySnapshot', new SnapshotAlreadyExistsFault({ message: 'exists', ...meta }));
    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, inProgress: 1 });
    expect(report.results[0]!.detail).toBe('SnapshotAlreadyExistsFault: exists');
    expect(exportsStarted).toEqual([]);

    putObjects(snap, [1]);
    expect(counts(await runExportPlan(input(), deps))).toEqual({ ...NONE, completed: 1 });
    expect(ec).toHaveReceivedCommandTimes(CopySnapshotCommand, 1);
  });

  it.each([
    ['InvalidSnapshotStateFault', new InvalidSnapshotStateFault({ message: 'busy', ...meta })],
    ['InvalidServerlessCacheSnapshotStateFault', new InvalidServerlessCacheSnapshotStateFault({ message: 'busy', ...meta })],
  ])('takes %s (the snapshot is busy) as an export in progress', async (name, error) => {
    expect(error.name).toBe(name);
    addSnapshot('rdr-rg-a-20261121-0300');
    fail('CopySnapshot', error);
    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, inProgress: 1 });
  });

  it('pins the SDK error names the handler relies on', () => {
    expect(new SnapshotAlreadyExistsFault({ message: 'm', ...meta }).name).toBe('SnapshotAlreadyExistsFault');
    expect(new SnapshotNotFoundFault({ message: 'm', ...meta }).name).toBe('SnapshotNotFoundFault');
    expect(new ServerlessCacheSnapshotNotFoundFault({ message: 'm', ...meta }).name).toBe('ServerlessCacheSnapshotNotFoundFault');
  });
});

describe('export handler: which snapshots', () => {
  it("exports only this plan's unexported snapshots of tier minTier or higher", async () => {
    addSnapshot('rdr-rg-a-20261121-0900', { tier: 'hourly' });
    addSnapshot('rdr-rg-a-20261121-0800', { tier: 'daily' });
    addSnapshot('rdr-rg-a-20261121-0700', { tier: 'monthly', tags: { 'redis-dr:exported': '2026-11-21T08:00:00Z' } });
    addSnapshot('rdr-rg-a-20261121-0600', { tier: 'weekly', tags: { 'redis-dr:plan': 'queues' } });
    addSnapshot('rdr-rg-a-20261121-0500', { tier: 'weekly', tags: { 'redis-dr:deployment': 'staging' } });
    addSnapshot('rdr-rg-a-20261121-0400', { tags: null });
    addSnapshot('rdr-rg-a-20261121-0300', { tier: 'weekly', status: 'creating' });
    addSnapshot('rdr-rg-a-20261121-0200', { tier: 'weekly', status: 'failed' });
    addSnapshot('rdr-rg-a-20261121-0100', { tier: 'nightly' as Tier });

    const report = await runExportPlan(input({ minTier: 'daily' }), deps);
    expect(exportsStarted.map((e) => e.snapshot)).toEqual(['rdr-rg-a-20261121-0800']);
    expect(counts(report)).toEqual({ ...NONE, started: 1, skipped: 2, waiting: 1 });
    const outcome = (name: string) => report.results.find((r) => r.snapshot === name);
    expect(outcome('rdr-rg-a-20261121-0300')).toMatchObject({ outcome: 'waiting', detail: 'snapshot is creating' });
    expect(outcome('rdr-rg-a-20261121-0200')).toMatchObject({ outcome: 'skipped', reason: 'snapshot-failed' });
    expect(outcome('rdr-rg-a-20261121-0100')).toMatchObject({ outcome: 'skipped', reason: 'no-tier' });
    for (const ignored of ['0900', '0700', '0600', '0500', '0400']) expect(outcome(`rdr-rg-a-20261121-${ignored}`)).toBeUndefined();
    expect(deps.log.lines).toContainEqual({
      level: 'warn',
      message: 'snapshot not exported',
      extra: { target: 'rg-a', snapshot: 'rdr-rg-a-20261121-0100', reason: 'no-tier' },
    });
  });

  it('exports hourly snapshots when minTier is hourly', async () => {
    addSnapshot('rdr-rg-a-20261121-0900', { tier: 'hourly' });
    await runExportPlan(input({ minTier: 'hourly' }), deps);
    expect(exportsStarted.map((e) => e.snapshot)).toEqual(['rdr-rg-a-20261121-0900']);
  });

  it('ignores objects of another snapshot whose name shares the prefix', async () => {
    // Target `rg-a-20261121-0300` exists too; its snapshot's keys start with `rdr-rg-a-20261121-0300-`.
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { shards: 2 });
    putObjects('rdr-rg-a-20261121-0300-20261122-0400', [1, 2]);
    objects.set(`${snap}-notes.txt`, { tags: {}, lastModified: new Date(NOW - HOUR) });
    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, started: 1 });
    expect(exportsStarted).toEqual([{ snapshot: snap, exportName: snap }]);
  });

  it('starts at most maxStartsPerRun exports, newest first, across targets; the rest is backlog', async () => {
    const names = ['rdr-rg-a-20261117-0300', 'rdr-rg-b-20261118-0300', 'rdr-rg-a-20261119-0300', 'rdr-rg-b-20261120-0300', 'rdr-rg-a-20261121-0300'];
    names.forEach((n) => {
      addSnapshot(n);
    });
    const i = input({ maxStartsPerRun: 2, targets: { replicationGroupIds: ['rg-a', 'rg-b'], serverlessCacheNames: [], selectByTags: {} } });
    const report = await runExportPlan(i, deps);
    expect(counts(report)).toEqual({ ...NONE, started: 2, backlog: 3 });
    expect(exportsStarted.map((e) => e.snapshot)).toEqual(['rdr-rg-a-20261121-0300', 'rdr-rg-b-20261120-0300']);
    expect(report.results.filter((r) => r.outcome === 'backlog').map((r) => r.snapshot)).toEqual(names.slice(0, 3).reverse());
    expect(report.results.find((r) => r.outcome === 'backlog')!.detail).toBe('start limit of 2 reached');
    expect(metrics.sum('ExportBacklog', { Plan: 'sessions' })).toBe(3);
    expect(metrics.sum('ExportBacklog', { Plan: 'sessions', Target: 'rg-a' })).toBe(2);
    expect(metrics.sum('ExportBacklog', { Plan: 'sessions', Target: 'rg-b' })).toBe(1);

    // Next run: the two exports run, the next two newest start.
    const next = await runExportPlan(i, deps);
    expect(counts(next)).toEqual({ ...NONE, started: 2, inProgress: 2, backlog: 1 });
    expect(exportsStarted.map((e) => e.snapshot).slice(2)).toEqual(['rdr-rg-a-20261119-0300', 'rdr-rg-b-20261118-0300']);
  });

  it('gives the start slot to the newest snapshot even when an older one is decided first', async () => {
    ['rdr-rg-a-20261121-0300', 'rdr-rg-a-20261120-0300', 'rdr-rg-a-20261119-0300'].forEach((n) => {
      addSnapshot(n);
    });
    // The newest one's listing is throttled twice, so the older ones ask for a start before it does.
    fail('ListObjectsV2', awsError('SlowDown', 'Please reduce your request rate.', 503), {
      times: 2,
      match: (i) => i.Prefix === 'rdr-rg-a-20261121-0300-',
    });
    const report = await runExportPlan(input({ maxStartsPerRun: 1 }), deps);
    expect(exportsStarted.map((e) => e.snapshot)).toEqual(['rdr-rg-a-20261121-0300']);
    expect(counts(report)).toEqual({ ...NONE, started: 1, backlog: 2 });
    expect(clock.sleeps).toHaveLength(2);
  });

  it('counts the restart of a half-finished export against the start limit', async () => {
    addSnapshot('rdr-rg-a-20261121-0300', { shards: 2 });
    putObjects('rdr-rg-a-20261121-0300', [2]);
    addSnapshot('rdr-rg-a-20261120-0300');
    const err = await runFailed(input({ maxStartsPerRun: 1 }));
    expect(counts(err.report)).toEqual({ ...NONE, started: 1, failed: 1, backlog: 1 });
    expect(exportsStarted).toEqual([{ snapshot: 'rdr-rg-a-20261121-0300', exportName: 'rdr-rg-a-20261121-0300-r2' }]);
  });
});

describe('export handler: faults', () => {
  it('retries throttled ListObjectsV2, CopySnapshot, PutObjectTagging and AddTagsToResource calls one by one', async () => {
    addSnapshot('rdr-rg-a-20261121-0300');
    addSnapshot('rdr-rg-a-20261120-0300', { shards: 3 });
    putObjects('rdr-rg-a-20261120-0300', [1, 2, 3]);
    fail('ListObjectsV2', awsError('SlowDown', 'Please reduce your request rate.', 503));
    fail('CopySnapshot', awsError('Throttling', 'Rate exceeded'));
    fail('PutObjectTagging', awsError('SlowDown', 'Please reduce your request rate.', 503), {
      match: (i) => i.Key === 'rdr-rg-a-20261120-0300-0002.rdb',
    });
    fail('AddTagsToResource', awsError('ThrottlingException', 'Rate exceeded'));

    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, started: 1, completed: 1 });
    expect(clock.sleeps).toHaveLength(4);
    expect(Math.max(...clock.sleeps)).toBeLessThan(1_000);
    expect(ec).toHaveReceivedCommandTimes(CopySnapshotCommand, 2);
    // Only the throttled call was repeated: three objects, four PutObjectTagging.
    expect(s3).toHaveReceivedCommandTimes(PutObjectTaggingCommand, 4);
    expect(s3).toHaveReceivedCommandTimes(GetObjectTaggingCommand, 3);
    expect(snapshots.get('rdr-rg-a-20261120-0300')!.tags['redis-dr:exported']).toBeDefined();
  });

  it('reports a snapshot that keeps failing, still does the others, and fails the run naming it', async () => {
    addSnapshot('rdr-rg-a-20261121-0300');
    addSnapshot('rdr-rg-b-20261121-0300');
    addSnapshot('rdr-rg-c-20261121-0300');
    putObjects('rdr-rg-c-20261121-0300', [1]);
    fail('CopySnapshot', awsError('AccessDenied', 'not authorized to write to the bucket', 403), {
      times: Infinity,
      match: (i) => i.SourceSnapshotName === 'rdr-rg-a-20261121-0300',
    });
    const err = await runFailed(input({ targets: { replicationGroupIds: ['rg-a', 'rg-b', 'rg-c'], serverlessCacheNames: [], selectByTags: {} } }));
    expect(counts(err.report)).toEqual({ ...NONE, started: 1, completed: 1, failed: 1 });
    expect(err.report.results.find((r) => r.target === 'rg-a')).toMatchObject({
      outcome: 'failed',
      reason: 'error',
      error: 'AccessDenied: not authorized to write to the bucket',
    });
    expect(err.message).toBe(
      'plan sessions: export failed for 1 target(s): rdr-rg-a-20261121-0300 (error: AccessDenied: not authorized to write to the bucket)',
    );
    expect(metrics.sum('ExportsFailed', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(metrics.sum('ExportsFailed', { Plan: 'sessions', Target: 'rg-b' })).toBe(0);
    expect(metrics.sum('ExportsFailed', { Plan: 'sessions' })).toBe(1);
    expect(metrics.sum('ExportsCompleted', { Plan: 'sessions', Target: 'rg-c' })).toBe(1);
  });

  it('reports throttling that outlasts the budget as throttled', async () => {
    addSnapshot('rdr-rg-a-20261121-0300');
    fail('ListObjectsV2', awsError('SlowDown', 'Please reduce your request rate.', 503), { times: Infinity });
    const err = await runFailed(input({ budgetSeconds: 30 }));
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'throttled' });
    expect(clock.now() - NOW).toBeLessThanOrEqual(30_000);
  });

  it('keeps going when one target cannot be listed', async () => {
    addSnapshot('rdr-rg-a-20261121-0300');
    addSnapshot('rdr-rg-b-20261121-0300');
    fail('DescribeSnapshots', awsError('InternalFailure', 'boom', 500), { times: Infinity, match: (i) => i.ReplicationGroupId === 'rg-a' });
    const err = await runFailed(input({ targets: { replicationGroupIds: ['rg-a', 'rg-b'], serverlessCacheNames: [], selectByTags: {} } }));
    expect(err.report.results.find((r) => r.target === 'rg-a')).toMatchObject({ snapshot: '', outcome: 'failed', reason: 'listing' });
    expect(exportsStarted.map((e) => e.snapshot)).toEqual(['rdr-rg-b-20261121-0300']);
    expect(err.message).toContain('rg-a (listing: InternalFailure: boom)');
    expect(metrics.sum('ExportsFailed', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
  });

  it("fails the run when the plan's snapshot tags cannot be read (no tier, no ownership)", async () => {
    addSnapshot('rdr-rg-a-20261121-0300');
    fail('GetResources', awsError('AccessDeniedException', 'no tag:GetResources', 403), { times: Infinity });
    await expect(runExportPlan(input(), deps)).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'no tag:GetResources' });
    expect(ec).not.toHaveReceivedCommand(CopySnapshotCommand);
  });

  it('fails a snapshot for which ElastiCache returns no ARN, without marking it', async () => {
    addSnapshot('rdr-rg-a-20261121-0300', { arn: null });
    putObjects('rdr-rg-a-20261121-0300', [1]);
    const err = await runFailed();
    expect(err.report.results[0]!.error).toMatch(/no ARN for snapshot rdr-rg-a-20261121-0300/);
    expect(ec).not.toHaveReceivedCommand(AddTagsToResourceCommand);
  });

  it('reports a snapshot deleted since the listing as skipped', async () => {
    addSnapshot('rdr-rg-a-20261121-0300');
    putObjects('rdr-rg-a-20261121-0300', [1]);
    fail('DescribeSnapshots', new SnapshotNotFoundFault({ message: 'gone', ...meta }), { match: (i) => i.SnapshotName !== undefined });
    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, skipped: 1 });
    expect(report.results[0]).toMatchObject({ outcome: 'skipped', reason: 'gone' });
  });

  it('leaves the rest as backlog when the budget runs out', async () => {
    deps = { ...deps, concurrency: 1 };
    ['rdr-rg-a-20261121-0300', 'rdr-rg-a-20261120-0300', 'rdr-rg-a-20261119-0300'].forEach((n) => {
      addSnapshot(n);
    });
    // A slow bucket: each listing takes 12 s of a 20 s budget.
    latency = { ListObjectsV2: 12_000 };
    const report = await runExportPlan(input({ budgetSeconds: 20 }), deps);
    expect(report.results.map((r) => [r.snapshot, r.outcome, r.detail])).toEqual([
      ['rdr-rg-a-20261121-0300', 'started', undefined],
      ['rdr-rg-a-20261120-0300', 'backlog', 'out of time'],
      ['rdr-rg-a-20261119-0300', 'backlog', 'out of time before it was looked at'],
    ]);
    expect(counts(report)).toEqual({ ...NONE, started: 1, backlog: 2 });
  });
});

describe('export handler: object tags', () => {
  it('merges with tags already on the object, keeping the others', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap);
    putObjects(snap, [1], HOUR, { team: 'payments', 'redis-dr:tier': 'hourly' });
    await runExportPlan(input(), deps);
    expect(objects.get(`${snap}-0001.rdb`)!.tags).toMatchObject({ team: 'payments', 'redis-dr:tier': 'daily' });
    expect(Object.keys(objects.get(`${snap}-0001.rdb`)!.tags)).toHaveLength(7); // 6 ours (no key count, no canary) + team
  });

  it('never writes more than 10 tags: a full object fails the snapshot, unmarked, and nothing is overwritten', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { tags: { 'redis-dr:keys': '10', 'redis-dr:canary': 'c' } });
    putObjects(snap, [1], HOUR, { a: '1', b: '2', c: '3' });
    const err = await runFailed();
    expect(err.report.results[0]!.error).toMatch(/object would carry 11 tags, S3 allows 10/);
    expect(s3).not.toHaveReceivedCommand(PutObjectTaggingCommand);
    expect(objects.get(`${snap}-0001.rdb`)!.tags).toEqual({ a: '1', b: '2', c: '3' });
    expect(ec).not.toHaveReceivedCommand(AddTagsToResourceCommand);
  });

  it('finalizes again harmlessly after a crash between tagging the objects and marking the snapshot', async () => {
    const snap = 'rdr-rg-a-20261121-0300';
    addSnapshot(snap, { shards: 2 });
    putObjects(snap, [1, 2]);
    fail('AddTagsToResource', awsError('InternalFailure', 'boom', 500));
    await runFailed();
    const first = structuredClone(objects.get(`${snap}-0002.rdb`)!.tags);
    expect(first['redis-dr:shard']).toBe('0002/0002 100-16383');
    expect(snapshots.get(snap)!.tags['redis-dr:exported']).toBeUndefined();

    const report = await runExportPlan(input(), deps);
    expect(counts(report)).toEqual({ ...NONE, completed: 1 });
    expect(objects.get(`${snap}-0002.rdb`)!.tags).toEqual(first);
    expect(snapshots.get(snap)!.tags['redis-dr:exported']).toBe(new Date(NOW).toISOString());
  });
});

describe('export handler: copies of points a keyspace collapse holds', () => {
  const HOLD = { 'redis-dr:hold': 'keyspace-collapsed:rdr-rg-a-20261121-0900' };

  it("moves the tier tag of a held, exported snapshot's copies (every attempt, every shard) to held-<tier>, keeping the other tags", async () => {
    addSnapshot('rdr-rg-a-20261120-0000', { shards: 2, tier: 'weekly', tags: { ...HOLD, 'redis-dr:exported': '2026-11-20T01:00:00.000Z' } });
    putObjects('rdr-rg-a-20261120-0000', [1, 2], HOUR, { 'redis-dr:tier': 'weekly', 'redis-dr:plan': 'sessions', 'redis-dr:verified': 'ok' });
    putObjects('rdr-rg-a-20261120-0000-r2', [1], HOUR, { 'redis-dr:tier': 'weekly' });
    // Exported, not held: untouched.
    addSnapshot('rdr-rg-a-20261119-0000', { tags: { 'redis-dr:exported': '2026-11-19T01:00:00.000Z' } });
    putObjects('rdr-rg-a-20261119-0000', [1], HOUR, { 'redis-dr:tier': 'daily' });

    const report = await runExportPlan(input(), deps);

    expect(report.failed).toBe(0);
    expect(objects.get('rdr-rg-a-20261120-0000-0001.rdb')!.tags).toEqual({
      'redis-dr:tier': 'held-weekly',
      'redis-dr:plan': 'sessions',
      'redis-dr:verified': 'ok',
    });
    expect(objects.get('rdr-rg-a-20261120-0000-0002.rdb')!.tags['redis-dr:tier']).toBe('held-weekly');
    expect(objects.get('rdr-rg-a-20261120-0000-r2-0001.rdb')!.tags['redis-dr:tier']).toBe('held-weekly');
    expect(objects.get('rdr-rg-a-20261119-0000-0001.rdb')!.tags['redis-dr:tier']).toBe('daily');
    // Level-triggered and idempotent: the next run finds them held and writes nothing.
    s3.resetHistory();
    await runExportPlan(input(), deps);
    expect(s3).not.toHaveReceivedCommand(PutObjectTaggingCommand);
    nothingDeleted();
  });

  it('a held snapshot exported now gets held copies from the start', async () => {
    addSnapshot('rdr-rg-a-20261121-0000', { tags: HOLD });
    finishExport('rdr-rg-a-20261121-0000');
    await runExportPlan(input(), deps);
    expect(objects.get('rdr-rg-a-20261121-0000-0001.rdb')!.tags['redis-dr:tier']).toBe('held-daily');
  });

  it('a copy that cannot be held fails the run naming the snapshot; the next run holds it', async () => {
    addSnapshot('rdr-rg-a-20261120-0000', { tags: { ...HOLD, 'redis-dr:exported': '2026-11-20T01:00:00.000Z' } });
    putObjects('rdr-rg-a-20261120-0000', [1], HOUR, { 'redis-dr:tier': 'daily' });
    fail('PutObjectTagging', awsError('AccessDenied', 'denied'));
    const err = await runFailed();
    expect(err.message).toContain('rdr-rg-a-20261120-0000');
    expect(err.report.results.find((r) => r.snapshot === 'rdr-rg-a-20261120-0000')).toMatchObject({
      outcome: 'failed',
      error: expect.stringContaining('holding its copies failed'),
    });
    await runExportPlan(input(), deps);
    expect(objects.get('rdr-rg-a-20261120-0000-0001.rdb')!.tags['redis-dr:tier']).toBe('held-daily');
  });
});
