import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { FUNCTION_TIMEOUTS } from '../budget.js';
import { lambdaTask } from '../calls.js';
import type { Cleanup } from './cleanup.js';
import { type DrillContext, isServerless, timeStamp } from './context.js';

/**
 * The available drill cache's endpoint (`$.drill.endpoint`: the primary
 * endpoint, the configuration endpoint of a sharded cluster, or a
 * serverless cache's one endpoint), then the verify function checks the
 * data with a Redis client over TLS; then the cleanup, passed or failed.
 * Returns the endpoint choice.
 */
export function verifyStep(ctx: DrillContext, after: Pick<Cleanup, 'cleanup' | 'failedStep'>): sfn.Choice {
  const { scope } = ctx;
  const primaryEndpoint = new sfn.Pass(scope, 'Primary endpoint', {
    parameters: {
      'host.$': '$.drill.group.group.NodeGroups[0].PrimaryEndpoint.Address',
      'port.$': '$.drill.group.group.NodeGroups[0].PrimaryEndpoint.Port',
    },
    resultPath: '$.drill.endpoint',
  });
  const configurationEndpoint = new sfn.Pass(scope, 'Configuration endpoint', {
    parameters: {
      'host.$': '$.drill.group.group.ConfigurationEndpoint.Address',
      'port.$': '$.drill.group.group.ConfigurationEndpoint.Port',
    },
    resultPath: '$.drill.endpoint',
  });

  const verify = new tasks.LambdaInvoke(scope, 'Verify data', {
    lambdaFunction: ctx.verify.function,
    payload: sfn.TaskInput.fromObject({
      'host.$': '$.drill.endpoint.host',
      'port.$': '$.drill.endpoint.port',
      tls: true,
      'authSecretArn.$': '$.drill.credentials.arn',
      'clusterMode.$': '$.drill.choice.clusterMode',
      'expected.$': '$.drill.choice.expected',
      'checks.$': '$.input.checks',
    }),
    payloadResponseOnly: true,
    resultPath: '$.drill.verify',
    ...lambdaTask(FUNCTION_TIMEOUTS.verify),
  });
  // No retry: a second attempt counts in the budget as another 15 minutes, half the restore's time under maxHours 1.
  verify.addCatch(after.failedStep('Verify'), { resultPath: '$.drill.error' });
  verify.next(timeStamp(ctx, 'verified')).next(after.cleanup);

  const whichEndpoint = new sfn.Choice(scope, 'Which endpoint?');
  if (ctx.serverless) {
    // A serverless cache has one endpoint; it speaks the cluster protocol (CLUSTER SLOTS names it for every slot).
    const serverlessEndpoint = new sfn.Pass(scope, 'Serverless endpoint', {
      parameters: { 'host.$': '$.drill.group.group.Endpoint.Address', 'port.$': '$.drill.group.group.Endpoint.Port' },
      resultPath: '$.drill.endpoint',
    });
    whichEndpoint.when(isServerless(), serverlessEndpoint.next(verify));
  }
  whichEndpoint
    .when(sfn.Condition.stringEquals('$.drill.choice.clusterMode', 'enabled'), configurationEndpoint.next(verify))
    .otherwise(primaryEndpoint.next(verify));
  return whichEndpoint;
}
