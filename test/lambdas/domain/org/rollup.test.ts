import { describe, expect, it } from 'vitest';
import { rollUp } from '../../../../lambdas/domain/org/figures.js';
import { accountLine, newestPerAccount, parseReportKey } from '../../../../lambdas/domain/org/rollup.js';

const NOW = new Date('2026-11-23T06:30:00Z');
const KEY = (account: string, region: string, stamp: string, period = 'weekly') => `${account}/${region}/reports/${period}/${stamp}Z/report.json`;
const report = (verdicts: Record<string, 'pass' | 'fail' | 'n/a'>[], until = '2026-11-23T06:00:00.000Z') => ({
  deployment: 'prod',
  until,
  caches: verdicts.map((v, i) => ({ facts: { cache: `c${i}` }, controls: Object.entries(v).map(([control, verdict]) => ({ control, verdict, why: 'x' })) })),
  unprotected: ['u1'],
});

describe('the organization roll-up (issue 52 item 4)', () => {
  it('reads account, region, period and end from a report key, and nothing else of the tree', () => {
    expect(parseReportKey(KEY('111122223333', 'eu-west-1', '2026-11-23T0600'))).toMatchObject({
      account: '111122223333',
      region: 'eu-west-1',
      period: 'weekly',
      until: new Date('2026-11-23T06:00:00Z'),
    });
    expect(parseReportKey('111122223333/eu-west-1/reports/weekly/2026-11-23T0600Z/report.html')).toBeUndefined();
    expect(parseReportKey('1111/eu-west-1/reports/weekly/2026-11-23T0600Z/report.json')).toBeUndefined();
    expect(parseReportKey('111122223333/reports/weekly/2026-11-23T0600Z/report.json')).toBeUndefined();
  });

  it('takes the newest report per account and region, of either period', () => {
    const keys = [
      KEY('111122223333', 'eu-west-1', '2026-11-16T0600'),
      KEY('111122223333', 'eu-west-1', '2026-11-23T0600'),
      KEY('111122223333', 'eu-west-1', '2026-11-01T0600', 'monthly'),
      KEY('111122223333', 'us-east-1', '2026-11-01T0600', 'monthly'),
      KEY('444455556666', 'eu-west-1', '2026-11-09T0600'),
    ];
    expect(newestPerAccount(keys, NOW).map((k) => k.key)).toEqual([keys[1], keys[3], keys[4]]);
  });

  it('an account whose controls pass is ok; one that fails a control is FAIL, naming the cache and control', () => {
    const k = parseReportKey(KEY('111122223333', 'eu-west-1', '2026-11-23T0600'))!;
    const ok = accountLine(
      k,
      report([
        { 'cross-region-copy': 'pass', 'restore-time': 'pass' },
        { 'cross-region-copy': 'pass', 'restore-time': 'n/a' },
      ]),
      NOW,
    );
    expect(ok).toMatchObject({ state: 'ok', caches: 2, verified: 2, drilled: 1, unprotected: 1, why: null });
    const failed = accountLine(k, report([{ 'cross-region-copy': 'pass', 'restore-time': 'fail' }]), NOW);
    expect(failed).toMatchObject({ state: 'fail', why: '1 control(s) failed: c0 restore-time' });
  });

  it('an account whose newest report is older than its period is a FAIL line (stale), never skipped', () => {
    const k = parseReportKey(KEY('111122223333', 'eu-west-1', '2026-11-02T0600'))!;
    const line = accountLine(k, report([{ 'cross-region-copy': 'pass' }], '2026-11-02T06:00:00.000Z'), NOW);
    expect(line.state).toBe('stale');
    expect(line.why).toMatch(/^newest report \(weekly\) is 21 days old, over its period/);
    // A monthly report of the same age is within its period.
    const monthly = parseReportKey(KEY('111122223333', 'eu-west-1', '2026-11-02T0600', 'monthly'))!;
    expect(accountLine(monthly, report([{ 'cross-region-copy': 'pass' }], '2026-11-02T06:00:00.000Z'), NOW).state).toBe('ok');
  });

  it('a PARTIAL report (facts it could not read) is a FAIL line naming them, though every control it judged passed', () => {
    const k = parseReportKey(KEY('111122223333', 'eu-west-1', '2026-11-23T0600'))!;
    const partial = { ...report([{ 'cross-region-copy': 'pass', 'restore-time': 'pass' }]), problems: ['alarm history (eu-west-1): AccessDenied', 'x'] };
    expect(accountLine(k, partial, NOW)).toMatchObject({
      state: 'fail',
      why: 'PARTIAL report: 2 fact(s) not read: alarm history (eu-west-1): AccessDenied; …',
    });
    const empty = { ...report([]), problems: ['no cache or backup target was found to report on: nothing was judged'] };
    expect(accountLine(k, empty, NOW)).toMatchObject({ state: 'fail', why: expect.stringMatching(/^PARTIAL report: 1 fact\(s\) not read: no cache/) });
    expect(accountLine(k, { ...partial, problems: [] }, NOW).state).toBe('ok');
  });

  it('a record that is no report is named (malformed), and the roll-up counts the rest', () => {
    const k = parseReportKey(KEY('111122223333', 'eu-west-1', '2026-11-23T0600'))!;
    const bad = accountLine(k, { deployment: 'prod', until: '2026-11-23T06:00:00Z', caches: 'many' }, NOW);
    expect(bad).toMatchObject({ state: 'malformed', why: expect.stringMatching(/^not a report: caches: /) });
    const good = accountLine(
      { ...k, account: '444455556666' },
      report([{ 'cross-region-copy': 'pass', 'restore-time': 'fail' }, { 'cross-region-copy': 'fail' }]),
      NOW,
    );
    const r = rollUp([bad, good], NOW);
    expect(r).toMatchObject({ caches: 2, verifiedShare: 0.5, drilledShare: 0, failing: 2 });
  });

  it("a stale report's caches count as neither verified nor drilled", () => {
    const k = parseReportKey(KEY('111122223333', 'eu-west-1', '2026-11-02T0600'))!;
    const stale = accountLine(k, report([{ 'cross-region-copy': 'pass', 'restore-time': 'pass' }], '2026-11-02T06:00:00.000Z'), NOW);
    expect(rollUp([stale], NOW)).toMatchObject({ caches: 1, verifiedShare: 0, drilledShare: 0, failing: 1 });
  });

  it('nothing to roll up gives no share (n/a), never 100 %', () => {
    expect(rollUp([], NOW)).toMatchObject({ caches: 0, verifiedShare: null, drilledShare: null, failing: 0 });
  });
});
