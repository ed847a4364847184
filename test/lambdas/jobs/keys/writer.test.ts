import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectKeyspace } from '../../../../lambdas/adapters/redis/dump-restore.js';
import { keyspaceOf, type Keyspace } from '../../../../lambdas/adapters/redis/keyspace.js';
import type { KeyCopyOptions } from '../../../../lambdas/domain/keys/key-copy.js';
import { dumpPayload } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { KeyWriter, WRITES_IN_FLIGHT, type GoneKey, type WriteKey } from '../../../../lambdas/jobs/keys/writer.js';
import { startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/**
 * The one key writer of migrate and migrate --from-rdb, driven directly
 * against real redis-servers. Faults are made where they happen: the
 * target paused (CLIENT PAUSE WRITE holds every RESTORE unanswered), its
 * connections killed, a key written by someone else between the writer's
 * EXISTS and its RESTORE, a target that evicts.
 */
describe('KeyWriter: RESTORE … ABSTTL batches into a real redis-server', () => {
  let server: RedisServer;
  let admin: Redis;
  let target: Keyspace;
  /** A string value's DUMP payload (from the server itself). */
  let payload: Buffer;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = server.client();
    await admin.set('seed', 'value');
    payload = (await admin.dumpBuffer('seed'))!;
  });
  afterAll(async () => server?.stop());
  beforeEach(async () => {
    await admin.call('CLIENT', 'UNPAUSE');
    await admin.flushall();
    await admin.config('SET', 'maxmemory', '0');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    target = keyspaceOf(server.client());
  });

  const batch = (prefix: string, n: number, expireAtMs: number | null = null): WriteKey[] =>
    Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`${prefix}:${i}`), payload, expireAtMs }));
  const writer = (options: KeyCopyOptions = {}) => new KeyWriter(target, options);
  /** Until the server holds a client whose command waits out the pause (INFO clients counts it as blocked). */
  const untilPausedWrite = async () => {
    for (let i = 0; i < 500; i++) {
      if (/blocked_clients:[1-9]/.test(await admin.info('clients'))) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no RESTORE reached the paused server');
  };

  it('writes each key with its absolute expiry; gone keys and keys past their expiry are counted as expired, not written', async () => {
    const at = Date.now() + 3_600_000;
    const w = writer();
    const window = w.window();
    const gone: GoneKey = { key: Buffer.from('gone'), gone: true };
    const past: WriteKey = { key: Buffer.from('past'), payload, expireAtMs: Date.now() - 1 };
    expect(await window.write([...batch('k', 3, at), gone, past, { key: Buffer.from('forever'), payload, expireAtMs: null }])).toBe(true);
    await window.drain();
    expect(w.counts).toEqual({ scanned: 0, copied: 4, skipped: 0, expired: 2, failed: 0, replaced: 0, replaceUnchecked: 0 });
    expect(await admin.pexpiretime('k:0')).toBe(at);
    expect(await admin.pexpiretime('forever')).toBe(-1);
    expect(await admin.exists('gone', 'past')).toBe(0);
    expect(await w.finish()).toBeUndefined();
    expect(w.error).toBeUndefined();
  });

  it('skip leaves the keys the target holds and remembers them only when asked; replace overwrites them, counting those it overwrote', async () => {
    await admin.set('k:1', 'written since the incident');
    for (const rememberSkipped of [false, true]) {
      const w = writer({ rememberSkipped });
      const window = w.window();
      await window.write(batch('k', 3));
      await window.drain();
      expect(w.counts).toMatchObject({ copied: rememberSkipped ? 0 : 2, skipped: rememberSkipped ? 3 : 1, failed: 0 });
      expect([...w.skippedKeys]).toEqual(rememberSkipped ? ['k:0', 'k:1', 'k:2'] : []);
    }
    expect(await admin.get('k:1')).toBe('written since the incident');
    await admin.del('k:0', 'k:2');
    const w = writer({ onConflict: 'replace' });
    const window = w.window();
    await window.write(batch('k', 3));
    await window.drain();
    // k:1 was the target's (written since the incident): the one key overwritten.
    expect(w.counts).toMatchObject({ copied: 3, skipped: 0, replaced: 1, replaceUnchecked: 0 });
    expect(await admin.get('k:1')).toBe('value');
    // Again: all three are there now, all three overwritten.
    const again = writer({ onConflict: 'replace' });
    const next = again.window();
    await next.write(batch('k', 3));
    await next.drain();
    expect(again.counts).toMatchObject({ copied: 3, replaced: 3 });
  });

  it('replace: a user the target refuses EXISTS to still restores, those keys counted as not told apart', async () => {
    await admin.call('ACL', 'SETUSER', 'noexists', 'on', '>pw', '~*', '+@all', '-exists');
    const limited = new Redis({ port: server.port, username: 'noexists', password: 'pw' });
    try {
      await admin.set('k:0', 'theirs');
      const w = new KeyWriter(keyspaceOf(limited), { onConflict: 'replace' });
      const window = w.window();
      await window.write(batch('k', 2));
      await window.drain();
      expect(w.error).toBeUndefined();
      expect(w.counts).toMatchObject({ copied: 2, replaced: 0, replaceUnchecked: 2, failed: 0 });
      expect(await admin.get('k:0')).toBe('value');
    } finally {
      limited.disconnect();
      await admin.call('ACL', 'DELUSER', 'noexists');
    }
  });

  it('fail stops before writing a batch that holds a key the target has, naming it', async () => {
    await admin.set('k:2', 'theirs');
    const w = writer({ onConflict: 'fail' });
    const window = w.window();
    expect(await window.write(batch('a', 3))).toBe(true);
    expect(await window.write(batch('k', 3))).toBe(false);
    await window.drain();
    expect(w.error).toBe('k:2 already exists on the target (--on-conflict fail): stopped before writing its batch');
    expect(w.conflict).toEqual(Buffer.from('k:2'));
    expect(w.counts).toMatchObject({ copied: 3, skipped: 0 });
    expect(await admin.exists('k:0', 'k:1')).toBe(0);
  });

  it('fail: a key written between the EXISTS check and the RESTORE still stops the run, and the rest of its batch is counted', async () => {
    // The target as the writer sees it, with someone else's SET landing right after the writer's EXISTS.
    let injected = false;
    const racing: Keyspace = {
      ...target,
      route: async (...args) => {
        const replies = await target.route(...args);
        if (!injected) {
          injected = true;
          await admin.set('k:1', 'theirs');
        }
        return replies;
      },
    };
    const w = new KeyWriter(racing, { onConflict: 'fail' });
    const window = w.window();
    expect(await window.write(batch('k', 3))).toBe(false);
    await window.drain();
    expect(w.error).toBe('k:1 already exists on the target (--on-conflict fail)');
    expect(w.conflict).toEqual(Buffer.from('k:1'));
    expect(w.counts).toMatchObject({ copied: 2, skipped: 1 });
    expect(await admin.get('k:1')).toBe('theirs');
  });

  it('dry run writes nothing and counts what would be copied and skipped', async () => {
    await admin.set('k:0', 'theirs');
    for (const [onConflict, copied, skipped, replaced] of [
      ['skip', 2, 1, 0],
      ['replace', 3, 0, 1],
    ] as const) {
      const w = writer({ dryRun: true, onConflict });
      const window = w.window();
      await window.write(batch('k', 3));
      await window.drain();
      expect(w.counts).toMatchObject({ copied, skipped, replaced });
    }
    expect(await admin.dbsize()).toBe(1);
  });

  it(`keeps at most ${WRITES_IN_FLIGHT} batches in flight (skip, replace), one in fail and dry run`, async () => {
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const w = writer();
    const window = w.window();
    // While no RESTORE is answered, the batches below the window are sent without waiting.
    for (let i = 0; i < WRITES_IN_FLIGHT - 1; i++) expect(await window.write(batch(`b${i}`, 10))).toBe(true);
    let full = false;
    const last = window.write(batch('last', 10)).then((go) => (full = go));
    await untilPausedWrite();
    expect(await admin.dbsize()).toBe(0);
    expect(full).toBe(false); // the batch that fills the window waits for the oldest answers
    expect(w.counts.copied).toBe(0);
    await admin.call('CLIENT', 'UNPAUSE');
    await last;
    expect(full).toBe(true);
    await window.drain();
    expect(w.counts.copied).toBe(10 * WRITES_IN_FLIGHT);

    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const failing = writer({ onConflict: 'fail' });
    let answered = false;
    const one = failing
      .window()
      .write(batch('f', 10))
      .then(() => (answered = true));
    await untilPausedWrite();
    expect(answered).toBe(false); // one at a time: the next batch's EXISTS must see this one written
    await admin.call('CLIENT', 'UNPAUSE');
    await one;
    expect(failing.counts.copied).toBe(10);
  });

  it('RESTOREs sent on a connection that broke are counted as failed and said to be unanswered', async () => {
    await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const w = writer();
    const window = w.window();
    expect(await window.write(batch('k', 50))).toBe(true);
    await untilPausedWrite();
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // the writer's pipe, its RESTOREs unanswered
    await admin.call('CLIENT', 'UNPAUSE');
    await window.drain();
    expect(w.counts).toMatchObject({ copied: 0, failed: 50 });
    await w.finish();
    expect(w.error).toMatch(
      /^the target could not be reached for k:0: .*; 50 of the failed keys were sent but not answered before the connection broke: they may or may not be on the target\. Rerun the same command to finish$/,
    );
    expect(await admin.dbsize()).toBe(0);
  });

  it('a refused write stops the run once the batches already sent are answered; the counts match the target', async () => {
    const w = writer();
    const window = w.window();
    const garbage: WriteKey = { key: Buffer.from('bad'), payload: Buffer.from('not a payload'), expireAtMs: null };
    let sent = 0;
    for (let b = 0; b < 20; b++) {
      sent++;
      if (!(await window.write(b === 1 ? [...batch('b1', 9), garbage] : batch(`b${b}`, 10)))) break;
    }
    await window.drain();
    expect(w.error).toMatch(/^the target refused RESTORE of bad: ERR DUMP payload version or checksum are wrong/);
    // The refusal is seen when its answers are counted, with the window full: no batch is sent after that.
    expect(sent).toBe(1 + WRITES_IN_FLIGHT);
    expect(w.counts).toMatchObject({ copied: 10 * sent - 1, failed: 1 });
    expect(await admin.dbsize()).toBe(w.counts.copied);
  });

  it('a module value the target has no module for is refused per key and the run goes on; the same refusal of a plain key stops it', async () => {
    const moduleId = [0x81, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
    const body = [0x01, 0x05, 0x02, 0x07, 0x03, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x02, 0x68, 0x69, 0x00];
    const modulePayload = Buffer.from(dumpPayload(7, Uint8Array.from([...moduleId, ...body]), 10));
    const w = writer();
    const window = w.window();
    expect(await window.write([{ key: Buffer.from('json'), payload: modulePayload, expireAtMs: null, module: 'ReJSON-RL' }, ...batch('k', 2)])).toBe(true);
    await window.drain();
    expect(w.counts).toMatchObject({ copied: 2, failed: 1 });
    expect(w.moduleRefused).toEqual({ 'ReJSON-RL': 1 });
    expect(w.error).toBeUndefined();

    const plain = writer();
    const window2 = plain.window();
    await window2.write([{ key: Buffer.from('json'), payload: modulePayload, expireAtMs: null }]);
    await window2.drain();
    expect(plain.error).toMatch(/^the target refused RESTORE of json: .*Bad data format/);
  });

  it('every batch sent is counted at the drain even when the progress callback throws', async () => {
    const w = writer({
      onBatch: () => {
        throw new Error('progress bar broke');
      },
    });
    const window = w.window();
    for (let i = 0; i < Math.min(3, WRITES_IN_FLIGHT - 1); i++) await window.write(batch(`b${i}`, 10));
    await window.drain();
    expect(w.counts.copied).toBe(10 * Math.min(3, WRITES_IN_FLIGHT - 1));
    expect(w.error).toBe('progress bar broke');
  });

  it('Ctrl-C between batches: the run stops, interrupted, with every batch sent counted', async () => {
    let batches = 0;
    const w = writer({ shouldStop: () => ++batches >= 2 });
    const window = w.window();
    expect(await window.write(batch('a', 10))).toBe(true);
    expect(await window.write(batch('b', 10))).toBe(false);
    await window.drain();
    expect(w.interrupted).toBe(true);
    expect(w.counts.copied).toBe(20);
    expect(await admin.dbsize()).toBe(20);
  });

  it('the eviction guard refuses a run that would not fit, and stops one whose target evicts', async () => {
    await admin.config('SET', 'maxmemory', String(4 * 2 ** 20));
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const refused = writer();
    expect(await refused.startGuard({ bytes: 64 * 2 ** 20, basis: 'a test size' })).toBe(false);
    expect(refused.error).toContain('maxmemory-policy allkeys-lru');
    expect((await refused.finish())?.refused).toBeDefined();

    // A size that fits, then more data than the limit: the guard samples evicted_keys after every batch (sampleEveryMs 0).
    await admin.set('big-seed', 'x'.repeat(20_000));
    const big = (await admin.dumpBuffer('big-seed'))!;
    await admin.del('big-seed');
    const w = writer({ evictionSampleEveryMs: 0 });
    expect(await w.startGuard({ bytes: 0, basis: 'a test size' })).toBe(true);
    const window = w.window();
    let batches = 0;
    for (; batches < 100; batches++) {
      const keys = Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`big:${batches}:${i}`), payload: big, expireAtMs: null }));
      if (!(await window.write(keys))) break;
    }
    await window.drain();
    expect(batches).toBeLessThan(100);
    const report = await w.finish();
    expect(report?.stopped).toBe(true);
    expect(report?.evictedKeys).toBeGreaterThan(0);
    expect(w.error).toMatch(/keys? evicted by the target during the recovery .*The run stopped at the first eviction it saw/);
  });
});

