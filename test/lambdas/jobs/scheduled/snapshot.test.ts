import {
  CreateServerlessCacheSnapshotCommand,
  CreateSnapshotCommand,
  DescribeReplicationGroupsCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeServerlessCachesCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  InvalidReplicationGroupStateFault,
  ReplicationGroupNotFoundFault,
  SnapshotAlreadyExistsFault,
  SnapshotQuotaExceededFault,
  type ReplicationGroup,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runSnapshotPlan, SnapshotRunFailedError } from '../../../../lambdas/jobs/scheduled/snapshot.js';
import type { SnapshotRunInput } from '../../../../lambdas/domain/plans/plan-input.js';
import { formatSnapshotName } from '../../../../lambdas/domain/plans/naming.js';
import type { ProbeInput } from '../../../../lambdas/domain/plans/probe.js';
import { awsError, fakeDeps, type FakeClock, type MemoryMetrics } from '../../../support/fakes.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const TICK = '2026-11-21T10:00:00Z';
const meta = { $metadata: {} };

let clock: FakeClock;
let metrics: MemoryMetrics;

let deps: ReturnType<typeof fakeDeps>;

function input(overrides: Partial<SnapshotRunInput> = {}): SnapshotRunInput {
  return {
    deployment: 'prod',
    plan: 'sessions',
    targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
    timeZone: 'UTC',
    budgetSeconds: 300,
    scheduledTime: TICK,
    ...overrides,
  };
}

/** A cluster-mode-disabled group with a primary and one replica. */
function group(id: string, status = 'available', clusterEnabled = false): ReplicationGroup {
  return {
    ReplicationGroupId: id,
    Status: status,
    ClusterEnabled: clusterEnabled,
    NodeGroups: clusterEnabled
      ? [{ NodeGroupId: '0001' }, { NodeGroupId: '0002' }]
      : [
          {
            NodeGroupId: '0001',
            NodeGroupMembers: [
              { CacheClusterId: `${id}-001`, CurrentRole: 'primary' },
              { CacheClusterId: `${id}-002`, CurrentRole: 'replica' },
            ],
          },
        ],
  };
}

function snap(name: string, status = 'available', at?: Date): Snapshot {
  return { SnapshotName: name, SnapshotStatus: status, NodeSnapshots: at ? [{ SnapshotCreateTime: at }] : [] };
}

const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'prod', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'rg-a' };

/** Snapshots the fake account holds: DescribeSnapshots lists them, GetResources knows their tags. */
let existing: { name: string; status: string; tags?: Record<string, string> }[];
/** ARNs the fake Tagging API returns for a target selection. */
let taggedTargets: string[];

function installFakes(): void {
  ec.on(DescribeSnapshotsCommand).callsFake(() => ({ Snapshots: existing.map((e) => snap(e.name, e.status)) }));
  tagging.on(GetResourcesCommand).callsFake((i: { TagFilters: { Key: string; Values: string[] }[] }) => {
    if (!i.TagFilters.some((f) => f.Key === 'redis-dr:source')) {
      return { ResourceTagMappingList: taggedTargets.map((ResourceARN) => ({ ResourceARN })) };
    }
    // The real API ANDs the filters; values within one filter are ORed.
    const list = existing
      .filter((e) => e.tags && i.TagFilters.every((f) => f.Values.includes(e.tags![f.Key] ?? '\u0000')))
      .map((e) => ({
        ResourceARN: `arn:aws:elasticache:eu-west-1:111122223333:snapshot:${e.name}`,
        Tags: Object.entries(e.tags!).map(([Key, Value]) => ({ Key, Value })),
      }));
    return { ResourceTagMappingList: list };
  });
}

beforeEach(() => {
  ec.reset();
  tagging.reset();
  deps = fakeDeps(Date.parse(TICK) + 5_000);
  ({ clock, metrics } = deps);
  existing = [];
  taggedTargets = [];
  installFakes();
  ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId: string }) => ({
    ReplicationGroups: [group(i.ReplicationGroupId)],
  }));
  ec.on(CreateSnapshotCommand).resolves({});
});

