import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { connectKeyspace } from '../../../../lambdas/adapters/redis/dump-restore.js';
import { restoreRdbKeys } from '../../../../lambdas/jobs/keys/read-rdb.js';
// The program in the worker (test/cli/support/in-process.ts): its output and exit code, as the binary gives them.
import { inWorker as cli } from '../../../cli/support/in-process.js';
import { startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';
import { populate } from '../../../support/rdb-dataset.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

describe('restoreRdbKeys into a real Redis Cluster', () => {
  let source: RedisServer;
  let cluster: RedisCluster;
  let file: Buffer;
  let dir: string;
  const open = () =>
    async function* () {
      for (let at = 0; at < file.length; at += 8192) yield file.subarray(at, at + 8192);
    };
  const flush = async () => Promise.all(cluster.primaries.map((p) => p.client().flushall()));

  beforeAll(async () => {
    [source, cluster] = await Promise.all([startRedisServer({ args: ['--enable-debug-command', 'yes'] }), startRedisCluster({ primaries: 3 })]);
    const c = source.client();
    await populate(c);
    const p = c.pipeline();
    for (let i = 0; i < 2000; i++) p.set(`k:${i}`, `v${i}`, 'PX', 3_600_000 + i);
    await p.exec();
    file = readFileSync(await bgsave(source, c));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-from-rdb-cluster-'));
    writeFileSync(join(dir, 'dump.rdb'), file);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), cluster?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every key of database 0 to the shard serving its slot: compare finds the cluster equal to the source', async () => {
    await flush();
    const target = await connectKeyspace({ url: cluster.url }, 'test');
    try {
      const r = await restoreRdbKeys(open(), target, { batchSize: 250 });
      const keys = await source.client().dbsize();
      expect(r).toMatchObject({ scanned: keys, copied: keys, failed: 0, error: undefined });
      const same = await compareClients(source.client(), target, { ttlToleranceMs: 0 });
      expect(same).toMatchObject({ equal: true, keysA: keys, keysB: keys, differences: 0 });
      for (const p of cluster.primaries) expect(await p.client().dbsize()).toBeGreaterThan(0);
      expect(await cluster.client().pexpiretime('k:1999')).toBe(await source.client().pexpiretime('k:1999'));
    } finally {
      target.close();
    }
  });

  it("--functions restores the file's libraries on every primary", async () => {
    await flush();
    const target = await connectKeyspace({ url: cluster.url }, 'test');
    try {
      const r = await restoreRdbKeys(open(), target, { functions: true });
      expect(r).toMatchObject({ error: undefined, functions: { inFile: 1, restored: 3, skipped: 0, failed: 0 } });
      for (const p of cluster.primaries) expect(await p.client().call('FCALL', 'one', '0')).toBe(1);
    } finally {
      target.close();
      await Promise.all(cluster.primaries.map((p) => p.client().call('FUNCTION', 'FLUSH')));
    }
  });

  it('refuses --db other than 0 for a cluster target, before anything is written', async () => {
    await flush();
    const target = await connectKeyspace({ url: cluster.url }, 'test');
    try {
      const r = await restoreRdbKeys(open(), target, { db: 1 });
      expect(r.error).toBe('a Redis Cluster target has only database 0; --db 1 cannot be written to it');
      expect(await target.dbsize()).toBe(0);
    } finally {
      target.close();
    }
  });

  it('CLI: migrate --from-rdb into the cluster names it and exits 0', async () => {
    await flush();
    const out = await cli('migrate', '--from-rdb', join(dir, 'dump.rdb'), '--to', cluster.url, '--db', '0');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^target: Redis Cluster of 3 primaries/m);
    const target = await connectKeyspace({ url: cluster.url }, 'test');
    try {
      expect((await compareClients(source.client(), target, { ttlToleranceMs: 0 })).equal).toBe(true);
    } finally {
      target.close();
    }
  });
});
