/**
 * Hashes with field TTLs (Redis 7.4's RDB 12 types 24 and 25, Valkey 9's 22)
 * served as Redis 7.4 answers after loading the file (t_hash.c: a field
 * whose TTL has passed is skipped by every read, a hash with no field left
 * is gone: EXISTS, TYPE, DBSIZE, SCAN). The same file served with the clock
 * an hour and more back answers every field: the expiry is what hides them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { expiredFieldKeys, frameFile, hashWithTtls24, LATER } from '../../../support/rdb-newer.js';

const NOW = Date.now();
let dir: string;
const serving: Serving[] = [];
const clients: Redis[] = [];

async function serve(magic: string, fork: 'redis' | 'valkey', now: number): Promise<Redis> {
  const path = join(dir, `${fork}-${now}.rdb`);
  const plain = { db: 0, name: 'plain', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null };
  writeFileSync(path, frameFile(magic, [plain, ...expiredFieldKeys(fork, NOW)], [], fork === 'valkey' ? { 'valkey-ver': '9.0.0' } : {}));
  const s = await startServing({ location: path, port: 0, now: () => now });
  serving.push(s);
  const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  clients.push(c);
  return c;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-fttl-'));
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(serving.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['REDIS0012', 'redis', 'v12'],
  ['VALKEY080', 'valkey', 'v9'],
] as const)('serve %s: hash fields whose TTL passed', (magic, fork, p) => {
  it('are not answered by any hash read; a hash whose fields all expired is gone', async () => {
    const c = await serve(magic, fork, NOW);
    const mixed = `${p}:mixed`;
    expect(await c.hget(mixed, 'old')).toBeNull();
    expect(await c.hget(mixed, 'live')).toBe('y');
    expect(await c.hgetall(mixed)).toEqual({ live: 'y', perm: 'z' });
    expect(await c.hlen(mixed)).toBe(2);
    expect((await c.hkeys(mixed)).sort()).toEqual(['live', 'perm']);
    expect((await c.hvals(mixed)).sort()).toEqual(['y', 'z']);
    expect(await c.hexists(mixed, 'old')).toBe(0);
    expect(await c.hstrlen(mixed, 'old')).toBe(0);
    expect(await c.hmget(mixed, 'old', 'live')).toEqual([null, 'y']);
    const [cursor, scanned] = await c.hscan(mixed, '0');
    expect(cursor).toBe('0');
    expect(scanned).toEqual(['live', 'y', 'perm', 'z']);
    expect(await c.hgetall(`${p}:onlyold`)).toEqual({ perm: 'z' });
    if (fork === 'redis') expect(await c.hgetall('v12:lp-mixed')).toEqual({ live: 'y', perm: 'z' });
    const gone = `${p}:allgone`;
    expect(await c.exists(gone)).toBe(0);
    expect(await c.type(gone)).toBe('none');
    expect(await c.hgetall(gone)).toEqual({});
    expect(await c.hlen(gone)).toBe(0);
    expect(await c.dbsize()).toBe(fork === 'redis' ? 4 : 3);
    const [, keys] = await c.scan('0', 'COUNT', '100');
    expect(keys).not.toContain(gone);
    expect(keys).toContain(mixed);
    expect(await c.keys('*allgone')).toEqual([]);
  });

  it('are answered while their TTL is still to come (the clock an hour and more back)', async () => {
    const c = await serve(magic, fork, NOW - 2 * 3_600_000);
    expect(await c.hget(`${p}:mixed`, 'old')).toBe('x');
    expect(await c.hlen(`${p}:mixed`)).toBe(3);
    expect(await c.exists(`${p}:allgone`)).toBe(1);
    expect(await c.hgetall(`${p}:allgone`)).toEqual({ a: '1', b: '2' });
    expect(await c.dbsize()).toBe(fork === 'redis' ? 5 : 4);
  });
});

it('a hash of 150,000 fields, every one with a TTL, is found at start and gone once its last field has expired', async () => {
  const fields: [string, string, bigint][] = Array.from({ length: 150_000 }, (_, i) => [`f${i}`, 'v', BigInt(NOW + 60_000 + i)]);
  const path = join(dir, 'many-fields.rdb');
  writeFileSync(path, frameFile('REDIS0012', [{ db: 0, name: 'many', type: 24, object: hashWithTtls24(fields, BigInt(NOW + 600_000)), expireAtMs: null }]));
  for (const [now, live] of [
    [NOW, 1],
    [NOW + 60_000 + 150_000, 0],
  ] as const) {
    // The largest of 150,000 expiries taken at start (by spreading them into one call it overflowed the stack: the start failed).
    const s = await startServing({ location: path, port: 0, now: () => now });
    serving.push(s);
    const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    clients.push(c);
    expect(await c.exists('many')).toBe(live);
    expect(await c.hlen('many')).toBe(live ? 150_000 : 0);
  }
}, 60_000);

describe('HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME: per field its TTL as the writer answers (Redis 7.4 t_hash.c, Valkey 9)', () => {
  const T = LATER;
  it.each([
    ['REDIS0012', 'redis', 'v12'],
    ['VALKEY080', 'valkey', 'v9'],
  ] as const)('%s: -2 for a field gone, expired or of no key, -1 without a TTL, else the TTL left or absolute', async (magic, fork, p) => {
    const c = await serve(magic, fork, NOW);
    const mixed = `${p}:mixed`;
    const fields = ['FIELDS', '4', 'live', 'perm', 'old', 'nope'];
    // Redis rounds seconds up, (t + 999 − base) / 1000; Valkey to the nearest, (t − base + 500) / 1000.
    const secs = (ms: number) => (fork === 'redis' ? Math.floor((ms + 999) / 1000) : Math.floor((ms + 500) / 1000));
    expect(await c.call('HPTTL', mixed, ...fields)).toEqual([T - NOW, -1, -2, -2]);
    expect(await c.call('HTTL', mixed, ...fields)).toEqual([secs(T - NOW), -1, -2, -2]);
    expect(await c.call('HPEXPIRETIME', mixed, ...fields)).toEqual([T, -1, -2, -2]);
    expect(await c.call('HEXPIRETIME', mixed, ...fields)).toEqual([secs(T), -1, -2, -2]);
    expect(await c.call('httl', 'no-such-key', 'fields', '2', 'a', 'b')).toEqual([-2, -2]);
    expect(await c.call('HTTL', `${p}:allgone`, 'FIELDS', '1', 'a')).toEqual([-2]);
    expect(await c.call('HPTTL', `${p}:onlyold`, 'FIELDS', '2', 'perm', 'old')).toEqual([-1, -2]);
    const err = (...args: string[]) => c.call('HTTL', ...args).then(String, (e: Error) => e.message);
    expect(await err('plain', 'FIELDS', '1', 'a')).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(await err(mixed, 'FIELDS', '1')).toBe("ERR wrong number of arguments for 'httl' command");
    if (fork === 'redis') {
      // Redis checks the type first, then FIELDS, then its count (t_hash.c httlGenericCommand).
      expect(await err(mixed, 'FIELD', '1', 'a')).toBe('ERR Mandatory argument FIELDS is missing or not at the right position');
      expect(await err(mixed, 'FIELDS', '0', 'a')).toBe('ERR Number of fields must be a positive integer');
      expect(await err(mixed, 'FIELDS', 'x', 'a')).toBe('ERR Number of fields must be a positive integer');
      expect(await err(mixed, 'FIELDS', '2', 'a')).toBe('ERR The `numfields` parameter must match the number of arguments');
      expect(await err('plain', 'FIELDS', '0', 'a')).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
    } else {
      // Valkey 9 checks the count before the key, and does not read the FIELDS token.
      expect(await err(mixed, 'FIELD', '1', 'live')).toBe(String(secs(T - NOW)));
      expect(await err(mixed, 'FIELDS', '0', 'a')).toBe('ERR syntax error');
      expect(await err(mixed, 'FIELDS', 'x', 'a')).toBe('ERR value is not an integer or out of range');
      expect(await err(mixed, 'FIELDS', '2', 'a')).toBe('ERR syntax error');
      expect(await err('plain', 'FIELDS', '0', 'a')).toBe('ERR syntax error');
    }
    // Its writes are refused: HPERSIST, HEXPIRE and kin, Redis 8's and Valkey 9's HGETEX/HSETEX/HGETDEL.
    for (const w of [
      ['HPERSIST', mixed, 'FIELDS', '1', 'live'],
      ['HEXPIRE', mixed, '10', 'FIELDS', '1', 'live'],
      ['HPEXPIREAT', mixed, '10', 'FIELDS', '1', 'live'],
      ['HGETEX', mixed, 'PERSIST', 'FIELDS', '1', 'live'],
      ['HSETEX', mixed, 'FIELDS', '1', 'live', 'x'],
      ['HGETDEL', mixed, 'FIELDS', '1', 'live'],
    ])
      expect(await c.call(w[0]!, ...w.slice(1)).then(String, (e: Error) => e.message)).toMatch(/^READONLY /);
    // 7.4's release candidates' HGETF/HSETF: writes a Redis point refuses; Valkey never had them (an unknown command).
    for (const w of [
      ['HGETF', mixed, 'FIELDS', '1', 'live'],
      ['HSETF', mixed, 'FIELDS', '1', 'live', 'x'],
    ])
      expect(await c.call(w[0]!, ...w.slice(1)).then(String, (e: Error) => e.message)).toMatch(
        fork === 'redis' ? /^READONLY / : new RegExp(`^ERR unknown command '${w[0]}', with args beginning with: `),
      );
    // One argument short: the arity error first, as for 7.0's writes (the command files' arities, Redis's and Valkey's alike).
    for (const w of [
      ['HPERSIST', mixed, 'FIELDS', '1'],
      ['HEXPIRE', mixed, '10', 'FIELDS', '1'],
      ['hpexpireat', mixed, '10', 'FIELDS', '1'],
      ['HGETEX', mixed, 'FIELDS', '1'],
      ['HSETEX', mixed, 'FIELDS', '1', 'live'],
      ['HGETDEL', mixed, 'FIELDS', '1'],
      ...(fork === 'redis' ? [['HSETF', mixed]] : []),
    ])
      expect(await c.call(w[0]!, ...w.slice(1)).then(String, (e: Error) => e.message)).toBe(
        `ERR wrong number of arguments for '${w[0]!.toLowerCase()}' command`,
      );
    expect(await c.call('HPTTL', mixed, 'FIELDS', '1', 'live')).toEqual([T - NOW]);
  });

  it('Redis: a field whose expiry is now is gone for HTTL in a listpack (`<=`) and 0 in a hash table (`<`), while HGET still reads it', async () => {
    const at = NOW + 5_000;
    const small: [string, string, bigint][] = [['f', 'v', BigInt(at)]];
    // Over hash-max-listpack-entries (512, 7.4's default as 7.0's): a hash table on load; 'small' a listpack.
    const big: [string, string, bigint][] = Array.from({ length: 600 }, (_, i) => [`f${i}`, 'v', BigInt(at)]);
    const path = join(dir, 'at-now.rdb');
    writeFileSync(
      path,
      frameFile('REDIS0012', [
        { db: 0, name: 'small', type: 24, object: hashWithTtls24(small, BigInt(LATER)), expireAtMs: null },
        { db: 0, name: 'big', type: 24, object: hashWithTtls24(big, BigInt(LATER)), expireAtMs: null },
      ]),
    );
    const s = await startServing({ location: path, port: 0, now: () => at });
    serving.push(s);
    const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    clients.push(c);
    expect(await c.hget('small', 'f')).toBe('v');
    expect(await c.call('HPTTL', 'small', 'FIELDS', '1', 'f')).toEqual([-2]);
    expect(await c.hget('big', 'f0')).toBe('v');
    expect(await c.call('HPTTL', 'big', 'FIELDS', '1', 'f0')).toEqual([0]);
    expect(await c.call('HTTL', 'big', 'FIELDS', '1', 'f0')).toEqual([0]);
  });
});
