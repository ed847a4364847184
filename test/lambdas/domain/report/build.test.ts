import { describe, expect, it } from 'vitest';
import { buildReport, daysBetween, isoWeek, rpoAttainment, rtoTrend } from '../../../../lambdas/domain/report/build.js';
import type { CacheFacts, DrillFact, ReportFacts } from '../../../../lambdas/domain/report/model.js';

const H = 3_600_000;
const t = (iso: string) => new Date(iso);
const SINCE = t('2026-11-01T00:00:00Z');
const UNTIL = t('2026-11-08T00:00:00Z');
/** Points every `hours` from `from` to `to`, leaving out those in `skip`. */
function every(hours: number, from = SINCE, to = UNTIL, skip: (d: Date) => boolean = () => false) {
  const out = [];
  for (let at = from.getTime(); at <= to.getTime(); at += hours * H) if (!skip(new Date(at))) out.push({ name: `p${at}`, at: new Date(at), keys: 100 });
  return out;
}

const cache = (over: Partial<CacheFacts> = {}): CacheFacts => ({
  cache: 'sessions-prod',
  plan: 'sessions',
  rpoMinutes: 180,
  timeZone: 'UTC',
  retentionDays: 365,
  points: every(2),
  drCopies: every(24).map((p) => ({ key: `${p.name}.rdb`, at: new Date(p.at.getTime() + H), verdict: 'ok' as const })),
  drCopyLimitMinutes: 24 * 60 + 180,
  rtoTargetSeconds: 1800,
  ...over,
});
const drill = (at: string, rtoSeconds: number | undefined, passed = true): DrillFact => ({
  cache: 'sessions-prod',
  plan: 'sessions',
  region: 'eu-central-1',
  startedAt: t(at),
  passed,
  ...(rtoSeconds !== undefined ? { rtoSeconds } : {}),
});
const facts = (over: Partial<ReportFacts> = {}): ReportFacts => ({
  deployment: 'prod',
  generatedAt: UNTIL,
  since: SINCE,
  until: UNTIL,
  caches: [cache()],
  unprotected: [],
  unprotectable: [],
  drills: [drill('2026-11-02T04:00:00Z', 900)],
  alarms: [],
  holds: [],
  minRetentionDays: 30,
  ...over,
});
const verdicts = (r: ReturnType<typeof buildReport>) => Object.fromEntries(r.controls.map((c) => [`${c.cache} ${c.control}`, c.verdict]));

describe('rpoAttainment', () => {
  it('finds the largest gap and the time over the RPO, naming the days it touched', () => {
    // An outage on 3 November: the points of 08:00–14:00 UTC missing, so 06:00 to 16:00 has none.
    const points = every(2, SINCE, UNTIL, (d) => d >= t('2026-11-03T07:00:00Z') && d <= t('2026-11-03T15:00:00Z'));
    const a = rpoAttainment(points, 180, 'UTC', SINCE, UNTIL);
    expect(a.largestGapMs).toBe(10 * H);
    expect(a.largestGapFrom).toEqual(t('2026-11-03T06:00:00Z'));
    expect(a.breaches).toEqual([{ from: t('2026-11-03T09:00:00Z'), to: t('2026-11-03T16:00:00Z') }]);
    expect(a.daysMissed).toEqual(['2026-11-03']);
    expect(a.days).toBe(8); // 1 Nov 00:00 to 8 Nov 00:00 touches eight days
    expect(a.perDay.find((d) => d.day === '2026-11-03')?.points).toBe(8); // 12 a day, 4 missing
  });

  it('measures gaps in real time across a DST change (Europe/Berlin, 25 October 2026): 01:00 to 03:00 local is three hours', () => {
    const since = t('2026-10-24T22:00:00Z');
    const until = t('2026-10-25T03:00:00Z');
    // 01:00 CEST = 23:00Z; 03:00 CET = 02:00Z.
    const a = rpoAttainment([{ at: t('2026-10-24T23:00:00Z') }, { at: t('2026-10-25T02:00:00Z') }], 150, 'Europe/Berlin', since, until);
    expect(a.largestGapMs).toBe(3 * H);
    expect(a.breaches).toEqual([{ from: t('2026-10-25T01:30:00Z'), to: t('2026-10-25T02:00:00Z') }]);
    expect(a.daysMissed).toEqual(['2026-10-25']);
    expect(daysBetween(since, until, 'Europe/Berlin')).toEqual(['2026-10-25']);
  });

  it('with no recovery point, the whole period is over the RPO', () => {
    const a = rpoAttainment([], 180, 'UTC', SINCE, UNTIL);
    expect(a.points).toBe(0);
    expect(a.breaches).toEqual([{ from: t('2026-11-01T03:00:00Z'), to: UNTIL }]);
    expect(a.daysMissed).toHaveLength(8);
  });
});

describe('rtoTrend', () => {
  it('is the least-squares slope in seconds per week', () => {
    expect(rtoTrend([drill('2026-11-01T04:00:00Z', 600), drill('2026-11-08T04:00:00Z', 660), drill('2026-11-15T04:00:00Z', 720)])).toBeCloseTo(60, 6);
  });
  it('needs two drills with an RTO', () => {
    expect(rtoTrend([drill('2026-11-01T04:00:00Z', 600), drill('2026-11-08T04:00:00Z', undefined, false)])).toBeUndefined();
  });
});

