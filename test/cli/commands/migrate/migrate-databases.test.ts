import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from '../../../support/redis-cluster.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { pipelineOf } from '../../support/dataset.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * The program in the worker: what these cases prove is each verdict, message and exit code, which it gives as the
 * binary does; migrate.test.ts and compare.test.ts run both commands as the children a user starts. (A child here cost
 * about 0.3 CPU-s of node and module loading each, 13 of them.)
 */
async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runInProcess(args);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** `n` keys in database `db` of a server, each with a TTL (kept exact by the copy). */
async function fill(server: RedisServer, db: number, n: number, prefix: string): Promise<Redis> {
  const c = server.client();
  await c.select(db);
  const p = c.pipeline();
  for (let i = 0; i < n; i++) p.set(`${prefix}:${i}`, `v${i}`, 'PX', 3_600_000 + i);
  await p.exec();
  return c;
}

async function dbsize(server: RedisServer, db: number): Promise<number> {
  const c = server.client();
  try {
    await c.select(db);
    return await c.dbsize();
  } finally {
    c.disconnect();
  }
}

describe('migrate and compare between servers: every database (not database 0 alone)', () => {
  let src: RedisServer;
  let dst: RedisServer;
  let small: RedisServer;
  let cluster: RedisCluster;
  beforeAll(async () => {
    [src, dst, small, cluster] = await Promise.all([
      startRedisServer(),
      startRedisServer(),
      startRedisServer({ args: ['--databases', '2'] }),
      startRedisCluster({ primaries: 3 }),
    ]);
  }, 60_000);
  afterAll(async () => Promise.all([src?.stop(), dst?.stop(), small?.stop(), cluster?.stop()]));
  beforeEach(async () => {
    await Promise.all([src, dst, small].map((s) => s.client().flushall()));
    await Promise.all(cluster.primaries.map((p) => p.client().flushall()));
    await fill(src, 0, 300, 'zero');
    await fill(src, 1, 100, 'one');
    await fill(src, 3, 5, 'three');
  });

  it('migrate --verify copies and verifies every database holding keys, each into its own number, exit 0', async () => {
    const r = await cli('migrate', '--from', src.url, '--to', dst.url, '--verify');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^database 0 → 0:\n {2}copied 300, /m);
    expect(r.stdout).toMatch(/^database 1 → 1:\n {2}copied 100, /m);
    expect(r.stdout).toMatch(/^database 3 → 3:\n {2}copied 5, /m);
    expect(r.stdout).toMatch(/^ {2}verify: EQUAL: 100 keys of A match B/m);
    expect(r.stdout).toMatch(/^all 3 databases: copied 405, .* of 405 keys; verify: EQUAL/m);
    expect(r.status).toBe(0);
    expect([await dbsize(dst, 0), await dbsize(dst, 1), await dbsize(dst, 3)]).toEqual([300, 100, 5]);
    const json = JSON.parse((await cli('compare', '--a', src.url, '--b', dst.url, '--json')).stdout);
    expect(json).toMatchObject({ equal: true, keysA: 405, keysB: 405, leftOut: [] });
    expect(json.databases.map((d: { dbA: number; keysA: number }) => [d.dbA, d.keysA])).toEqual([
      [0, 300],
      [1, 100],
      [3, 5],
    ]);
  });

  it('a --from URL naming one database copies it and names the others with their keys, exit 1', async () => {
    const r = await cli('migrate', '--from', `${src.url}/0`, '--to', dst.url);
    expect(r.stdout).toMatch(/^copied 300, /m);
    expect(r.stdout).toContain('not copied: database 1 (100 keys), database 3 (5 keys) of the source. A FLUSHALL empties every database');
    expect(r.status).toBe(1);
    expect(await dbsize(dst, 1)).toBe(0);
  });

  it('compare finds a difference in database 1 that database 0 alone would call EQUAL; a URL naming database 0 is not proven (exit 1)', async () => {
    expect((await cli('migrate', '--from', src.url, '--to', dst.url)).status).toBe(0);
    const d1 = dst.client();
    await d1.select(1);
    await d1.del('one:7');
    const all = await cli('compare', '--a', src.url, '--b', dst.url);
    expect(all.stdout).toMatch(/^database 1 \(A\) ↔ 1 \(B\): DIFFERENT: 1 key\(s\) differ/m);
    expect(all.stdout).toMatch(/only in A: one:7/);
    expect(all.status).toBe(1);
    const one = await cli('compare', '--a', `${src.url}/0`, '--b', `${dst.url}/0`);
    expect(one.stdout).toMatch(/^EQUAL: 300 keys of A match B/m);
    expect(one.stdout).toContain('NOT COMPARED: database 1 (100 keys on A, 99 keys on B), database 3 (5 keys on A, 5 keys on B): not proven equal');
    expect(one.status).toBe(1);
  });

  it('--db <src>:<dst> restores a database into another, and only the ones mapped (exit 0)', async () => {
    const r = await cli('migrate', '--from', src.url, '--to', dst.url, '--db', '1:2', '--verify');
    expect(r.stdout).toMatch(/^database 1 → 2:\n {2}copied 100, /m);
    expect(r.stdout).toMatch(/verify: EQUAL/);
    expect(r.status).toBe(0);
    expect([await dbsize(dst, 0), await dbsize(dst, 1), await dbsize(dst, 2)]).toEqual([0, 0, 100]);
  });

  it('two source databases into one target database (--db 1:2 --db 3:2) are refused before anything is written: a key in both would keep one value while each compares EQUAL', async () => {
    const r = await cli('migrate', '--from', src.url, '--to', dst.url, '--db', '1:2', '--db', '3:2', '--verify');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--db 1:2 and --db 3:2 write two source databases into target database 2: a key in both would keep only one value/);
    expect(r.stdout).toBe('');
    expect(await dbsize(dst, 2)).toBe(0);
  });

  it('a target with fewer databases is refused before anything is written (exit 2, naming the database and the count)', async () => {
    const r = await cli('migrate', '--from', src.url, '--to', small.url);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^redis-dr: redis at 127\.0\.0\.1:\d+ has no database 3 \(SELECT 3: ERR DB index is out of range; it has 2: 0 to 1\)/);
    expect(r.stdout).toBe('');
    expect([await dbsize(small, 0), await dbsize(small, 1)]).toEqual([0, 0]);
    expect((await cli('migrate', '--from', src.url, '--to', small.url, '--db', '1:5')).status).toBe(2);
  });

  it('a 3-primary cluster target (database 0 only) refuses a source with several databases before writing; --db maps one into 0', async () => {
    const r = await cli('migrate', '--from', src.url, '--to', cluster.url);
    expect(r.status).toBe(2);
    // Said as the data's databases, not as a /1 of the URL to remove (the URL names none: review 45).
    expect(r.stderr).toMatch(
      /^redis-dr: --to \(redis:\/\/127\.0\.0\.1:\d+\) is a Redis Cluster, which has database 0 only, and --from holds keys in databases 1, 3: a cluster cannot hold those; map them into database 0 with --db <src>:0/,
    );
    // compare: the same words, and no fix that is not one.
    const compared = await cli('compare', '--a', src.url, '--b', cluster.url);
    expect(compared.status).toBe(2);
    expect(compared.stderr).toMatch(
      /^redis-dr: --b \(redis:\/\/127\.0\.0\.1:\d+\) is a Redis Cluster, which has database 0 only, and --a holds keys in databases 1, 3: those cannot be compared with it\n$/,
    );
    const counts = await Promise.all(cluster.primaries.map((p) => p.client().dbsize()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(0);
    const one = await cli('migrate', '--from', src.url, '--to', cluster.url, '--db', '1:0', '--verify');
    expect(one.stdout).toMatch(/verify: EQUAL: 100 keys of A match B/);
    expect(one.status).toBe(0);
  });

  it('a cluster source: INFO keyspace of every primary (its keys are all in database 0), copied whole', async () => {
    const c = cluster.client();
    const p = pipelineOf(c);
    for (let i = 0; i < 90; i++) p.set(`c:${i}`, 'v');
    await p.exec();
    c.disconnect();
    const r = await cli('migrate', '--from', cluster.url, '--to', dst.url, '--verify');
    expect(r.stdout).toMatch(/^copied 90, /m);
    expect(r.status).toBe(0);
  });
});
