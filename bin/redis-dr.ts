/**
 * The operator CLI: `redis-dr <command>`. Exit codes (cli/failure.ts, one
 * rule for every command): 0 ok, 1 the job failed or found a problem (a
 * corrupt RDB, a late backup, a failed restore), 2 usage, configuration,
 * credentials or a connection that could not be made.
 */
import { runProgram } from '../cli/program.js';

// `redis-dr --help | head`: the reader left; stop quietly instead of an EPIPE stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(Number(process.exitCode ?? 0));
});

// The exit code is set, not forced: output still in flight to a pipe is written first.
void runProgram(process.argv).then((code) => {
  process.exitCode = code;
});
