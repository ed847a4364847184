import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import IORedis, { type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareClients } from '../../../../lambdas/jobs/keys/compare.js';
import { checkDumpPayload, DUMP_FOOTER_BYTES, dumpPayload, rdbRefusal, targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { decodeRdbString } from '../../../../lambdas/domain/rdb/format/encoded-string.js';
import { RdbKeyReader, type RdbKey } from '../../../../lambdas/domain/rdb/keys.js';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';
import { collected, watch } from '../../../support/collected.js';
import { mulberry32 } from '../../../support/prng.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { populate } from '../../../support/rdb-dataset.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** Reads every key of `data`, pushed in chunks of the sizes `sizes` gives (whole when omitted). */
function readKeys(data: Uint8Array, sizes?: (i: number) => number, options: ConstructorParameters<typeof RdbKeyReader>[0] = {}) {
  const reader = new RdbKeyReader(options);
  const keys: RdbKey[] = [];
  if (!sizes) keys.push(...reader.push(data));
  else {
    for (let at = 0, i = 0; at < data.length; i++) {
      const size = Math.max(1, sizes(i));
      keys.push(...reader.push(data.subarray(at, at + size)));
      at += size;
    }
  }
  return { keys, report: reader.end(), reader };
}

/**
 * Chunk sizes for `data`: 1 byte everywhere but inside a key's middle (after its first 256 bytes and before its
 * last 64), which goes in one chunk. `keys` are the file's keys read whole (offsets and ends).
 */
function byteChunksAtEdges(data: Uint8Array, keys: readonly RdbKey[]): number[] {
  const sizes: number[] = [];
  let at = 0;
  for (const k of keys) {
    for (; at < Math.min(k.offset + 256, k.end); at++) sizes.push(1);
    if (k.end - 64 > at) {
      sizes.push(k.end - 64 - at);
      at = k.end - 64;
    }
    for (; at < k.end; at++) sizes.push(1);
  }
  for (; at < data.length; at++) sizes.push(1);
  return sizes;
}

async function restoreAll(client: Redis, keys: readonly RdbKey[]): Promise<void> {
  const byDb = new Map<number, RdbKey[]>();
  for (const k of keys) byDb.set(k.db, [...(byDb.get(k.db) ?? []), k]);
  for (const [db, list] of byDb) {
    await client.select(db);
    for (const k of list) {
      if (k.expireAtMs === null) await client.call('RESTORE', k.name, '0', k.payload);
      else await client.call('RESTORE', k.name, String(k.expireAtMs), k.payload, 'ABSTTL');
    }
  }
  await client.select(0);
}

/** A client of `server`'s database `db` (compare's pipes follow the client's configured database, not SELECT). */
function dbClient(port: number, db: number): Redis {
  return new IORedis({ host: '127.0.0.1', port, db });
}

/** Every key of every database equal (compare, no TTL tolerance) and every PEXPIRETIME the same. */
async function expectSameDataset(aPort: number, bPort: number, dbs: readonly number[]): Promise<void> {
  for (const db of dbs) {
    const a = dbClient(aPort, db);
    const b = dbClient(bPort, db);
    try {
      const result = await compareClients(a, b, { ttlToleranceMs: 0 });
      expect(result.differences, `db ${db}: ${JSON.stringify(result.diffs.map((d) => [d.key.toString(), d.reason]))}`).toBe(0);
      expect(result.equal).toBe(true);
      expect(result.keysA).toBeGreaterThan(0);
      expect(result.keysA).toBe(await a.dbsize());
      for (const key of await a.keysBuffer('*')) {
        expect(await b.call('PEXPIRETIME', key), `${db}/${key.toString()}`).toBe(await a.call('PEXPIRETIME', key));
      }
    } finally {
      a.disconnect();
      b.disconnect();
    }
  }
}

describe('RDB keys as DUMP payloads, restored into a real redis-server', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;
  let file: Buffer;

  beforeAll(async () => {
    source = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    target = await startRedisServer();
    src = source.client();
    dst = target.client();
    await populate(src);
    // Names Redis stores integer-encoded and LZF-compressed, and binary ones.
    await src.set('12345', 'int-named');
    await src.set('-129', 'int-named 2');
    await src.set('70000', 'int-named 4');
    await src.set('n'.repeat(200), 'lzf-named', 'PX', 123_456);
    await src.set(Buffer.from([0, 0xff, 0x80, 10]), Buffer.from([1, 2, 3]));
    const rand = mulberry32(3);
    await src.set('str:random', Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(rand() * 256)))); // incompressible: stored as is
    await src.call('PEXPIREAT', 'str:short', String(Date.now() + 86_400_123));
    file = readFileSync(await bgsave(source, src));
  });

  afterAll(async () => {
    await source?.stop();
    await target?.stop();
  });

  it('restores every key of a BGSAVE file: compare finds both datasets equal, every PEXPIRETIME exact', async () => {
    await dst.flushall();
    const { keys, report } = readKeys(file);
    expect(report.ok).toBe(true);
    expect(keys.length).toBe(report.keys);
    expect(new Set(keys.map((k) => k.db))).toEqual(new Set([0, 1, 5]));
    await restoreAll(dst, keys);
    await expectSameDataset(source.port, target.port, [0, 1, 5]);
  });

  it('builds the same payloads whatever the chunking (1 byte, random sizes, spanning big values)', () => {
    const whole = readKeys(file).keys;
    const rand = mulberry32(7);
    // keepChunks: the earlier chunks of a key kept by reference (big ones), merged (small ones).
    // partsFromBytes 100: the payloads of most values built in parts (their footer's CRC-64 over the parts), joined when read;
    // 1-byte chunks with the defaults only: kept chunks and parts per byte took over a minute on a loaded machine (a timeout),
    // and the random and 17/65,536-byte chunkings split every value across chunks too.
    // The 1-byte chunking covers the bytes between keys and each key's first 256 and last 64 bytes (type, name,
    // lengths, encodings, the footer); the middle of a big value goes in one chunk, split at random points by the
    // other chunkings (1-byte pushes through the 300 KB incompressible string took 8.5 s, most of the file's time).
    const ALL = [{ keepChunks: false }, { keepChunks: true }, { keepChunks: true, partsFromBytes: 100 }];
    const fine = byteChunksAtEdges(file, whole);
    expect(fine.filter((n) => n === 1).length).toBeGreaterThan(whole.length * 64);
    for (const [sizes, optionSets] of [
      [(i: number) => fine[i] ?? 1, ALL.slice(0, 1)],
      [() => 1 + Math.floor(rand() * 3000), ALL],
      [(i: number) => (i % 2 === 0 ? 17 : 65_536), ALL],
    ] as const) {
      for (const options of optionSets) {
        const { keys, report } = readKeys(file, sizes, options);
        expect(report.ok).toBe(true);
        // Negative control: parts only when asked for, and then for keys spanning chunks.
        expect(keys.some((k) => (k.payloadParts?.length ?? 0) > 3)).toBe('partsFromBytes' in options);
        expect(keys.map((k) => [k.db, k.name, k.expireAtMs, k.payload])).toEqual(whole.map((k) => [k.db, k.name, k.expireAtMs, k.payload]));
      }
    }
  });

  it('place hands each name (integer-encoded and LZF ones decoded) and its value bounds as the keys read say, whatever the chunking, no value held', () => {
    const whole = readKeys(file).keys;
    const expected = whole.map((k) => [k.db, k.name, k.type, k.end - (k.payloadBytes - 1 - DUMP_FOOTER_BYTES), k.end, k.expireAtMs ?? Number.NaN]);
    // The names the file stores encoded are among them (the view of the chunk is for plain names only).
    expect(whole.map((k) => k.name.toString('latin1'))).toEqual(expect.arrayContaining(['12345', '-129', '70000', 'n'.repeat(200)]));
    const rand = mulberry32(11);
    for (const sizes of [undefined, () => 1 + Math.floor(rand() * 3000), (i: number) => (i % 2 === 0 ? 17 : 65_536)]) {
      const placed: unknown[] = [];
      const { keys, report } = readKeys(file, sizes, {
        maxKeyBytes: Number.MAX_SAFE_INTEGER,
        wantName: () => false,
        place: (db, type, name, from, to, valueAt, valueEnd, expireAt) =>
          void placed.push([db, Buffer.from(name.subarray(from, to)), type, valueAt, valueEnd, expireAt]),
      });
      expect(report.ok).toBe(true);
      expect(keys).toEqual([]);
      expect(placed).toEqual(expected);
    }
  });

  it('without keepChunks, a chunk the caller writes into after the push changes no payload; with it, a big kept chunk is not copied', () => {
    const whole = readKeys(file).keys;
    const big = whole.reduce((a, b) => (b.end - b.offset > a.end - a.offset ? b : a));
    expect(big.end - big.offset).toBeGreaterThan(3 * 65_536);
    for (const keepChunks of [false, true]) {
      // One buffer reused for every chunk, as a caller that reads into the same memory would.
      const reused = new Uint8Array(65_536);
      const reader = new RdbKeyReader({ keepChunks });
      const keys: RdbKey[] = [];
      for (let at = 0; at < file.length; at += reused.length) {
        const n = Math.min(reused.length, file.length - at);
        reused.set(file.subarray(at, at + n));
        keys.push(...reader.push(reused.subarray(0, n)));
      }
      expect(reader.end().ok).toBe(true);
      const read = keys.find((k) => k.offset === big.offset)!;
      // Copied, the payload is right; kept by reference (the contract: chunks never reused), the reused chunk's later bytes show.
      expect(read.payload.equals(big.payload)).toBe(!keepChunks);
      if (!keepChunks) expect(keys.map((k) => k.payload)).toEqual(whole.map((k) => k.payload));
    }
  });

  it('writes the same payload DUMP returns for a key (same server version: same bytes)', async () => {
    const { keys } = readKeys(file);
    for (const name of ['str:big', 'list:big', 'zset:big', 'hash:small', 'stream', 'set:int']) {
      const key = keys.find((k) => k.db === 0 && k.name.toString() === name)!;
      expect(key.payload.equals((await src.dumpBuffer(name))!), name).toBe(true);
    }
  });

  it('a flipped byte in a payload, or a version above the server, is refused by RESTORE', async () => {
    const key = readKeys(file).keys.find((k) => k.name.toString() === 'hash:big')!;
    const flipped = Buffer.from(key.payload);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    expect(checkDumpPayload(flipped, 10)).toEqual({ ok: false, problem: 'CRC-64 mismatch' });
    await expect(dst.call('RESTORE', 'flipped', '0', flipped)).rejects.toThrow('DUMP payload version or checksum are wrong');
    const newer = dumpPayload(key.payload[0]!, key.payload, 11, 1, key.payload.length - 10);
    expect(checkDumpPayload(newer, 10)).toMatchObject({ ok: false });
    await expect(dst.call('RESTORE', 'newer', '0', Buffer.from(newer))).rejects.toThrow('DUMP payload version or checksum are wrong');
    expect(checkDumpPayload(key.payload, 10)).toEqual({ ok: true, version: 10, type: key.type });
  });

  it('stops at a truncated file: only keys that ended before the cut, and the error at the cut', () => {
    // The cut falls inside the middle key of the file, so keys end before it whatever order the
    // server wrote them in (a fixed fraction of the file could fall inside the first, big key).
    const all = readKeys(file).keys;
    const middle = all[Math.floor(all.length / 2)]!;
    const cut = middle.offset + Math.floor((middle.end - middle.offset) / 2);
    expect(cut).toBeGreaterThan(middle.offset);
    const { keys, report } = readKeys(file.subarray(0, cut), () => 4096);
    expect(report.ok).toBe(false);
    expect(report.error?.offset).toBe(cut);
    expect(keys.map((k) => k.name.toString())).toEqual(all.filter((k) => k.end <= cut).map((k) => k.name.toString()));
    expect(keys.length).toBeGreaterThanOrEqual(Math.floor(all.length / 2));
    expect(keys.length).toBeLessThan(all.length);
  });

  it('refuses a key larger than the limit, naming it, and emits none from there on', () => {
    const all = readKeys(file).keys;
    const big = all.find((k) => k.name.toString() === 'str:random')!;
    const limit = 100_000;
    expect(big.end - big.offset).toBeGreaterThan(limit);
    for (const sizes of [undefined, () => 8192]) {
      const { keys, report } = readKeys(file, sizes, { maxKeyBytes: limit });
      expect(report.ok).toBe(false);
      expect(report.error?.message).toContain(`more than the limit of ${limit} bytes per key`);
      expect(keys.every((k) => k.end <= big.offset)).toBe(true);
      expect(keys.map((k) => k.name.toString())).toEqual(all.filter((k) => k.end <= big.offset && k.end - k.offset <= limit).map((k) => k.name.toString()));
    }
  });

  it('builds payloads only for the keys wanted', () => {
    const { keys, reader, report } = readKeys(file, undefined, { want: (db, name) => db === 0 && name.toString().startsWith('set:') });
    expect(keys.map((k) => k.name.toString()).sort()).toEqual(['set:big', 'set:int', 'set:small']);
    expect(reader.unwanted).toBe(report.keys - 3);
  });

  it('wantName: a key declined by its name is never built, want is still asked of every key, the other keys are the same', () => {
    const whole = readKeys(file).keys;
    const rand = mulberry32(11);
    const declined = (db: number, name: Buffer) => db === 0 && (name.toString() === 'str:random' || name.toString().endsWith(':big'));
    expect(whole.filter((k) => declined(k.db, k.name)).length).toBeGreaterThan(3);
    for (const sizes of [() => 1 + Math.floor(rand() * 3000), (i: number) => (i % 2 === 0 ? 17 : 65_536), () => 65_536]) {
      const asked: string[] = [];
      const { keys, reader, report } = readKeys(file, sizes, {
        keepChunks: true,
        wantName: (db, name) => !declined(db, name),
        // Asked of every key (a caller counts them), and says yes to all: the declined keys stay unbuilt.
        want: (db, name, bytes) => asked.push(`${db}/${name.toString('latin1')}/${bytes}`) > 0,
      });
      expect(report.ok).toBe(true);
      expect(asked).toEqual(whole.map((k) => `${k.db}/${k.name.toString('latin1')}/${k.end - k.offset}`));
      // Declined only when open at the end of a push (a key read whole within one push costs nothing to build and is built).
      const built = new Set(keys.map((k) => k.offset));
      expect(keys.every((k) => !declined(k.db, k.name) || k.end - k.offset < 65_536)).toBe(true);
      expect(whole.filter((k) => !built.has(k.offset)).every((k) => declined(k.db, k.name))).toBe(true);
      expect(reader.unwanted).toBe(whole.length - keys.length);
      expect(keys.map((k) => [k.db, k.name, k.expireAtMs, k.payload])).toEqual(
        whole.filter((k) => built.has(k.offset)).map((k) => [k.db, k.name, k.expireAtMs, k.payload]),
      );
    }
  });

  it("wantName: a declined big value's chunks are let go as they stream by (without it, all of them are kept)", async () => {
    const big = readKeys(file).keys.find((k) => k.name.toString() === 'str:random')!;
    const CHUNK = 65_536; // kept by reference (not merged), as a file source's 1 MiB reads are
    for (const wantName of [() => false, undefined]) {
      const reader = new RdbKeyReader({ keepChunks: true, ...(wantName ? { wantName } : {}), want: () => false });
      const inside: Uint8Array[] = [];
      // Stops before the key ends, while it is still open: whatever the reader keeps of it, it keeps now.
      for (let at = 0; at + CHUNK < big.end; at += CHUNK) {
        const chunk = Uint8Array.from(file.subarray(at, at + CHUNK)); // a fresh buffer per read, as sources give
        reader.push(chunk);
        if (at > big.offset + 64) inside.push(chunk);
      }
      inside.pop(); // the last chunk pushed: the parser's buffer until the next push
      expect(inside.length).toBeGreaterThanOrEqual(2);
      const refs = watch(inside.map((c) => c.buffer));
      inside.length = 0;
      expect(await collected(refs)).toBe(wantName ? refs.length : 0);
      reader.end();
    }
  });

  it('the verifier without a sink reports the same as with one', () => {
    const v = createRdbVerifier();
    v.push(file);
    const { report } = readKeys(file, () => 1000);
    expect(report).toEqual(v.end());
  });
});

