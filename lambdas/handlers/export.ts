/** Lambda entry point of the export reconciler: EventBridge Scheduler invokes it with an ExportRunInput. */
import { exportRunInputSchema } from '../domain/plans/plan-input.js';
import { runExportPlan } from '../jobs/dr-copies/export.js';
import { lambdaEntry, scheduledDeps } from './entry.js';

export const handler = lambdaEntry(exportRunInputSchema, (input) => runExportPlan(input, scheduledDeps()));
