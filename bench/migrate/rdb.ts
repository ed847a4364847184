/**
 * migrate --from-rdb benchmark (issue 16; not a test, not part of `npm test`):
 *
 *   npx tsx bench/migrate/rdb.ts [--dataset mixed|everyday] [--keys 1000000] [--seed 1] [--rounds 3]
 *       [--migrate-batch 1000] [--batch-size <our --batch-size>]
 *       [--rdb <file>] [--keep-rdb <path>] [--out bench/migrate/rdb-results.json]
 *
 * The file: by default a redis-server is filled with the mixed dataset of
 * bench/verify-rdb/dataset.ts, all in database 0 (every type and encoding,
 * ~10 % of keys with a TTL of 1–30 days), and BGSAVEd; `--keep-rdb` keeps
 * that dump, `--rdb` measures an existing one instead (its keys must all be
 * in database 0: MIGRATE and `migrate --from` copy one database).
 * `--dataset everyday` (issue 26) writes that generator's everyday shape
 * instead (strings of 100–1,000 B, small collections), 500,000 keys unless
 * `--keys` says otherwise, into `rdb-results-everyday.json`; its target is
 * 2.0× MIGRATE's keys/s (issue 16's 1.5× for the mixed file).
 *
 * A reference server loads the file once and stays up (not timed): compare
 * reads it as A, and (b) migrates from it. Then, per round, with fresh empty
 * targets, in alternating order (odd rounds (a), (b), ours; even rounds
 * ours, (b), (a)):
 *  ours: `node bin/redis-dr.cjs migrate --from-rdb <file> --to <target> --json`,
 *      the whole command, timed from spawn to exit under /usr/bin/time
 *      (client CPU and peak RSS);
 *  (a) the temporary-server path, end to end: a redis-server started on the
 *      file (hard link in its --dir, made before the clock starts) until it
 *      answers PING (LOADING until the file is loaded), then
 *      `node bin/redis-dr.cjs migrate --from <it> --to <target> --json`;
 *  (b) server-side `MIGRATE … COPY REPLACE KEYS` batches of `--migrate-batch`
 *      keys from the reference server (as bench/migrate/run.ts does);
 * then `node bin/redis-dr.cjs compare --a <reference> --b <our target> --json
 * --ttl-tolerance-ms 0`: every key equal with exactly the same PEXPIRETIME.
 * Server CPU comes from INFO cpu. Reports medians, writes the results file,
 * and exits 1 when a count is wrong or compare finds a difference.
 */
import { copyFileSync, linkSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bgsave, startRedisServer, type RedisServer } from '../../test/support/redis-server.js';
import { MIGRATE_FLAGS, migrateOptions } from './flags.js';
import { populate, type DatasetSummary } from '../verify-rdb/dataset.js';
import { gitDescription, inRoundOrder, keyspace, median, serverCpu, serverMigrate, timedProcess, type TimedProcess } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    ...MIGRATE_FLAGS,
    // No default here: the dataset decides it (below).
    keys: { type: 'string' },
    dataset: { type: 'string', default: 'mixed' },
    rdb: { type: 'string' },
    'keep-rdb': { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
});

if (flags.dataset !== 'mixed' && flags.dataset !== 'everyday') throw new Error(`--dataset must be mixed or everyday, got ${JSON.stringify(flags.dataset)}`);
const shape: 'mixed' | 'everyday' = flags.dataset;
const options = {
  ...migrateOptions({ ...flags, keys: flags.keys ?? (shape === 'everyday' ? '500000' : '1000000') }),
  dataset: shape,
  rdb: flags.rdb ?? null,
};
const out = flags.out ?? path.join(__dirname, shape === 'mixed' ? 'rdb-results.json' : `rdb-results-${shape}.json`);
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'redis-dr.cjs');
/** Loading a large file takes longer than the default 10 s of startRedisServer. */
const LOAD_TIMEOUT_MS = 600_000;
/** Targets of issue 16 (mixed) and issue 26 (everyday: 2.0× MIGRATE's keys/s). */
const TARGETS = {
  oursOverTempServerSecondsBelow: 1,
  oursOverMigrateKeysPerSecondAtLeast: shape === 'everyday' ? 2 : 1.5,
  peakRssBytesBelow: 200e6,
};

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const seconds = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;
const MIB = 1024 * 1024;

