/**
 * A usage problem (bad arguments, an unreadable or invalid file, no AWS
 * credentials): the CLI prints its message and exits 2 (cli/failure.ts). The
 * class is the jobs' (lambdas/jobs/usage-error.ts), so a job that refuses its
 * input raises the same error a command's option parsing does.
 */
export { UsageError } from '../lambdas/jobs/usage-error.js';
