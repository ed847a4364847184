/**
 * The operator CLI: `npx redis-dr <command>`. Exit codes: 0 ok, 1 the check
 * or the operation failed (a corrupt RDB, a late backup, a failed restore),
 * 2 usage error (bad arguments, an invalid config, no AWS credentials).
 */
import { runProgram } from '../cli/program.js';

// The exit code is set, not forced: output still in flight to a pipe is written first.
void runProgram(process.argv).then((code) => {
  process.exitCode = code;
});
