import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { migrateFromRdb } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { serverPool } from '../../../support/redis-server.js';
import { SERVER_FIXTURES, SERVER_FIXTURES_DIR } from '../../../support/server-fixtures.js';

/**
 * Issue 55's acceptance on files real newer servers wrote (test/fixtures/rdb-servers: Redis 8.0.6, 8.6.3, Valkey
 * 8.1.1, 9.1.2), none of which the local 7.0 loads: each converted for redis-7.0 with the --lossy kinds it needs
 * (refused in words, nothing written, without them), the output loaded by the real 7.0; restored by migrate
 * --from-rdb into an empty 7.0 with --verify EQUAL against the file; and the two 7.0s compared EQUAL, database by
 * database. Redis 8.6's streams without a producer carry empty IDMP data: only its producer's stream needs stream-idmp.
 */
describe('convert-rdb and migrate --from-rdb of files real newer servers wrote, into a real Redis 7.0 (issue 55)', () => {
  const pool = serverPool();
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-server-fixtures-'));
  });
  afterAll(async () => {
    await pool.stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(SERVER_FIXTURES)(
    '$file (--lossy $lossy): converted and loaded by 7.0, restored with --verify EQUAL, the two 7.0s equal',
    async (f) => {
      const input = join(SERVER_FIXTURES_DIR, f.file);
      const output = join(dir, `${f.file}-for-redis-7.0.rdb`);
      if (f.lossy !== '') {
        // Without what it needs: refused in words, each key named with its loss, nothing written; migrate refuses before any write.
        const refused = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }) });
        expect(refused.ok).toBe(false);
        expect(refused.error).toMatch(/^\d+ keys? of the input cannot be expressed for redis-7\.0: /);
        for (const kind of f.lossy.split(',')) expect(refused.error).toContain(`(--lossy ${kind} `);
        expect(refused.error).toMatch(/; nothing was written to /);
        expect(existsSync(output)).toBe(false);
        const empty = await pool.start();
        const notRun = await migrateFromRdb({ fromRdb: [input], to: { url: empty.url } });
        expect(notRun.result.error).toMatch(/is refused, nothing was written: /);
        expect(await empty.client().dbsize()).toBe(0);
      }
      const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }), lossy: parseLossy(f.lossy) });
      expect(r.error).toBeUndefined();
      expect(Object.keys(r.lost).sort()).toEqual(f.lossy === '' ? [] : f.lossy.split(',').sort());
      expect(r.keys).toBe(Object.values(f.keys).reduce((n, k) => n + k, 0));
      // Redis 8.6 wrote every stream as type 26: the two without a producer go without --lossy, nothing lost.
      expect(r.emptyIdmp ?? 0).toBe(f.file === 'redis-8.6.3.rdb' ? 2 : 0);
      const loaded = await pool.load(output);
      const target = await pool.start();
      const run = await migrateFromRdb({ fromRdb: [input], to: { url: target.url }, lossy: f.lossy, verify: true });
      expect(run.result.error).toBeUndefined();
      expect(run.verify).toMatchObject({ equal: true, differences: 0 });
      for (const [db, keys] of Object.entries(f.keys)) {
        const a = new Redis(`${loaded.url}/${db}`);
        const b = new Redis(`${target.url}/${db}`);
        try {
          expect(await a.dbsize(), `db ${db}`).toBe(keys);
          const same = await compareClients(a, b, { ttlToleranceMs: 0 });
          expect(same, `db ${db}`).toMatchObject({ equal: true, differences: 0 });
        } finally {
          a.disconnect();
          b.disconnect();
        }
      }
    },
    60_000,
  );

  it("redis-8.6.3.rdb with --lossy field-ttl alone: refused for its producer's stream alone, the two streams with empty IDMP data not named", async () => {
    const output = join(dir, 'redis-8.6.3-ttl-only.rdb');
    const r = await convertRdb({
      input: join(SERVER_FIXTURES_DIR, 'redis-8.6.3.rdb'),
      output,
      ...convertTarget({ for: 'redis-7.0' }),
      lossy: parseLossy('field-ttl'),
    });
    expect(r.error).toMatch(
      /^1 key of the input cannot be expressed for redis-7\.0: stream:idmp: a Redis 8\.6 stream \(RDB type 26\) with idempotent-producer data \(IDMP duration 100 s, max entries 100, 1 producer with 1 id\) and totals \(1 id added, 0 duplicates\)/,
    );
    expect(existsSync(output)).toBe(false);
  }, 30_000);
});
