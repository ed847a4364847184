/**
 * migrate benchmark, cluster case (not a test; not part of `npm test`):
 *
 *   npx tsx bench/migrate/cluster.ts [--keys 1000000] [--seed 1] [--rounds 3]
 *       [--primaries 3] [--out bench/migrate/cluster-results.json]
 *
 * Writes the mixed dataset of bench/verify-rdb/dataset.ts into a plain
 * redis-server, loads it into a source Redis Cluster of `--primaries`
 * primaries (CLUSTER ADDSLOTSRANGE, even slot split; loopback ports) and
 * stops the plain server. Two target clusters of the same shape stay up;
 * per round both are flushed and, in alternating order:
 *  (a) the baseline: server-side `MIGRATE host port "" 0 <timeout> COPY
 *      REPLACE KEYS k1 … kN` run from every source primary in parallel. A
 *      cluster refuses MIGRATE with keys of several slots (CROSSSLOT), so
 *      each call moves one slot: `CLUSTER GETKEYSINSLOT`, then MIGRATE to the
 *      target primary owning that slot, the next GETKEYSINSLOT pipelined
 *      behind it (the way `redis-cli --cluster` moves keys). ElastiCache
 *      forbids MIGRATE, which is why redis-dr does not use it;
 *  (b) ours: `node bin/redis-dr.cjs migrate --from <one source node> --to
 *      <one target node> --json` in its own process, timed from spawn to exit;
 * then (c) `node bin/redis-dr.cjs compare --a <source> --b <our target> --json
 * --ttl-tolerance-ms 0` (every key of both clusters, every PEXPIRETIME
 * exact). Reports medians, writes the results file, and exits 1 when a count
 * is wrong or compare finds a difference.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type Redis from 'ioredis';
import { migrateClients } from '../../lambdas/jobs/keys/migrate.js';
import { connectKeyspace } from '../../lambdas/adapters/redis/dump-restore.js';
import { startRedisCluster, type RedisCluster } from '../../test/support/redis-cluster.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { populate } from '../verify-rdb/dataset.js';
import { alternating, intFlags, keyspace, median, timedProcess } from '../support.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    primaries: { type: 'string', default: '3' },
    out: { type: 'string', default: path.join(__dirname, 'cluster-results.json') },
  },
  strict: true,
});
const int = intFlags<'keys' | 'seed' | 'rounds' | 'primaries'>(flags);
const options = { keys: int('keys', 1, 100_000_000), seed: int('seed', 0, 2 ** 32 - 1), rounds: int('rounds', 1, 100), primaries: int('primaries', 1, 16) };
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'redis-dr.cjs');
const MIGRATE_TIMEOUT_MS = 60_000;
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const seconds = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;

/** Keys and keys with a TTL over every primary. */
async function clusterSpace(c: RedisCluster): Promise<{ keys: number; expires: number }> {
  const spaces = await Promise.all(c.primaries.map((p) => keyspace(p.client())));
  return { keys: spaces.reduce((a, s) => a + s.keys, 0), expires: spaces.reduce((a, s) => a + s.expires, 0) };
}

/** slot → [host, port] of its primary. */
async function slotMap(c: Redis): Promise<[string, number][]> {
  const owner: [string, number][] = [];
  for (const [a, b, [host, port]] of (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]) {
    for (let s = a; s <= b; s++) owner[s] = [host, port];
  }
  return owner;
}