describe('isoWeek', () => {
  it.each([
    ['2026-01-01T12:00:00Z', '2026-W01'],
    ['2026-12-28T00:00:00Z', '2026-W53'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2027-01-04T00:00:00Z', '2027-W01'],
    ['2026-11-01T00:00:00Z', '2026-W44'],
  ])('%s is in %s', (at, week) => expect(isoWeek(t(at))).toBe(week));
});

describe('buildReport: the controls', () => {
  it('passes every control of a healthy cache, and says why; cross-account and lock are n/a without a vault', () => {
    const r = buildReport(facts());
    expect(verdicts(r)).toEqual({
      'sessions-prod resources-protected': 'pass',
      'sessions-prod frequency': 'pass',
      'sessions-prod last-recovery-point': 'pass',
      'sessions-prod retention': 'pass',
      'sessions-prod cross-region-copy': 'pass',
      'sessions-prod cross-account-copy': 'n/a',
      'sessions-prod vault-lock': 'n/a',
      'sessions-prod restore-time': 'pass',
    });
    expect(r.summary).toEqual({ pass: 6, fail: 0, notApplicable: 2 });
    expect(r.controls.find((c) => c.control === 'restore-time')?.why).toBe('last drill 2026-11-02T04:00:00Z passed, RTO 900 s (target 1800 s)');
  });

  it.each<[string, Partial<ReportFacts>, string, RegExp]>([
    ['a gap over the RPO', { caches: [cache({ points: every(4) })] }, 'frequency', /largest gap 4 h .* over the RPO of 180 min; 8 of 8 days missed/],
    [
      'no recent point',
      { caches: [cache({ points: every(2, SINCE, t('2026-11-07T00:00:00Z')) })] },
      'last-recovery-point',
      /1440 min old at the report's end \(RPO 180 min\)/,
    ],
    ['short retention', { caches: [cache({ retentionDays: 7 })] }, 'retention', /up to 7 days \(required 30\)/],
    [
      'a corrupt DR copy',
      { caches: [cache({ drCopies: [{ key: 'x.rdb', at: t('2026-11-07T20:00:00Z'), verdict: 'corrupt' }] })] },
      'cross-region-copy',
      /no verified copy in the DR region/,
    ],
    ['no DR copies', { caches: [cache({ drCopies: undefined })] }, 'cross-region-copy', /makes no copy in another region/],
    ['an RTO over the target', { drills: [drill('2026-11-02T04:00:00Z', 2400)] }, 'restore-time', /RTO 2400 s \(target 1800 s\)/],
    [
      'a failed drill',
      { drills: [{ ...drill('2026-11-02T04:00:00Z', undefined, false), reason: 'key-count 3 of 100' }] },
      'restore-time',
      /failed: key-count 3 of 100/,
    ],
    ['no drill in the period', { drills: [] }, 'restore-time', /no drill in the period/],
  ])('fails on %s, naming why', (_what, over, control, why) => {
    const c = buildReport(facts(over)).controls.find((x) => x.control === control)!;
    expect(c.verdict).toBe('fail');
    expect(c.why).toMatch(why);
  });

  it('judges the vault: cross-account copy and lock, failing a replica whose retention ends inside the period', () => {
    const locked = { key: 'a.rdb', at: t('2026-11-05T00:00:00Z'), verdict: 'ok' as const, retainUntil: t('2027-11-05T00:00:00Z') };
    const ok = buildReport(facts({ caches: [cache({ vaultCopies: [locked] })] }));
    expect(verdicts(ok)['sessions-prod cross-account-copy']).toBe('pass');
    expect(verdicts(ok)['sessions-prod vault-lock']).toBe('pass');
    const expiring = buildReport(facts({ caches: [cache({ vaultCopies: [locked, { ...locked, key: 'b.rdb', retainUntil: t('2026-11-06T00:00:00Z') }] })] }));
    expect(expiring.controls.find((c) => c.control === 'vault-lock')).toMatchObject({
      verdict: 'fail',
      why: "1 of 2 replica(s) under COMPLIANCE retention past the report's end",
    });
  });

  it('fails coverage for unprotected and unprotectable caches', () => {
    const r = buildReport(facts({ unprotected: ['orphan'], unprotectable: [{ cache: 'tiered', why: 'data tiering (r6gd) cannot export' }] }));
    expect(r.controls.filter((c) => c.control === 'resources-protected' && c.verdict === 'fail').map((c) => `${c.cache}: ${c.why}`)).toEqual([
      'orphan: in no backup plan',
      'tiered: cannot be protected: data tiering (r6gd) cannot export',
    ]);
  });

  it('counts alarm minutes inside the period only, and one still in ALARM to the end', () => {
    const r = buildReport(
      facts({
        alarms: [
          { alarm: 'a', from: t('2026-10-31T23:00:00Z'), to: t('2026-11-01T01:00:00Z') },
          { alarm: 'b', from: t('2026-11-07T23:30:00Z') },
          { alarm: 'old', from: t('2026-10-01T00:00:00Z'), to: t('2026-10-02T00:00:00Z') },
        ],
      }),
    );
    expect(r.alarms.map((a) => [a.alarm, a.minutesInAlarm])).toEqual([
      ['a', 60],
      ['b', 30],
    ]);
  });

  it('an empty deployment (no cache, nothing happened) is a report too, with nothing to pass', () => {
    const r = buildReport(facts({ caches: [], drills: [] }));
    expect(r.controls).toEqual([]);
    expect(r.summary).toEqual({ pass: 0, fail: 0, notApplicable: 0 });
  });
});
