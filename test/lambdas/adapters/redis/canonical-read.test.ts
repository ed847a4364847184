import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readCanonicalBatch } from '../../../../lambdas/adapters/redis/canonical-read.js';
import { scanPipe } from '../../../../lambdas/adapters/redis/dump-restore.js';
import { openPipe, type RespPipe } from '../../../../lambdas/adapters/redis/resp-pipe.js';
import { keyDigest } from '../../../../lambdas/domain/rdb/fingerprint.js';
import { seedDataset } from '../../../cli/support/dataset.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

describe('canonical reads against real servers', () => {
  let a: RedisServer;
  let b: RedisServer;
  let ca: Redis;
  let cb: Redis;
  let pa: RespPipe;
  beforeAll(async () => {
    [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    ca = a.client();
    cb = b.client();
    pa = await openPipe(ca);
  });
  afterAll(async () => {
    pa?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });
  beforeEach(async () => Promise.all([ca.flushall(), cb.flushall()]));

  it('reads canonical values that fingerprint equal across servers and insertion orders', async () => {
    const at = Date.now() + 60_000;
    await seedDataset(ca, { expireAtMs: at });
    await seedDataset(cb, { expireAtMs: at, reversed: true });
    const keys: Buffer[] = [];
    for await (const batch of scanPipe(pa)) keys.push(...batch);
    const [ra, rb] = await Promise.all([readCanonicalBatch(ca, keys), readCanonicalBatch(cb, keys)]);
    for (const [i, key] of keys.entries()) {
      expect(ra[i], String(key)).toBeDefined();
      expect(keyDigest(ra[i]!.value, ra[i]!.expireAtMs), String(key)).toEqual(keyDigest(rb[i]!.value, rb[i]!.expireAtMs));
    }
    const stream = ra[keys.findIndex((k) => String(k) === 'stream')]!.value;
    expect(stream).toMatchObject({ type: 'stream', groups: [{ name: Buffer.from('readers'), lastDeliveredId: '2-0', pending: 0 }] });
    expect(await readCanonicalBatch(ca, [Buffer.from('gone')])).toEqual([undefined]);
  });
});
