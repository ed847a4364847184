import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { DRILL_TIMING } from './budget.js';
import { type ElastiCacheCallKind, elastiCacheTransientRetry } from './retries.js';

/** The timeout of every SDK call of the drill: one this slow fails as States.Timeout. */
function sdkTimeout(): sfn.Timeout {
  return sfn.Timeout.duration(Duration.seconds(DRILL_TIMING.sdkTimeoutSeconds));
}

/**
 * Every ElastiCache call of the drill: the SDK integration with its
 * timeout and the retries of its kind, in this one place.
 */
export function elastiCacheCall(
  scope: Construct,
  id: string,
  kind: ElastiCacheCallKind,
  props: Omit<tasks.CallAwsServiceProps, 'service' | 'taskTimeout'>,
): tasks.CallAwsService {
  const task = new tasks.CallAwsService(scope, id, { ...props, service: 'elasticache', taskTimeout: sdkTimeout() });
  const retry = elastiCacheTransientRetry(kind);
  if (retry) task.addRetry(retry);
  return task;
}

/** A Secrets Manager call of the drill (the AUTH token) with the SDK timeout; its retries are the caller's. */
export function secretsManagerCall(scope: Construct, id: string, props: Omit<tasks.CallAwsServiceProps, 'service' | 'taskTimeout'>): tasks.CallAwsService {
  return new tasks.CallAwsService(scope, id, { ...props, service: 'secretsmanager', taskTimeout: sdkTimeout() });
}

/** A Lambda task's timeout (the function's plus the invoke's) and its one retry of Lambda service faults. */
export function lambdaTask(timeout: Duration): { taskTimeout: sfn.Timeout; retryOnServiceExceptions: false } {
  return { taskTimeout: sfn.Timeout.duration(timeout.plus(Duration.seconds(DRILL_TIMING.lambdaSlackSeconds))), retryOnServiceExceptions: false };
}
