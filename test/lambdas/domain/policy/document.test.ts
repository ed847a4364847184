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

  it('escapes a table cell in Markdown and markup in HTML', () => {
    expect(policyMarkdown(input)).toContain('| a\\|b | cache-1, caches tagged team=<x> |');
    expect(policyHtml(input)).toContain('<td>cache-1, caches tagged team=&lt;x&gt;</td>');
  });
});