describe('older RDB formats (test/fixtures/rdb) restored key by key', () => {
  it.each(CORPUS_CASES.filter(([, , , keys]) => keys > 0))('%s (RDB v%i): equal to what redis-server loads from the file', async (name) => {
    const path = join(CORPUS_DIR, name);
    const loaded = await startRedisServer({ loadRdb: path });
    const target = await startRedisServer();
    try {
      const { keys, report } = readKeys(readFileSync(path), () => 1 + (name.length % 7) * 100);
      expect(report.ok).toBe(true);
      const dst = target.client();
      await restoreAll(dst, keys);
      await expectSameDataset(loaded.port, target.port, report.databases.length > 0 ? report.databases : [0]);
    } finally {
      await loaded.stop();
      await target.stop();
    }
  });
});

describe('decodeRdbString', () => {
  it('reads plain, integer-encoded and LZF strings', () => {
    expect(decodeRdbString(Uint8Array.from([3, 0x61, 0x62, 0x63])).toString()).toBe('abc');
    expect(decodeRdbString(Uint8Array.from([0xc0, 0xf6])).toString()).toBe('-10');
    expect(decodeRdbString(Uint8Array.from([0xc1, 0x39, 0x30])).toString()).toBe('12345');
    expect(decodeRdbString(Uint8Array.from([0xc2, 0x70, 0x11, 0x01, 0x00])).toString()).toBe('70000');
    expect(decodeRdbString(Uint8Array.from([0x40, 0x02, 0x68, 0x69])).toString()).toBe('hi');
    // LZF: literal "aa", then a back reference copying 3 bytes from distance 1: "aaaaa"
    expect(decodeRdbString(Uint8Array.from([0xc3, 5, 5, 0x01, 0x61, 0x61, 0x20, 0x00])).toString()).toBe('aaaaa');
  });
});

