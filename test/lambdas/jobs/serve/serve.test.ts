/**
 * `serve` against the real thing: a redis-server writes a file holding every
 * type (compact and big encodings), several databases and TTLs; a second
 * redis-server loads that file; the same requests go to it and to the served
 * point, and the replies must be the same bytes (the ones whose order is a
 * hash table's compared as sets).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCanonicalBatch } from '../../../../lambdas/adapters/redis/canonical-read.js';
import { keyDigest } from '../../../../lambdas/domain/rdb/fingerprint.js';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { FoundProblem } from '../../../../lambdas/jobs/kernel/found-problem.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { RawClient } from '../../../support/resp-raw.js';
import { frameFile, keysOf, streamWithActiveTime } from '../../../support/rdb-newer.js';
import { SERVE_DATASET_DBS, STREAM_GROUP_KEYS, writeServeDataset, writeStreamGroups } from '../../../support/serve-dataset.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';

/** Requests whose replies have one order on any server: byte for byte. */
const EXACT: string[][] = [
  ['GET', 'str'],
  ['GET', 'int'],
  ['GET', 'long'],
  ['GET', 'nope'],
  ['GET', 'list:small'],
  ['GET', 'gone'],
  ['MGET', 'str', 'nope', 'list:small', 'int'],
  ['STRLEN', 'long'],
  ['STRLEN', 'nope'],
  ['GETRANGE', 'long', '4995', '5010'],
  ['GETRANGE', 'str', '-3', '-1'],
  ['GETRANGE', 'str', '10', '2'],
  ['GETRANGE', 'str', 'a', '2'],
  ['HGET', 'hash:small', 'f1'],
  ['HGET', 'hash:small', 'nope'],
  ['HGET', 'str', 'f1'],
  ['HMGET', 'hash:big', 'f1', 'nope', 'f150'],
  ['HLEN', 'hash:big'],
  ['HEXISTS', 'hash:small', 'f2'],
  ['HEXISTS', 'hash:small', 'f9'],
  ['HGETALL', 'hash:small'],
  ['HGETALL', 'nope'],
  ['HKEYS', 'hash:small'],
  ['HVALS', 'hash:small'],
  ['LRANGE', 'list:big', '0', '-1'],
  ['LRANGE', 'list:big', '-5', '-1'],
  ['LRANGE', 'list:small', '2', '100'],
  ['LRANGE', 'list:small', '5', '1'],
  ['LLEN', 'list:big'],
  ['LINDEX', 'list:big', '-1'],
  ['LINDEX', 'list:small', '99'],
  ['LINDEX', 'list:small', 'x'],
  ['SMEMBERS', 'set:int'],
  ['SISMEMBER', 'set:big', 'm5'],
  ['SISMEMBER', 'set:big', 'm5000'],
  ['SCARD', 'set:big'],
  ['ZRANGE', 'zset:small', '0', '-1', 'WITHSCORES'],
  ['ZRANGE', 'zset:big', '0', '-1', 'WITHSCORES'],
  ['ZRANGE', 'zset:big', '(1', '50', 'BYSCORE', 'LIMIT', '2', '5', 'WITHSCORES'],
  ['ZRANGE', 'zset:big', '50', '1', 'BYSCORE', 'REV'],
  ['ZRANGE', 'zset:small', '0', '-1', 'REV'],
  ['ZRANGE', 'zset:small', '0', '1', 'LIMIT', '0', '1'],
  ['ZRANGE', 'zset:small', 'x', '1', 'BYSCORE'],
  ['ZRANGEBYSCORE', 'zset:big', '-inf', '+inf', 'WITHSCORES', 'LIMIT', '0', '3'],
  // BYLEX over mixed scores (zset:small is d -3, a 1.1, b 2, c inf, a listpack): Redis walks the set and stops at the
  // first member out of range, it does not filter (none here: its first member, d, is above the maximum).
  ['ZRANGE', 'zset:small', '[a', '[b', 'BYLEX'],
  ['ZRANGE', 'zset:small', '[a', '+', 'BYLEX'],
  ['ZRANGE', 'zset:small', '[z', '(a', 'BYLEX', 'REV'],
  ['ZRANGE', 'zset:small', '+', '[b', 'BYLEX', 'REV', 'LIMIT', '1', '2'],
  ['ZRANGE', 'zset:small', '-', '+', 'BYLEX', 'LIMIT', '1', '-1'],
  ['ZRANGE', 'zset:small', '-', '+', 'BYLEX', 'LIMIT', '0', '0'],
  ['ZRANGE', 'zset:small', '[c', '[a', 'BYLEX'],
  ['ZRANGEBYLEX', 'zset:small', '-', '[c'],
  ['ZRANGEBYLEX', 'zset:small', 'a', '[c'],
  // A skiplist: from its first member on, whatever its random levels.
  ['ZRANGEBYLEX', 'zset:big', '-', '+', 'LIMIT', '5', '10'],
  ['ZRANGEBYLEX', 'zset:lex', '[b', '(e'],
  ['ZREVRANGEBYLEX', 'zset:lex', '(e', '[b'],
  ['ZREVRANGEBYLEX', 'zset:lex', '+', '-', 'LIMIT', '1', '2'],
  ['ZREVRANGEBYLEX', 'zset:small', '[z', '[a'],
  ['ZREVRANGEBYLEX', 'zset:lex', 'b', '-'],
  ['ZLEXCOUNT', 'zset:lex', '[b', '(e'],
  ['ZLEXCOUNT', 'zset:lex', '-', '+'],
  ['ZLEXCOUNT', 'zset:small', '[a', '[c'],
  ['ZLEXCOUNT', 'zset:small', '[c', '[a'],
  ['ZLEXCOUNT', 'zset:big', '-', '+'],
  ['ZLEXCOUNT', 'nope', '-', '+'],
  ['ZLEXCOUNT', 'nope', 'a', '+'],
  ['ZLEXCOUNT', 'str', '-', '+'],
  ['LPOS', 'list:dup', 'a'],
  ['LPOS', 'list:dup', 'a', 'RANK', '2'],
  ['LPOS', 'list:dup', 'a', 'RANK', '-1', 'COUNT', '2', 'MAXLEN', '3'],
  ['LPOS', 'list:dup', 'a', 'COUNT', '0', 'RANK', '2'],
  ['LPOS', 'list:dup', 'b', 'RANK', '-2', 'COUNT', '0'],
  ['LPOS', 'list:dup', 'a', 'RANK', '-9223372036854775808', 'COUNT', '1'],
  ['LPOS', 'list:dup', 'a', 'RANK', '9223372036854775807'],
  ['LPOS', 'list:dup', 'z'],
  ['LPOS', 'list:dup', 'z', 'COUNT', '3'],
  ['LPOS', 'list:big', 'item-299-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'],
  ['LPOS', 'list:dup', 'a', 'RANK', '0'],
  ['LPOS', 'list:dup', 'a', 'COUNT', '-1'],
  ['LPOS', 'list:dup', 'a', 'COUNT', 'x'],
  ['LPOS', 'list:dup', 'a', 'RANK', 'x'],
  ['LPOS', 'list:dup', 'a', 'MAXLEN', '-1'],
  ['LPOS', 'list:dup', 'a', 'RANK'],
  ['LPOS', 'nope', 'a', 'RANK', '0'],
  ['LPOS', 'nope', 'a', 'COUNT', '0'],
  ['LPOS', 'str', 'a'],
  ['GETBIT', 'bits', '0'],
  ['GETBIT', 'bits', '12'],
  ['GETBIT', 'bits', '39'],
  ['GETBIT', 'bits', '4294967295'],
  ['GETBIT', 'bits', '4294967296'],
  ['GETBIT', 'bits', '-1'],
  ['GETBIT', 'int', '10'],
  ['GETBIT', 'nope', '3'],
  ['GETBIT', 'hash:small', '3'],
  ['BITCOUNT', 'bits'],
  ['BITCOUNT', 'bits', '1', '2'],
  ['BITCOUNT', 'bits', '-2', '-1'],
  ['BITCOUNT', 'bits', '-1', '-2'],
  ['BITCOUNT', 'bits', '5', '30', 'BIT'],
  ['BITCOUNT', 'bits', '-5', '-1', 'bit'],
  ['BITCOUNT', 'bits', '0', '-1', 'BYTE'],
  ['BITCOUNT', 'bits', '1'],
  ['BITCOUNT', 'bits', '1', '2', 'foo'],
  ['BITCOUNT', 'bits', 'x', '2'],
  ['BITCOUNT', 'int'],
  ['BITCOUNT', 'nope', 'x', 'y'],
  ['BITCOUNT', 'list:dup'],
  ['SUBSTR', 'long', '4995', '5010'],
  ['SINTERCARD', '2', 'set:small', 'set:other'],
  ['SINTERCARD', '2', 'set:int', 'set:int2'],
  ['SINTERCARD', '2', 'set:big', 'set:big', 'LIMIT', '5'],
  ['SINTERCARD', '2', 'set:small', 'nope'],
  ['SINTERCARD', '0', 'set:small'],
  ['SINTERCARD', 'x', 'set:small'],
  ['SINTERCARD', '3', 'set:small'],
  ['SINTERCARD', '1', 'set:small', 'LIMIT', '-1'],
  ['SINTERCARD', '1', 'set:small', 'FOO'],
  ['SINTERCARD', '2', 'nope', 'str'],
  ['SINTER', 'set:small', 'nope'],
  ['SINTER', 'nope', 'str'],
  ['SUNION', 'nope', 'str'],
  ['SDIFF', 'nope', 'set:small'],
  ['SDIFF', 'set:small', 'str'],
  // Score bounds by C's strtod (whitespace, hexadecimal, an empty text is 0), option words as the server reads them.
  ['ZCOUNT', 'zset:small', '', '+inf'],
  ['ZCOUNT', 'zset:small', '0x1', '+inf'],
  ['ZRANGE', 'zset:small', '( 1', '0X1p4', 'BYSCORE'],
  ['ZRANGEBYSCORE', 'zset:small', '(', '+inf'],
  ['ZRANGEBYSCORE', 'zset:small', '\t-5', 'infinity'],
  ['ZCOUNT', 'zset:small', '5 ', '+inf'],
  ['ZCOUNT', 'zset:small', 'nan', '1'],
  ['ZRANGE', 'zset:small', '0', '-1', 'REV', 'REV'],
  ['ZRANGE', 'zset:small', '0', '1', 'BYSCORE', 'BYSCORE'],
  ['ZRANGE', 'zset:small', '[a', '[b', 'BYSCORE', 'BYLEX'],
  ['ZRANGEBYLEX', 'zset:small', '-', '+', 'WITHSCORES'],
  ['ZREVRANGE', 'zset:small', '0', '-1', 'LIMIT', '0', '1'],
  ['ZREVRANGE', 'zset:small', '0', '-1', 'LIMIT', '0', '-1'],
  ['ZRANGEBYSCORE', 'zset:small', '-inf', '+inf', 'REV'],
  ['ZRANGE', 'zset:small', '0', '-1', 'LIMIT', '0'],
  ['ZSCAN', 'zset:intscore', '0'],
  ['XRANGE', 'nope', '-', '+', 'COUNT', '0'],
  ['XRANGE', 'nope', '-', '+', 'COUNT', '-1'],
  ['XRANGE', 'stream', '-', '+', 'COUNT', '0'],
  ['XINFO', 'STREAM', 'nope'],
  ['XINFO', 'STREAM', 'str'],
  ['SCAN', '+0', 'COUNT', '0'],
  ['SCAN', '-0', 'COUNT', '0'],
  ['SCAN', '', 'COUNT', '0'],
  ['SCAN', '18446744073709551616'],
  ['SCAN', ' 1'],
  ['SCAN', '+'],
  ['HSCAN', 'hash:small', '+0'],
  ['COMMAND', 'COUNT', 'x'],
  ['COMMAND', 'LIST', 'x'],
  ['COMMAND', 'INFO', 'nocmd'],
  ['AUTH', 'a', 'b'],
  ['AUTH', 'default', 'anything'],
  ['AUTH', 'alone'],
  ['XPENDING', 'sg:pending', 'g'],
  ['XPENDING', 'sg:pending', 'none'],
  ['XPENDING', 'sg:pending', 'nog'],
  ['XPENDING', 'nope', 'g'],
  ['XPENDING', 'str', 'g'],
  ['XPENDING', 'sg:pending', 'g', '-', '+', '10', 'nobody'],
  ['XPENDING', 'sg:pending', 'g', 'IDLE', '99999999', '-', '+', '10'],
  ['XPENDING', 'sg:pending', 'g', 'IDLE', 'x', '-', '+', '10'],
  ['XPENDING', 'sg:pending', 'g', 'IDLE', '5', '-', '+'],
  ['XPENDING', 'sg:pending', 'g', '-', '+', 'x'],
  ['XPENDING', 'sg:pending', 'g', 'bad', '+', '1'],
  ['XPENDING', 'sg:pending', 'g', '-', '+', '-5'],
  ['XPENDING', 'sg:pending', 'g', '-', '+', '0'],
  ['XPENDING', 'sg:pending', 'g', '-', '+'],
  ['XPENDING', 'sg:pending', 'g', '-', '+', '1', 'a', 'b', 'c'],
  ['XPENDING', 'sg:pending'],
  ['XPENDING', 'nope', 'g', '-', '+', '10'],
  ['XPENDING', 'sg:pending', 'g', '(18446744073709551615-18446744073709551615', '+', '1'],
  ['XPENDING', 'sg:pending', 'g', '-', '(0-0', '5'],
  ['XPENDING', 'sg:pending', 'g', '(-', '+', '5'],
  ['XRANGE', 'stream', '(18446744073709551615-18446744073709551615', '+'],
  ['XRANGE', 'stream', '-', '(0-0'],
  ['XRANGE', 'stream', '(', '+'],
  ['ZSCORE', 'zset:small', 'a'],
  ['ZSCORE', 'zset:small', 'c'],
  ['ZSCORE', 'zset:big', 'm10'],
  ['ZRANK', 'zset:big', 'm10'],
  ['ZRANK', 'zset:big', 'nope'],
  ['ZCARD', 'zset:big'],
  ['XLEN', 'stream'],
  ['XRANGE', 'stream', '-', '+'],
  ['XRANGE', 'stream', '-', '+', 'COUNT', '2'],
  ['XRANGE', 'stream', '(1-1', '+'],
  ['XRANGE', 'stream', '2', '5'],
  ['XREVRANGE', 'stream', '+', '-'],
  ['XRANGE', 'stream', 'bad', '+'],
  ...STREAM_GROUP_KEYS.map((k) => ['XINFO', 'GROUPS', k]),
  ['XINFO', 'GROUPS', 'nope'],
  ['XINFO', 'GROUPS', 'str'],
  ['XINFO', 'GROUPS'],
  ['XINFO', 'GROUPS', 'stream', 'extra'],
  ['XINFO', 'CONSUMERS', 'sg:read'],
  ['XINFO', 'CONSUMERS', 'sg:read', 'no-such-group'],
  ['XINFO', 'CONSUMERS', 'nope', 'reading'],
  ['XINFO', 'CONSUMERS', 'str', 'reading'],
  ['XINFO', 'STREAM'],
  ['XINFO', 'NOSUCH', 'stream'],
  ['EXISTS', 'str', 'nope', 'list:small', 'gone'],
  // A read on 7.0 (a read-only replica answers it), not a write.
  ['TOUCH', 'str', 'nope', 'list:small', 'gone', 'str'],
  ['TOUCH'],
  ['COMMAND', 'INFO', 'touch'],
  ['TYPE', 'str'],
  ['TYPE', 'list:big'],
  ['TYPE', 'set:big'],
  ['TYPE', 'zset:big'],
  ['TYPE', 'hash:big'],
  ['TYPE', 'stream'],
  ['TYPE', 'nope'],
  ['TTL', 'nope'],
  ['TTL', 'str'],
  ['PTTL', 'str'],
  ['EXPIRETIME', 'ttl:at'],
  ['PEXPIRETIME', 'ttl:at'],
  ['EXPIRETIME', 'str'],
  ['EXPIRETIME', 'nope'],
  ['DBSIZE'],
  ['SELECT', '99'],
  ['SELECT', 'x'],
  ['GET'],
  ['FOO', 'bar'],
  ['PING'],
  ['PING', 'hi'],
  ['ECHO', 'x'],
  ['HSCAN', 'hash:small', '0'],
  ['ZSCAN', 'zset:small', '0'],
  ['SSCAN', 'set:int', '0'],
  ['SSCAN', 'set:int', 'x'],
  ['SCAN', '0', 'COUNT', '0'],
  // A listed CLIENT subcommand with the wrong number of words: 7.0's arity error of `client|<sub>` (not an unknown subcommand).
  ['CLIENT', 'SETNAME'],
  ['CLIENT', 'SETNAME', 'a', 'b'],
  ['CLIENT', 'setname', 'a b'],
  ['CLIENT', 'GETNAME', 'x'],
  ['CLIENT', 'ID', 'x'],
  ['CLIENT', 'HELP', 'x'],
  ['CLIENT', 'NOSUCH', 'x'],
  // CONFIG GET of a name without glob characters answers the name as asked; one entry a setting whatever the case.
  ['CONFIG', 'GET', 'SAVE'],
  ['CONFIG', 'GET', 'Databases'],
  ['CONFIG', 'GET', 'SAVE', 'save', 'sav*'],
  ['CONFIG', 'GET', 'sAv?'],
  ['CONFIG', 'GET', 'APPENDONLY', 'appendOnly'],
  ['CONFIG', 'GET', 'constructor'],
];

