/**
 * A sorted set stored as a skiplist whose score is -0, as the server that loads the point holds it: 7.0.15 loads a small
 * one into a listpack, which holds the score as 0 (ZSCORE 0), and keeps a big one a skiplist (-0). serve answers as that
 * server does, and its DUMP is the value as held, so compare of the file against that server is EQUAL (it said
 * DIFFERENT: review 46).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inWorker } from '../../../cli/support/in-process.js';
import { serveBeside, type ServedBeside } from '../../../support/serve-parity.js';

let point: ServedBeside;

beforeAll(async () => {
  // Every sorted set written as a skiplist (the file's type 5); the loading server's defaults decide what it holds.
  point = await serveBeside(
    async (c) => {
      await c.zadd('z:one', '-0', 'm');
      await c.zadd('z:two', '-0', 'a', '1', 'b', '0', 'c');
      await c.zadd('z:long', '-0', 'm'.repeat(100)); // a member over 64 bytes: a skiplist when loaded
      await c.zadd('z:big', ...Array.from({ length: 200 }, (_, i) => [i === 7 ? '-0' : String(i + 1), `m${i}`]).flat()); // over 128
    },
    ['--zset-max-listpack-entries', '0'],
  );
}, 60_000);

afterAll(async () => {
  await point?.close();
});

describe('a -0 score of a sorted set stored as a skiplist', () => {
  it('answered as the loading server holds it: 0 in a small one (loaded into a listpack), -0 in a big or long-membered one', async () => {
    await point.compare([
      ['OBJECT', 'ENCODING', 'z:one'],
      ['ZSCORE', 'z:one', 'm'],
      ['ZRANGE', 'z:two', '0', '-1', 'WITHSCORES'],
      ['ZMSCORE', 'z:two', 'a', 'c'],
      ['OBJECT', 'ENCODING', 'z:long'],
      ['ZSCORE', 'z:long', 'm'.repeat(100)],
      ['OBJECT', 'ENCODING', 'z:big'],
      ['ZSCORE', 'z:big', 'm7'],
      ['ZRANGEBYSCORE', 'z:big', '-1', '0', 'WITHSCORES'],
    ]);
    // Negative: the file itself holds -0 (the writer's answer), so the equalities above are not vacuous.
    const writer = point.writer.client();
    try {
      expect(await writer.zscore('z:one', 'm')).toBe('-0');
    } finally {
      writer.disconnect();
    }
  });

  it('compare of the file against the server that loaded it: EQUAL', async () => {
    const r = await inWorker('compare', '--a', point.file, '--b', `redis://127.0.0.1:${point.reference.port}`);
    expect(r.stdout).toMatch(/^EQUAL: 4 keys of A match B/);
    expect(r.status).toBe(0);
  });
});
