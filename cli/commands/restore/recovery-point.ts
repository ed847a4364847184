/**
 * The options and the result of a restore, as the command and its tests name
 * them: the restore job's (lambdas/jobs/drills/restore-point.ts).
 */
export type { RestoreOptions, RestoreResult } from '../../../lambdas/jobs/drills/restore-point.js';
