/** Lambda entry point of the drill reaper: EventBridge Scheduler invokes it hourly per region. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { drillReaperInputSchema, reapDrillClusters } from '../jobs/drills/drill-reaper.js';
import { awsClient, lambdaEntry, scheduledDeps } from './entry.js';

const secrets = awsClient(SecretsManagerClient);

export const handler = lambdaEntry(drillReaperInputSchema, (input) => reapDrillClusters(input, { ...scheduledDeps(), secrets }));