/** A fresh folder holding `file` as `dump.rdb` (a hard link; a copy across file systems), for a server to load. */
function folderWith(file: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-rdb-'));
  try {
    linkSync(file, path.join(dir, 'dump.rdb'));
  } catch {
    copyFileSync(file, path.join(dir, 'dump.rdb'));
  }
  return dir;
}

/** A redis-server that has loaded `file`, and how long that took (from spawn to the first PONG). */
async function loadedServer(file: string): Promise<{ server: RedisServer; seconds: number }> {
  const dir = folderWith(file);
  const started = process.hrtime.bigint();
  const server = await startRedisServer({ dir, readyTimeoutMs: LOAD_TIMEOUT_MS });
  return { server, seconds: seconds(started) };
}

/** Fills a fresh server with the dataset, BGSAVEs, and moves the dump to `into`. */
async function generate(into: string): Promise<DatasetSummary> {
  const server = await startRedisServer();
  try {
    const c = server.client();
    log(`generating ${options.keys.toLocaleString('en-US')} ${shape} keys (seed ${options.seed}) into database 0 of redis-server on port ${server.port}`);
    const dataset = await populate(() => c, options.keys, options.seed, log, { dbWeights: [1], shape });
    const dump = await bgsave(server, c);
    try {
      renameSync(dump, into);
    } catch {
      copyFileSync(dump, into); // another file system
    }
    log(`  written in ${dataset.seconds.toFixed(1)} s`);
    return dataset;
  } finally {
    await server.stop();
  }
}

/** The `--json` fields of migrate (and migrate --from-rdb) read here. */
interface MigrateJson {
  seconds: number;
  copied: number;
  skipped: number;
  expired: number;
  failed: number;
  error: string | null;
}

/** A run of the CLI: its timing, and the JSON it printed (it must exit 0). */
function migrateRun(p: TimedProcess, what: string): { process: Omit<TimedProcess, 'stdout' | 'stderr'>; reported: MigrateJson } {
  if (p.code !== 0) throw new Error(`${what} exited with ${p.code}: ${p.stderr.slice(-1000)}${p.stdout.slice(-1000)}`);
  const j = JSON.parse(p.stdout) as MigrateJson;
  return {
    process: { wallSeconds: p.wallSeconds, cpuSeconds: p.cpuSeconds, maxRssMiB: p.maxRssMiB, code: p.code },
    reported: { seconds: j.seconds, copied: j.copied, skipped: j.skipped, expired: j.expired, failed: j.failed, error: j.error },
  };
}

interface Space {
  keys: number;
  expires: number;
}