/** (a): per source primary in parallel, one MIGRATE … COPY REPLACE KEYS per slot it serves. */
async function serverMigrate(source: RedisCluster, target: RedisCluster): Promise<{ seconds: number; keys: number; calls: number }> {
  const targetOwner = await slotMap(target.primaries[0]!.client());
  const started = process.hrtime.bigint();
  let moved = 0;
  let calls = 0;
  await Promise.all(
    source.primaries.map(async (primary) => {
      const c = primary.client();
      const mine: number[] = [];
      const sourceOwner = await slotMap(c);
      sourceOwner.forEach(([, port], slot) => {
        port === primary.port && mine.push(slot);
      });
      const keysOf = (slot: number) => c.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, 1_000_000) as Promise<Buffer[]>;
      let next = keysOf(mine[0]!);
      for (let i = 0; i < mine.length; i++) {
        const keys = await next;
        const [host, port] = targetOwner[mine[i]!]!;
        const migrate = keys.length > 0 ? c.callBuffer('MIGRATE', host, port, '', 0, MIGRATE_TIMEOUT_MS, 'COPY', 'REPLACE', 'KEYS', ...keys) : null;
        if (i + 1 < mine.length) next = keysOf(mine[i + 1]!);
        await migrate;
        moved += keys.length;
        if (migrate) calls++;
      }
    }),
  );
  return { seconds: seconds(started), keys: moved, calls };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-migrate-cluster-'));
  const clusters: RedisCluster[] = [];
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]!), 5_000);
  try {
    const seedServer = await startRedisServer();
    const seedClient = seedServer.client();
    log(`generating ${options.keys.toLocaleString('en-US')} keys (seed ${options.seed}) into a plain redis-server`);
    const dataset = await populate(() => seedClient, options.keys, options.seed, log, { dbWeights: [1] });
    const [source, targetMigrate, targetOurs] = await Promise.all([0, 1, 2].map(() => startRedisCluster({ primaries: options.primaries })));
    clusters.push(source, targetMigrate, targetOurs);
    const load = await migrateClients(seedClient, await connectKeyspace({ url: source.url }, 'bench-load'));
    if (load.error || load.copied !== options.keys) throw new Error(`loading the source cluster failed: ${load.error ?? `${load.copied} copied`}`);
    await seedServer.stop();
    const sourceSpace = await clusterSpace(source);
    const perShard = await Promise.all(source.primaries.map(async (p) => (await keyspace(p.client())).keys));
    log(`  source cluster: ${sourceSpace.keys} keys (${perShard.join(' + ')}), ${sourceSpace.expires} with a TTL; loaded in ${load.seconds.toFixed(1)} s`);

    type Round = {
      round: number;
      order: string;
      loadAverage: number[];
      migrate: { seconds: number; keysPerSecond: number; calls: number; targetKeys: number; targetExpires: number };
      ours: {
        wallSeconds: number;
        keysPerSecond: number;
        reportedSeconds: number;
        copied: number;
        failed: number;
        cpuSeconds: number | null;
        maxRssMiB: number | null;
        targetKeys: number;
        targetExpires: number;
      };
      ratio: number;
      compare: { wallSeconds: number; seconds: number; equal: boolean; keysA: number; keysB: number; differences: number };
    };
    const rounds: Round[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      await Promise.all([...targetMigrate.primaries, ...targetOurs.primaries].map((p) => p.client().flushall()));
      const loadAverage = [os.loadavg()[0]!];
      const runMigrate = async (): Promise<Round['migrate']> => {
        const r = await serverMigrate(source, targetMigrate);
        const space = await clusterSpace(targetMigrate);
        log(
          `  MIGRATE from ${options.primaries} primaries: ${r.keys} keys in ${r.seconds.toFixed(2)} s (${Math.round(r.keys / r.seconds)} keys/s, ${r.calls} calls); target has ${space.keys} keys`,
        );
        return { seconds: r.seconds, keysPerSecond: r.keys / r.seconds, calls: r.calls, targetKeys: space.keys, targetExpires: space.expires };
      };
      const runOurs = async (): Promise<Round['ours']> => {
        const p = await timedProcess(process.execPath, [BIN, 'migrate', '--from', source.url, '--to', targetOurs.url, '--json'], scratch, ROOT);
        if (p.code !== 0) throw new Error(`redis-dr migrate exited with ${p.code}: ${p.stderr.slice(-1000)}${p.stdout.slice(-1000)}`);
        const j = JSON.parse(p.stdout) as { seconds: number; copied: number; failed: number };
        const space = await clusterSpace(targetOurs);
        log(
          `  redis-dr migrate: ${j.copied} copied in ${p.wallSeconds.toFixed(2)} s wall (${Math.round(sourceSpace.keys / p.wallSeconds)} keys/s); ` +
            `client CPU ${p.cpuSeconds?.toFixed(1)} s, peak RSS ${p.maxRssMiB?.toFixed(0)} MiB; target has ${space.keys} keys, ${space.expires} with a TTL`,
        );
        return {
          wallSeconds: p.wallSeconds,
          keysPerSecond: sourceSpace.keys / p.wallSeconds,
          reportedSeconds: j.seconds,
          copied: j.copied,
          failed: j.failed,
          cpuSeconds: p.cpuSeconds,
          maxRssMiB: p.maxRssMiB,
          targetKeys: space.keys,
          targetExpires: space.expires,
        };
      };
      const oursFirst = round % 2 === 0;
      log(`round ${round}/${options.rounds} (${oursFirst ? 'ours first' : 'MIGRATE first'}), load average ${loadAverage[0]!.toFixed(2)}`);
      const { baseline: migrate, ours } = await alternating(round, runMigrate, runOurs, loadAverage);
      const c = await timedProcess(
        process.execPath,
        [BIN, 'compare', '--a', source.url, '--b', targetOurs.url, '--json', '--ttl-tolerance-ms', '0'],
        scratch,
        ROOT,
      );
      const cj = JSON.parse(c.stdout) as { equal: boolean; keysA: number; keysB: number; differences: number; seconds: number };
      log(`  compare: equal ${cj.equal}, ${cj.differences} differences, ${cj.keysA} + ${cj.keysB} keys in ${cj.seconds} s`);
      rounds.push({
        round,
        order: oursFirst ? 'ours, MIGRATE' : 'MIGRATE, ours',
        loadAverage,
        migrate,
        ours,
        ratio: ours.keysPerSecond / migrate.keysPerSecond,
        compare: { wallSeconds: c.wallSeconds, seconds: cj.seconds, equal: cj.equal, keysA: cj.keysA, keysB: cj.keysB, differences: cj.differences },
      });
    }
    const med = (f: (r: Round) => number): number => median(rounds.map(f));
    const migrateKps = med((r) => r.migrate.keysPerSecond);
    const oursKps = med((r) => r.ours.keysPerSecond);
    const countsOk = rounds.every(
      (r) =>
        r.migrate.targetKeys === sourceSpace.keys &&
        r.ours.targetKeys === sourceSpace.keys &&
        r.ours.targetExpires === sourceSpace.expires &&
        r.ours.copied === sourceSpace.keys &&
        r.ours.failed === 0,
    );
    const equal = rounds.every((r) => r.compare.equal && r.compare.keysA === sourceSpace.keys && r.compare.keysB === sourceSpace.keys);
    log(
      `median: MIGRATE ${Math.round(migrateKps)} keys/s (${med((r) => r.migrate.seconds).toFixed(2)} s); ours ${Math.round(oursKps)} keys/s ` +
        `(${med((r) => r.ours.wallSeconds).toFixed(2)} s wall); ratio ${((oursKps / migrateKps) * 100).toFixed(1)} % (target >= 100 %); ` +
        `compare ${med((r) => r.compare.seconds).toFixed(2)} s; counts ok ${countsOk}; equal with every TTL kept ${equal}`,
    );
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1), node: process.version },
      loadAverage: { min: Math.min(...loadSamples), max: Math.max(...loadSamples), samples: loadSamples },
      options,
      source: { keys: sourceSpace.keys, expires: sourceSpace.expires, perShard, dataset },
      medians: {
        migrateKeysPerSecond: migrateKps,
        oursKeysPerSecond: oursKps,
        oursWallSeconds: med((r) => r.ours.wallSeconds),
        compareSeconds: med((r) => r.compare.seconds),
      },
      ratio: oursKps / migrateKps,
      rounds,
      countsOk,
      equalWithEveryTtlKept: equal,
      targets: { ratioAtLeast: 1, ratioMet: oursKps >= migrateKps },
    };
    writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${flags.out}`);
    if (!countsOk || !equal) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    await Promise.all(clusters.map((c) => c.stop()));
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
