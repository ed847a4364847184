/**
 * bench/serve: `redis-dr serve` (the installed command, node bin/redis-dr.cjs)
 * against redis-server loaded from the same file, in the same run:
 *  - time to the first answer: spawn → `listening on` → the first GET
 *    answered, for a 200,000-key local file (target: within 5 s);
 *  - GET throughput and latency through `redis-benchmark -t get -c 20`
 *    on random keys of the file (-r), rounds alternating between the two
 *    (targets: serve ≥ 0.25× redis-server's requests/s, p99 < 5 ms).
 *
 *   npx tsx bench/serve/run.ts [--keys 200000] [--requests 100000] [--rounds 3] [--out bench/serve/results.json]
 *     [--compare <the CLI file of another build>]
 *
 * With --compare, that build serves the same file too and is benchmarked in
 * the same rounds (a same-run comparison of two builds' GET).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../../test/support/redis-server.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags, median, serverCpu } from '../support.js';
import { keyName, writeGetDataset } from './get-dataset.js';
import { spawnServe } from './spawn-serve.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' },
    requests: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
    compare: { type: 'string' },
  },
  strict: true,
});
const int = intFlags<'keys' | 'requests' | 'rounds'>(flags);
const keys = int('keys', 1, 100_000_000);
const requests = int('requests', 1000, 100_000_000);
const rounds = int('rounds', 1, 50);
const ROOT = path.join(__dirname, '..', '..');
const log = (line: string): void => void process.stderr.write(`${line}\n`);
if (!existsSync(path.join(ROOT, 'dist', 'bin', 'redis-dr.js'))) throw new Error('dist/ is missing: run `npx tsx scripts/build-dist.ts` first');

interface Figures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU (user + system) the server spent per request, µs: less bent by the machine's load than the latencies. */
  readonly cpuUsPerRequest: number;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function processCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function benchmark(port: number, cpu: () => number | Promise<number>): Promise<Figures> {
  const cpuBefore = await cpu();
  const csv = execFileSync('redis-benchmark', ['-p', String(port), '-t', 'get', '-c', '20', '-n', String(requests), '-r', String(keys), '--csv'], {
    encoding: 'utf8',
  });
  const row = csv
    .trim()
    .split('\n')
    .pop()!
    .split(',')
    .map((c) => c.replace(/"/g, ''));
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const cpuUsPerRequest = Math.round((((await cpu()) - cpuBefore) * 1e6) / requests);
  return { rps: Number(row[1]), p50Ms: Number(row[4]), p99Ms: Number(row[6]), cpuUsPerRequest };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-serve-'));
  const file = path.join(scratch, 'point.rdb');
  await writeGetDataset(keys, file);
  log(`file: ${keys} keys`);

  const started = process.hrtime.bigint();
  const { child, port } = await spawnServe([file, '--port', '0']);
  const raw = await RawClient.open(port);
  const answer = await raw.call('GET', keyName(keys - 1));
  const firstAnswerSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  raw.close();
  if (!answer.includes(`value-${keys - 1}`)) throw new Error(`serve answered ${answer}`);
  log(`serve: first answer after ${firstAnswerSeconds.toFixed(2)} s`);

  const reference = await startRedisServer({ loadRdb: file, readyTimeoutMs: 60_000 });
  const refClient = reference.client();
  const other = flags.compare ? await spawnServe([file, '--port', '0'], {}, flags.compare) : undefined;
  const runs: { round: number; serve: Figures; redis: Figures; compare?: Figures; load: number }[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Rotate which goes first, so a change in the machine's load falls on each.
    const all = other ? ['serve', 'compare', 'redis'] : ['serve', 'redis'];
    const order = [...all.slice((round - 1) % all.length), ...all.slice(0, (round - 1) % all.length)];
    const got: Record<string, Figures> = {};
    for (const which of order)
      got[which] = await (which === 'serve'
        ? benchmark(port, () => processCpu(child.pid!))
        : which === 'compare'
          ? benchmark(other!.port, () => processCpu(other!.child.pid!))
          : benchmark(reference.port, () => serverCpu(refClient)));
    runs.push({ round, serve: got.serve!, redis: got.redis!, ...(got.compare ? { compare: got.compare } : {}), load: os.loadavg()[0]! });
    const line = (f: Figures): string => `${f.rps} req/s p99 ${f.p99Ms} ms ${f.cpuUsPerRequest} µs CPU/req`;
    log(
      `round ${round}: serve ${line(got.serve!)}; ${got.compare ? `compared build ${line(got.compare)}; ` : ''}redis-server ${line(got.redis!)}; load ${os.loadavg()[0]!.toFixed(1)}`,
    );
  }
  other?.child.kill('SIGTERM');
  child.kill('SIGTERM');
  refClient.disconnect();
  await reference.stop();
  rmSync(scratch, { recursive: true, force: true });
  const ratio = median(runs.map((r) => r.serve.rps / r.redis.rps));
  const result = {
    at: new Date().toISOString(),
    keys,
    requests,
    clients: 20,
    firstAnswerSeconds,
    medianRatio: ratio,
    serveP99MedianMs: median(runs.map((r) => r.serve.p99Ms)),
    redisP99MedianMs: median(runs.map((r) => r.redis.p99Ms)),
    nproc: os.availableParallelism(),
    node: process.version,
    runs,
  };
  writeFileSync(flags.out!, `${JSON.stringify(result, null, 2)}\n`);
  log(
    `serve/redis-server GET throughput: ${ratio.toFixed(2)}× (target ≥ 0.25×); serve p99 ${result.serveP99MedianMs} ms (target < 5 ms); first answer ${firstAnswerSeconds.toFixed(2)} s (target ≤ 5 s)`,
  );
}

void main();
