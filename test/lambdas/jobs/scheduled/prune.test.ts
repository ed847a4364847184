import {
  DeleteServerlessCacheSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  InvalidSnapshotStateFault,
  SnapshotNotFoundFault,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, type ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatSnapshotName } from '../../../../lambdas/domain/plans/naming.js';
import type { PruneRunInput } from '../../../../lambdas/domain/plans/plan-input.js';
import { classifyTier } from '../../../../lambdas/domain/plans/tier.js';
import { PruneRunFailedError, runPrunePlan } from '../../../../lambdas/jobs/scheduled/prune.js';
import { awsError, fakeDeps, FakeClock, type MemoryLog, type MemoryMetrics } from '../../../support/fakes.js';

const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const NOW = Date.parse('2026-11-21T10:30:00Z');
const HOUR = 3_600_000;
const meta = { $metadata: {} };

interface Hist {
  name: string;
  at: Date;
  status: string;
  tags?: Record<string, string>;
}

/** `hours` hourly snapshots of `target`, newest at 10:00 on the test day, tagged as the snapshot Lambda tags them. */
function history(target: string, hours: number, plan = 'sessions'): Hist[] {
  const out: Hist[] = [];
  let previous: Date | undefined;
  for (let i = hours - 1; i >= 0; i--) {
    const at = new Date(Date.parse('2026-11-21T10:00:00Z') - i * HOUR);
    const tier = classifyTier(previous, at, 'UTC');
    previous = at;
    out.push({
      name: formatSnapshotName(target, at),
      at,
      status: 'available',
      tags: {
        'redis-dr:managed': 'true',
        'redis-dr:deployment': 'prod',
        'redis-dr:plan': plan,
        'redis-dr:source': target,
        'redis-dr:tier': tier,
      },
    });
  }
  return out;
}

let fleet: Map<string, Hist[]>;

function install(): void {
  ec.on(DescribeSnapshotsCommand).callsFake((i: { ReplicationGroupId: string; Marker?: string }) => {
    const all = fleet.get(i.ReplicationGroupId) ?? [];
    const start = Number(i.Marker ?? 0);
    const page = all.slice(start, start + 50);
    const snapshots: Snapshot[] = page.map((h) => ({
      SnapshotName: h.name,
      SnapshotStatus: h.status,
      NodeSnapshots: [{ SnapshotCreateTime: h.at }],
    }));
    return { Snapshots: snapshots, Marker: start + 50 < all.length ? String(start + 50) : undefined };
  });
  tagging.on(GetResourcesCommand).callsFake((i: { TagFilters: { Key: string; Values: string[] }[] }) => {
    const want = Object.fromEntries(i.TagFilters.map((f) => [f.Key, f.Values]));
    const list: ResourceTagMapping[] = [];
    for (const hist of fleet.values()) {
      for (const h of hist) {
        if (!h.tags) continue;
        const match = Object.entries(want).every(([k, vs]) => vs.includes(h.tags![k] ?? '\u0000'));
        if (match) {
          list.push({
            ResourceARN: `arn:aws:elasticache:eu-west-1:111122223333:snapshot:${h.name}`,
            Tags: Object.entries(h.tags).map(([Key, Value]) => ({ Key, Value })),
          });
        }
      }
    }
    return { ResourceTagMappingList: list };
  });
  ec.on(DeleteSnapshotCommand).resolves({});
}

let clock: FakeClock;
let metrics: MemoryMetrics;
let log: MemoryLog;
let deps: ReturnType<typeof fakeDeps>;

function input(overrides: Partial<PruneRunInput> = {}): PruneRunInput {
  return {
    deployment: 'prod',
    plan: 'sessions',
    targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
    timeZone: 'UTC',
    rpoMinutes: 90,
    retention: { hourly: 24, daily: 7, weekly: 4, monthly: 12, minKeep: 3 },
    dryRun: false,
    maxDeletesPerTarget: 500,
    budgetSeconds: 600,
    scheduledTime: new Date(NOW).toISOString(),
    ...overrides,
  };
}

