import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../../cli/commands/drill/action.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT, CALLER_ARN, fakeAws, reportHistory } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';

const CONFIG = 'test/fixtures/config/drills.json';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const PRIMARY_SM = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:redis-dr-example-primary-drill`;
const DR_SM = `arn:aws:states:eu-central-1:${ACCOUNT}:stateMachine:redis-dr-example-dr-drill`;
const aws = fakeAws();
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['drill', 'run', '-c', CONFIG, ...args], { clock });

const PASSED = { ok: true, subject: 'redis-dr drill PASSED: sessions', body: 'Drill passed.\nRTO 12m 30s (objective 45m)', rtoSeconds: 750 };
const FAILED = { ok: false, subject: 'redis-dr drill FAILED: sessions', body: 'Drill failed.\nWhat failed:\n  - verify: canary missing' };

/** The next execution StartExecution creates answers DescribeExecution with these in turn. */
function nextExecution(next: NonNullable<Parameters<typeof aws.state.executions.push>[0]['next']>, history = reportHistory(PASSED, null)): void {
  aws.state.executions.push({ executionArn: 'next', stateMachineArn: '', status: 'RUNNING', startDate: new Date(NOW), input: '', history, next });
}

beforeEach(() => {
  aws.install();
  aws.state.executions = [];
  aws.state.started = [];
  aws.state.stateMachines = new Set([PRIMARY_SM, DR_SM]);
  clock = new FakeClock(NOW);
});

describe('drill run', () => {
  it('starts the primary drill with the input its schedule sends plus who started it, and exits 0 without --wait', async () => {
    const r = await run('--plan', 'sessions', '--json');
    expect(r.code).toBe(0);
    expect(aws.state.started).toEqual([
      {
        stateMachineArn: PRIMARY_SM,
        name: 'cli-sessions-20261121T100000Z',
        input: {
          deployment: 'example',
          plan: 'sessions',
          where: 'primary',
          targets: { replicationGroupIds: ['sessions-prod'], serverlessCacheNames: ['sessions-edge'], selectByTags: {} },
          rtoMinutes: 45,
          checks: { keyCountTolerancePct: 1, expectKeys: ['config:feature-flags'], expectValues: { 'config:schema-version': '42' }, sampleSize: 50 },
          // A manual drill names who started it (STS GetCallerIdentity): the report tells it apart from the scheduled ones.
          startedBy: CALLER_ARN,
        },
      },
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({ stateMachineArn: PRIMARY_SM, status: 'RUNNING', report: null });
  });

  it('--where dr drills in the DR region from the DR bucket', async () => {
    const r = await run('--plan', 'sessions', '--where', 'dr');
    expect(r.code).toBe(0);
    expect(aws.state.started[0]).toMatchObject({
      stateMachineArn: DR_SM,
      input: { where: 'dr', bucket: `redis-dr-example-${ACCOUNT}-eu-central-1`, minTier: 'hourly' },
    });
    expect(r.stdout).toContain('drill of plan sessions (dr, eu-central-1): RUNNING');
  });

  it('--wait follows the execution step by step and prints the report of a passed drill (exit 0)', async () => {
    nextExecution([{ status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'SUCCEEDED', output: JSON.stringify({ drill: { report: PASSED } }) }]);
    const r = await run('--plan', 'sessions', '--wait', '--poll-seconds', '20');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('drill of plan sessions (primary, eu-west-1): SUCCEEDED');
    expect(r.stdout).toContain('RTO 12m 30s (objective 45m)');
    expect(clock.sleeps).toEqual([20_000, 20_000]);
    // While it ran, the current step was read from the history each round.
    expect(aws.sfn.commandCalls(GetExecutionHistoryCommand).filter((c) => c.args[0].input.maxResults === 20)).toHaveLength(2);
  });

  it('--wait reads a failed drill’s report from the execution history and exits 1', async () => {
    nextExecution(
      [{ status: 'FAILED', error: 'DrillFailed', cause: 'The drill report (SNS) says which step or check failed.' }],
      reportHistory(FAILED, { target: 'sessions-prod' }, ['Select recovery point', 'Verify']),
    );
    const r = await run('--plan', 'sessions', '--wait', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'FAILED', error: 'DrillFailed', report: { ok: false, body: FAILED.body } });
  });

  it('a timed-out execution without a report exits 1 with the error and the runbook', async () => {
    nextExecution([{ status: 'TIMED_OUT', error: 'States.Timeout' }], []);
    const r = await run('--plan', 'sessions', '--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error: States.Timeout');
    expect(r.stdout).toContain('docs/runbooks/restore-drill.md');
  });

  it('refuses to start while a drill of the same plan runs (exit 1, naming it); another plan’s running drill does not block', async () => {
    const running = (plan: string, n: number) => ({
      executionArn: `${PRIMARY_SM.replace(':stateMachine:', ':execution:')}:sched-${n}`,
      stateMachineArn: PRIMARY_SM,
      status: 'RUNNING',
      startDate: new Date(NOW - 600_000),
      input: JSON.stringify({ deployment: 'example', plan }),
      history: [],
    });
    aws.state.executions.push(running('queues', 1));
    const other = await run('--plan', 'sessions');
    expect(other.code).toBe(0);

    aws.state.executions.push(running('sessions', 2));
    const r = await run('--plan', 'sessions');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`a primary drill of plan sessions is running already (${running('sessions', 2).executionArn}, since 2026-11-21T09:50:00.000Z)`);
    expect(aws.state.started).toHaveLength(1);
  });

  it('says the execution ARN on stderr as soon as it started (a failed wait still leaves it)', async () => {
    nextExecution([{ status: 'SUCCEEDED', output: JSON.stringify({ drill: { report: PASSED } }) }]);
    const r = await run('--plan', 'sessions', '--wait');
    expect(r.stderr).toContain(`redis-dr drill run: started ${PRIMARY_SM.replace(':stateMachine:', ':execution:')}:cli-sessions-20261121T100000Z`);
  });

  it('a state machine that is not deployed is exit 1 naming the deploy step', async () => {
    aws.state.stateMachines.clear();
    const r = await run('--plan', 'sessions');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no drill state machine ${PRIMARY_SM}: deploy the stacks`);
  });

  it.each([
    [['--plan', 'nope'], '--plan nope: no such plan in this config; plans: sessions, queues'],
    [['--plan', 'queues'], 'plan queues has no primary drill (drill.enabled is false)'],
    [['--plan', 'sessions', '--where', 'moon'], "argument 'moon' is invalid"],
    [[], "required option '--plan <name>' not specified"],
  ])('usage error %j exits 2 and starts nothing', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(aws.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('execution names are unique per second and within Step Functions’ limits', () => {
    expect(executionName('sessions', new Date('2026-11-21T10:00:00.123Z'))).toBe('cli-sessions-20261121T100000Z');
    expect(executionName('a'.repeat(100), new Date(NOW))).toHaveLength(80);
  });
});
