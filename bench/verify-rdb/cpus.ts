/**
 * verify-rdb on one and on two pinned CPUs (issue 39, "speed where it runs"):
 * the whole `redis-dr verify-rdb <file> --json` as installed (the CLI bundle
 * `npm pack` ships, scripts/bundle-cli.ts, built fresh into release/bench-cli;
 * `--cli clone` times a clone's tsc build in dist/ instead) against
 * `redis-check-rdb`, both pinned to the same CPUs with `taskset`, taking
 * turns in the same run; for each CPU set the ratio of every run, wall and
 * CPU times and peak RSS, and what a GB verified costs on a Lambda with as
 * many vCPUs (1,769 MB is one vCPU, 3,538 MB two; Lambda bills GB-seconds).
 *
 *   npx tsx bench/verify-rdb/cpus.ts [--rdb <file>] [--repeats 3] [--cli installed|clone]
 *       [--cpus 0 --cpus 0,1] [--keep-rdb <path>] [--out bench/verify-rdb/results-cpus.json]
 *
 * Why the installed bundle by default: it is what `npm install -g` puts on
 * PATH, and the Lambda's handlers are esbuild bundles too. A clone's dist/ is
 * tsc's CommonJS, one module per file: about 0.07 s more to start, and calls
 * across modules through their exports objects (measured 10–12 % slower on
 * one CPU); `--cli clone` measures it.
 *
 * Without `--rdb` it writes the everyday dataset (dataset.ts, 1,000,000
 * keys, about 480 MB) into a redis-server and SAVEs it first (about 2
 * minutes). The command runs with REDIS_DR_VERIFY_THREADS set to the number
 * of CPUs it is pinned to (adapters/host/crc64-thread.ts): the load average
 * it would otherwise judge by counts the whole machine, not the CPUs given
 * to it, as a Lambda's vCPUs are its own. The 1-minute load average before
 * every run is recorded: on a shared machine the figures are only as good as
 * the CPUs were free.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type Redis from 'ioredis';
import { US_EAST_1 } from '../../lambdas/domain/cost/prices.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { BENCH_ENV, intFlags, median, timedProcess, type TimedProcess } from '../support.js';
import { populate } from './dataset.js';

const { values: flags } = parseArgs({
  options: {
    rdb: { type: 'string' },
    'keep-rdb': { type: 'string' },
    repeats: { type: 'string', default: '3' },
    keys: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    cpus: { type: 'string', multiple: true },
    out: { type: 'string' },
    cli: { type: 'string', default: 'installed' },
  },
  strict: true,
});
const int = intFlags<'repeats' | 'keys' | 'seed'>(flags);
const repeats = int('repeats', 1, 100);
const cpuSets = flags.cpus ?? ['0', '0,1'];
for (const set of cpuSets) {
  if (!/^\d+(,\d+)*$/.test(set)) throw new Error(`--cpus must be a list of CPU numbers such as 0 or 0,1, got ${JSON.stringify(set)}`);
}
const out = flags.out ?? path.join(__dirname, 'results-cpus.json');
const ROOT = path.join(__dirname, '..', '..');
if (flags.cli !== 'installed' && flags.cli !== 'clone') throw new Error(`--cli must be installed or clone, got ${JSON.stringify(flags.cli)}`);
/** The installed CLI: the bundle, built here (below release/, which `npm pack` rebuilds and git ignores, so its one external package resolves). */
const BUNDLE_DIR = path.join(ROOT, 'release', 'bench-cli');
const CLI = flags.cli === 'installed' ? path.join(BUNDLE_DIR, 'redis-dr.mjs') : path.join(ROOT, 'bin', 'redis-dr.cjs');
/** Lambda memory per vCPU: Lambda allocates CPU in proportion to memory, one full vCPU at 1,769 MB. */
const LAMBDA_MB_PER_VCPU = 1769;
/** Targets (issue 39): the ratio to redis-check-rdb on one CPU and on two, and the peak RSS. */
const TARGETS = { oneCpu: 1.5, twoCpus: 2.0, peakRssMiB: 150 } as const;
const MB = 1e6;

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** A run under `taskset -c <cpus>`, failing when the process does. */
async function pinned(cpus: string, command: string, args: readonly string[], scratch: string, env?: NodeJS.ProcessEnv): Promise<TimedProcess> {
  const run = await timedProcess(
    'taskset',
    ['-c', cpus, ...(env ? ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)] : []), command, ...args],
    scratch,
    ROOT,
  );
  if (run.code !== 0) throw new Error(`${command} on CPUs ${cpus} exited with ${run.code}: ${run.stderr.slice(-1000)}${run.stdout.slice(-1000)}`);
  return run;
}

