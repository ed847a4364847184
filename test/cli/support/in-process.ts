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

/**
 * {@link runInProcess} with environment variables set for the run only (`''` sets a variable empty, as a child's
 * environment would have it), put back after: the CLI and the AWS SDK read their settings from process.env. One run at
 * a time, never in tests of a `describe.concurrent`.
 */
export function runInProcessWithEnv(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<InProcessResult> {
  return withEnv(env, () => runInProcess(args));
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
