/**
 * How a job ended, as the CLI maps it onto its one exit-code rule
 * (cli/exit-codes.ts exitCodeOf; docs/cli.md "Exit codes"). The job
 * decides; the CLI only maps and prints.
 */

/**
 * - `ok`: the job did all of it and found nothing wrong (exit 0);
 * - `failed`: it failed or found a problem, and says what it did (exit 1);
 * - `refused`: it refused before changing anything (a target that could
 *   evict, a database that is not there): nothing was done (exit 2, as a
 *   usage problem).
 */
export type JobOutcome = 'ok' | 'failed' | 'refused';
