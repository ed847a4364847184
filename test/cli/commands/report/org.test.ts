import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountId, orgConfigOf, writeTree } from '../../../../bench/org/tree.js';
import { FakeClock } from '../../../support/fakes.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr report --org --from file://<dir>` over a generated tree (the
 * scheduled reports built by the report's own code, bench/org/tree.ts):
 * seven accounts in two regions, one failing its drills, one whose report
 * stopped, one with a record that is no report, one failing its selftest,
 * one the org config lists with no evidence at all (its stack is missing).
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KINDS = ['ok', 'failing-drill', 'stale', 'ok', 'malformed', 'selftest-failed', 'missing'] as const;
const tree = join(dir, 'tree');
writeTree(tree, { accounts: 7, regions: 2, caches: 3, now: NOW, kindOf: (i) => KINDS[i]!, tierOf: (c) => (c === 2 ? 'silver' : 'gold') });
const orgConfig = join(dir, 'org.json');
writeFileSync(orgConfig, JSON.stringify(orgConfigOf(7)));
const okTree = join(dir, 'ok-tree');
writeTree(okTree, { accounts: 2, regions: 1, caches: 2, now: NOW });
const run = (...args: string[]) => runInProcess(['report', '--org', ...args], { clock: new FakeClock(NOW.getTime() + 30 * 60_000) });

