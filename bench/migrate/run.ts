/**
 * migrate benchmark (not a test; not part of `npm test`):
 *
 *   npx tsx bench/migrate/run.ts [--keys 1000000] [--seed 1] [--rounds 3]
 *       [--migrate-batch 1000] [--batch-size <our --batch-size>] [--out bench/migrate/results.json]
 *
 * Starts a source redis-server on a free loopback port and writes the mixed
 * dataset of bench/verify-rdb/dataset.ts into database 0 (every type and
 * encoding, ~10 % of keys with a TTL of 1–30 days, so none expire during the
 * run). The source stays up for the whole run; nothing below writes to it.
 * Then, per round, with two fresh empty target servers:
 *  (a) the ceiling: server-side `MIGRATE host port "" 0 <timeout> COPY REPLACE
 *      KEYS k1 … kN`, one call per SCAN batch of `--migrate-batch` keys, sent
 *      from an ioredis connection to the source (the next SCAN is pipelined
 *      behind each MIGRATE). ElastiCache forbids MIGRATE, which is why
 *      redis-dr does not use it;
 *  (b) ours: `node bin/redis-dr.cjs migrate --from <source> --to <target> --json`
 *      in its own process (what users run), timed from spawn to exit under
 *      /usr/bin/time (client CPU and peak RSS);
 * in alternating order, then
 *  (c) `node bin/redis-dr.cjs compare --a <source> --b <our target> --json
 *      --ttl-tolerance-ms 0`: every key equal with exactly the same
 *      PEXPIRETIME;
 *  (d) `redis-cli -p <source> --scan | wc -l`, the bare key listing of the
 *      same instance compare read as A.
 * Server CPU comes from INFO cpu before and after each step. Reports medians,
 * writes results.json, and exits 1 when a count is wrong or compare finds a
 * difference.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bgsave, startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { MIGRATE_FLAGS, migrateOptions } from './flags.js';
import { populate } from '../verify-rdb/dataset.js';
import { alternating, cliScanCount, gitDescription as describeCommit, keyspace, median, serverCpu, serverMigrate, timedProcess } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    ...MIGRATE_FLAGS,
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
  },
  strict: true,
});

const options = migrateOptions(flags);
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'redis-dr.cjs');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The commit measured, and whether the migrate code or this benchmark differed from it. */
const gitDescription = (): string =>
  describeCommit(
    ['lambdas/jobs/keys/migrate.ts', 'lambdas/adapters/redis/dump-restore.ts', 'lambdas/adapters/redis/resp-pipe.ts', 'bench/migrate'],
    'uncommitted changes to migrate or this benchmark',
  );

