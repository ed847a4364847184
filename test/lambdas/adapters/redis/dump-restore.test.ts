import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIG_ARG_BYTES, encodeCommandParts, encodeCommands, openPipe, type RespPipe } from '../../../../lambdas/adapters/redis/resp-pipe.js';
import {
  connectUrl,
  dumpBatch,
  dumpBatches,
  existBatch,
  parseRedisUrl,
  redactUrl,
  RedisUrlError,
  restoreBatch,
  scanPipe,
} from '../../../../lambdas/adapters/redis/dump-restore.js';
import { BINARY_KEY, seedDataset } from '../../../cli/support/dataset.js';
import { collected, watch } from '../../../support/collected.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

describe('parseRedisUrl', () => {
  it.each([
    ['redis://127.0.0.1:7000', { host: '127.0.0.1', port: 7000, tls: false, db: 0, username: undefined, password: undefined }],
    ['rediss://cache.example.com', { host: 'cache.example.com', port: 6379, tls: true, db: 0 }],
    ['redis://:p%40ss@h:1/3', { host: 'h', port: 1, password: 'p@ss', username: undefined, db: 3 }],
    ['redis://copier:s3cret@h', { username: 'copier', password: 's3cret' }],
    ['redis://[::1]:7000', { host: '::1', port: 7000 }],
  ])('%s', (url, expected) => expect(parseRedisUrl(url)).toMatchObject(expected));

  it.each([
    ['localhost:6379', /not a URL|scheme must be/],
    ['http://h:1', /scheme must be redis:\/\/ or rediss:\/\//],
    ['redis://h:1/x', /database number, got \/x/],
  ])('rejects %s', (url, message) => expect(() => parseRedisUrl(url)).toThrow(message));

  it('never puts the password in an error or a report', () => {
    expect(redactUrl('redis://user:hunter2@h:1')).toBe('redis://user:***@h:1');
    expect(redactUrl('redis://h:1')).toBe('redis://h:1');
    try {
      parseRedisUrl('ftp://u:hunter2@h');
    } catch (err) {
      expect(err).toBeInstanceOf(RedisUrlError);
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it.each(['hun#ter2', 'hun?ter2', 'hun/ter2', 'hu@n/ter2', 'hun%zzter2'])(
    'a raw password with URL characters (%s): never shown, and the error says how to pass it',
    (pw) => {
      const url = `rediss://admin:${pw}@cache.example:6379`;
      expect(redactUrl(url)).toBe('rediss://admin:***@cache.example:6379');
      expect(() => parseRedisUrl(url)).toThrow(/percent-encoded in the URL \(# is %23/);
      try {
        parseRedisUrl(url);
      } catch (err) {
        expect((err as Error).message).not.toContain('ter2');
      }
      expect(parseRedisUrl(`rediss://admin:${encodeURIComponent(pw)}@cache.example:6379`)).toMatchObject({ username: 'admin', password: pw, tls: true });
    },
  );
});

describe('redis-copy against real servers', () => {
  let a: RedisServer;
  let b: RedisServer;
  let ca: Redis;
  let cb: Redis;
  let pa: RespPipe;
  let pb: RespPipe;
  beforeAll(async () => {
    [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    ca = a.client();
    cb = b.client();
    [pa, pb] = await Promise.all([openPipe(ca), openPipe(cb)]);
  });
  afterAll(async () => {
    pa?.close();
    pb?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });
  beforeEach(async () => Promise.all([ca.flushall(), cb.flushall()]));

  it('connectUrl names the connection, and pipes opened from it select its database and carry its name', async () => {
    const client = await connectUrl(`redis://127.0.0.1:${a.port}/3`, 'redis-dr-test');
    const pipe = await openPipe(client);
    try {
      await pipe.call(['SET', 'named', 'yes']);
      expect(await ca.select(3).then(() => ca.get('named'))).toBe('yes');
      await ca.select(0);
      const names = String(await ca.call('CLIENT', 'LIST')).match(/name=redis-dr-test /g) ?? [];
      expect(names).toHaveLength(2); // the ioredis client and the pipe
    } finally {
      pipe.close();
      client.disconnect();
    }
  });

  it('scans in batches with MATCH, keys as bytes', async () => {
    await ca.mset('a:1', '1', 'a:2', '2', 'b:1', '1');
    await ca.set(BINARY_KEY, 'x');
    const all: Buffer[] = [];
    for await (const batch of scanPipe(pa)) all.push(...batch);
    expect(all.some((k) => k.equals(BINARY_KEY))).toBe(true);
    const piped: Buffer[] = [];
    for await (const batch of scanPipe(pa, { match: 'a:*', count: 1 })) piped.push(...batch);
    expect(piped.map(String).sort()).toEqual(['a:1', 'a:2']);
  });

  it('dumps batches ahead of the caller, each key exactly once per SCAN batch, in SCAN order', async () => {
    const p = ca.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`k:${i}`, `v${i}`, 'PXAT', Date.now() + 60_000 + i);
    await p.exec();
    const batches: number[] = [];
    const seen = new Set<string>();
    for await (const dumped of dumpBatches(pa, { count: 50, ahead: 2 })) {
      batches.push(dumped.length);
      for (const d of dumped) {
        expect(d.gone).toBe(false);
        seen.add(String(d.key));
      }
    }
    expect(seen.size).toBe(1000);
    expect(batches.length).toBeGreaterThan(3);
    // Stopping early is clean: the batches read ahead are dropped and the pipe stays usable.
    for await (const dumped of dumpBatches(pa, { count: 50 })) {
      expect(dumped.length).toBeGreaterThan(0);
      break;
    }
    expect(await dumpBatch(pa, [Buffer.from('k:1')])).toMatchObject([{ gone: false }]);
  });

  it("a reply refused names the side it read (a verification's target is not 'the source': review 46)", async () => {
    await cb.call('ACL', 'SETUSER', 'no-ttl', 'on', '>pw', '~*', '+@all', '-pexpiretime');
    const client = await connectUrl(`redis://no-ttl:pw@127.0.0.1:${b.port}`, 'redis-dr-test');
    const pipe = await openPipe(client);
    try {
      await cb.set('k', 'v');
      await expect(dumpBatch(pipe, [Buffer.from('k')], undefined, 'the target')).rejects.toThrow(/^PEXPIRETIME refused by the target: NOPERM/);
      // Negative: the default side, as migrate's reads of its source say.
      await expect(dumpBatch(pipe, [Buffer.from('k')])).rejects.toThrow(/^PEXPIRETIME refused by the source: NOPERM/);
    } finally {
      pipe.close();
      client.disconnect();
      await cb.call('ACL', 'DELUSER', 'no-ttl');
    }
  });

  it('splits large values over many chunks and reads them whole', async () => {
    const big = randomBytes(5 << 20); // incompressible: the DUMP payload arrives in many chunks
    await ca.set('big', big);
    const [d] = await dumpBatch(pa, [Buffer.from('big'), Buffer.from('big')]);
    expect(await restoreBatch(pb, [d as { key: Buffer; payload: Buffer; expireAtMs: null }], true)).toEqual(['restored']);
    expect((await cb.getBuffer('big'))?.equals(big)).toBe(true);
  });

  it('DUMP + RESTORE ABSTTL keep values and the exact PEXPIRETIME; BUSYKEY is "exists"; with REPLACE a key the target held is "replaced"', async () => {
    const at = Date.now() + 60_000;
    await seedDataset(ca, { expireAtMs: at });
    const keys: Buffer[] = [];
    for await (const batch of scanPipe(pa)) keys.push(...batch);
    const dumped = await dumpBatch(pa, [...keys, Buffer.from('no-such-key')]);
    expect(dumped.at(-1)).toEqual({ key: Buffer.from('no-such-key'), gone: true });
    const live = dumped.filter((d) => !d.gone);
    expect(await restoreBatch(pb, live, false)).toEqual(live.map(() => 'restored'));
    expect(await cb.pexpiretime('ttl:abs')).toBe(at);
    expect(await cb.pexpiretime('ttl:hash')).toBe(at + 12_345);
    expect(await cb.pexpiretime('str:int')).toBe(-1);
    expect(await cb.getBuffer(BINARY_KEY)).toEqual(Buffer.from([0x00, 0xc3, 0x28, 0xff]));
    expect(await restoreBatch(pb, live.slice(0, 2), false)).toEqual(['exists', 'exists']);
    // With REPLACE, an EXISTS before each RESTORE tells a key written over one the target held.
    expect(await restoreBatch(pb, live.slice(0, 2), true)).toEqual(['replaced', 'replaced']);
    await cb.del(live[0]!.key);
    expect(await restoreBatch(pb, live.slice(0, 2), true)).toEqual(['restored', 'replaced']);
    expect(await existBatch(cb, [BINARY_KEY, Buffer.from('nope')])).toEqual([true, false]);
  });

  it('a big payload is written without a copy of it (parts), between small keys of its batch, and restored whole', async () => {
    const big = randomBytes(3 * BIG_ARG_BYTES);
    await ca.set('big', big);
    await ca.set('small:1', 'a');
    await ca.set('small:2', 'b');
    const dumped = await dumpBatch(pa, [Buffer.from('small:1'), Buffer.from('big'), Buffer.from('small:2')]);
    const live = dumped.filter((d) => !d.gone);
    const commands = live.map((d) => ['RESTORE', d.key, '0', d.payload, 'ABSTTL']);
    const parts = encodeCommandParts(commands);
    expect(Array.isArray(parts)).toBe(true);
    // The big payload itself is one of the parts (not copied); all of them make the one-buffer encoding.
    expect((parts as Buffer[]).some((p) => p === live[1]!.payload)).toBe(true);
    expect(Buffer.concat(parts as Buffer[]).equals(encodeCommands(commands))).toBe(true);
    // Negative: small payloads only, one buffer as before.
    expect(Buffer.isBuffer(encodeCommandParts([commands[0]!, commands[2]!]))).toBe(true);
    expect(await restoreBatch(pb, live, false)).toEqual(['restored', 'restored', 'restored']);
    expect((await cb.getBuffer('big'))!.equals(big)).toBe(true);
    expect(await cb.mget('small:1', 'small:2')).toEqual(['a', 'b']);
  });

  it('an answered batch lets go of its payload at once (a big RESTORE is not held until 4,096 more commands pass)', async () => {
    let big: Buffer | undefined = randomBytes(2 * BIG_ARG_BYTES);
    const refs = watch([big.buffer]); // the bytes: the parts are views of them
    expect(await restoreBatch(pb, [{ key: Buffer.from('held'), payload: [big.subarray(0, 10), big.subarray(10)], expireAtMs: null }], false)).toEqual([
      new Error('ERR DUMP payload version or checksum are wrong'),
    ]);
    expect(await pb.exec(encodeCommands([['SET', 'after', big]]), 1)).toEqual(['OK']);
    big = undefined;
    // The pipe stays open (the writer's and --verify's): its answered handlers must not keep the batch's bytes.
    expect(await collected(refs)).toBe(1);
    expect(await pb.call(['GET', 'after'])).toHaveLength(2 * BIG_ARG_BYTES);
  });

  it('returns other refusals (OOM) as errors', async () => {
    await ca.set('k', 'v');
    const dumped = await dumpBatch(pa, [Buffer.from('k')]);
    await cb.config('SET', 'maxmemory', '1');
    try {
      const [outcome] = await restoreBatch(
        pb,
        dumped.filter((d) => !d.gone),
        false,
      );
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toMatch(/^OOM/);
    } finally {
      await cb.config('SET', 'maxmemory', '0');
    }
  });
});
