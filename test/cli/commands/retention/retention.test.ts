import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process.js';

const ROOT = join(__dirname, '..', '..', '..', '..');
const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), ...args], { cwd: ROOT, encoding: 'utf8' });
/**
 * The program in the worker, for the cases after the first (run as the child a user starts): their plans, messages and
 * exit codes are the program's, given as the binary gives them (a child cost about 0.3 CPU-s each, 13 of them).
 */
const inWorker = async (...args: string[]) => {
  const r = await runInProcess(args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};

describe('redis-dr retention plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retention-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const policy = file('policy.json', { hourly: 1, daily: 2, weekly: 0, monthly: 0, minKeep: 1, rpoMinutes: 180 });
  // Every 6 hours over two days, plus one snapshot someone else took.
  const names = ['20261121-0600', '20261121-0000', '20261120-1800', '20261120-1200', '20261120-0600', '20261120-0000', '20261119-1800'];
  const snapshots = file('snapshots.json', [
    ...names.map((n) => ({ name: `rdr-rg-a-${n}`, status: 'available' })),
    { name: 'before-upgrade', source: 'rg-a', createdAt: '2026-11-19T00:00:00Z', status: 'available' },
  ]);
  const NOW = '2026-11-21T07:00:00Z';

  it('keeps what the rules keep, with the rule, and lists what would be deleted (table)', () => {
    const r = cli('retention', 'plan', '--policy', policy, '--snapshots', snapshots, '--now', NOW);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('rg-a: keep 3, delete 4, ignored 1');
    expect(lines).toContain('  keep    rdr-rg-a-20261121-0600  hourly: 1st newest of 1 kept; minKeep: 1st newest of 1 always kept');
    expect(lines).toContain('  keep    rdr-rg-a-20261120-0000  daily: 2nd newest of 2 kept');
    expect(lines.filter((l) => l.startsWith('  DELETE'))).toHaveLength(4);
    expect(lines.at(-1)).toMatch(/^ {2}ignore {2}before-upgrade {2}not managed by redis-dr/);
  });

  it('prints the same plan as JSON for machines', async () => {
    const r = await inWorker('retention', 'plan', '--policy', policy, '--snapshots', snapshots, '--now', NOW, '--json');
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout) as { now: string; targets: { target: string; keep: { name: string }[]; delete: { name: string; reason: string }[] }[] };
    expect(plan.now).toBe('2026-11-21T07:00:00.000Z');
    expect(plan.targets.map((t) => t.target)).toEqual(['rg-a']);
    expect(plan.targets[0]!.keep.map((k) => k.name)).toEqual(['rdr-rg-a-20261121-0600', 'rdr-rg-a-20261121-0000', 'rdr-rg-a-20261120-0000']);
    expect(plan.targets[0]!.delete.every((d) => /expired/.test(d.reason))).toBe(true);
  });

  it('refuses a --now without its zone (exit 2, one line): read in the zone of this machine it would keep or delete other points', async () => {
    const r = await inWorker('retention', 'plan', '--policy', policy, '--snapshots', snapshots, '--now', '2026-11-21T07:00:00');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^redis-dr: --now must be an ISO time like 2026-11-01T00:00:00Z, got "2026-11-21T07:00:00": write unix seconds .*\)$/);
  });

  it('reads a --now of a date alone as midnight UTC (as ECMAScript, report --until and retention hold --until read it), and refuses a day that is none', async () => {
    const r = await inWorker('retention', 'plan', '--policy', policy, '--snapshots', snapshots, '--now', '2026-11-21', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { now: string }).now).toBe('2026-11-21T00:00:00.000Z');
    const none = await inWorker('retention', 'plan', '--policy', policy, '--snapshots', snapshots, '--now', '2026-02-30');
    expect(none.status).toBe(2);
    expect(none.stderr.trim()).toMatch(
      /^redis-dr: --now must be an ISO time like 2026-11-01T00:00:00Z, got "2026-02-30": write unix seconds .*; or a date \(2026-11-20: midnight UTC\)$/,
    );
  });

  it('reads `aws elasticache describe-snapshots` output too (ours by name, tiers by time)', async () => {
    const described = file('described.json', {
      Snapshots: names.slice(0, 3).map((n) => ({ SnapshotName: `rdr-rg-a-${n}`, SnapshotStatus: 'available', NodeSnapshots: [{}] })),
    });
    const r = await inWorker('retention', 'plan', '--policy', policy, '--snapshots', described, '--now', NOW, '--json');
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout) as { targets: { keep: unknown[]; delete: unknown[] }[] };
    expect(plan.targets[0]!.keep.length + plan.targets[0]!.delete.length).toBe(3);
  });

  it('holds a target whose newest snapshot failed: nothing would be deleted', async () => {
    const failing = file('failing.json', [
      { name: 'rdr-rg-a-20261121-0600', status: 'failed' },
      ...names.slice(1).map((n) => ({ name: `rdr-rg-a-${n}`, status: 'available' })),
    ]);
    const r = await inWorker('retention', 'plan', '--policy', policy, '--snapshots', failing, '--now', NOW);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^rg-a: keep 7, delete 0, ignored 0 - HOLD: /);
  });

  it.each([
    [
      'a policy with a bad field',
      () => file('bad-policy.json', { hourly: -1, daily: 2, weekly: 0, monthly: 0, minKeep: 0, rpoMinutes: 180 }),
      () => snapshots,
      /hourly Too small|hourly.*>=\s*0/,
    ],
    ['a snapshot without a time', () => policy, () => file('no-time.json', [{ name: 'manual', source: 'rg-a' }]), /\[0\]\.createdAt is required for "manual"/],
    ['a missing file', () => policy, () => join(dir, 'nope.json'), /cannot read snapshots file .*nope\.json: no such file/],
  ])('exits 2 naming the problem for %s', async (_what, p, s, message) => {
    const r = await inWorker('retention', 'plan', '--policy', p(), '--snapshots', s());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  describe('with the policy of a plan in the deployment config (-c <config> --plan <name>)', () => {
    const CONFIG = 'test/fixtures/config/drills.json';

    it("applies exactly the retention the plan's prune Lambda applies", async () => {
      const r = await inWorker('retention', 'plan', '-c', CONFIG, '--plan', 'sessions', '--snapshots', snapshots, '--now', NOW, '--json');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const plan = JSON.parse(r.stdout) as { targets: { target: string; keep: { name: string }[]; delete: unknown[] }[] };
      // drills.json keeps hourly 24, daily 7: all seven recovery points are kept.
      expect(plan.targets[0]!.keep).toHaveLength(7);
      expect(plan.targets[0]!.delete).toHaveLength(0);
    });

    it.each([
      [['-c', CONFIG, '--plan', 'nope'], /--plan nope: no such plan in this config; plans: sessions/],
      [['-c', CONFIG], /-c test\/fixtures\/config\/drills\.json needs --plan <name>/],
      [['-c', CONFIG, '--plan', 'sessions', '--policy', 'x.json'], /give either --policy <file> or -c <config> --plan <name>, not both/],
      [[], /give the retention policy: --policy <file>, or -c <config> --plan <name>/],
      [['--policy', CONFIG], /drills\.json is a deployment config, not a policy file: use -c test\/fixtures\/config\/drills\.json --plan <name>/],
      [['-c', 'test/fixtures/config/several-problems.json', '--plan', 'sessions'], /several-problems\.json: dr\.region must differ from primary\.region/],
    ])('exits 2 with one clear message for %j', async (args, message) => {
      const r = await inWorker('retention', 'plan', ...args, '--snapshots', snapshots);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/ZodError|at .*\.js:\d+/);
    });
  });
});
