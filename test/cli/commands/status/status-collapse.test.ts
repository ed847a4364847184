import { beforeEach, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../../../cli/commands/status/action.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT, fakeAws, reportHistory } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';

/** `status` shows keyspace collapses and the points they hold; an active one is not healthy. */
const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const DR_BUCKET = `redis-dr-example-${ACCOUNT}-eu-central-1`;
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' };
const COLLAPSED = 'rdr-sessions-prod-20261121-0900';
const HELD = 'rdr-sessions-prod-20261121-0700';
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

/** The healthy account of status.test.ts, with the 09:00 point's collapse mark `mark` and its hold on 07:00. */
function account(mark: string): void {
  snapshot(COLLAPSED, '2026-11-21T09:00:30Z', { 'redis-dr:collapsed': mark });
  snapshot(HELD, '2026-11-21T07:00:30Z', { 'redis-dr:exported': '2026-11-21T07:30:00Z', 'redis-dr:hold': `keyspace-collapsed:${COLLAPSED}` });
  aws.state.objects.set(
    DR_BUCKET,
    new Map([
      [
        `${HELD}-0001.rdb`,
        {
          'redis-dr:plan': 'sessions',
          'redis-dr:tier': 'held-hourly',
          'redis-dr:created': '2026-11-21T07:00:30.000Z',
          'redis-dr:shard': '0001/0001',
          'redis-dr:verified': 'ok',
          'redis-dr:rdb': 'v=11 keys=10 expires=0 string=10',
        },
      ],
    ]),
  );
  for (const [region, stop] of [
    ['primary', '2026-11-20T04:20:00Z'],
    ['dr', '2026-11-20T05:20:00Z'],
  ] as const) {
    const sm = `arn:aws:states:${region === 'primary' ? 'eu-west-1' : 'eu-central-1'}:${ACCOUNT}:stateMachine:redis-dr-example-${region}-drill`;
    const input = JSON.stringify({ deployment: 'example', plan: 'sessions' });
    const choice = { target: 'sessions-prod', recoveryPoint: HELD };
    const report = { ok: true, rtoSeconds: 750, subject: 'PASSED' };
    aws.state.executions.push({
      executionArn: `${sm.replace(':stateMachine:', ':execution:')}:run-${region}`,
      stateMachineArn: sm,
      status: 'SUCCEEDED',
      startDate: new Date(Date.parse(stop) - 900_000),
      stopDate: new Date(stop),
      input,
      output: JSON.stringify({ input: JSON.parse(input), drill: { choice, report } }),
      history: reportHistory(report, choice),
    });
  }
}

beforeEach(() => {
  aws.reset();
  clock = new FakeClock(NOW);
});

describe('status: keyspace collapses', () => {
  it('lists an active collapse with the points it holds and the release command, and is not healthy', async () => {
    account(`${COLLAPSED} holds 0 keys 100 pct fewer than 1000`);
    const r = await run();
    expect(r.stdout).toContain(
      `KEYSPACE COLLAPSED sessions-prod at ${COLLAPSED}, held: 1 point(s), newest ${HELD} - see docs/runbooks/keyspace-collapse.md; release: redis-dr retention release --target sessions-prod --point ${COLLAPSED}`,
    );
    expect(r.code).toBe(1);
    const json = JSON.parse((await run('--json')).stdout) as StatusReport;
    expect(json.collapses).toEqual([{ plan: 'sessions', target: 'sessions-prod', point: COLLAPSED, state: 'active', held: [HELD] }]);
    expect(json.healthy).toBe(false);
  });

  it('a collapse only the DR verifier marked (its mark object, no release record) is shown with the release command and is not healthy; released, it is gone (rev34)', async () => {
    account('ok');
    // The DR verifier's mark of the 09:00 point's DR copy; the primary judged the point good.
    aws.state.objects.get(DR_BUCKET)!.set(`redis-dr-verdicts/collapses/${COLLAPSED}.json`, {});
    const r = await run();
    expect(r.stdout).toContain(
      `KEYSPACE COLLAPSED sessions-prod at ${COLLAPSED}, judged on its DR copy (the DR verifier's mark; the primary shows no active collapse), its earlier DR copies held - see docs/runbooks/keyspace-collapse.md; release: redis-dr retention release --target sessions-prod --point ${COLLAPSED}`,
    );
    expect(r.code).toBe(1);
    const json = JSON.parse((await run('--json')).stdout) as StatusReport;
    expect(json.collapses).toEqual([{ plan: 'sessions', target: 'sessions-prod', point: COLLAPSED, state: 'active', held: [], where: 'dr' }]);
    expect(json.healthy).toBe(false);
    // retention release's record in the DR bucket ends it, as it ends the DR alarm's count.
    aws.state.objects.get(DR_BUCKET)!.set(`redis-dr-releases/${COLLAPSED}.released.json`, {});
    const after = JSON.parse((await run('--json')).stdout) as StatusReport;
    expect(after.collapses).toEqual([]);
    expect(after.healthy).toBe(after.rows.every((x) => x.state === 'ok') && after.problems.length === 0);
  });

  it('an active collapse marked on the primary and on its DR copy is shown once, as the primary shows it', async () => {
    account(`${COLLAPSED} holds 0 keys 100 pct fewer than 1000`);
    aws.state.objects.get(DR_BUCKET)!.set(`redis-dr-verdicts/collapses/${COLLAPSED}.json`, {});
    const json = JSON.parse((await run('--json')).stdout) as StatusReport;
    expect(json.collapses).toEqual([{ plan: 'sessions', target: 'sessions-prod', point: COLLAPSED, state: 'active', held: [HELD] }]);
  });

  it('a point judged late and found good (mark ok) is no collapse', async () => {
    account('ok');
    const json = JSON.parse((await run('--json')).stdout) as StatusReport;
    expect(json.collapses).toEqual([]);
  });

  it('a released collapse is shown for the record and does not make status unhealthy by itself', async () => {
    account(`released 2026-11-21T09:30:00.000Z ${COLLAPSED} holds 0 keys`);
    const json = JSON.parse((await run('--json')).stdout) as StatusReport;
    expect(json.collapses).toEqual([{ plan: 'sessions', target: 'sessions-prod', point: COLLAPSED, state: 'released', held: [HELD] }]);
    const others = json.rows.every((x) => x.state === 'ok') && json.problems.length === 0;
    expect(json.healthy).toBe(others);
    expect((await run()).stdout).toContain(`keyspace collapse (released) sessions-prod at ${COLLAPSED}, held: 1 point(s)`);
  });
});
