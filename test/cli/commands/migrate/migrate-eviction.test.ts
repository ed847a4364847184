import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatMigrate, migrateExitCode } from '../../../../cli/commands/migrate/format.js';
import { runMigrate } from '../../../../cli/commands/migrate/action.js';
import type { MigrateCliOptions } from '../../../../cli/commands/migrate/options.js';
import { formatRdbVerify, migrateRdbExitCode, runMigrateRdb, type MigrateRdbCliOptions } from '../../../../cli/commands/migrate/rdb-action.js';
import { startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../support/in-process.js';

/**
 * The eviction guard of both key copies against a real redis-server with a
 * small `maxmemory` (4 MiB: an empty server uses about 0.9 MiB). "Big" data
 * (6 MB of values) cannot fit; "small" data (20 kB) can.
 */
const LIMIT = 4 * 2 ** 20;

/** `n` string keys `<prefix><i>` of `size` bytes each (with `ttlMs`, an expiry that far off). */
async function fill(c: Redis, n: number, size: number, options: { prefix?: string; ttlMs?: number } = {}): Promise<void> {
  const value = 'v'.repeat(size);
  for (let at = 0; at < n; at += 500) {
    const p = c.pipeline();
    for (let i = at; i < Math.min(n, at + 500); i++) {
      if (options.ttlMs) p.set(`${options.prefix ?? 'k:'}${i}`, value, 'PX', options.ttlMs);
      else p.set(`${options.prefix ?? 'k:'}${i}`, value);
    }
    await p.exec();
  }
}

async function evictedKeys(c: Redis): Promise<number> {
  return Number(/evicted_keys:(\d+)/.exec(await c.info('stats'))![1]);
}

describe('migrate and migrate --from-rdb into a target that can evict', () => {
  let source: RedisServer;
  let target: RedisServer;
  let s: Redis;
  let d: Redis;
  let dir: string;
  let n = 0;

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer(), startRedisServer({ args: ['--maxmemory', String(LIMIT), '--maxmemory-policy', 'allkeys-lru'] })]);
    s = source.client();
    d = target.client();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-evict-'));
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await Promise.all([s.flushall(), d.flushall()]);
    await d.config('SET', 'maxmemory', String(LIMIT));
    await d.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await d.config('RESETSTAT');
  });

  /** The source's data as a recovery point: a BGSAVE, copied aside. */
  async function saveFile(): Promise<string> {
    const path = join(dir, `point-${n++}.rdb`);
    copyFileSync(await bgsave(source, s), path);
    return path;
  }
  const live = (o: Partial<MigrateCliOptions> = {}) => runMigrate({ from: source.url, to: target.url, batchSize: 200, ...o });
  const rdb = async (o: Partial<MigrateRdbCliOptions> = {}) => {
    const opts = { fromRdb: [await saveFile()], to: target.url, databases: [{ from: 0, to: 0 }], batchSize: 200, ...o };
    const run = await runMigrateRdb(opts, {});
    return { run, code: migrateRdbExitCode(run) };
  };

  describe.each(['allkeys-lru', 'volatile-lru'])('maxmemory-policy %s (the data with TTLs)', (policy) => {
    const ttlMs = 3_600_000;
    beforeEach(async () => {
      await d.config('SET', 'maxmemory-policy', policy);
      await d.set('live:written-after-the-incident', 'x', 'PX', ttlMs);
    });

    it('migrate: a restore that cannot fit is refused up front, exit 2, nothing written; one that fits runs, exit 0', async () => {
      await fill(s, 6000, 1000, { ttlMs });
      const refused = await live();
      expect(migrateExitCode(refused)).toBe(2);
      expect(refused.result.copied).toBe(0);
      expect(await d.dbsize()).toBe(1);
      const text = formatMigrate(refused);
      expect(text).toMatch(
        new RegExp(
          `^refused, nothing was written: the target can evict keys .*127\\.0\\.0\\.1:${target.port} \\(maxmemory-policy ${policy}, maxmemory 4\\.0 MiB \\(4194304 bytes\\), used_memory .* estimated restore .*\\. The estimate is the source's used_memory_dataset`,
        ),
      );
      expect(text).toContain('Fix: a bigger node');
      expect(refused.result.eviction).toMatchObject({ allowed: false, evictedKeys: 0, nodes: [{ policy, maxmemory: LIMIT }] });

      await s.flushall();
      await fill(s, 200, 100, { ttlMs });
      const fits = await live();
      expect(fits.result).toMatchObject({ copied: 200, failed: 0, eviction: { evictedKeys: 0 } });
      expect(migrateExitCode(fits)).toBe(0);
    });

    it('migrate --from-rdb: a restore that cannot fit is refused up front, exit 2, nothing written; one that fits runs, exit 0', async () => {
      await fill(s, 6000, 1000, { ttlMs });
      const refused = await rdb();
      expect(refused.code).toBe(2);
      expect(refused.run.result.eviction?.refused).toMatch(
        new RegExp(
          `maxmemory-policy ${policy}, .*\\. The estimate is the memory the source used when it wrote the file \\(used-mem .*\\) times the share of the file selected \\(100 %\\)`,
        ),
      );
      expect(await d.dbsize()).toBe(1);

      await s.flushall();
      await fill(s, 200, 100, { ttlMs });
      const fits = await rdb();
      expect(fits.run.result).toMatchObject({ copied: 200, failed: 0, eviction: { evictedKeys: 0 } });
      expect(fits.code).toBe(0);
    });
  });

  it('the CLI: exit 2 with the one message on stdout (--json: the refusal), nothing written', async () => {
    await fill(s, 6000, 1000);
    const out = await inWorker('migrate', '--from', source.url, '--to', target.url);
    expect(out.status).toBe(2);
    expect(out.stdout).toMatch(/^refused, nothing was written: the target can evict keys/);
    const file = await saveFile();
    const json = await inWorker('migrate', '--from-rdb', file, '--to', target.url, '--db', '0', '--json');
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      // The refusal as every command's failure is (docs/cli.md), the fix the refusal names apart.
      error: {
        code: 'refused',
        message: expect.stringMatching(/^refused, nothing was written/),
        fix: expect.stringMatching(/^a bigger node .*--allow-eviction/),
      },
      copied: 0,
      evictedKeys: 0,
      eviction: { refused: expect.stringMatching(/^refused, nothing was written/), allowed: false },
    });
    expect(await d.dbsize()).toBe(0);
  });

  it('--dry-run is held to the same check: refused (exit 2) before counting, so the dry run shows what the real run would meet', async () => {
    await fill(s, 6000, 1000);
    const run = await live({ dryRun: true });
    expect(migrateExitCode(run)).toBe(2);
    expect(run.result.eviction?.refused).toMatch(/^refused, nothing was written/);
    const fromFile = await rdb({ dryRun: true });
    expect(fromFile.code).toBe(2);
    expect(await d.dbsize()).toBe(0);
  });

  it('--allow-eviction (migrate): the run goes on, exit 1, with the exact count of keys the target evicted', async () => {
    await fill(s, 6000, 1000);
    const before = await evictedKeys(d);
    const run = await live({ allowEviction: true });
    const evicted = (await evictedKeys(d)) - before;
    expect(evicted).toBeGreaterThan(0);
    // Every key was restored, some pushed out again: what is missing is what was evicted.
    expect(run.result).toMatchObject({ copied: 6000, failed: 0, error: undefined, eviction: { allowed: true, stopped: false, evictedKeys: evicted } });
    expect(run.result.copied - (await d.dbsize())).toBe(evicted);
    expect(migrateExitCode(run)).toBe(1);
    expect(formatMigrate(run)).toContain(`EVICTED: ${evicted} keys evicted by the target during the recovery — restored or live keys may be gone`);
  });

  it('--allow-eviction (migrate --from-rdb, CLI --json): exit 1 and evictedKeys is the exact count', async () => {
    await fill(s, 6000, 1000);
    const file = await saveFile();
    const before = await evictedKeys(d);
    const out = await inWorker('migrate', '--from-rdb', file, '--to', target.url, '--db', '0', '--allow-eviction', '--json');
    const evicted = (await evictedKeys(d)) - before;
    expect(evicted).toBeGreaterThan(0);
    expect(out.status).toBe(1);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({ copied: 6000, failed: 0, evictedKeys: evicted, eviction: { allowed: true, refused: null } });
    expect(json.copied - (await d.dbsize())).toBe(evicted);
  });

  it.each(['migrate', 'migrate --from-rdb'])(
    '%s: a target that starts evicting midway (another client filled it) stops the run at the next batch, exit 1, counted',
    async (which) => {
      await fill(s, 2000, 100); // fits: the guard lets it start
      let batches = 0;
      const onBatch = async () => {
        if (++batches === 1) await fill(d, 60, 100_000, { prefix: 'other-client:' }); // 6 MB into 4 MiB: evictions, certain
      };
      const before = await evictedKeys(d);
      const o = { evictionSampleEveryMs: 0, onBatch };
      const { result, code } =
        which === 'migrate'
          ? await live(o).then((r) => ({ result: r.result, code: migrateExitCode(r) }))
          : await rdb(o).then((r) => ({ result: r.run.result, code: r.code }));
      const evicted = (await evictedKeys(d)) - before;
      expect(evicted).toBeGreaterThan(0);
      expect(code).toBe(1);
      expect(result.eviction).toMatchObject({ stopped: true, evictedKeys: evicted });
      expect(result.error).toMatch(
        new RegExp(
          `^${evicted} keys evicted by the target during the recovery — restored or live keys may be gone .*other clients.*stopped at the first eviction`,
        ),
      );
      expect(result.scanned).toBeLessThan(2000);
    },
  );

  it('noeviction: not refused (nothing can be evicted); writes that do not fit fail with OOM, counted, exit 1', async () => {
    await d.config('SET', 'maxmemory-policy', 'noeviction');
    await fill(s, 6000, 1000);
    const run = await live();
    expect(run.result.eviction?.refused).toBeUndefined();
    expect(run.result.failed).toBeGreaterThan(0);
    expect(run.result.error).toMatch(/OOM/);
    expect(migrateExitCode(run)).toBe(1);
    const fromFile = await rdb();
    expect(fromFile.run.result.error).toMatch(/OOM/);
    expect(fromFile.code).toBe(1);
  });

  it('maxmemory 0 (no limit) with allkeys-lru: not refused, exit 0', async () => {
    await d.config('SET', 'maxmemory', '0');
    await fill(s, 6000, 1000);
    const run = await live();
    expect(run.result).toMatchObject({ copied: 6000, eviction: { evictedKeys: 0 } });
    expect(migrateExitCode(run)).toBe(0);
  });

  it('--verify names the live keys skip kept that the target evicted since', async () => {
    // volatile-lru evicts only keys with a TTL: here just the live keys written after the incident, so which keys went is known.
    await d.config('SET', 'maxmemory-policy', 'volatile-lru');
    await d.config('SET', 'maxmemory', '0');
    await fill(s, 1000, 1000); // the recovery point, no TTLs
    await fill(d, 20, 100_000, { ttlMs: 3_600_000 }); // live keys k:0..k:19, newer than the file's
    let batches = 0;
    const { run, code } = await rdb({
      allowEviction: true,
      verify: true,
      // After the last of the 5 batches (every live key skipped by then), the target's limit drops below what it holds:
      // the next write evicts some of the live keys (about 5 of the 20).
      onBatch: async () => {
        if (++batches !== 5) return;
        const used = Number(/used_memory:(\d+)/.exec(await d.info('memory'))![1]);
        await d.config('SET', 'maxmemory', String(used - 500_000));
        await d.set('a-write-of-another-client', 'x');
        // The limit lifted again: --verify's replies take memory too and would evict more.
        await d.config('SET', 'maxmemory', '0');
      },
    });
    expect(run.result).toMatchObject({ copied: 980, skipped: 20, failed: 0 });
    const evicted = run.result.eviction!.evictedKeys;
    expect(evicted).toBeGreaterThan(0);
    expect(evicted).toBeLessThan(20);
    expect(run.verify).toMatchObject({ equal: false, keptGone: evicted, differences: evicted });
    const gone = [];
    for (let i = 0; i < 20; i++) if (!(await d.exists(`k:${i}`))) gone.push(`k:${i}`);
    expect(gone).toHaveLength(evicted);
    expect(run.verify!.keptGoneKeys.map(String).sort()).toEqual(gone.sort());
    expect(formatRdbVerify(run.verify!)).toContain(
      `live keys gone: ${evicted} keys the target held when the restore ran (--on-conflict skip kept them) are gone now — evicted, deleted or expired since`,
    );
    expect(code).toBe(1);
  });
});