let writer: RedisServer;
let reference: RedisServer;
let serving: Serving;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-'));
  writer = await startRedisServer();
  const c = writer.client();
  await writeServeDataset(c);
  await writeStreamGroups(c);
  await c.save();
  file = join(dir, 'point.rdb');
  copyFileSync(writer.rdbPath, file);
  reference = await startRedisServer({ loadRdb: file });
  serving = await startServing({ location: file, port: 0 });
}, 60_000);

afterAll(async () => {
  await serving?.close();
  await writer?.stop();
  await reference?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function both<T>(run: (port: number) => Promise<T>): Promise<[T, T]> {
  return [await run(reference.port), await run(serving.port)];
}

/** The raw replies of `port` to `cmds`, sent in turn on one connection. */
async function rawReplies(port: number, cmds: readonly string[][]): Promise<string[]> {
  const raw = await RawClient.open(port);
  const out: string[] = [];
  for (const cmd of cmds) out.push(await raw.call(...cmd));
  raw.close();
  return out;
}

describe('serve, against a redis-server loaded from the same file', () => {
  it.each([2, 3])('answers every ordered request with the same bytes (RESP%d)', async (proto) => {
    const [ref, served] = await both(async (port) => {
      const raw = await RawClient.open(port);
      if (proto === 3) await raw.call('HELLO', '3');
      const replies: string[] = [];
      for (const cmd of EXACT) replies.push(await raw.call(...cmd));
      raw.close();
      return replies;
    });
    for (let i = 0; i < EXACT.length; i++) expect([EXACT[i]!.join(' '), served[i]]).toEqual([EXACT[i]!.join(' '), ref[i]]);
  });

  it('answers XINFO CONSUMERS as the server: names in order, pending counts, idle from the stored seen time', async () => {
    await new Promise((r) => setTimeout(r, 20)); // every consumer idle for some milliseconds on both
    type Consumer = [string, string, string, number, string, number];
    const ask = async (port: number, key: string, group: string): Promise<Consumer[]> => {
      const client = new Redis({ port, host: '127.0.0.1', protocol: 2, lazyConnect: true });
      await client.connect();
      try {
        return (await client.call('XINFO', 'CONSUMERS', key, group)) as Consumer[];
      } finally {
        client.disconnect();
      }
    };
    let consumers = 0;
    for (const key of STREAM_GROUP_KEYS) {
      const groups = (await reference.client().call('XINFO', 'GROUPS', key)) as string[][];
      for (const g of groups) {
        const group = g[1]!;
        // The reference first: the served idle is the same or a few milliseconds more, never less.
        const ref = await ask(reference.port, key, group);
        const served = await ask(serving.port, key, group);
        expect(served.map((c) => [c[0], c[1], c[2], c[3], c[4]])).toEqual(ref.map((c) => [c[0], c[1], c[2], c[3], c[4]]));
        for (let i = 0; i < ref.length; i++) {
          expect(ref[i]![5]).toBeGreaterThan(0);
          expect(served[i]![5] - ref[i]![5]).toBeGreaterThanOrEqual(0);
          expect(served[i]![5] - ref[i]![5]).toBeLessThan(1_000);
        }
        consumers += ref.length;
      }
    }
    expect(consumers).toBeGreaterThanOrEqual(2);
  });

  it('answers XPENDING ranges as the server: ids, consumers and deliveries the same, idle from the stored delivery time', async () => {
    await new Promise((r) => setTimeout(r, 20)); // every entry idle for some milliseconds on both
    type Entry = [string, string, number, number];
    const ask = async (port: number, req: string[]): Promise<Entry[]> => {
      const client = new Redis({ port, host: '127.0.0.1', protocol: 2, lazyConnect: true });
      await client.connect();
      try {
        return (await client.call('XPENDING', 'sg:pending', 'g', ...req)) as Entry[];
      } finally {
        client.disconnect();
      }
    };
    let entries = 0;
    for (const req of [
      ['-', '+', '10'],
      ['(1-0', '+', '2'],
      ['-', '+', '10', 'bob'],
      ['IDLE', '1', '-', '+', '10', 'alice'],
    ]) {
      // The reference first: the served idle is the same or a few milliseconds more, never less.
      const ref = await ask(reference.port, req);
      const served = await ask(serving.port, req);
      expect(served.map(([id, c, , n]) => [id, c, n])).toEqual(ref.map(([id, c, , n]) => [id, c, n]));
      for (let i = 0; i < ref.length; i++) {
        expect(ref[i]![2]).toBeGreaterThan(0);
        expect(served[i]![2] - ref[i]![2]).toBeGreaterThanOrEqual(0);
        expect(served[i]![2] - ref[i]![2]).toBeLessThan(1_000);
      }
      entries += ref.length;
    }
    // Claimed 1-0 (two deliveries) is bob's with 3-0; alice holds 2-0.
    expect(entries).toBe(3 + 2 + 2 + 1);
  });

  it('answers XINFO CONSUMERS of a Redis 7.2+ stream (type 21) with its stored active time as `inactive` (-1: never active)', async () => {
    const sg = keysOf(readFileSync(file)).keys.find((k) => k.name === 'sg:read')!;
    const minuteAgo = Date.now() - 60_000;
    const v11 = join(dir, 'active-time.rdb');
    writeFileSync(
      v11,
      frameFile('REDIS0011', [
        { ...sg, name: 'active', type: 21, object: streamWithActiveTime(sg.object, BigInt(minuteAgo)) },
        { ...sg, name: 'never', type: 21, object: streamWithActiveTime(sg.object, -1n) },
      ]),
    );
    const served = await startServing({ location: v11, port: 0 });
    const client = new Redis({ port: served.port, host: '127.0.0.1', protocol: 2, lazyConnect: true });
    try {
      await client.connect();
      const ref = (await reference.client().call('XINFO', 'CONSUMERS', 'sg:read', 'reading')) as unknown[][];
      // serve's clock read between these two: its `inactive` lies between them, whatever the machine's speed (a 5 s bound
      // after the reply was crossed by a 5 s stall).
      const asked = Date.now();
      const active = (await client.call('XINFO', 'CONSUMERS', 'active', 'reading')) as unknown[][];
      const answered = Date.now();
      const never = (await client.call('XINFO', 'CONSUMERS', 'never', 'reading')) as unknown[][];
      expect(ref.length).toBe(2);
      for (const [i, c] of active.entries()) {
        expect(c.slice(0, 4)).toEqual(ref[i]!.slice(0, 4));
        expect(c[6]).toBe('inactive');
        expect(c[7] as number).toBeGreaterThanOrEqual(asked - minuteAgo);
        expect(c[7] as number).toBeLessThanOrEqual(answered - minuteAgo);
      }
      expect(never.map((c) => [c[1], c[6], c[7]])).toEqual(ref.map((c) => [c[1], 'inactive', -1]));
    } finally {
      client.disconnect();
      await served.close();
    }
  });

  it('answers XINFO GROUPS of pre-7.0 streams (RDB 9, no entries-read or largest deleted id stored) as Redis 7.0 does after loading them', async () => {
    // The same file written for Redis 6.2 (streams as type 15) by convert-rdb, loaded by a real server and served: the streams' ids and
    // entries-read let go (--lossy stream-ids), which is the point here (a server derives them).
    const v9 = join(dir, 'streams-v9.rdb');
    const converted = await convertRdb({ input: file, output: v9, ...convertTarget({ for: 'redis-6.2' }), lossy: new Set(['function', 'stream-ids']) });
    expect(converted.ok, converted.error).toBe(true);
    expect(converted.lost['stream-ids']).toBeGreaterThan(0);
    expect(readFileSync(v9).subarray(0, 9).toString('latin1')).toBe('REDIS0009');
    const older = await startRedisServer({ loadRdb: v9 });
    const served = await startServing({ location: v9, port: 0 });
    try {
      const ask = async (port: number): Promise<string[]> => {
        const raw = await RawClient.open(port);
        const out: string[] = [];
        for (const key of STREAM_GROUP_KEYS) out.push(await raw.call('XINFO', 'GROUPS', key));
        // Small collections written plain for RDB 9: the loading server makes them listpacks and intsets, scanned whole.
        for (const [cmd, key] of [
          ['ZSCAN', 'zset:small'],
          ['ZSCAN', 'zset:intscore'],
          ['HSCAN', 'hash:small'],
          ['SSCAN', 'set:int'],
          ['SSCAN', 'set:int2'],
        ])
          out.push(await raw.call(cmd!, key!, '0'));
        raw.close();
        return out;
      };
      const [ref, got] = [await ask(older.port), await ask(served.port)];
      expect(got).toEqual(ref);
      // Lag and entries-read as Redis 7.0 estimates them for a group with no stored read counter: not all null.
      expect(ref.join('\n')).toMatch(/entries-read\r\n:\d+/);
    } finally {
      await served.close();
      await older.stop();
    }
  });

  it('RESET: the transaction, database and name gone, as the server resets a connection', async () => {
    const cmds = [
      ['SELECT', '5'],
      ['CLIENT', 'SETNAME', 'triage'],
      ['MULTI'],
      ['GET', 'str'],
      ['RESET'],
      ['GET', 'str'],
      ['CLIENT', 'GETNAME'],
      ['EXEC'],
      ['RESET', 'x'],
    ];
    const [ref, served] = await both((port) => rawReplies(port, cmds));
    expect(served).toEqual(ref);
    expect(served[4]).toBe('+RESET\r\n');
  });

  it('keeps the sign of a -0 score a skiplist holds (ZADD cannot make one; a file can), as the server that loads it', async () => {
    // RDB type 5 (ZSET_2): members with binary doubles; 130 of them, so the loading server keeps a skiplist.
    const member = (name: string, score: number): number[] => {
      const d = Buffer.alloc(8);
      d.writeDoubleLE(score);
      return [name.length, ...Buffer.from(name, 'latin1'), ...d];
    };
    const object = [0x40 | (130 >> 8), 130 & 0xff, ...member('nz', -0), ...Array.from({ length: 129 }, (_, i) => member(`m${i}`, i + 1)).flat()];
    const negzero = join(dir, 'negzero.rdb');
    writeFileSync(negzero, frameFile('REDIS0010', [{ db: 0, name: 'z', type: 5, object: Uint8Array.from(object), expireAtMs: null }]));
    const loaded = await startRedisServer({ loadRdb: negzero });
    const served = await startServing({ location: negzero, port: 0 });
    try {
      const cmds = [
        ['ZSCORE', 'z', 'nz'],
        ['ZRANGE', 'z', '0', '1', 'WITHSCORES'],
        ['ZMSCORE', 'z', 'nz', 'm0'],
        ['ZRANGEBYSCORE', 'z', '-1', '0', 'WITHSCORES'],
        ['OBJECT', 'ENCODING', 'z'],
      ];
      const [ref, got] = [await rawReplies(loaded.port, cmds), await rawReplies(served.port, cmds)];
      expect(ref[4]).toBe('$8\r\nskiplist\r\n');
      expect(ref[0]).toBe('$2\r\n-0\r\n');
      expect(got.slice(0, 4)).toEqual(ref.slice(0, 4));
      // compare's reading of both sides: the same digest (the file's -0 and the server's both as -0).
      const digests = await Promise.all(
        [loaded.port, served.port].map(async (port) => {
          const client = new Redis({ port, host: '127.0.0.1', protocol: 2, lazyConnect: true });
          await client.connect();
          const [v] = await readCanonicalBatch(client, [Buffer.from('z')]);
          client.disconnect();
          return keyDigest(v!.value, v!.expireAtMs);
        }),
      );
      expect(digests[1]).toEqual(digests[0]);
    } finally {
      await served.close();
      await loaded.stop();
    }
  });

  it('answers in the other databases after SELECT', async () => {
    const cmds = [
      ['SELECT', '1'],
      ['GET', 'db1:key'],
      ['SCARD', 'db1:set'],
      ['GET', 'str'],
      ['SELECT', '5'],
      ['GET', 'str'],
      ['HGETALL', 'db5:h'],
      ['DBSIZE'],
      ['SELECT', '2'],
      ['DBSIZE'],
    ];
    const [ref, served] = await both((port) => rawReplies(port, cmds));
    expect(served).toEqual(ref);
  });

  it('counts per database the keys in the file and those already expired, so keys less expired is what DBSIZE answers', async () => {
    const client = reference.client();
    const dbsize: number[] = [];
    for (const db of SERVE_DATASET_DBS) {
      await client.select(db);
      dbsize.push(await client.dbsize());
    }
    await client.select(0);
    expect(serving.databases.map((d) => d.db)).toEqual(SERVE_DATASET_DBS);
    expect(serving.databases.map((d) => d.keys - d.expired)).toEqual(dbsize);
  });

  it('holds the same value, type and expiry for every key of every database (compare reads both)', async () => {
    for (const db of SERVE_DATASET_DBS) {
      const [ref, served] = await both(async (port) => {
        // RESP2, as migrate and compare read a source.
        const client = new Redis({ port, host: '127.0.0.1', db, protocol: 2, lazyConnect: true });
        await client.connect();
        const keys: Buffer[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 7);
          cursor = String(next);
          keys.push(...batch);
        } while (cursor !== '0');
        keys.sort(Buffer.compare);
        const values = await readCanonicalBatch(client, keys);
        client.disconnect();
        return keys.map((k, i) => [k.toString('hex'), values[i] ? keyDigest(values[i]!.value, values[i]!.expireAtMs) : undefined]);
      });
      expect(served.length).toBeGreaterThan(0);
      expect(served).toEqual(ref);
    }
  });

  it('gives hash-table ordered replies with the same members (as sets), through ioredis (RESP3, its default)', async () => {
    const sorted = (xs: unknown): string[] => (xs as Buffer[]).map((x) => x.toString('hex')).sort();
    const [ref, served] = await both(async (port) => {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
      await client.connect();
      const out = {
        hgetall: sorted(await client.callBuffer('HGETALL', 'hash:big')),
        hkeys: sorted(await client.callBuffer('HKEYS', 'hash:big')),
        hvals: sorted(await client.callBuffer('HVALS', 'hash:big')),
        smembers: sorted(await client.callBuffer('SMEMBERS', 'set:big')),
        small: sorted(await client.callBuffer('SMEMBERS', 'set:small')),
        scanMatch: sorted(await scanAll(client, ['MATCH', 'k:1*', 'COUNT', '5'])),
        scanType: sorted(await scanAll(client, ['TYPE', 'zset'])),
        keys: sorted(await client.callBuffer('KEYS', '*')),
        hscan: sorted(await scanAll(client, ['COUNT', '50'], 'HSCAN', 'hash:big')),
        sscan: sorted(await scanAll(client, ['MATCH', 'm1*'], 'SSCAN', 'set:big')),
        zscan: sorted(await scanAll(client, [], 'ZSCAN', 'zset:big')),
        sinter: sorted(await client.callBuffer('SINTER', 'set:small', 'set:other')),
        sinterInt: sorted(await client.callBuffer('SINTER', 'set:int', 'set:int2')),
        sinterBig: sorted(await client.callBuffer('SINTER', 'set:big', 'set:big')),
        sunion: sorted(await client.callBuffer('SUNION', 'set:small', 'nope', 'set:other', 'set:int')),
        sdiff: sorted(await client.callBuffer('SDIFF', 'set:big', 'set:small', 'set:other')),
        sdiffSmall: sorted(await client.callBuffer('SDIFF', 'set:other', 'set:small')),
      };
      client.disconnect();
      return out;
    });
    expect(served.hgetall).toHaveLength(600);
    expect(served.scanMatch.length).toBeGreaterThan(5);
    expect(served).toEqual(ref);
  });

  it('answers redis-cli as the server does, in RESP2 and RESP3', async () => {
    const cli = (port: number, ...args: string[]) =>
      new Promise<string>((resolve) => execFile('redis-cli', ['-p', String(port), ...args], (_e, stdout, stderr) => resolve(stdout + stderr)));
    for (const args of [
      ['GET', 'str'],
      ['ZRANGE', 'zset:small', '0', '-1', 'WITHSCORES'],
      ['-3', 'ZRANGE', 'zset:small', '0', '-1', 'WITHSCORES'],
      ['-3', 'HGETALL', 'hash:small'],
      ['LRANGE', 'list:small', '0', '-1'],
      ['-n', '1', 'GET', 'db1:key'],
      ['XRANGE', 'stream', '-', '+'],
      ['-3', 'ZSCORE', 'zset:small', 'a'],
      ['SET', 'a', 'b'],
    ]) {
      const [ref, served] = await both((port) => cli(port, ...args));
      if (args[0] === 'SET') expect(served).toMatch(/^READONLY /);
      else expect([args.join(' '), served]).toEqual([args.join(' '), ref]);
    }
  });

  it('gives a TTL counted from its stored absolute expiry', async () => {
    const [ref, served] = await both(async (port) => {
      const raw = await RawClient.open(port);
      const out = [await raw.call('TTL', 'ttl:s'), await raw.call('PTTL', 'ttl:h'), await raw.call('PEXPIRETIME', 'ttl:h')];
      raw.close();
      return out.map((r) => Number(r.slice(1)));
    });
    expect(Math.abs(served[0]! - ref[0]!)).toBeLessThanOrEqual(2);
    expect(Math.abs(served[1]! - ref[1]!)).toBeLessThanOrEqual(2000);
    expect(served[2]).toBe(ref[2]);
    expect(served[0]).toBeGreaterThan(99_000);
  });

  it('DUMPs payloads a server RESTOREs to the same value, the same bytes where the encoding is compact', async () => {
    const raw = await RawClient.open(serving.port);
    const ref = await RawClient.open(reference.port);
    for (const key of ['str', 'int', 'long', 'list:small', 'hash:small', 'zset:small', 'set:int'])
      expect([key, await raw.call('DUMP', key)]).toEqual([key, await ref.call('DUMP', key)]);
    const served = new Redis({ port: serving.port, protocol: 2, lazyConnect: true });
    await served.connect();
    const target = reference.client();
    const keys = ['str', 'long', 'list:big', 'set:big', 'hash:big', 'zset:big', 'stream', 'set:small'].map((k) => Buffer.from(k));
    for (const key of keys) {
      const payload = await served.dumpBuffer(key);
      await target.restore(Buffer.concat([Buffer.from('copy:'), key]), 0, payload!, 'REPLACE');
    }
    const original = await readCanonicalBatch(target, keys);
    const copies = await readCanonicalBatch(
      target,
      keys.map((k) => Buffer.concat([Buffer.from('copy:'), k])),
    );
    expect(copies.map((c) => keyDigest(c!.value, null))).toEqual(original.map((c) => keyDigest(c!.value, null)));
    await target.del(...keys.map((k) => Buffer.concat([Buffer.from('copy:'), k])));
    served.disconnect();
    raw.close();
    ref.close();
  });

  it('refuses every write with READONLY and changes nothing', async () => {
    const raw = await RawClient.open(serving.port);
    const before = [await raw.call('DBSIZE'), await raw.call('GET', 'str'), await raw.call('LLEN', 'list:big')];
    for (const cmd of [
      ['SET', 'str', 'x'],
      ['DEL', 'str'],
      ['FLUSHALL'],
      ['LPUSH', 'list:big', 'x'],
      ['EXPIRE', 'str', '1'],
      ['RESTORE', 'k', '0', 'x'],
      ['EVAL', 'return 1', '0'],
      ['HSET', 'hash:small', 'f', 'v'],
    ])
      expect([cmd[0], await raw.call(...cmd)]).toEqual([cmd[0], expect.stringMatching(/^-READONLY You can't write/)]);
    expect([await raw.call('DBSIZE'), await raw.call('GET', 'str'), await raw.call('LLEN', 'list:big')]).toEqual(before);
    raw.close();
  });

  it('answers READONLY to every command the reference server flags write (its COMMAND), none as unknown', async () => {
    const client = reference.client();
    // COMMAND: per command [name, arity, flags, …, subcommands (10th)]; a write subcommand makes its command one too.
    type Doc = [string, number, string[], ...unknown[]];
    const docs = (await client.call('COMMAND')) as Doc[];
    const writes = docs.filter((d) => d[2].includes('write') || ((d[9] ?? []) as Doc[]).some((sub) => sub[2].includes('write')));
    expect(writes.map((d) => d[0])).toEqual(expect.arrayContaining(['set', 'xgroup', 'function']));
    const raw = await RawClient.open(serving.port);
    const answers: string[] = [];
    // Each with as many arguments as its arity asks for (a wrong number is 7.0's arity error first), a container's by its first write subcommand.
    for (const d of writes) {
      const sub = ((d[9] ?? []) as Doc[]).find((s) => s[2].includes('write'));
      const [words, arity] = sub ? [sub[0].split('|'), sub[1]] : [[d[0]], d[1]];
      answers.push(`${d[0]} ${(await raw.call(...words, ...Array.from({ length: Math.abs(arity) - words.length }, () => 'k'))).split(' ')[0]}`);
    }
    const names = writes.map((d) => d[0]);
    expect(answers).toEqual(names.map((name) => `${name} -READONLY`));
    raw.close();
  });

  it.each([['*x\r\n'], ['*1\r\n$-5\r\n'], ['*2\r\n$3\r\nGET\r\nxx\r\n'], ['GET "abc\r\n']])(
    'answers garbage %j with the protocol error the server gives, closes that connection, and keeps serving',
    async (garbage) => {
      const [ref, served] = await both(async (port) => {
        const raw = await RawClient.open(port);
        const reply = await raw.send(garbage);
        await raw.ended();
        return reply;
      });
      expect(served).toBe(ref);
      const after = await RawClient.open(serving.port);
      expect(await after.call('PING')).toBe('+PONG\r\n');
      after.close();
    },
  );

  it("keeps a CR or LF sent in a command out of its error line, as the server does: the next reply is still the next command's", async () => {
    const [ref, served] = await both(async (port) => {
      const raw = await RawClient.open(port);
      const replies = [await raw.call('a\r\nbc', 'x\ny'), await raw.call('PING')];
      raw.close();
      return replies;
    });
    expect(served).toEqual(ref);
    expect(served[1]).toBe('+PONG\r\n');
  });

  it('survives random bytes from many clients', async () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const raw = await RawClient.open(serving.port);
        const junk = Buffer.from(Array.from({ length: 2000 }, () => rand() % 256));
        // Junk may read as the start of a long request: no reply is awaited, the client goes after a moment.
        void raw.send(junk.toString('latin1')).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
        raw.close();
      }),
    );
    const after = await RawClient.open(serving.port);
    expect(await after.call('GET', 'str')).toBe('$5\r\nhello\r\n');
    after.close();
  });
});

