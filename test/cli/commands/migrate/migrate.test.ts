import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { migrateClients } from '../../../../lambdas/jobs/keys/migrate.js';
import { migrateErrorJson, migrateExitCode } from '../../../../cli/commands/migrate/format.js';
import { runMigrate } from '../../../../cli/commands/migrate/action.js';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { BINARY_KEY, seedDataset } from '../../support/dataset.js';
import { inWorker } from '../../support/in-process.js';
import { cli } from '../../support/run-cli.js';

async function fillKeys(c: Redis, n: number): Promise<void> {
  const p = c.pipeline();
  for (let i = 0; i < n; i++) p.set(`k:${i}`, `v${i}`);
  await p.exec();
}

async function allKeys(c: Redis): Promise<string[]> {
  return (await c.keys('*')).sort();
}

describe('redis-dr migrate', () => {
  let src: RedisServer;
  let dst: RedisServer;
  let s: Redis;
  let d: Redis;
  beforeAll(async () => {
    [src, dst] = await Promise.all([startRedisServer(), startRedisServer()]);
    s = src.client();
    d = dst.client();
  });
  afterAll(async () => Promise.all([src?.stop(), dst?.stop()]));
  beforeEach(async () => Promise.all([s.flushall(), d.flushall(), d.config('SET', 'maxmemory', '0')]));

  /** 1,000 keys on the source, migrated in batches of 100; `breakIt` runs after the second batch was written. */
  async function migrateBrokenMidway(breakIt: () => Promise<unknown>) {
    const p = s.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`k:${i}`, `v${i}`);
    await p.exec();
    let batches = 0;
    return migrateClients(s, d, {
      batchSize: 100,
      onBatch: async () => {
        if (++batches === 2) await breakIt();
      },
    });
  }

  it('copies every type and encoding, awkward keys, 1 MB values, with the exact PEXPIRETIME', async () => {
    const at = Date.now() + 3_600_000;
    const encodings = await seedDataset(s, { expireAtMs: at });
    const result = await migrateClients(s, d);
    const total = await s.dbsize();
    expect(result).toMatchObject({ scanned: total, copied: total, skipped: 0, expired: 0, failed: 0, interrupted: false, error: undefined });
    for (const [key, encoding] of encodings) expect(await d.object('ENCODING', key), key).toBe(encoding);
    expect(await d.getBuffer(BINARY_KEY)).toEqual(Buffer.from([0x00, 0xc3, 0x28, 0xff]));
    expect((await d.getBuffer('big:1mb'))?.length).toBe(1 << 20);
    expect(await d.pexpiretime('ttl:abs')).toBe(at);
    expect(await d.pexpiretime('ttl:hash')).toBe(at + 12_345);
    expect(await d.pexpiretime('list:big')).toBe(-1);
    expect(await d.xinfo('GROUPS', 'stream')).toEqual(await s.xinfo('GROUPS', 'stream'));
    expect((await compareClients(s, d, { ttlToleranceMs: 0 })).equal).toBe(true);
  });

  it('skips keys already past their expiry and never makes an expiring key permanent', async () => {
    const now = Date.now();
    await s.set('soon', 'v', 'PXAT', now + 5_000);
    await s.set('later', 'v', 'PXAT', now + 60_000);
    await s.set('forever', 'v');
    // A clock 10 s ahead: "soon" is already expired for the tool.
    const result = await migrateClients(s, d, { now: () => Date.now() + 10_000 });
    expect(result).toMatchObject({ scanned: 3, copied: 2, expired: 1 });
    expect(await allKeys(d)).toEqual(['forever', 'later']);
  });

  it('counts keys expiring during the copy as copied (with their expiry) or expired', async () => {
    const p = s.pipeline();
    for (let i = 0; i < 2000; i++) p.set(`exp:${i}`, 'v', 'PX', 1 + (i % 40));
    await p.exec();
    const result = await migrateClients(s, d, { batchSize: 100 });
    expect(result.failed).toBe(0);
    expect(result.copied + result.expired).toBe(result.scanned);
    const left = await d.keys('exp:*');
    for (const key of left) expect(await d.pttl(key)).not.toBe(-1);
  });

  it('skip (default) leaves existing target keys alone and counts them', async () => {
    await s.mset('a', 'source', 'b', 'source');
    await d.set('a', 'written since the incident');
    const result = await migrateClients(s, d);
    expect(result).toMatchObject({ copied: 1, skipped: 1, failed: 0 });
    expect(await d.get('a')).toBe('written since the incident');
    expect(await d.get('b')).toBe('source');
    expect(migrateExitCode({ result })).toBe(0);
  });

  it('replace overwrites existing target keys, counting those it overwrote', async () => {
    await s.mset('a', 'source', 'b', 'source');
    await d.set('a', 'old');
    expect(await migrateClients(s, d, { onConflict: 'replace' })).toMatchObject({ copied: 2, replaced: 1, skipped: 0 });
    expect(await d.get('a')).toBe('source');
  });

  it('fail stops at the first conflict before writing its batch, with exit 1', async () => {
    await s.mset('a', 'source', 'b', 'source');
    await d.set('a', 'old');
    const result = await migrateClients(s, d, { onConflict: 'fail' });
    expect(result.error).toMatch(/^a already exists on the target \(--on-conflict fail\)/);
    expect(result.conflict).toEqual(Buffer.from('a'));
    expect(result.copied).toBe(0);
    expect(await d.get('b')).toBeNull();
    expect(migrateExitCode({ result })).toBe(1);
  });

  it('--match copies only matching keys; --dry-run writes nothing', async () => {
    await s.mset('session:1', 'x', 'session:2', 'x', 'queue:1', 'x');
    await d.set('session:2', 'kept');
    expect(await migrateClients(s, d, { match: 'session:*', dryRun: true })).toMatchObject({ scanned: 2, copied: 1, skipped: 1 });
    expect(await allKeys(d)).toEqual(['session:2']);
    expect(await migrateClients(s, d, { match: 'session:*' })).toMatchObject({ scanned: 2, copied: 1, skipped: 1 });
    expect(await allKeys(d)).toEqual(['session:1', 'session:2']);
  });

  it('a target that rejects writes midway: clear error, counts right, exit 1; the rerun completes', async () => {
    const first = await migrateBrokenMidway(() => d.config('SET', 'maxmemory', '1')); // the test may use CONFIG; the tool never does
    expect(first.error).toMatch(/^the target refused RESTORE of k:\d+: OOM command not allowed/);
    expect(first.failed).toBeGreaterThan(0);
    expect(first.copied).toBe(await d.dbsize());
    expect(first.copied + first.failed).toBe(first.scanned);
    expect(first.scanned).toBeLessThan(1000);
    expect(migrateExitCode({ result: first })).toBe(1);
    // --json's error: as every command's failure is (docs/cli.md), with the fix; it was the bare string.
    expect(migrateErrorJson(first.error, first.eviction)).toEqual({ code: 'failed', message: first.error, fix: expect.stringContaining('run it again') });

    await d.config('SET', 'maxmemory', '0');
    const rerun = await migrateClients(s, d, { batchSize: 100 });
    expect(rerun).toMatchObject({ scanned: 1000, skipped: first.copied, copied: 1000 - first.copied, failed: 0 });
    expect(migrateErrorJson(rerun.error, rerun.eviction)).toBeNull();
    expect((await compareClients(s, d)).equal).toBe(true);
  });

  it('a source connection lost midway (batches read ahead): clear error, only written batches counted', async () => {
    const result = await migrateBrokenMidway(() => s.call('CLIENT', 'KILL', 'SKIPME', 'yes')); // drops the migration's read pipe
    expect(result.error).toMatch(/^redis at 127\.0\.0\.1:\d+: /); // connection closed, or the write that found it closed
    expect(result.copied).toBe(await d.dbsize());
    expect(result.copied).toBe(result.scanned);
    expect(result.scanned).toBeGreaterThanOrEqual(200);
    expect(result.scanned).toBeLessThan(1000);
    expect(migrateExitCode({ result })).toBe(1);
  });

  it('reads and writes the databases the URLs name', async () => {
    const s1 = src.client();
    await s1.select(1);
    await s1.set('in-db-1', 'x', 'PX', 60_000);
    await s.set('in-db-0', 'x');
    const run = await runMigrate({ from: `${src.url}/1`, to: `${dst.url}/2`, verify: true });
    expect(run.result).toMatchObject({ scanned: 1, copied: 1, error: undefined });
    expect(run.verify).toMatchObject({ equal: true });
    expect(await d.dbsize()).toBe(0);
    const d2 = dst.client();
    await d2.select(2);
    expect(await d2.keys('*')).toEqual(['in-db-1']);
    expect(await d2.pexpiretime('in-db-1')).toBe(await s1.pexpiretime('in-db-1'));
  });

  it('stops after the current batch when asked (Ctrl-C) with consistent counts', async () => {
    const p = s.pipeline();
    for (let i = 0; i < 500; i++) p.set(`k:${i}`, 'v');
    await p.exec();
    const result = await migrateClients(s, d, { batchSize: 100, shouldStop: () => true });
    expect(result.interrupted).toBe(true);
    expect(result.copied).toBe(result.scanned);
    expect(await d.dbsize()).toBe(result.copied);
    expect(migrateExitCode({ result })).toBe(1);
  });

  it('a stop midway with writes in flight: every batch sent is answered and counted, nothing more is written', async () => {
    const p = s.pipeline();
    for (let i = 0; i < 2000; i++) p.set(`k:${i}`, 'v');
    await p.exec();
    let batches = 0;
    const result = await migrateClients(s, d, { batchSize: 100, onBatch: () => void batches++, shouldStop: () => batches >= 3 });
    expect(result.interrupted).toBe(true);
    expect(result.copied).toBe(result.scanned);
    expect(result.copied).toBe(await d.dbsize());
    expect(result.scanned).toBeLessThan(2000);
    expect(batches).toBeGreaterThanOrEqual(3);
  });

  it('--verify after a FLUSHALL recovery: keys written since the incident are expected differences, exit 0 (CLI, --json)', async () => {
    // The backup (source) and production after FLUSHALL, where the application already wrote again.
    await fillKeys(s, 100);
    await d.set('k:5', 'written after the incident');
    await d.set('new:1', 'only in production');
    const r = await cli('migrate', '--from', src.url, '--to', dst.url, '--verify');
    expect(r.stdout).toMatch(/^copied 99, skipped 1 \(already on the target\)/m);
    expect(r.stdout).toMatch(/^verify: EQUAL: 100 keys of A match B \(101 keys in B, 2 expected differences\)/m);
    expect(r.stdout).toMatch(/expected differences \(not counted as differences\): 1 kept on the target .*; 1 only on the target/);
    expect(r.status).toBe(0);
    expect(await d.get('k:5')).toBe('written after the incident');

    const j = await cli('migrate', '--from', src.url, '--to', dst.url, '--verify', '--json');
    const out = JSON.parse(j.stdout);
    expect(out.verify).toMatchObject({ equal: true, differences: 0, expected: { 'kept-on-target': 1, 'only-on-target': 1, expired: 0 } });
    expect(out).toMatchObject({ copied: 0, skipped: 100 }); // the rerun found everything there; only k:5 differs
    expect(out.verify.expectedDiffs).toContainEqual({ key: 'new:1', reason: 'missing-in-a', expected: 'only-on-target' });
    expect(j.status).toBe(0);
  });

  it('remembers the keys skip left alone only when a compare follows (--verify), and compares a batch in one pipeline', async () => {
    await fillKeys(s, 50);
    await fillKeys(d, 10);
    expect((await migrateClients(s, d)).skippedKeys.size).toBe(0);
    await d.flushall();
    await fillKeys(d, 10);
    expect((await migrateClients(s, d, { rememberSkipped: true })).skippedKeys.size).toBe(10);
    // One client promise for every key of a single server: readCanonicalKeyspace sends a batch as one pipeline.
    const ks = keyspaceOf(s);
    expect(ks.clientFor(Buffer.from('a'))).toBe(ks.clientFor(Buffer.from('b')));
  });

  it('--verify: a difference nothing explains (a restored key changed on the target) is still exit 1', async () => {
    await fillKeys(s, 300);
    let batches = 0;
    let changed = '';
    const run = await runMigrate({
      from: src.url,
      to: dst.url,
      verify: true,
      batchSize: 100,
      onBatch: async () => {
        // A key of the first batch, restored by us, then changed by someone else.
        if (++batches === 1) await d.set((changed = (await d.randomkey())!), 'changed by someone else');
      },
    });
    expect(run.result).toMatchObject({ copied: 300, skipped: 0 });
    expect(run.verify).toMatchObject({ equal: false, differences: 1, diffs: [{ key: Buffer.from(changed), reason: 'value' }] });
    expect(migrateExitCode(run)).toBe(1);
  });

  it('a --match that matches no key of the source copied nothing: exit 1 naming it, never "copied 0 … verify: EQUAL" (a typo in the pattern)', async () => {
    await fillKeys(s, 20);
    const r = await cli('migrate', '--from', src.url, '--to', dst.url, '--match', 'usr:*', '--verify');
    expect(r.stdout).toMatch(/^nothing copied: none of the 20 keys of database 0 matches --match "usr:\*"/m);
    expect(r.status).toBe(1);
    const j = JSON.parse((await cli('migrate', '--from', src.url, '--to', dst.url, '--match', 'usr:*', '--json')).stdout);
    expect(j.noMatch).toEqual({ databases: [0], keys: 20 });
    // A pattern that matches: exit 0, no such line.
    const ok = await cli('migrate', '--from', src.url, '--to', dst.url, '--match', 'k:1*', '--verify');
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).not.toMatch(/nothing copied/);
  });

  it('runs compare afterwards with --verify', async () => {
    await seedDataset(s);
    const run = await runMigrate({ from: src.url, to: dst.url, verify: true });
    expect(run.verify).toMatchObject({ equal: true, differences: 0 });
    expect(migrateExitCode(run)).toBe(0);
  });
});

