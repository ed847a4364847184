/**
 * Helpers shared by the benchmarks (not used by the product or the tests).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { withoutStartUpOnlyVariables } from '../test/support/start-up-env.js';

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
  /** The system part of {@link cpuSeconds} (the kernel's work for it: page-cache writes, reads). */
  readonly systemSeconds?: number | null;
  /** Peak RSS the kernel recorded (null without /usr/bin/time). */
  readonly maxRssMiB: number | null;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const TIME = '/usr/bin/time';

/**
 * The environment the measured commands run in: this one without the
 * variables that only slow a process's start (test/support/start-up-env.ts:
 * NODE_EXTRA_CA_CERTS costs Node 0.05 s per start where it is set, and no
 * Lambda sets it), and the names removed, for the results.
 */
export const BENCH_ENV = withoutStartUpOnlyVariables(process.env);

/**
 * Runs a command in {@link BENCH_ENV}, measures its wall time from spawn to
 * exit, and, under /usr/bin/time when present, its CPU time and peak RSS.
 * `scratch` is a folder for /usr/bin/time's report.
 */
export async function timedProcess(command: string, args: readonly string[], scratch: string, cwd?: string): Promise<TimedProcess> {
  const timeFile = path.join(scratch, 'time.out');
  const useTime = existsSync(TIME);
  const [file, argv] = useTime ? [TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args]] : [command, [...args]];
  const started = process.hrtime.bigint();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(file, argv, { cwd, env: BENCH_ENV.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('exit', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (!useTime) return { wallSeconds, cpuSeconds: null, systemSeconds: null, maxRssMiB: null, code, stdout, stderr };
  const [user, sys, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wallSeconds, cpuSeconds: user! + sys!, systemSeconds: sys!, maxRssMiB: rss! / 1024, code, stdout, stderr };
}

/** Each run's wall, CPU (and its system part) and peak RSS per step, as a results file keeps them (stdout and stderr left out). */
export function runFigures(
  runs: Readonly<Record<string, readonly TimedProcess[]>>,
): Record<string, { wallSeconds: number; cpuSeconds: number | null; systemSeconds: number | null; maxRssMiB: number | null }[]> {
  return Object.fromEntries(
    Object.entries(runs).map(([k, v]) => [
      k,
      v.map((r) => ({ wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, systemSeconds: r.systemSeconds ?? null, maxRssMiB: r.maxRssMiB })),
    ]),
  );
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
 * Runs `steps` in the order the round calls for: odd rounds as given, even
 * rounds reversed, so drift in machine load favours none of them; the
 * 1-minute load average is sampled between steps and after the last.
 * Returns each step's result at its index in `steps`.
 */
export async function inRoundOrder<T extends unknown[]>(round: number, steps: { [K in keyof T]: () => Promise<T[K]> }, loadAverage: number[]): Promise<T> {
  const order = steps.map((_, i) => i);
  if (round % 2 === 0) order.reverse();
  const results = new Array<unknown>(steps.length);
  for (const [n, i] of order.entries()) {
    results[i] = await steps[i]!();
    if (n < order.length - 1) loadAverage.push(os.loadavg()[0]!);
  }
  loadAverage.push(os.loadavg()[0]!);
  return results as T;
}

/**
 * Runs the baseline and ours in the order the round calls for (odd rounds
 * the baseline first, even rounds ours first), so drift in machine load
 * favours neither; the 1-minute load average is sampled between and after.
 */
export async function alternating<B, O>(
  round: number,
  baseline: () => Promise<B>,
  ours: () => Promise<O>,
  loadAverage: number[],
): Promise<{ baseline: B; ours: O; oursFirst: boolean }> {
  const [b, o] = await inRoundOrder<[B, O]>(round, [baseline, ours], loadAverage);
  return { baseline: b, ours: o, oursFirst: round % 2 === 0 };
}

/** MIGRATE's timeout: the longest a batch may go without progress before the server gives up. */
const MIGRATE_TIMEOUT_MS = 60_000;

/**
 * The server-side copy redis-dr is measured against: `MIGRATE host port ""
 * 0 <timeout> COPY REPLACE KEYS k1 … kN`, one call per SCAN batch of
 * `batch` keys of database 0, sent from `source` (an ioredis connection to
 * the source server) with the next SCAN pipelined behind each MIGRATE.
 * ElastiCache forbids MIGRATE, which is why redis-dr does not use it.
 */
export async function serverMigrate(
  source: Redis,
  target: { readonly host: string; readonly port: number },
  batch: number,
): Promise<{ seconds: number; keys: number; calls: number }> {
  const started = process.hrtime.bigint();
  let [cursor, keys] = (await source.callBuffer('SCAN', '0', 'COUNT', batch)) as [Buffer, Buffer[]];
  let moved = 0;
  let calls = 0;
  for (;;) {
    const more = cursor.toString() !== '0';
    // The next SCAN goes out right behind this MIGRATE (same connection, so the server runs them in order).
    const migrate =
      keys.length > 0
        ? source.callBuffer('MIGRATE', target.host, target.port, '', 0, MIGRATE_TIMEOUT_MS, 'COPY', 'REPLACE', 'KEYS', ...keys)
        : Promise.resolve(null);
    const next = more ? (source.callBuffer('SCAN', cursor, 'COUNT', batch) as Promise<[Buffer, Buffer[]]>) : null;
    await migrate;
    moved += keys.length;
    if (keys.length > 0) calls++;
    if (!next) break;
    [cursor, keys] = await next;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, keys: moved, calls };
}

/**
 * The commit measured (short hash), with `note` appended when `git status`
 * shows uncommitted changes under `paths` (relative to the repository root).
 */
export function gitDescription(paths: readonly string[], note: string): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', ...paths).length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ` + ${note}` : ''}`;
  } catch {
    return 'unknown';
  }
}