describe('target RDB versions', () => {
  it('maps INFO server to the RDB version RESTORE accepts', () => {
    expect(targetRdbSupport('# Server\r\nredis_version:7.0.15\r\n').maxRedisVersion).toBe(10);
    expect(targetRdbSupport('redis_version:7.2.4\r\n').maxRedisVersion).toBe(11);
    expect(targetRdbSupport('redis_version:7.4.1\r\n').maxRedisVersion).toBe(12);
    expect(targetRdbSupport('redis_version:8.2.0\r\n').maxRedisVersion).toBe(12);
    expect(targetRdbSupport('redis_version:6.2.14\r\n').maxRedisVersion).toBe(9);
    expect(targetRdbSupport('redis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.1.1\r\n')).toEqual({
      server: 'valkey 8.1.1',
      maxRedisVersion: 11,
      valkeyFormat: false,
    });
    expect(targetRdbSupport('redis_version:7.2.4\r\nvalkey_version:9.0.0\r\n').valkeyFormat).toBe(true);
    expect(targetRdbSupport('redis_version:8.6.0\r\n').maxRedisVersion).toBe(13);
    expect(targetRdbSupport('redis_version:8.4.2\r\n').maxRedisVersion).toBe(12);
    expect(targetRdbSupport('redis_version:7.2.4\r\nvalkey_version:9.0.3\r\n').maxValkeyVersion).toBe(80);
    expect(targetRdbSupport('redis_version:7.2.4\r\nvalkey_version:9.2.0\r\n').maxValkeyVersion).toBe(81);
    expect(() => targetRdbSupport('redis_version:2.4.0\r\n')).toThrow('older than 2.6');
  });

  it('refuses a file newer than the target, naming both versions', () => {
    const redis70 = targetRdbSupport('redis_version:7.0.15\r\n');
    expect(rdbRefusal({ version: 10, valkey: false }, redis70)).toBeUndefined();
    expect(rdbRefusal({ version: 3, valkey: false }, redis70)).toBeUndefined();
    expect(rdbRefusal({ version: 11, valkey: false }, redis70)).toMatch(/RDB version 11, newer than the target \(redis 7\.0\.15\) reads \(RDB up to 10\)/);
    expect(rdbRefusal({ version: 80, valkey: true }, redis70)).toMatch(/Valkey 9's format/);
    // Valkey 9.2's RDB 81 into a Valkey 9.0: refused by version; into 9.2: read. Redis 8.6's 13 into 8.4: refused.
    const valkey90 = targetRdbSupport('redis_version:7.2.4\r\nvalkey_version:9.0.3\r\n');
    expect(rdbRefusal({ version: 81, valkey: true }, valkey90)).toMatch(
      /Valkey RDB version 81, newer than the target \(valkey 9\.0\.3\) reads \(VALKEY up to 80\)/,
    );
    expect(rdbRefusal({ version: 80, valkey: true }, valkey90)).toBeUndefined();
    expect(rdbRefusal({ version: 81, valkey: true }, targetRdbSupport('valkey_version:9.2.0\r\n'))).toBeUndefined();
    expect(rdbRefusal({ version: 13, valkey: false }, targetRdbSupport('redis_version:8.4.2\r\n'))).toMatch(/RDB version 13, newer than the target/);
    expect(rdbRefusal({ version: 13, valkey: false }, targetRdbSupport('redis_version:8.6.1\r\n'))).toBeUndefined();
  });

  it('refuses a Redis 8.8 or 8.10 file to an older target naming its key types and the release that reads them', () => {
    const redis70 = targetRdbSupport('redis_version:7.0.15\r\n');
    expect(rdbRefusal({ version: 14, valkey: false, byType: { array: 2, stream: 1, hash: 0 } }, redis70)).toMatch(
      /RDB version 14, newer than the target \(redis 7\.0\.15\) reads \(RDB up to 10\).*; its keys \(array=2 stream=1\) need Redis 8\.8 or later/,
    );
    expect(rdbRefusal({ version: 15, valkey: false, byType: { hash: 3 } }, targetRdbSupport('redis_version:8.8.0\r\n'))).toMatch(
      /RDB version 15, newer than the target \(redis 8\.8\.0\) reads \(RDB up to 14\).*need Redis 8\.10 or later/,
    );
    expect(rdbRefusal({ version: 14, valkey: false, byType: { array: 2 } }, targetRdbSupport('redis_version:8.8.1\r\n'))).toBeUndefined();
    expect(rdbRefusal({ version: 15, valkey: false, byType: { hash: 3 } }, targetRdbSupport('redis_version:8.10.0\r\n'))).toBeUndefined();
  });

  it('takes a file of self-contained template hashes (types 29, 31; no templateHashes) into Redis 8.10: their payloads stand alone', () => {
    const redis810 = targetRdbSupport('redis_version:8.10.0\r\n');
    expect(rdbRefusal({ version: 15, valkey: false, byType: { hash: 2 } }, redis810)).toBeUndefined();
    expect(rdbRefusal({ version: 15, valkey: false, byType: { hash: 2 } }, targetRdbSupport('redis_version:8.8.0\r\n'))).toMatch(
      /its keys \(hash=2\) need Redis 8\.10 or later/,
    );
  });

  it("refuses hashes that reference the file's templates whatever the target: their payload names a template the target lacks", () => {
    const redis810 = targetRdbSupport('redis_version:8.10.0\r\n');
    expect(rdbRefusal({ version: 15, valkey: false, byType: { hash: 3 }, templateHashes: 2 }, redis810)).toMatch(
      /^2 hash keys of the file reference its hash templates \(Redis 8\.10, RDB types 30 and 32\).*load the \.rdb file itself into Redis 8\.10 or later/,
    );
  });
});

describe('RdbKeyReader sealPayloads: false', () => {
  it('gives the same object bytes and RDB version, and a footer no server takes (its CRC-64 is zeros)', () => {
    const file = readFileSync(join(CORPUS_DIR, 'hash-ziplist.rdb'));
    const read = (sealPayloads: boolean) => {
      const r = new RdbKeyReader({ sealPayloads });
      const keys = r.push(file);
      expect(r.end().ok).toBe(true);
      return keys;
    };
    const sealed = read(true);
    const unsealed = read(false);
    expect(unsealed.length).toBe(sealed.length);
    expect(sealed.length).toBeGreaterThan(0);
    for (const [i, k] of unsealed.entries()) {
      const s = sealed[i]!;
      expect(k.payload.subarray(0, -8)).toEqual(s.payload.subarray(0, -8));
      expect(k.payload.subarray(-8)).toEqual(Buffer.alloc(8));
      expect(checkDumpPayload(s.payload, 99)).toMatchObject({ ok: true });
      expect(checkDumpPayload(k.payload, 99)).toEqual({ ok: false, problem: 'CRC-64 mismatch' });
    }
  });
});
