import { DeleteSnapshotCommand } from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../lib/config/index.js';
import { OperatorClients } from '../../../../lambdas/jobs/on-demand/clients.js';
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
});
