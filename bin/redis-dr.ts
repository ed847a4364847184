/**
 * The operator CLI: `redis-dr <command>`. Exit codes (cli/failure.ts, one
 * rule for every command): 0 ok, 1 the job failed or found a problem (a
 * corrupt RDB, a late backup, a failed restore), 2 usage, configuration,
 * credentials or a connection that could not be made.
 */
import { startSplitWorkerStandby } from '../lambdas/adapters/host/split-worker-start.js';

// `verify-rdb` of a large local file parses its second part on a second thread: that thread and its modules load
// now, beside this thread's loading of the CLI (imported below, not statically, so that it loads after this line),
// instead of after it (lambdas/adapters/host/split-worker-start.ts).
if (process.argv[2] === 'verify-rdb') startSplitWorkerStandby();

// `redis-dr --help | head`: the reader left; stop quietly instead of an EPIPE stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(Number(process.exitCode ?? 0));
});

// The exit code is set, not forced: output still in flight to a pipe is written first.
void import('../cli/program.js')
  .then(({ runProgram }) => runProgram(process.argv))
  .then((code) => {
    process.exitCode = code;
  });
