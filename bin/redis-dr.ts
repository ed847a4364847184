/**
 * The operator CLI: `redis-dr <command>`. Exit codes (cli/failure.ts, one
 * rule for every command): 0 ok, 1 the job failed or found a problem (a
 * corrupt RDB, a late backup, a failed restore), 2 usage, configuration,
 * credentials or a connection that could not be made.
 */
import { setCommandV8Flags } from '../lambdas/adapters/host/command-v8-flags.js';
import { startSplitWorkerStandby } from '../lambdas/adapters/host/split-worker-start.js';

// First, before the CLI's modules load: the V8 flags a command sets for its own process (convert-rdb's smaller
// inlining budget; none for the others: lambdas/adapters/host/command-v8-flags.ts).
setCommandV8Flags(process.argv[2]);

// `verify-rdb` of a large local file parses its second part on a second thread: that thread and its modules load
// now, beside this thread's loading of the CLI (imported below, not statically, so that it loads after this line),
// instead of after it (lambdas/adapters/host/split-worker-start.ts).
if (process.argv[2] === 'verify-rdb') startSplitWorkerStandby();

// `redis-dr --help | head`: the reader left; stop quietly instead of an EPIPE stack trace. A terminal that hung up (a
// window closed, an SSH session dropped) fails every write to it with EIO: nothing can be shown there any more, which
// is no reason to stop a run before its SIGHUP handler has seen to its files (cli/signals.ts); thrown, it ended the
// process at once, and Node 20 then crashed restoring the dead terminal's settings (SIGSEGV).
// Only a terminal's (isTTY is set when the stream is made, and stays): an EIO writing a file (a failing disk) is an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EIO' && process.stdout.isTTY) return;
  if (err.code !== 'EPIPE') throw err;
  process.exit(Number(process.exitCode ?? 0));
});
process.stderr.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EIO' || !process.stderr.isTTY) throw err;
});

// The exit code is set, not forced: output still in flight to a pipe is written first. `verify-rdb` exits as soon as
// both streams have written what they hold: a natural exit first tears down the heaps of its threads, 2–10 ms of a
// verification that takes about a second (bench/README.md), and nothing of it runs after its report.
void import('../cli/program.js')
  .then(({ runProgram }) => runProgram(process.argv))
  .then((code) => {
    process.exitCode = code;
    if (process.argv[2] === 'verify-rdb') exitOnceWritten(code);
  });

function exitOnceWritten(code: number): void {
  let pending = 2;
  const written = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', written);
  process.stderr.write('', written);
}
