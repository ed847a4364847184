/**
 * verify-restore benchmark (not a test; not part of `npm test`):
 *
 *   npx tsx bench/verify-restore/run.ts [--keys 1000000] [--seed 7] [--repeats 3]
 *       [--scan-count 1000] [--no-ioredis-variant] [--out bench/verify-restore/results.json]
 *
 * Starts redis-server on a free loopback port in a temporary folder, writes
 * `--keys` keys of mixed types (~10 % with a TTL of 1–30 days, so none expire
 * during the run) through ioredis pipelines, then alternates, `--repeats`
 * times each:
 *  (a) the full verification: `runDrillVerify` as the Lambda runs it (INFO
 *      keyspace count, canary, full SCAN with pipelined TYPE+PTTL, 100 random
 *      samples), against expected values taken from the dataset;
 *  (b) `redis-cli -p <port> --scan | wc -l` through a shell pipeline (the bare
 *      key listing, redis-cli's default COUNT 10).
 * Reports medians, checks that both count every key and that the report is
 * ok, and writes results.json. The ioredis variant times, once, the same scan
 * done with ioredis pipelines (the design the lean pipe replaced).
 * Exits 1 when a count is wrong or the report is not ok.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type Redis from 'ioredis';
import { runDrillVerify } from '../../lambdas/jobs/drills/drill-verify.js';
import { typeBucket } from '../../lambdas/domain/drills/checks.js';
import type { DrillVerifyInput, DrillVerifyReport } from '../../lambdas/domain/drills/drill.js';
import { mulberry32 } from '../../test/support/prng.js';
import { startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { cliScanCount, intFlags, median } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '7' },
    repeats: { type: 'string', default: '3' },
    'scan-count': { type: 'string', default: '1000' },
    'no-ioredis-variant': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
  },
  strict: true,
});

const int = intFlags<'keys' | 'seed' | 'repeats' | 'scan-count'>(flags);

const options = {
  keys: int('keys', 1, 100_000_000),
  seed: int('seed', 0, 2 ** 32 - 1),
  repeats: int('repeats', 1, 100),
  scanCount: int('scan-count', 1, 100_000),
};
const CANARY = `canary-bench-${options.seed}`;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Share of keys per type (cumulative draw). */
const MIX: readonly [string, number][] = [
  ['string', 0.5],
  ['hash', 0.2],
  ['list', 0.12],
  ['set', 0.08],
  ['zset', 0.08],
  ['stream', 0.02],
];

interface Dataset {
  keys: number;
  expires: number;
  byType: Record<string, number>;
  seconds: number;
}

/** Writes the dataset into database 0 (redis-cli --scan lists database 0 only). */
async function populate(c: Redis): Promise<Dataset> {
  const rnd = mulberry32(options.seed);
  const started = Date.now();
  const byType: Record<string, number> = {};
  let expires = 0;
  const batch = 5000;
  for (let from = 0; from < options.keys; from += batch) {
    const p = c.pipeline();
    for (let i = from; i < Math.min(options.keys, from + batch); i++) {
      let r = rnd();
      const type = MIX.find(([, share]) => (r -= share) < 0)?.[0] ?? 'string';
      const key = `${type}:${i.toString(36)}:${Math.floor(rnd() * 1e6)}`;
      if (i === 0) p.set('redis-dr:canary', CANARY);
      else if (type === 'string') p.set(key, `value-${i}`);
      else if (type === 'hash') p.hset(key, 'a', String(i), 'b', 'x');
      else if (type === 'list') p.rpush(key, 'a', 'b', 'c');
      else if (type === 'set') p.sadd(key, 'a', String(i));
      else if (type === 'zset') p.zadd(key, i, 'a', i + 1, 'b');
      else p.xadd(key, '*', 'f', String(i));
      const t = i === 0 ? 'string' : type;
      byType[t] = (byType[t] ?? 0) + 1;
      if (i !== 0 && rnd() < 0.1) {
        p.expire(key, 86_400 * (1 + Math.floor(rnd() * 30)));
        expires++;
      }
    }
    await p.exec();
    if ((from / batch) % 40 === 0) log(`  ${from.toLocaleString('en-US')} keys written`);
  }
  return { keys: options.keys, expires, byType, seconds: (Date.now() - started) / 1000 };
}