describe('serve refuses what it cannot serve, before listening', () => {
  it('refuses a corrupt file with the verifier verdict', async () => {
    const bad = join(dir, 'corrupt.rdb');
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(bad, bytes);
    const err = await startServing({ location: bad, port: 0 }).catch((e: unknown) => e);
    // A problem found in the data (exit 1 in the CLI), not a usage error.
    expect(err).toBeInstanceOf(FoundProblem);
    expect(err).not.toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/corrupt \(the verifier's verdict at byte \d+/);
  });

  it('refuses a missing file, naming it', async () => {
    await expect(startServing({ location: join(dir, 'nope.rdb'), port: 0 })).rejects.toThrow(
      new UsageError(`cannot read ${join(dir, 'nope.rdb')}: no such file`),
    );
  });

  it('refuses a port in use with the fix', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    await expect(startServing({ location: file, port })).rejects.toThrow(
      new UsageError(`--port ${port} is in use on 127.0.0.1: choose another port, or --port 0 for a free one`),
    );
    taken.close();
  });

  it('refuses a --bind that resolves to no address, with the fix', async () => {
    await expect(startServing({ location: file, port: 0, bind: 'nothost.invalid' })).rejects.toThrow(
      new UsageError(
        '--bind nothost.invalid is no name or address of this machine (getaddrinfo ENOTFOUND): give one of its IP addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)',
      ),
    );
  });

  it('asks for the password when one is set, and takes only that one', async () => {
    const guarded = await startServing({ location: file, port: 0, password: 's3cret' });
    const raw = await RawClient.open(guarded.port);
    expect(await raw.call('GET', 'str')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await raw.call('SET', 'str', 'x')).toBe('-NOAUTH Authentication required.\r\n');
    expect(await raw.call('AUTH', 'wrong')).toMatch(/^-WRONGPASS/);
    expect(await raw.call('AUTH', 's3cret')).toBe('+OK\r\n');
    expect(await raw.call('GET', 'str')).toBe('$5\r\nhello\r\n');
    raw.close();
    const client = new Redis({ port: guarded.port, password: 's3cret', lazyConnect: true });
    await client.connect();
    expect(await client.get('str')).toBe('hello');
    client.disconnect();
    await guarded.close();
  });
});

/** Every element a SCAN-family command returns over a whole iteration. */
async function scanAll(client: Redis, options: string[], command = 'SCAN', key?: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await client.callBuffer(command, ...(key ? [key] : []), cursor, ...options)) as [Buffer, Buffer[]];
    cursor = next.toString();
    out.push(...batch);
  } while (cursor !== '0');
  return out;
}

describe('CONFIG', () => {
  it('answers CONFIG GET for the settings clients ask about, and refuses CONFIG SET', async () => {
    const raw = await RawClient.open(serving.port);
    expect(await raw.call('CONFIG', 'GET', 'databases')).toBe('*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n');
    expect(await raw.call('CONFIG', 'GET', 'nothing-like-it')).toBe('*0\r\n');
    expect(await raw.call('CONFIG', 'SET', 'maxmemory', '1')).toMatch(/^-READONLY/);
    raw.close();
  });
});
