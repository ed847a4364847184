import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { FUNCTION_TIMEOUTS } from '../budget.js';
import { lambdaTask } from '../calls.js';
import { DRILL_RETRY, LAMBDA_SERVICE_ERRORS, retryProps } from '../retries.js';
import type { DrillContext } from './context.js';

/*
 * Drills from the vault (plans with `drill.fromVault`) seed from a copy in
 * this account's DR bucket, never from the vault bucket (another account's):
 * seeding from a bucket of the cluster's own account is the route
 * ElastiCache documents. The seed-copy function copies the verified replica
 * versions the select step chose, reads the copies back, and the create step
 * seeds from them; the same function deletes them on every path after the
 * copy (the returned `end`, which every cleanup path passes on its way to the
 * report).
 */

/** The seed-copy function's payload for `action`. */
function payload(ctx: DrillContext, action: 'copy' | 'delete'): sfn.TaskInput {
  return sfn.TaskInput.fromObject({
    action,
    'execution.$': '$$.Execution.Name',
    // The DR bucket, as the schedule's input names it (lib/deployment.ts drillRunInput).
    'bucket.$': '$.input.vault.seedBucket',
    'vault.$': '$.drill.choice.vault',
    partition: Stack.of(ctx.scope).partition,
  });
}

/**
 * Before the report, on every path: the seed copies go when the drill chose a
 * vault replica (the delete is idempotent: a copy never made is 0 versions).
 * A delete that fails is reported as left behind (`seedCleanup.deleted:
 * false`), and the drill fails on it.
 */
export function seedCleanupStep(ctx: DrillContext, report: sfn.IChainable): sfn.IChainable {
  const { scope } = ctx;
  const fn = ctx.seedCopy;
  if (!fn) throw new Error('drills from the vault need the seed-copy function');
  const del = new tasks.LambdaInvoke(scope, 'Delete seed copy', {
    lambdaFunction: fn.function,
    payload: payload(ctx, 'delete'),
    payloadResponseOnly: true,
    resultPath: '$.drill.seedCleanup',
    ...lambdaTask(FUNCTION_TIMEOUTS.seedCopy),
  });
  del.addRetry(retryProps(LAMBDA_SERVICE_ERRORS, DRILL_RETRY.lambda));
  const left = new sfn.Pass(scope, 'Seed copy left behind', {
    parameters: { deleted: false, 'error.$': '$.drill.seedCleanup.Cause' },
    resultPath: '$.drill.seedCleanup',
  });
  del.addCatch(left, { resultPath: '$.drill.seedCleanup' });
  del.next(report);
  left.next(report);
  return new sfn.Choice(scope, 'Seeded from the vault?').when(sfn.Condition.isPresent('$.drill.choice.vault'), del).otherwise(report);
}

/**
 * The copy (`$.drill.seedCopy`), then the choice's `snapshotArns` pointed at
 * the copies; then `next`. A copy that fails goes to `end` (its partial
 * copies are deleted there).
 */
export function seedCopyStep(ctx: DrillContext, next: sfn.IChainable, end: sfn.IChainable): sfn.IChainable {
  const { scope } = ctx;
  const fn = ctx.seedCopy;
  if (!fn) throw new Error('drills from the vault need the seed-copy function');
  const copy = new tasks.LambdaInvoke(scope, 'Copy vault replica', {
    lambdaFunction: fn.function,
    payload: payload(ctx, 'copy'),
    payloadResponseOnly: true,
    resultPath: '$.drill.seedCopy',
    ...lambdaTask(FUNCTION_TIMEOUTS.seedCopy),
  });
  copy.addRetry(retryProps(LAMBDA_SERVICE_ERRORS, DRILL_RETRY.lambda));
  copy.addCatch(end, { resultPath: '$.drill.error' });
  // The create steps read the ARNs from the choice: the copies take the vault objects' place.
  const seedFromCopy = new sfn.Pass(scope, 'Seed from the copy', { inputPath: '$.drill.seedCopy.snapshotArns', resultPath: '$.drill.choice.snapshotArns' });
  copy.next(seedFromCopy).next(next);
  return new sfn.Choice(scope, 'From the vault?').when(sfn.Condition.isPresent('$.drill.choice.vault'), copy).otherwise(next);
}
