import { DescribeSnapshotsCommand } from '@aws-sdk/client-elasticache';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { age, formatStatus, type StatusReport } from '../../../../cli/commands/status/action.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT, fakeAws, reportHistory, scrubRecord } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';

const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const DR_BUCKET = `redis-dr-example-${ACCOUNT}-eu-central-1`;
const PRIMARY_SM = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:redis-dr-example-primary-drill`;
const DR_SM = `arn:aws:states:eu-central-1:${ACCOUNT}:stateMachine:redis-dr-example-dr-drill`;
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' };
const aws = fakeAws();
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['status', '-c', CONFIG, ...args], { clock });

function snapshot(name: string, createdAt: string, tags: Record<string, string> = {}): void {
  aws.state.snapshots.set(name, {
    name,
    target: 'sessions-prod',
    status: 'available',
    createdAt: new Date(createdAt),
    tags: { ...OURS, 'redis-dr:tier': 'hourly', ...tags },
  });
}

function copy(exportName: string, created: string, verified: 'ok' | null = 'ok'): void {
  const bucket = aws.state.objects.get(DR_BUCKET) ?? new Map();
  aws.state.objects.set(DR_BUCKET, bucket);
  const tags: Record<string, string> = {
    'redis-dr:plan': 'sessions',
    'redis-dr:tier': 'hourly',
    'redis-dr:created': created,
    'redis-dr:shard': '0001/0001',
    'redis-dr:engine': 'redis 7.1',
  };
  if (verified) Object.assign(tags, { 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v=11 keys=10 expires=0 string=10' });
  bucket.set(`${exportName}-0001.rdb`, tags);
}

function drill(stateMachineArn: string, status: string, stop: string, report: Record<string, unknown> | null, target = 'sessions-prod'): void {
  const input = JSON.stringify({ deployment: 'example', plan: 'sessions' });
  const choice = { target, recoveryPoint: 'rdr-sessions-prod-20261121-0400' };
  const stopDate = new Date(stop);
  aws.state.executions.push({
    executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:run-${aws.state.executions.length}`,
    stateMachineArn,
    status,
    startDate: new Date(stopDate.getTime() - 900_000),
    stopDate,
    input,
    ...(status === 'SUCCEEDED' ? { output: JSON.stringify({ input: JSON.parse(input), drill: { choice, report } }) } : { error: 'DrillFailed' }),
    history: report ? reportHistory(report, choice) : [],
  });
}

/** A healthy account: fresh snapshot and export, a verified DR copy, drills passed in both regions. */
function healthy(): void {
  snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
  snapshot('rdr-sessions-prod-20261121-0700', '2026-11-21T07:00:30Z', { 'redis-dr:exported': '2026-11-21T07:30:00Z' });
  copy('rdr-sessions-prod-20261121-0700', '2026-11-21T07:00:30.000Z');
  scrubRecord(aws.state, DR_BUCKET, '2026-11-21T03:00:00Z');
  drill(PRIMARY_SM, 'SUCCEEDED', '2026-11-20T04:20:00Z', { ok: true, rtoSeconds: 750, subject: 'PASSED' });
  drill(DR_SM, 'SUCCEEDED', '2026-11-20T05:20:00Z', { ok: true, rtoSeconds: 1_500, subject: 'PASSED' });
}

beforeEach(() => {
  aws.reset();
  clock = new FakeClock(NOW);
});

type Row = StatusReport['rows'][number];
const rowsOf = (r: StatusReport, target: string): Record<string, Pick<Row, 'state' | 'ageSeconds' | 'region'>> =>
  Object.fromEntries(
    r.rows.filter((x) => x.target === target && x.plan === 'sessions').map((x) => [x.what, { state: x.state, ageSeconds: x.ageSeconds, region: x.region }]),
  );

