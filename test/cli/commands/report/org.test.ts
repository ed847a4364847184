import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountId, writeTree } from '../../../../bench/org/tree.js';
import { FakeClock } from '../../../support/fakes.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr report --org --from file://<dir>` over a generated tree (the
 * scheduled reports built by the report's own code, bench/org/tree.ts):
 * five accounts in two regions, one failing its drills, one whose report
 * stopped, one with a record that is no report.
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KINDS = ['ok', 'failing-drill', 'stale', 'ok', 'malformed'] as const;
const tree = join(dir, 'tree');
writeTree(tree, { accounts: 5, regions: 2, caches: 3, now: NOW, kindOf: (i) => KINDS[i]! });
const okTree = join(dir, 'ok-tree');
writeTree(okTree, { accounts: 2, regions: 1, caches: 2, now: NOW });
const run = (...args: string[]) => runInProcess(['report', '--org', ...args], { clock: new FakeClock(NOW.getTime() + 30 * 60_000) });

describe('redis-dr report --org', () => {
  it('rolls up every account and region: a failing drill and a stopped report are FAIL lines, a bad record is named; exit 2', async () => {
    const out = join(dir, 'org.json');
    const r = await run('--from', `file://${tree}`, '--json', out, '--csv', join(dir, 'csv'));
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      'org: 5 account(s), 10 account-region report(s), 5 ok, 5 not; 27 cache(s): 77.8% with a verified copy within the RPO, 55.6% drilled within the RTO',
    );
    expect(lines.filter((l) => l.includes(`FAIL ${accountId(1)}`))).toHaveLength(2);
    expect(r.stdout).toMatch(new RegExp(`FAIL ${accountId(1)} eu-central-1 fail: 3 control\\(s\\) failed: cache-eu-central-1-0 restore-time`));
    expect(r.stdout).toMatch(new RegExp(`FAIL ${accountId(2)} eu-central-1 stale: newest report \\(weekly\\) is 21 days old`));
    expect(r.stdout).toMatch(new RegExp(`MALFORMED ${accountId(4)} eu-central-1 malformed: not a report: `));
    // The malformed account's other region is still rolled up (ok: no line).
    expect(r.stdout).not.toMatch(new RegExp(`${accountId(4)} us-east-1`));
    // The stale account's caches count, as neither verified nor drilled.
    const json = JSON.parse(readFileSync(out, 'utf8')) as { accounts: { account: string; state: string }[] };
    expect(json.accounts).toHaveLength(10);
    expect(json.accounts.filter((a) => a.state === 'ok').map((a) => a.account)).toEqual([accountId(0), accountId(0), accountId(3), accountId(3), accountId(4)]);
    const csv = readFileSync(join(dir, 'csv', 'accounts.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe('account,region,state,deployment,caches,verified,drilled,unprotected,until,key,why');
    expect(csv.filter(Boolean)).toHaveLength(11);
  });

  it('every account ok: exit 0', async () => {
    const r = await run('--from', `file://${okTree}`);
    expect(r.stdout).toBe(
      'org: 2 account(s), 2 account-region report(s), 2 ok, 0 not; 4 cache(s): 100% with a verified copy within the RPO, 100% drilled within the RTO\n',
    );
    expect(r.code).toBe(0);
  });

  it('an empty tree is no pass (exit 1), and a --from that is no tree is exit 2 in one line naming it', async () => {
    const empty = await run('--from', `file://${join(dir, 'nothing-here')}`);
    expect(empty.code).toBe(1);
    const bad = await run('--from', 'ftp://example.com/x');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--from must be file:///dir or s3://bucket[/prefix]');
    const both = await runInProcess(['report', '--org', '-c', 'test/fixtures/config/selftest.json', '--from', `file://${okTree}`]);
    expect(both.code).toBe(2);
  });
});
