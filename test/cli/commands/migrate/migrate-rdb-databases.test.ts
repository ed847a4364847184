import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis, { type Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { planRdbDatabases } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { restoreRdbKeys, type RdbTarget } from '../../../../lambdas/jobs/keys/read-rdb.js';
import { verifyRdbKeys } from '../../../../lambdas/jobs/keys/verify.js';
import { DatabasePlanError } from '../../../../lambdas/domain/keys/databases.js';
import { inWorker } from '../../../cli/support/in-process.js';
import { cli } from '../../../cli/support/run-cli.js';
import { manyDatabases } from '../../../support/rdb-bytes.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** The databases of the file the source wrote: keys in 0, 3 and 9, with `x` in each holding another value. */
const DATABASES = { 0: 300, 3: 120, 9: 40 } as const;

/**
 * `migrate --from-rdb` restores every database of the file, each into the
 * database of its number (issue 54 item 12), from an RDB a real
 * redis-server wrote with BGSAVE; `--db` maps them; --verify holds each
 * database against its own.
 */
describe('migrate --from-rdb: every database of the file', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dir: string;
  let path: string;
  const clients: Redis[] = [];
  /** A client of database `db` of a server (closed after the tests). */
  const at = (server: RedisServer, db: number): Redis => {
    const c = new IORedis({ host: '127.0.0.1', port: server.port, db });
    clients.push(c);
    return c;
  };
  const dbsizes = async (server: RedisServer, dbs: readonly number[]) => Promise.all(dbs.map((d) => at(server, d).dbsize()));

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer(), startRedisServer()]);
    for (const [d, n] of Object.entries(DATABASES)) {
      const c = at(source, Number(d));
      const p = c.pipeline();
      for (let i = 0; i < n; i++) {
        if (i % 4 === 0) p.set(`db${d}:k:${i}`, `v${i}`, 'PX', 3_600_000 + i);
        else p.set(`db${d}:k:${i}`, `v${i}`);
      }
      p.hset(`db${d}:h`, { a: '1', b: d });
      p.set('x', `value of database ${d}`); // the same name in each: each must land in its own
      await p.exec();
    }
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-rdb-databases-'));
    path = join(dir, 'dump.rdb');
    copyFileSync(await bgsave(source, source.client()), path);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await target.client().flushall();
  });

  it('by default restores databases 0, 3 and 9 each into its own number, --verify EQUAL, exit 0', async () => {
    const out = await cli('migrate', '--from-rdb', path, '--to', target.url, '--verify');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/, 466 keys in dbs 0 \(302\), 3 \(122\), 9 \(42\)\)$/m);
    expect(out.stdout).toMatch(
      /^restored databases: 0 → 0 \(302 keys of the file\), 3 → 3 \(122 keys of the file\), 9 → 9 \(42 keys of the file\) \(file → target\)$/m,
    );
    expect(out.stdout).toMatch(/^verify: EQUAL: the target holds all 466 keys of the file restored/m);
    for (const d of [0, 3, 9]) {
      expect((await compareClients(at(source, d), at(target, d), { ttlToleranceMs: 0 })).equal).toBe(true);
      expect(await at(target, d).get('x')).toBe(`value of database ${d}`);
    }
  });

  it('a dry run says which databases it would restore, never that it restored them, and writes nothing', async () => {
    const out = await inWorker('migrate', '--from-rdb', path, '--to', target.url, '--dry-run');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(
      /^DRY RUN: would restore databases: 0 → 0 \(302 keys of the file\), 3 → 3 \(122 keys of the file\), 9 → 9 \(42 keys of the file\) \(file → target\)$/m,
    );
    expect(out.stdout).not.toMatch(/^restored databases/m);
    expect(await dbsizes(target, [0, 3, 9])).toEqual([0, 0, 0]);
  });

  it('--db maps them: --db 3:5 --db 9 restores database 3 into 5 and 9 into 9, nothing else', async () => {
    const out = await inWorker('migrate', '--from-rdb', path, '--to', target.url, '--db', '3:5', '--db', '9', '--verify', '--json');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json).toMatchObject({
      databases: [
        { from: 3, to: 5 },
        { from: 9, to: 9 },
      ],
      copied: 164,
      notSelected: 302,
      verify: { equal: true, keys: 164 },
    });
    expect(await dbsizes(target, [0, 3, 5, 9])).toEqual([0, 0, 122, 42]);
    expect(await at(target, 5).get('x')).toBe('value of database 3');
  });

  it('refuses, before writing, a --to database with several of the file, --db with a /<db> in the URL, and a database the target lacks (exit 2)', async () => {
    const into4 = await inWorker('migrate', '--from-rdb', path, '--to', `${target.url}/4`);
    expect(into4.status).toBe(2);
    expect(into4.stderr).toContain(
      '--to names database 4, but the source holds keys in databases 0 (302 keys), 3 (122 keys), 9 (42 keys): remove /4 from the --to URL',
    );
    const twice = await inWorker('migrate', '--from-rdb', path, '--to', `${target.url}/4`, '--db', '3');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('--db and a database in the URL (--to names /4) say the same thing twice');
    const small = await startRedisServer({ args: ['--databases', '4'] });
    try {
      const refused = await inWorker('migrate', '--from-rdb', path, '--to', small.url);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/9/);
      expect(await small.client().info('keyspace')).not.toMatch(/^db\d+:/m);
    } finally {
      await small.stop();
    }
    expect(await target.client().info('keyspace')).not.toMatch(/^db\d+:/m);
  });

  it('refuses two databases of the file into one of the target (issue 54 item 3: `x` is in both), before writing (exit 2)', async () => {
    const merged = await inWorker('migrate', '--from-rdb', path, '--to', target.url, '--db', '0:5', '--db', '3:5');
    expect(merged.status).toBe(2);
    expect(merged.stderr).toContain('--db 0:5 and --db 3:5 write two source databases into target database 5');
    expect(await target.client().info('keyspace')).not.toMatch(/^db\d+:/m);
  });

  it('--verify holds each database against its own: a key skip kept in database 0 is expected, the same name changed in database 9 is a difference', async () => {
    await at(target, 0).set('x', 'written on the target since');
    const targets = new Map<number, RdbTarget>([0, 3, 9].map((d) => [d, { db: d, keyspace: keyspaceOf(at(target, d)) }]));
    const files = () => [
      {
        location: path,
        open: async function* () {
          yield readFileSync(path);
        },
      },
    ];
    const restored = await restoreRdbKeys({ files: files() }, targets.get(0)!.keyspace, { rememberSkipped: true, targets: async () => targets });
    expect(restored).toMatchObject({
      copied: 465,
      skipped: 1,
      error: undefined,
      databases: [
        { from: 0, to: 0 },
        { from: 3, to: 3 },
        { from: 9, to: 9 },
      ],
    });
    const verify = () => verifyRdbKeys(files(), targets, { skippedKeys: restored.skippedKeys, digests: restored.digests, emptyKeys: restored.emptyKeys });
    expect(await verify()).toMatchObject({ equal: true, keys: 466, differences: 0, expected: { 'kept-on-target': 1, expired: 0 } });
    // The same name in another database is no key skip kept: changed there, it is found, and named with its database.
    await at(target, 9).set('x', 'changed after the restore');
    const v = await verify();
    expect(v).toMatchObject({ equal: false, differences: 1, expected: { 'kept-on-target': 1 } });
    expect(v.diffs.map((d) => [String(d.key), d.reason, d.db])).toEqual([['x', 'value', 9]]);
  });

  it('a cluster target takes database 0 only: another database of the file is refused unless mapped into 0', () => {
    const held = { keysByDb: { 0: 10, 3: 4 }, matchingByDb: { 0: 10, 3: 4 } };
    expect(() => planRdbDatabases(held, { cluster: true })).toThrow(DatabasePlanError);
    expect(() => planRdbDatabases(held, { cluster: true })).toThrow(
      'a Redis Cluster target has only database 0, and the run would write database 3 (4 keys) of the file into database 3: restore one database of the file per cluster with --db <n>:0',
    );
    expect(planRdbDatabases(held, { cluster: true, databases: [{ from: 3, to: 0 }] })).toEqual([{ from: 3, to: 0 }]);
    expect(planRdbDatabases(held, { cluster: false })).toEqual([
      { from: 0, to: 0 },
      { from: 3, to: 3 },
    ]);
  });
});

