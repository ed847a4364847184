/**
 * The storage a destination option names: the self-managed jobs' one factory
 * (lambdas/jobs/self-managed/clients.ts), which the commands call with their
 * option's name so a bad value is a usage error naming it.
 */
export { openBackupStore, openDestination, type StoreMaker } from '../lambdas/jobs/self-managed/clients.js';
