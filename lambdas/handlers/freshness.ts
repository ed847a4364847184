/** Lambda entry point of the freshness monitor: EventBridge Scheduler invokes it every 5 minutes. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { listSucceededDrills, stateMachineCreatedAt } from '../adapters/drill-history.js';
import { MAX_DRILL_EXECUTIONS } from '../domain/freshness.js';
import { freshnessInputSchema } from '../domain/plan-input.js';
import { runFreshness } from '../jobs/freshness.js';
import { awsClient, lambdaEntry, scheduledDeps } from './entry.js';

const sfn = awsClient(SFNClient);

export const handler = lambdaEntry(freshnessInputSchema, (input) => {
  const deps = scheduledDeps();
  return runFreshness(input, {
    ...deps,
    drillHistory: (arn, wrap) => listSucceededDrills(sfn, arn, { limit: MAX_DRILL_EXECUTIONS, concurrency: deps.concurrency, wrap }),
    protectionStart: (arn, wrap) => stateMachineCreatedAt(sfn, arn, wrap),
  });
});
