import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { copySummary } from '../../../../lambdas/domain/report/build.js';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { collectReportFacts, elastiCacheReport, REPORT_EXPORTS_PER_TARGET, type ReportAws } from '../../../../lambdas/jobs/report/elasticache-report.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { reportRunInput } from '../../../../lib/deployment.js';
import { putDrCopy } from '../../../cli/support/dr-copies.js';
import { ACCOUNT, fakeAws, reportHistory } from '../../../cli/support/fake-aws.js';
import { reportAws } from '../../../support/report-aws.js';

/**
 * The report job against an account at the SDK boundary (aws-sdk-client-mock):
 * the fake account of the CLI tests (snapshots with tags, DR objects with
 * tags, drill executions with their reports, caches) and CloudWatch's alarm
 * history. Full, empty and partial histories.
 */

const aws = fakeAws();
const cw = mockClient(CloudWatchClient);
const SINCE = new Date('2026-11-18T00:00:00Z');
const UNTIL = new Date('2026-11-21T00:00:00Z');
const WINDOW = { since: SINCE, until: UNTIL, generatedAt: UNTIL };
const config = loadConfig('test/fixtures/config/drills.json');
const input = reportRunInput(config, ACCOUNT);
const PRIMARY_SM = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:redis-dr-example-primary-drill`;

const reportAwsNow = (): ReportAws => reportAws(UNTIL.getTime());

const name = (at: Date) => `rdr-sessions-prod-${at.toISOString().slice(0, 10).replaceAll('-', '')}-${at.toISOString().slice(11, 16).replace(':', '')}`;

function snapshot(at: Date, tags: Record<string, string> = {}): string {
  const n = name(at);
  aws.state.snapshots.set(n, {
    name: n,
    target: 'sessions-prod',
    status: 'available',
    createdAt: at,
    tags: {
      'redis-dr:managed': 'true',
      'redis-dr:deployment': 'example',
      'redis-dr:plan': 'sessions',
      'redis-dr:source': 'sessions-prod',
      'redis-dr:keys': '1000',
      'redis-dr:tier': 'hourly',
      ...tags,
    },
  });
  return n;
}

function drill(id: string, startedAt: string, report: Record<string, unknown>, status = 'SUCCEEDED'): void {
  const input = JSON.stringify({ deployment: 'example', plan: 'sessions' });
  const choice = { target: 'sessions-prod', recoveryPoint: 'x' };
  aws.state.executions.push({
    executionArn: `${PRIMARY_SM.replace(':stateMachine:', ':execution:')}:${id}`,
    stateMachineArn: PRIMARY_SM,
    status,
    startDate: new Date(startedAt),
    stopDate: new Date(Date.parse(startedAt) + 1_200_000),
    input,
    ...(status === 'SUCCEEDED' ? { output: JSON.stringify({ input: JSON.parse(input), drill: { choice, report } }) } : { error: 'States.TaskFailed' }),
    history: reportHistory(report, choice),
  });
}

/** A DR copy of the export named, taken when its name says (`redis-dr:created`). */
function copy(exportName: string, o: Parameters<typeof putDrCopy>[2] = {}): void {
  putDrCopy(aws, exportName, o);
  const m = /-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})$/.exec(exportName)!;
  const tags = aws.state.objects.get(input.drBucket)!.get(`${exportName}-0001.rdb`)!;
  tags['redis-dr:created'] = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:30.000Z`;
}

beforeEach(() => {
  aws.reset();
  cw.reset();
  cw.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
});

