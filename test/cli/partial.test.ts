import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
// The program in the worker (test/cli/support/in-process.ts): its output and exit code, as the binary gives them.
import { inWorker as cli } from './support/in-process.js';

/**
 * The other half of the exit-code rule (docs/cli.md, "Network errors"): a
 * connection lost after the job did part of its work is a failed job, exit
 * 1, never the "nothing was done" exit 2 of a connection that could not be
 * made. The target sits behind a proxy that cuts every connection, and
 * refuses new ones, once a fixed number of bytes went through to it.
 */

/** A TCP proxy to `port` that, after `limit` bytes towards the server, closes everything and stops listening. */
async function cuttingProxy(port: number, limit: number): Promise<{ port: number; cut: () => boolean; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let forwarded = 0;
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    upstream.on('data', (d) => client.write(d));
    client.on('data', (d) => {
      // Nothing more goes through once cut (under load the client may have written the whole job by the time the cut lands).
      if (cut) return;
      upstream.write(d);
      forwarded += d.length;
      if (forwarded >= limit && !cut) {
        cut = true;
        server.close();
        // Let the bytes just written reach the server, then cut every connection.
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 50);
      }
    });
    for (const s of [client, upstream]) s.on('error', () => undefined).on('close', () => sockets.delete(s));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => cut,
    close: async () => {
      for (const s of sockets) s.destroy();
      if (!cut) await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a connection lost after part of the job: exit 1, not 2', () => {
  let src: RedisServer;
  let dst: RedisServer;
  beforeAll(async () => {
    [src, dst] = await Promise.all([startRedisServer(), startRedisServer()]);
    const c = src.client();
    const p = c.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`k:${i}`, `value-${i}-${'x'.repeat(64)}`);
    await p.exec();
  });
  afterAll(async () => {
    await Promise.all([src?.stop(), dst?.stop()]);
  });

  it('migrate: the target cut off mid-copy; keys are on the target, so the run exits 1 and says what it did', async () => {
    const proxy = await cuttingProxy(dst.port, 60_000);
    try {
      const r = await cli('migrate', '--from', src.url, '--to', `redis://127.0.0.1:${proxy.port}`, '--batch-size', '50');
      expect(proxy.cut()).toBe(true);
      const written = Number(await dst.client().dbsize());
      // Part of the job was done: keys are on the target, fewer than all.
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(3000);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(1);
      expect(`${r.stdout}${r.stderr}`).not.toContain('nothing was done');
      expect(`${r.stdout}${r.stderr}`).toMatch(/copied|did part of the job/);
    } finally {
      await proxy.close();
    }
  });
});
