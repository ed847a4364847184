import { App, Stack } from 'aws-cdk-lib';
import { beforeEach, describe, expect, it } from 'vitest';
import { elastiCacheCall } from '../../../../lib/constructs/restore-drill/calls.js';
import { DRILL_RETRY, type ElastiCacheCallKind, type RetryShape, retryProps } from '../../../../lib/constructs/restore-drill/retries.js';
import { stateMachineDefinition, useDrillsSynth } from '../../../support/state-machine.js';
import type { Synthesized } from '../../../support/synth.js';

/** A retrier as the definition renders it. */
interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
}

// The expected retriers, written out (not read from retries.ts): a changed error name, interval,
// backoff, cap or attempt count in retries.ts, or a task that loses or gains a retrier, fails here.
const TRANSIENT = { IntervalSeconds: 3, MaxAttempts: 3, BackoffRate: 2 };
const BUSY = { IntervalSeconds: 30, MaxAttempts: 6, BackoffRate: 1.5, MaxDelaySeconds: 240 };
const SETTLING = { IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 1.5 };
const throttled = (timeout: boolean): AslRetrier => ({
  ErrorEquals: ['ElastiCache.ElastiCacheException', ...(timeout ? ['States.Timeout'] : [])],
  ...TRANSIENT,
});
const ec = (...faults: string[]) => faults.flatMap((f) => [`ElastiCache.${f}Exception`, `ElastiCache.${f}Fault`]);
const LAMBDA: AslRetrier = {
  ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
  IntervalSeconds: 2,
  MaxAttempts: 1,
  BackoffRate: 2,
};
const createCluster = [throttled(false)];
const createServerless = [throttled(false), { ErrorEquals: ec('InvalidUserGroupState'), ...SETTLING }];

/** Every task of the drill and its retriers, in order (none: it is not retried). */
const EXPECTED: Record<string, AslRetrier[] | undefined> = {
  'Select recovery point': [LAMBDA],
  'Generate AUTH token': undefined,
  'Store AUTH token': undefined,
  'Create cluster': createCluster,
  'Create sharded cluster': createCluster,
  'Create cluster (RBAC)': createCluster,
  'Create sharded cluster (RBAC)': createCluster,
  'Create serverless cache': createServerless,
  'Create serverless cache (RBAC)': createServerless,
  'Create drill user': [throttled(false)],
  'Create drill user group': [throttled(false), { ErrorEquals: ec('InvalidUserState', 'DefaultUserAssociatedToUserGroup'), ...SETTLING }],
  // Polls retry nothing: the next round is the retry.
  'Describe cluster': undefined,
  'Describe serverless cache': undefined,
  // A second 15-minute verify would cost the budget another 15 minutes.
  'Verify data': undefined,
  // ListTagsForResource answers only for an available group or cache: one still creating is waited for, as the delete waits.
  'Check owner': [throttled(true), { ErrorEquals: ec('InvalidReplicationGroupState'), ...BUSY }],
  'Check serverless owner': [throttled(true), { ErrorEquals: ec('InvalidServerlessCacheState'), ...BUSY }],
  'Delete cluster': [throttled(true), { ErrorEquals: ec('InvalidReplicationGroupState'), ...BUSY }],
  'Delete serverless cache': [throttled(true), { ErrorEquals: ec('InvalidServerlessCacheState'), ...BUSY }],
  'Delete drill user group': [throttled(true), { ErrorEquals: ec('InvalidUserGroupState'), ...BUSY }],
  'Delete drill user': [throttled(true), { ErrorEquals: ec('InvalidUserState', 'DefaultUserAssociatedToUserGroup'), ...BUSY }],
  'Delete AUTH token': [
    {
      ErrorEquals: ['SecretsManager.SecretsManagerException', 'SecretsManager.ThrottlingException', 'SecretsManager.InternalServiceErrorException'],
      IntervalSeconds: 5,
      MaxAttempts: 5,
      BackoffRate: 2,
    },
  ],
  Report: [LAMBDA],
};

