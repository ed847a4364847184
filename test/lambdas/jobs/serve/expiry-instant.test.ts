/**
 * A key whose expiry is the very millisecond of the clock: Redis and Valkey hold it (db.c's keyIsExpired: gone once
 * `now > when`; rdbLoad skips a key only when `expiretime < now`), so EXISTS, GET, PTTL 0, DBSIZE, RANDOMKEY and
 * INFO keyspace count it; one millisecond later it is gone. history judges a point the same way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { frameFile } from '../../../support/rdb-newer.js';

const AT = Date.UTC(2031, 0, 1, 3, 0, 0);
let dir: string;
let path: string;
const serving: Serving[] = [];
const clients: Redis[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-instant-'));
  path = join(dir, 'instant.rdb');
  // One string key 'k' = 'v' expiring at AT (a one-key file: RANDOMKEY has nothing else to give).
  writeFileSync(path, frameFile('REDIS0010', [{ db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: AT }]));
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(serving.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function servedAt(now: number): Promise<Redis> {
  const s = await startServing({ location: path, port: 0, now: () => now });
  serving.push(s);
  const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  clients.push(c);
  return c;
}

describe('serve: a key at its expiry millisecond', () => {
  it('is there at the millisecond itself (PTTL 0), as redis-server holds it', async () => {
    const c = await servedAt(AT);
    expect({
      exists: await c.exists('k'),
      get: await c.get('k'),
      pttl: await c.pttl('k'),
      ttl: await c.ttl('k'),
      dbsize: await c.dbsize(),
      random: await c.randomkey(),
      keyspace: (await c.info('keyspace')).trim().split('\r\n')[1],
    }).toEqual({ exists: 1, get: 'v', pttl: 0, ttl: 0, dbsize: 1, random: 'k', keyspace: 'db0:keys=1,expires=1,avg_ttl=0' });
  });

  it('negative: one millisecond later it is gone', async () => {
    const c = await servedAt(AT + 1);
    expect({ exists: await c.exists('k'), get: await c.get('k'), pttl: await c.pttl('k'), dbsize: await c.dbsize(), random: await c.randomkey() }).toEqual({
      exists: 0,
      get: null,
      pttl: -2,
      dbsize: 0,
      random: null,
    });
  });
});