describe('snapshot handler', () => {
  it('snapshots a cluster-mode-disabled group from its replica with the deterministic name and tags', async () => {
    const report = await runSnapshotPlan(input(), deps);

    expect(report).toMatchObject({ targets: 1, created: 1, failed: 0 });
    expect(ec).toHaveReceivedCommandWith(CreateSnapshotCommand, {
      CacheClusterId: 'rg-a-002',
      SnapshotName: 'rdr-rg-a-20261121-1000',
      Tags: expect.arrayContaining([
        { Key: 'redis-dr:managed', Value: 'true' },
        { Key: 'redis-dr:deployment', Value: 'prod' },
        { Key: 'redis-dr:plan', Value: 'sessions' },
        { Key: 'redis-dr:source', Value: 'rg-a' },
        { Key: 'redis-dr:tier', Value: 'monthly' },
      ]),
    });
    const call = ec.commandCalls(CreateSnapshotCommand)[0]!.args[0].input;
    expect(call.ReplicationGroupId).toBeUndefined();
  });

  it('snapshots a cluster-mode-enabled group by replication group id', async () => {
    ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [group('rg-sharded', 'available', true)] });
    await runSnapshotPlan(input({ targets: { replicationGroupIds: ['rg-sharded'], serverlessCacheNames: [], selectByTags: {} } }), deps);
    expect(ec).toHaveReceivedCommandWith(CreateSnapshotCommand, {
      ReplicationGroupId: 'rg-sharded',
      SnapshotName: 'rdr-rg-sharded-20261121-1000',
    });
    expect(ec.commandCalls(CreateSnapshotCommand)[0]!.args[0].input.CacheClusterId).toBeUndefined();
  });

  it('snapshots a serverless cache with CreateServerlessCacheSnapshot', async () => {
    ec.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [{ ServerlessCacheName: 'sls', Status: 'available' }] });
    ec.on(DescribeServerlessCacheSnapshotsCommand).resolves({ ServerlessCacheSnapshots: [] });
    ec.on(CreateServerlessCacheSnapshotCommand).resolves({});
    const report = await runSnapshotPlan(input({ targets: { replicationGroupIds: [], serverlessCacheNames: ['sls'], selectByTags: {} } }), deps);
    expect(report.created).toBe(1);
    expect(ec).toHaveReceivedCommandWith(CreateServerlessCacheSnapshotCommand, {
      ServerlessCacheName: 'sls',
      ServerlessCacheSnapshotName: 'rdr-sls-20261121-1000',
      Tags: expect.arrayContaining([{ Key: 'redis-dr:source-kind', Value: 'serverless-cache' }]),
    });
    expect(ec).toHaveReceivedCommandWith(DescribeServerlessCacheSnapshotsCommand, {
      ServerlessCacheName: 'sls',
      SnapshotType: 'manual',
    });
    expect(ec).not.toHaveReceivedCommand(CreateSnapshotCommand);
  });

  it('adds caches found by tag selection, across pages, without duplicating explicit ids', async () => {
    tagging
      .on(GetResourcesCommand, { TagFilters: [{ Key: 'team', Values: ['payments'] }] })
      .resolvesOnce({
        ResourceTagMappingList: [
          { ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:rg-a' },
          { ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:cluster:rg-a-001' },
        ],
        PaginationToken: 'p2',
      })
      .resolvesOnce({
        ResourceTagMappingList: [{ ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:rg-tagged' }],
        PaginationToken: '',
      });
    const report = await runSnapshotPlan(
      input({ targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: { team: 'payments' } } }),
      deps,
    );
    expect(report.results.map((r) => r.target)).toEqual(['rg-a', 'rg-tagged']);
    expect(tagging).toHaveReceivedNthCommandWith(GetResourcesCommand, 1, {
      TagFilters: [{ Key: 'team', Values: ['payments'] }],
    });
    expect(tagging).toHaveReceivedNthCommandWith(GetResourcesCommand, 2, { PaginationToken: 'p2' });
    // Then one query for both targets' own snapshots.
    expect(tagging).toHaveReceivedNthCommandWith(GetResourcesCommand, 3, {
      TagFilters: expect.arrayContaining([{ Key: 'redis-dr:source', Values: ['rg-a', 'rg-tagged'] }]),
    });
  });

  it('reads every page of more than 50 snapshots to classify the tier', async () => {
    // The previous snapshot (same day, an hour earlier) is only on the third page.
    const older = Array.from({ length: 100 }, (_, i) => snap(formatSnapshotName('rg-a', new Date(Date.parse('2026-11-10T00:00:00Z') + i * 3_600_000))));
    existing = [...older.map((o) => o.SnapshotName!), 'rdr-rg-a-20261121-0900'].map((name) => ({ name, status: 'available', tags: OURS }));
    ec.on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: older.slice(0, 50), Marker: 'm2' })
      .resolvesOnce({ Snapshots: older.slice(50, 100), Marker: 'm3' })
      .resolvesOnce({ Snapshots: [snap('rdr-rg-a-20261121-0900')] });
    const report = await runSnapshotPlan(input(), deps);
    expect(ec).toHaveReceivedCommandTimes(DescribeSnapshotsCommand, 3);
    expect(ec).toHaveReceivedNthCommandWith(DescribeSnapshotsCommand, 1, {
      ReplicationGroupId: 'rg-a',
      SnapshotSource: 'user',
      MaxRecords: 50,
    });
    expect(ec).toHaveReceivedNthCommandWith(DescribeSnapshotsCommand, 3, { Marker: 'm3' });
    expect(report.results[0]!.tier).toBe('hourly');
  });

  it.each([
    ['first snapshot of the target', [], 'monthly'],
    ['previous one yesterday', ['rdr-rg-a-20261120-1000'], 'daily'],
    ['previous one last ISO week', ['rdr-rg-a-20261115-1000'], 'weekly'],
    ['previous one failed, the one before last month', ['rdr-rg-a-20261121-0900:failed', 'rdr-rg-a-20261031-1000'], 'monthly'],
    ['previous one still creating (it may fail), the one before yesterday', ['rdr-rg-a-20261121-0900:creating', 'rdr-rg-a-20261120-1000'], 'daily'],
    ['a later snapshot (manual run) is not the previous one', ['rdr-rg-a-20261121-1030', 'rdr-rg-a-20261120-1000'], 'daily'],
    ["a snapshot of target rg-a-b is not rg-a's history", ['rdr-rg-a-b-20261121-0900'], 'monthly'],
    ["another plan's snapshot of the cache is not this plan's history", ['rdr-rg-a-20261121-0900:available:other', 'rdr-rg-a-20261120-1000'], 'daily'],
    ["another deployment's snapshot is not this plan's history", ['rdr-rg-a-20261121-0900:available:staging', 'rdr-rg-a-20261031-1000'], 'monthly'],
    ['an untagged rdr- snapshot (made by hand) is not history', ['rdr-rg-a-20261121-0900:available:none', 'rdr-rg-a-20261120-1000'], 'daily'],
  ])('classifies the tier from the previous successful snapshot of this plan: %s', async (_, names, tier) => {
    existing = names.map((n) => {
      const [name, status, owner] = n.split(':');
      const tags =
        owner === 'none'
          ? undefined
          : owner === 'other'
            ? { ...OURS, 'redis-dr:plan': 'other' }
            : owner === 'staging'
              ? { ...OURS, 'redis-dr:deployment': 'staging' }
              : OURS;
      return { name: name!, status: status ?? 'available', tags };
    });
    const report = await runSnapshotPlan(input(), deps);
    expect(report.results[0]!.tier).toBe(tier);
    expect(ec).toHaveReceivedCommandWith(CreateSnapshotCommand, {
      Tags: expect.arrayContaining([{ Key: 'redis-dr:tier', Value: tier }]),
    });
  });

  it("reports a failed snapshot with this tick's name instead of calling it done", async () => {
    existing = [{ name: 'rdr-rg-a-20261121-1000', status: 'failed', tags: OURS }];
    const err = (await runSnapshotPlan(input(), deps).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'snapshot-failed', attempts: 1 });
    expect(ec).not.toHaveReceivedCommand(CreateSnapshotCommand);
  });

  it("reports a conflict when this tick's name belongs to another plan (overlapping tag selections)", async () => {
    existing = [{ name: 'rdr-rg-a-20261121-1000', status: 'available', tags: { ...OURS, 'redis-dr:plan': 'queues' } }];
    const err = (await runSnapshotPlan(input(), deps).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'conflict' });
    expect(err.report.results[0]!.error).toContain('queues');
  });

  it('still takes the snapshots when the tag lookup fails, on the safe side of the tier (monthly), then fails the run naming it', async () => {
    // A hand-made (or another tool's) rdr- snapshot an hour ago: with tags it would not count; without them it must not lower the tier.
    existing = [{ name: 'rdr-rg-a-20261121-0900', status: 'available', tags: { note: 'made by hand' } }];
    tagging.on(GetResourcesCommand).rejects(awsError('AccessDeniedException', 'no tag:GetResources', 403));
    const err = (await runSnapshotPlan(input(), deps).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(err.report.created).toBe(1);
    expect(err.report.results[0]!.tier).toBe('monthly'); // never too low: kept longest until the tags can be read again
    expect(ec).toHaveReceivedCommandWith(CreateSnapshotCommand, { Tags: expect.arrayContaining([{ Key: 'redis-dr:tier', Value: 'monthly' }]) });
    expect(err.message).toMatch(/tag lookup failed, new snapshots tagged monthly \(the safe side\).*AccessDeniedException/);
  });

  it('still snapshots explicit targets when the tag selection fails, then fails the run', async () => {
    tagging.on(GetResourcesCommand, { TagFilters: [{ Key: 'team', Values: ['payments'] }] }).rejects(awsError('InternalFailure', 'boom', 500));
    const err = (await runSnapshotPlan(
      input({ targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: { team: 'payments' } } }),
      deps,
    ).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(err.report.results).toHaveLength(1);
    expect(err.report.created).toBe(1);
    expect(err.message).toMatch(/selectByTags lookup failed: InternalFailure/);
  });

  it("snapshots the region's caches without the tag key (selectWithoutTag), not one tagged with another tier", async () => {
    ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId?: string }) => ({
      ReplicationGroups: i.ReplicationGroupId ? [group(i.ReplicationGroupId)] : [group('untagged-a'), group('gold-b')],
    }));
    ec.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [] });
    tagging.on(GetResourcesCommand, { TagFilters: [] }).resolves({
      ResourceTagMappingList: [
        { ResourceARN: 'arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:gold-b', Tags: [{ Key: 'redis-dr:tier', Value: 'gold' }] },
      ],
    });
    const report = await runSnapshotPlan(
      input({ targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: { 'redis-dr:tier': 'bronze' }, selectWithoutTag: 'redis-dr:tier' } }),
      deps,
    );
    expect(report).toMatchObject({ targets: 1, created: 1, failed: 0 });
    expect(ec.commandCalls(CreateSnapshotCommand).map((c) => c.args[0].input.SnapshotName)).toEqual(['rdr-untagged-a-20261121-1000']);
  });

  it('fails the run, naming the selection, when the caches without the tag cannot be listed (never an empty selection that passes)', async () => {
    ec.on(DescribeReplicationGroupsCommand).rejects(awsError('AccessDeniedException', 'no Describe', 400));
    const err = await runSnapshotPlan(
      input({ targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: {}, selectWithoutTag: 'redis-dr:tier' } }),
      deps,
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^plan sessions: selectWithoutTag redis-dr:tier lookup failed: AccessDeniedException/);
    expect(ec).not.toHaveReceivedCommand(CreateSnapshotCommand);
  });

  it('keeps the report when a tagged cache id cannot be turned into a snapshot name', async () => {
    taggedTargets = ['arn:aws:elasticache:eu-west-1:111122223333:replicationgroup:Bad--Id'];
    const err = (await runSnapshotPlan(
      input({ targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: { team: 'x' } } }),
      deps,
    ).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(err.report.results.find((r) => r.target === 'rg-a')).toMatchObject({ outcome: 'created' });
    expect(err.report.results.find((r) => r.target === 'Bad--Id')).toMatchObject({ outcome: 'failed', reason: 'error' });
  });

  it('treats SnapshotAlreadyExistsFault as success (a rerun of the same tick)', async () => {
    ec.on(CreateSnapshotCommand).rejects(new SnapshotAlreadyExistsFault({ message: 'exists', ...meta }));
    const report = await runSnapshotPlan(input(), deps);
    expect(report).toMatchObject({ created: 0, existing: 1, failed: 0 });
  });

  it("does not wait for a cache that is busy with this tick's own snapshot", async () => {
    existing = [{ name: 'rdr-rg-a-20261121-1000', status: 'creating' }];
    ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [group('rg-a', 'snapshotting')] });
    const report = await runSnapshotPlan(input(), deps);
    expect(report.results[0]).toMatchObject({ outcome: 'exists', attempts: 1 });
    expect(ec).not.toHaveReceivedCommand(CreateSnapshotCommand);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries InvalidReplicationGroupStateFault with backoff and then creates the snapshot', async () => {
    ec.on(CreateSnapshotCommand)
      .rejectsOnce(new InvalidReplicationGroupStateFault({ message: 'snapshotting', ...meta }))
      .resolves({});
    const report = await runSnapshotPlan(input(), deps);
    expect(report.results[0]).toMatchObject({ outcome: 'created', attempts: 2 });
    expect(clock.sleeps).toHaveLength(1);
    // A busy cache waits on the busy scale (seconds), not the throttling one.
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(2_500);
  });

  it('retries a throttled call by itself, without redoing the calls before it', async () => {
    ec.on(DescribeReplicationGroupsCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('Throttling', 'Rate exceeded'))
      .resolves({ ReplicationGroups: [group('rg-a')] });
    const report = await runSnapshotPlan(input(), deps);
    expect(report.results[0]).toMatchObject({ outcome: 'created', attempts: 1 });
    expect(ec).toHaveReceivedCommandTimes(DescribeReplicationGroupsCommand, 3);
    expect(ec).toHaveReceivedCommandTimes(DescribeSnapshotsCommand, 1);
    expect(clock.sleeps[1]).toBeGreaterThan(clock.sleeps[0]!);
    expect(clock.sleeps[0]).toBeLessThan(1_000);
  });

  it('gives up on a cache that stays busy past the budget, reports it, and still snapshots the others', async () => {
    ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId: string }) => ({
      ReplicationGroups: [group(i.ReplicationGroupId, i.ReplicationGroupId === 'rg-busy' ? 'modifying' : 'available')],
    }));
    const run = runSnapshotPlan(
      input({ targets: { replicationGroupIds: ['rg-busy', 'rg-ok'], serverlessCacheNames: [], selectByTags: {} }, budgetSeconds: 120 }),
      deps,
    );
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    const report = (err as SnapshotRunFailedError).report;
    expect(report.results.find((r) => r.target === 'rg-busy')).toMatchObject({ outcome: 'failed', reason: 'busy' });
    expect(report.results.find((r) => r.target === 'rg-ok')).toMatchObject({ outcome: 'created' });
    expect((err as Error).message).toContain('rg-busy (busy');
    // Never slept past the budget.
    expect(clock.now() - (Date.parse(TICK) + 5_000)).toBeLessThanOrEqual(120_000);
    expect(metrics.sum('SnapshotsFailed', { Plan: 'sessions', Target: 'rg-busy' })).toBe(1);
    expect(metrics.sum('SnapshotsCreated', { Plan: 'sessions', Target: 'rg-ok' })).toBe(1);
    expect(metrics.sum('SnapshotsFailed', { Plan: 'sessions' })).toBe(1);
  });

  it('reports a target as throttled when throttling outlasts the budget', async () => {
    ec.on(CreateSnapshotCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const err = (await runSnapshotPlan(input({ budgetSeconds: 60 }), deps).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'throttled' });
    expect(err.report.results[0]!.error).toContain('ThrottlingException');
  });

  it('reports SnapshotQuotaExceededFault at once, without retrying', async () => {
    ec.on(CreateSnapshotCommand).rejects(new SnapshotQuotaExceededFault({ message: 'quota', ...meta }));
    const err = (await runSnapshotPlan(input(), deps).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'quota', attempts: 1 });
    expect(err.report.results[0]!.error).toContain('SnapshotQuotaExceededFault');
  });

  it('reports a replication group that does not exist', async () => {
    ec.on(DescribeReplicationGroupsCommand).rejects(new ReplicationGroupNotFoundFault({ message: 'nope', ...meta }));
    const err = (await runSnapshotPlan(input(), deps).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'not-found', attempts: 1 });
  });

  it('does not retry a cache in a terminal state', async () => {
    ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [group('rg-a', 'create-failed')] });
    const err = (await runSnapshotPlan(input(), deps).catch((e: unknown) => e)) as SnapshotRunFailedError;
    expect(err.report.results[0]).toMatchObject({ outcome: 'failed', reason: 'unavailable', attempts: 1 });
  });

  it('fails the run when the plan selects no caches at all', async () => {
    await expect(runSnapshotPlan(input({ targets: { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: { team: 'x' } } }), deps)).rejects.toThrow(
      /selected no caches/,
    );
    expect(metrics.sum('TargetsResolved', { Plan: 'sessions' })).toBe(0);
    expect(metrics.points.find((p) => p.name === 'TargetsResolved')).toBeDefined();
  });

  it('uses the scheduled time, not the clock, so every retry of a tick names the same snapshot', async () => {
    clock.advance(7 * 60_000);
    await runSnapshotPlan(input({ scheduledTime: '2026-11-21T10:00:59.999Z' }), deps);
    expect(ec).toHaveReceivedCommandWith(CreateSnapshotCommand, { SnapshotName: 'rdr-rg-a-20261121-1000' });
  });

  it('emits per-target and per-plan metrics with the Plan and Target dimensions', async () => {
    await runSnapshotPlan(input({ targets: { replicationGroupIds: ['rg-a', 'rg-b'], serverlessCacheNames: [], selectByTags: {} } }), deps);
    expect(metrics.sum('SnapshotsCreated', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(metrics.sum('SnapshotsCreated', { Plan: 'sessions', Target: 'rg-b' })).toBe(1);
    expect(metrics.sum('SnapshotsCreated', { Plan: 'sessions' })).toBe(2);
    expect(metrics.sum('SnapshotsFailed', { Plan: 'sessions' })).toBe(0);
    expect(metrics.sum('TargetsResolved', { Plan: 'sessions' })).toBe(2);
  });
});