/** Seconds a retrier waits in all when every attempt fails (each wait capped at maxDelay). */
function worstCaseWait(shape: RetryShape): number {
  let total = 0;
  for (let i = 0; i < shape.maxAttempts; i++) total += Math.min(shape.interval * shape.backoffRate ** i, shape.maxDelay ?? Number.POSITIVE_INFINITY);
  return total;
}

/** The retriers a task with `props` renders. */
function rendered(kind: ElastiCacheCallKind, extra?: { errors: string[]; shape: RetryShape }): unknown {
  const stack = new Stack(new App(), 'Retries', { env: { region: 'eu-west-1', account: '111122223333' } });
  const task = elastiCacheCall(stack, 'Task', kind, { action: 'describeReplicationGroups', iamResources: ['*'] });
  if (extra) task.addRetry(retryProps(extra.errors, extra.shape));
  return stack.resolve(task.toStateJson()).Retry;
}

describe('restore drill retries (lib/constructs/restore-drill/retries.ts)', () => {
  it('keeps the documented shapes: 3 + 6 + 12 s for throttling, about 10 minutes while busy, about a minute while settling', () => {
    expect(DRILL_RETRY).toEqual({
      transient: { interval: 3, backoffRate: 2, maxAttempts: 3 },
      busy: { interval: 30, backoffRate: 1.5, maxAttempts: 6, maxDelay: 240 },
      settling: { interval: 5, backoffRate: 1.5, maxAttempts: 5 },
      lambda: { interval: 2, backoffRate: 2, maxAttempts: 1 },
      secretCleanup: { interval: 5, backoffRate: 2, maxAttempts: 5 },
    });
    expect(worstCaseWait(DRILL_RETRY.transient)).toBe(21);
    expect(worstCaseWait(DRILL_RETRY.busy) / 60).toBeCloseTo(10.4, 1);
    expect(worstCaseWait(DRILL_RETRY.settling)).toBeCloseTo(65.9, 1);
    expect(worstCaseWait(DRILL_RETRY.secretCleanup)).toBe(155);
  });

  it('gives an ElastiCache call the throttling retrier of its kind: reads and deletes also retry their timeout, creates do not, polls retry nothing', () => {
    expect(rendered('read')).toEqual([throttled(true)]);
    expect(rendered('delete')).toEqual([throttled(true)]);
    // A create that timed out may have made the group: the owner check decides, never a second create.
    expect(rendered('create')).toEqual([throttled(false)]);
    expect(rendered('poll')).toBeUndefined();
  });

  it('renders a shape as Step Functions reads it: MaxDelaySeconds only when the shape caps the wait, after the throttling retrier', () => {
    expect(rendered('delete', { errors: ['ElastiCache.InvalidReplicationGroupStateException'], shape: DRILL_RETRY.busy })).toEqual([
      throttled(true),
      { ErrorEquals: ['ElastiCache.InvalidReplicationGroupStateException'], ...BUSY },
    ]);
    expect(rendered('create', { errors: ['ElastiCache.InvalidUserGroupStateException'], shape: DRILL_RETRY.settling })).toEqual([
      throttled(false),
      { ErrorEquals: ['ElastiCache.InvalidUserGroupStateException'], ...SETTLING },
    ]);
  });

  describe('in the synthesized drills', () => {
    const current = useDrillsSynth();
    let synth: Synthesized;
    beforeEach(() => ({ synth } = current()));

    it.each(['primary', 'dr'] as const)('%s: every task has exactly its retriers, in order (and no task is missing from the table)', (which) => {
      const definition = stateMachineDefinition(synth[which]);
      const tasks = Object.fromEntries(
        Object.entries(definition.States)
          .filter(([, s]) => s.Type === 'Task')
          .map(([name, s]) => [name, s.Retry]),
      );
      expect(Object.keys(tasks).sort()).toEqual(Object.keys(EXPECTED).sort());
      for (const [name, retry] of Object.entries(tasks)) expect(retry, name).toEqual(EXPECTED[name]);
    });
  });
});
