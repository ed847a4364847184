/** Lambda entry point of pruning: EventBridge Scheduler invokes it with a PruneRunInput. */
import { pruneRunInputSchema } from '../domain/plans/plan-input.js';
import { runPrunePlan } from '../jobs/scheduled/prune.js';
import { lambdaEntry, scheduledDeps } from './entry.js';

export const handler = lambdaEntry(pruneRunInputSchema, (input) => runPrunePlan(input, scheduledDeps()));
