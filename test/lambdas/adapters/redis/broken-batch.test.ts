import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPipe, type Reply } from '../../../../lambdas/adapters/redis/resp-pipe.js';
import { RedisBatchBrokenError } from '../../../../lambdas/adapters/redis/resp-pipe.js';
import { RedisConnectionError } from '../../../../lambdas/adapters/redis/connection.js';
import { restoreBatch } from '../../../../lambdas/adapters/redis/dump-restore.js';
import { keyspaceOf, pipeRouter } from '../../../../lambdas/adapters/redis/keyspace.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/**
 * A connection that breaks while a pipelined batch is in flight: the replies
 * that came before the break are real answers and are kept; only the
 * commands after it carry the error. A batch that kills its own connection
 * midway (CLIENT KILL ID <own id> SKIPME no: Redis answers it, then closes, running
 * nothing after it) makes the break land at a known command.
 */
describe('a batch whose connection breaks midway (real redis-server)', () => {
  let server: RedisServer;
  beforeAll(async () => void (server = await startRedisServer()));
  afterAll(async () => server?.stop());

  it('RespPipe.exec rejects with the replies received before the break', async () => {
    const pipe = await openPipe(server.client());
    const id = String(await pipe.call(['CLIENT', 'ID']));
    const sent = [
      ['SET', 'p:a', '1'],
      ['SET', 'p:b', '2'],
      ['CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no'],
      ['SET', 'p:c', '3'],
    ];
    const err = await pipe
      .exec(Buffer.from(sent.map((c) => `*${c.length}\r\n${c.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`).join('')), sent.length)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisBatchBrokenError);
    expect(err).toBeInstanceOf(RedisConnectionError);
    expect((err as RedisBatchBrokenError).received.map(String)).toEqual(['OK', 'OK', '1']);
    expect(await server.client().exists('p:a', 'p:b', 'p:c')).toBe(2);
  });

  it("the router keeps the answered keys' replies; through restoreBatch, answered keys are exact and only unanswered ones are in doubt", async () => {
    const admin = server.client();
    await admin.flushall();
    await admin.set('src', 'value');
    const payload = (await admin.dumpBuffer('src'))!;
    await admin.del('src');
    const pipe = await openPipe(admin);
    const id = String(await pipe.call(['CLIENT', 'ID']));
    const router = pipeRouter(pipe);
    // Key 3 of 6 is the one whose command kills the connection: keys 0–2 are answered, 3 (the kill) and 4–5 are not restored.
    const keys = ['r:0', 'r:1', 'r:2', 'kill', 'r:4', 'r:5'].map((k) => Buffer.from(k));
    const replies: Reply[] = await router.route(keys, 1, (i, out) =>
      out.push(i === 3 ? ['CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no'] : ['RESTORE', keys[i]!, '0', payload]),
    );
    expect(replies.slice(0, 4).map(String)).toEqual(['OK', 'OK', 'OK', '1']);
    expect(replies[4]).toBeInstanceOf(RedisConnectionError);
    expect(replies[5]).toBeInstanceOf(RedisConnectionError);
    expect(await admin.dbsize()).toBe(3);

    // The same through restoreBatch on a keyspace over a fresh pipe that breaks (the server kills it) after its first answers.
    await admin.flushall();
    const killer = server.client();
    const ks = keyspaceOf(admin);
    const items = Array.from({ length: 100_000 }, (_, i) => ({ key: Buffer.from(`k:${i}`), payload, expireAtMs: null }));
    const outcomes = restoreBatch(ks, items, false);
    await new Promise((r) => setTimeout(r, 5));
    await killer.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    const done = await outcomes;
    ks.close();
    // Answered keys are exact; keys sent but unanswered may have run (the server drops a killed client's pending replies).
    const restored = done.filter((o) => o === 'restored').length;
    const unanswered = done.filter((o) => o instanceof RedisBatchBrokenError).length;
    expect(restored + unanswered).toBe(items.length);
    expect(unanswered).toBeGreaterThan(0);
    const onServer = await admin.dbsize();
    expect(onServer).toBeGreaterThanOrEqual(restored);
    expect(onServer).toBeLessThanOrEqual(restored + unanswered);
  });
});
