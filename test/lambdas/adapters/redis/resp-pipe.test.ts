import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommands, openPipe, type Reply, type RespPipe } from '../../../../lambdas/adapters/redis/resp-pipe.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/**
 * The lean pipe's parser on replies that arrive in many socket reads: a
 * top-level array resumes at its first incomplete element (issue 54 item
 * 10: a big value read a chunk at a time), with the same replies, in order,
 * as ioredis reads.
 */
describe('RespPipe: replies in many socket reads', () => {
  let server: RedisServer;
  let pipe: RespPipe;
  const items = Array.from({ length: 3000 }, (_, i) => (i % 500 === 0 ? randomBytes(200_000) : randomBytes(1 + (i % 1500))));

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    for (let i = 0; i < items.length; i += 500) await c.rpush('list', ...items.slice(i, i + 500));
    for (let i = 0; i < 200; i++) await c.xadd('stream', `${i + 1}-0`, 'f', items[i + 1]!, 'g', String(i));
    await c.hset('hash', 'a', '1', 'b', items[1]!);
    pipe = await openPipe(c);
  });
  afterAll(async () => {
    pipe?.close();
    await server?.stop();
  });

  it('a big array (LRANGE of 3,000 items, some of 200 KB) whole and in order, between other replies, as ioredis reads it', async () => {
    const commands = [['PING'], ['LRANGE', 'list', '0', '-1'], ['HMGET', 'hash', 'a', 'nope', 'b'], ['LRANGE', 'list', '10', '12'], ['GET', 'none']];
    const replies = await pipe.exec(encodeCommands(commands), commands.length);
    expect(replies[0]).toBe('PONG');
    const list = replies[1] as Buffer[];
    expect(list.length).toBe(items.length);
    expect(list.every((b, i) => b.equals(items[i]!))).toBe(true);
    expect(replies[2]).toEqual([Buffer.from('1'), null, items[1]]);
    expect((replies[3] as Buffer[]).map((b) => b.length)).toEqual([11, 12, 13]);
    expect(replies[4]).toBeNull();
    expect(await server.client().lrangeBuffer('list', 0, -1)).toEqual(list);
  });

  it('nested arrays (XRANGE), an empty and a missing array, integers and errors inside arrays', async () => {
    const commands = [
      ['XRANGE', 'stream', '-', '+'],
      ['LRANGE', 'none', '0', '-1'],
      ['EVAL', 'return {1, redis.error_reply("bad"), "x"}', '0'],
    ];
    const replies = await pipe.exec(encodeCommands(commands), commands.length);
    const entries = replies[0] as [Buffer, Buffer[]][];
    expect(entries.length).toBe(200);
    expect(entries[199]![0].toString()).toBe('200-0');
    expect(entries[7]![1]).toEqual([Buffer.from('f'), items[8], Buffer.from('g'), Buffer.from('7')]);
    expect(replies[1]).toEqual([]);
    const mixed = replies[2] as Reply[];
    expect(mixed[0]).toBe(1);
    expect(mixed[1]).toBeInstanceOf(Error);
    expect(mixed[2]).toEqual(Buffer.from('x'));
  });

  it('many big arrays back to back, each read whole (the open array handed over, the next one started)', async () => {
    const commands = Array.from({ length: 20 }, (_, i) => ['LRANGE', 'list', String(i * 100), String(i * 100 + 149)]);
    const replies = (await pipe.exec(encodeCommands(commands), commands.length)) as Buffer[][];
    replies.forEach((r, i) => {
      expect(r.length).toBe(150);
      expect(r[0]!.equals(items[i * 100]!)).toBe(true);
      expect(r[149]!.equals(items[i * 100 + 149]!)).toBe(true);
    });
  });
});
