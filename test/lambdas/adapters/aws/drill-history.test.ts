import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StateMachineDoesNotExist,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  currentState,
  drillReportFromHistory,
  drillReportOf,
  listDrillExecutions,
  listSucceededDrills,
  stateMachineCreatedAt,
} from '../../../../lambdas/adapters/aws/drill-history.js';

const sfn = mockClient(SFNClient);
const client = new SFNClient({ region: 'eu-west-1' });
const ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:redis-dr-primary-drill';
const execArn = (i: number) => `arn:aws:states:eu-west-1:111122223333:execution:redis-dr-primary-drill:run-${i}`;
const stop = (i: number) => new Date(Date.UTC(2026, 10, 21, 9 - i, 0, 0));

/** `count` succeeded executions, newest first, two per ListExecutions page. */
function history(count: number): void {
  sfn.on(ListExecutionsCommand).callsFake((i: { nextToken?: string; maxResults?: number }) => {
    const start = Number(i.nextToken ?? 0);
    const end = Math.min(count, start + Math.min(2, i.maxResults ?? 2));
    const executions = Array.from({ length: end - start }, (_, k) => ({
      executionArn: execArn(start + k),
      stateMachineArn: ARN,
      name: `run-${start + k}`,
      status: 'SUCCEEDED' as const,
      startDate: stop(start + k),
      stopDate: stop(start + k),
    }));
    return { executions, nextToken: end < count ? String(end) : undefined };
  });
  sfn.on(DescribeExecutionCommand).callsFake((i: { executionArn: string }) => {
    const n = Number(/run-(\d+)$/.exec(i.executionArn)![1]);
    return {
      executionArn: i.executionArn,
      stateMachineArn: ARN,
      status: 'SUCCEEDED',
      startDate: stop(n),
      stopDate: stop(n),
      input: JSON.stringify({ plan: 'sessions', deployment: 'prod' }),
      output: JSON.stringify({ drill: { choice: { target: `rg-${n}` } } }),
    };
  });
}

beforeEach(() => {
  sfn.reset();
});

describe('listSucceededDrills', () => {
  it('follows ListExecutions pages (SUCCEEDED only) and describes each execution', async () => {
    history(5);
    const runs = await listSucceededDrills(client, ARN, { limit: 50, concurrency: 2 });

    expect(runs.map((r) => r.executionArn)).toEqual([0, 1, 2, 3, 4].map(execArn));
    expect(runs[3]).toEqual({
      executionArn: execArn(3),
      stopDate: stop(3),
      startDate: stop(3),
      status: 'SUCCEEDED',
      input: '{"plan":"sessions","deployment":"prod"}',
      output: '{"drill":{"choice":{"target":"rg-3"}}}',
    });
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 3);
    for (const call of sfn.commandCalls(ListExecutionsCommand)) {
      expect(call.args[0].input).toMatchObject({ stateMachineArn: ARN, statusFilter: 'SUCCEEDED' });
    }
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 5);
  });

  it('looks at the newest `limit` executions only', async () => {
    history(10);
    const runs = await listSucceededDrills(client, ARN, { limit: 3, concurrency: 4 });

    expect(runs.map((r) => r.executionArn)).toEqual([0, 1, 2].map(execArn));
    // The same page size on every page (the API's rule for nextToken); items beyond the limit are dropped.
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.maxResults)).toEqual([3, 3]);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
  });

  it('with a period: describes only the executions started in it, and stops paging at the first one started before it', async () => {
    // Started 09:00, 08:00, … 00:00, two per page; the period 06:30 to 08:30 holds run-1 and run-2.
    history(10);
    const runs = await listDrillExecutions(client, ARN, {
      limit: 200,
      concurrency: 2,
      startedIn: { since: new Date(Date.UTC(2026, 10, 21, 6, 30)), until: new Date(Date.UTC(2026, 10, 21, 8, 30)) },
    });

    expect(runs.map((r) => r.executionArn)).toEqual([execArn(1), execArn(2)]);
    const described = sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn);
    expect(described.sort()).toEqual([execArn(1), execArn(2)]);
    // Page 2 (run-2, run-3) reached run-3, started 06:00: no page after it is asked for.
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 2);
  });

  it('leaves out an execution whose history expired between the listing and the describe', async () => {
    history(3);
    sfn.on(DescribeExecutionCommand, { executionArn: execArn(1) }).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    const runs = await listSucceededDrills(client, ARN, { limit: 50, concurrency: 1 });
    expect(runs.map((r) => r.executionArn)).toEqual([execArn(0), execArn(2)]);
  });

  it('passes every call through the wrapper (the run retries a throttled page alone)', async () => {
    history(3);
    let calls = 0;
    await listSucceededDrills(client, ARN, {
      limit: 50,
      concurrency: 1,
      wrap: (call) => {
        calls++;
        return call();
      },
    });
    expect(calls).toBe(2 + 3);
  });

  it('propagates other errors', async () => {
    history(1);
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(listSucceededDrills(client, ARN, { limit: 50, concurrency: 1 })).rejects.toThrow('denied');
  });
});