describe('redis-dr migrate with AUTH and ACL users', () => {
  let src: RedisServer;
  let dst: RedisServer;
  beforeAll(async () => {
    [src, dst] = await Promise.all([startRedisServer({ password: 'source p@ss' }), startRedisServer({ password: 'target-pass' })]);
    await dst.client().call('ACL', 'SETUSER', 'copier', 'on', '>c0py:er', '~*', '+@all');
    await src.client().set('k', 'v', 'PX', 60_000);
  });
  afterAll(async () => Promise.all([src?.stop(), dst?.stop()]));

  it('copies with AUTH in one URL and an ACL user in the other (CLI, --json)', async () => {
    const to = `redis://copier:${encodeURIComponent('c0py:er')}@127.0.0.1:${dst.port}`;
    const r = await inWorker('migrate', '--from', src.url, '--to', to, '--json', '--verify');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      ok: true,
      from: `redis://:***@127.0.0.1:${src.port}`,
      to: `redis://copier:***@127.0.0.1:${dst.port}`,
      match: null,
      onConflict: 'skip',
      dryRun: false,
      scanned: 1,
      copied: 1,
      skipped: 0,
      expired: 0,
      failed: 0,
      interrupted: false,
      error: null,
      conflict: null,
      verify: { equal: true, differences: 0, diffs: [] },
    });
    expect(typeof json.keysPerSecond).toBe('number');
    expect(r.stdout).not.toContain('c0py');
  });

  it('says which server refused the credentials (exit 2: credentials, one line) and never prints the password', async () => {
    const r = await inWorker('migrate', '--from', src.url, '--to', `redis://copier:wrong@127.0.0.1:${dst.port}`);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`redis at 127.0.0.1:${dst.port} refused the credentials of user copier \\(WRONGPASS`));
    expect(r.stderr).not.toContain('p@ss');
  });

  it('exits 2 on usage errors', async () => {
    expect((await inWorker('migrate', '--from', src.url, '--to', src.url, '--on-conflict', 'merge')).status).toBe(2);
    const bad = await inWorker('migrate', '--from', 'localhost:6379', '--to', src.url);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a URL|scheme must be/);
  });
});