/** Writes the everyday dataset into a fresh server and SAVEs it into `scratch`. */
async function generate(scratch: string, keys: number, seed: number): Promise<string> {
  const server = await startRedisServer();
  try {
    const clients: Redis[] = [0, 1, 2, 3].map(() => server.client());
    await Promise.all(clients.map((c, db) => c.select(db)));
    log(`generating ${keys.toLocaleString('en-US')} everyday keys (seed ${seed}) …`);
    await populate((db) => clients[db]!, keys, seed, log, { shape: 'everyday' });
    await clients[0]!.save();
    const rdb = path.join(scratch, 'everyday.rdb');
    renameSync(server.rdbPath, rdb);
    return rdb;
  } finally {
    await server.stop();
  }
}

function describeMachine(): Record<string, unknown> {
  const version = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: os.cpus()[0]?.model,
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redisCheckRdb: version('redis-server', ['--version']),
    commit: version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    // Which build was timed: the installed bundle (built from the working tree at the start) or a clone's dist/.
    cli: flags.cli === 'installed' ? 'installed bundle (scripts/bundle-cli.ts)' : 'clone (dist/, tsc)',
    uncommittedChanges: version('git', ['-C', ROOT, 'status', '--porcelain', '--short', '--', 'lambdas']) !== '',
  };
}