describe('redis-dr report --org', () => {
  it('rolls up every account and region: a failing drill, a stopped report, a failed selftest are FAIL lines, a missing stack MISSING, a bad record is named; exit 2', async () => {
    const out = join(dir, 'org.json');
    const html = join(dir, 'org.html');
    const r = await run('--from', `file://${tree}`, '--org-config', orgConfig, '--json', out, '--csv', join(dir, 'csv'), '--html', html);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      'org: 7 account(s), 13 account-region report(s), 5 ok, 8 not; 33 cache(s): 81.8% with a verified copy within the RPO, 63.6% drilled within the RTO',
    );
    expect(lines[1]).toBe('  drilled (a drill that passed): 63.6% in the last 30 days, 63.6% in the last 90');
    expect(lines[2]).toMatch(/^ {2}RTO per tier: gold 28 drill\(s\) p50 .* \(target 30 min, 0 over\); silver 14 drill\(s\) p50 .* \(target 1 h, 0 over\)$/);
    expect(lines[4]).toBe('  caches unprotected: 2, unprotectable: 2');
    expect(lines[5]).toBe('  stacks: 1 missing, 0 drifted (CloudFormation), 2 stopped reporting, 2 failing their selftest, 0 without a selftest, 8 ok');
    // What to act on first: the malformed record, the missing stack, then the FAIL lines.
    expect(lines.slice(6, 8).map((l) => l.split(' ').slice(2, 4).join(' '))).toEqual([`MALFORMED ${accountId(4)}`, `MISSING ${accountId(6)}`]);
    expect(lines.filter((l) => l.includes(`FAIL ${accountId(1)}`))).toHaveLength(2);
    expect(r.stdout).toMatch(new RegExp(`FAIL ${accountId(1)} eu-central-1 fail: 3 control\\(s\\) failed: cache-eu-central-1-0 restore-time`));
    expect(r.stdout).toMatch(new RegExp(`FAIL ${accountId(2)} eu-central-1 stale: newest report \\(weekly\\) is 21 days old`));
    expect(r.stdout).toMatch(
      new RegExp(
        `FAIL ${accountId(5)} eu-central-1 fail: .*selftest of .* failed: drill dr: access denied: redis-dr-drill lacks elasticache:CreateReplicationGroup`,
      ),
    );
    expect(r.stdout).toMatch(new RegExp(`MISSING ${accountId(6)} eu-central-1 missing: no report under ${accountId(6)}/eu-central-1/reports/`));
    expect(r.stdout).toMatch(new RegExp(`MALFORMED ${accountId(4)} eu-central-1 malformed: not a report: `));
    // The malformed account's other region is still rolled up (ok: no line).
    expect(r.stdout).not.toMatch(new RegExp(`${accountId(4)} us-east-1`));
    // The stale account's caches count, as neither verified nor drilled.
    const json = JSON.parse(readFileSync(out, 'utf8')) as { accounts: { account: string; state: string }[] };
    expect(json.accounts).toHaveLength(13);
    expect(json.accounts.filter((a) => a.state === 'ok').map((a) => a.account)).toEqual([accountId(0), accountId(0), accountId(3), accountId(3), accountId(4)]);
    const csv = readFileSync(join(dir, 'csv', 'accounts.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'account,region,state,deployment,caches,verified,drilled,unprotected,until,key,why,stack,unprotectable,selftest_verdict,selftest_at,stack_drift',
    );
    expect(csv.filter(Boolean)).toHaveLength(14);
    const caches = readFileSync(join(dir, 'csv', 'caches.csv'), 'utf8')
      .split('\r\n')
      .filter(Boolean);
    expect(caches).toHaveLength(1 + 33);
    const page = readFileSync(html, 'utf8');
    expect(page.match(/<section class="account">/g)).toHaveLength(7);
    expect(page.indexOf(`MISSING ${accountId(6)}`)).toBeLessThan(page.indexOf('class="cards"'));
  });

  it("a stack CloudFormation's drift detection found DRIFTED (the selftest record's stacks) is a FAIL line in the text, JSON, CSV and page", async () => {
    const drifted = join(dir, 'drifted-tree');
    writeTree(drifted, { accounts: 2, regions: 1, caches: 2, now: NOW, kindOf: (i) => (i === 1 ? 'drifted' : 'ok') });
    const out = join(dir, 'drifted.json');
    const html = join(dir, 'drifted.html');
    const r = await run('--from', `file://${drifted}`, '--json', out, '--csv', join(dir, 'drifted-csv'), '--html', html);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('  stacks: 0 missing, 1 drifted (CloudFormation), 0 stopped reporting, 0 failing their selftest, 0 without a selftest, 1 ok');
    expect(r.stdout).toMatch(
      new RegExp(
        `FAIL ${accountId(1)} eu-central-1 fail: stack RedisDr-org-${accountId(1)}-Dr \\(eu-central-1\\) DRIFTED: CloudFormation's drift detection of \\S+ found resources changed outside the stack`,
      ),
    );
    expect(r.stdout).not.toMatch(new RegExp(`FAIL ${accountId(0)}`));
    const json = JSON.parse(readFileSync(out, 'utf8')) as { accounts: { account: string; state: string; stack: string }[]; stacks: Record<string, number> };
    expect(json.accounts.map((a) => [a.account, a.state, a.stack])).toEqual([
      [accountId(0), 'ok', 'ok'],
      [accountId(1), 'fail', 'drifted'],
    ]);
    expect(json.stacks.drifted).toBe(1);
    const csv = readFileSync(join(dir, 'drifted-csv', 'accounts.csv'), 'utf8').split('\r\n');
    expect(csv[2]).toMatch(new RegExp(`,drifted,.*RedisDr-org-${accountId(1)}-Dr DRIFTED \\(checked `));
    expect(csv[1]).toMatch(new RegExp(`RedisDr-org-${accountId(0)}-Dr IN_SYNC \\(checked `));
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('0 missing, 1 drifted, 0 stopped, 0 failing selftest');
    expect(page).toContain(`CloudFormation drift: RedisDr-org-${accountId(1)}-Primary IN_SYNC`);
    expect(page).toMatch(/<td>drifted \(CloudFormation\)<\/td><td>1<\/td>/);
  });

  it('every account ok: exit 0', async () => {
    const r = await run('--from', `file://${okTree}`);
    expect(r.stdout.split('\n')[0]).toBe(
      'org: 2 account(s), 2 account-region report(s), 2 ok, 0 not; 4 cache(s): 100% with a verified copy within the RPO, 100% drilled within the RTO',
    );
    expect(r.stdout).not.toMatch(/FAIL|MISSING|MALFORMED/);
    expect(r.code).toBe(0);
  });

  it('a selftest record that is none is named and exit 2; its account is still judged on its report', async () => {
    const bad = join(dir, 'bad-selftest');
    writeTree(bad, { accounts: 1, regions: 1, caches: 1, now: NOW });
    writeFileSync(join(bad, accountId(0), 'eu-central-1', 'selftest', '2026-11-23T06-10-00Z.json'), '{"kind": "redis-dr-selftest", "version": 2}');
    const r = await run('--from', `file://${bad}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`  MALFORMED ${accountId(0)}/eu-central-1/selftest/2026-11-23T06-10-00Z.json: not a selftest record: version: `);
    expect(r.stdout.split('\n')[0]).toMatch(/1 ok, 0 not; 1 cache\(s\): 100% with a verified copy/);
  });

  it('an org config that is none is exit 2 in one line naming it: a missing file, a deployment config', async () => {
    const r = await run('--from', `file://${okTree}`, '--org-config', join(dir, 'no-such-org.json'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no-such-org.json');
    const deployment = await run('--from', `file://${okTree}`, '--org-config', 'config/example.json');
    expect(deployment.code).toBe(2);
    expect(deployment.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/config\/example\.json: is a deployment config \(it has plans and no organizationalUnits\), not an org config/),
    ]);
  });

  it('an empty tree is no pass (exit 1); a --from that is no tree, or a folder that is not there, is exit 2 in one line naming it', async () => {
    const emptyDir = join(dir, 'empty-tree');
    mkdirSync(emptyDir);
    const empty = await run('--from', `file://${emptyDir}`);
    expect(empty.code).toBe(1);
    const missing = await run('--from', `file://${join(dir, 'nothing-here')}`);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--from file:\/\/.*nothing-here: no such folder \(a typo\?\)/)]);
    const bad = await run('--from', 'ftp://example.com/x');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--from must be file:///dir or s3://bucket[/prefix]');
    const both = await runInProcess(['report', '--org', '-c', 'test/fixtures/config/selftest.json', '--from', `file://${okTree}`]);
    expect(both.code).toBe(2);
  });
});