/** (a): the verification as the Lambda runs it. */
async function verify(server: RedisServer, dataset: Dataset): Promise<{ seconds: number; report: DrillVerifyReport }> {
  const input: DrillVerifyInput = {
    host: server.host,
    port: server.port,
    tls: false,
    clusterMode: 'disabled',
    expected: { keys: dataset.keys, expires: dataset.expires, byType: dataset.byType, canary: CANARY },
    checks: { keyCountTolerancePct: 0, expectKeys: ['redis-dr:canary'], expectValues: { 'redis-dr:canary': CANARY }, sampleSize: 100 },
  };
  const started = process.hrtime.bigint();
  const report = await runDrillVerify(input, {
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }), // no authSecretArn: never called
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: { now: () => Date.now() },
    scanCount: options.scanCount,
    maxScanSeconds: 600,
    connectTimeoutMs: 10_000,
  });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, report };
}

/** The variant: the same scan with ioredis pipelines (SCAN, then TYPE+PTTL per batch through ioredis). */
async function ioredisScan(c: Redis): Promise<{ seconds: number; keys: number }> {
  const started = process.hrtime.bigint();
  let cursor = '0';
  let keys = 0;
  do {
    const [next, batch] = (await c.scanBuffer(cursor, 'COUNT', options.scanCount)) as unknown as [Buffer, Buffer[]];
    cursor = next.toString();
    const p = c.pipeline();
    for (const k of batch) p.type(k).pttl(k);
    const replies = (await p.exec()) ?? [];
    for (let i = 0; i < replies.length; i += 2) if (typeBucket(String(replies[i]![1])) && replies[i + 1]![1] !== -2) keys++;
  } while (cursor !== '0');
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, keys };
}

function gitDescription(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: __dirname, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', '../../lambdas', '.').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  try {
    const c = server.client();
    log(`writing ${options.keys.toLocaleString('en-US')} keys (seed ${options.seed}) into redis-server on port ${server.port}`);
    const dataset = await populate(c);
    const dbsize = await c.dbsize();
    log(`  written in ${dataset.seconds.toFixed(1)} s; DBSIZE ${dbsize}; ${dataset.expires} with TTL; ${JSON.stringify(dataset.byType)}`);

    const loadAverages: number[] = [];
    const ours: { seconds: number; keys: number; ok: boolean; scanned: number }[] = [];
    const cli: { seconds: number; keys: number }[] = [];
    let report: DrillVerifyReport | undefined;
    for (let i = 0; i < options.repeats; i++) {
      loadAverages.push(os.loadavg()[0]!);
      const a = await verify(server, dataset);
      report = a.report;
      const scanned = Object.values(a.report.byType).reduce((x, n) => x + n, 0);
      ours.push({ seconds: a.seconds, keys: a.report.keys, ok: a.report.ok, scanned });
      const b = await cliScanCount(server.port);
      cli.push(b);
      log(
        `run ${i + 1}/${options.repeats}: verification ${a.seconds.toFixed(3)} s (${a.report.keys} keys, ${scanned} scanned, ok ${a.report.ok}); redis-cli --scan | wc -l ${b.seconds.toFixed(3)} s (${b.keys} keys)`,
      );
    }
    const variant = flags['no-ioredis-variant'] ? undefined : await ioredisScan(c);
    if (variant) log(`variant: ioredis pipelines, same COUNT: ${variant.seconds.toFixed(3)} s (${variant.keys} keys)`);

    const ourMedian = median(ours.map((r) => r.seconds));
    const cliMedian = median(cli.map((r) => r.seconds));
    const countsOk = ours.every((r) => r.keys === options.keys && r.scanned === options.keys) && cli.every((r) => r.keys === options.keys);
    const allOk = ours.every((r) => r.ok);
    log(
      `median: verification ${ourMedian.toFixed(3)} s, redis-cli --scan ${cliMedian.toFixed(3)} s; ratio ${(cliMedian / ourMedian).toFixed(2)}x; counts ok ${countsOk}; reports ok ${allOk}`,
    );

    const cpus = os.cpus();
    const results = {
      date: new Date().toISOString(),
      code: gitDescription(),
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim(),
        memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        redisServer: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim(),
      },
      loadAverages,
      options,
      dataset: { ...dataset, dbsize },
      verification: { medianSeconds: ourMedian, runs: ours, checks: report?.checks },
      redisCliScan: { command: `redis-cli -p <port> --scan | wc -l`, medianSeconds: cliMedian, runs: cli },
      ioredisVariant: variant,
      ratio: cliMedian / ourMedian,
      targetMet: ourMedian < cliMedian,
      countsOk,
      reportsOk: allOk,
    };
    writeFileSync(flags.out!, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${flags.out}`);
    if (!countsOk || !allOk) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  log(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
