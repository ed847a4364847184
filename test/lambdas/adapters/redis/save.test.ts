import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSaveError, parsePersistence, saveLocally, type SaveTiming } from '../../../../lambdas/adapters/redis/save.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

const timing: SaveTiming = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), pollMs: 20, timeoutMs: 30_000 };

async function fill(c: Redis, keys: number): Promise<void> {
  const pipe = c.pipeline();
  for (let i = 0; i < keys; i++) pipe.set(`k:${i}`, `v${i}`);
  await pipe.exec();
}

async function saves(c: Redis): Promise<number> {
  return parsePersistence(String(await c.info('persistence'))).saves!;
}

describe('saveLocally (local-mode backup) against a real redis-server', () => {
  let server: RedisServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('BGSAVEs, waits for that save, and names the file the server wrote', async () => {
    server = await startRedisServer();
    const c = server.client();
    await fill(c, 100);
    const before = await saves(c);
    const saved = await saveLocally(c, timing);
    expect(saved).toMatchObject({ path: server.rdbPath, how: 'bgsave', waitedForOther: false, rdbChecksum: true });
    expect(await saves(c)).toBe(before + 1);
    expect(statSync(saved.path).size).toBeGreaterThan(100);
  });

  it('waits for a save already running and does not use it: it saves again after it', async () => {
    server = await startRedisServer();
    const c = server.client();
    await fill(c, 200);
    await c.config('SET', 'rdb-key-save-delay', '2000'); // 2 ms per key: a save of ~0.4 s
    const before = await saves(c);
    await c.bgsave();
    await c.set('written-after-the-first-save-began', '1');
    await c.config('SET', 'rdb-key-save-delay', '0');
    const saved = await saveLocally(c, timing);
    expect(saved.waitedForOther).toBe(true);
    expect(await saves(c)).toBe(before + 2);
  });

  it('uses BGSAVE SCHEDULE while an AOF rewrite runs, and waits for the scheduled save', async () => {
    server = await startRedisServer({ args: ['--appendonly', 'yes'] });
    const c = server.client();
    await fill(c, 300);
    // The rewrite lasts until the test ends it (300 keys at 0.1 s each: 30 s; its child keeps the delay it was forked with):
    // a rewrite of 0.6 s ended on a loaded machine before saveLocally's round trips reached BGSAVE, which then just saved.
    await c.config('SET', 'rdb-key-save-delay', '100000');
    await c.bgrewriteaof();
    expect(parsePersistence(String(await c.info('persistence'))).aofRewriteInProgress).toBe(true);
    const before = await saves(c);
    // Its first wait comes once BGSAVE has answered (no save was running before it).
    let polling!: () => void;
    const asked = new Promise<void>((r) => (polling = r));
    const pending = saveLocally(c, { ...timing, sleep: (ms) => (polling(), timing.sleep(ms)) });
    await asked;
    // Then the rewrite ends (turning the AOF off kills its child) and the save scheduled behind it runs, undelayed.
    await c.config('SET', 'rdb-key-save-delay', '0');
    await c.config('SET', 'appendonly', 'no');
    const saved = await pending;
    expect(saved.how).toBe('scheduled');
    expect(await saves(c)).toBe(before + 1);
  });

  it('fails naming the file when the server cannot write it (rdb_last_bgsave_status:err)', async () => {
    // The dbfilename is a directory: the rename at the end of the save fails (root can write anywhere, so no chmod trick).
    server = await startRedisServer({ args: ['--dbfilename', 'blocked.rdb'] });
    const c = server.client();
    await fill(c, 10);
    mkdirSync(join(server.dir, 'blocked.rdb'));
    const err = await saveLocally(c, timing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalSaveError);
    expect((err as Error).message).toMatch(/^BGSAVE failed \(rdb_last_bgsave_status:err\): the server could not write .*blocked\.rdb/);
  });

  it('says to use --remote when CONFIG is renamed away', async () => {
    server = await startRedisServer({ args: ['--rename-command', 'CONFIG', ''] });
    const err = await saveLocally(server.client(), timing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalSaveError);
    expect((err as Error).message).toMatch(/^CONFIG GET dir was refused .*Use --remote/);
  });

  it('times out with what it was waiting for', async () => {
    server = await startRedisServer();
    const c = server.client();
    await fill(c, 500);
    await c.config('SET', 'rdb-key-save-delay', '100000');
    await c.bgsave();
    const err = await saveLocally(c, { ...timing, timeoutMs: 300 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('timed out after 0.3 s waiting for a save that was already running to finish');
    await c.config('SET', 'rdb-key-save-delay', '0');
  });
});
