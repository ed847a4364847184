/** Lambda entry point of the drill's first task: choose the recovery point. */
import { drillSelectEventSchema, selectRecoveryPoint } from '../jobs/drills/drill-select.js';
import { lambdaEntry, scheduledDeps } from './entry.js';

export const handler = lambdaEntry(drillSelectEventSchema, (event) => selectRecoveryPoint(event, scheduledDeps()));
