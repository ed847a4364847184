import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * `retention hold --destination`: an operator's hold (reason, expiry, who) on
 * a self-managed backup in a real folder, judged by `report --destination`
 * from the same folder, and released.
 */
const dirs: string[] = [];
afterEach(() =>
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);

async function destination(): Promise<{ dir: string; store: FileBackupStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-hold-'));
  dirs.push(dir);
  const store = new FileBackupStore(dir);
  for (const file of ['rdr-cache-20261101-0800.rdb', 'rdr-cache-20261121-0800.rdb']) {
    const body = (async function* () {
      yield Buffer.from(`REDIS0011 ${file}`);
    })();
    await store.write(file, body, { tier: 'daily', target: 'cache', createdAt: '2026-11-21T10:00:00Z' }, () => ({ keys: 10, rdbVersion: 11 }));
  }
  return { dir, store };
}

const OLD = 'rdr-cache-20261101-0800.rdb';
const hold = (dir: string, ...args: string[]) => runInProcess(['retention', 'hold', '--destination', `file://${dir}`, '--point', OLD, ...args]);

async function holdAudit(dir: string, until: string) {
  const json = join(dir, '..', `${dir.split('/').pop()}-report.json`);
  const r = await runInProcess(['report', '--destination', `file://${dir}`, '--until', until, '--max-retention-days', '10', '--json', json]);
  const report = JSON.parse(readFileSync(json, 'utf8')) as { audits: { check: string; subject: string; verdict: string; why: string }[] };
  rmSync(json, { force: true });
  return { code: r.code, audit: report.audits.find((a) => a.subject === OLD) };
}

describe('retention hold --destination (self-managed backups, a real folder)', () => {
  it('records who, why and until when; the report makes it the hold line while ahead, FAIL once passed; release frees it', async () => {
    const { dir, store } = await destination();
    const r = await hold(dir, '--reason', 'legal hold, case 1234', '--until', '2030-01-31');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^held file://${dir}/${OLD} \\(held until=2030-01-31T00:00:00Z by=\\S+@\\S+ reason=legal hold case 1234\\)`));
    expect((await store.list()).find((f) => f.file === OLD)?.hold).toMatch(/^held until=2030-01-31T00:00:00Z by=\S+ reason=legal hold case 1234$/);

    const ahead = await holdAudit(dir, '2027-01-01T00:00:00Z');
    expect(ahead.audit).toMatchObject({ check: 'hold', verdict: 'pass' });
    expect(ahead.audit!.why).toMatch(/held by \S+ \(legal hold case 1234\) until 2030-01-31T00:00:00Z$/);
    const passed = await holdAudit(dir, '2030-02-01T00:00:00Z');
    expect(passed.audit).toMatchObject({
      check: 'hold',
      verdict: 'fail',
      why: expect.stringMatching(/which has passed \(retention still keeps it until released\)/),
    });

    const released = await hold(dir, '--release');
    expect(released.code).toBe(0);
    expect(released.stdout).toMatch(/^released .* retention may prune it again\n$/);
    expect((await store.list()).find((f) => f.file === OLD)?.hold).toBeUndefined();
    expect((await holdAudit(dir, '2027-01-01T00:00:00Z')).audit).toMatchObject({ check: 'max-retention', verdict: 'fail' });
  });

  it.each([
    [['--until', '2030-01-31'], /--reason "": a hold needs a reason/],
    [['--reason', '   ', '--until', '2030-01-31'], /--reason " {3}": a hold needs a reason/],
    [['--reason', 'legal'], /--until "" is not a date/],
    [['--reason', 'legal', '--until', 'soon'], /--until "soon" is not a date/],
    [['--reason', 'legal', '--until', '2020-01-01'], /--until 2020-01-01 has passed/],
  ])('refuses %j in one line, exit 2, nothing recorded', async (args, message) => {
    const { dir, store } = await destination();
    const r = await hold(dir, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect((await store.list()).every((f) => f.hold === undefined)).toBe(true);
  });

  it("refuses to put an operator's hold over a collapse's, or to release one that is not held", async () => {
    const { dir, store } = await destination();
    await store.hold(OLD, 'keyspace-collapsed:rdr-cache-20261121-0800.rdb until=2026-12-21T08:00:00Z');
    const over = await hold(dir, '--reason', 'legal', '--until', '2030-01-31');
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/is held by the keyspace collapse rdr-cache-20261121-0800\.rdb/);
    const release = await hold(dir, '--release');
    expect(release.code).toBe(2);
    expect(release.stderr).toMatch(/retention release --destination/);
    const none = await runInProcess(['retention', 'hold', '--destination', `file://${dir}`, '--point', 'rdr-cache-20261121-0800', '--release']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/is not held in file:/);
  });
});