async function main(): Promise<void> {
  if (flags.cli === 'installed') {
    // Built from the working tree as it is now, as `npm pack` would ship it.
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'scripts', 'bundle-cli.ts'), BUNDLE_DIR], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } else if (!existsSync(path.join(ROOT, 'dist', 'bin', 'redis-dr.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (--cli clone times the CLI as compiled)');
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-cpus-'));
  try {
    const rdb = flags.rdb ?? (await generate(scratch, int('keys', 1, 100_000_000), int('seed', 0, 2 ** 32 - 1)));
    if (!flags.rdb && flags['keep-rdb']) copyFileSync(rdb, flags['keep-rdb']);
    const bytes = statSync(rdb).size;
    log(`RDB: ${rdb}, ${(bytes / MB).toFixed(1)} MB`);
    for await (const chunk of createReadStream(rdb, { highWaterMark: 8 << 20 })) void chunk; // into the page cache

    const sets = [];
    for (const cpus of cpuSets) {
      const vcpus = cpus.split(',').length;
      const runs = [];
      for (let i = 0; i < repeats; i++) {
        const load = os.loadavg()[0]!;
        // Taking turns going first: whichever runs second finds the caches as the first left them.
        const checkFirst = i % 2 === 0;
        const check = async () => pinned(cpus, 'redis-check-rdb', [rdb], scratch);
        const ours = async () =>
          pinned(cpus, process.execPath, [CLI, 'verify-rdb', rdb, '--json'], scratch, { REDIS_DR_VERIFY_THREADS: String(Math.min(vcpus, 2)) });
        const a = checkFirst ? await check() : await ours();
        const b = checkFirst ? await ours() : await check();
        const [c, v] = checkFirst ? [a, b] : [b, a];
        if (!/RDB looks OK/.test(c.stdout)) throw new Error(`redis-check-rdb rejected the file: ${c.stdout.slice(-500)}`);
        const checkKeys = Number(/(\d+) keys read/.exec(c.stdout)?.[1]);
        const report = JSON.parse(v.stdout) as { ok: boolean; keys: number };
        if (!report.ok || report.keys !== checkKeys)
          throw new Error(`verify-rdb said ok ${report.ok} with ${report.keys} keys; redis-check-rdb read ${checkKeys}`);
        const run = {
          loadAverage: Math.round(load * 100) / 100,
          checkFirst,
          redisCheckRdb: { wallSeconds: c.wallSeconds, cpuSeconds: c.cpuSeconds, maxRssMiB: c.maxRssMiB },
          verifyRdb: { wallSeconds: v.wallSeconds, cpuSeconds: v.cpuSeconds, maxRssMiB: v.maxRssMiB },
          ratio: c.wallSeconds / v.wallSeconds,
          // Under load the wall times mostly measure waiting for a CPU; the CPU seconds less so (one thread each on one CPU).
          cpuRatio: (c.cpuSeconds ?? Number.NaN) / (v.cpuSeconds ?? Number.NaN),
          keys: checkKeys,
        };
        runs.push(run);
        log(
          `CPUs ${cpus} run ${i + 1}/${repeats} (load ${load.toFixed(2)}): redis-check-rdb ${c.wallSeconds.toFixed(3)} s (${c.cpuSeconds?.toFixed(2)} s CPU), ` +
            `verify-rdb ${v.wallSeconds.toFixed(3)} s (${v.cpuSeconds?.toFixed(2)} s CPU, ${v.maxRssMiB?.toFixed(1)} MiB): ${run.ratio.toFixed(2)}x`,
        );
      }
      const checkSeconds = median(runs.map((r) => r.redisCheckRdb.wallSeconds));
      const verifySeconds = median(runs.map((r) => r.verifyRdb.wallSeconds));
      const memoryMb = LAMBDA_MB_PER_VCPU * vcpus;
      // GB-seconds per GB of file at this speed (a Lambda with these vCPUs, verifying as fast as here), and their price.
      const gbSecondsPerGb = ((memoryMb / 1024) * verifySeconds) / (bytes / 1e9);
      sets.push({
        cpus,
        vcpus,
        threads: Math.min(vcpus, 2),
        redisCheckRdbSeconds: checkSeconds,
        verifyRdbSeconds: verifySeconds,
        ratio: checkSeconds / verifySeconds,
        ratios: runs.map((r) => Math.round(r.ratio * 100) / 100),
        cpuRatios: runs.map((r) => Math.round(r.cpuRatio * 100) / 100),
        verifyRdbCpuSeconds: median(runs.map((r) => r.verifyRdb.cpuSeconds ?? Number.NaN)),
        redisCheckRdbCpuSeconds: median(runs.map((r) => r.redisCheckRdb.cpuSeconds ?? Number.NaN)),
        verifyRdbPeakRssMiB: Math.max(...runs.map((r) => r.verifyRdb.maxRssMiB ?? Number.NaN)),
        verifyRdbMBps: bytes / MB / verifySeconds,
        loadAverages: runs.map((r) => r.loadAverage),
        lambda: {
          memoryMb,
          gbSecondsPerGb,
          usdPerGb: gbSecondsPerGb * US_EAST_1.lambdaArmGbSecond,
          usdPerGbPrices: `${US_EAST_1.region} arm64, ${US_EAST_1.asOf}`,
        },
        runs,
      });
    }

    const one = sets.find((s) => s.vcpus === 1);
    const two = sets.find((s) => s.vcpus === 2);
    const results = {
      benchmark: 'verify-rdb on pinned CPUs (bench/verify-rdb/cpus.ts)',
      date: new Date().toISOString(),
      machine: describeMachine(),
      // Removed from both commands' environment (bench/support.ts BENCH_ENV): each costs Node, not redis-check-rdb, its start-up.
      startUpVariablesRemoved: BENCH_ENV.removed,
      rdb: { path: rdb, bytes },
      repeats,
      targets: TARGETS,
      sets,
      met: {
        oneCpu: one ? one.ratio >= TARGETS.oneCpu : null,
        twoCpus: two ? two.ratio >= TARGETS.twoCpus : null,
        peakRss: sets.every((s) => s.verifyRdbPeakRssMiB < TARGETS.peakRssMiB),
      },
      // Lambda bills GB-seconds: two vCPUs cost the same per GB only if they verify in half the time.
      twoVcpusCostRelativeToOne: one && two ? two.lambda.usdPerGb / one.lambda.usdPerGb : null,
    };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log('');
    log(
      '| CPUs | redis-check-rdb (s) | verify-rdb (s) | ratio (each run) | CPU s: check / verify-rdb (ratio) | peak RSS (MiB) | load | Lambda MB | $ per GB verified |',
    );
    log('| ---- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const s of sets) {
      log(
        `| ${s.cpus} | ${s.redisCheckRdbSeconds.toFixed(3)} | ${s.verifyRdbSeconds.toFixed(3)} | **${s.ratio.toFixed(2)}×** (${s.ratios.join(', ')}) | ${s.redisCheckRdbCpuSeconds.toFixed(2)} / ${s.verifyRdbCpuSeconds.toFixed(2)} (${s.cpuRatios.join(', ')}) | ${s.verifyRdbPeakRssMiB.toFixed(1)} | ${s.loadAverages.join(', ')} | ${s.lambda.memoryMb} | ${s.lambda.usdPerGb.toExponential(2)} |`,
      );
    }
    log(`wrote ${out}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