interface Round {
  round: number;
  order: string;
  loadAverage: number[];
  ours: {
    seconds: number;
    keysPerSecond: number;
    clientCpuSeconds: number | null;
    maxRssMiB: number | null;
    reported: MigrateJson;
    targetCpuSeconds: number;
    target: Space;
  };
  tempServer: {
    seconds: number;
    keysPerSecond: number;
    loadSeconds: number;
    migrateSeconds: number;
    clientCpuSeconds: number | null;
    maxRssMiB: number | null;
    reported: MigrateJson;
    sourceCpuSeconds: number;
    targetCpuSeconds: number;
    target: Space;
  };
  migrate: { seconds: number; keysPerSecond: number; calls: number; sourceCpuSeconds: number; targetCpuSeconds: number; target: Space };
  compare: { wallSeconds: number; seconds: number; equal: boolean; keysA: number; keysB: number; differences: number; maxRssMiB: number | null };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-migrate-rdb-'));
  const servers = new Set<RedisServer>();
  const stop = async (...some: RedisServer[]): Promise<void> => {
    some.forEach((s) => {
      servers.delete(s);
    });
    await Promise.all(some.map((s) => s.stop()));
  };
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]!), 5_000);
  try {
    const file = options.rdb ?? flags['keep-rdb'] ?? path.join(scratch, 'dump.rdb');
    const dataset = options.rdb === null ? await generate(file) : null;
    const rdbBytes = statSync(file).size;

    // The reference: the file loaded by redis-server. compare reads it as A; (b) migrates from it.
    const reference = await loadedServer(file);
    servers.add(reference.server);
    const ref = reference.server.client();
    const info = await ref.info('keyspace');
    const space = await keyspace(ref);
    if (/^db[1-9]\d*:/m.test(info))
      throw new Error(`${file} holds keys outside database 0 (${info.trim().replace(/\r?\n/g, '; ')}): MIGRATE and migrate --from copy one database`);
    log(
      `file ${file}: ${(rdbBytes / 1e6).toFixed(1)} MB; redis-server loaded it in ${reference.seconds.toFixed(2)} s: ` +
        `${space.keys} keys, ${space.expires} with a TTL (the reference, port ${reference.server.port})`,
    );

    const rounds: Round[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const loadAverage = [os.loadavg()[0]!];
      const [tOurs, tTemp, tMigrate] = await Promise.all([startRedisServer(), startRedisServer(), startRedisServer()]);
      [tOurs, tTemp, tMigrate].forEach((s) => {
        servers.add(s);
      });
      const [co, ct, cm] = [tOurs.client(), tTemp.client(), tMigrate.client()];

      const runOurs = async (): Promise<Round['ours']> => {
        const t0 = await serverCpu(co);
        const extra = options.batchSize === null ? [] : ['--batch-size', String(options.batchSize)];
        const r = migrateRun(
          await timedProcess(process.execPath, [BIN, 'migrate', '--from-rdb', file, '--to', tOurs.url, '--json', ...extra], scratch, ROOT),
          'redis-dr migrate --from-rdb',
        );
        const [t1, target] = await Promise.all([serverCpu(co), keyspace(co)]);
        const p = r.process;
        log(
          `  ours, migrate --from-rdb: ${r.reported.copied} copied in ${p.wallSeconds.toFixed(2)} s wall (${Math.round(space.keys / p.wallSeconds)} keys/s; ` +
            `its own figure ${r.reported.seconds} s); client CPU ${p.cpuSeconds?.toFixed(1)} s, peak RSS ${p.maxRssMiB?.toFixed(1)} MiB; ` +
            `target CPU ${(t1 - t0).toFixed(1)} s, has ${target.keys} keys, ${target.expires} with a TTL`,
        );
        return {
          seconds: p.wallSeconds,
          keysPerSecond: space.keys / p.wallSeconds,
          clientCpuSeconds: p.cpuSeconds,
          maxRssMiB: p.maxRssMiB,
          reported: r.reported,
          targetCpuSeconds: t1 - t0,
          target,
        };
      };

      const runTempServer = async (): Promise<Round['tempServer']> => {
        const t0 = await serverCpu(ct);
        const dir = folderWith(file);
        const started = process.hrtime.bigint();
        const source = await startRedisServer({ dir, readyTimeoutMs: LOAD_TIMEOUT_MS });
        servers.add(source);
        const loadSeconds = seconds(started);
        const p = await timedProcess(process.execPath, [BIN, 'migrate', '--from', source.url, '--to', tTemp.url, '--json'], scratch, ROOT);
        const total = seconds(started);
        const sc = source.client();
        const [s1, t1, target] = await Promise.all([serverCpu(sc), serverCpu(ct), keyspace(ct)]);
        await stop(source);
        const r = migrateRun(p, 'redis-dr migrate --from <temporary server>');
        log(
          `  (a) temporary server + migrate: ${total.toFixed(2)} s end to end (${Math.round(space.keys / total)} keys/s): load ${loadSeconds.toFixed(2)} s, ` +
            `migrate ${p.wallSeconds.toFixed(2)} s wall (${r.reported.copied} copied); client CPU ${p.cpuSeconds?.toFixed(1)} s, peak RSS ${p.maxRssMiB?.toFixed(1)} MiB; ` +
            `temporary server CPU ${s1.toFixed(1)} s (load included); target has ${target.keys} keys, ${target.expires} with a TTL`,
        );
        return {
          seconds: total,
          keysPerSecond: space.keys / total,
          loadSeconds,
          migrateSeconds: p.wallSeconds,
          clientCpuSeconds: p.cpuSeconds,
          maxRssMiB: p.maxRssMiB,
          reported: r.reported,
          sourceCpuSeconds: s1,
          targetCpuSeconds: t1 - t0,
          target,
        };
      };

      const runMigrate = async (): Promise<Round['migrate']> => {
        const [s0, t0] = await Promise.all([serverCpu(ref), serverCpu(cm)]);
        const r = await serverMigrate(ref, tMigrate, options.migrateBatch);
        const [s1, t1, target] = await Promise.all([serverCpu(ref), serverCpu(cm), keyspace(cm)]);
        log(
          `  (b) MIGRATE: ${r.keys} keys in ${r.seconds.toFixed(2)} s (${Math.round(r.keys / r.seconds)} keys/s, ${r.calls} calls); target has ${target.keys} keys, ${target.expires} with a TTL`,
        );
        return { seconds: r.seconds, keysPerSecond: r.keys / r.seconds, calls: r.calls, sourceCpuSeconds: s1 - s0, targetCpuSeconds: t1 - t0, target };
      };

      const order = round % 2 === 1 ? '(a), (b), ours' : 'ours, (b), (a)';
      log(`round ${round}/${options.rounds} (${order}), load average ${loadAverage[0]!.toFixed(2)}`);
      const [tempServer, migrate, ours] = await inRoundOrder<[Round['tempServer'], Round['migrate'], Round['ours']]>(
        round,
        [runTempServer, runMigrate, runOurs],
        loadAverage,
      );

      const c = await timedProcess(
        process.execPath,
        [BIN, 'compare', '--a', reference.server.url, '--b', tOurs.url, '--json', '--ttl-tolerance-ms', '0'],
        scratch,
        ROOT,
      );
      const cj = JSON.parse(c.stdout) as { equal: boolean; keysA: number; keysB: number; differences: number; seconds: number };
      log(`  compare (reference, ours): equal ${cj.equal}, ${cj.differences} differences, ${cj.keysA} + ${cj.keysB} keys in ${cj.seconds} s`);
      loadAverage.push(os.loadavg()[0]!);

      rounds.push({
        round,
        order,
        loadAverage,
        ours,
        tempServer,
        migrate,
        compare: {
          wallSeconds: c.wallSeconds,
          seconds: cj.seconds,
          equal: cj.equal,
          keysA: cj.keysA,
          keysB: cj.keysB,
          differences: cj.differences,
          maxRssMiB: c.maxRssMiB,
        },
      });
      await stop(tOurs, tTemp, tMigrate);
    }

    const med = (f: (r: Round) => number): number => median(rounds.map(f));
    const same = (s: Space): boolean => s.keys === space.keys && s.expires === space.expires;
    const countsOk = rounds.every(
      (r) =>
        same(r.ours.target) &&
        same(r.tempServer.target) &&
        same(r.migrate.target) &&
        r.ours.reported.copied === space.keys &&
        r.ours.reported.failed === 0 &&
        r.tempServer.reported.copied === space.keys,
    );
    const equal = rounds.every((r) => r.compare.equal && r.compare.differences === 0 && r.compare.keysA === space.keys && r.compare.keysB === space.keys);
    const medians = {
      oursSeconds: med((r) => r.ours.seconds),
      oursKeysPerSecond: med((r) => r.ours.keysPerSecond),
      oursReportedSeconds: med((r) => r.ours.reported.seconds),
      tempServerSeconds: med((r) => r.tempServer.seconds),
      tempServerKeysPerSecond: med((r) => r.tempServer.keysPerSecond),
      tempServerLoadSeconds: med((r) => r.tempServer.loadSeconds),
      tempServerMigrateSeconds: med((r) => r.tempServer.migrateSeconds),
      migrateSeconds: med((r) => r.migrate.seconds),
      migrateKeysPerSecond: med((r) => r.migrate.keysPerSecond),
      compareSeconds: med((r) => r.compare.seconds),
    };
    const ratios = {
      /** Below 1: ours takes less time end to end than (a). */
      oursOverTempServerSeconds: medians.oursSeconds / medians.tempServerSeconds,
      oursOverMigrateKeysPerSecond: medians.oursKeysPerSecond / medians.migrateKeysPerSecond,
    };
    const peakRssMiB = Math.max(...rounds.map((r) => r.ours.maxRssMiB ?? Number.NaN));
    const targets = {
      ...TARGETS,
      fasterThanTempServer: ratios.oursOverTempServerSeconds < TARGETS.oursOverTempServerSecondsBelow,
      keysPerSecondOverMigrateMet: ratios.oursOverMigrateKeysPerSecond >= TARGETS.oursOverMigrateKeysPerSecondAtLeast,
      peakRssMet: peakRssMiB * MIB < TARGETS.peakRssBytesBelow,
    };
    log(
      `median: ours ${medians.oursSeconds.toFixed(2)} s (${Math.round(medians.oursKeysPerSecond)} keys/s); ` +
        `(a) temporary server ${medians.tempServerSeconds.toFixed(2)} s (load ${medians.tempServerLoadSeconds.toFixed(2)} s + migrate ${medians.tempServerMigrateSeconds.toFixed(2)} s; ${Math.round(medians.tempServerKeysPerSecond)} keys/s); ` +
        `(b) MIGRATE ${medians.migrateSeconds.toFixed(2)} s (${Math.round(medians.migrateKeysPerSecond)} keys/s)\n` +
        `  ours / (a) time ${ratios.oursOverTempServerSeconds.toFixed(3)} (target < 1: ${targets.fasterThanTempServer}); ` +
        `ours / (b) keys/s ${ratios.oursOverMigrateKeysPerSecond.toFixed(3)} (target >= ${TARGETS.oursOverMigrateKeysPerSecondAtLeast}: ${targets.keysPerSecondOverMigrateMet}); ` +
        `peak RSS of ours ${peakRssMiB.toFixed(1)} MiB = ${((peakRssMiB * MIB) / 1e6).toFixed(1)} MB (target < 200 MB: ${targets.peakRssMet}); ` +
        `counts ok ${countsOk}; compare equal with every TTL exact ${equal}`,
    );

    const results = {
      date: new Date().toISOString(),
      code: gitDescription(
        [
          'cli/commands/migrate/rdb-action.ts',
          'lambdas/jobs/keys/migrate.ts',
          'lambdas/jobs/keys/read-rdb.ts',
          'lambdas/domain/rdb',
          'lambdas/adapters/redis/dump-restore.ts',
          'lambdas/adapters/redis/resp-pipe.ts',
          'bench/migrate/rdb.ts',
          'bench/support.ts',
        ],
        'uncommitted changes to migrate --from-rdb or this benchmark',
      ),
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
      file: { path: file, generated: dataset !== null, rdbBytes, keys: space.keys, expires: space.expires, referenceLoadSeconds: reference.seconds, dataset },
      medians,
      ratios,
      peakRssMiB,
      rounds,
      countsOk,
      equalWithEveryTtlExact: equal,
      targets,
    };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${out}`);
    if (!countsOk || !equal) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await Promise.all([...servers].map((s) => s.stop()));
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
