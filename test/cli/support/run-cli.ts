import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'redis-dr.cjs');

/**
 * `npx redis-dr …` (bin/redis-dr.cjs) in a child process. Asynchronous, so
 * redis servers and clients of the test keep running meanwhile.
 */
export function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return cliWithEnv({}, ...args);
}

/** {@link cli} with extra environment variables (credentials the command reads from the environment). */
export function cliWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } },
      (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

/** {@link cli} under a file-size limit (`ulimit -f`, in bash's 1024-byte blocks) with SIGXFSZ ignored: a write past it fails as on a full disk. */
export function cliWithFileLimit(blocks: number, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    const child = execFile(
      'bash',
      ['-c', `trap '' XFSZ; ulimit -f ${blocks}; exec '${process.execPath}' '${BIN}' ${quoted}`],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
      (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

/** The uid and gid of the unprivileged user `nobody`: what {@link cliAsNobody} runs as. */
export const NOBODY = 65534;

/**
 * {@link cli} as the unprivileged user `nobody` (setpriv; the tests run as root, whom no mode stops): a real
 * permission fault, such as a folder it may write in but not open (mode 0300, owned by nobody), whose sync then fails.
 */
export function cliAsNobody(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
      (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

/**
 * {@link cli} on a terminal: under util-linux's `script` (a pseudo-terminal for the child's stdin, stdout and stderr),
 * its output and errors as the terminal got them (one stream, escape sequences and all), and its exit code.
 */
export function cliOnTerminal(...args: string[]): Promise<{ status: number | null; output: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    const child = execFile('script', ['-qec', quoted, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }, (_err, stdout) =>
      resolve({ status: child.exitCode, output: stdout }),
    );
  });
}