describe('KeyWriter into a real Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => void (cluster = await startRedisCluster({ primaries: 3 })));
  afterAll(async () => cluster?.stop());

  it('writes every key to the primary serving its slot, one window for batches that span every node', async () => {
    const admin = cluster.client();
    await admin.set('seed', 'v');
    const payload = (await admin.dumpBuffer('seed'))!;
    await admin.del('seed');
    const target = await connectKeyspace({ url: cluster.url }, 'test');
    try {
      const w = new KeyWriter(target, { rememberSkipped: true });
      const window = w.window();
      for (let b = 0; b < 5; b++) await window.write(Array.from({ length: 200 }, (_, i) => ({ key: Buffer.from(`k:${b}:${i}`), payload, expireAtMs: null })));
      await window.drain();
      expect(w.counts).toMatchObject({ copied: 1000, failed: 0 });
      const perNode = await Promise.all(cluster.primaries.map((p) => p.client().dbsize()));
      expect(perNode.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(perNode.every((n) => n > 0)).toBe(true);
      // A second run finds every key where it wrote it: all skipped, none refused with MOVED.
      const again = new KeyWriter(target, { rememberSkipped: true });
      const window2 = again.window();
      await window2.write(Array.from({ length: 200 }, (_, i) => ({ key: Buffer.from(`k:0:${i}`), payload, expireAtMs: null })));
      await window2.drain();
      expect(again.counts).toMatchObject({ copied: 0, skipped: 200, failed: 0 });
      expect(again.skippedKeys.size).toBe(200);
      // replace: the EXISTS before each RESTORE goes to the key's node with it, so every overwrite is told on every node.
      for (const k of ['k:1:0', 'k:1:1']) await admin.del(k);
      const over = new KeyWriter(target, { onConflict: 'replace' });
      const window3 = over.window();
      await window3.write(Array.from({ length: 200 }, (_, i) => ({ key: Buffer.from(`k:1:${i}`), payload, expireAtMs: null })));
      await window3.drain();
      expect(over.counts).toMatchObject({ copied: 200, replaced: 198, failed: 0 });
    } finally {
      target.close();
    }
  });
});
