import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** What every monitoring function shares, from its construct's props. */
export interface MonitoringFunctionProps {
  readonly deadLetterQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /** @default 512 */
  readonly memorySizeMb?: number;
}

/**
 * House-function settings of the monitoring functions: failures to the DLQ,
 * no async retries, and events older than 10 minutes dropped (the next
 * measurement or alarm state supersedes them).
 */
export function monitoringFunctionSettings(props: MonitoringFunctionProps) {
  return {
    onFailureQueue: props.deadLetterQueue,
    logRetention: props.logRetention,
    metricsNamespace: props.metricsNamespace,
    memorySizeMb: props.memorySizeMb,
    asyncRetryAttempts: 0,
    maxEventAge: Duration.minutes(10),
  };
}
