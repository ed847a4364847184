/**
 * Runs the CLI program in this process, so aws-sdk-client-mock answers its
 * AWS calls: stdout and stderr captured, the exit code returned, and
 * `process.exitCode` left as it was found.
 */
import { vi } from 'vitest';
import type { CliEnv } from '../../../cli/aws.js';
import { runProgram } from '../../../cli/program.js';

// The SDK warns once per process that Node 20 loses support in 2027: printed on a later tick, it lands in
// whichever run captures stderr then (timing), not in the run that caused it. The CLI's own output is what is tested:
// switched off for each run (the SDK reads it when a client is made), and put back after (the worker runs other files).
const NOTICE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runInProcess(args: readonly string[], env: CliEnv = {}): Promise<InProcessResult> {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) => (chunk: string | Uint8Array) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  };
  const so = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  const before = process.exitCode;
  process.exitCode = undefined;
  const noticeBefore = process.env[NOTICE];
  process.env[NOTICE] ??= 'true';
  try {
    const code = await runProgram(['node', 'redis-dr', ...args], env);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = before;
    if (noticeBefore === undefined) delete process.env[NOTICE];
  }
}

/** What test/cli/support/run-cli.ts's `cli` gives for a child: the exit code as `status`. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The program in this process with the result shaped as run-cli.ts's `cli` gives a child's, so a case about the words,
 * the files and the exit code moves into the worker with its assertions unchanged (a child cost about 0.3 CPU-s: node
 * and the command's modules loaded again). What only a child shows (the binary's start, signals, a file-size limit,
 * the process's own pid) stays in a child.
 */
export async function inWorker(...args: string[]): Promise<CliRun> {
  return inWorkerWithEnv({}, ...args);
}

/** {@link inWorker} with environment variables set for the run only ({@link withEnv}). */
export async function inWorkerWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  const r = await withEnv(env, () => runInProcess(args));
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `body` with `env` set in process.env, then puts every variable it named back as it was (or removes it). */
export async function withEnv<T>(env: NodeJS.ProcessEnv, body: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
