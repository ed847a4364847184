import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { PlanConfig } from '../config/index.js';

/** Props every per-plan scheduled capability (snapshot, prune, …) takes. */
export interface ScheduledCapabilityProps {
  /** Deployment name (config `name`); snapshots are tagged with it. */
  readonly deployment: string;
  /** Validated backup plans; one schedule each. */
  readonly plans: readonly PlanConfig[];
  /** Scheduler group of the deployment. */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** Dead-letter queue for undeliverable and failed invocations. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Log retention of the function. */
  readonly logRetention: logs.RetentionDays;
  /** Metrics namespace. */
  readonly metricsNamespace: string;
  /**
   * Function memory.
   * @default 512
   */
  readonly memorySizeMb?: number;
}
