import { DescribeExecutionCommand, ExecutionDoesNotExist, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listSucceededDrills } from '../../../lambdas/adapters/drill-history';

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
      input: '{"plan":"sessions","deployment":"prod"}',
      output: '{"drill":{"choice":{"target":"rg-3"}}}',
    });
    expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 3);
    for (const call of sfn.commandCalls(ListExecutionsCommand)) {
      expect(call.args[0].input).toMatchObject({ stateMachineArn: ARN, statusFilter: 'SUCCEEDED' });
    }
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 5);
  });

  it('looks at the newest `limit` executions only, asking for no more than it still needs', async () => {
    history(10);
    const runs = await listSucceededDrills(client, ARN, { limit: 3, concurrency: 4 });

    expect(runs.map((r) => r.executionArn)).toEqual([0, 1, 2].map(execArn));
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.maxResults)).toEqual([3, 1]);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
  });

  it('leaves out an execution whose history expired between the listing and the describe', async () => {
    history(3);
    sfn
      .on(DescribeExecutionCommand, { executionArn: execArn(1) })
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
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
