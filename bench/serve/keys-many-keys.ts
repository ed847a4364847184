/**
 * KEYS over many short keys (`DEBUG POPULATE`: `key:0` … `key:<n-1>`, values
 * `value:<i>`), on `redis-dr serve` and on a redis-server 7.0 loaded from the
 * same file: the wall time and the CPU serve spends on it, and how another
 * connection's PINGs fare meanwhile (the slowest one is the longest any
 * client waited: a slice of the walk, a piece of the reply's encoding, a
 * garbage collection, or the process waiting for a CPU; the 99th percentile
 * is printed too).
 * Then the same KEYS alone (no PINGs): serve's CPU for it, PINGs not counted.
 * KEYS is sent by redis-cli in its own process, so reading the reply costs
 * the measuring process nothing; its output's SHA-256 is compared between the
 * two serve builds (`--compare`), which must answer the same.
 *
 * `npx tsx bench/serve/keys-many-keys.ts [--keys 1000000] [--rounds 3]
 * [--compare <the CLI file of another build>] [--no-reference]` (after
 * `npm run build`: it spawns the built CLI). `--compare` runs that build too,
 * in the same run (a before/after under the same load). From review 22's
 * script of the same name.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../../test/support/redis-server.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags, serverCpu } from '../support.js';
import { cpuSeconds, spawnServe } from './spawn-serve.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    compare: { type: 'string' },
    'no-reference': { type: 'boolean', default: false },
  },
});
const int = intFlags<'keys' | 'rounds'>(values);
const keys = int('keys', 1_000, 50_000_000);
const rounds = int('rounds', 1, 100);
const PATTERNS = ['*', 'key:1*', '*9'];

/** One KEYS by redis-cli on `port` while another connection PINGs in turn: seconds, PINGs answered meanwhile, the slowest, and the output's SHA-256. */
/** One KEYS by redis-cli on `port`, no other client: what it costs alone (serve's CPU then counts no PINGs). */
async function keysAlone(port: number, pattern: string): Promise<void> {
  const cli = spawn('redis-cli', ['-p', String(port), 'KEYS', pattern], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise<void>((resolve) => cli.on('close', () => resolve()));
}

async function keysWhilePinging(port: number, pattern: string): Promise<{ seconds: number; pings: number; slowestMs: number; p99Ms: number; sha: string }> {
  const other = await RawClient.open(port);
  let done = false;
  const started = performance.now();
  const cli = spawn('redis-cli', ['-p', String(port), 'KEYS', pattern], { stdio: ['ignore', 'pipe', 'inherit'] });
  const hash = createHash('sha256');
  cli.stdout.on('data', (d: Buffer) => hash.update(d));
  const exited = new Promise<void>((resolve) =>
    cli.on('close', () => {
      done = true;
      resolve();
    }),
  );
  const waits: number[] = [];
  while (!done) {
    const sent = performance.now();
    await other.call('PING');
    if (!done) waits.push(performance.now() - sent);
  }
  await exited;
  other.close();
  waits.sort((a, b) => a - b);
  return {
    seconds: (performance.now() - started) / 1000,
    pings: waits.length,
    slowestMs: waits.at(-1) ?? 0,
    p99Ms: waits[Math.floor(waits.length * 0.99)] ?? 0,
    sha: hash.digest('hex'),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-many-keys-'));
  const file = path.join(dir, 'many.rdb');
  const writer = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
  try {
    const c = writer.client();
    await c.call('DEBUG', 'POPULATE', keys, 'key');
    await c.save();
    copyFileSync(writer.rdbPath, file);
  } finally {
    await writer.stop();
  }
  const builds: [string, string | undefined][] = [['serve', undefined]];
  if (values.compare) builds.push(['compare', path.resolve(values.compare)]);
  const served = await Promise.all(builds.map(([, bin]) => spawnServe([file, '--port', '0'], {}, bin)));
  const reference = values['no-reference'] ? undefined : await startRedisServer({ loadRdb: file, readyTimeoutMs: 120_000 });
  try {
    console.log(`${keys} keys; load average ${os.loadavg()[0]!.toFixed(1)}`);
    for (let round = 1; round <= rounds; round++)
      for (const pattern of PATTERNS) {
        const shas = new Set<string>();
        // The builds in turn, the order swapped each round.
        const order = served.map((_, i) => i);
        if (round % 2 === 0) order.reverse();
        for (const i of order) {
          const pid = served[i]!.child.pid!;
          const cpu = cpuSeconds(pid);
          const x = await keysWhilePinging(served[i]!.port, pattern);
          shas.add(x.sha);
          const withPings = cpuSeconds(pid) - cpu;
          const alone = cpuSeconds(pid);
          await keysAlone(served[i]!.port, pattern);
          const aloneCpu = cpuSeconds(pid) - alone;
          // serve's CPU counts the PINGs it answered meanwhile too.
          console.log(
            `round ${round} KEYS ${pattern.padEnd(6)} ${builds[i]![0].padEnd(7)} ${x.seconds.toFixed(2)} s, CPU ${withPings.toFixed(2)} s, ${x.pings} PINGs meanwhile, p99 ${x.p99Ms.toFixed(1)} ms, slowest ${x.slowestMs.toFixed(1)} ms; alone CPU ${aloneCpu.toFixed(2)} s (load ${os.loadavg()[0]!.toFixed(1)})`,
          );
        }
        if (shas.size > 1) throw new Error(`KEYS ${pattern}: the serve builds' replies differ`);
        if (reference) {
          const cpu = await serverCpu(reference.client());
          const x = await keysWhilePinging(reference.port, pattern);
          console.log(
            `round ${round} KEYS ${pattern.padEnd(6)} 7.0     ${x.seconds.toFixed(2)} s, CPU ${((await serverCpu(reference.client())) - cpu).toFixed(2)} s, ${x.pings} PINGs meanwhile, p99 ${x.p99Ms.toFixed(1)} ms, slowest ${x.slowestMs.toFixed(1)} ms (load ${os.loadavg()[0]!.toFixed(1)})`,
          );
        }
      }
  } finally {
    for (const s of served) s.child.kill('SIGTERM');
    await reference?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
