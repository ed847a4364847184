/**
 * What the AWS commands of the CLI share: the config file, the account, SDK
 * clients per region, the dependencies the Lambda code expects, and how AWS
 * failures become messages and exit codes.
 *
 * Exit codes: a thrown {@link UsageError} (bad arguments, a bad config file,
 * no credentials) exits 2 with its message; {@link runAwsCommand} turns any
 * other failure into a message naming the command and exit 1.
 */
import { awsProblem, type OperatorAccess, type OperatorEnv } from '../lambdas/jobs/kernel/clients.js';
import { describeFailure, reportFailure } from './failure.js';
import { UsageError } from '../lambdas/jobs/kernel/usage-error.js';
import type { OperatorClients } from '../lambdas/jobs/kernel/clients.js';

export { findPlan, loadCliConfig } from './config-file.js';
/** An AWS failure in words, with the fix when there is a usual one (lambdas/jobs/kernel/clients.ts). */
export { awsProblem };
/** The operator's AWS clients (lambdas/jobs/kernel/clients.ts): the one factory every AWS command builds and hands to its job. */
export { OperatorClients as CliAws } from '../lambdas/jobs/kernel/clients.js';

/** What tests may replace when they drive the program in-process (the clock). */
export type CliEnv = OperatorEnv;
/** Credentials other than the workload account's that a command was given. */
export type CliAccess = OperatorAccess;

/**
 * Runs an AWS command's body once the credentials are known good, under the
 * one exit-code rule (cli/failure.ts): usage errors are rethrown (exit 2);
 * missing or expired credentials, another account's, or an AWS endpoint that
 * could not be reached are exit 2 with the endpoint and a fix, unless the
 * body had already changed something (it says so through `did`: then exit 1
 * and the message says what was done); anything else is exit 1. Under
 * --json a failure also prints `{ ok: false, error }` on stdout.
 */
export async function runAwsCommand(command: string, aws: OperatorClients, body: (did: (what: string) => void) => Promise<number>): Promise<void> {
  let done: string | undefined;
  try {
    await aws.checkCredentials();
    process.exitCode = await body((what) => {
      done = what;
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const problem = describeFailure(err, command, done);
    // An AWS error with a usual fix (access denied, an expired session) in its words; the code stays the rule's.
    const message = problem.code === 'failed' ? `${awsProblem(err)}${done === undefined ? '' : `; it did part of the job first: ${done}`}` : problem.message;
    reportFailure(command, { ...problem, message });
  }
}
