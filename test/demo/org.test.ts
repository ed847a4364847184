import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ORG_DEMO_ACCOUNTS, runOrgDemo } from '../../demo/org.js';

/**
 * `npm run demo -- --org --out <dir>`: three accounts' evidence as their
 * stacks write it, and the roll-up over it. In process for the files and
 * figures (a second or two), and once as a child for the exit code and the
 * usage error, as a user runs it.
 */
const ROOT = join(__dirname, '..', '..');
const TMP = mkdtempSync(join(tmpdir(), 'rdr-org-demo-test-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const NOW = new Date('2026-11-23T06:00:00Z');

function child(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'demo', 'main.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.once('error', reject);
    c.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo -- --org', { timeout: 120_000 }, () => {
  it('writes the evidence tree as the stacks do and leaves org-report.html, .json and .csv: the failing drill a FAIL line, the missing stack MISSING; exit 1', async () => {
    const out = join(TMP, 'in-process');
    const lines: string[] = [];
    const result = await runOrgDemo({ out, say: (l) => lines.push(l), now: NOW });
    expect(result.exitCode).toBe(1);
    for (const f of ['org-report.html', 'org-report.json', 'org-report.csv']) expect(existsSync(join(out, f)), f).toBe(true);
    // The tree: per account present, four weekly reports (HTML, JSON, CSV) and a selftest record; nothing of the missing one.
    const [ok, failing, missing] = ORG_DEMO_ACCOUNTS;
    expect(readdirSync(join(out, 'evidence')).sort()).toEqual([ok.id, failing.id]);
    const weeks = readdirSync(join(out, 'evidence', ok.id, 'eu-central-1', 'reports', 'weekly'));
    expect(weeks).toHaveLength(4);
    expect(readdirSync(join(out, 'evidence', ok.id, 'eu-central-1', 'reports', 'weekly', weeks[0]!)).sort()).toEqual(['csv', 'report.html', 'report.json']);
    expect(readdirSync(join(out, 'evidence', ok.id, 'eu-central-1', 'selftest'))).toHaveLength(1);
    const r = result.rollup;
    expect(r.accounts.map((a) => [a.account, a.state, a.stack])).toEqual([
      [ok.id, 'ok', 'ok'],
      [failing.id, 'fail', 'ok'],
      [missing.id, 'missing', 'missing'],
    ]);
    expect(r.accounts[1]!.why).toBe('2 control(s) failed: carts restore-time, pricing restore-time');
    expect(r.rtoByTier.map((t) => [t.tier, t.targetSeconds])).toEqual([
      ['gold', 1800],
      ['silver', 3600],
    ]);
    expect(r.rtoByTier.every((t) => t.drills >= 4)).toBe(true);
    expect(r.oldestUnverified).toMatchObject({ verdict: 'corrupt' });
    expect(r.unprotectable).toBe(1);
    expect(lines).toContain('exit 1: the roll-up has FAIL lines (this organization has a failing drill and a missing stack)');
    const html = readFileSync(join(out, 'org-report.html'), 'utf8');
    expect(html.indexOf(`MISSING ${missing.id}`)).toBeLessThan(html.indexOf(`FAIL ${failing.id}`));
    expect(html.match(/<section class="account">/g)).toHaveLength(3);
    const csv = readFileSync(join(out, 'org-report.csv'), 'utf8').split('\r\n').filter(Boolean);
    expect(csv.map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      'account,region,state',
      `${ok.id},eu-central-1,ok`,
      `${failing.id},eu-central-1,fail`,
      `${missing.id},eu-central-1,missing`,
    ]);
    expect(JSON.parse(readFileSync(join(out, 'org-report.json'), 'utf8'))).toMatchObject({ failing: 2, stacks: { missing: 1 } });
  });

  it('as a user runs it: exit 1 with the FAIL lines printed; without --out, one usage line and exit 2', async () => {
    const out = join(TMP, 'child');
    const run = await child(['--org', '--out', out]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^ {2}MISSING 333333333333 eu-central-1 missing: /m);
    expect(run.stdout).toMatch(/^ {2}FAIL 222222222222 eu-central-1 fail: /m);
    expect(run.stdout).toContain(`  wrote ${join(out, 'org-report.html')}`);
    const bad = await child(['--org']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('--org needs --out <dir>: the folder for the evidence tree and org-report.html, .json and .csv');
  });
});
