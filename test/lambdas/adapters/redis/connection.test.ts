import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { countKeys, readExpected, sampleKeys, scanHistogram } from '../../../../lambdas/adapters/redis/drill-scan.js';
import { createRedisConnection, primaries, RedisConnectionError, ScanTimeoutError, type RedisClient } from '../../../../lambdas/adapters/redis/connection.js';
import { closedLoopbackPort } from '../../../support/closed-port.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** Real redis-server processes; never a mocked Redis. */

/** Servers and clients a test opened, closed after the file. */
const opened: { close(): unknown }[] = [];
afterAll(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});
async function started(options?: Parameters<typeof startRedisServer>[0]): Promise<RedisServer> {
  const server = await startRedisServer(options);
  opened.push({ close: () => server.stop() });
  return server;
}
async function connected(options: Parameters<typeof createRedisConnection>[0]): Promise<RedisClient> {
  const client = await createRedisConnection(options);
  opened.push({ close: () => client.disconnect() });
  return client;
}

const plain = (server: RedisServer, extra: object = {}) => ({ host: server.host, port: server.port, tls: false, clusterMode: 'disabled' as const, ...extra });

describe('redis adapter on a server with several types, expiries and two databases', () => {
  let server: RedisServer;
  let client: RedisClient;
  const binaryKey = Buffer.from([0xff, 0x00, 0xfe, 0x0a, 0x0d]);

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    const p = c.pipeline();
    for (let i = 0; i < 1500; i++) p.set(`s:${i}`, `v${i}`);
    for (let i = 0; i < 200; i++) p.hset(`h:${i}`, 'f', 'v');
    for (let i = 0; i < 100; i++) p.rpush(`l:${i}`, 'a', 'b');
    for (let i = 0; i < 50; i++) p.sadd(`set:${i}`, 'a');
    for (let i = 0; i < 50; i++) p.zadd(`z:${i}`, 1, 'a');
    p.xadd('stream', '*', 'f', 'v');
    for (let i = 0; i < 30; i++) p.set(`ttl:${i}`, 'x', 'EX', 3600);
    p.set(binaryKey, 'binary');
    p.set('k'.repeat(100_000), 'a key longer than a socket chunk');
    p.set('redis-dr:canary', 'canary-1');
    p.hset('not-a-string', 'f', 'v');
    p.select(3);
    for (let i = 0; i < 20; i++) p.set(`db3:${i}`, 'x');
    p.select(0);
    await p.exec();
    client = await createRedisConnection(plain(server));
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  // 1500 + 30 + binary + long + canary strings; 200 + 1 hashes; db3: 20 strings
  const byType = { string: 1500 + 30 + 3 + 20, hash: 201, list: 100, set: 50, zset: 50, stream: 1 };
  const total = Object.values(byType).reduce((a, n) => a + n, 0);

  it('counts keys over every database', async () => {
    expect(await countKeys(client)).toBe(total);
  });

  it.each([10, 1000, 5000])('scans every database with COUNT %d: types, TTLs, binary and long keys', async (count) => {
    const found = await scanHistogram(client, { count });
    expect(found).toEqual({ keys: total, byType, volatile: 30, vanished: 0, ttlProblems: 0 });
  });

  it('leaves the ioredis client on database 0', async () => {
    await scanHistogram(client);
    expect(await client.get('redis-dr:canary')).toBe('canary-1');
  });

  it('fails with ScanTimeoutError when the scan exceeds its time limit', async () => {
    let t = 0;
    const now = () => (t += 1000); // every reading is a second later
    await expect(scanHistogram(client, { count: 100, maxSeconds: 5, now })).rejects.toThrow(ScanTimeoutError);
    await expect(scanHistogram(client, { count: 100, maxSeconds: 5, now })).rejects.toThrow(/did not finish within 5 s/);
  });

  it('samples across databases in proportion to their keys', async () => {
    const samples = await sampleKeys(client, 50);
    expect(samples).toHaveLength(50);
    for (const s of samples) {
      expect(Object.keys(byType)).toContain(s.type);
      expect(s.pttl === -1 || s.pttl > 0).toBe(true);
    }
  });

  it('reads the canary, existence and string values, naming a wrong type', async () => {
    const read = await readExpected(client, ['s:1', 'absent', 'h:1'], ['s:2', 'absent', 'not-a-string']);
    expect(read).toEqual({
      canary: 'canary-1',
      exists: [true, false, true],
      values: { 's:2': { kind: 'value', value: 'v2' }, absent: { kind: 'missing' }, 'not-a-string': { kind: 'wrong-type', type: 'hash' } },
    });
  });
});