describe('status', () => {
  it('reports every age against its alarm limit in both regions and the last drill of each region', async () => {
    healthy();
    const r = await run('--json');
    const report = JSON.parse(r.stdout) as StatusReport;

    expect(rowsOf(report, 'sessions-prod')).toEqual({
      snapshot: { state: 'ok', ageSeconds: 3_570, region: 'eu-west-1' },
      'exported copy': { state: 'ok', ageSeconds: 10_770, region: 'eu-west-1' },
      'verified DR copy': { state: 'ok', ageSeconds: 10_770, region: 'eu-central-1' },
    });
    const drillRows = report.rows.filter((x) => x.what === 'last good drill');
    expect(drillRows.map((x) => [x.target, x.region, x.state, x.ageSeconds])).toEqual([
      ['all', 'eu-central-1', 'ok', 103_200],
      ['all', 'eu-west-1', 'ok', 106_800],
    ]);
    expect(report.drills.map((d) => [d.where, d.status, d.rtoSeconds, d.target])).toEqual([
      ['primary', 'SUCCEEDED', 750, 'sessions-prod'],
      ['dr', 'SUCCEEDED', 1_500, 'sessions-prod'],
    ]);
    // The serverless target has no snapshot (the alarm would breach): not healthy, exit 1.
    expect(rowsOf(report, 'sessions-edge').snapshot).toEqual({ state: 'missing', ageSeconds: null, region: 'eu-west-1' });
    expect(report.healthy).toBe(false);
    expect(r.code).toBe(1);
  });

  it('exit 0 when everything is within its limit; the text names the limits, without colour off a terminal', async () => {
    healthy();
    const r = await runInProcess(['status', '-c', 'test/fixtures/config/status-one-target.json'], { clock });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('redis-dr example: primary eu-west-1, DR eu-central-1, at 2026-11-21T10:00:00.000Z');
    expect(r.stdout).toMatch(/sessions-prod +snapshot +eu-west-1 +59m +limit 3h 30m +ok/);
    expect(r.stdout).toMatch(/sessions-prod +verified DR copy +eu-central-1 +2h 59m +limit 5h 30m +ok/);
    expect(r.stdout).toContain(
      'last primary drill (eu-west-1): SUCCEEDED 2026-11-20T04:20:00.000Z, sessions-prod from rdr-sessions-prod-20261121-0400, RTO 12m (objective 45m)',
    );
    expect(r.stdout).toContain('All recovery points within their limits.');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('flags a late snapshot, an unverified DR copy and a failed drill (with its report from the history)', async () => {
    snapshot('rdr-sessions-prod-20261121-0200', '2026-11-21T02:00:30Z', { 'redis-dr:exported': '2026-11-21T02:30:00Z' });
    copy('rdr-sessions-prod-20261121-0200', '2026-11-21T02:00:30.000Z', null);
    drill(PRIMARY_SM, 'SUCCEEDED', '2026-11-19T04:20:00Z', { ok: true, rtoSeconds: 700, subject: 'PASSED' });
    drill(PRIMARY_SM, 'FAILED', '2026-11-20T04:20:00Z', { ok: false, subject: 'redis-dr drill FAILED: sessions (verify)' });

    const r = await run('--json');
    const report = JSON.parse(r.stdout) as StatusReport;

    expect(r.code).toBe(1);
    const rows = rowsOf(report, 'sessions-prod');
    expect(rows.snapshot).toEqual({ state: 'late', ageSeconds: 28_770, region: 'eu-west-1' });
    expect(rows['verified DR copy']!.state).toBe('missing');
    expect(report.rows.find((x) => x.what === 'verified DR copy' && x.target === 'sessions-prod')!.detail).toContain('not verified yet');
    expect(report.drills.find((d) => d.where === 'primary')).toMatchObject({
      status: 'FAILED',
      passed: false,
      summary: 'redis-dr drill FAILED: sessions (verify)',
    });
    const text = formatStatus(report);
    expect(text).toContain('last primary drill (eu-west-1): FAILED');
    expect(text).toContain('Attention needed');
  });

  it('a drill running now does not hide the verdict of the last finished one', async () => {
    healthy();
    drill(PRIMARY_SM, 'FAILED', '2026-11-21T04:20:00Z', { ok: false, subject: 'redis-dr drill FAILED: sessions (restore)' });
    aws.state.executions.push({
      executionArn: `${PRIMARY_SM.replace(':stateMachine:', ':execution:')}:now`,
      stateMachineArn: PRIMARY_SM,
      status: 'RUNNING',
      startDate: new Date('2026-11-21T09:55:00Z'),
      input: JSON.stringify({ deployment: 'example', plan: 'sessions' }),
      history: [],
    });
    const r = await runInProcess(['status', '-c', 'test/fixtures/config/status-one-target.json'], { clock });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /last primary drill \(eu-west-1\): FAILED 2026-11-21T04:20:00.000Z.*redis-dr drill FAILED: sessions \(restore\) \(another drill running since 2026-11-21T09:55:00.000Z\)/,
    );
  });

  it('finds the account through the DR region’s STS endpoint when the primary region does not answer', async () => {
    healthy();
    aws.sts.on(GetCallerIdentityCommand).callsFake(async (_input: unknown, getClient: () => STSClient) => {
      // The client's region decides which endpoint answers.
      const region = await getClient().config.region();
      if (region === 'eu-west-1') throw Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
      return { Account: ACCOUNT };
    });
    const r = await runInProcess(['status', '-c', 'test/fixtures/config/status-one-target.json', '--json'], { clock });
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as StatusReport).rows.length).toBeGreaterThan(0);
    expect(aws.sts.calls()).toHaveLength(2);
  });

  it('an AWS failure is an error row, not a crash (exit 1)', async () => {
    healthy();
    aws.ec
      .on(DescribeSnapshotsCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: elasticache:DescribeSnapshots'), { name: 'AccessDenied' }));
    const r = await run('--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as StatusReport;
    expect(rowsOf(report, 'sessions-prod').snapshot!.state).toBe('error');
    expect(report.rows.find((x) => x.target === 'sessions-prod' && x.what === 'snapshot')!.detail).toContain('not authorized');
    // The DR region was still measured.
    expect(rowsOf(report, 'sessions-prod')['verified DR copy']!.state).toBe('ok');
  });

  it('missing credentials are a usage error (exit 2)', async () => {
    healthy();
    aws.state.credentials = false;
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no AWS credentials found');
  });

  it('a bad config is exit 2 with every problem named', async () => {
    const r = await runInProcess(['status', '-c', 'test/fixtures/config/several-problems.json']);
    expect(r.code).toBe(2);
    // Every problem, one line each, before any AWS call.
    expect(r.stderr.split('\n').filter((l) => l.includes('several-problems.json: ')).length).toBe(9);
    expect(r.stderr).toContain('dr.region must differ from primary.region');
    expect(aws.sts.calls()).toHaveLength(0);
  });

  it('shows the DR bucket scrub: its newest record against the scrub-age alarm limit; none, or one too old, is not healthy', async () => {
    healthy();
    const one = ['status', '-c', 'test/fixtures/config/status-one-target.json'];
    const fine = await runInProcess(one, { clock });
    expect(fine.code).toBe(0);
    expect(fine.stdout).toContain(`scrub of ${DR_BUCKET} (eu-central-1): newest record scrub/redis-dr-scrub-20261121T030000000Z.json, 7h old, limit 2d 1h: ok`);
    const json = JSON.parse((await runInProcess([...one, '--json'], { clock })).stdout) as StatusReport;
    expect(json.scrub).toMatchObject({
      plan: 'scrub',
      target: DR_BUCKET,
      what: 'scrub record',
      region: 'eu-central-1',
      ageSeconds: 25_200,
      limitSeconds: 49 * 3600,
      state: 'ok',
    });

    // The scrub stopped: its newest record 50 h old.
    aws.state.objects.get(DR_BUCKET)!.delete('scrub/redis-dr-scrub-20261121T030000000Z.json');
    scrubRecord(aws.state, DR_BUCKET, '2026-11-19T08:00:00Z');
    const late = await runInProcess(one, { clock });
    expect(late.code).toBe(1);
    expect(late.stdout).toContain(
      `newest record scrub/redis-dr-scrub-20261119T080000000Z.json, 2d 2h old, limit 2d 1h: LATE (see docs/runbooks/corruption.md)`,
    );
    expect(late.stdout).toContain('Attention needed');

    // Never ran: no record at all.
    aws.state.objects.get(DR_BUCKET)!.delete('scrub/redis-dr-scrub-20261119T080000000Z.json');
    const none = await runInProcess(one, { clock });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain(
      `scrub of ${DR_BUCKET} (eu-central-1): no record measured, limit 2d 1h: MISSING - no scrub record under s3://${DR_BUCKET}/scrub/`,
    );
  });

  it('ages read like people speak', () => {
    expect([45, 35 * 60, 5.5 * 3600, 3 * 86_400 + 4 * 3600, 2 * 86_400].map(age)).toEqual(['45s', '35m', '5h 30m', '3d 4h', '2d']);
  });
});
