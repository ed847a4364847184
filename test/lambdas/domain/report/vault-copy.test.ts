import { describe, expect, it } from 'vitest';
import { judgeVaultCopy, previousReportPrefix } from '../../../../lambdas/domain/report/vault-copy.js';

describe('previousReportPrefix', () => {
  const keys = [
    'reports/weekly/2026-11-09T0600Z/report.html',
    'reports/weekly/2026-11-16T0600Z/report.html',
    'reports/weekly/2026-11-16T0600Z/csv/controls.csv',
    'reports/weekly/2026-11-23T0600Z/report.html',
    'reports/monthly/2026-11-01T0600Z/report.html',
  ];

  it.each([
    ['the newest report of the period before the current one', 'weekly', 'reports/weekly/2026-11-23T0600Z/', 'reports/weekly/2026-11-16T0600Z/'],
    ['none before the first', 'weekly', 'reports/weekly/2026-11-09T0600Z/', undefined],
    ['only reports of the same period', 'monthly', 'reports/monthly/2026-12-01T0600Z/', 'reports/monthly/2026-11-01T0600Z/'],
  ])('%s', (_name, period, current, expected) => {
    expect(previousReportPrefix(keys, period, current)).toBe(expected);
  });
});

describe('judgeVaultCopy', () => {
  const prefix = 'reports/weekly/2026-11-16T0600Z/';
  const file = (name: string, status: string | undefined) => ({ key: `${prefix}${name}`, status });

  it('every file COMPLETED: no problem', () => {
    expect(judgeVaultCopy(prefix, [file('report.html', 'COMPLETED'), file('report.json', 'COMPLETED')])).toEqual({
      problems: [],
      line: `previous report ${prefix} in the vault: 2 of 2 file(s) COMPLETED`,
    });
  });

  it('a FAILED file is a problem naming it; PENDING and no status are said, not problems', () => {
    const judged = judgeVaultCopy(prefix, [file('report.html', 'FAILED'), file('report.json', 'PENDING'), file('csv/alarms.csv', undefined)]);
    expect(judged.problems).toEqual([`the vault copy of the previous report ${prefix} FAILED to replicate (report.html): it is not in the vault`]);
    expect(judged.line).toBe(
      `previous report ${prefix} in the vault: 0 of 3 file(s) COMPLETED, 1 FAILED, 1 still PENDING, 1 with no replication status (written before the rule into the vault)`,
    );
  });
});
