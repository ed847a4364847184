import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { FUNCTION_TIMEOUTS } from '../budget.js';
import { lambdaTask } from '../calls.js';
import { DRILL_RETRY, LAMBDA_SERVICE_ERRORS, retryProps } from '../retries.js';
import type { DrillContext } from './context.js';

/**
 * Chooses the recovery point (`$.drill.choice`): the newest snapshot
 * (primary) or verified copy set (DR) of the plan's target, and the drill
 * cluster's id and shape. A failure goes straight to `report`: nothing was
 * created yet.
 */
export function selectStep(ctx: DrillContext, report: sfn.IChainable): tasks.LambdaInvoke {
  const select = new tasks.LambdaInvoke(ctx.scope, 'Select recovery point', {
    lambdaFunction: ctx.select.function,
    payload: sfn.TaskInput.fromObject({ 'input.$': '$.input', 'startedAt.$': '$.startedAt' }),
    payloadResponseOnly: true,
    resultPath: '$.drill.choice',
    ...lambdaTask(FUNCTION_TIMEOUTS.select),
  });
  select.addRetry(retryProps(LAMBDA_SERVICE_ERRORS, DRILL_RETRY.lambda));
  // Nothing was created yet: straight to the report.
  select.addCatch(report, { resultPath: '$.drill.error' });
  return select;
}
