/**
 * Expiries a real server reads as in the past, or as none, read the same way by every reader of redis-dr (review 45,
 * finding 1: a key stored with an expiry of -5 ms was restored by `migrate --from-rdb` and written by `convert-rdb` as a
 * key that never expires, and both, and `compare`, called the result exact, where Redis 7.0 drops the key on load;
 * finding 2: an expiry in seconds (opcode 0xFD) past 2^31 was read unsigned, as a date in 2100, where Redis reads it
 * signed, before 1970). The files are a real server's BGSAVE with the one expiry rewritten (and the CRC-64 with it);
 * the verdict each is held to is what a real redis-server makes of the same file when it loads it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';
import { runInProcess } from '../../../cli/support/in-process.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** The expiry key `a` is saved with: 2100-01-01, in ms. */
const SAVED_AT_MS = 4_102_444_800_000n;

/** `file` with key `a`'s expiry opcode (0xFC and its 8 bytes) replaced by `replacement`, its CRC-64 written again. */
function withExpiry(file: Buffer, replacement: Buffer): Buffer {
  const ms = Buffer.alloc(9);
  ms[0] = 0xfc;
  ms.writeBigInt64LE(SAVED_AT_MS, 1);
  const at = file.indexOf(ms);
  if (at < 0 || file.indexOf(ms, at + 1) >= 0) throw new Error('the saved file does not hold the expiry once');
  const out = Buffer.concat([file.subarray(0, at), replacement, file.subarray(at + 9)]);
  out.writeBigUInt64LE(new Crc64().update(out.subarray(0, out.length - 8)).value, out.length - 8);
  return out;
}
const millis = (ms: bigint): Buffer => Buffer.concat([Buffer.from([0xfc]), Buffer.from(new BigInt64Array([ms]).buffer)]);
const seconds = (s: number): Buffer => {
  const b = Buffer.alloc(5);
  b[0] = 0xfd;
  b.writeUInt32LE(s, 1);
  return b;
};

/** Each case: the expiry as stored, and what the reader must say of key `a`'s expiry. */
const CASES = [
  // Before the epoch: in the past; Redis drops the key on load.
  { name: 'ms -5', stored: millis(-5n), expireAtMs: -5 },
  // Exactly -1 is Redis's own "no expiry": the key loads without one.
  { name: 'ms -1', stored: millis(-1n), expireAtMs: null },
  // 4102444800 s (2100) as stored, a signed 32-bit -192522496 as Redis reads it: before the epoch.
  { name: 's 4102444800', stored: seconds(4_102_444_800), expireAtMs: (4_102_444_800 | 0) * 1000 },
  // Negative: below 2^31, an expiry in 2030 read as it is (the key stays, with its TTL).
  { name: 's 1893456000', stored: seconds(1_893_456_000), expireAtMs: 1_893_456_000_000 },
] as const;

describe('expiries before the epoch, and none, read as a real redis-server reads them', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dir: string;
  let saved: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdr-expiry-epoch-'));
    [source, target] = await Promise.all([startRedisServer(), startRedisServer()]);
    const c = source.client();
    await c.set('a', '1');
    await c.call('PEXPIREAT', 'a', String(SAVED_AT_MS));
    await c.set('b', '2');
    saved = readFileSync(await bgsave(source, c));
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)('$name: the key reader, the verifier, migrate --from-rdb --verify and convert-rdb agree with what Redis loads', async (c) => {
    const file = join(dir, `${c.name.replace(/\W+/g, '-')}.rdb`);
    writeFileSync(file, withExpiry(saved, c.stored));
    // What a real server makes of the file.
    const loaded = await startRedisServer({ loadRdb: file });
    let redisKeys: string[];
    let redisPttl: number;
    try {
      redisKeys = (await loaded.client().keys('*')).sort();
      redisPttl = await loaded.client().pttl('a');
    } finally {
      await loaded.stop();
    }
    const expired = c.expireAtMs !== null && c.expireAtMs <= Date.now();
    expect(redisKeys).toEqual(expired ? ['b'] : ['a', 'b']);
    expect(redisPttl < 0).toBe(expired || c.expireAtMs === null);

    // The key reader: the expiry as Redis reads it (was: every negative taken as none, and 0xFD read unsigned).
    const reader = new RdbKeyReader();
    const keys = reader.push(readFileSync(file));
    expect(reader.end().ok).toBe(true);
    expect(keys.find((k) => k.name.toString() === 'a')?.expireAtMs).toBe(c.expireAtMs);
    // The verifier counts as expired what Redis drops.
    const v = createRdbVerifier();
    v.push(readFileSync(file));
    const report = v.end();
    expect([report.ok, report.keys, report.expiredKeys ?? 0]).toEqual([true, 2, expired ? 1 : 0]);

    // migrate --from-rdb --verify: the keys Redis would hold, and EQUAL only then.
    await target.client().flushall();
    const migrated = await runInProcess(['migrate', '--from-rdb', file, '--to', target.url, '--verify', '--json']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout)).toMatchObject({ ok: true, copied: expired ? 1 : 2, expired: expired ? 1 : 0, verify: { equal: true } });
    expect((await target.client().keys('*')).sort()).toEqual(redisKeys);
    expect(await target.client().pttl('a')).toEqual(expired ? -2 : c.expireAtMs === null ? -1 : expect.any(Number));

    // convert-rdb: its output loads in Redis as the input does.
    const out = join(dir, `${c.name.replace(/\W+/g, '-')}-62.rdb`);
    const converted = await runInProcess(['convert-rdb', file, '--for', 'redis-6.2', '-o', out]);
    expect(converted.code, converted.stderr).toBe(0);
    const fromOutput = await startRedisServer({ loadRdb: out });
    try {
      expect((await fromOutput.client().keys('*')).sort()).toEqual(redisKeys);
      expect((await fromOutput.client().pttl('a')) < 0).toBe(redisPttl < 0);
    } finally {
      await fromOutput.stop();
    }
  });
});
