/** Starting the built `redis-dr serve` for a bench: the child, and the port its first line (`listening on <host>:<port>`) names. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_ENV } from '../support.js';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redis-dr.cjs');

/** Spawns `redis-dr serve <args>` and resolves once it listens; `bin`: another build's bin/redis-dr.cjs (a same-run comparison). */
export async function spawnServe(args: readonly string[], env: NodeJS.ProcessEnv = {}, bin = BIN): Promise<{ child: ChildProcess; port: number }> {
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...BENCH_ENV.env, ...env } });
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.on('exit', (code: number | null) => reject(new Error(`serve exited ${code}`)));
  });
  return { child, port: Number(/:(\d+)$/.exec(first)![1]) };
}

/** A process's peak resident set in MiB (VmHWM, /proc: Linux). */
export function peakRssMiB(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

/** A process's CPU time so far in seconds, user + system over all its threads (/proc/<pid>/stat, clock ticks of 1/100 s: Linux). */
export function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the 14th field, stime the 15th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
