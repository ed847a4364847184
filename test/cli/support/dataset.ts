import type { Cluster, Redis } from 'ioredis';
import { pipelineOf } from '../../support/redis-cluster.js';

export { pipelineOf };

/**
 * A dataset with every type and encoding migrate and compare must handle,
 * keys with awkward bytes, a 1 MB value and TTLs. `reversed` inserts set
 * members and hash fields in the opposite order (same data), so hash-table
 * encodings iterate (and DUMP) differently. Returns the keys and their
 * expected OBJECT ENCODING (redis 7.0).
 */
export async function seedDataset(client: Redis | Cluster, options: { reversed?: boolean; expireAtMs?: number } = {}): Promise<Map<string, string>> {
  const order = <T>(xs: T[]): T[] => (options.reversed ? [...xs].reverse() : xs);
  const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
  const expected = new Map<string, string>();
  const p = pipelineOf(client);
  p.set('str:int', '12345'), expected.set('str:int', 'int');
  p.set('str:embstr', 'short'), expected.set('str:embstr', 'embstr');
  p.set('str:raw', 'r'.repeat(100)), expected.set('str:raw', 'raw');
  p.rpush('list:small', 'a', 'b', 'c'), expected.set('list:small', 'quicklist');
  p.rpush('list:big', ...range(300, (i) => `item-${i}-${'x'.repeat(100)}`)), expected.set('list:big', 'quicklist');
  p.sadd('set:int', ...order(['1', '2', '3'])), expected.set('set:int', 'intset');
  p.sadd('set:hashtable', ...order(range(300, (i) => `member-${i}`))), expected.set('set:hashtable', 'hashtable');
  p.zadd('zset:small', 1, 'a', 2.5, 'b', 'inf', 'c'), expected.set('zset:small', 'listpack');
  p.zadd('zset:big', ...order(range(300, (i) => String(i))).flatMap((m) => [Number(m) / 3, `m${m}`])), expected.set('zset:big', 'skiplist');
  p.hset('hash:small', ...order(['f1', 'f2', 'f3']).flatMap((f) => [f, `v-${f}`])), expected.set('hash:small', 'listpack');
  p.hset('hash:big', ...order(range(600, (i) => `field-${i}`)).flatMap((f) => [f, `value-${f}`])), expected.set('hash:big', 'hashtable');
  for (let i = 1; i <= 5; i++) p.xadd('stream', `${i}-0`, 'n', String(i), 'bytes', Buffer.from([0, 0xff, i]));
  p.xgroup('CREATE', 'stream', 'readers', '2-0'), expected.set('stream', 'stream');
  p.set(Buffer.from('key with space'), 'v'), expected.set('key with space', 'embstr');
  p.set(Buffer.from('new\nline'), 'v'), expected.set('new\nline', 'embstr');
  p.set(Buffer.from('back\\slash'), 'v'), expected.set('back\\slash', 'embstr');
  p.set(Buffer.from([0xff, 0xfe, 0x00, 0x41]), Buffer.from([0x00, 0xc3, 0x28, 0xff]));
  p.set('big:1mb', Buffer.alloc(1 << 20, 0xa5)), expected.set('big:1mb', 'raw');
  p.set('ttl:abs', 'v', 'PXAT', options.expireAtMs ?? Date.now() + 3_600_000), expected.set('ttl:abs', 'embstr');
  p.hset('ttl:hash', 'f', 'v'), expected.set('ttl:hash', 'listpack');
  p.pexpireat('ttl:hash', (options.expireAtMs ?? Date.now() + 3_600_000) + 12_345);
  const results = await p.exec();
  const failed = results?.find(([err]) => err);
  if (failed) throw failed[0];
  return expected;
}

/** The non-UTF-8 key of {@link seedDataset}. */
export const BINARY_KEY = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
