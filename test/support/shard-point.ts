import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { exportObjectKey } from '../../lambdas/domain/points/export-objects.js';
import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { frameFile, listpack } from './rdb-newer.js';
import { pipelineOf, startRedisCluster } from './redis-cluster.js';
import { bgsave } from './redis-server.js';

/** A cluster-mode recovery point on the disk: one real RDB file per shard, named as the export names them. */
export interface ShardPoint {
  /** The folder holding the shard files. */
  readonly dir: string;
  readonly name: string;
  /** The shard files, in shard order. */
  readonly files: readonly string[];
  /** Keys per shard file, in shard order. */
  readonly keys: readonly number[];
  /** Each shard's slot ranges (`0-5460`), as the export's shard tag records them. */
  readonly slots: readonly string[];
}

/**
 * The BGSAVE of each primary of a real 3-primary redis-server 7.0 cluster, in a folder of its own: strings with
 * expiries, and the types a Redis 7.0 writes in forms RDB 9 lacks (listpack hashes and zsets, quicklist 2 lists) and
 * in forms it has (intsets, a stream of type 19): for redis-6.2 some keys are copied as they are, others re-encoded.
 */
export async function shardPoint(name: string, perType = 300): Promise<ShardPoint> {
  const cluster = await startRedisCluster({ primaries: 3 });
  try {
    const c: Cluster = cluster.client();
    const p = pipelineOf(c);
    const at = Date.now();
    for (let i = 0; i < perType; i++) {
      p.set(`s:${i}`, `v${i}`, 'PXAT', String(at + 3_600_000 + i));
      p.hset(`h:${i}`, 'a', String(i), 'b', 'x'.repeat(i % 70));
      p.sadd(`set:${i}`, '1', '2', String(i + 3));
      p.zadd(`z:${i}`, i, 'm', -1.5, 'n');
      p.rpush(`l:${i}`, 'x', 'y', String(i));
    }
    p.xadd('stream', '1-1', 'f', 'v');
    await p.exec();
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-point-'));
    const files: string[] = [];
    const keys: number[] = [];
    for (const [i, primary] of cluster.primaries.entries()) {
      const path = join(dir, exportObjectKey(name, i + 1));
      const client = primary.client();
      keys.push(await client.dbsize());
      copyFileSync(await bgsave(primary, client), path);
      files.push(path);
    }
    const map = (await cluster.primaries[0]!.client().call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const slots = cluster.primaries.map((primary) =>
      map
        .filter((r) => r[2][1] === primary.port)
        .map(([a, b]) => `${a}-${b}`)
        .join(','),
    );
    return { dir, name, files, keys, slots };
  } finally {
    await cluster.stop();
  }
}

/**
 * A REDIS0011 file of `count` type 20 (listpack) sets named `<prefix><i>`: re-encoded for redis-6.2. A prefix with a
 * hash tag (`{s1}:`) puts every key in one slot: the files of several such prefixes are the shards of one point.
 */
export function listpackSets(prefix: string, count: number): Buffer {
  const lp = listpack(['a', 'b', 7]);
  const object = Buffer.from([lp.length, ...lp]);
  // The header and AUX fields as frameFile writes them, database 0 selected; the keys; the end and its CRC-64.
  const head = frameFile('REDIS0011', [{ db: 0, name: `${prefix}0`, type: 20, object, expireAtMs: null }]);
  const start = head.subarray(0, head.length - 9);
  // Written into one buffer of the file's size: a Buffer per key's type and length, name and object (1,500,000 keys
  // for a test's three shards) cost 2.5 CPU-s, most of it collecting them.
  let size = start.length + 1 + 8;
  for (let i = 1; i < count; i++) size += 2 + Buffer.byteLength(`${prefix}${i}`) + object.length;
  const file = Buffer.allocUnsafe(size);
  let at = start.copy(file, 0);
  for (let i = 1; i < count; i++) {
    // The type, then the name's length in one byte (the names are short) and the name.
    const length = file.write(`${prefix}${i}`, at + 2);
    file[at] = 20;
    file[at + 1] = length;
    at += 2 + length;
    at += object.copy(file, at);
  }
  file[at++] = 0xff;
  new Crc64().update(file.subarray(0, at)).writeLittleEndian(file, at);
  return file;
}
