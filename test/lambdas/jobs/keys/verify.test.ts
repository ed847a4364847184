import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { restoreRdbKeys, type RestoreRdbOptions } from '../../../../lambdas/jobs/keys/read-rdb.js';
import { verifyRdbKeys } from '../../../../lambdas/jobs/keys/verify.js';
import { formatRdbVerify } from '../../../../cli/commands/migrate/rdb-action.js';
import { inWorker } from '../../../cli/support/in-process.js';
import { populate } from '../../../support/rdb-dataset.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** `migrate --from-rdb --verify`: the target held against the file's own content, on real servers. */
describe('verifyRdbKeys: the target against the file it was restored from', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dst: Redis;
  let file: Buffer;
  let dir: string;
  let path: string;
  const files = () => [
    {
      location: 'dump.rdb',
      open: async function* () {
        for (let at = 0; at < file.length; at += 8192) yield file.subarray(at, at + 8192);
      },
    },
  ];
  const restore = (options: RestoreRdbOptions = {}) => restoreRdbKeys({ files: files() }, keyspaceOf(dst), { rememberSkipped: true, ...options });
  const verify = (restored: Awaited<ReturnType<typeof restore>>, options: Partial<Parameters<typeof verifyRdbKeys>[2]> = {}) =>
    verifyRdbKeys(files(), keyspaceOf(dst), { skippedKeys: restored.skippedKeys, ...options });

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer({ args: ['--enable-debug-command', 'yes'] }), startRedisServer()]);
    const src = source.client();
    await populate(src);
    await src.set('soon', 'x', 'PXAT', String(Date.now() + 3_600_000));
    file = readFileSync(await bgsave(source, src));
    dst = target.client();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-verify-rdb-keys-'));
    path = join(dir, 'dump.rdb');
    writeFileSync(path, file);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await dst.flushall();
    await dst.select(0);
  });

  it('equal after a restore into an empty server: every key of database 0 checked', async () => {
    const restored = await restore();
    const v = await verify(restored);
    expect(v).toMatchObject({ equal: true, keys: restored.scanned, differences: 0, expected: { 'kept-on-target': 0, expired: 0 }, interrupted: false });
    expect(v.error).toBeUndefined();
  });

  it('finds a changed member of a big set and a big hash (bytes differ: compared by value), a changed expiry, a missing key and another type', async () => {
    const restored = await restore();
    await dst.srem('set:big', 'member-7');
    await dst.sadd('set:big', 'member-x');
    await dst.hset('hash:big', 'field-3', 'changed');
    await dst.pexpireat('soon', Date.now() + 7_200_000);
    await dst.del('list:big');
    await dst.del('str:big');
    await dst.sadd('str:big', 'now a set');
    const v = await verify(restored);
    expect(v.equal).toBe(false);
    expect(v.differences).toBe(5);
    expect(Object.fromEntries(v.diffs.map((d) => [d.key.toString(), d.reason]))).toEqual({
      'set:big': 'value',
      'hash:big': 'value',
      soon: 'ttl',
      'list:big': 'missing-in-b',
      'str:big': 'type',
    });
    expect(v.comparedByValue).toBeGreaterThanOrEqual(3);
  });

  it('a small sorted set stored as a skiplist with a -0 score: the target RESTOREs it into a listpack and holds 0, EQUAL as compare holds it; another score still differs', async () => {
    // Saved by a server that keeps every sorted set a skiplist: the file holds it as RDB type 5.
    const skiplists = await startRedisServer({ args: ['--zset-max-listpack-entries', '0'] });
    const saved = file;
    try {
      const src = skiplists.client();
      await src.zadd('zneg', '-0', 'a', '1', 'b');
      file = readFileSync(await bgsave(skiplists, src));
      src.disconnect();
      const restored = await restore();
      expect(await dst.zscore('zneg', 'a')).toBe('0');
      expect(await verify(restored)).toMatchObject({ equal: true, differences: 0 });
      // Negative: a score the load does not explain.
      await dst.zadd('zneg', '2', 'a');
      expect((await verify(restored)).diffs.map((d) => [d.key.toString(), d.reason])).toEqual([['zneg', 'value']]);
    } finally {
      file = saved;
      await skiplists.stop();
    }
  });

  it('keys skip kept on the target (written since the recovery point) are expected differences, not differences', async () => {
    await dst.set('str:big', 'written after the incident');
    await dst.sadd('set:big', 'newer');
    const restored = await restore({ onConflict: 'skip' });
    expect(restored.skipped).toBe(2);
    const v = await verify(restored);
    expect(v).toMatchObject({ equal: true, differences: 0, expected: { 'kept-on-target': 2, expired: 0 } });
    expect(v.expectedDiffs.map((d) => d.key.toString()).sort()).toEqual(['set:big', 'str:big']);
    // The same target held against the file after a replace run that did not write those keys: real differences.
    expect((await verify({ ...restored, skippedKeys: new Set() }, { onConflict: 'replace' })).differences).toBe(2);
  });

  it('a key whose expiry has passed is expected to be missing (or to differ), never a difference', async () => {
    const restored = await restore();
    await dst.del('soon');
    expect((await verify(restored)).diffs.map((d) => [d.key.toString(), d.reason])).toEqual([['soon', 'missing-in-b']]);
    const later = await verify(restored, { now: () => Date.now() + 3_700_000 });
    expect(later).toMatchObject({ equal: true, differences: 0 });
    expect(later.expected.expired).toBe(1);
  });

  it("a file replaced since the restore by one of the same length is found through the restore's block CRCs", async () => {
    const restored = await restoreRdbKeys({ files: files() }, keyspaceOf(dst), { rememberSkipped: true, checkBlockBytes: 4096 });
    const saved = file;
    try {
      file = Buffer.from(saved);
      const at = file.indexOf(Buffer.from('soon'));
      expect(at).toBeGreaterThan(9);
      file[at + 'soon'.length + 1] = 'y'.charCodeAt(0); // its value "x" (length byte, then the byte)
      const v = await verify(restored, { digests: restored.digests });
      expect(v.equal).toBe(false);
      expect(v.error).toMatch(/^dump\.rdb changed since it was restored \(bytes \d+–\d+ differ from the ones verified\): the verification proves nothing$/);
      // Without the CRCs, the changed value would be read as the file's, and the target would be called different.
      expect((await verify(restored)).diffs.map((d) => d.key.toString())).toEqual(['soon']);
    } finally {
      file = saved;
    }
  });

  it('on a skip run that skipped more keys than it remembers, the report says values were not compared', async () => {
    const restored = await restore();
    await dst.hset('hash:big', 'field-3', 'changed');
    const v = await verify({ ...restored, skippedKeys: new Set() }, { skippedOverflow: true });
    expect(v).toMatchObject({ equal: true, skippedOverflow: true, expected: { 'kept-on-target': 1 } });
    expect(formatRdbVerify(v)).toContain('note: the restore skipped more keys than it remembers (1,000,000)');
    expect((await verify(restored)).skippedOverflow).toBe(false);
  });

  it('a file that changed since the restore proves nothing', async () => {
    const restored = await restore();
    const saved = file;
    try {
      file = saved.subarray(0, Math.floor(saved.length / 2));
      const v = await verify(restored);
      expect(v.equal).toBe(false);
      expect(v.error).toMatch(/^dump\.rdb changed since it was restored and now fails at byte \d+: .*; the verification proves nothing$/);
    } finally {
      file = saved;
    }
  });

  it('CLI: --verify prints EQUAL and exits 0; --json carries the verify result; after a skip run the kept keys are expected', async () => {
    const out = await inWorker('migrate', '--from-rdb', path, '--to', target.url, '--db', '0', '--verify');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^verify: EQUAL: the target holds all \d+ keys of the file restored, same type, value and expiry, \d+\.\d s$/m);
    await dst.flushall();
    await dst.set('str:big', 'newer');
    const json = await inWorker('migrate', '--from-rdb', path, '--to', target.url, '--db', '0', '--verify', '--json');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).verify).toMatchObject({ equal: true, differences: 0, expected: { 'kept-on-target': 1, expired: 0 }, error: null });
  });
});
