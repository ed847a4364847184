import { DeleteSnapshotCommand } from '@aws-sdk/client-elasticache';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../support/fakes.js';
import { fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';

const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:10:00Z');
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' };
const aws = fakeAws();
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['prune', '-c', CONFIG, ...args], { clock });

function snapshot(at: string, tier: string, o: { status?: string; tags?: Record<string, string> | null } = {}): string {
  const d = new Date(at);
  const name = `rdr-sessions-prod-${at.slice(0, 10).replaceAll('-', '')}-${at.slice(11, 16).replace(':', '')}`;
  aws.state.snapshots.set(name, {
    name,
    target: 'sessions-prod',
    status: o.status ?? 'available',
    createdAt: d,
    tags: o.tags === null ? {} : { ...OURS, 'redis-dr:tier': tier, ...o.tags },
  });
  return name;
}

beforeEach(() => {
  aws.install();
  aws.state.snapshots.clear();
  clock = new FakeClock(NOW);
});

describe('prune --dry-run (against AWS)', () => {
  it('keeps what the GFS rules keep (with the rules), would delete the rest, and deletes nothing', async () => {
    // 14 hourly-tier snapshots two hours apart: the plan keeps 12 hourly (+ daily ones).
    const names = Array.from({ length: 14 }, (_, i) => snapshot(new Date(NOW - 600_000 - i * 2 * 3600_000).toISOString(), 'hourly'));
    const foreign = snapshot('2026-11-01T00:00:00Z', 'daily', { tags: { 'redis-dr:plan': 'other' } });

    const r = await run('--plan', 'sessions', '--dry-run', '--json');

    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      targets: { target: string; keep: { name: string; reasons: string[] }[]; delete: { name: string }[]; ignored: { name: string }[] }[];
      maxDeletesPerTarget: number;
    };
    expect(out.maxDeletesPerTarget).toBe(10);
    const t = out.targets.find((x) => x.target === 'sessions-prod')!;
    expect(t.keep.map((k) => k.name)).toContain(names[0]);
    // The plan exports every tier and none of these snapshots is marked exported yet: the newest is also kept for its DR copy.
    expect(t.keep.find((k) => k.name === names[0])!.reasons).toEqual([
      'hourly: 1st newest of 12 kept',
      'minKeep: 1st newest of 3 always kept',
      'export pending: the newest snapshot due for a DR copy (tier hourly or higher) whose export has not finished',
    ]);
    expect(t.keep.map((k) => k.name)).toEqual(names.slice(0, 12));
    expect(t.delete.map((d) => d.name)).toEqual(names.slice(12));
    // Another plan's snapshot is never this plan's to prune.
    expect([...t.keep, ...t.delete].map((x) => x.name)).not.toContain(foreign);
    expect(aws.ec.commandCalls(DeleteSnapshotCommand)).toHaveLength(0);
    // The serverless target of the plan shows, with nothing to keep.
    expect(out.targets.map((x) => x.target)).toEqual(['sessions-edge', 'sessions-prod']);

    const text = await run('--plan', 'sessions', '--dry-run');
    expect(text.stdout).toMatch(/^DRY RUN: nothing deleted\. Plan sessions in eu-west-1/);
    expect(text.stdout).toContain(`  DELETE  ${t.delete[0]!.name}`);
  });

  it('shows the safety rail: a newest snapshot older than the RPO holds every deletion', async () => {
    for (let i = 0; i < 6; i++) snapshot(new Date(NOW - 2 * 86_400_000 - i * 86_400_000).toISOString(), 'daily');
    const r = await run('--plan', 'sessions', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sessions-prod: keep 6, delete 0, ignored 0 - HOLD: /);
  });

  it('prints what the run itself would do per target: a keyspace-collapse hold with its reason, and the deletions of an unheld run', async () => {
    const names = Array.from({ length: 14 }, (_, i) => snapshot(new Date(NOW - 600_000 - i * 2 * 3600_000).toISOString(), 'hourly'));
    const unheld = await run('--plan', 'sessions', '--dry-run');
    expect(unheld.code).toBe(0);
    expect(unheld.stdout).toContain(`\nthis run:\n`);
    expect(unheld.stdout).toContain(`  sessions-prod: would delete 2 (${names[13]}, ${names[12]}), 0 left for later runs, 12 kept`);
    aws.state.snapshots.get(names[0]!)!.tags['redis-dr:collapsed'] = 'rdr-sessions-prod holds 0 keys 100 pct fewer than 1000';
    const held = await run('--plan', 'sessions', '--dry-run', '--json');
    expect(held.code).toBe(0);
    const out = JSON.parse(held.stdout) as { results: { target: string; hold?: { reason: string } }[]; outcome: string };
    expect(out.results.find((x) => x.target === 'sessions-prod')!.hold).toMatchObject({ reason: 'newest-collapsed' });
    expect(out.outcome).toBe('ok');
    expect((await run('--plan', 'sessions', '--dry-run')).stdout).toMatch(
      / {2}sessions-prod: HELD \(newest-collapsed\): newest snapshot .* is a keyspace collapse/,
    );
  });

  it('refuses to run without --dry-run (exit 2): the CLI never deletes', async () => {
    snapshot('2026-11-21T08:00:00Z', 'hourly');
    const r = await run('--plan', 'sessions');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('prune needs --dry-run');
    expect(aws.tagging.calls()).toHaveLength(0);
  });

  it('an unknown plan is a usage error listing the plans', async () => {
    const r = await run('--plan', 'nope', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('plans: sessions, queues');
  });
});
