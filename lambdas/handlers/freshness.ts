/** Lambda entry point of the freshness monitor: EventBridge Scheduler invokes it every 5 minutes. */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { listSucceededDrills, stateMachineCreatedAt } from '../adapters/aws/drill-history.js';
import { schedulerCreatedAt } from '../adapters/aws/scheduler.js';
import { MAX_DRILL_EXECUTIONS } from '../domain/points/freshness.js';
import { freshnessInputSchema } from '../domain/plans/plan-input.js';
import { runFreshness } from '../jobs/scheduled/freshness.js';
import { awsClient, lambdaEntry, scheduledDeps } from './entry.js';

const sfn = awsClient(SFNClient);
const scheduler = awsClient(SchedulerClient);

export const handler = lambdaEntry(freshnessInputSchema, (input) => {
  const deps = scheduledDeps();
  return runFreshness(input, {
    ...deps,
    drillHistory: (arn, wrap) => listSucceededDrills(sfn, arn, { limit: MAX_DRILL_EXECUTIONS, concurrency: deps.concurrency, wrap }),
    // Protection starts with the schedule group (snapshots), the scrub's schedule, or the state machine that makes the points (copies, drills).
    protectionStart: (arn, wrap) => (arn.includes(':scheduler:') ? schedulerCreatedAt(scheduler, arn, wrap) : stateMachineCreatedAt(sfn, arn, wrap)),
  });
});
