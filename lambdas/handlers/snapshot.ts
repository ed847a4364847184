/** Lambda entry point of snapshots: EventBridge Scheduler invokes it with a SnapshotRunInput. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SOCKET_BOUNDS } from '../adapters/aws/client-config.js';
import { lambdaProbe } from '../adapters/aws/probe-invoke.js';
import { snapshotRunInputSchema } from '../domain/plans/plan-input.js';
import { runSnapshotPlan } from '../jobs/scheduled/snapshot.js';
import { awsClient, lambdaEntry, scheduledDeps } from './entry.js';

// The probe runs while the invoke waits with nothing on the socket.
const lambda = awsClient(LambdaClient, SOCKET_BOUNDS.invokeIdleMs);

export const handler = lambdaEntry(snapshotRunInputSchema, (input) => {
  const probeFunction = process.env.PROBE_FUNCTION_NAME;
  return runSnapshotPlan(input, { ...scheduledDeps(), probe: probeFunction ? lambdaProbe(lambda, probeFunction) : undefined });
});