describe('the ElastiCache report: full history', () => {
  beforeEach(() => {
    // Every 2 h over the period, but none from Nov 19 08:00 to Nov 19 20:00 (a 12 h gap over the 210 min RPO).
    for (let t = SINCE.getTime() + 60_000; t < UNTIL.getTime(); t += 2 * 3_600_000) {
      const at = new Date(t);
      if (at >= new Date('2026-11-19T08:00:00Z') && at < new Date('2026-11-19T20:00:00Z')) continue;
      snapshot(at);
    }
    const collapsed = snapshot(new Date('2026-11-20T22:30:00Z'), { 'redis-dr:collapsed': 'active 0 keys 100 pct fewer than 1000' });
    snapshot(new Date('2026-11-20T21:30:00Z'), { 'redis-dr:hold': `keyspace-collapsed:${collapsed}` });
    copy('rdr-sessions-prod-20261120-2201');
    copy('rdr-sessions-prod-20261119-0601', { verified: 'corrupt' });
    copy('rdr-sessions-prod-20261120-0001', { verified: null });
    // Before the period: not counted.
    copy('rdr-sessions-prod-20261101-0001');
    drill('d1', '2026-11-18T10:00:00Z', { ok: true, rtoSeconds: 1500, restoreSeconds: 1200, verifySeconds: 60, subject: 'PASSED' });
    drill('d2', '2026-11-19T10:00:00Z', { ok: false, subject: 'FAILED: key-count 10 of 1000' }, 'FAILED');
    drill('d3', '2026-11-20T10:00:00Z', { ok: true, rtoSeconds: 2100, restoreSeconds: 1800, verifySeconds: 70, subject: 'PASSED' });
    drill('before', '2026-11-01T10:00:00Z', { ok: true, rtoSeconds: 100, subject: 'PASSED' });
    aws.state.caches.push(
      { region: 'eu-west-1', kind: 'replication-group', id: 'sessions-prod' },
      { region: 'eu-west-1', kind: 'replication-group', id: 'orders-prod' },
      { region: 'eu-west-1', kind: 'replication-group', id: 'tiered', nodeType: 'cache.r6gd.xlarge', dataTiering: true },
    );
    const item = (alarm: string, at: string, from: string, to: string) => ({
      AlarmName: alarm,
      Timestamp: new Date(at),
      HistoryItemType: 'StateUpdate' as const,
      HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: from }, newState: { stateValue: to } }),
    });
    cw.on(DescribeAlarmHistoryCommand).callsFake(async (_i, getClient: () => CloudWatchClient) =>
      (await getClient().config.region()) === 'eu-west-1'
        ? {
            AlarmHistoryItems: [
              item('redis-dr-example-sessions-recovery-point-age', '2026-11-19T11:30:00Z', 'OK', 'ALARM'),
              item('redis-dr-example-sessions-recovery-point-age', '2026-11-19T20:10:00Z', 'ALARM', 'OK'),
              item('someone-else', '2026-11-19T11:30:00Z', 'OK', 'ALARM'),
            ],
          }
        : { AlarmHistoryItems: [] },
    );
  });

  it('collects points with key counts, copies with verdicts, drills with RTO and phases, holds, alarms and coverage', async () => {
    const facts = await collectReportFacts(input, reportAwsNow(), WINDOW);
    expect(facts.problems).toEqual([]);
    const prod = facts.caches.find((c) => c.cache === 'sessions-prod')!;
    expect(prod.points.length).toBe(36 - 6 + 2);
    expect(prod.points[0]).toMatchObject({ keys: 1000, tier: 'hourly' });
    expect(prod.drCopies!.map((c) => [c.key, c.verdict]).sort()).toEqual([
      ['rdr-sessions-prod-20261119-0601', 'corrupt'],
      ['rdr-sessions-prod-20261120-0001', 'pending'],
      ['rdr-sessions-prod-20261120-2201', 'ok'],
    ]);
    expect(facts.drills.map((d) => [d.startedAt.toISOString(), d.passed, d.rtoSeconds])).toEqual([
      ['2026-11-18T10:00:00.000Z', true, 1500],
      ['2026-11-19T10:00:00.000Z', false, undefined],
      ['2026-11-20T10:00:00.000Z', true, 2100],
    ]);
    expect(facts.drills[0]).toMatchObject({ cache: 'sessions-prod', plan: 'sessions', phases: { restore: 1200, verify: 60 } });
    expect(facts.drills[1]!.reason).toBe('FAILED: key-count 10 of 1000');
    expect(facts.holds).toEqual([expect.objectContaining({ cache: 'sessions-prod', point: 'rdr-sessions-prod-20261120-2230' })]);
    expect(facts.holds[0]!.reason).toContain('holds 1 earlier point(s): rdr-sessions-prod-20261120-2130');
    expect(facts.alarms).toEqual([
      { alarm: 'eu-west-1/redis-dr-example-sessions-recovery-point-age', from: new Date('2026-11-19T11:30:00Z'), to: new Date('2026-11-19T20:10:00Z') },
    ]);
    expect(facts.unprotected).toEqual(['eu-west-1/orders-prod']);
    expect(facts.unprotectable.map((u) => u.cache)).toEqual(['eu-west-1/tiered']);
    // The history API is asked for state changes of the period only.
    expect(cw.commandCalls(DescribeAlarmHistoryCommand)[0]!.args[0].input).toMatchObject({ HistoryItemType: 'StateUpdate', StartDate: SINCE, EndDate: UNTIL });
  });

  it('issue 53 item 3: a copy whose ok verdict tag has no verdict object is unproven, never a verified copy, and counted failed in its week', async () => {
    copy('rdr-sessions-prod-20261120-2301');
    aws.state.forgedVerdicts.add(`${input.drBucket}/rdr-sessions-prod-20261120-2301-0001.rdb`);
    const facts = await collectReportFacts(input, reportAwsNow(), WINDOW);
    const prod = facts.caches.find((c) => c.cache === 'sessions-prod')!;
    expect(prod.drCopies!.find((c) => c.key === 'rdr-sessions-prod-20261120-2301')?.verdict).toBe('unproven');
    const summary = copySummary(prod.drCopies!, SINCE, UNTIL);
    expect(summary).toMatchObject({ verified: 1, unproven: 1, corrupt: 1, pending: 1 });
    // The newest verified copy is still the older one: the unproven copy is no recovery point.
    expect(summary.newestVerifiedAt?.toISOString()).toBe('2026-11-20T22:01:30.000Z');
  });

  it('describes only the drills started in the period: the one before it is listed, never described', async () => {
    await collectReportFacts(input, reportAwsNow(), WINDOW);
    const described = aws.sfn.commandCalls(DescribeExecutionCommand).map((c) => String(c.args[0].input.executionArn));
    expect(described.map((arn) => arn.split(':').at(-1)).sort()).toEqual(['d1', 'd2', 'd3']);
  });

  it('judges the controls: frequency fails on the 12 h gap, restore time passes on the last drill (2100 s within 45 min) though one before it failed', async () => {
    const { report, html, csv } = await elastiCacheReport(input, reportAwsNow(), WINDOW);
    const of = (control: string) => report.controls.find((c) => c.cache === 'sessions-prod' && c.control === control)!;
    expect(of('frequency').verdict).toBe('fail');
    expect(of('frequency').why).toMatch(/largest gap 14 h \(2026-11-19T06:01:00Z to 2026-11-19T20:01:00Z\) over the RPO of 210 min; 1 of 4 days missed/);
    expect(of('cross-region-copy').verdict).toBe('pass');
    expect(of('restore-time')).toMatchObject({ verdict: 'pass', why: 'last drill 2026-11-20T10:00:00Z passed, RTO 2100 s (target 2700 s)' });
    expect(report.caches[0]!.rtoTrendSecondsPerWeek).toBeCloseTo(((2100 - 1500) / 2) * 7);
    expect(of('retention').verdict).toBe('pass');
    expect(report.controls.find((c) => c.cache === 'eu-west-1/orders-prod')).toMatchObject({ control: 'resources-protected', verdict: 'fail' });
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(2);
    expect(csv['drills.csv']!.split('\r\n').filter(Boolean)).toHaveLength(1 + 3);
  });
});

