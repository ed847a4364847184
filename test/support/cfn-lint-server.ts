import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';

/** Verdicts of clean templates kept between runs (by cfn-lint's version, its arguments and the template's bytes). */
const CACHE = join(tmpdir(), 'redis-dr-cfn-lint-cache');

/**
 * vitest globalSetup: one cfn-lint process for the whole run (test/support/cfn-lint-server.py), instead of a
 * `cfn-lint` command per test file that lints: each paid cfn-lint's start-up again (about 1.4 CPU-s), and each run
 * linted every template again (about 7 CPU-s a pair). It imports cfn-lint's rules only for a template without a kept
 * verdict, so a run that lints nothing new pays only Python's start. Stopped when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server: ChildProcess = spawn('python3', [join(__dirname, 'cfn-lint-server.py'), CACHE], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const exited = once(server, 'exit');
  // The first line is the port: it is printed once the server listens.
  const [line] = (await Promise.race([once(createInterface({ input: server.stdout! }), 'line'), exited.then(() => [undefined])])) as [string?];
  if (!line) throw new Error(`test/support/cfn-lint-server.py exited before listening (python3 is needed: npm run setup): ${stderr}`);
  project.provide('cfnLintUrl', `http://127.0.0.1:${line.trim()}/`);
  return async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
  };
}
