/**
 * One exit-code rule and one error mapping for every command (docs/cli.md,
 * "Exit codes"): 0 ok; 1 the job failed or found a problem; 2 usage,
 * configuration, credentials or connection. A connection that could not be
 * made (DNS, refused, no answer, TLS, Redis or AWS credentials) is a 2 with a
 * message naming the host and a fix; once the command changed something, the
 * same error is a failed job (1) that says what it did first.
 *
 * Light on purpose: program.ts loads it at start (no SDK, no Redis client).
 */
import { connectionProblem } from '../lambdas/jobs/kernel/connection-problem.js';
import { FoundProblem } from '../lambdas/jobs/kernel/found-problem.js';
import { UsageError } from '../lambdas/jobs/kernel/usage-error.js';

export { connectionProblem };

/** The exit codes of every command: one source for the code and the help epilogue (cli/exit-codes.ts). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure as the CLI reports it: in words on stderr and, with --json, as `{ ok: false, error }` on stdout. */
export interface CliProblem {
  /** Stable, for scripts: usage, auth, dns, connection-refused, timeout, unreachable, tls, aws-credentials, failed. */
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  readonly exitCode: 1 | 2 | 3;
  /** The message already says the fix (a usage error's): stderr prints the message alone. */
  readonly fixInMessage?: boolean;
}

/** Whether this run was given --json (set by program.ts for every command): failures then print JSON on stdout too. */
let jsonRequested = false;

/** Sets whether failures of this run print `{ ok: false, error }` on stdout (program.ts, from the arguments). */
export function setJsonFailures(on: boolean): void {
  jsonRequested = on;
}

/** The `{ ok: false, error }` document `--json` prints on stdout when a command fails. */
export function failureJson(problem: CliProblem): string {
  const { code, message, fix } = problem;
  return `${JSON.stringify({ ok: false, error: { code, message, fix } }, null, 2)}\n`;
}

const text = (e: unknown): string => (e instanceof Error ? e.message : typeof e === 'string' ? e : '');

/** A failed job's report as `--json` gives its `error`, with the exit code under the one rule. */
export interface ReportedFailure {
  readonly error: { readonly code: string; readonly message: string; readonly fix: string };
  readonly exitCode: 1 | 2;
}

/**
 * A report's `error` as `--json` gives it (docs/cli.md, "`--json` on failure"): `{ code, message, fix }` as every
 * command's failure is, or null when the run has none (convert-rdb and migrate gave a bare string before).
 */
export function errorJson(message: string | undefined, fix: string, code = 'failed'): ReportedFailure['error'] | null {
  return message === undefined ? null : { code, message, fix };
}

/**
 * The failure a job wrote into its report (the jobs never throw: backup,
 * restore-aof), under the one rule: a connection that could not be made
 * while nothing was done yet is exit 2 naming the host; anything else is
 * the job failing (exit 1) with its own words and `fix`.
 */
export function reportedFailure(text: string, nothingDone: boolean, fix: string, code = 'failed', command = ''): ReportedFailure {
  const connection = nothingDone ? connectionProblem(text, command) : undefined;
  if (connection) return { error: { code: connection.code, message: connection.message, fix: connection.fix }, exitCode: EXIT.usage };
  return { error: { code, message: text, fix }, exitCode: EXIT.failed };
}

/**
 * Any error of a command as the CLI reports it. `partial` says what the
 * command had already done (changed) when it failed: then even a connection
 * problem is a failed job (exit 1), and the message says what was done.
 */
export function describeFailure(err: unknown, command: string, partial?: string): CliProblem {
  if (err instanceof UsageError)
    return {
      code: 'usage',
      message: err.message,
      fix: err.fix ?? `see \`redis-dr${command ? ` ${command}` : ''} --help\``,
      exitCode: EXIT.usage,
      fixInMessage: err.fix === undefined,
    };
  const connection = connectionProblem(err, command);
  if (connection && partial === undefined) return { ...connection, exitCode: EXIT.usage };
  const message = connection?.message ?? text(err) ?? String(err);
  return {
    code: connection?.code ?? 'failed',
    message: partial === undefined ? message || String(err) : `${message}; it did part of the job first: ${partial}`,
    fix: connection
      ? `${connection.fix}; then run it again`
      : partial === undefined
        ? 'the message names what failed: fix that and run the command again'
        : 'run it again once the cause is fixed: what was done stays done',
    // A recovery point the verifier cannot judge (a newer engine's format) is 3, as verify-rdb says it: not corrupt.
    exitCode: err instanceof FoundProblem ? err.exitCode : EXIT.failed,
    // A failure's own words are what there is to say (stderr); the generic fix is for --json readers.
    fixInMessage: !connection,
  };
}

/**
 * Prints a command's failure and sets the exit code; returns it. stderr gets
 * one line (journald and cron logs keep it whole): `redis-dr: <message>: <fix>`
 * for exit 2 (as every usage error), `redis-dr <command>: …` for a failed
 * job; with --json, stdout also gets `{ ok: false, error }`.
 */
export function reportFailure(command: string, problem: CliProblem, json = jsonRequested): number {
  const who = problem.exitCode === EXIT.usage || !command ? 'redis-dr' : `redis-dr ${command}`;
  process.stderr.write(`${who}: ${problem.message}${problem.fixInMessage ? '' : `: ${problem.fix}`}\n`);
  if (json) process.stdout.write(failureJson(problem));
  process.exitCode = problem.exitCode;
  return problem.exitCode;
}

/** {@link describeFailure} then {@link reportFailure}: the one way an action ends on an error it caught. */
export function failCommand(command: string, err: unknown, partial?: string): number {
  return reportFailure(command, describeFailure(err, command, partial));
}
