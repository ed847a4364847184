import type Redis from 'ioredis';

/**
 * Writes one key of each type and in-memory encoding redis-server 7.0
 * persists (small and big collections, LZF strings, a PLAIN quicklist node,
 * a stream with a consumer group, a function library, keys in databases 0, 1
 * and 5, expiries), so a BGSAVE of it exercises every path of the RDB
 * verifier. The server needs `--enable-debug-command yes`.
 */
export async function populate(c: Redis): Promise<void> {
  await c.config('SET', 'rdbcompression', 'yes');
  // Elements above this size go into their own PLAIN quicklist node.
  await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000');
  await c.select(0);
  await c.set('str:int', '12345');
  await c.set('str:negint', '-7');
  await c.set('str:short', 'hello');
  await c.set('str:big', 'abcdefgh'.repeat(20_000)); // LZF-compressed
  await c.rpush('list:small', 'a', 'b', 'c');
  await c.rpush('list:big', ...Array.from({ length: 2000 }, (_, i) => `element-${i}-${'x'.repeat(40)}`));
  await c.rpush('list:plain', 'head', 'p'.repeat(5000), 'tail');
  await c.sadd('set:int', 1, 2, 3, 1_000_000);
  await c.sadd('set:small', 'a', 'b', 'c');
  await c.sadd('set:big', ...Array.from({ length: 300 }, (_, i) => `member-${i}`));
  await c.zadd('zset:small', 1, 'a', 2.5, 'b', '-inf', 'c');
  await c.zadd('zset:big', ...Array.from({ length: 300 }, (_, i) => [i / 3, `m${i}`]).flat());
  await c.hset('hash:small', 'f1', 'v1', 'f2', '2');
  await c.hset('hash:big', Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`field-${i}`, `value-${i}`])));
  for (let i = 0; i < 5; i++) await c.xadd('stream', '*', 'n', String(i), 'payload', 'y'.repeat(30));
  await c.xgroup('CREATE', 'stream', 'workers', '0');
  await c.call('XREADGROUP', 'GROUP', 'workers', 'alice', 'COUNT', '3', 'STREAMS', 'stream', '>');
  await c.call('XREADGROUP', 'GROUP', 'workers', 'bob', 'COUNT', '1', 'STREAMS', 'stream', '>');
  await c.call('FUNCTION', 'LOAD', "#!lua name=tiny\nredis.register_function('one', function() return 1 end)");
  await c.select(1);
  await c.set('db1:a', 'x');
  await c.set('db1:b', 'y', 'EX', 3600);
  await c.select(5);
  await c.set('db5:a', 'z', 'PX', 7_200_000);
  await c.hset('db5:h', 'f', 'v');
  await c.expire('db5:h', 600);
  await c.select(0);
  await c.expire('list:small', 900);
}