/**
 * A file of keys in 40 databases (review 25): the source line and the dry run's line of databases name 16 and count
 * the others, as verify-rdb's line does (a file of keys in 130,000 databases made lines of megabytes).
 */
describe('migrate --from-rdb: a file of keys in many databases', () => {
  let target: RedisServer;
  let dir: string;
  beforeAll(async () => {
    target = await startRedisServer({ args: ['--databases', '40'] });
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-rdb-many-databases-'));
    writeFileSync(join(dir, 'dump.rdb'), manyDatabases(40));
  });
  afterAll(async () => {
    await target?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names 16 databases on its lines and counts the other 24', async () => {
    const r = await cli('migrate', '--from-rdb', join(dir, 'dump.rdb'), '--to', target.url, '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const source = lines.find((l) => l.startsWith('source: '))!;
    expect(source).toContain('40 keys in dbs 0 (1), 1 (1),');
    expect(source).toContain('15 (1), … 24 more databases');
    expect(source).not.toContain('16 (1)');
    const plan = lines.find((l) => l.startsWith('DRY RUN: would restore databases: '))!;
    expect(plan).toContain('15 → 15 (1 key of the file), … 24 more databases (file → target)');
    expect(plan).not.toContain('16 → 16');
    expect(await target.client().dbsize()).toBe(0);
  });
});
