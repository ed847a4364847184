import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * Maps a validated `lambda.logRetentionDays` to the CDK enum. The config
 * schema only admits CloudWatch's allowed values, so a miss is a bug.
 */
export function logRetentionOf(days: number): logs.RetentionDays {
  const match = Object.values(logs.RetentionDays).find((v) => v === days);
  if (match === undefined || typeof match !== 'number') {
    throw new Error(`lambda.logRetentionDays ${days} is not a CloudWatch Logs retention value`);
  }
  return match as logs.RetentionDays;
}

/**
 * The log group of a state machine, named under `/aws/vendedlogs/states/`.
 * Step Functions delivers logs through CloudWatch Logs' vended-logs path:
 * outside that prefix every log group gets a statement in the account's
 * single CloudWatch Logs resource policy, whose 5,120-character limit then
 * fails state machine creation in accounts with many log destinations.
 * Destroyed with the stack: a retained group of a fixed name would make the
 * retry of a failed first deploy fail on that name.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 */
export function stateMachineLogGroup(scope: Construct, id: string, stateMachineName: string, retention: logs.RetentionDays): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
    retention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
