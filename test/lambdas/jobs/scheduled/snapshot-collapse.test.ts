import {
  AddTagsToResourceCommand,
  CreateSnapshotCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SnapshotRunInput } from '../../../../lambdas/domain/plans/plan-input.js';
import type { ProbeInput } from '../../../../lambdas/domain/plans/probe.js';
import { runSnapshotPlan, SnapshotRunFailedError } from '../../../../lambdas/jobs/scheduled/snapshot.js';
import { awsError, fakeDeps } from '../../../support/fakes.js';

/**
 * The keyspace-collapse tripwire in the snapshot job: the probe's count of a
 * new point against the fullest good point of the target in the collapse window; the mark in
 * the creation tags; holds on the earlier points (level-triggered).
 */
const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const TICK = '2026-11-21T10:00:00Z';
const NEW = 'rdr-rg-a-20261121-1000';
const arnOf = (name: string) => `arn:aws:elasticache:eu-west-1:111122223333:snapshot:${name}`;
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'prod', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'rg-a' };
/** A probe count as the snapshot job records it: the dataset plus the canary key. */
const counted = (dataset: number) => ({ 'redis-dr:keys': String(dataset + 1), 'redis-dr:canary': 'c' });

let deps: ReturnType<typeof fakeDeps>;
let existing: { name: string; status: string; tags?: Record<string, string> }[];

function input(overrides: Partial<SnapshotRunInput> = {}): SnapshotRunInput {
  return {
    deployment: 'prod',
    plan: 'sessions',
    targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
    timeZone: 'UTC',
    budgetSeconds: 300,
    scheduledTime: TICK,
    probe: {},
    ...overrides,
  };
}

function group(id: string): ReplicationGroup {
  return {
    ReplicationGroupId: id,
    Status: 'available',
    ClusterEnabled: false,
    NodeGroups: [
      {
        NodeGroupId: '0001',
        PrimaryEndpoint: { Address: `${id}.cache.local`, Port: 6379 },
        NodeGroupMembers: [
          { CacheClusterId: `${id}-001`, CurrentRole: 'primary' },
          { CacheClusterId: `${id}-002`, CurrentRole: 'replica' },
        ],
      },
    ],
  };
}

/** A probe that finds `dataset` keys (and counts its canary too, as DBSIZE does). */
const probeFinding = (dataset: number) => async (p: ProbeInput) => ({ canary: p.canary, keys: dataset + 1 });

/** Holds added, snapshot name → hold value. */
function holdsAdded(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of ec.commandCalls(AddTagsToResourceCommand)) {
    const hold = c.args[0].input.Tags?.find((t) => t.Key === 'redis-dr:hold');
    if (hold) out[c.args[0].input.ResourceName!.split(':').pop()!] = hold.Value!;
  }
  return out;
}

function createdTags(): Record<string, string> {
  const call = ec.commandCalls(CreateSnapshotCommand)[0]!.args[0].input;
  return Object.fromEntries((call.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}

beforeEach(() => {
  ec.reset();
  tagging.reset();
  deps = fakeDeps(Date.parse(TICK) + 5_000);
  existing = [
    { name: 'rdr-rg-a-20261120-1000', status: 'available', tags: { ...OURS, 'redis-dr:tier': 'daily', ...counted(1000) } },
    { name: 'rdr-rg-a-20261121-0800', status: 'available', tags: { ...OURS, 'redis-dr:tier': 'hourly', ...counted(1000) } },
    // Not a recovery point, and not ours: neither is held.
    { name: 'rdr-rg-a-20261121-0900', status: 'failed', tags: { ...OURS, 'redis-dr:tier': 'hourly' } },
    { name: 'rdr-rg-a-20261119-1000', status: 'available', tags: { ...OURS, 'redis-dr:plan': 'other', ...counted(1000) } },
  ];
  ec.on(DescribeSnapshotsCommand).callsFake(() => ({
    Snapshots: existing.map((e) => ({ SnapshotName: e.name, SnapshotStatus: e.status, ARN: arnOf(e.name) })),
  }));
  tagging.on(GetResourcesCommand).callsFake((i: { TagFilters: { Key: string; Values: string[] }[] }) => ({
    ResourceTagMappingList: existing
      .filter((e) => e.tags && i.TagFilters.every((f) => f.Values.includes(e.tags![f.Key] ?? '\u0000')))
      .map((e) => ({ ResourceARN: arnOf(e.name), Tags: Object.entries(e.tags!).map(([Key, Value]) => ({ Key, Value })) })),
  }));
  ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId: string }) => ({ ReplicationGroups: [group(i.ReplicationGroupId)] }));
  ec.on(CreateSnapshotCommand).resolves({});
  ec.on(AddTagsToResourceCommand).resolves({});
});

