import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import IORedis, { type Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { chunkedPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { restoreRdbKeys } from '../../../../lambdas/jobs/keys/read-rdb.js';
import { verifyRdbKeys, type VerifyRdbKeysOptions } from '../../../../lambdas/jobs/keys/verify.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

const N = 600; // above the listpack limits (hashes 512, zsets 128): sets, hashes and zsets stored as tables (RDB types 2, 4, 5)

/** migrate --from-rdb --verify of big keys: checked a chunk at a time, with the verdicts of the whole-value check. */
describe('verifyRdbKeys: big keys checked in chunks', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dst: Redis;
  let file: Buffer;
  const big = randomBytes(5000);
  const files = () => [
    {
      location: 'dump.rdb',
      open: async function* () {
        for (let at = 0; at < file.length; at += 4096) yield file.subarray(at, at + 4096);
      },
    },
  ];
  /** Chunked: every key "big" (1 byte), one element per chunk (600 round trips a collection; strings in 1 KiB pieces, 5 of them). */
  const CHUNKED: Partial<VerifyRdbKeysOptions> = { bigKeyBytes: 1, chunkElements: 1 };
  /** As CHUNKED, with every payload of 100 value bytes or more kept in parts (the file's chunks): a string compared in place. */
  const IN_PARTS: Partial<VerifyRdbKeysOptions> = { ...CHUNKED, partsFromBytes: 100 };
  const verify = (options: Partial<VerifyRdbKeysOptions> = {}) => verifyRdbKeys(files(), keyspaceOf(dst), { skippedKeys: new Set(), ...options });
  const calls = async (command: string): Promise<number> =>
    Number(/calls=(\d+)/.exec((await dst.info('commandstats')).split('\n').find((l) => l.startsWith(`cmdstat_${command}:`)) ?? '')?.[1] ?? 0);

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer(), startRedisServer()]);
    const src = source.client();
    const members = (p: string) => Array.from({ length: N }, (_, i) => `${p}-${i}`);
    for (const name of ['set:a', 'set:ttl']) await src.sadd(name, ...members('m'));
    await src.pexpireat('set:ttl', Date.now() + 3_600_000);
    for (const name of ['hash:a', 'hash:type']) await src.hset(name, ...members('f').flatMap((f, i) => [f, `value-${i}`]));
    for (const name of ['zset:a', 'zset:b']) await src.zadd(name, ...members('z').flatMap((m, i) => [String(i / 7), m]));
    await src.zadd('zset:a', 'inf', 'top', '-inf', 'bottom');
    for (const name of ['str:a', 'str:gone']) await src.set(name, big);
    await src.set('small', 'x');
    file = readFileSync(await bgsave(source, src));
    dst = target.client();
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    await dst.flushall();
    await dst.config('RESETSTAT');
    // Restored with big payloads in parts (RESTORE written part by part), as the CLI does for keys of 1 MiB or more.
    const r = await restoreRdbKeys({ files: files() }, keyspaceOf(dst), { partsFromBytes: 100 });
    expect(r).toMatchObject({ copied: 9, failed: 0, error: undefined });
  });

  it('reads the file side in chunks of the size asked for: the same elements as in one chunk', () => {
    const reader = new RdbKeyReader();
    const keys = reader.push(file);
    for (const name of ['set:a', 'hash:a', 'zset:a']) {
      const payload = keys.find((k) => k.name.toString() === name)!.payload;
      const whole = chunkedPayload(payload, 1_000_000);
      const chunked = chunkedPayload(payload, 100);
      if (!whole || whole.type === 'string' || !chunked || chunked.type === 'string') throw new Error(`${name}: not chunked`);
      const all = [...whole.chunks()];
      const parts = [...chunked.chunks()];
      expect(all.length).toBe(1);
      expect(parts.length).toBe(Math.ceil(whole.size / 100));
      const flat = (cs: typeof all): unknown[] => cs.flatMap((c): unknown[] => (c.type === 'set' ? c.members : c.type === 'hash' ? c.fields : c.entries));
      expect(flat(parts)).toEqual(flat(all));
      expect(flat(all).length).toBe(whole.size);
    }
    // Negative: a small listpack-encoded value is left to the whole-value check.
    expect(chunkedPayload(keys.find((k) => k.name.toString() === 'small')!.payload, 100)).toMatchObject({ type: 'string' });
  });

  it('equal after the restore: chunk by chunk (several round trips a key), as by DUMP', async () => {
    expect(await verify(IN_PARTS)).toMatchObject({ equal: true, keys: 9, differences: 0 });
    const chunked = await verify(CHUNKED);
    expect(chunked).toMatchObject({ equal: true, keys: 9, differences: 0 });
    expect(await calls('smismember')).toBeGreaterThanOrEqual(2 * 3);
    expect(await calls('getrange')).toBeGreaterThanOrEqual(2 * 5);
    // Compared on the server: the pieces go there (EVAL of GETRANGE), none comes back.
    expect(await calls('eval')).toBeGreaterThanOrEqual(2 * 5);
    expect(await calls('dump')).toBe(0);
    await dst.config('RESETSTAT');
    expect(await verify()).toMatchObject({ equal: true, keys: 9, differences: 0 });
    expect(await calls('smismember')).toBe(0);
  });

  it('finds a swapped member, a changed field, score and byte, an extra member, an expiry, a missing key and another type, as the whole-value check does', async () => {
    await dst.srem('set:a', 'm-250');
    await dst.sadd('set:a', 'm-x'); // same size, one member other
    await dst.hset('hash:a', 'f-599', 'changed');
    await dst.zadd('zset:a', '12345', 'z-150');
    await dst.zadd('zset:b', '1', 'extra');
    // In the last 1 KiB piece; a byte other than the random one there (the same byte would change nothing: 1 run in 256 failed).
    await dst.setrange('str:a', 4500, big[4500] === 0x5a ? 'Y' : 'Z');
    await dst.pexpireat('set:ttl', Date.now() + 7_200_000);
    await dst.del('str:gone');
    await dst.del('hash:type');
    await dst.set('hash:type', 'now a string');
    const expected = [
      ['hash:a', 'value'],
      ['hash:type', 'type'],
      ['set:a', 'value'],
      ['set:ttl', 'ttl'],
      ['str:a', 'value'],
      ['str:gone', 'missing-in-b'],
      ['zset:a', 'value'],
      ['zset:b', 'value'],
    ];
    const reasons = (v: Awaited<ReturnType<typeof verify>>) => v.diffs.map((d) => [d.key.toString(), d.reason]).sort((a, b) => a[0]!.localeCompare(b[0]!));
    for (const options of [CHUNKED, IN_PARTS]) {
      const chunked = await verify(options);
      expect(reasons(chunked)).toEqual(expected);
      expect(chunked).toMatchObject({ equal: false, keys: 9, differences: 8 });
    }
    const whole = await verify();
    expect(reasons(whole)).toEqual(expected);
    expect(whole).toMatchObject({ equal: false, keys: 9, differences: 8 });
  });

  it('a target user without scripts: big strings are read back (GETRANGE) instead, equal, and a changed byte found', async () => {
    await dst.call('ACL', 'SETUSER', 'noscripts', 'on', '>pw', '~*', '+@all', '-@scripting');
    const limited = new IORedis({ host: '127.0.0.1', port: target.port, username: 'noscripts', password: 'pw', lazyConnect: true });
    try {
      const run = () => verifyRdbKeys(files(), keyspaceOf(limited), { skippedKeys: new Set(), ...IN_PARTS });
      expect(await run()).toMatchObject({ equal: true, keys: 9, differences: 0 });
      expect(await calls('eval')).toBe(0);
      expect(await calls('getrange')).toBeGreaterThanOrEqual(2 * 5);
      await dst.setrange('str:a', 10, big[10] === 0x5a ? 'Y' : 'Z');
      expect((await run()).diffs.map((d) => [d.key.toString(), d.reason])).toEqual([['str:a', 'value']]);
    } finally {
      limited.disconnect();
      await dst.call('ACL', 'DELUSER', 'noscripts');
    }
  });

  it('a hash is judged on the server (EVAL of HMGET: no value comes back), the same verdicts as read back by a user without scripts', async () => {
    await dst.call('ACL', 'SETUSER', 'noscripts', 'on', '>pw', '~*', '+@all', '-@scripting');
    const limited = new IORedis({ host: '127.0.0.1', port: target.port, username: 'noscripts', password: 'pw', lazyConnect: true });
    // One field a round trip, and 50.
    const sizes: Partial<VerifyRdbKeysOptions>[] = [CHUNKED, { bigKeyBytes: 1, chunkElements: 50 }];
    const hashVerdicts = async (): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const options of sizes) {
        for (const client of [dst, limited]) {
          const before = await calls('eval');
          const v = await verifyRdbKeys(files(), keyspaceOf(client), { skippedKeys: new Set(), ...options });
          const evals = (await calls('eval')) - before;
          // The default user's hash chunks go by EVAL (600 fields of each hash: 600 or 12 round trips), besides the strings'
          // pieces; none for the other.
          expect(client === dst ? evals >= 600 / (options.chunkElements ?? 1) : evals === 0).toBe(true);
          out.push(v.diffs.map((d) => [d.key.toString(), d.reason]));
        }
      }
      return out;
    };
    try {
      expect(await hashVerdicts()).toEqual([[], [], [], []]);
      // Negative: a value changed to another of the same length; a field swapped for another (the same size), the value kept.
      await dst.hset('hash:a', 'f-10', 'value-11');
      expect(await hashVerdicts()).toEqual(Array(4).fill([['hash:a', 'value']]));
      await dst.hset('hash:a', 'f-10', 'value-10');
      await dst.hdel('hash:a', 'f-20');
      await dst.hset('hash:a', 'f-x', 'value-20');
      expect(await hashVerdicts()).toEqual(Array(4).fill([['hash:a', 'value']]));
    } finally {
      limited.disconnect();
      await dst.call('ACL', 'DELUSER', 'noscripts');
    }
  });

  it('a key skip kept on the target is an expected difference; one gone since is named', async () => {
    await dst.sadd('set:a', 'm-x');
    await dst.del('zset:b');
    const v = await verify({ ...CHUNKED, skippedKeys: new Set(['0:set:a', '0:zset:b']), onConflict: 'skip' });
    expect(v).toMatchObject({ equal: false, differences: 1, keptGone: 1, expected: { 'kept-on-target': 1, expired: 0 } });
    expect(v.keptGoneKeys.map(String)).toEqual(['zset:b']);
  });
});
