import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { runMigrateRdb } from '../../../../cli/commands/migrate/rdb-action.js';
import { connectKeyspace } from '../../../../lambdas/adapters/redis/dump-restore.js';
import { exportObjectKey, exportObjectTags } from '../../../../lambdas/domain/points/export-objects.js';
import { checkShardSet } from '../../../../lambdas/domain/keys/shard-set.js';
import { restoreRdbKeys } from '../../../../lambdas/jobs/keys/read-rdb.js';
import { inWorker } from '../../../cli/support/in-process.js';
import { pipelineOf, startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { serveObject } from '../../../support/s3-object-mock.js';

/**
 * A cluster-mode recovery point is one .rdb per shard: the BGSAVE of each
 * primary of a real 3-primary cluster, named as the export names them.
 */
describe('migrate --from-rdb: the shard files of a cluster-mode recovery point', () => {
  const name = 'rdr-orders-20261120-0300';
  let source: RedisCluster;
  let targetCluster: RedisCluster;
  let server: RedisServer;
  let dir: string;
  let files: string[];
  let slots: string[];
  let keys: number;

  const local = () => files.map((_, i) => join(dir, exportObjectKey(name, i + 1)));
  const flushTargets = async () => {
    await server.client().flushall();
    await Promise.all(targetCluster.primaries.map((p) => p.client().flushall()));
  };
  const equalToSource = async (url: string) => {
    const target = await connectKeyspace({ url }, 'test');
    const from = await connectKeyspace({ url: source.url }, 'test');
    try {
      return await compareClients(from, target, { ttlToleranceMs: 0 });
    } finally {
      target.close();
      from.close();
    }
  };

  beforeAll(async () => {
    [source, targetCluster, server] = await Promise.all([startRedisCluster({ primaries: 3 }), startRedisCluster({ primaries: 2 }), startRedisServer()]);
    const c: Cluster = source.client();
    const p = pipelineOf(c);
    const at = Date.now();
    for (let i = 0; i < 900; i++) {
      p.set(`s:${i}`, `v${i}`, 'PXAT', String(at + 3_600_000 + i));
      p.hset(`h:${i}`, 'a', String(i), 'b', 'x'.repeat(i % 70));
      p.sadd(`set:${i}`, 'a', 'b', String(i));
      p.zadd(`z:${i}`, i, 'm', -1.5, 'n');
      p.rpush(`l:${i}`, 'x', 'y', String(i));
    }
    p.xadd('stream', '1-1', 'f', 'v');
    await p.exec();
    keys = 900 * 5 + 1;
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-shards-'));
    files = [];
    for (const [i, primary] of source.primaries.entries()) {
      const path = join(dir, exportObjectKey(name, i + 1));
      copyFileSync(await bgsave(primary, primary.client()), path);
      files.push(path);
    }
    // Each primary's slot ranges, as the export's shard tag records them.
    const map = (await source.primaries[0]!.client().call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    slots = source.primaries.map((primary) =>
      map
        .filter((r) => r[2][1] === primary.port)
        .map(([a, b]) => `${a}-${b}`)
        .join(','),
    );
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), targetCluster?.stop(), server?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("every shard file into a cluster of another shape's slots: compare equal, every PEXPIRETIME exact; the progress total is the keys restored", async () => {
    await flushTargets();
    const set = checkShardSet(
      local().map((path, i) => ({ location: path, name: exportObjectKey(name, i + 1), tag: { shard: i + 1, shards: 3, slots: slots[i]! } })),
    );
    const target = await connectKeyspace({ url: targetCluster.url }, 'test');
    let total: number | undefined;
    try {
      const files = set.files.map((f) => ({ location: f.location, open: () => readChunks(f.location) }));
      const r = await restoreRdbKeys({ files, set }, target, { batchSize: 200, onStart: (t) => (total = t) });
      expect(r).toMatchObject({ error: undefined, scanned: keys, copied: keys, failed: 0 });
      expect(r.files.map((f) => f.report.ok)).toEqual([true, true, true]);
      expect(total).toBe(keys);
    } finally {
      target.close();
    }
    expect(await equalToSource(targetCluster.url)).toMatchObject({ equal: true, keysA: keys, keysB: keys });
  });

  it('CLI: a local <dir>/<export name> with --shards 3 into a single server; without --shards, or with a shard missing, refused and nothing written', async () => {
    await flushTargets();
    const ok = await inWorker('migrate', '--from-rdb', join(dir, name), '--shards', '3', '--to', server.url);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`copied ${keys}, skipped 0`);
    expect(await equalToSource(server.url)).toMatchObject({ equal: true, keysA: keys });

    await flushTargets();
    const noCount = await inWorker('migrate', '--from-rdb', join(dir, name), '--to', server.url);
    expect(noCount.status).toBe(1);
    expect(noCount.stderr).toContain('3 files without a shard count (local files carry no tags): add --shards <n>');
    const missing = await inWorker('migrate', '--from-rdb', local()[0]!, '--from-rdb', local()[2]!, '--shards', '3', '--to', server.url);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      `redis-dr migrate: the files are refused, nothing was written: the recovery point ${name} has 3 shards; shard 2 is missing: an incomplete set is refused\n`,
    );
    expect(await server.client().dbsize()).toBe(0);
    const aDirectory = await inWorker('migrate', '--from-rdb', dir, '--to', server.url);
    expect(aDirectory.status).toBe(2);
    expect(aDirectory.stderr).toContain(
      `--from-rdb ${dir}: a directory; give an .rdb file, or <dir>/<export name> for the shard files <export name>-NNNN.rdb in <dir>`,
    );
  });

  it('files that are not one recovery point (the same shard under two names) are refused by their hash slots, nothing written', async () => {
    await flushTargets();
    const other = mkdtempSync(join(tmpdir(), 'redis-dr-shards-dup-'));
    try {
      copyFileSync(local()[0]!, join(other, exportObjectKey(name, 1)));
      copyFileSync(local()[0]!, join(other, exportObjectKey(name, 2)));
      const out = await inWorker('migrate', '--from-rdb', join(other, name), '--shards', '2', '--to', server.url, '--json');
      expect(out.status).toBe(1);
      const json = JSON.parse(out.stdout);
      expect(json.error.message).toMatch(
        /^the files are refused, nothing was written: .*-0001\.rdb and .*-0002\.rdb both hold keys of hash slot \d+: they are not the shards of one recovery point$/,
      );
      // Each file is a valid RDB file: not refused as one (`refused` is for a file that is not), the run failed.
      expect([json.ok, json.error.code]).toEqual([false, 'failed']);
      expect(json).toMatchObject({ copied: 0, shards: 2 });
      expect(await server.client().dbsize()).toBe(0);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  describe('s3://bucket/<export name>: listed, tagged, read through a mocked S3', () => {
    const s3 = mockClient(S3Client);
    const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const tags = (shard: number, shards = 3) =>
      exportObjectTags({ tier: 'daily', plan: 'orders', snapshot: name, createdAt: new Date(), shard, shards, slots: slots[shard - 1] });
    const serve = (listed: number[], shards = 3) => {
      const objectKeys = listed.map((n) => exportObjectKey(name, n));
      // Another attempt of the same snapshot and an unrelated object share the prefix: neither is part of the set.
      s3.on(ListObjectsV2Command).resolves({
        Contents: [...objectKeys, exportObjectKey(`${name}-r2`, 1), `${name}-notes.txt`].map((Key) => ({ Key, Size: 1 })),
      });
      for (const n of listed) {
        serveObject(s3, { key: exportObjectKey(name, n), bytes: readFileSync(files[n - 1]!), etag: `"e${n}"`, tags: tags(n, shards) });
      }
    };
    beforeAll(() => void Object.assign(process.env, env));
    afterAll(() => {
      for (const k of Object.keys(env)) delete process.env[k];
      s3.restore();
    });
    afterEach(() => s3.reset());

    it('restores every shard the tags say the export has: compare equal', async () => {
      await flushTargets();
      serve([1, 2, 3]);
      const run = await runMigrateRdb({ fromRdb: [`s3://bucket/${name}`], to: server.url, readPartBytes: 64 * 1024 }, {});
      expect(run.result).toMatchObject({ error: undefined, copied: keys, failed: 0 });
      expect(run.set).toMatchObject({ shards: 3, exportName: name });
      expect(run.result.files.map((f) => f.location)).toEqual([1, 2, 3].map((n) => `s3://bucket/${exportObjectKey(name, n)}`));
      expect(run.source).toMatch(
        new RegExp(`^3 shard files of ${name} \\(RDB 10, written \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ by redis 7\\.0\\.\\d+, ${keys} keys in db 0\\)$`),
      );
      expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({ Bucket: 'bucket', Prefix: `${name}-` });
      expect(await equalToSource(server.url)).toMatchObject({ equal: true, keysA: keys });
    });

    it('refuses an export whose tags say 3 shards when 2 are there, and one shard given alone', async () => {
      await flushTargets();
      serve([1, 3]);
      await expect(runMigrateRdb({ fromRdb: [`s3://bucket/${name}`], to: server.url }, {})).rejects.toThrow(
        `the files are refused, nothing was written: the recovery point ${name} has 3 shards; shard 2 is missing`,
      );
      await expect(runMigrateRdb({ fromRdb: [`s3://bucket/${exportObjectKey(name, 1)}`], to: server.url }, {})).rejects.toThrow(
        `s3://bucket/${exportObjectKey(name, 1)} is shard 1 of 3 of its recovery point`,
      );
      expect(await server.client().dbsize()).toBe(0);
    });

    it('a lone untagged object (an export half finished, or read without tagging permission) is refused; untagged leftovers beside a later attempt name it', async () => {
      await flushTargets();
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: exportObjectKey(name, 1), Size: 1 }] });
      serveObject(s3, { key: exportObjectKey(name, 1), bytes: readFileSync(files[0]!), etag: '"e1"', tags: {} });
      await expect(runMigrateRdb({ fromRdb: [`s3://bucket/${name}`], to: server.url }, {})).rejects.toThrow(
        `s3://bucket/${exportObjectKey(name, 1)} is named as shard 1 of export ${name}, and nothing says how many shards that recovery point has`,
      );
      s3.on(ListObjectsV2Command).resolves({
        Contents: [exportObjectKey(name, 1), exportObjectKey(`${name}-r2`, 1), exportObjectKey(`${name}-r10`, 1)].map((Key) => ({ Key, Size: 1 })),
      });
      await expect(runMigrateRdb({ fromRdb: [`s3://bucket/${name}`], to: server.url }, {})).rejects.toThrow(
        `s3://bucket/${name} holds untagged objects of an export that was started again (${name}-r2, ${name}-r10): they are the leftovers of a half-finished attempt; give s3://bucket/${name}-r10`,
      );
      expect(await server.client().dbsize()).toBe(0);
    });

    it('a shard whose keys lie outside the slots its tag records is refused before anything is written', async () => {
      await flushTargets();
      serve([1, 2, 3]);
      // Shard 1's object now holds shard 2's keys (same tags): its keys are outside shard 1's slots.
      serveObject(s3, { key: exportObjectKey(name, 1), bytes: readFileSync(files[1]!), etag: '"swapped"', tags: tags(1) });
      const run = await runMigrateRdb({ fromRdb: [`s3://bucket/${name}`], to: server.url, readPartBytes: 64 * 1024 }, {});
      expect(run.result.error).toMatch(
        new RegExp(
          `^the files are refused, nothing was written: s3://bucket/${name}-0001\\.rdb holds a key of hash slot \\d+, outside the slots its shard served \\(${slots[0]}\\)$`,
        ),
      );
      expect(run.result.copied).toBe(0);
      expect(await server.client().dbsize()).toBe(0);
    });
  });
});

async function* readChunks(path: string): AsyncIterable<Uint8Array> {
  const data = readFileSync(path);
  for (let at = 0; at < data.length; at += 16 * 1024) yield data.subarray(at, at + 16 * 1024);
}