describe('snapshot job: keyspace-collapse tripwire', () => {
  it.each([
    ['an empty keyspace (FLUSHALL: only the canary left)', 0, '0 keys 100 pct fewer than 1000 in rdr-rg-a-20261121-0800'],
    ['40 % of the keys', 400, '400 keys 60 pct fewer than 1000 in rdr-rg-a-20261121-0800'],
  ])('a collapse to %s: the new point is marked at creation, the earlier points are held, KeyspaceCollapsed is 1', async (_what, dataset, detail) => {
    const report = await runSnapshotPlan(input(), { ...deps, probe: probeFinding(dataset) });

    expect(createdTags()['redis-dr:collapsed']).toContain(`${NEW} holds ${detail}`);
    expect(createdTags()['redis-dr:collapsed']!.length).toBeLessThanOrEqual(256);
    expect(createdTags()['redis-dr:collapsed']).toMatch(/^[\p{L}\p{N} _.:/=+\-@]+$/u);
    expect(holdsAdded()).toEqual({
      'rdr-rg-a-20261120-1000': `keyspace-collapsed:${NEW} until=2026-12-21T10:00:00Z`,
      'rdr-rg-a-20261121-0800': `keyspace-collapsed:${NEW} until=2026-12-21T10:00:00Z`,
    });
    expect(report.results[0]).toMatchObject({ outcome: 'created', tripwire: { collapsed: [NEW] } });
    expect(report.results[0]!.collapsed).toContain('FLUSHALL or mass delete');
    expect(deps.metrics.sum('KeyspaceCollapsed', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(deps.metrics.sum('KeyspaceCollapsed', { Plan: 'sessions' })).toBe(1);
    expect(deps.log.lines.some((l) => l.level === 'error' && l.message.startsWith('keyspace collapsed'))).toBe(true);
  });

  it('a drop within the threshold (to 60 %) marks nothing, holds nothing, and makes no extra call', async () => {
    const report = await runSnapshotPlan(input(), { ...deps, probe: probeFinding(600) });

    expect(createdTags()['redis-dr:collapsed']).toBeUndefined();
    expect(ec).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 0);
    expect(ec).toHaveReceivedCommandTimes(DescribeSnapshotsCommand, 1);
    expect(report.results[0]!.tripwire).toEqual({ collapsed: [], holdsAdded: [] });
    expect(deps.metrics.sum('KeyspaceCollapsed', { Plan: 'sessions', Target: 'rg-a' })).toBe(0);
  });

  it("follows the plan's collapseThresholdPct: a 60 % drop passes at 70, trips at 50", async () => {
    await runSnapshotPlan(input({ collapseThresholdPct: 70 }), { ...deps, probe: probeFinding(400) });
    expect(createdTags()['redis-dr:collapsed']).toBeUndefined();
    ec.resetHistory();
    existing = existing.filter((e) => e.name !== NEW);
    await runSnapshotPlan(input({ collapseThresholdPct: 50 }), { ...deps, probe: probeFinding(400) });
    expect(createdTags()['redis-dr:collapsed']).toContain('threshold 50 pct');
  });

  it('judges against the newest earlier GOOD point: an earlier collapse is skipped, so a second gutted point trips too', async () => {
    existing.push({
      name: 'rdr-rg-a-20261121-0900',
      status: 'available',
      tags: { ...OURS, 'redis-dr:tier': 'hourly', ...counted(0), 'redis-dr:collapsed': 'earlier collapse', 'redis-dr:hold': 'x' },
    });
    existing = existing.filter((e) => e.status !== 'failed');
    await runSnapshotPlan(input(), { ...deps, probe: probeFinding(5) });
    expect(createdTags()['redis-dr:collapsed']).toContain('fewer than 1000 in rdr-rg-a-20261121-0800');
  });

  it('a slow drain (40 % fewer keys a run) trips against the fullest point of the last 7 days, not only the one before', async () => {
    existing = [
      { name: 'rdr-rg-a-20261121-0800', status: 'available', tags: { ...OURS, 'redis-dr:tier': 'daily', ...counted(100_000) } },
      { name: 'rdr-rg-a-20261121-0900', status: 'available', tags: { ...OURS, 'redis-dr:tier': 'hourly', ...counted(60_000) } },
    ];
    const report = await runSnapshotPlan(input(), { ...deps, probe: probeFinding(36_000) });
    expect(createdTags()['redis-dr:collapsed']).toContain(`${NEW} holds 36000 keys 64 pct fewer than 100000 in rdr-rg-a-20261121-0800`);
    expect(holdsAdded()).toEqual({
      'rdr-rg-a-20261121-0800': `keyspace-collapsed:${NEW} until=2026-12-21T10:00:00Z`,
      'rdr-rg-a-20261121-0900': `keyspace-collapsed:${NEW} until=2026-12-21T10:00:00Z`,
    });
    expect(report.results[0]).toMatchObject({ tripwire: { collapsed: [NEW] } });
    expect(deps.metrics.sum('KeyspaceCollapsed', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
  });

  it('no earlier counted point (first probe): nothing to judge', async () => {
    existing = existing.map((e) => ({ ...e, tags: e.tags && { ...OURS, 'redis-dr:plan': e.tags['redis-dr:plan']!, 'redis-dr:tier': 'daily' } }));
    await runSnapshotPlan(input(), { ...deps, probe: probeFinding(0) });
    expect(createdTags()['redis-dr:collapsed']).toBeUndefined();
    expect(ec).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 0);
  });

  it('keeps the holds of an active collapse up on every run (level-triggered): adds only the missing ones, even without a probe', async () => {
    existing = [
      {
        name: 'rdr-rg-a-20261120-1000',
        status: 'available',
        tags: { ...OURS, ...counted(1000), 'redis-dr:hold': 'keyspace-collapsed:rdr-rg-a-20261121-0900' },
      },
      { name: 'rdr-rg-a-20261121-0800', status: 'available', tags: { ...OURS, ...counted(1000) } },
      { name: 'rdr-rg-a-20261121-0900', status: 'available', tags: { ...OURS, ...counted(0), 'redis-dr:collapsed': 'rdr-rg-a-20261121-0900 holds 0 keys' } },
    ];
    const report = await runSnapshotPlan(input({ probe: undefined }), deps);
    expect(holdsAdded()).toEqual({ 'rdr-rg-a-20261121-0800': 'keyspace-collapsed:rdr-rg-a-20261121-0900 until=2026-12-21T09:00:00Z' });
    expect(report.results[0]!.tripwire).toMatchObject({ collapsed: ['rdr-rg-a-20261121-0900'] });
    expect(deps.metrics.sum('KeyspaceCollapsed', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
  });

  it('a released collapse holds nothing and no longer counts (an operator released it)', async () => {
    existing = [
      { name: 'rdr-rg-a-20261121-0800', status: 'available', tags: { ...OURS, ...counted(1000) } },
      {
        name: 'rdr-rg-a-20261121-0900',
        status: 'available',
        tags: { ...OURS, ...counted(0), 'redis-dr:collapsed': 'released 2026-11-21T09:30:00.000Z rdr-rg-a-20261121-0900 holds 0 keys' },
      },
    ];
    const report = await runSnapshotPlan(input({ probe: undefined }), deps);
    expect(ec).toHaveReceivedCommandTimes(AddTagsToResourceCommand, 0);
    expect(report.results[0]!.tripwire).toEqual({ collapsed: [], holdsAdded: [] });
    expect(deps.metrics.sum('KeyspaceCollapsed', { Plan: 'sessions', Target: 'rg-a' })).toBe(0);
  });

  it('marks the newest counted point late when its creation could not judge it (the tag lookup had failed)', async () => {
    existing = [
      { name: 'rdr-rg-a-20261121-0800', status: 'available', tags: { ...OURS, ...counted(1000) } },
      { name: 'rdr-rg-a-20261121-0900', status: 'available', tags: { ...OURS, ...counted(0) } },
    ];
    const report = await runSnapshotPlan(input({ probe: undefined }), deps);
    expect(ec).toHaveReceivedCommandWith(AddTagsToResourceCommand, {
      ResourceName: arnOf('rdr-rg-a-20261121-0900'),
      Tags: [{ Key: 'redis-dr:collapsed', Value: expect.stringContaining('rdr-rg-a-20261121-0900 holds 0 keys') }],
    });
    expect(holdsAdded()).toEqual({ 'rdr-rg-a-20261121-0800': 'keyspace-collapsed:rdr-rg-a-20261121-0900 until=2026-12-21T09:00:00Z' });
    expect(report.results[0]!.tripwire).toMatchObject({ markedLate: ['rdr-rg-a-20261121-0900'] });
  });

  it("emits no KeyspaceCollapsed at all when the plan's tags cannot be read (a 0 would clear the page of an active collapse)", async () => {
    existing[1]!.tags!['redis-dr:collapsed'] = 'rdr-rg-a-20261121-0800 holds 0 keys 100 pct fewer than 1000 in rdr-rg-a-20261120-1000';
    tagging.on(GetResourcesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const err = await runSnapshotPlan(input({ budgetSeconds: 1 }), { ...deps, probe: probeFinding(1000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(deps.metrics.points.filter((p) => p.name === 'KeyspaceCollapsed')).toEqual([]);
  });

  it.each([
    ['gutted', 0, true],
    ['good', 1000, false],
  ])("a %s point created while the plan's tags could not be read is marked unjudged, and the next run judges it", async (_what, dataset, collapses) => {
    const answer = tagging.commandCalls(GetResourcesCommand).length;
    expect(answer).toBe(0);
    tagging.on(GetResourcesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const err = await runSnapshotPlan(input({ budgetSeconds: 1 }), { ...deps, probe: probeFinding(dataset) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(createdTags()['redis-dr:collapsed']).toBe('unjudged');

    // Next tick: the Tagging API answers again; the cache is as it was.
    existing.push({ name: NEW, status: 'available', tags: { ...OURS, ...createdTags() } });
    tagging.on(GetResourcesCommand).callsFake((i: { TagFilters: { Key: string; Values: string[] }[] }) => ({
      ResourceTagMappingList: existing
        .filter((e) => e.tags && i.TagFilters.every((f) => f.Values.includes(e.tags![f.Key] ?? '\u0000')))
        .map((e) => ({ ResourceARN: arnOf(e.name), Tags: Object.entries(e.tags!).map(([Key, Value]) => ({ Key, Value })) })),
    }));
    ec.resetHistory();
    const report = await runSnapshotPlan(input({ scheduledTime: '2026-11-21T11:00:00Z' }), { ...deps, probe: probeFinding(dataset) });
    const marks = ec
      .commandCalls(AddTagsToResourceCommand)
      .filter((c) => c.args[0].input.ResourceName === arnOf(NEW))
      .map((c) => c.args[0].input.Tags);
    if (collapses) {
      expect(marks).toEqual([
        [{ Key: 'redis-dr:collapsed', Value: expect.stringContaining(`${NEW} holds 0 keys 100 pct fewer than 1000 in rdr-rg-a-20261121-0800`) }],
      ]);
      expect(report.results[0]!.tripwire).toMatchObject({ markedLate: [NEW] });
      expect(holdsAdded()).toMatchObject({ 'rdr-rg-a-20261121-0800': `keyspace-collapsed:${NEW} until=2026-12-21T10:00:00Z` });
      // The 11:00 point is judged against the last good point too (an unjudged one is no baseline).
      expect(createdTags()['redis-dr:collapsed']).toContain('fewer than 1000 in rdr-rg-a-20261121-0800');
    } else {
      expect(marks).toEqual([[{ Key: 'redis-dr:collapsed', Value: 'ok' }]]);
      expect(holdsAdded()).toEqual({});
      expect(createdTags()['redis-dr:collapsed']).toBeUndefined();
    }
  });

  it('a hold that cannot be tagged fails the run naming the tripwire; the next run adds it', async () => {
    ec.on(AddTagsToResourceCommand).rejects(awsError('AccessDenied', 'not allowed'));
    const err = await runSnapshotPlan(input(), { ...deps, probe: probeFinding(0) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect((err as SnapshotRunFailedError).report.problems.join('\n')).toMatch(/rg-a: keyspace-collapse tripwire: .*not allowed/);
    // The snapshot exists with its mark; the next tick holds what this one could not.
    existing.push({ name: NEW, status: 'available', tags: { ...OURS, ...createdTags() } });
    ec.reset();
    ec.on(DescribeSnapshotsCommand).callsFake(() => ({
      Snapshots: existing.map((e) => ({ SnapshotName: e.name, SnapshotStatus: e.status, ARN: arnOf(e.name) })),
    }));
    ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId: string }) => ({ ReplicationGroups: [group(i.ReplicationGroupId)] }));
    ec.on(CreateSnapshotCommand).resolves({});
    ec.on(AddTagsToResourceCommand).resolves({});
    await runSnapshotPlan(input({ scheduledTime: '2026-11-21T11:00:00Z' }), { ...deps, probe: probeFinding(0) });
    expect(holdsAdded()).toMatchObject({
      'rdr-rg-a-20261120-1000': `keyspace-collapsed:${NEW} until=2026-12-21T10:00:00Z`,
      'rdr-rg-a-20261121-0800': `keyspace-collapsed:${NEW} until=2026-12-21T10:00:00Z`,
    });
  });
});
