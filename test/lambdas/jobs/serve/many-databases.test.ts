/**
 * `serve` of a point written by a redis-server configured with `databases 64`, keys in databases 20, 33 and 63: served
 * as a 7.0 configured so serves them (a default 7.0 refuses to load the file), byte for byte against one loading it
 * (review 23 finding 6: SELECT 33 was refused with "DB index is out of range", the keys listed but unreachable).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { manyDatabases } from '../../../support/rdb-bytes.js';
import { RawClient } from '../../../support/resp-raw.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';

const DBS = [0, 20, 33, 63];

/** What is asked of both, in one connection, in order. */
const ASKED: string[][] = [
  ['CONFIG', 'GET', 'databases'],
  ['INFO', 'keyspace'],
  ...DBS.flatMap((db) => [
    ['SELECT', String(db)],
    ['DBSIZE'],
    ['GET', `k${db}`],
    ['GET', 'k0'],
    ['HGETALL', `h${db}`],
    ['EXISTS', `k${db}`, `h${db}`, 'k0'],
    ['TYPE', `h${db}`],
  ]),
  ['SELECT', '64'],
  ['GET', `k63`],
  ['SELECT', '-1'],
  ['SELECT', '1000'],
  // Past an int: 7.0 takes SELECT's index by getIntFromObjectOrReply (its own words for those).
  ['SELECT', '2147483647'],
  ['SELECT', '2147483648'],
  ['SELECT', '-2147483649'],
  ['SELECT', '9223372036854775807'],
  ['SELECT', '9223372036854775808'],
  ['SELECT', '15'],
  ['DBSIZE'],
];

describe('serve: a point holding databases 16 and up (review 23)', () => {
  let source: RedisServer;
  let reference: RedisServer;
  let serving: Serving;
  let defaults: Serving;
  let defaultSource: RedisServer;
  beforeAll(async () => {
    source = await startRedisServer({ args: ['--databases', '64'] });
    const c = source.client();
    for (const db of DBS) {
      await c.select(db);
      await c.set(`k${db}`, `value of ${db}`);
      await c.hset(`h${db}`, 'f', String(db));
    }
    await c.save();
    reference = await startRedisServer({ loadRdb: source.rdbPath, args: ['--databases', '64'] });
    serving = await startServing({ location: source.rdbPath, port: 0 });
    defaultSource = await startRedisServer();
    const d = defaultSource.client();
    await d.select(15);
    await d.set('k15', 'v');
    await d.save();
    defaults = await startServing({ location: defaultSource.rdbPath, port: 0 });
  }, 60_000);
  afterAll(async () => {
    await serving?.close();
    await defaults?.close();
    await source?.stop();
    await reference?.stop();
    await defaultSource?.stop();
  });

  it('SELECT 20, 33, 63 and their keys, CONFIG GET databases, INFO keyspace and the out-of-range errors: the bytes of a 7.0 run with databases 64', async () => {
    const ours = await RawClient.open(serving.port);
    const theirs = await RawClient.open(reference.port);
    const got: string[] = [];
    const want: string[] = [];
    for (const args of ASKED) {
      got.push(await ours.call(...args));
      want.push(await theirs.call(...args));
    }
    ours.close();
    theirs.close();
    expect(got).toEqual(want);
    // What is compared: the databases are reached, and 64 is the limit.
    expect(want[0]).toBe('*2\r\n$9\r\ndatabases\r\n$2\r\n64\r\n');
    expect(want).toContain('$11\r\nvalue of 63\r\n');
    expect(want).toContain('-ERR DB index is out of range\r\n');
  }, 30_000);

  it('a point whose databases are within 0-15 is served with 16, as a default server', async () => {
    const c = await RawClient.open(defaults.port);
    expect(await c.call('CONFIG', 'GET', 'databases')).toBe('*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n');
    expect(await c.call('SELECT', '15')).toBe('+OK\r\n');
    expect(await c.call('GET', 'k15')).toBe('$1\r\nv\r\n');
    expect(await c.call('SELECT', '16')).toBe('-ERR DB index is out of range\r\n');
    c.close();
  }, 30_000);

  it('a point with keys in 130,000 databases is served with 130,000 (it failed to start: Math.max of too many arguments)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-many-databases-'));
    const path = join(dir, 'dump.rdb');
    // Loaded by a redis-server with databases 130000 (test/lambdas/domain/rdb/verifier-redis-verdicts.test.ts).
    writeFileSync(path, manyDatabases(130_000));
    const many = await startServing({ location: path, port: 0 });
    try {
      const c = await RawClient.open(many.port);
      expect(await c.call('CONFIG', 'GET', 'databases')).toBe('*2\r\n$9\r\ndatabases\r\n$6\r\n130000\r\n');
      expect(await c.call('SELECT', '129999')).toBe('+OK\r\n');
      expect(await c.call('GET', 'k129999')).toBe('$1\r\nv\r\n');
      expect(await c.call('SELECT', '130000')).toBe('-ERR DB index is out of range\r\n');
      c.close();
    } finally {
      await many.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
