import { DeleteSnapshotCommand } from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../lib/config/index.js';
import { OperatorClients } from '../../../../lambdas/jobs/kernel/clients.js';
import { pruneDryRun } from '../../../../lambdas/jobs/scheduled/prune-dry-run.js';
import { fakeAws } from '../../../cli/support/fake-aws.js';
import { FakeClock } from '../../../support/fakes.js';

const NOW = Date.parse('2026-11-21T10:10:00Z');
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' };
const aws = fakeAws();

beforeEach(() => {
  aws.install();
  aws.state.snapshots.clear();
});

describe('pruneDryRun', () => {
  it('is the prune job itself with deletions off: the run is the scheduled one (its log line), every decision is shown, nothing is deleted', async () => {
    // Prepare: 14 hourly snapshots two hours apart; the plan keeps 12 hourly (and daily ones).
    for (let i = 0; i < 14; i++) {
      const at = new Date(NOW - 600_000 - i * 2 * 3600_000).toISOString();
      const name = `rdr-sessions-prod-${at.slice(0, 10).replaceAll('-', '')}-${at.slice(11, 16).replace(':', '')}`;
      aws.state.snapshots.set(name, {
        name,
        target: 'sessions-prod',
        status: 'available',
        createdAt: new Date(at),
        tags: { ...OURS, 'redis-dr:tier': 'hourly' },
      });
    }
    const config = loadConfig('test/fixtures/config/drills.json');
    const clients = new OperatorClients(config, { clock: new FakeClock(NOW) });

    // Act
    const r = await pruneDryRun(config, clients, config.plans.find((p) => p.name === 'sessions')!);

    // Assess: the decisions of the run, and the run is runPrunePlan's (dry run, as the Lambda with retention.dryRun)
    const t = r.targets.find((x) => x.target === 'sessions-prod')!;
    expect(t.keep.length + t.delete.length).toBe(14);
    expect(t.delete.length).toBeGreaterThan(0);
    expect(r.now).toBe(new Date(NOW).toISOString());
    expect(clients.log.entries.some((e) => e.message === 'prune run finished' && e.extra.dryRun === true)).toBe(true);
    expect(clients.log.entries.filter((e) => e.message === 'dry run: would delete snapshot').length).toBe(Math.min(t.delete.length, r.maxDeletesPerTarget));
    expect(aws.ec.commandCalls(DeleteSnapshotCommand)).toHaveLength(0);
  });

  /** 14 hourly snapshots two hours apart (the plan keeps 12 hourly), the newest with `newestTags`. */
  function fleet(newestTags: Record<string, string> = {}): string[] {
    const names: string[] = [];
    for (let i = 0; i < 14; i++) {
      const at = new Date(NOW - 600_000 - i * 2 * 3600_000).toISOString();
      const name = `rdr-sessions-prod-${at.slice(0, 10).replaceAll('-', '')}-${at.slice(11, 16).replace(':', '')}`;
      names.push(name);
      const tags = { ...OURS, 'redis-dr:tier': 'hourly', ...(i === 0 ? newestTags : {}) };
      aws.state.snapshots.set(name, { name, target: 'sessions-prod', status: 'available', createdAt: new Date(at), tags });
    }
    return names;
  }
  const dryRun = async () => {
    const config = loadConfig('test/fixtures/config/drills.json');
    return pruneDryRun(config, new OperatorClients(config, { clock: new FakeClock(NOW) }), config.plans.find((p) => p.name === 'sessions')!);
  };

  it("an unheld target: the run's own per-target result says what this run would delete (within the cap), and the run is ok", async () => {
    const names = fleet();
    const r = await dryRun();
    const prod = r.results.find((x) => x.target === 'sessions-prod')!;
    expect(prod.hold).toBeUndefined();
    expect(prod.wouldDelete).toEqual([names[13], names[12]]);
    expect(prod.deleted).toEqual([]);
    // The serverless target has no snapshot yet: its rail holds it (no available point).
    expect(r.results.filter((x) => x.hold).map((x) => [x.target, x.hold!.reason])).toEqual([['sessions-edge', 'no-available-point']]);
    expect(r.held).toBe(1);
    expect(r.outcome).toBe('ok');
    expect(r.results.map((x) => x.target)).toEqual(['sessions-edge', 'sessions-prod']);
  });

  it('a held target (its newest point a keyspace collapse): the hold is in the result with its reason, nothing would be deleted, and the run is ok as the scheduled one is', async () => {
    fleet({ 'redis-dr:collapsed': 'rdr-sessions-prod holds 0 keys 100 pct fewer than 1000' });
    const r = await dryRun();
    const prod = r.results.find((x) => x.target === 'sessions-prod')!;
    expect(prod.hold).toMatchObject({ reason: 'newest-collapsed', detail: expect.stringMatching(/is a keyspace collapse/) });
    expect(prod.wouldDelete).toEqual([]);
    expect(r.targets.find((x) => x.target === 'sessions-prod')!.hold).toMatchObject({ reason: 'newest-collapsed' });
    expect(r.held).toBe(2);
    expect(r.outcome).toBe('ok');
    expect(aws.ec.commandCalls(DeleteSnapshotCommand)).toHaveLength(0);
  });
});