describe('a Redis Cluster target: every primary is read, the estimate split per node by slot', () => {
  let source: RedisServer;
  let cluster: RedisCluster;
  let s: Redis;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    [source, cluster] = await Promise.all([startRedisServer(), startRedisCluster({ primaries: 3 })]);
    s = source.client();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-evict-cluster-'));
    // One primary of three can evict: each receives about a third of the 9 MB, which does not fit in its 4 MiB.
    await cluster.primaries[1]!.client().config('SET', 'maxmemory', String(LIMIT));
    await cluster.primaries[1]!.client().config('SET', 'maxmemory-policy', 'allkeys-lru');
    await fill(s, 9000, 1000);
    file = join(dir, 'point.rdb');
    copyFileSync(await bgsave(source, s), file);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), cluster?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('migrate and migrate --from-rdb are refused (exit 2) naming the one primary at risk, nothing written', async () => {
    const atRisk = `127.0.0.1:${cluster.primaries[1]!.port}`;
    const run = await runMigrate({ from: source.url, to: cluster.url });
    expect(migrateExitCode(run)).toBe(2);
    const live = run.result.eviction!;
    expect(live.nodes).toHaveLength(3);
    expect(live.refused).toContain(`${atRisk} (maxmemory-policy allkeys-lru`);
    expect(live.refused).toContain('split over the primaries by the slots each serves');
    for (const p of [0, 2]) expect(live.refused).not.toContain(`127.0.0.1:${cluster.primaries[p]!.port} (`);

    const o: MigrateRdbCliOptions = { fromRdb: [file], to: cluster.url };
    const fromFile = await runMigrateRdb(o, {});
    expect(migrateRdbExitCode(fromFile)).toBe(2);
    const e = fromFile.result.eviction!;
    expect(e.refused).toContain(`${atRisk} (maxmemory-policy allkeys-lru`);
    // Per slot from the file: k:0…k:8999 hash evenly over the slots, so each primary (a third of them) gets about a third.
    const total = e.nodes.reduce((sum, n) => sum + n.estimate, 0);
    for (const n of e.nodes) expect(n.estimate / total).toBeGreaterThan(0.3);
    for (const p of cluster.primaries) expect(await p.client().dbsize()).toBe(0);
  });

  it('with --match selecting a tenth of the file, migrate --from-rdb fits and runs (exit 0)', async () => {
    const o: MigrateRdbCliOptions = { fromRdb: [file], to: cluster.url, match: 'k:*0' };
    const run = await runMigrateRdb(o, {});
    expect(run.result).toMatchObject({ copied: 900, failed: 0, eviction: { evictedKeys: 0 } });
    expect(run.result.eviction!.refused).toBeUndefined();
    expect(migrateRdbExitCode(run)).toBe(0);
  });
});