const deletedNames = () => ec.commandCalls(DeleteSnapshotCommand).map((c) => c.args[0].input.SnapshotName);

beforeEach(() => {
  ec.reset();
  tagging.reset();
  fleet = new Map();
  install();
  deps = fakeDeps(NOW);
  ({ clock, metrics, log } = deps);
});

describe('prune handler', () => {
  it('in a plan that exports, keeps the newest snapshot due for a DR copy until its export finished (the redis-dr:exported tag)', async () => {
    fleet.set('rg-a', history('rg-a', 3 * 24));
    const dailies = fleet.get('rg-a')!.filter((h) => h.tags!['redis-dr:tier'] !== 'hourly');
    // Exports finished for every daily point but the newest one.
    for (const h of dailies.slice(0, -1)) h.tags!['redis-dr:exported'] = '2026-11-21T01:00:00.000Z';
    const pending = dailies.at(-1)!.name;
    const policy = { retention: { hourly: 2, daily: 0, weekly: 0, monthly: 0, minKeep: 1 } };
    await runPrunePlan(input({ ...policy, exportMinTier: 'daily' }), deps);
    expect(deletedNames()).not.toContain(pending);
    expect(deletedNames()).toContain(dailies[0]!.name);
    // The same run without the export rail deletes it.
    ec.resetHistory();
    await runPrunePlan(input(policy), deps);
    expect(deletedNames()).toContain(pending);
  });

  it('deletes what grandfather-father-son retention expires, over every page, logging each reason', async () => {
    fleet.set('rg-a', history('rg-a', 10 * 24)); // 240 hourly snapshots over 10 days
    const report = await runPrunePlan(input(), deps);

    // Kept: the newest 24, plus the first snapshot of each of the 7 newest days
    // (today's first is within the newest 24 → 6 more), plus older weekly/monthly.
    const deleted = deletedNames();
    expect(report.deleted).toBe(deleted.length);
    expect(report.results[0]!.kept + deleted.length).toBe(240);
    const newest24 = fleet
      .get('rg-a')!
      .slice(-24)
      .map((h) => h.name);
    expect(deleted.some((n) => newest24.includes(n!))).toBe(false);
    expect(deleted).not.toContain('rdr-rg-a-20261120-0000'); // a day's first: daily tier
    expect(deleted).toContain('rdr-rg-a-20261120-0100');
    expect(ec).toHaveReceivedCommandTimes(DescribeSnapshotsCommand, 5); // 240 / 50
    const logged = log.lines.filter((l) => l.message === 'deleted snapshot');
    expect(logged).toHaveLength(deleted.length);
    expect(logged.every((l) => typeof l.extra?.reason === 'string' && (l.extra.reason as string).length > 0)).toBe(true);
    expect(metrics.sum('SnapshotsDeleted', { Plan: 'sessions', Target: 'rg-a' })).toBe(deleted.length);
  });

  it('never deletes a snapshot whose tags do not say managed by this plan', async () => {
    const hist = history('rg-a', 72);
    delete hist[0]!.tags; // no tags at all (made by hand, or the Tagging API has not caught up)
    hist[1]!.tags = { ...hist[1]!.tags!, 'redis-dr:managed': 'false' };
    hist[2]!.tags = { ...hist[2]!.tags!, 'redis-dr:plan': 'other-plan' };
    fleet.set('rg-a', hist);
    await runPrunePlan(input(), deps);
    const deleted = deletedNames();
    expect(deleted).not.toContain(hist[0]!.name);
    expect(deleted).not.toContain(hist[1]!.name);
    expect(deleted).not.toContain(hist[2]!.name);
    expect(deleted).toContain(hist[3]!.name);
  });

  it("never deletes another deployment's snapshot of the same cache", async () => {
    const hist = history('rg-a', 72);
    hist[3]!.tags = { ...hist[3]!.tags!, 'redis-dr:deployment': 'staging' };
    fleet.set('rg-a', hist);
    await runPrunePlan(input(), deps);
    expect(deletedNames()).not.toContain(hist[3]!.name);
    expect(deletedNames()).toContain(hist[4]!.name);
  });

  it('counts rdr- snapshots the Tagging API knows nothing about', async () => {
    const hist = history('rg-a', 30);
    delete hist[0]!.tags;
    delete hist[1]!.tags;
    fleet.set('rg-a', hist);
    const report = await runPrunePlan(input(), deps);
    expect(report.results[0]!.untagged).toBe(2);
    expect(metrics.sum('SnapshotsUntagged', { Plan: 'sessions', Target: 'rg-a' })).toBe(2);
    // The plan-level figure is what the snapshots-untagged alarm watches.
    expect(metrics.sum('SnapshotsUntagged', { Plan: 'sessions' })).toBe(2);
  });

  it('fails the run and deletes nothing when the ownership tag lookup fails (never ends green on a blind Tagging API)', async () => {
    fleet.set('rg-a', history('rg-a', 10 * 24));
    tagging.on(GetResourcesCommand).rejects(awsError('AccessDeniedException', 'not allowed to call tag:GetResources', 400));
    await expect(runPrunePlan(input(), deps)).rejects.toThrow('not allowed to call tag:GetResources');
    expect(ec).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });

  it('judges the RPO rail by the clock when the event is old (a retry or a replay)', async () => {
    fleet.set('rg-a', history('rg-a', 72)); // newest at 10:00 on the 21st
    clock = new FakeClock(NOW + 4 * 24 * HOUR); // backups stopped 4 days ago
    const report = await runPrunePlan(input({ scheduledTime: new Date(NOW).toISOString() }), { ...deps, clock });
    expect(report.results[0]!.hold?.reason).toBe('newest-stale');
    expect(ec).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });

  it("stops deleting when the run's budget is spent and defers the rest", async () => {
    fleet.set('rg-a', history('rg-a', 72));
    ec.on(DeleteSnapshotCommand).callsFake(() => {
      clock.advance(4_000);
      return {};
    });
    const report = await runPrunePlan(input({ budgetSeconds: 10, maxDeletesPerTarget: 500 }), deps);
    expect(report.deleted).toBe(3);
    expect(report.deferred).toBeGreaterThan(0);
    expect(report.failed).toBe(0);
  });

  it('still prunes explicit targets when the tag selection fails, then fails the run', async () => {
    fleet.set('rg-a', history('rg-a', 48));
    tagging.on(GetResourcesCommand, { TagFilters: [{ Key: 'team', Values: ['x'] }] }).rejects(awsError('InternalFailure', 'boom', 500));
    const err = (await runPrunePlan(input({ targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: { team: 'x' } } }), deps).catch(
      (e: unknown) => e,
    )) as PruneRunFailedError;
    expect(err).toBeInstanceOf(PruneRunFailedError);
    expect(err.report.deleted).toBeGreaterThan(0);
    expect(err.message).toMatch(/selectByTags lookup failed/);
  });

  it('never touches snapshots that do not follow our naming, even with our tags', async () => {
    const hist = history('rg-a', 48);
    // Our tags, even the lowest tier, but not our naming: left alone.
    hist.unshift({
      name: 'nightly-by-hand',
      at: new Date(NOW - 40 * 24 * HOUR),
      status: 'available',
      tags: { ...hist[0]!.tags!, 'redis-dr:tier': 'hourly' },
    });
    fleet.set('rg-a', hist);
    await runPrunePlan(input(), deps);
    expect(deletedNames()).not.toContain('nightly-by-hand');
  });

  it('deletes nothing for a target whose newest snapshot failed, and reports the hold', async () => {
    const hist = history('rg-a', 72);
    hist[hist.length - 1]!.status = 'failed';
    fleet.set('rg-a', hist);
    const report = await runPrunePlan(input(), deps);
    expect(ec).not.toHaveReceivedCommand(DeleteSnapshotCommand);
    expect(report.results[0]!.hold?.reason).toBe('newest-failed');
    expect(report.held).toBe(1);
    expect(metrics.sum('PruneHeld', { Plan: 'sessions', Target: 'rg-a' })).toBe(1);
    expect(log.lines.some((l) => l.level === 'warn' && /safety rail/.test(l.message))).toBe(true);
  });

  it('deletes nothing for a target whose newest snapshot is older than the RPO', async () => {
    fleet.set('rg-a', history('rg-a', 72));
    clock = new FakeClock(NOW + 3 * HOUR);
    const report = await runPrunePlan(input({ scheduledTime: new Date(NOW + 3 * HOUR).toISOString() }), { ...deps, clock });
    expect(report.results[0]!.hold?.reason).toBe('newest-stale');
    expect(ec).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });

  it('holds one target without stopping the others', async () => {
    const held = history('rg-held', 72);
    held[held.length - 1]!.status = 'failed';
    fleet.set('rg-held', held);
    fleet.set('rg-ok', history('rg-ok', 72));
    const report = await runPrunePlan(input({ targets: { replicationGroupIds: ['rg-held', 'rg-ok'], serverlessCacheNames: [], selectByTags: {} } }), deps);
    expect(report.held).toBe(1);
    expect(deletedNames().every((n) => n!.startsWith('rdr-rg-ok-'))).toBe(true);
    expect(report.deleted).toBeGreaterThan(0);
  });

  it('in dry-run mode deletes nothing and reports what it would delete', async () => {
    fleet.set('rg-a', history('rg-a', 72));
    const report = await runPrunePlan(input({ dryRun: true }), deps);
    expect(ec).not.toHaveReceivedCommand(DeleteSnapshotCommand);
    expect(report.wouldDelete).toBeGreaterThan(0);
    expect(report.deleted).toBe(0);
    expect(metrics.sum('SnapshotsWouldDelete', { Plan: 'sessions', Target: 'rg-a' })).toBe(report.wouldDelete);
    expect(log.lines.filter((l) => l.message.startsWith('dry run'))).toHaveLength(report.wouldDelete);
  });

  it('deletes at most maxDeletesPerTarget per run, oldest first, and defers the rest', async () => {
    fleet.set('rg-a', history('rg-a', 72));
    const report = await runPrunePlan(input({ maxDeletesPerTarget: 5 }), deps);
    const deleted = deletedNames();
    expect(deleted).toHaveLength(5);
    // 11:00 on the 18th is the first snapshot ever (monthly tier): the oldest expired one is 12:00.
    expect(deleted[0]).toBe('rdr-rg-a-20261118-1200');
    expect(deleted).toEqual([...deleted].sort());
    expect(report.deferred).toBeGreaterThan(0);
    expect(metrics.sum('PruneDeferred', { Plan: 'sessions', Target: 'rg-a' })).toBe(report.deferred);
  });

  it('queries the Tagging API with at most 20 sources per tag filter', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `rg-${String(i).padStart(2, '0')}`);
    ids.forEach((id) => {
      fleet.set(id, history(id, 30));
    });
    const report = await runPrunePlan(input({ targets: { replicationGroupIds: ids, serverlessCacheNames: [], selectByTags: {} } }), deps);
    expect(report.targets).toBe(25);
    const filters = tagging.commandCalls(GetResourcesCommand).map((c) => c.args[0].input.TagFilters!.find((f) => f.Key === 'redis-dr:source')!.Values!.length);
    expect(filters.sort()).toEqual([20, 5].sort());
    expect(tagging).toHaveReceivedCommandWith(GetResourcesCommand, {
      TagFilters: expect.arrayContaining([
        { Key: 'redis-dr:managed', Values: ['true'] },
        { Key: 'redis-dr:deployment', Values: ['prod'] },
      ]),
    });
  });

  it('retries throttled deletions, defers busy ones, counts already-gone ones as deleted', async () => {
    fleet.set('rg-a', history('rg-a', 30));
    ec.on(DeleteSnapshotCommand)
      .rejectsOnce(awsError('ThrottlingException'))
      .rejectsOnce(new InvalidSnapshotStateFault({ message: 'exporting', ...meta }))
      .rejectsOnce(new SnapshotNotFoundFault({ message: 'gone', ...meta }))
      .resolves({});
    const report = await runPrunePlan(input(), deps);
    expect(report.failed).toBe(0);
    expect(report.deferred).toBe(1);
    // Every expired one is deleted or deferred; the already-gone one counts as deleted.
    const expired = report.deleted + report.deferred;
    expect(ec).toHaveReceivedCommandTimes(DeleteSnapshotCommand, expired + 1); // + the throttled retry
    expect(report.results[0]!.deleted).toContain(ec.commandCalls(DeleteSnapshotCommand)[2]!.args[0].input.SnapshotName); // the SnapshotNotFoundFault one
    expect(clock.sleeps.length).toBeGreaterThanOrEqual(1);
  });

  it('reports a failed deletion and fails the run after finishing every target', async () => {
    fleet.set('rg-a', history('rg-a', 30));
    fleet.set('rg-b', history('rg-b', 30));
    ec.on(DeleteSnapshotCommand).callsFake((i: { SnapshotName: string }) => {
      if (i.SnapshotName.startsWith('rdr-rg-a-')) throw awsError('AccessDeniedException', 'not authorized', 403);
      return {};
    });
    const err = (await runPrunePlan(input({ targets: { replicationGroupIds: ['rg-a', 'rg-b'], serverlessCacheNames: [], selectByTags: {} } }), deps).catch(
      (e: unknown) => e,
    )) as PruneRunFailedError;
    expect(err).toBeInstanceOf(PruneRunFailedError);
    expect(err.report.results.find((r) => r.target === 'rg-b')!.deleted.length).toBeGreaterThan(0);
    expect(err.report.results.find((r) => r.target === 'rg-a')!.failed[0]!.error).toContain('AccessDeniedException');
    expect(metrics.sum('SnapshotDeleteFailed', { Plan: 'sessions' })).toBeGreaterThan(0);
  });

  it('decides nothing for a target whose listing fails, and fails the run', async () => {
    fleet.set('rg-b', history('rg-b', 30));
    ec.on(DescribeSnapshotsCommand, { ReplicationGroupId: 'rg-a' }).rejects(awsError('InternalFailure', 'boom', 500));
    const err = (await runPrunePlan(input({ targets: { replicationGroupIds: ['rg-a', 'rg-b'], serverlessCacheNames: [], selectByTags: {} } }), deps).catch(
      (e: unknown) => e,
    )) as PruneRunFailedError;
    expect(err).toBeInstanceOf(PruneRunFailedError);
    expect(err.report.results.find((r) => r.target === 'rg-a')!.error).toContain('InternalFailure');
    expect(deletedNames().every((n) => n!.startsWith('rdr-rg-b-'))).toBe(true);
  });

  it('deletes serverless snapshots with DeleteServerlessCacheSnapshot', async () => {
    const hist = history('sls', 40);
    fleet.set('sls', hist);
    ec.on(DescribeServerlessCacheSnapshotsCommand).resolves({
      ServerlessCacheSnapshots: hist.map((h) => ({ ServerlessCacheSnapshotName: h.name, Status: 'available', CreateTime: h.at })),
    });
    tagging.on(GetResourcesCommand).resolves({
      ResourceTagMappingList: hist.map((h) => ({
        ResourceARN: `arn:aws:elasticache:eu-west-1:111122223333:serverlesscachesnapshot:${h.name}`,
        Tags: Object.entries(h.tags!).map(([Key, Value]) => ({ Key, Value })),
      })),
    });
    ec.on(DeleteServerlessCacheSnapshotCommand).resolves({});
    const report = await runPrunePlan(input({ targets: { replicationGroupIds: [], serverlessCacheNames: ['sls'], selectByTags: {} } }), deps);
    expect(report.deleted).toBeGreaterThan(0);
    expect(ec).toHaveReceivedCommandTimes(DeleteServerlessCacheSnapshotCommand, report.deleted);
    expect(ec).not.toHaveReceivedCommand(DeleteSnapshotCommand);
  });
});

