/**
 * `migrate --from <server>` whose source writes DUMP payloads of a newer RDB
 * version than the target reads: a served REDIS0012 point (its payloads RDB
 * 12, as a Redis 7.4's) into a real redis-server 7.0 (reads up to 10).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrate } from '../../../../lambdas/jobs/keys/migrate.js';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

describe('migrate from a server writing newer DUMP payloads than the target reads', () => {
  let target: RedisServer;
  let dir: string;
  let newer: Serving;
  let same: Serving;

  beforeAll(async () => {
    const source = await startRedisServer();
    const c = source.client();
    for (let i = 0; i < 20; i++) await c.set(`k${i}`, `v${i}`);
    await c.rpush('l', 'a', 'b');
    await c.xadd('s', '1-1', 'f', 'v'); // newerFiles builds its type 21 stream from a real type 19 one
    const own = readFileSync(await bgsave(source, c));
    await source.stop();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-newer-source-'));
    const v12 = join(dir, 'v12.rdb');
    writeFileSync(v12, newerFiles(own).REDIS0012);
    const v10 = join(dir, 'v10.rdb');
    writeFileSync(v10, own);
    newer = await startServing({ location: v12, port: 0 });
    same = await startServing({ location: v10, port: 0 });
    target = await startRedisServer();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([newer?.close(), same?.close(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const url = (s: Serving) => `redis://127.0.0.1:${s.port}`;

  it('refuses before any RESTORE in one line naming both versions and the fix; nothing written', async () => {
    await target.client().flushall();
    const r = await runMigrate({ from: { url: url(newer) }, to: { url: target.url }, databases: [{ from: 0, to: 0 }] });
    expect(r.result.error).toBe(
      'the source writes DUMP payloads of RDB 12 (Redis 7.4), newer than the target (redis 7.0.15) reads (RDB up to 10): ' +
        'RESTORE would refuse every key ("DUMP payload version or checksum are wrong"), so nothing was written. ' +
        'Copy from a backup file of the source instead: redis-dr migrate --from-rdb <file> --to <target> re-encodes each key for the target ' +
        '(or redis-dr convert-rdb <file> --for <engine> writes a file it loads)',
    );
    expect(r.result).toMatchObject({ copied: 0, failed: 0 });
    expect(await target.client().dbsize()).toBe(0);
  }, 60_000);

  it('where the target does not say what it reads (INFO refused): no refusal on a guess, its RESTORE error explained with the fix', async () => {
    await target.client().flushall();
    const t = target.client();
    // Every INFO section the copy reads but server's (what names the version).
    await t.call(
      'ACL',
      'SETUSER',
      'noinfo',
      'on',
      '>pw',
      '~*',
      '&*',
      '+@all',
      '-info',
      ...['memory', 'stats', 'keyspace', 'persistence', 'replication', 'cluster', 'clients'].map((s) => `+info|${s}`),
    );
    try {
      const r = await runMigrate({
        from: { url: url(newer) },
        to: { url: `redis://noinfo:pw@127.0.0.1:${target.port}` },
        databases: [{ from: 0, to: 0 }],
        allowEviction: true,
      });
      expect(r.result.error).toMatch(
        /^the target refused RESTORE of .*: ERR DUMP payload version or checksum are wrong: the source writes a newer RDB version than the target reads \(or the payload was damaged\)\. Copy from a backup file of the source instead: redis-dr migrate --from-rdb <file>/,
      );
    } finally {
      await t.call('ACL', 'DELUSER', 'noinfo');
    }
  }, 60_000);

  it('negative: a source whose payloads the target reads is copied as before', async () => {
    await target.client().flushall();
    const r = await runMigrate({ from: { url: url(same) }, to: { url: target.url }, verify: true });
    expect(r.result.error).toBeUndefined();
    expect(r.result.copied).toBe(22);
    expect(r.verify?.equal).toBe(true);
  }, 60_000);
});
