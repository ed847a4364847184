import Redis from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { serverAofState } from '../../../../lambdas/adapters/storage/aof-dir.js';
import { startAofServer } from '../../../support/aof.js';
import type { RedisServer } from '../../../support/redis-server.js';

/**
 * `ship-aof --redis`'s read of the server's AOF state (serverAofState), against a real redis-server 7: INFO persistence
 * and CONFIG GET aof-timestamp-enabled answered at one moment (one MULTI/EXEC), and a server that refuses CONFIG.
 */

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});

async function server(args: string[] = []): Promise<RedisServer> {
  const s = await startAofServer({ args });
  cleanup.push(() => s.stop());
  return s;
}

describe('serverAofState', () => {
  it('reads INFO persistence and CONFIG GET in one MULTI/EXEC (MONITOR sees the INFO between MULTI and EXEC)', async () => {
    const s = await server(['--aof-timestamp-enabled', 'yes']);
    const state = serverAofState(async () => s.client());
    cleanup.push(() => state.close());
    const marker = s.client();
    cleanup.push(() => marker.disconnect());
    await marker.ping();
    // A first read connects (the client's own INFO, its ready check, goes before): the second is the one watched.
    expect(await state.read()).toEqual({ aofEnabled: true, timestampsEnabled: true });
    const monitor = await s.client().monitor();
    cleanup.push(() => monitor.disconnect());
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(String(args[0]).toLowerCase()));
    expect(await state.read()).toEqual({ aofEnabled: true, timestampsEnabled: true });
    // MONITOR's feed is asynchronous: a PING after the read, on a client of its own, marks where the read's commands end.
    await marker.ping();
    const deadline = Date.now() + 5_000;
    while (!seen.includes('ping') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // MONITOR does not show CONFIG (an admin command), only what surrounds it: the INFO, inside the transaction.
    const read = seen.slice(0, seen.indexOf('ping'));
    expect(read).toEqual(['multi', 'info', 'exec']);
  });

  it('follows the server: timestamps off, then AOF off', async () => {
    const s = await server(['--aof-timestamp-enabled', 'no']);
    const c = s.client();
    cleanup.push(() => c.disconnect());
    const state = serverAofState(async () => s.client());
    cleanup.push(() => state.close());
    expect(await state.read()).toEqual({ aofEnabled: true, timestampsEnabled: false });
    await c.config('SET', 'appendonly', 'no');
    expect(await state.read()).toEqual({ aofEnabled: false, timestampsEnabled: false });
  });

  it('a user the server refuses CONFIG (an ACL without it: EXECABORT): the INFO alone, timestamps unknown, no failure', async () => {
    const s = await server();
    const admin = s.client();
    cleanup.push(() => admin.disconnect());
    await admin.call('ACL', 'SETUSER', 'shipper', 'on', '>shipper-pass', '~*', '+@all', '-config');
    const connect = async () => new Redis({ host: '127.0.0.1', port: s.port, username: 'shipper', password: 'shipper-pass', lazyConnect: false });
    // The refusal itself, as the server gives it: the whole transaction discarded.
    const probe = await connect();
    cleanup.push(() => probe.disconnect());
    await expect(probe.multi().info('persistence').call('CONFIG', 'GET', 'aof-timestamp-enabled').exec()).rejects.toThrow(/^EXECABORT/);
    const state = serverAofState(connect);
    cleanup.push(() => state.close());
    expect(await state.read()).toEqual({ aofEnabled: true });
    await admin.config('SET', 'appendonly', 'no');
    expect(await state.read()).toEqual({ aofEnabled: false });
  });
});
