/**
 * Helpers shared by the benchmarks (not used by the product or the tests).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A reader of integer flags from `util.parseArgs` values that fails naming
 * the flag, the allowed range and the value given.
 */
export function intFlags<K extends string>(flags: Partial<Record<K, unknown>>) {
  return (name: K, min: number, max: number): number => {
    const raw = flags[name];
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
    return v;
  };
}

/** One process run timed by {@link timedProcess}. */
export interface TimedProcess {
  /** From spawn to exit, measured by the harness (process start-up included). */
  readonly wallSeconds: number;
  /** User + system CPU of the process (null without /usr/bin/time). */
  readonly cpuSeconds: number | null;
  /** Peak RSS the kernel recorded (null without /usr/bin/time). */
  readonly maxRssMiB: number | null;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const TIME = '/usr/bin/time';

/**
 * Runs a command, measures its wall time from spawn to exit, and, under
 * /usr/bin/time when present, its CPU time and peak RSS. `scratch` is a
 * folder for /usr/bin/time's report.
 */
export async function timedProcess(command: string, args: readonly string[], scratch: string, cwd?: string): Promise<TimedProcess> {
  const timeFile = path.join(scratch, 'time.out');
  const useTime = existsSync(TIME);
  const [file, argv] = useTime ? [TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args]] : [command, [...args]];
  const started = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(file, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('exit', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!useTime) return { wallSeconds, cpuSeconds: null, maxRssMiB: null, code, stdout, stderr };
  const [user, sys, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallSeconds, cpuSeconds: user! + sys!, maxRssMiB: rss! / 1024, code, stdout, stderr };
}

/** The bare key listing of database 0, `redis-cli -p <port> --scan | wc -l` through a shell pipeline, timed. */
export async function cliScanCount(port: number): Promise<{ seconds: number; keys: number }> {
  const started = process.hrtime.bigint();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', `redis-cli -p ${port} --scan | wc -l`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`redis-cli pipeline exited with ${code}`))));
  });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, keys: Number(out.trim()) };
}

/** used_cpu_user + used_cpu_sys of a server, in seconds. */
export async function serverCpu(c: Redis): Promise<number> {
  const info = await c.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** `keys=` and `expires=` of db0 in INFO keyspace. */
export async function keyspace(c: Redis): Promise<{ keys: number; expires: number }> {
  const m = /db0:keys=(\d+),expires=(\d+)/.exec(await c.info('keyspace'));
  return { keys: Number(m?.[1] ?? 0), expires: Number(m?.[2] ?? 0) };
}

/**
 * Runs the baseline and ours in the order the round calls for (odd rounds
 * the baseline first, even rounds ours first), so drift in machine load
 * favours neither; the 1-minute load average is sampled between and after.
 */
export async function alternating<B, O>(round: number, baseline: () => Promise<B>, ours: () => Promise<O>, loadAverage: number[]): Promise<{ baseline: B; ours: O; oursFirst: boolean }> {
  const oursFirst = round % 2 === 0;
  let b: B;
  let o: O;
  if (oursFirst) {
    o = await ours();
    loadAverage.push(os.loadavg()[0]!);
    b = await baseline();
  } else {
    b = await baseline();
    loadAverage.push(os.loadavg()[0]!);
    o = await ours();
  }
  loadAverage.push(os.loadavg()[0]!);
  return { baseline: b, ours: o, oursFirst };
}