describe('drillReportFromHistory and currentState', () => {
  const EXEC = execArn(7);
  const event = (id: number, type: string, details: Record<string, unknown>): HistoryEvent => ({
    id,
    timestamp: new Date(0),
    type: type as HistoryEvent['type'],
    ...details,
  });

  it('reads the Report state’s output from the newest history page that has it (a failed drill has no execution output)', async () => {
    const report = { ok: false, subject: 'redis-dr drill FAILED', body: 'what failed' };
    const pages: Record<string, { events: HistoryEvent[]; nextToken?: string }> = {
      first: {
        events: [event(9, 'ExecutionFailed', {}), event(8, 'FailStateEntered', { stateEnteredEventDetails: { name: 'Drill failed' } })],
        nextToken: 'p2',
      },
      p2: {
        events: [
          event(7, 'TaskStateExited', {
            stateExitedEventDetails: { name: 'Report', output: JSON.stringify({ drill: { report, choice: { target: 'rg-1' } } }) },
          }),
        ],
      },
    };
    sfn.on(GetExecutionHistoryCommand).callsFake((i: { nextToken?: string; reverseOrder?: boolean }) => {
      expect(i.reverseOrder).toBe(true);
      return pages[i.nextToken ?? 'first'];
    });
    expect(await drillReportFromHistory(client, EXEC)).toEqual({ report, choice: { target: 'rg-1' } });
  });

  it('is empty when the drill never reached its report, or the output is not JSON', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [event(2, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'Verify' } })] });
    expect(await drillReportFromHistory(client, EXEC)).toEqual({});
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [event(2, 'TaskStateExited', { stateExitedEventDetails: { name: 'Report', output: 'not json' } })] });
    expect(await drillReportFromHistory(client, EXEC)).toEqual({});
  });

  it('drillReportOf: a succeeded execution’s output without a history call; a running one is empty; a failed one from the history', async () => {
    const report = { ok: true, subject: 'PASSED' };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [event(3, 'TaskStateExited', { stateExitedEventDetails: { name: 'Report', output: JSON.stringify({ drill: { report: { ok: false } } }) } })],
    });
    const output = JSON.stringify({ drill: { report, choice: { target: 'rg-1' } } });
    expect(await drillReportOf(client, { executionArn: EXEC, status: 'SUCCEEDED', output })).toEqual({ report, choice: { target: 'rg-1' } });
    expect(await drillReportOf(client, { executionArn: EXEC, status: 'RUNNING' })).toEqual({});
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
    expect(await drillReportOf(client, { executionArn: EXEC, status: 'FAILED' })).toEqual({ report: { ok: false } });
  });

  it('currentState is the newest entered state', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        event(5, 'TaskScheduled', {}),
        event(4, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'Wait for cluster' } }),
        event(2, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'Select recovery point' } }),
      ],
    });
    expect(await currentState(client, EXEC)).toBe('Wait for cluster');
  });
});

describe('listDrillExecutions', () => {
  it('lists every status when none is given, with running executions (no stop date) kept', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: execArn(0), stateMachineArn: ARN, name: 'run-0', status: 'RUNNING', startDate: stop(0) },
        { executionArn: execArn(1), stateMachineArn: ARN, name: 'run-1', status: 'FAILED', startDate: stop(1), stopDate: stop(1) },
      ],
    });
    sfn.on(DescribeExecutionCommand).callsFake((i: { executionArn: string }) => ({
      executionArn: i.executionArn,
      stateMachineArn: ARN,
      status: i.executionArn === execArn(0) ? 'RUNNING' : 'FAILED',
      startDate: stop(0),
      ...(i.executionArn === execArn(1) ? { stopDate: stop(1), error: 'DrillFailed', cause: 'see the report' } : {}),
      input: '{}',
    }));
    const runs = await listDrillExecutions(client, ARN, { limit: 10, concurrency: 2 });
    expect(runs.map((r) => [r.status, r.stopDate !== undefined, r.error])).toEqual([
      ['RUNNING', false, undefined],
      ['FAILED', true, 'DrillFailed'],
    ]);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]!.args[0].input.statusFilter).toBeUndefined();
  });
});

describe('stateMachineCreatedAt', () => {
  beforeEach(() => sfn.reset());
  const described = { stateMachineArn: ARN, name: 'redis-dr-primary-drill', definition: '{}', roleArn: 'r', type: 'STANDARD' as const };

  it("is DescribeStateMachine's creationDate, each call through the wrapper", async () => {
    const created = new Date('2026-11-20T08:00:00Z');
    sfn.on(DescribeStateMachineCommand, { stateMachineArn: ARN }).resolves({ ...described, creationDate: created });
    let wrapped = 0;
    const at = await stateMachineCreatedAt(client, ARN, (call) => {
      wrapped += 1;
      return call();
    });
    expect(at).toEqual(created);
    expect(wrapped).toBe(1);
  });

  it('is undefined for a state machine that does not exist, and throws any other error', async () => {
    sfn
      .on(DescribeStateMachineCommand)
      .rejectsOnce(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    expect(await stateMachineCreatedAt(client, ARN)).toBeUndefined();
    await expect(stateMachineCreatedAt(client, ARN)).rejects.toThrow('not allowed');
  });

  it('throws when the answer has no creationDate (never a made-up start)', async () => {
    sfn.on(DescribeStateMachineCommand).resolves({ ...described, creationDate: undefined as unknown as Date });
    await expect(stateMachineCreatedAt(client, ARN)).rejects.toThrow(/returned no creationDate/);
  });
});
