/** Lambda entry point of the drill reaper: EventBridge Scheduler invokes it hourly per region. */
import { drillReaperInputSchema, reapDrillClusters } from '../jobs/drill-reaper.js';
import { lambdaEntry, scheduledDeps } from './entry.js';

export const handler = lambdaEntry(drillReaperInputSchema, (input) => reapDrillClusters(input, scheduledDeps()));