describe('prune handler: keyspace-collapse holds (tags mapped in plan-snapshots)', () => {
  const policy = { retention: { hourly: 2, daily: 0, weekly: 0, monthly: 0, minKeep: 1 } };

  it('deletes nothing of a target whose newest available point is collapsed (redis-dr:collapsed)', async () => {
    fleet.set('rg-a', history('rg-a', 48));
    fleet.get('rg-a')!.at(-1)!.tags!['redis-dr:collapsed'] = 'rdr-rg-a-20261121-1000 holds 0 keys 100 pct fewer than 1000';
    const report = await runPrunePlan(input(policy), deps);
    expect(deletedNames()).toEqual([]);
    expect(report.results[0]!.hold).toMatchObject({ reason: 'newest-collapsed' });
  });

  it('deletes nothing while the newest point is not judged yet (redis-dr:collapsed=unjudged: its tags could not be read when it was taken)', async () => {
    fleet.set('rg-a', history('rg-a', 48));
    fleet.get('rg-a')!.at(-1)!.tags!['redis-dr:collapsed'] = 'unjudged';
    const report = await runPrunePlan(input(policy), deps);
    expect(deletedNames()).toEqual([]);
    expect(report.results[0]!.hold).toMatchObject({ reason: 'newest-unproven' });
  });

  it('keeps an active collapsed point that good points followed, past its tiers, until it is released (deleted, the page would clear unreleased)', async () => {
    const hist = history('rg-a', 48);
    fleet.set('rg-a', hist);
    const collapsed = hist.at(-10)!;
    collapsed.tags!['redis-dr:collapsed'] = `${collapsed.name} holds 0 keys 100 pct fewer than 1000`;
    const report = await runPrunePlan(input(policy), deps);
    const deleted = deletedNames();
    expect(report.results[0]!.hold).toBeUndefined();
    expect(deleted).toContain(hist.at(-9)!.name);
    expect(deleted).not.toContain(collapsed.name);
  });

  it('prunes again once the collapse was released (the mark rewritten to released …)', async () => {
    fleet.set('rg-a', history('rg-a', 48));
    fleet.get('rg-a')!.at(-1)!.tags!['redis-dr:collapsed'] = 'released 2026-11-21T10:20:00.000Z rdr-rg-a-20261121-1000 holds 0 keys';
    await runPrunePlan(input(policy), deps);
    expect(deletedNames().length).toBeGreaterThan(0);
  });

  it('keeps the fullest probed point of the last 7 days while the newest holds fewer keys (the drain watch), deleting the rest it expires', async () => {
    const hist = history('rg-a', 48);
    fleet.set('rg-a', hist);
    // A drain: 40 % fewer keys each hour over the last 10 points; the fullest is the 10th newest.
    for (const [i, h] of hist.slice(-10).entries())
      Object.assign(h.tags!, { 'redis-dr:keys': String(Math.round(100_000 * 0.6 ** i) + 1), 'redis-dr:canary': 'c' });
    const fullest = hist.at(-10)!.name;
    const report = await runPrunePlan(input(policy), deps);
    const deleted = deletedNames();
    expect(deleted).not.toContain(fullest);
    expect(deleted).toContain(hist.at(-9)!.name);
    expect(report.results[0]!.hold).toBeUndefined();
  });

  it('keeps every held point (redis-dr:hold) whatever its tier, and deletes the others it expires', async () => {
    const hist = history('rg-a', 48);
    fleet.set('rg-a', hist);
    const held = hist.slice(0, 5).map((h) => h.name);
    for (const h of hist.slice(0, 5)) h.tags!['redis-dr:hold'] = 'keyspace-collapsed:rdr-rg-a-20261121-0900';
    await runPrunePlan(input(policy), deps);
    const deleted = deletedNames();
    expect(deleted.length).toBeGreaterThan(0);
    for (const name of held) expect(deleted).not.toContain(name);
    expect(deleted).toContain(hist[5]!.name);
  });
});
