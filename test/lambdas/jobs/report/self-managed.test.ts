import { drillFactOf } from '../../../../lambdas/domain/self-managed/drill-record.js';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../../lambdas/domain/report/build.js';
import type { StoredBackup } from '../../../../lambdas/domain/self-managed/backup.js';
import { selfManagedReportFacts } from '../../../../lambdas/jobs/report/self-managed.js';

const until = new Date('2026-11-08T00:00:00Z');
const opts = {
  since: new Date('2026-11-01T00:00:00Z'),
  until,
  generatedAt: until,
  destination: 'file:///backups',
  rpoMinutes: 1440,
  rtoMinutes: 60,
  timeZone: 'UTC',
  minRetentionDays: 7,
};
const file = (name: string, over: Partial<StoredBackup> = {}): StoredBackup => ({ file: name, size: 100, tier: 'daily', proven: true, keys: 10, ...over });

describe('selfManagedReportFacts', () => {
  it('counts only backups that were read back, per target, with the retention the destination holds', () => {
    const files = [
      file('rdr-cache1-20261020-0000.rdb'),
      ...[1, 2, 3, 4, 5, 6, 7].map((d) => file(`rdr-cache1-202611${String(d).padStart(2, '0')}-0000.rdb`)),
      file('rdr-cache1-20261107-1200.rdb', { proven: false }),
      file('rdr-cache2-20261107-0000.rdb', { hold: 'keyspace-collapsed:rdr-cache2-20261107-0000.rdb' }),
      file('notes.txt'),
    ];
    const facts = selfManagedReportFacts(files, opts);
    expect(facts.caches.map((c) => [c.cache, c.points.length, c.retentionDays])).toEqual([
      ['cache1', 8, 19],
      ['cache2', 1, 1],
    ]);
    expect(facts.holds).toEqual([
      {
        cache: 'cache2',
        point: 'rdr-cache2-20261107-0000.rdb',
        since: new Date('2026-11-07T00:00:00Z'),
        reason: 'keyspace-collapsed:rdr-cache2-20261107-0000.rdb',
      },
    ]);
    const report = buildReport(facts);
    const of = (cache: string, control: string) => report.controls.find((c) => c.cache === cache && c.control === control)!;
    expect(of('cache1', 'frequency').verdict).toBe('pass');
    expect(of('cache1', 'retention')).toMatchObject({ verdict: 'pass', why: 'the oldest recovery point there is 19 days old (required 7)' });
    expect(of('cache2', 'retention').verdict).toBe('fail');
    // Not this shape's: n/a with the reason, never a pass.
    expect(of('cache1', 'cross-region-copy')).toMatchObject({
      verdict: 'n/a',
      why: expect.stringMatching(/^self-managed: the copies are the destination's \(file:\/\/\/backups\)/),
    });
    // No drill recorded in the period: the restore-time control fails, honestly, saying so.
    expect(of('cache1', 'restore-time')).toMatchObject({ verdict: 'fail', why: 'no drill in the period' });
  });

  it('judges restore-time on the drills drill local --from recorded (the newest per cache, against --rto-minutes)', () => {
    const drill = (at: string, passed: boolean, rtoSeconds?: number) =>
      drillFactOf({
        target: 'cache1',
        point: 'rdr-cache1-20261107-0000.rdb',
        startedAt: at,
        passed,
        verdict: passed ? 'passed' : 'failed',
        checks: [],
        ...(rtoSeconds !== undefined ? { rtoSeconds } : {}),
      });
    const judged = (drills: ReturnType<typeof drill>[]) =>
      buildReport(selfManagedReportFacts([file('rdr-cache1-20261107-0000.rdb')], opts, drills)).controls.find(
        (c) => c.cache === 'cache1' && c.control === 'restore-time',
      )!;
    expect(judged([drill('2026-11-07T03:00:00Z', true, 12.5)])).toMatchObject({
      verdict: 'pass',
      why: expect.stringMatching(/^last drill .* passed, RTO 13 s \(target 3600 s\)/),
    });
    expect(judged([drill('2026-11-06T03:00:00Z', true, 12), drill('2026-11-07T03:00:00Z', false)]).verdict).toBe('fail');
    // One from before the period is not this period's.
    expect(judged([drill('2026-10-01T03:00:00Z', true, 12)]).why).toBe('no drill in the period');
  });

  it('a drill local --from records is manual and names who started it (the report separates scheduled and manual drills)', () => {
    const base = { target: 'cache1', point: 'rdr-cache1-20261107-0000.rdb', startedAt: '2026-11-07T03:00:00Z', passed: true, verdict: 'passed', checks: [] };
    expect(drillFactOf({ ...base, startedBy: 'backup@db-1' })).toMatchObject({ trigger: 'manual', startedBy: 'backup@db-1' });
    expect(drillFactOf(base).startedBy).toBeUndefined();
  });

  it('says coverage and alarms were not collected (a destination knows no other servers, and pages through the heartbeat), never an empty "none"', () => {
    const report = buildReport(selfManagedReportFacts([file('rdr-cache1-20261107-0000.rdb')], opts));
    expect(report.notCollected).toEqual({
      coverage: expect.stringMatching(/^self-managed: the destination knows the servers that back up into it/),
      alarms: expect.stringMatching(/^self-managed: alerting is the heartbeat's monitor/),
    });
  });

  it('with a maximum retention: a backup past it is listed, FAIL unless a hold with a reason and an expiry keeps it (a collapse hold has none)', () => {
    const files = [
      file('rdr-cache1-20260901-0000.rdb'),
      file('rdr-cache1-20260902-0000.rdb', { hold: 'keyspace-collapsed:rdr-cache1-20261107-0000.rdb' }),
      file('rdr-cache1-20261107-0000.rdb'),
      file('foreign-20200101-0000.rdb', { tier: undefined }),
    ];
    const report = buildReport(selfManagedReportFacts(files, { ...opts, maxRetentionDays: 30 }));
    expect(report.audits?.map((a) => [a.check, a.subject, a.verdict])).toEqual([
      ['max-retention', 'rdr-cache1-20260901-0000.rdb', 'fail'],
      ['hold', 'rdr-cache1-20260902-0000.rdb', 'fail'],
    ]);
    // Without a maximum, nothing is judged on it.
    expect(buildReport(selfManagedReportFacts(files, opts)).audits).toEqual([]);
  });

  it('judges each hold past the maximum: a reason and an expiry ahead is the hold line; the same hold after its expiry FAILs', () => {
    const files = [
      file('rdr-cache1-20260901-0000.rdb', { hold: 'held until=2026-12-01T00:00:00Z by=ops@host reason=legal hold case 1234' }),
      file('rdr-cache1-20260902-0000.rdb', { hold: 'keyspace-collapsed:rdr-cache1-20260903-0000.rdb until=2026-10-03T00:00:00Z' }),
      file('rdr-cache1-20260903-0000.rdb'),
    ];
    const judged = (at: Date) =>
      buildReport(selfManagedReportFacts(files, { ...opts, until: at, generatedAt: at, maxRetentionDays: 30 })).audits?.map((a) => [
        a.check,
        a.subject,
        a.verdict,
      ]);
    expect(judged(until)).toEqual([
      ['hold', 'rdr-cache1-20260901-0000.rdb', 'pass'],
      ['hold', 'rdr-cache1-20260902-0000.rdb', 'fail'],
      ['max-retention', 'rdr-cache1-20260903-0000.rdb', 'fail'],
    ]);
    // The operator's hold past its expiry: a decision is due.
    expect(judged(new Date('2026-12-02T00:00:00Z'))?.[0]).toEqual(['hold', 'rdr-cache1-20260901-0000.rdb', 'fail']);
  });
});
