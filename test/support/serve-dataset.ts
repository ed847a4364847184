import type Redis from 'ioredis';

/** The databases {@link writeServeDataset} fills. */
export const SERVE_DATASET_DBS = [0, 1, 5];

/** Every type, compact and big encodings, binary names and values, TTLs, an expired key, three databases. */
export async function writeServeDataset(c: Redis): Promise<void> {
  const p = c.pipeline();
  p.set('str', 'hello');
  p.set('int', '12345');
  p.set('neg', '-7');
  p.set(Buffer.from([0x62, 0, 0xff]), Buffer.from([0, 0xff, 13, 10]));
  p.set('long', `${'x'.repeat(5000)}tail${'y'.repeat(5000)}`);
  p.rpush('list:small', 'a', 'b', 'c', '1', '2');
  p.rpush('list:big', ...Array.from({ length: 300 }, (_, i) => `item-${i}-${'z'.repeat(i % 50)}`));
  p.sadd('set:int', '3', '1', '2', '-5');
  p.sadd('set:small', 'x', 'y', 'z');
  p.sadd('set:big', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  p.hset('hash:small', 'f1', 'v1', 'f2', 'v2', 'n', '42');
  p.hset('hash:big', ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  p.zadd('zset:small', '1.1', 'a', '2', 'b', 'inf', 'c', '-3', 'd');
  p.zadd('zset:big', ...Array.from({ length: 200 }, (_, i) => [String(i % 7 === 0 ? i : i / 3), `m${i}`]).flat());
  p.rpush('list:dup', 'a', 'b', 'c', 'a', 'b', 'c', 'a');
  p.zadd('zset:lex', '0', 'e', '0', 'a', '0', 'c', '0', 'b', '0', 'd');
  p.set('bits', Buffer.from([0xff, 0x0f, 0xa5, 0x00, 0x81]));
  // ZSCAN answers a listpack's stored score text: integral ones in integer digits (within 64 bits).
  p.zadd('zset:intscore', '123456789012345680', 'big', '4503599627370497', 'p52', '0.1', 'tenth', '1e300', 'huge');
  p.sadd('set:other', 'y', 'z', 'w', '1');
  // Intsets iterate in order: -5 first (the smaller set's), in no other set (SINTER once stopped at such a member).
  p.sadd('set:int2', '2', '3', '9', '7', '-9');
  p.xadd('stream', '1-1', 'f', 'v');
  p.xadd('stream', '2-1', 'g', 'w', 'h', 'x');
  p.xadd('stream', '3-0', 'f', 'u');
  p.xadd('stream', '5-7', 'f', 'last');
  p.xdel('stream', '3-0');
  p.xgroup('CREATE', 'stream', 'readers', '1-1');
  for (let i = 0; i < 60; i++) p.set(`k:${i}`, String(i));
  p.set('ttl:s', 'v', 'EX', 100000);
  p.hset('ttl:h', 'a', '1');
  p.pexpire('ttl:h', 50_000_000);
  // An expiry 700 ms into its second (in 2100): EXPIRETIME rounds it to the nearest second, as TTL does.
  p.set('ttl:at', 'v');
  p.pexpireat('ttl:at', 4_102_444_800_700);
  p.set('gone', 'soon', 'PX', 1);
  p.select(1);
  p.set('db1:key', 'one');
  p.sadd('db1:set', 'a', 'b');
  p.select(5);
  p.hset('db5:h', 'a', 'b');
  p.set('str', 'in db5');
  p.select(0);
  await p.exec();
  await new Promise((r) => setTimeout(r, 20));
}

/** Streams whose consumer groups take each branch of XINFO GROUPS's entries-read and lag (Redis 7.0's streamReplyWithCGLag). */
export const STREAM_GROUP_KEYS = ['stream', 'sg:read', 'sg:emptied', 'sg:trimmed', 'sg:fresh', 'sg:head-deleted'];

/** Writes the streams of {@link STREAM_GROUP_KEYS} (but `stream`, which {@link writeServeDataset} writes). */
export async function writeStreamGroups(c: Redis): Promise<void> {
  for (let i = 1; i <= 5; i++) await c.xadd('sg:read', `${i}-0`, 'f', String(i));
  await c.xgroup('CREATE', 'sg:read', 'reading', '0');
  await c.xreadgroup('GROUP', 'reading', 'alice', 'COUNT', '2', 'STREAMS', 'sg:read', '>');
  await c.xreadgroup('GROUP', 'reading', 'bob', 'COUNT', '1', 'STREAMS', 'sg:read', '>');
  await c.xgroup('CREATE', 'sg:read', 'at-end', '$');
  await c.xgroup('CREATE', 'sg:read', 'at-start', '0');
  await c.xgroup('CREATE', 'sg:read', 'mid', '3-0');
  await c.xdel('sg:read', '4-0');
  for (let i = 1; i <= 3; i++) await c.xadd('sg:emptied', `${i}-0`, 'f', 'v');
  await c.xgroup('CREATE', 'sg:emptied', 'g', '0');
  await c.xdel('sg:emptied', '1-0', '2-0', '3-0');
  for (let i = 1; i <= 6; i++) await c.xadd('sg:trimmed', `${i}-0`, 'f', 'v');
  await c.xtrim('sg:trimmed', 'MAXLEN', 2);
  await c.xgroup('CREATE', 'sg:trimmed', 'before', '0');
  await c.xgroup('CREATE', 'sg:trimmed', 'first', '5-0');
  await c.xreadgroup('GROUP', 'before', 'c', 'COUNT', '1', 'STREAMS', 'sg:trimmed', '>');
  await c.xgroup('CREATE', 'sg:fresh', 'g', '$', 'MKSTREAM');
  // The newest deletion before the first entry (consumed entries deleted from the head): no tombstone ahead of any group.
  for (let i = 1; i <= 4; i++) await c.xadd('sg:head-deleted', `${i}-0`, 'f', 'v');
  await c.xgroup('CREATE', 'sg:head-deleted', 'g', '0', 'ENTRIESREAD', '0');
  await c.xgroup('CREATE', 'sg:head-deleted', 'h', '2-0', 'ENTRIESREAD', '2');
  await c.xdel('sg:head-deleted', '1-0', '2-0');
  // XPENDING's cases: entries of two consumers, one claimed (two deliveries), a consumer holding none.
  for (let i = 1; i <= 4; i++) await c.xadd('sg:pending', `${i}-0`, 'f', String(i));
  await c.xgroup('CREATE', 'sg:pending', 'g', '0');
  await c.xgroup('CREATE', 'sg:pending', 'none', '0');
  await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 'sg:pending', '>');
  await c.xreadgroup('GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', 'sg:pending', '>');
  await c.call('XGROUP', 'CREATECONSUMER', 'sg:pending', 'g', 'idle-one');
  await c.xclaim('sg:pending', 'g', 'bob', 0, '1-0');
}
