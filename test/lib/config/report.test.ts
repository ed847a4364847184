import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import { DEFAULT_REPORT_PERIODS, reportSettings } from '../../../lib/deployment.js';

/** The config's `report` section: the scheduled report's periods and the retention control's floor. */

const base = () => ({
  name: 'test',
  primary: { region: 'eu-west-1' },
  dr: { region: 'eu-central-1' },
  plans: [{ name: 'sessions', targets: { replicationGroupIds: ['sessions-prod'] }, schedule: { cron: 'cron(0 0/2 * * ? *)' }, rpoMinutes: 150 }],
});

function problemsOf(report: unknown): string[] {
  const r = validateConfig({ ...base(), report });
  return r.ok ? [] : r.problems;
}

describe('config report', () => {
  it('left out: weekly and monthly reports and a 30-day retention floor, with nothing added to the resolved config (its hash stays)', () => {
    const r = validateConfig(base());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(reportSettings(r.config)).toEqual({ periods: DEFAULT_REPORT_PERIODS, minRetentionDays: 30 });
    expect(r.config.report).toBeUndefined();
  });

  it.each([
    [{ periods: ['weekly'] }, { periods: ['weekly'], minRetentionDays: 30 }],
    [
      { periods: [], minRetentionDays: 365 },
      { periods: [], minRetentionDays: 365 },
    ],
  ])('%j is taken as given', (report, settings) => {
    const r = validateConfig({ ...base(), report });
    expect(r.ok).toBe(true);
    if (r.ok) expect(reportSettings(r.config)).toEqual(settings);
  });

  it.each([
    [{ periods: ['daily'] }, /^report\.periods\[0\] must be "weekly" or "monthly", got "daily": weekly writes the last 7 days/],
    [{ periods: ['weekly', 'weekly'] }, /^report\.periods must name each period once, got \["weekly","weekly"\]: remove the repeated period/],
    [{ minRetentionDays: 0 }, /^report\.minRetentionDays must be at least 1 day, got 0: e\.g\. 30/],
    [{ minRetentionDays: 7.5 }, /^report\.minRetentionDays must be a whole number of days, got 7\.5/],
    [{ schedule: 'weekly' }, /^report: unknown field "schedule"|^report.*schedule/],
  ])('%j is refused, naming the field, the value and the fix', (report, message) => {
    const problems = problemsOf(report);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });
});
