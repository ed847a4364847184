import { describe, expect, it } from 'vitest';
import { rollUp } from '../../../../lambdas/domain/org/figures.js';
import { orgCsv, orgHtml } from '../../../../lambdas/domain/org/page.js';
import { accountLine, missingLine, parseReportKey } from '../../../../lambdas/domain/org/rollup.js';

/** The org page: what needs action first, a chart per figure with its table, a section per account, nothing fetched. */
const NOW = new Date('2026-11-23T06:30:00Z');
const report = (restore: 'pass' | 'fail', extra: object = {}) => ({
  deployment: 'prod',
  until: '2026-11-23T06:00:00.000Z',
  caches: [
    {
      facts: { cache: 'c<1>', plan: 'gold', rtoTargetSeconds: 1800, drCopies: [{ key: 'k', at: '2026-11-20T00:00:00.000Z', verdict: 'pending' }] },
      drills: [{ startedAt: '2026-11-22T00:00:00.000Z', passed: restore === 'pass', rtoSeconds: 600 }],
      controls: [
        { control: 'cross-region-copy', verdict: 'pass', why: 'x' },
        { control: 'restore-time', verdict: restore, why: 'x' },
      ],
    },
  ],
  ...extra,
});
const line = (account: string, body: unknown) => accountLine(parseReportKey(`${account}/eu-central-1/reports/weekly/2026-11-23T0600Z/report.json`)!, body, NOW);
const r = rollUp(
  [
    line('111111111111', report('pass', { unprotectable: [{ cache: 'dt', why: 'data tiering' }] })),
    line('222222222222', report('fail')),
    missingLine('333333333333', 'eu-central-1'),
  ],
  NOW,
  [{ key: '111111111111/eu-central-1/selftest/x.json', why: 'not a selftest record' }],
);
const html = orgHtml(r);

describe('the org page', () => {
  it('lists what needs action before the figures: MALFORMED, MISSING, then FAIL', () => {
    const at = (s: string) => html.indexOf(s);
    expect(html).toContain('<h2 id="needs-action">Needs action (3)</h2>');
    expect(at('MALFORMED 111111111111/eu-central-1/selftest/x.json')).toBeLessThan(at('MISSING 333333333333'));
    expect(at('MISSING 333333333333')).toBeLessThan(at('FAIL 222222222222'));
    expect(at('FAIL 222222222222')).toBeLessThan(at('class="cards"'));
    expect(at('class="cards"')).toBeLessThan(at('id="figures"'));
  });

  it('has a chart per headline figure, each with its title and a table of the same values', () => {
    const titles = [...html.matchAll(/<div class="panel"><h3>([^<]+)<\/h3><figure><svg/g)].map((m) => m[1]);
    expect(titles).toEqual([
      'Account-regions by state',
      'Caches with a verified copy within the RPO',
      'Caches drilled',
      'RTO distribution per tier',
      'Caches by the age of their oldest unverified copy',
      'Unprotected and unprotectable caches per account',
      'Stacks missing or drifted',
    ]);
    // The failed drill has no RTO to count: one drill of gold.
    expect(html).toContain('<td>gold</td><td>1</td><td>10 min</td><td>10 min</td><td>10 min</td><td>10 min</td><td>30 min</td><td>0</td>');
    expect(html).toContain('<tr><td>1–7 days</td><td>2</td></tr>');
    expect(html).toContain('<tr><td>111111111111</td><td>0</td><td>1</td></tr>');
  });

  it('has a section per account, open when it is not ok, with its caches escaped; nothing is fetched from elsewhere', () => {
    expect(html.match(/<section class="account">/g)).toHaveLength(3);
    expect(html).toContain('<details><summary><h2 id="account-111111111111">');
    expect(html).toContain('<details open><summary><h2 id="account-222222222222">');
    expect(html).toContain('<td>c&lt;1&gt;</td>');
    expect(html).not.toContain('c<1>');
    expect(html).toContain('<td>dt</td><td>data tiering</td>');
    expect(html).not.toMatch(/<script|<link|src=|href="http/);
  });

  it('writes the accounts and the caches as CSV, quoted where they must be', () => {
    const csv = orgCsv(r);
    const accounts = csv['accounts.csv'].split('\r\n');
    expect(accounts[3]).toMatch(/^333333333333,eu-central-1,missing,,0,0,0,0,,,"no report under .*, deleted, .*",missing,0,,,$/);
    const caches = csv['caches.csv'].split('\r\n');
    expect(caches[1]).toBe('111111111111,eu-central-1,c<1>,gold,true,true,2026-11-22T00:00:00.000Z,600,1800,k,2026-11-20T00:00:00.000Z,pending');
    expect(caches.filter(Boolean)).toHaveLength(3);
  });
});
