import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bgsave, freePort, startRedisServer, type RedisServer } from './redis-server.js';

describe('redis-server test harness', () => {
  const servers: RedisServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('starts two servers on distinct free loopback ports and stops them', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    servers.push(a!, b!);
    expect(a!.port).not.toBe(b!.port);
    expect(a!.port).not.toBe(6379);
    await a!.client().set('only-on-a', '1');
    expect(await b!.client().exists('only-on-a')).toBe(0);
  });

  it('writes a real RDB with BGSAVE that another server loads with the same keys', async () => {
    const source = await startRedisServer();
    servers.push(source);
    const c = source.client();
    const pipeline = c.pipeline();
    for (let i = 0; i < 500; i++) pipeline.set(`k:${i}`, `value-${i}`);
    pipeline.hset('h', { a: '1', b: '2' });
    pipeline.rpush('l', 'x', 'y', 'z');
    pipeline.set('ttl', 'v', 'PX', 600_000);
    await pipeline.exec();

    const rdb = await bgsave(source, c);
    const bytes = readFileSync(rdb);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('REDIS');
    // The file passes Redis's own checker.
    const check = execFileSync('redis-check-rdb', [rdb], { encoding: 'utf8' });
    expect(check).toMatch(/RDB looks OK/);

    const restored = await startRedisServer({ loadRdb: rdb });
    servers.push(restored);
    const r = restored.client();
    expect(await r.dbsize()).toBe(503);
    expect(await r.get('k:499')).toBe('value-499');
    expect(await r.hgetall('h')).toEqual({ a: '1', b: '2' });
    expect(await r.lrange('l', 0, -1)).toEqual(['x', 'y', 'z']);
    expect(await r.pttl('ttl')).toBeGreaterThan(0);
  });

  it('requires AUTH when started with a password', async () => {
    const server = await startRedisServer({ password: 's3cret pass' });
    servers.push(server);
    expect(await server.client().ping()).toBe('PONG');
    expect(server.url).toContain(encodeURIComponent('s3cret pass'));
  });

  it("freePort gives ports below the kernel's ephemeral range, which no listen(0) of another test takes while a stopped server holds one", async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port + 10_000).toBeLessThan(low); // a cluster node's bus port too
    }
    // Each one free: bound here and given back.
    for (const port of ports.slice(0, 3)) {
      const srv = createServer();
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => srv.close(resolve));
    }
  });
});