describe('redis adapter: keys expiring during the scan', () => {
  it('counts the keys that stay and never fails on those that go', async () => {
    const server = await started();
    const c = server.client();
    const p = c.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`stay:${i}`, 'x');
    for (let i = 0; i < 3000; i++) p.set(`go:${i}`, 'x', 'PX', 1 + (i % 60));
    await p.exec();
    const client = await connected(plain(server));
    const found = await scanHistogram(client, { count: 10 }); // small batches: the scan outlives many keys
    expect(found.byType.string).toBeGreaterThanOrEqual(3000);
    expect(found.keys).toBeLessThanOrEqual(6000);
    expect(found.ttlProblems).toBe(0);
    expect(found.volatile).toBe(found.keys - 3000);
  });
});

describe('redis adapter: authentication', () => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer({ password: 'token-secret' });
    admin = server.client();
    await admin.set('a', '1');
    await admin.call(
      'ACL',
      'SETUSER',
      'drill',
      'on',
      '>drill-secret',
      '~*',
      '&*',
      'nocommands',
      '+@read',
      '+@connection',
      '+info',
      '+select',
      '+scan',
      '+type',
      '+pttl',
      '+randomkey',
    );
  });
  afterAll(async () => server?.stop());

  it('connects with the AUTH token', async () => {
    const c = await createRedisConnection(plain(server, { password: 'token-secret' }));
    expect(await countKeys(c)).toBe(1);
    expect((await scanHistogram(c)).keys).toBe(1);
    c.disconnect();
  });

  it('connects as an RBAC user with read-only rights and scans', async () => {
    const c = await createRedisConnection(plain(server, { username: 'drill', password: 'drill-secret' }));
    expect((await scanHistogram(c)).byType).toEqual({ string: 1 });
    expect(await sampleKeys(c, 2)).toEqual([
      { type: 'string', pttl: -1 },
      { type: 'string', pttl: -1 },
    ]);
    c.disconnect();
  });

  it('connects as a user without +info and prints nothing (no ioredis ready-check warning with a web link)', async () => {
    await admin.call('ACL', 'SETUSER', 'lean', 'on', '>lean-secret', 'nocommands', '+ping', '+client|setname');
    const warned: unknown[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warned.push(args));
    try {
      const c = await createRedisConnection(plain(server, { username: 'lean', password: 'lean-secret' }));
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
    } finally {
      warn.mockRestore();
    }
    expect(warned).toEqual([]);
  });

  it.each([
    ['a wrong token', { password: 'nope' }, /could not connect to redis at 127\.0\.0\.1:\d+ \(plain TCP\): WRONGPASS/],
    ['no token', {}, /could not connect to redis at 127\.0\.0\.1:\d+ \(plain TCP\): NOAUTH/],
    ['a wrong RBAC password', { username: 'drill', password: 'nope' }, /as drill: WRONGPASS/],
  ])('refuses %s with a clear error that never shows the password', async (_, creds, message) => {
    const err = await createRedisConnection(plain(server, creds)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisConnectionError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('nope');
  });
});

describe('redis adapter: unreachable endpoint', () => {
  it('fails fast naming the endpoint', async () => {
    const port = await closedLoopbackPort(); // never a port another test's listen(0) is given meanwhile
    // Fast: at the refusal, not at a timeout (this one is past the test's own); a 2 s bound on the call failed when the
    // worker was descheduled for 2 s.
    const err = await createRedisConnection({ host: '127.0.0.1', port, tls: false, clusterMode: 'disabled', connectTimeoutMs: 600_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisConnectionError);
    expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} \\(plain TCP\\): .*ECONNREFUSED`));
  });
});

describe('redis adapter: cluster mode', () => {
  it('scans and counts through every primary (a one-node cluster)', async () => {
    const server = await started({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1'] });
    const admin = server.client();
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    for (let i = 0; i < 100 && !/cluster_state:ok/.test((await admin.call('CLUSTER', 'INFO')) as string); i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 50; i++) await admin.set(`{k}${i}`, 'x');
    await admin.hset('h', 'f', 'v');
    const client = await connected({ ...plain(server), clusterMode: 'enabled' });
    expect(primaries(client)).toHaveLength(1);
    expect(await countKeys(client)).toBe(51);
    expect(await scanHistogram(client)).toMatchObject({ keys: 51, byType: { string: 50, hash: 1 } });
    expect(await readExpected(client, ['h'], ['{k}1'])).toMatchObject({ exists: [true], values: { '{k}1': { kind: 'value', value: 'x' } } });
    expect(await sampleKeys(client, 3)).toHaveLength(3);
  });
});