interface Round {
  round: number;
  order: string;
  loadAverage: number[];
  migrate: {
    seconds: number;
    keysPerSecond: number;
    calls: number;
    sourceCpuSeconds: number;
    targetCpuSeconds: number;
    targetKeys: number;
    targetExpires: number;
  };
  ours: {
    wallSeconds: number;
    keysPerSecond: number;
    reported: { seconds: number; keysPerSecond: number; copied: number; skipped: number; expired: number; failed: number; error: string | null };
    clientCpuSeconds: number | null;
    maxRssMiB: number | null;
    sourceCpuSeconds: number;
    targetCpuSeconds: number;
    targetKeys: number;
    targetExpires: number;
  };
  ratio: number;
  compare: {
    wallSeconds: number;
    seconds: number;
    keysPerSecond: number;
    equal: boolean;
    keysA: number;
    keysB: number;
    differences: number;
    maxRssMiB: number | null;
  };
  cliScan: { seconds: number; keys: number };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-migrate-'));
  const servers: RedisServer[] = [];
  // The 1-minute load average every 5 s: other work on the machine slows every side.
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]!), 5_000);
  try {
    const source = await startRedisServer();
    servers.push(source);
    const src = source.client();
    log(`generating ${options.keys.toLocaleString('en-US')} keys (seed ${options.seed}) into database 0 of redis-server on port ${source.port}`);
    const dataset = await populate(() => src, options.keys, options.seed, log, { dbWeights: [1] });
    const sourceSpace = await keyspace(src);
    const memory = await src.info('memory');
    const usedMemoryDataset = Number(/used_memory_dataset:(\d+)/.exec(memory)?.[1]);
    // The size people know a dataset by: its RDB.
    const rdbBytes = statSync(await bgsave(source, src)).size;
    log(
      `  written in ${dataset.seconds.toFixed(1)} s: ${sourceSpace.keys} keys, ${sourceSpace.expires} with a TTL; ` +
        `RDB ${(rdbBytes / 1e6).toFixed(0)} MB, ${(usedMemoryDataset / 1e6).toFixed(0)} MB in memory (used_memory_dataset)`,
    );

    const rounds: Round[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const loadAverage = [os.loadavg()[0]!];
      const [tm, to] = await Promise.all([startRedisServer(), startRedisServer()]);
      servers.push(tm, to);
      const tmc = tm.client();
      const toc = to.client();

      const runMigrate = async (): Promise<Round['migrate']> => {
        const [s0, t0] = await Promise.all([serverCpu(src), serverCpu(tmc)]);
        const r = await serverMigrate(src, tm, options.migrateBatch);
        const [s1, t1, space] = await Promise.all([serverCpu(src), serverCpu(tmc), keyspace(tmc)]);
        log(
          `  MIGRATE: ${r.keys} keys in ${r.seconds.toFixed(2)} s (${Math.round(r.keys / r.seconds)} keys/s, ${r.calls} calls); target has ${space.keys} keys, ${space.expires} with a TTL`,
        );
        return {
          seconds: r.seconds,
          keysPerSecond: r.keys / r.seconds,
          calls: r.calls,
          sourceCpuSeconds: s1 - s0,
          targetCpuSeconds: t1 - t0,
          targetKeys: space.keys,
          targetExpires: space.expires,
        };
      };
      const runOurs = async (): Promise<Round['ours']> => {
        const [s0, t0] = await Promise.all([serverCpu(src), serverCpu(toc)]);
        const extra = options.batchSize === null ? [] : ['--batch-size', String(options.batchSize)];
        const p = await timedProcess(process.execPath, [BIN, 'migrate', '--from', source.url, '--to', to.url, '--json', ...extra], scratch, ROOT);
        const [s1, t1, space] = await Promise.all([serverCpu(src), serverCpu(toc), keyspace(toc)]);
        if (p.code !== 0) throw new Error(`redis-dr migrate exited with ${p.code}: ${p.stderr.slice(-1000)}${p.stdout.slice(-1000)}`);
        const j = JSON.parse(p.stdout) as Round['ours']['reported'];
        const reported = {
          seconds: j.seconds,
          keysPerSecond: j.keysPerSecond,
          copied: j.copied,
          skipped: j.skipped,
          expired: j.expired,
          failed: j.failed,
          error: j.error,
        };
        log(
          `  redis-dr migrate: ${j.copied} copied in ${p.wallSeconds.toFixed(2)} s wall (${Math.round(sourceSpace.keys / p.wallSeconds)} keys/s; ` +
            `its own figure ${j.seconds} s, ${j.keysPerSecond} keys/s); client CPU ${p.cpuSeconds?.toFixed(1)} s, peak RSS ${p.maxRssMiB?.toFixed(0)} MiB; ` +
            `target has ${space.keys} keys, ${space.expires} with a TTL`,
        );
        return {
          wallSeconds: p.wallSeconds,
          keysPerSecond: sourceSpace.keys / p.wallSeconds,
          reported,
          clientCpuSeconds: p.cpuSeconds,
          maxRssMiB: p.maxRssMiB,
          sourceCpuSeconds: s1 - s0,
          targetCpuSeconds: t1 - t0,
          targetKeys: space.keys,
          targetExpires: space.expires,
        };
      };

      const oursFirst = round % 2 === 0;

      log(`round ${round}/${options.rounds} (${oursFirst ? 'ours first' : 'MIGRATE first'}), load average ${loadAverage[0]!.toFixed(2)}`);

      const { baseline: migrate, ours } = await alternating(round, runMigrate, runOurs, loadAverage);

      const c = await timedProcess(process.execPath, [BIN, 'compare', '--a', source.url, '--b', to.url, '--json', '--ttl-tolerance-ms', '0'], scratch, ROOT);
      const cj = JSON.parse(c.stdout) as { equal: boolean; keysA: number; keysB: number; differences: number; seconds: number; keysPerSecond: number };
      log(
        `  compare: equal ${cj.equal}, ${cj.differences} differences, ${cj.keysA} + ${cj.keysB} keys in ${cj.seconds} s (${cj.keysPerSecond} keys/s; ${c.wallSeconds.toFixed(2)} s wall)`,
      );
      loadAverage.push(os.loadavg()[0]!);
      const scan = await cliScanCount(source.port);
      log(`  redis-cli --scan | wc -l: ${scan.keys} keys in ${scan.seconds.toFixed(2)} s`);

      rounds.push({
        round,
        order: oursFirst ? 'ours, MIGRATE' : 'MIGRATE, ours',
        loadAverage,
        migrate,
        ours,
        ratio: ours.keysPerSecond / migrate.keysPerSecond,
        compare: {
          wallSeconds: c.wallSeconds,
          seconds: cj.seconds,
          keysPerSecond: cj.keysPerSecond,
          equal: cj.equal,
          keysA: cj.keysA,
          keysB: cj.keysB,
          differences: cj.differences,
          maxRssMiB: c.maxRssMiB,
        },
        cliScan: scan,
      });
      await Promise.all([tm.stop(), to.stop()]);
      servers.splice(servers.indexOf(tm), 2);
    }

    const med = (f: (r: Round) => number): number => median(rounds.map(f));
    const migrateKps = med((r) => r.migrate.keysPerSecond);
    const oursKps = med((r) => r.ours.keysPerSecond);
    const ratio = oursKps / migrateKps;
    const countsOk = rounds.every(
      (r) =>
        r.migrate.targetKeys === sourceSpace.keys &&
        r.ours.targetKeys === sourceSpace.keys &&
        r.ours.targetExpires === sourceSpace.expires &&
        r.ours.reported.copied === sourceSpace.keys &&
        r.ours.reported.failed === 0 &&
        r.cliScan.keys === sourceSpace.keys,
    );
    const equal = rounds.every((r) => r.compare.equal && r.compare.keysA === sourceSpace.keys && r.compare.keysB === sourceSpace.keys);
    log(
      `median: MIGRATE ${Math.round(migrateKps)} keys/s (${med((r) => r.migrate.seconds).toFixed(2)} s); ours ${Math.round(oursKps)} keys/s ` +
        `(${med((r) => r.ours.wallSeconds).toFixed(2)} s wall); ratio ${(ratio * 100).toFixed(1)} % (target >= 120 %, issue 12); ` +
        `compare ${Math.round(med((r) => r.compare.keysPerSecond))} keys/s (${med((r) => r.compare.seconds).toFixed(2)} s); ` +
        `redis-cli --scan | wc -l ${med((r) => r.cliScan.seconds).toFixed(2)} s; counts ok ${countsOk}; equal with every TTL kept ${equal}`,
    );

    const results = {
      date: new Date().toISOString(),
      code: gitDescription(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
      },
      /** 1-minute load average every 5 s during the whole run (generation included). */
      loadAverage: { min: Math.min(...loadSamples), max: Math.max(...loadSamples), samples: loadSamples },
      options,
      source: { keys: sourceSpace.keys, expires: sourceSpace.expires, rdbBytes, usedMemoryDatasetBytes: usedMemoryDataset, dataset },
      medians: {
        migrateKeysPerSecond: migrateKps,
        migrateSeconds: med((r) => r.migrate.seconds),
        oursKeysPerSecond: oursKps,
        oursWallSeconds: med((r) => r.ours.wallSeconds),
        oursReportedSeconds: med((r) => r.ours.reported.seconds),
        compareKeysPerSecond: med((r) => r.compare.keysPerSecond),
        compareSeconds: med((r) => r.compare.seconds),
        cliScanSeconds: med((r) => r.cliScan.seconds),
      },
      ratio,
      rounds,
      countsOk,
      equalWithEveryTtlKept: equal,
      targets: { ratioAtLeast: 1.2, ratioMet: ratio >= 1.2 },
    };
    writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${flags.out}`);
    if (!countsOk || !equal) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