describe('snapshot handler: probe', () => {
  /** The group above, with a primary endpoint and in-transit encryption. */
  function reachable(id: string): ReplicationGroup {
    const g = group(id);
    return { ...g, TransitEncryptionEnabled: true, NodeGroups: [{ ...g.NodeGroups![0]!, PrimaryEndpoint: { Address: `${id}.cache.local`, Port: 6380 } }] };
  }
  beforeEach(() => {
    ec.on(DescribeReplicationGroupsCommand).callsFake((i: { ReplicationGroupId: string }) => ({ ReplicationGroups: [reachable(i.ReplicationGroupId)] }));
  });

  it('writes the canary through the probe first and records it and the key count in the snapshot tags', async () => {
    const calls: ProbeInput[] = [];
    const probe = async (p: ProbeInput) => {
      calls.push(p);
      return { canary: p.canary, keys: 1234, expiries: 'toy6ck/a.5' };
    };
    await runSnapshotPlan(input({ probe: { authSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis' } }), { ...deps, probe });

    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual({
      host: 'rg-a.cache.local',
      port: 6380,
      tls: true,
      clusterMode: 'disabled',
      authSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis',
      canary: expect.stringMatching(/^rdr-rg-a-20261121-1000\/[0-9a-z]+\/2026-11-21T10:00:05\.000Z$/),
      // The snapshot comes from the replica: it must hold the canary first.
      waitReplicas: 1,
    });
    expect(ec).toHaveReceivedCommandWith(CreateSnapshotCommand, {
      SnapshotName: 'rdr-rg-a-20261121-1000',
      Tags: expect.arrayContaining([
        { Key: 'redis-dr:keys', Value: '1234' },
        { Key: 'redis-dr:canary', Value: calls[0]!.canary },
        // When the probe's keys expire: a primary drill subtracts only those expired by its check.
        { Key: 'redis-dr:ttl', Value: 'toy6ck/a.5' },
      ]),
    });
    expect(metrics.sum('ProbeFailed', { Plan: 'sessions', Target: 'rg-a' })).toBe(0);
  });

  it('still takes the snapshot when the probe fails, without canary and key count, counts ProbeFailed, and fails the run naming it', async () => {
    const probe = async () => {
      throw new Error('NOAUTH Authentication required');
    };
    const err = (await runSnapshotPlan(input({ probe: {} }), { ...deps, probe }).catch((e: unknown) => e)) as SnapshotRunFailedError;

    // The backup is taken, but the collapse tripwire cannot judge an uncounted point and no alarm watches ProbeFailed:
    // a probe failing every run (a rotated AUTH secret) left every run OK while a FLUSHALL could be rotated away.
    expect(err).toBeInstanceOf(SnapshotRunFailedError);
    const report = err.report;
    expect(report).toMatchObject({ created: 1, failed: 0 });
    expect(report.problems).toEqual([
      'rg-a: probe failed, rdr-rg-a-20261121-1000 taken without canary and key count (the keyspace-collapse tripwire cannot judge it, a drill cannot check its canary): Error: NOAUTH Authentication required',
    ]);
    expect(err.message).toContain('plan sessions: rg-a: probe failed');
    const tags = ec.commandCalls(CreateSnapshotCommand)[0]!.args[0].input.Tags!.map((t) => t.Key);
    expect(tags).not.toContain('redis-dr:keys');
    expect(tags).not.toContain('redis-dr:canary');
    expect(metrics.sum('ProbeFailed', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(deps.log.lines.find((l) => l.message.startsWith('probe failed'))?.extra).toMatchObject({ error: 'Error: NOAUTH Authentication required' });
  });

  it('probes a serverless cache through its endpoint (TLS, cluster protocol), no replica to wait for', async () => {
    ec.on(DescribeServerlessCachesCommand).resolves({
      ServerlessCaches: [{ ServerlessCacheName: 'sls', Status: 'available', Endpoint: { Address: 'sls-abc.serverless.euw1.cache.amazonaws.com', Port: 6379 } }],
    });
    ec.on(DescribeServerlessCacheSnapshotsCommand).resolves({ ServerlessCacheSnapshots: [] });
    ec.on(CreateServerlessCacheSnapshotCommand).resolves({});
    const calls: ProbeInput[] = [];
    const probe = async (p: ProbeInput) => (calls.push(p), { canary: p.canary, keys: 77 });
    await runSnapshotPlan(input({ targets: { replicationGroupIds: [], serverlessCacheNames: ['sls'], selectByTags: {} }, probe: {} }), { ...deps, probe });
    expect(calls).toEqual([
      {
        host: 'sls-abc.serverless.euw1.cache.amazonaws.com',
        port: 6379,
        tls: true,
        clusterMode: 'enabled',
        canary: expect.stringMatching(/^rdr-sls-20261121-1000\//),
      },
    ]);
    expect(ec).toHaveReceivedCommandWith(CreateServerlessCacheSnapshotCommand, { Tags: expect.arrayContaining([{ Key: 'redis-dr:keys', Value: '77' }]) });
    expect(metrics.sum('ProbeFailed', { Plan: 'sessions', Target: 'sls' })).toBe(0);
  });

  it('does not probe plans without a probe, even when a probe function exists', async () => {
    let called = false;
    await runSnapshotPlan(input(), { ...deps, probe: async (p) => ((called = true), { canary: p.canary, keys: 1 }) });
    expect(called).toBe(false);
  });
});
