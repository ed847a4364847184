/**
 * LLEN, HLEN, SCARD, ZCARD and XLEN of a value over proto-max-bulk-len are answered from the bytes the file stores
 * for it, read in ranges within the limit (stored-count.ts), as the server that held it answers them; every other
 * read of it is still refused. The limit lowered to 1,000 bytes (`maxValueBytes`, the CLI's --proto-max-bulk-len)
 * on a file a real redis-server wrote, of each encoding it writes at those sizes: quicklist (plain and
 * LZF-compressed nodes, list-compress-depth 1), hash table, set hash table, skiplist, stream (its nodes' listpacks
 * LZF-compressed, some entries deleted).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { RawClient } from '../../../support/resp-raw.js';
import { startRedisServer } from '../../../support/redis-server.js';

const LIMIT = 1000;
let dir: string;
let serving: Serving;
let raw: RawClient;
/** The counts the real server answered, and each value's encoding there. */
const real = new Map<string, string>();
const COUNTS: [string, string][] = [
  ['LLEN', 'list:big'],
  ['LLEN', 'list:one-node'],
  ['HLEN', 'hash:big'],
  ['SCARD', 'set:big'],
  ['SCARD', 'set:ints'],
  ['ZCARD', 'zset:big'],
  ['XLEN', 'stream:big'],
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-counts-'));
  // Nodes of 64 elements, the inner ones LZF-compressed: a list of many nodes, some compressed.
  const server = await startRedisServer({ args: ['--list-compress-depth', '1', '--hash-max-listpack-entries', '128', '--list-max-listpack-size', '64'] });
  const c = server.client();
  const p = c.pipeline();
  for (let i = 0; i < 3000; i++) p.rpush('list:big', `item-${i}-${'x'.repeat(i % 17)}`);
  p.rpush('list:one-node', ...Array.from({ length: 60 }, () => randomBytes(20)));
  for (let i = 0; i < 300; i++) p.hset('hash:big', `field:${i}`, `value:${i}`);
  for (let i = 0; i < 400; i++) p.sadd('set:big', `member:${i}`);
  for (let i = 0; i < 700; i++) p.sadd('set:ints', i * 7919);
  for (let i = 0; i < 200; i++) p.zadd('zset:big', i / 3, `m:${i}`);
  for (let i = 1; i <= 450; i++) p.xadd('stream:big', `${i}-1`, 'sensor', 'temperature', 'reading', String(i % 10));
  p.xdel('stream:big', '5-1', '6-1', '300-1');
  await p.exec();
  for (const [cmd, key] of COUNTS) {
    const n = (await c.call(cmd, key)) as number;
    real.set(key, `:${n}\r\n`);
    real.set(`${key} encoding`, (await c.call('OBJECT', 'ENCODING', key)) as string);
  }
  await c.save();
  copyFileSync(server.rdbPath, join(dir, 'point.rdb'));
  c.disconnect();
  await server.stop();
  serving = await startServing({ location: join(dir, 'point.rdb'), port: 0, maxValueBytes: LIMIT });
  raw = await RawClient.open(serving.port);
}, 60_000);

afterAll(async () => {
  raw?.close();
  await serving?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve: counts of a value over proto-max-bulk-len', () => {
  it('the values are of each encoding, each over the limit: their reads are refused', async () => {
    expect(COUNTS.map(([, key]) => real.get(`${key} encoding`))).toEqual([
      'quicklist',
      'quicklist',
      'hashtable',
      'hashtable',
      'hashtable',
      'skiplist',
      'stream',
    ]);
    for (const [, key] of COUNTS) expect(await raw.call('DUMP', key)).toMatch(new RegExp(`^-ERR .*"${key}" takes \\d+ bytes, more than the 1000`));
    expect(await raw.call('LRANGE', 'list:big', '0', '0')).toMatch(/^-ERR redis-dr serve could not answer LRANGE: the value of "list:big" takes/);
    expect(await raw.call('HGET', 'hash:big', 'field:1')).toMatch(/^-ERR .*"hash:big" takes/);
    expect(await raw.call('XRANGE', 'stream:big', '-', '+', 'COUNT', '1')).toMatch(/^-ERR .*"stream:big" takes/);
  });

  it('answers LLEN, HLEN, SCARD, ZCARD and XLEN as the server did, from the stored bytes in ranges within the limit', async () => {
    for (const [cmd, key] of COUNTS) expect(`${cmd} ${key} ${await raw.call(cmd, key)}`).toBe(`${cmd} ${key} ${real.get(key)}`);
    expect(real.get('list:big')).toBe(':3000\r\n');
    expect(real.get('stream:big')).toBe(':447\r\n');
  });

  it('a wrong type and a missing key answer as before', async () => {
    expect(await raw.call('LLEN', 'hash:big')).toMatch(/^-WRONGTYPE/);
    expect(await raw.call('XLEN', 'set:big')).toMatch(/^-WRONGTYPE/);
    expect(await raw.call('ZCARD', 'nothing')).toBe(':0\r\n');
  });
});
