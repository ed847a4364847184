import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { FUNCTION_TIMEOUTS } from '../budget.js';
import { lambdaTask } from '../calls.js';
import { DRILL_RETRY, LAMBDA_SERVICE_ERRORS, retryProps } from '../retries.js';
import type { DrillContext } from './context.js';

/**
 * The report and the drill's end: the report function (SNS summary, RTO
 * metrics) reads the whole document, then the execution passes or fails
 * by its verdict; a report that cannot be sent fails it too. Every path of
 * the drill ends at the returned task.
 */
export function reportStep(ctx: DrillContext): tasks.LambdaInvoke {
  const { scope } = ctx;
  const report = new tasks.LambdaInvoke(scope, 'Report', {
    lambdaFunction: ctx.report.function,
    payload: sfn.TaskInput.fromObject({
      'input.$': '$.input',
      'choice.$': '$.drill.choice',
      'verify.$': '$.drill.verify',
      'error.$': '$.drill.error',
      timings: {
        'startedAt.$': '$.startedAt',
        'createdAt.$': '$.drill.timings.created.at',
        'availableAt.$': '$.drill.timings.available.at',
        'verifiedAt.$': '$.drill.timings.verified.at',
        'deletedAt.$': '$.drill.timings.deleted.at',
      },
      'cleanup.$': '$.drill.cleanup',
      access: { 'userGroup.$': '$.drill.userGroupCleanup', 'user.$': '$.drill.userCleanup' },
      // The AUTH token secret's delete: null when none was stored (RBAC, or the store failed).
      'secretCleanup.$': '$.drill.secretCleanup',
      region: ctx.region,
      // Named in the drill's signed record (docs/attest.md).
      'execution.$': '$$.Execution.Id',
      ...(ctx.props.vault ? { 'seedCleanup.$': '$.drill.seedCleanup' } : {}),
    }),
    payloadResponseOnly: true,
    resultPath: '$.drill.report',
    ...lambdaTask(FUNCTION_TIMEOUTS.report),
  });
  report.addRetry(retryProps(LAMBDA_SERVICE_ERRORS, DRILL_RETRY.lambda));
  const passed = new sfn.Succeed(scope, 'Drill passed');
  const failed = new sfn.Fail(scope, 'Drill failed', { error: 'DrillFailed', cause: 'The drill report (SNS) says which step or check failed.' });
  const reportFailed = new sfn.Fail(scope, 'Report failed', {
    error: 'DrillReportFailed',
    cause: 'The drill ran, but its report could not be sent or its signed record not stored; see the execution history.',
  });
  report.addCatch(reportFailed, { resultPath: '$.drill.reportError' });
  report.next(new sfn.Choice(scope, 'Passed?').when(sfn.Condition.booleanEquals('$.drill.report.ok', true), passed).otherwise(failed));
  return report;
}
