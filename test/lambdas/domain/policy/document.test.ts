import { describe, expect, it } from 'vitest';
import { type PolicyInput, policyHtml, policyMarkdown, policySections } from '../../../../lambdas/domain/policy/document.js';

const input: PolicyInput = {
  deployment: 'prod',
  primaryRegion: 'eu-west-1',
  drRegion: 'eu-central-1',
  paged: [],
  generatedAt: new Date('2026-11-25T00:00:00Z'),
  source: 'config/prod.json',
  plans: [
    {
      name: 'a|b',
      scope: ['cache-1', 'caches tagged team=<x>'],
      schedule: { cron: 'cron(0 * * * ? *)', timeZone: 'UTC' },
      rpoMinutes: 90,
      retention: { hourly: 24, daily: 7, weekly: 4, monthly: 0, minKeep: 3 },
      vault: false,
    },
  ],
};

describe('the policy document', () => {
  it('says so where a plan makes no DR copy and runs no drill, and where nobody is paged, rather than leaving it out', () => {
    const s = Object.fromEntries(policySections(input).map((x) => [x.title, x]));
    expect(s['Restore tests and recovery time objectives']!.rows).toEqual([['a|b', 'no scheduled drill', '', '', '']]);
    expect(s['Retention per tier']!.rows[0]!.at(-2)).toBe('no DR copies');
    expect(s['Who is paged']!.rows).toEqual([['nobody: the config subscribes no one (alerts.emails, alerts.httpsEndpoints)']]);
    expect(s['Copies and where they live']!.text).toContain('no vault account');
    expect(s['Frequency and recovery point objective']!.rows[0]).toEqual(['a|b', 'cron(0 * * * ? *)', 'UTC', '1 h 30 min']);
  });

  it('names the drill account a plan drills in, and a random point drawn from the vault replicas', () => {
    const drill = { cron: 'cron(0 4 ? * SUN *)', timeZone: 'UTC', where: 'dr', rtoMinutes: 60, fromVault: true };
    const rows = (d: NonNullable<PolicyInput['plans'][number]['drill']>) =>
      policySections({ ...input, plans: [{ ...input.plans[0]!, drill: d }] }).find((x) => x.title === 'Restore tests and recovery time objectives')!.rows[0];
    expect(rows(drill)).toEqual(['a|b', 'cron(0 4 ? * SUN *) (UTC)', 'dr', 'vault replica', '1 h']);
    expect(rows({ ...drill, pointSelection: 'random', account: '333333333333' })).toEqual([
      'a|b',
      'cron(0 4 ? * SUN *) (UTC)',
      'drill account 333333333333 (separate from the source)',
      'a random retained vault replica, drawn per drill',
      '1 h',
    ]);
  });

  it('escapes a table cell in Markdown and markup in HTML', () => {
    expect(policyMarkdown(input)).toContain('| a\\|b | cache-1, caches tagged team=<x> |');
    expect(policyHtml(input)).toContain('<td>cache-1, caches tagged team=&lt;x&gt;</td>');
  });
});
