/**
 * `verify-copy --unproven`'s default, apart from its job (verify-unproven.ts) so the CLI's option
 * definitions load without the job's AWS SDK clients (test/cli/program.test.ts holds the start-up light).
 */

/** Verifications running at once by default: each is a Lambda of the verifier reading a whole copy. */
export const UNPROVEN_CONCURRENCY = 4;
