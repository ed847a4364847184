import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { keyHistory } from '../../../../lambdas/domain/serve/history.js';
import { comparePoints } from '../../../../lambdas/jobs/serve/compare-points.js';
import { frameFile, keysOf, LATER, listpack, newerFiles, type FramedKey } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

const len = (n: number): number[] => (n < 64 ? [n] : [0x40 | (n >> 8), n & 0xff]);
const str = (s: string): number[] => [...len(Buffer.byteLength(s)), ...Buffer.from(s)];
const le64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((BigInt.asUintN(64, n) >> BigInt(8 * i)) & 0xffn));
const T = BigInt(LATER);

/**
 * Review 17, findings 1 and 2a: `compare` held streams equal whose consumer
 * state or ids differed (an entry claimed by another consumer, a consumer
 * more, the last id moved by XADD + XDEL), and hashes equal whose field TTLs
 * differed (dropped, shifted). A file (served for the run) against a real
 * redis-server 7.0, and file against file.
 */
describe('compare: what a stream and a hash hold beyond entries and fields', () => {
  let server: RedisServer;
  let dir: string;
  let file: string;
  let rdb70: Buffer;

  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    for (let i = 1; i <= 6; i++) await c.xadd('st:1', `100${i}-${i % 3}`, 'n', String(i));
    await c.xgroup('CREATE', 'st:1', 'g1', '0');
    await c.call('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '2', 'STREAMS', 'st:1', '>');
    await c.call('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '2', 'STREAMS', 'st:1', '>');
    await c.xadd('st:empty', '1-1', 'a', 'b');
    await c.xdel('st:empty', '1-1');
    await c.set('plain', 'x');
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-compare-state-'));
    rdb70 = readFileSync(await bgsave(server, c));
    file = join(dir, 'dump.rdb');
    writeFileSync(file, rdb70);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** compare of the file against a server loaded from it after `change`: the keys that differ, and why. */
  const againstChanged = async (change: (c: Redis) => Promise<unknown>) => {
    const back = await startRedisServer({ loadRdb: file });
    try {
      await change(back.client());
      const r = await comparePoints({ a: file, b: back.url, ttlToleranceMs: 0 });
      return { equal: r.equal, diffs: r.diffs.map((d) => `${d.key} ${d.reason}`) };
    } finally {
      await back.stop();
    }
  };

  it('control: the file against the server loaded from it is EQUAL (streams compared by their full state)', async () => {
    expect(await againstChanged(async () => undefined)).toEqual({ equal: true, diffs: [] });
  }, 60_000);

  it('negative: an entry claimed by another consumer (XCLAIM) is a difference', async () => {
    const r = await againstChanged(async (c) => {
      const [[id]] = (await c.call('XPENDING', 'st:1', 'g1', '-', '+', '1', 'alice')) as [[string]];
      await c.call('XCLAIM', 'st:1', 'g1', 'bob', '0', id);
    });
    expect(r).toEqual({ equal: false, diffs: ['st:1 value'] });
  }, 60_000);

  it('negative: a consumer more (XGROUP CREATECONSUMER), holding nothing, is a difference', async () => {
    expect(await againstChanged((c) => c.call('XGROUP', 'CREATECONSUMER', 'st:1', 'g1', 'carol'))).toEqual({ equal: false, diffs: ['st:1 value'] });
  }, 60_000);

  it('negative: XADD + XDEL (same entries, the last id, entries added and largest deleted id moved) is a difference', async () => {
    const r = await againstChanged(async (c) => {
      await c.xadd('st:empty', '1-2', 'a', 'b');
      await c.xdel('st:empty', '1-2');
    });
    expect(r).toEqual({ equal: false, diffs: ['st:empty value'] });
  }, 60_000);

  it("negative: a group's entries-read alone (XGROUP SETID to its own last id, ENTRIESREAD 0) is a difference (review 19)", async () => {
    expect(await againstChanged((c) => c.call('XGROUP', 'SETID', 'st:1', 'g1', '1004-1', 'ENTRIESREAD', '0'))).toEqual({
      equal: false,
      diffs: ['st:1 value'],
    });
  }, 60_000);

  it('history: a point after XCLAIM, CREATECONSUMER or XADD + XDEL is `changed`, not `same`', async () => {
    const back = await startRedisServer({ loadRdb: file });
    try {
      const c = back.client();
      const at = (key: string) => async (n: number) => ({
        point: `p${n}`,
        at: new Date(1_700_000_000_000 + n),
        value: decodeDumpPayload((await c.dumpBuffer(key))!),
      });
      const st1 = at('st:1');
      const points = [await st1(0), await st1(1)];
      const [[id]] = (await c.call('XPENDING', 'st:1', 'g1', '-', '+', '1', 'alice')) as [[string]];
      await c.call('XCLAIM', 'st:1', 'g1', 'bob', '0', id);
      points.push(await st1(2));
      await c.call('XGROUP', 'CREATECONSUMER', 'st:1', 'g1', 'carol');
      points.push(await st1(3));
      expect(keyHistory(points).map((r) => r.change)).toEqual(['first', 'same', 'changed', 'changed']);
      const empty = at('st:empty');
      const before = await empty(0);
      await c.xadd('st:empty', '1-2', 'a', 'b');
      await c.xdel('st:empty', '1-2');
      expect(keyHistory([before, await empty(1)]).map((r) => r.change)).toEqual(['first', 'changed']);
    } finally {
      await back.stop();
    }
  }, 60_000);

  /** The RDB 12 file with its field-TTL hash `v12:hash-ttl` (f1 expires at LATER, f2 none) replaced by `object` of `type`. */
  const withHash = (name: string, type: number, object: number[]): string => {
    const { keys, functions } = keysOf(newerFiles(rdb70).REDIS0012);
    const out = join(dir, `${name}.rdb`);
    const replaced: FramedKey[] = keys.map((k) => (k.name === 'v12:hash-ttl' ? { ...k, type, object: Uint8Array.from(object) } : k));
    writeFileSync(out, frameFile('REDIS0012', replaced, functions));
    return out;
  };
  const ttl24 = (f1: bigint) => [...le64(f1), 2, ...len(1), ...str('f1'), ...str('v1'), 0, ...str('f2'), ...str('v2')];

  it('field TTLs, file against file: the same TTLs EQUAL; a TTL dropped or shifted by a second a difference; RDB 12 and Valkey 9 forms', async () => {
    // The same hash in type 25 (a listpack of triplets) as in type 24: EQUAL.
    const lp = Buffer.from(listpack(['f1', 'v1', T, 'f2', 'v2', 0]));
    const as25 = withHash('as25', 25, [...le64(T), ...len(lp.length), ...lp]);
    const dropped = withHash(
      'dropped',
      16,
      (() => {
        const l = Buffer.from(listpack(['f1', 'v1', 'f2', 'v2']));
        return [...len(l.length), ...l];
      })(),
    );
    const shifted = withHash('shifted', 24, ttl24(T + 1000n));
    const original = withHash('original', 24, ttl24(T));
    const cmp = async (a: string, b: string) => {
      const r = await comparePoints({ a, b, ttlToleranceMs: 0 });
      return { equal: r.equal, diffs: r.diffs.map((d) => `${d.key} ${d.reason}`) };
    };
    expect(await cmp(original, as25)).toEqual({ equal: true, diffs: [] });
    expect(await cmp(original, dropped)).toEqual({ equal: false, diffs: ['v12:hash-ttl value'] });
    expect(await cmp(original, shifted)).toEqual({ equal: false, diffs: ['v12:hash-ttl value'] });
    // Valkey 9's type 22 against the RDB 12 forms: the same fields and TTLs read from either are the same hash.
    const { keys, functions } = keysOf(newerFiles(rdb70).VALKEY080);
    const valkey = join(dir, 'valkey.rdb');
    const v9 = [0x02, ...str('f1'), ...str('v1'), ...le64(T), ...str('f2'), ...str('v2'), ...le64(-1n)];
    writeFileSync(
      valkey,
      frameFile(
        'VALKEY080',
        keys.map((k) => (k.name === 'v9:hash-ttl' ? { ...k, name: 'v12:hash-ttl', object: Uint8Array.from(v9) } : k)),
        functions,
        { 'valkey-ver': '9.0.0' },
      ),
    );
    const valkeyVsRedis = await cmp(valkey, original);
    // v12:hash-lp-ttl (db 2) is in the RDB 12 file only; v12:hash-ttl compares equal across the two forms.
    expect(valkeyVsRedis.diffs).toEqual(['v12:hash-lp-ttl missing-in-a']);
    const valkeyDropped = join(dir, 'valkey-dropped.rdb');
    const noTtl = [0x02, ...str('f1'), ...str('v1'), ...le64(-1n), ...str('f2'), ...str('v2'), ...le64(-1n)];
    writeFileSync(
      valkeyDropped,
      frameFile(
        'VALKEY080',
        keys.map((k) => (k.name === 'v9:hash-ttl' ? { ...k, name: 'v12:hash-ttl', object: Uint8Array.from(noTtl) } : k)),
        functions,
        { 'valkey-ver': '9.0.0' },
      ),
    );
    expect((await cmp(valkey, valkeyDropped)).diffs).toEqual(['v12:hash-ttl value']);
  }, 120_000);

  it('field TTLs against a real redis-server 7.0 (which holds none): a file field TTL is a difference; the file without it EQUAL', async () => {
    const back = await startRedisServer();
    try {
      const c = back.client();
      await c.hset('v12:hash-ttl', 'f1', 'v1', 'f2', 'v2');
      const original = withHash('original70', 24, ttl24(T));
      const l = Buffer.from(listpack(['f1', 'v1', 'f2', 'v2']));
      const dropped = withHash('dropped70', 16, [...len(l.length), ...l]);
      const withTtl = await comparePoints({ a: original, b: back.url, match: 'v12:hash-ttl', ttlToleranceMs: 0 });
      expect(withTtl.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['v12:hash-ttl value']);
      expect(withTtl.equal).toBe(false);
      const without = await comparePoints({ a: dropped, b: back.url, match: 'v12:hash-ttl', ttlToleranceMs: 0 });
      expect(without.diffs).toEqual([]);
      expect(without.equal).toBe(true);
    } finally {
      await back.stop();
    }
  }, 60_000);
});
