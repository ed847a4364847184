import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { singleKeyspace, type Keyspace } from '../../../../lambdas/adapters/redis/keyspace.js';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** B behind a slow link: every routed read of B starts `ms` later (the servers and their expiry are real). */
function slowKeyspace(client: Redis, ms: number): Keyspace {
  const ks = singleKeyspace(client);
  return { ...ks, route: async (keys, perKey, build) => new Promise((resolve) => setTimeout(resolve, ms)).then(() => ks.route(keys, perKey, build)) };
}

/** B read only once its server's clock is past `atMs` (polling TIME): whatever the machine's speed, keys expiring at `atMs` are gone there. */
function keyspaceReadAfter(client: Redis, atMs: number): Keyspace {
  const ks = singleKeyspace(client);
  const serverNow = async () => {
    const [s, us] = await client.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };
  return {
    ...ks,
    route: async (keys, perKey, build) => {
      while ((await serverNow()) <= atMs) await new Promise((r) => setTimeout(r, 20));
      return ks.route(keys, perKey, build);
    },
  };
}

describe('compare: keys that expire during the scan (one rule with migrate --verify: lambdas/domain/keys/expiry.ts)', () => {
  let a: RedisServer;
  let b: RedisServer;
  let ca: Redis;
  let cb: Redis;
  beforeAll(async () => {
    [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    ca = a.client();
    cb = b.client();
  });
  afterAll(async () => Promise.all([a?.stop(), b?.stop()]));
  beforeEach(async () => {
    await Promise.all([ca.flushall(), cb.flushall()]);
    for (const c of [ca, cb]) {
      const p = c.pipeline();
      for (let i = 0; i < 200; i++) p.set(`keep:${i}`, `v${i}`);
      await p.exec();
    }
  });

  it('reports EQUAL when keys with the same expiry on both sides expire between the read of A and the read of B', async () => {
    // A is read well before the expiry (3 s: 300 ms was passed before A's read on a loaded machine, and both sides were
    // read without the keys), B once its clock is past it (it was read 700 ms after the start).
    const expireAt = Date.now() + 3_000;
    for (const c of [ca, cb]) {
      const p = c.pipeline();
      for (let i = 0; i < 50; i++) p.set(`session:${i}`, 's', 'PXAT', expireAt);
      await p.exec();
    }
    const result = await compareClients(ca, keyspaceReadAfter(cb, expireAt));
    expect(Date.now()).toBeGreaterThan(expireAt);
    expect(result).toMatchObject({ equal: true, differences: 0, interrupted: false });
    expect(result.expected.expired).toBe(50);
    expect(result.expectedDiffs.every((d) => d.expected === 'expired' && d.reason === 'missing-in-b')).toBe(true);
  });

  it('a key only on B that expires within the tolerance is expected; one that lives on, or has no expiry, is a difference', async () => {
    // 'soon' still there when B is read (it expired 400 ms on, which a loaded machine's read came after: then it was
    // no key at all), its expiry within the tolerance of a minute; 'later' an hour on, past it.
    await cb.set('soon', 'x', 'PXAT', Date.now() + 30_000);
    await cb.set('later', 'x', 'PXAT', Date.now() + 3_600_000);
    await cb.set('forever', 'x');
    const result = await compareClients(ca, cb, { ttlToleranceMs: 60_000 });
    expect(result.equal).toBe(false);
    expect(result.diffs.map((d) => [d.key.toString(), d.reason]).sort()).toEqual([
      ['forever', 'missing-in-a'],
      ['later', 'missing-in-a'],
    ]);
    expect(result.expectedDiffs.map((d) => [d.key.toString(), d.expected])).toEqual([['soon', 'expired']]);
  });

  it('a key only on A without an expiry stays a difference, however slow B is', async () => {
    await ca.set('lost', 'x');
    const result = await compareClients(ca, slowKeyspace(cb, 50));
    expect(result).toMatchObject({ equal: false, differences: 1 });
    expect(result.diffs.map((d) => d.key.toString())).toEqual(['lost']);
  });
});

describe('compare: a side that refuses a read is named as the caller names it', () => {
  let a: RedisServer;
  let b: RedisServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
  });
  afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

  it("B's user without PEXPIRETIME: 'refused by B', and by 'the target' under migrate --verify's names (it said 'the source': review 46)", async () => {
    const ca = a.client();
    const admin = b.client();
    await ca.set('k', 'v');
    await admin.call('ACL', 'SETUSER', 'no-ttl', 'on', '>pw', '~*', '+@all', '-pexpiretime');
    const cb = new Redis({ port: b.port, username: 'no-ttl', password: 'pw', maxRetriesPerRequest: 0 });
    try {
      await expect(compareClients(ca, cb)).rejects.toThrow(/^PEXPIRETIME refused by B: NOPERM/);
      await expect(compareClients(ca, cb, { sides: ['the source', 'the target'] })).rejects.toThrow(/^PEXPIRETIME refused by the target: NOPERM/);
    } finally {
      for (const c of [ca, admin, cb]) c.disconnect();
    }
  });
});
