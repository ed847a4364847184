import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DRILL_PREFIX } from '../../../../lambdas/domain/drills/drill.js';
import { elastiCacheArn } from '../../elasticache-arns.js';
import { POLL_INTERVAL_SECONDS } from '../budget.js';
import { elastiCacheCall } from '../calls.js';
import { drillClusterArns } from '../permissions.js';
import { SFN_ERRORS } from '../retries.js';
import type { Cleanup } from './cleanup.js';
import { byKind, type DrillContext, timeStamp } from './context.js';

/** Cluster statuses that end a drill's wait with a failure. */
export const FAILED_STATUSES = ['create-failed', 'restore-failed', 'deleting', 'deleted'] as const;

/**
 * Waits for the drill cache, bounded: `created` (the chain after the
 * create) goes on to a describe every poll interval, at most `pollRounds`
 * of them (the time budget's), failing fast on a failed status. An
 * available cache goes on to `verify` (made when the wait needs it); a
 * failed one, one still not ready after the last round, or a describe
 * that failed for good goes to the cleanup.
 */
export function waitStep(ctx: DrillContext, created: sfn.Chain, verify: () => sfn.IChainable, after: Pick<Cleanup, 'cleanup' | 'failedStep'>): void {
  const { scope } = ctx;
  const wait = new sfn.Wait(scope, 'Wait for cluster', { time: sfn.WaitTime.duration(Duration.seconds(POLL_INTERVAL_SECONDS)) });
  created.next(wait);
  // A describe throttled, failing transiently or timing out: the status is unknown this round; the next round is the retry.
  const statusUnknown = new sfn.Pass(scope, 'Status unknown', {
    parameters: { status: 'unknown', 'error.$': '$.drill.group.Error' },
    resultPath: '$.drill.group',
  });
  const describe = elastiCacheCall(scope, 'Describe cluster', 'poll', {
    action: 'describeReplicationGroups',
    parameters: { 'ReplicationGroupId.$': '$.drill.choice.clusterId' },
    iamResources: drillClusterArns(scope),
    resultSelector: { 'status.$': '$.ReplicationGroups[0].Status', 'group.$': '$.ReplicationGroups[0]' },
    resultPath: '$.drill.group',
  });
  describe.addCatch(statusUnknown, { errors: [...SFN_ERRORS.transient, 'States.Timeout'], resultPath: '$.drill.group' });
  describe.addCatch(after.failedStep('Describe'), { resultPath: '$.drill.error' });
  // Serverless statuses: creating, available, modifying, create-failed, deleting (the same choice reads them).
  const describeServerless = () => {
    const task = elastiCacheCall(scope, 'Describe serverless cache', 'poll', {
      action: 'describeServerlessCaches',
      parameters: { 'ServerlessCacheName.$': '$.drill.choice.clusterId' },
      iamResources: [elastiCacheArn(scope, 'serverlesscache', `${DRILL_PREFIX}*`)],
      resultSelector: { 'status.$': '$.ServerlessCaches[0].Status', 'group.$': '$.ServerlessCaches[0]' },
      resultPath: '$.drill.group',
    });
    task.addCatch(statusUnknown, { errors: [...SFN_ERRORS.transient, 'States.Timeout'], resultPath: '$.drill.group' });
    task.addCatch(after.failedStep('Describe serverless'), { resultPath: '$.drill.error' });
    return task.next(isAvailable);
  };
  const countRound = new sfn.Pass(scope, 'Count round', {
    parameters: { 'rounds.$': 'States.MathAdd($.drill.poll.rounds, 1)' },
    resultPath: '$.drill.poll',
  });
  const restoreFailed = new sfn.Pass(scope, 'Restore failed', {
    parameters: { Error: 'RestoreFailed', 'Cause.$': "States.Format('The drill cluster ended in status {}', $.drill.group.status)" },
    resultPath: '$.drill.error',
  }).next(after.cleanup);
  const exhausted = new sfn.Pass(scope, 'Polling exhausted', {
    parameters: {
      Error: 'PollingExhausted',
      'Cause.$': `States.Format('The drill cluster was still {} after ${ctx.pollRounds} polls of ${POLL_INTERVAL_SECONDS} s', $.drill.group.status)`,
    },
    resultPath: '$.drill.error',
  }).next(after.cleanup);
  const isAvailable: sfn.Choice = new sfn.Choice(scope, 'Cluster available?')
    .when(sfn.Condition.stringEquals('$.drill.group.status', 'available'), timeStamp(ctx, 'available').next(verify()))
    .when(sfn.Condition.or(...FAILED_STATUSES.map((s) => sfn.Condition.stringEquals('$.drill.group.status', s))), restoreFailed)
    .when(sfn.Condition.numberGreaterThanEquals('$.drill.poll.rounds', ctx.pollRounds), exhausted)
    .otherwise(countRound);
  describe.next(isAvailable);
  statusUnknown.next(isAvailable);
  wait.next(byKind(ctx, 'Which describe?', describeServerless, describe));
  countRound.next(wait);
}