describe('the ElastiCache report: empty and partial histories', () => {
  it('an account with nothing yet: every cache of the plans without points, no problem, the controls fail with why', async () => {
    const { report } = await elastiCacheReport(input, reportAwsNow(), WINDOW);
    expect(report.problems).toEqual([]);
    expect(report.caches.map((c) => c.facts.cache)).toEqual(['sessions-prod', 'sessions-edge']);
    const prod = report.caches[0]!;
    expect(prod.rpo.points).toBe(0);
    expect(prod.controls.find((c) => c.control === 'last-recovery-point')).toMatchObject({ verdict: 'fail', why: 'no recovery point at all' });
    expect(prod.controls.find((c) => c.control === 'restore-time')).toMatchObject({ verdict: 'fail', why: 'no drill in the period' });
    expect(report.alarms).toEqual([]);
  });

  it('a DR bucket it may not list and an alarm history it may not read: the rest is reported, and both are named as not read', async () => {
    snapshot(new Date('2026-11-20T22:00:00Z'));
    aws.s3.on(ListObjectsV2Command).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    cw.on(DescribeAlarmHistoryCommand).rejects(Object.assign(new Error('not authorized to perform cloudwatch:DescribeAlarmHistory'), { name: 'AccessDenied' }));
    const { report } = await elastiCacheReport(input, reportAwsNow(), WINDOW);
    expect(report.caches[0]!.rpo.points).toBe(1);
    expect(report.problems).toHaveLength(3);
    expect(report.problems[0]).toMatch(new RegExp(`^DR copies of plan sessions in s3://redis-dr-example-${ACCOUNT}-eu-central-1: .*Access Denied`));
    expect(report.problems[1]).toMatch(/^alarm history of eu-west-1 \(redis-dr-example-\*\): .*DescribeAlarmHistory/);
    expect(report.problems[2]).toMatch(/^alarm history of eu-central-1/);
    // The Alarms section is "not collected", never an empty table that reads as no alarm in the period (found against moto).
    expect(report.notCollected.alarms).toBe(
      'alarm history of eu-west-1 not read (see the problems); alarm history of eu-central-1 not read (see the problems)',
    );
  });

  it('more exports in the period than it judges: the report names the newest it judged and how many there were (partial)', async () => {
    const pad = (n: number) => String(n).padStart(2, '0');
    for (let i = 0; i <= REPORT_EXPORTS_PER_TARGET; i++) {
      const at = new Date(SINCE.getTime() + (i + 1) * 60_000);
      copy(`rdr-sessions-prod-2026${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}-${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}`);
    }
    const facts = await collectReportFacts(input, reportAwsNow(), WINDOW);
    expect(facts.problems).toEqual([
      `DR copies of sessions-prod: only the newest ${REPORT_EXPORTS_PER_TARGET} of ${REPORT_EXPORTS_PER_TARGET + 1} exports of the period were judged (shorten --since)`,
    ]);
  });

  it('an alarm in ALARM the whole period (no state change in it) is one episode from the start, still open', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'redis-dr-example-dr-copy-age', StateValue: 'ALARM' }] });
    const facts = await collectReportFacts(input, reportAwsNow(), WINDOW);
    expect(facts.alarms).toEqual([
      { alarm: 'eu-west-1/redis-dr-example-dr-copy-age', from: SINCE },
      { alarm: 'eu-central-1/redis-dr-example-dr-copy-age', from: SINCE },
    ]);
  });
});

