import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountId, writeTree } from '../../../../bench/org/tree.js';
import { FakeClock } from '../../../support/fakes.js';
import { runInProcess } from '../../support/in-process.js';

/** `redis-dr status --org --from`: the same roll-up as `report --org`, in the terminal only. */
const NOW = new Date('2026-11-23T06:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-status-org-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeTree(dir, { accounts: 2, regions: 1, caches: 2, now: NOW, kindOf: (i) => (i === 1 ? 'stale' : 'ok') });
const clock = () => new FakeClock(NOW.getTime() + 60_000);

describe('redis-dr status --org', () => {
  it('prints the roll-up as report --org does, the stale account a FAIL line; exit 1', async () => {
    const status = await runInProcess(['status', '--org', '--from', `file://${dir}`], { clock: clock() });
    const report = await runInProcess(['report', '--org', '--from', `file://${dir}`], { clock: clock() });
    expect(status.stdout).toBe(report.stdout);
    expect(status.stdout).toMatch(new RegExp(`FAIL ${accountId(1)} eu-central-1 stale: `));
    expect(status.code).toBe(1);
  });

  it('with -c, or without --from, is exit 2 in one line', async () => {
    const both = await runInProcess(['status', '--org', '-c', 'test/fixtures/config/selftest.json', '--from', `file://${dir}`]);
    expect(both.code).toBe(2);
    const none = await runInProcess(['status', '--org']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--org needs --from');
  });
});
