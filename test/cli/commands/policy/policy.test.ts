import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr policy -c <config>`: the policy document from the validated
 * config names every plan with its RPO, retention and drill cadence; a bad
 * config is one line naming the field (exit 2), never a document.
 */
const ROOT = join(__dirname, '..', '..', '..', '..');
const EXAMPLE = join(ROOT, 'config', 'example.json');

describe('redis-dr policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names every plan with its RPO, retention and drill cadence (Markdown and HTML, read back)', async () => {
    const config = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { plans: { name: string }[] };
    const r = await runInProcess(['policy', '-c', EXAMPLE, '--markdown', join(dir, 'p.md'), '--html', join(dir, 'p.html')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${join(dir, 'p.md')}\nwrote ${join(dir, 'p.html')}\n`);
    const md = readFileSync(join(dir, 'p.md'), 'utf8');
    expect(md).toMatch(/^# Backup policy: example\n/);
    for (const title of [
      'Scope',
      'Frequency and recovery point objective',
      'Retention per tier',
      'Copies and where they live',
      'Restore tests and recovery time objectives',
      'Who is paged',
    ])
      expect(md).toContain(`## ${title}\n`);
    for (const plan of config.plans) expect(md).toMatch(new RegExp(`^\\| ${plan.name} \\|`, 'm'));
    // The example's first plan: RPO 210 min, 12/7/4/12 kept, Sunday drills with a 45 min RTO, on-call by email.
    expect(md).toContain('| sessions | cron(0 0/2 * * ? *) | Europe/Berlin | 3 h 30 min |');
    expect(md).toMatch(/\| sessions \| 12 \| 7 \| 4 \| 12 \| 3 \| hourly 2, daily 8, weekly 29, monthly 373 \|/);
    expect(md).toContain('| sessions | cron(0 4 ? * SUN *) (Europe/Berlin) | both | newest verified point | 45 min |');
    expect(md).toContain('| oncall@example.com |');
    expect(readFileSync(join(dir, 'p.html'), 'utf8')).toMatch(/<h2>Retention per tier<\/h2>/);
  });

  it('states the maximum retention of every plan that sets one, and "no maximum set" for the others', async () => {
    const config = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { plans: { name: string; maxRetentionDays?: number }[] };
    config.plans[0]!.maxRetentionDays = 400;
    for (const plan of config.plans.slice(1)) delete plan.maxRetentionDays;
    writeFileSync(join(dir, 'max.json'), JSON.stringify(config));
    const r = await runInProcess(['policy', '-c', join(dir, 'max.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^\\| ${config.plans[0]!.name} \\|.*\\| 400 days, unless a hold with a reason and an expiry keeps a copy \\|$`, 'm'));
    for (const plan of config.plans.slice(1)) expect(r.stdout).toMatch(new RegExp(`^\\| ${plan.name} \\| \\d+ \\|.*\\| no maximum set \\|$`, 'm'));
    expect(r.stdout).toContain('| maximum retention |');
  });

  it('says which point the drills restore: drill.pointSelection random is in the policy, not "newest"', async () => {
    const config = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { plans: { name: string; drill?: { pointSelection?: string } }[] };
    config.plans[0]!.drill!.pointSelection = 'random';
    writeFileSync(join(dir, 'random.json'), JSON.stringify(config));
    const r = await runInProcess(['policy', '-c', join(dir, 'random.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('| sessions | cron(0 4 ? * SUN *) (Europe/Berlin) | both | a random retained verified point, drawn per drill | 45 min |');
  });

  it('a config that does not validate is one line naming the field, exit 2, and no document', async () => {
    const bad = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { plans: { rpoMinutes: unknown }[] };
    bad.plans[0]!.rpoMinutes = -5;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const r = await runInProcess(['policy', '-c', join(dir, 'bad.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plans\[0\]\.rpoMinutes/);
    expect(r.stdout).toBe('');
  });
});