describe('the ElastiCache report: maximum retention (plan maxRetentionDays)', () => {
  /** The drills fixture with a maximum retention of 10 days on plan sessions. */
  const capped = { ...input, plans: input.plans.map((p) => (p.plan === 'sessions' ? { ...p, maxRetentionDays: 10 } : p)) };

  it('lists every copy past it, in each place, and fails each that nothing holds; a collapse hold without an expiry fails too', async () => {
    snapshot(new Date('2026-11-20T22:00:00Z'));
    const old = snapshot(new Date('2026-11-02T02:00:00Z'));
    const held = snapshot(new Date('2026-11-03T02:00:00Z'), { 'redis-dr:hold': 'keyspace-collapsed:rdr-sessions-prod-20261104-0200' });
    copy('rdr-sessions-prod-20261101-0001');
    copy('rdr-sessions-prod-20261120-0001');
    const { report } = await elastiCacheReport(capped, reportAwsNow(), WINDOW);
    const audits = (report.audits ?? []).filter((a) => a.check === 'max-retention' || a.check === 'hold');
    expect(audits.map((a) => [a.subject, a.verdict])).toEqual([
      ['rdr-sessions-prod-20261101-0001', 'fail'],
      [old, 'fail'],
      [held, 'fail'],
    ]);
    expect(audits[0]!.why).toBe(
      'sessions-prod dr: 19 days old, past the maximum retention of 10 days, and no hold keeps it: delete it, or hold it with a reason and an expiry',
    );
    expect(audits[1]!.why).toMatch(/^sessions-prod primary: 18 days old, past the maximum retention of 10 days, and no hold keeps it/);
    expect(audits[2]!.why).toMatch(
      /^sessions-prod primary: 17 days old, .*held \(keyspace-collapse hold \(rdr-sessions-prod-20261104-0200\)\) without an expiry/,
    );
  });

  it('judges each hold by its reason and expiry: an operator hold ahead is the hold line, an expired collapse hold and a hold without a reason FAIL', async () => {
    const legal = snapshot(new Date('2026-11-02T02:00:00Z'), { 'redis-dr:hold': 'held until=2027-03-01T00:00:00Z by=ops@host reason=legal hold case 1234' });
    // The collapse at 11-04 02:00 was held 30 days: until 12-04, ahead of the window; one at 10-05 expired on 11-04.
    const collapse = snapshot(new Date('2026-11-03T02:00:00Z'), {
      'redis-dr:hold': 'keyspace-collapsed:rdr-sessions-prod-20261104-0200 until=2026-12-04T02:00:00Z',
    });
    const expired = snapshot(new Date('2026-10-04T02:00:00Z'), {
      'redis-dr:hold': 'keyspace-collapsed:rdr-sessions-prod-20261005-0200 until=2026-11-04T02:00:00Z',
    });
    const blank = snapshot(new Date('2026-10-06T02:00:00Z'), { 'redis-dr:hold': 'held until=2027-03-01T00:00:00Z by=ops@host reason=' });
    const { report } = await elastiCacheReport(capped, reportAwsNow(), WINDOW);
    const audits = new Map((report.audits ?? []).filter((a) => a.check === 'hold').map((a) => [a.subject, a]));
    expect(audits.get(legal)).toMatchObject({ verdict: 'pass' });
    expect(audits.get(legal)!.why).toMatch(
      /primary: 18 days old, past the maximum retention of 10 days; held by ops@host \(legal hold case 1234\) until 2027-03-01T00:00:00Z$/,
    );
    expect(audits.get(collapse)).toMatchObject({ verdict: 'pass' });
    expect(audits.get(expired)).toMatchObject({ verdict: 'fail' });
    expect(audits.get(expired)!.why).toMatch(/until 2026-11-04T02:00:00Z, which has passed \(retention still keeps it until released\): decide/);
    expect(audits.get(blank)).toMatchObject({ verdict: 'fail', why: expect.stringMatching(/held without a reason/) });
  });

  it('a plan without a maximum lists nothing (the copies are the same)', async () => {
    snapshot(new Date('2026-11-02T02:00:00Z'));
    copy('rdr-sessions-prod-20261101-0001');
    const { report } = await elastiCacheReport(input, reportAwsNow(), WINDOW);
    expect((report.audits ?? []).filter((a) => a.check === 'max-retention' || a.check === 'hold')).toEqual([]);
  });
});
