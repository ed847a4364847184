import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRdbVerifier, verifyRdbStream, type RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { mulberry32, randomText } from '../../../support/prng.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { populate } from '../../../support/rdb-dataset.js';

const CORPUS = CORPUS_DIR;

function verify(data: Uint8Array, chunkSizes?: (i: number) => number, maxValueBytes?: number): RdbReport {
  const v = createRdbVerifier(maxValueBytes === undefined ? {} : { maxValueBytes });
  if (!chunkSizes) v.push(data);
  else {
    for (let at = 0, i = 0; at < data.length; i++) {
      const size = Math.max(1, chunkSizes(i));
      v.push(data.subarray(at, at + size));
      at += size;
    }
  }
  return v.end();
}

/** What `redis-check-rdb` 7.0 says about a file. */
function checkRdb(data: Uint8Array): { ok: boolean; keys: number; expires: number } {
  const dir = mkdtempSync(join(tmpdir(), 'rdb-check-'));
  try {
    const file = join(dir, 'check.rdb');
    writeFileSync(file, data);
    const out = execFileSync('redis-check-rdb', [file], { encoding: 'utf8' });
    return {
      ok: out.includes('RDB looks OK'),
      keys: Number(/\[info\] (\d+) keys read/.exec(out)?.[1]),
      expires: Number(/\[info\] (\d+) expires/.exec(out)?.[1]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('RDB corpus from older Redis versions', () => {
  it.each(CORPUS_CASES.filter(([, version]) => version < 5))('%s (RDB v%i, no checksum by format) fails when a checksum is required', (file, version) => {
    const v = createRdbVerifier({ requireChecksum: true });
    v.push(readFileSync(join(CORPUS, file)));
    const report = v.end();
    expect(report.ok).toBe(false);
    expect(report.error?.message).toBe(`checksum required, but RDB version ${version} files carry none (CRC-64 trailers start with version 5)`);
  });

  it('covers every file in the corpus folder', () => {
    const files = readdirSync(CORPUS)
      .filter((f) => f.endsWith('.rdb'))
      .sort();
    expect(files).toEqual(CORPUS_CASES.map(([f]) => f).sort());
  });

  it.each(CORPUS_CASES)('verifies %s as version %i, checksum %s, %i keys, %i expires', (file, version, checksum, keys, expires) => {
    const report = verify(readFileSync(join(CORPUS, file)));
    expect(report).toMatchObject({ ok: true, version, checksum, keys, expires });
    expect(report.error).toBeUndefined();
  });

  it.each([
    ['hash-zipmap.rdb', { hash: 1 }],
    ['hash-ziplist.rdb', { hash: 1 }],
    ['list-quicklist.rdb', { list: 1, string: 1 }],
    ['zset-ziplist.rdb', { zset: 1 }],
    ['encodings.rdb', { zset: 2, set: 4, list: 2, string: 3, hash: 2 }],
  ])('counts the keys of %s by type', (file, byType) => {
    expect(verify(readFileSync(join(CORPUS, file))).byType).toEqual(byType);
  });

  it('reads the Lua script backup of scriptbackup.rdb as an AUX field', () => {
    const report = verify(readFileSync(join(CORPUS, 'scriptbackup.rdb')));
    expect(report.auxFields).toHaveProperty('lua');
    expect(report.auxFields['redis-ver']).toMatch(/^\d+\.\d+/);
  });
});

/** Writes one of every encoding the local redis-server produces, across databases 0, 1 and 5. */
/** Keys across the databases the server holds. */
async function dbsizeSum(c: Redis): Promise<number> {
  let total = 0;
  for (const db of [0, 1, 5]) {
    await c.select(db);
    total += await c.dbsize();
  }
  await c.select(0);
  return total;
}

describe('RDB files written by a real redis-server', () => {
  let server: RedisServer;
  let unchecked: RedisServer;
  let client: Redis;
  let totalKeys = 0;
  const encodings: Record<string, string> = {};
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    client = server.client();
    await populate(client);
    totalKeys = await dbsizeSum(client);
    for (const key of await client.keys('*')) encodings[key] = String(await client.object('ENCODING', key));
    for (const policy of ['noeviction', 'allkeys-lru', 'allkeys-lfu']) {
      await client.config('SET', 'maxmemory-policy', policy);
      files.set(policy, readFileSync(await bgsave(server, client)));
    }
    // rdbchecksum is immutable at runtime: a second server loads the same data with it off.
    const seed = join(mkdtempSync(join(tmpdir(), 'rdb-seed-')), 'seed.rdb');
    writeFileSync(seed, files.get('noeviction')!);
    unchecked = await startRedisServer({ loadRdb: seed, args: ['--rdbchecksum', 'no'] });
    rmSync(resolve(seed, '..'), { recursive: true, force: true });
    files.set('no-checksum', readFileSync(await bgsave(unchecked, unchecked.client())));
  });

  afterAll(async () => {
    await server?.stop();
    await unchecked?.stop();
  });

  it.each(['noeviction', 'allkeys-lru', 'allkeys-lfu', 'no-checksum'])('agrees with redis-check-rdb and DBSIZE on the %s save', (name) => {
    const data = files.get(name)!;
    const report = verify(data);
    const check = checkRdb(data);
    expect(check.ok).toBe(true);
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.keys).toBe(check.keys);
    expect(report.expires).toBe(check.expires);
    expect(report.keys).toBe(totalKeys);
    expect(report.expires).toBe(4);
    expect(report.checksum).toBe(name === 'no-checksum' ? 'absent' : 'ok');
  });

  describe('checksum policy (requireChecksum)', () => {
    const verifyStrict = (data: Uint8Array): RdbReport => {
      const v = createRdbVerifier({ requireChecksum: true });
      v.push(data);
      return v.end();
    };

    it('passes a file whose CRC-64 matches', () => {
      expect(verifyStrict(files.get('noeviction')!)).toMatchObject({ ok: true, checksum: 'ok', keys: totalKeys });
    });

    it('fails a file saved with rdbchecksum no, which the default policy reports as "absent"', () => {
      const data = files.get('no-checksum')!;
      expect(verify(data)).toMatchObject({ ok: true, checksum: 'absent' });
      const report = verifyStrict(data);
      expect(report).toMatchObject({ ok: false, checksum: 'absent' });
      expect(report.error).toEqual({ offset: data.length, message: expect.stringMatching(/^checksum required, but the CRC-64 trailer is all zeros/) });
    });

    it('catches a flipped value byte hidden behind a zeroed trailer', () => {
      const data = Buffer.from(files.get('noeviction')!);
      // Flip a byte of a value inside the file, then zero the trailer, as a careless tool might.
      const at = data.indexOf(Buffer.from('hello')); // the value of str:short
      expect(at).toBeGreaterThan(0);
      data[at] = data[at]! ^ 0x01;
      data.fill(0, data.length - 8);
      expect(verify(data)).toMatchObject({ ok: true, checksum: 'absent' }); // the default policy cannot see it
      expect(verifyStrict(data)).toMatchObject({ ok: false, checksum: 'absent' });
    });
  });

  it('covers each in-memory encoding redis-server 7.0 persists', () => {
    // Redis 7.0 has no listpack sets (7.2+); small sets stay hashtables.
    expect(encodings).toEqual({
      'str:int': 'int',
      'str:negint': 'int',
      'str:short': 'embstr',
      'str:big': 'raw',
      'list:small': 'quicklist',
      'list:big': 'quicklist',
      'list:plain': 'quicklist',
      'set:int': 'intset',
      'set:small': 'hashtable',
      'set:big': 'hashtable',
      'zset:small': 'listpack',
      'zset:big': 'skiplist',
      'hash:small': 'listpack',
      'hash:big': 'hashtable',
      stream: 'stream',
    });
    // The 160 KB string and the 2000-element list are stored LZF-compressed.
    expect(files.get('noeviction')!.length).toBeLessThan(64 * 1024);
  });

  it('reports version, databases, types, function libraries and AUX fields', () => {
    const report = verify(files.get('noeviction')!);
    expect(report.version).toBe(10);
    expect(report.databases).toEqual([0, 1, 5]);
    expect(report.byType).toEqual({ string: 7, list: 3, set: 3, zset: 2, hash: 3, stream: 1 });
    expect(report.functionLibraries).toBe(1);
    expect(report.auxFields['redis-ver']).toBe('7.0.15');
  });

  it.each([
    ['allkeys-lru', 'IDLE', 0xf8],
    ['allkeys-lfu', 'FREQ', 0xf9],
  ])('the %s save really carries %s opcodes', (name, _, opcode) => {
    // A weak but useful guard that the LRU/LFU test files exercise IDLE/FREQ.
    const data = files.get(name)!;
    const ofNoEviction = files.get('noeviction')!;
    expect(data.length).toBeGreaterThan(ofNoEviction.length + totalKeys);
    expect(data.includes(opcode)).toBe(true);
  });

  it.each([
    ['in one chunk', undefined],
    ['in 1-byte chunks', () => 1],
    [
      'in random chunk sizes (seed 1)',
      (
        (r) => () =>
          Math.floor(r() * 700)
      )(mulberry32(1)),
    ],
    [
      'in random chunk sizes (seed 2)',
      (
        (r) => () =>
          Math.floor(r() * 20)
      )(mulberry32(2)),
    ],
  ])('gives the identical report when the file arrives %s', (_, chunks) => {
    const data = files.get('allkeys-lfu')!;
    expect(verify(data, chunks)).toEqual(verify(data));
  });

  it('verifies an async stream of chunks', async () => {
    const data = files.get('allkeys-lfu')!;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < data.length; at += 4096) yield data.subarray(at, at + 4096);
    }
    expect(await verifyRdbStream(body())).toEqual(verify(data));
  });

  it('does not depend on the caller keeping its chunks unchanged after push', () => {
    const data = files.get('allkeys-lfu')!;
    const v = createRdbVerifier();
    const scratch = new Uint8Array(333);
    for (let at = 0; at < data.length; at += scratch.length) {
      const piece = data.subarray(at, at + scratch.length);
      scratch.set(piece);
      v.push(scratch.subarray(0, piece.length));
      scratch.fill(0xee);
    }
    expect(v.end()).toEqual(verify(data));
  });

  it('reports a value larger than maxValueBytes instead of buffering it', () => {
    const report = verify(files.get('noeviction')!, undefined, 1024);
    expect(report.ok).toBe(false);
    expect(report.error?.message).toMatch(/exceeds the verifier limit of 1024 bytes/);
  });

  describe('corruption', () => {
    it('rejects the file truncated at ~300 offsets, naming the offset', () => {
      const data = files.get('allkeys-lfu')!;
      const offsets = new Set<number>([0, 1, 8, 9, data.length - 9, data.length - 8, data.length - 1]);
      for (let i = 0; i < 300; i++) offsets.add(Math.floor((i * data.length) / 300));
      for (const at of offsets) {
        const report = verify(data.subarray(0, at));
        expect(report.ok, `truncated at ${at}`).toBe(false);
        expect(report.error?.offset, `truncated at ${at}`).toBe(at);
        expect(report.error?.message).toMatch(/unexpected end of input/);
      }
    });

    it('rejects 300 seeded random single-bit flips without throwing', () => {
      const data = files.get('allkeys-lfu')!;
      const random = mulberry32(42);
      for (let i = 0; i < 300; i++) {
        const at = Math.floor(random() * data.length);
        const bit = Math.floor(random() * 8);
        const copy = Buffer.from(data);
        copy[at]! ^= 1 << bit;
        const report = verify(copy);
        expect(report.ok, `bit ${bit} of byte ${at}`).toBe(false);
        expect(report.error?.message.length).toBeGreaterThan(0);
      }
    });

    it.each([1, 4, 8])('reports a checksum mismatch for a flip in trailer byte -%i', (fromEnd) => {
      const copy = Buffer.from(files.get('noeviction')!);
      copy[copy.length - fromEnd]! ^= 0x01;
      const report = verify(copy);
      expect(report).toMatchObject({ ok: false, checksum: 'mismatch' });
      expect(report.error?.message).toMatch(/CRC-64 mismatch/);
    });

    it('accepts and reports bytes after the trailer, as redis-check-rdb and a loading redis-server do', async () => {
      const data = Buffer.concat([files.get('noeviction')!, Buffer.from('appended by some tool')]);
      for (const chunking of [undefined, () => 7]) {
        const report = verify(data, chunking);
        expect(report).toMatchObject({ ok: true, checksum: 'ok', keys: totalKeys, trailingBytes: 21 });
        expect(report.error).toBeUndefined();
      }
      expect(checkRdb(data)).toMatchObject({ ok: true, keys: totalKeys });
      // A real server loads the file with the bytes appended.
      const dir = mkdtempSync(join(tmpdir(), 'rdb-trailing-'));
      const file = join(dir, 'trailing.rdb');
      writeFileSync(file, data);
      const loaded = await startRedisServer({ loadRdb: file });
      try {
        expect(await dbsizeSum(loaded.client())).toBe(totalKeys);
      } finally {
        await loaded.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('reports no trailing bytes for a file that ends at its trailer', () => {
      expect(verify(files.get('noeviction')!).trailingBytes).toBeUndefined();
    });

    it('catches structural damage in a file saved without a checksum', () => {
      const data = files.get('no-checksum')!;
      const random = mulberry32(7);
      let rejected = 0;
      for (let i = 0; i < 200; i++) {
        const copy = Buffer.from(data);
        copy[Math.floor(random() * data.length)]! ^= 1 << Math.floor(random() * 8);
        if (!verify(copy).ok) rejected++;
      }
      // Without a CRC, flips inside string payloads are undetectable; structure still catches many.
      expect(rejected).toBeGreaterThan(20);
    });
  });
});

/** Pieces of `data` in the sizes `sizes` gives, for comparing chunkings. */
function chunked(data: Uint8Array, sizes: (i: number) => number): RdbReport {
  return verify(data, sizes);
}

/** The file offset halfway through the compressed body of key `name`'s LZF-encoded value. */
function middleOfLzfValue(data: Buffer, name: string): number {
  let p = data.indexOf(Buffer.from(name)) + name.length;
  expect(data[p++]).toBe(0xc3); // LZF string encoding
  const length = (): number => {
    const first = data[p]!;
    if (first >> 6 === 0) return p++, first & 0x3f;
    if (first >> 6 === 1) return (p += 2), ((first & 0x3f) << 8) | data[p - 1]!;
    expect(first).toBe(0x80);
    p += 5;
    return data.readUInt32BE(p - 4);
  };
  const compressed = length();
  length(); // plain length
  return p + Math.floor(compressed / 2);
}

describe('values larger than a chunk (streamed, not buffered whole)', () => {
  let server: RedisServer;
  let data: Buffer;
  let keys = 0;
  /** File offsets inside the large values, to cut and damage them there. */
  const inside: Record<string, number> = {};

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const c = server.client();
    const random = mulberry32(5);
    const noise = (n: number): string => randomText(random, n, 33, 94);
    const plain = noise(2_500_000); // incompressible: stored as a plain string
    await c.set('big:plain', plain);
    await c.set('big:lzf', 'redis-dr '.repeat(500_000)); // 4.5 MB, stored LZF-compressed
    // One listpack of ~400 KB (kept and validated across chunks), LZF-compressed.
    await c.config('SET', 'hash-max-listpack-entries', '100000');
    await c.config('SET', 'hash-max-listpack-value', '100000');
    await c.hset('big:listpack', Object.fromEntries(Array.from({ length: 8000 }, (_, i) => [`field-${i}`, `value-${i}-${'v'.repeat(i % 40)}`])));
    // PLAIN quicklist nodes of 1.2 MB next to packed ones.
    await c.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000');
    await c.rpush('big:list', 'head', plain.slice(0, 1_200_000), 'middle', plain.slice(1_000_000, 2_200_000), 'tail');
    for (let i = 0; i < 300; i++) await c.xadd('big:stream', '*', 'n', String(i), 'payload', noise(200));
    await c.xgroup('CREATE', 'big:stream', 'g1', '0');
    await c.xgroup('CREATE', 'big:stream', 'g2', '0');
    await c.call('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '120', 'STREAMS', 'big:stream', '>');
    await c.call('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '60', 'STREAMS', 'big:stream', '>');
    await c.call('XREADGROUP', 'GROUP', 'g2', 'carol', 'COUNT', '200', 'STREAMS', 'big:stream', '>');
    await c.set('small', 'x', 'EX', 600);
    keys = await c.dbsize();
    data = readFileSync(await bgsave(server, c));
    inside.plain = data.indexOf(Buffer.from(plain.slice(2_300_000, 2_300_050))); // only in big:plain
    inside.lzf = middleOfLzfValue(data, 'big:lzf');
    inside.listpack = middleOfLzfValue(data, 'big:listpack');
    inside.stream = data.indexOf(Buffer.from('big:stream')) + 30_000; // among its ~60 KB of listpacks
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('agrees with redis-check-rdb and DBSIZE', () => {
    const report = verify(data);
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ ok: true, checksum: 'ok', keys, expires: 1 });
    expect(report.keys).toBe(checkRdb(data).keys);
    expect(Object.values(inside).every((at) => at > 0 && at < data.length)).toBe(true);
  });

  it.each([
    ['1 MiB', () => 1 << 20],
    ['64 KiB', () => 65536],
    ['4,099-byte', () => 4099],
    [
      'random (seed 3)',
      (
        (r) => () =>
          1 + Math.floor(r() * 5000)
      )(mulberry32(3)),
    ],
  ])('gives the identical report in %s chunks', (_, sizes) => {
    expect(chunked(data, sizes)).toEqual(verify(data));
  });

  it.each(['plain', 'lzf', 'listpack', 'stream'])('reports a cut inside the large %s value at the end of input, in any chunking', (value) => {
    const cut = data.subarray(0, inside[value]!);
    for (const sizes of [() => 1 << 20, () => 65536, () => 777]) {
      const report = chunked(cut, sizes);
      expect(report.ok).toBe(false);
      expect(report.error).toEqual({ offset: cut.length, message: expect.stringMatching(/^unexpected end of input while reading key \d+ value/) });
    }
  });

  it.each(['lzf', 'listpack', 'stream'])('reports damage inside the large %s value identically in any chunking', (value) => {
    const copy = Buffer.from(data);
    copy[inside[value]!]! ^= 0x40;
    const whole = verify(copy);
    expect(whole.ok).toBe(false);
    for (const sizes of [() => 1 << 20, () => 65536, () => 777]) expect(chunked(copy, sizes)).toEqual(whole);
  });
});

describe('hand-made inputs', () => {
  const header = (version: string): number[] => [...Buffer.from(`REDIS${version}`)];
  const withCrc = (bytes: number[]): Uint8Array => {
    // Checksum disabled (all-zero trailer) keeps the tables readable.
    return Uint8Array.from([...bytes, 0, 0, 0, 0, 0, 0, 0, 0]);
  };

  it.each<[string, Uint8Array, RegExp | undefined]>([
    ['an empty database', withCrc([...header('0010'), 0xff]), undefined],
    ['a file that is not RDB', Uint8Array.from(Buffer.from('HELLO0010')), /missing "REDIS" or "VALKEY" magic$/],
    // A backup kept compressed: the form named, with what undoes it.
    [
      'gzip data',
      Uint8Array.from(gzipSync(Buffer.from('REDIS0011'))),
      /missing "REDIS" or "VALKEY" magic; it begins as gzip data \(1f 8b\): decompress it first \(gunzip\)$/,
    ],
    ['zstd data', Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0, 0, 0]), /; it begins as zstd data \(28 b5 2f fd\): decompress it first \(zstd -d\)$/],
    [
      'a zip archive',
      Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0]),
      /; it begins as a zip archive \("PK" 03 04\): extract the \.rdb from it first \(unzip\)$/,
    ],
    ['a version newer than any it reads', withCrc([...header('0099'), 0xff]), /^unsupported format \(version 99, written by a Redis newer than/],
    ['version 0', withCrc([...header('0000'), 0xff]), /RDB version 0 is not an RDB version/],
    ['a non-numeric version', withCrc([...header('00x1'), 0xff]), /not 4 digits/],
    ['an unknown opcode', withCrc([...header('0010'), 0xf3]), /unknown value type or opcode 243/],
    ['a module type', withCrc([...header('0010'), 0x06, 0x01, 0x6b]), /module types not supported/],
    [
      'a pre-release function',
      withCrc([...header('0010'), 0xf6]),
      /^pre-release function format \(opcode 0xF6, written by Redis 7\.0 release candidates\): Redis 7\.2 and later and Valkey refuse to load it/,
    ],
    // Redis loads it, the expiry unused (review 50: verifier-redis-verdicts.test.ts).
    ['an expire with no key', withCrc([...header('0010'), 0xfc, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]), undefined],
    ['a ziplist with a 4 GiB length', withCrc([...header('0010'), 0x0a, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff]), /exceeds the verifier limit/],
    [
      'an LZF string claiming an impossible expansion',
      withCrc([...header('0010'), 0x00, 0x01, 0x6b, 0xc3, 0x01, 0x80, 0x00, 0x10, 0x00, 0x00, 0x00]),
      /more than LZF can expand/,
    ],
    ['a 64-bit length beyond any file', withCrc([...header('0010'), 0x00, 0x01, 0x6b, 0x81, 0xff, 0, 0, 0, 0, 0, 0, 0]), /64-bit length/],
    ['a stream node key that is not an ID', withCrc([...header('0010'), 0x0f, 0x01, 0x6b, 0x01, 0x02, 0x61, 0x62]), /not a 16-byte stream ID|16-byte/],
  ])('handles %s', (_, bytes, error) => {
    const report = verify(bytes);
    if (error) {
      expect(report.ok).toBe(false);
      expect(report.error?.message).toMatch(error);
    } else {
      expect(report).toMatchObject({ ok: true, version: 10, checksum: 'absent', keys: 0 });
    }
  });

  it('skips a huge declared plain string without allocating it and reports truncation', () => {
    // String value with a 64-bit length of 2^40: nothing is buffered, the input simply ends.
    const bytes = Uint8Array.from([...header('0010'), 0x00, 0x01, 0x6b, 0x81, 0, 0, 0x01, 0, 0, 0, 0, 0, 0x61]);
    const report = verify(bytes);
    expect(report).toMatchObject({ ok: false, error: { offset: bytes.length } });
    expect(report.error?.message).toMatch(/unexpected end of input while reading key 1 value \(string/);
  });

  it('skips module AUX data and module values written through the module API, naming the modules both need', () => {
    const moduleId = [0x81, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0];
    const body = [0x01, 0x05, 0x02, 0x07, 0x03, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x02, 0x68, 0x69, 0x00];
    const bytes = withCrc([...header('0010'), 0xf7, ...moduleId, 0x02, 0x02, ...body, 0xfe, 0x00, 0x07, 0x01, 0x6b, ...moduleId, ...body, 0xff]);
    const report = verify(bytes);
    expect(report).toMatchObject({ ok: true, keys: 1, byType: { module: 1 } });
    // Redis refuses AUX data of a module it has not loaded ("no matching module"), as it refuses module values.
    expect(report.moduleAux).toEqual(Object.keys(report.moduleTypes!));
    expect(report.moduleAux).toHaveLength(1);
  });
});

/**
 * Formats no local server writes (redis-server here is 7.0): Valkey 9's
 * `VALKEY080` files and its type 22 hash with field TTLs; Redis 7.4+'s hashes
 * with field expiration (types 22–25); empty keys; module type names. Built
 * byte by byte from the loaders' code (Valkey and Redis `src/rdb.c`), each
 * with what the loader does with it.
 */
describe('Valkey 9, hash field expiration, empty keys and module names (built byte by byte)', () => {
  const str = (text: string): number[] => [text.length, ...Buffer.from(text)];
  const le64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  const file = (magic: string, body: number[]): Uint8Array => Uint8Array.from([...Buffer.from(magic), ...body, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
  /** A listpack of short strings and small ints (what Redis writes for small hashes). */
  const listpack = (items: (string | number)[]): number[] => {
    const body = items.flatMap((x) => (typeof x === 'number' ? [x, 1] : [0x80 | x.length, ...Buffer.from(x), 1 + x.length]));
    const total = 6 + body.length + 1;
    return [total & 0xff, (total >> 8) & 0xff, 0, 0, items.length & 0xff, items.length >> 8, ...body, 0xff];
  };
  const blob = (bytes: number[]): number[] => [...(bytes.length < 64 ? [bytes.length] : [0x40 | (bytes.length >> 8), bytes.length & 0xff]), ...bytes];
  /** Every case must verify the same whole and byte by byte (the parser resumes at any byte). */
  const both = (bytes: Uint8Array): RdbReport => {
    const whole = verify(bytes);
    expect(verify(bytes, () => 1)).toEqual(whole);
    return whole;
  };

  it('reads a VALKEY080 file (Valkey 9): the magic and version are reported', () => {
    expect(both(file('VALKEY080', [0xfe, 0x00, 0x00, ...str('k'), ...str('v')]))).toMatchObject({
      ok: true,
      version: 80,
      magic: 'VALKEY',
      keys: 1,
      byType: { string: 1 },
    });
  });

  it.each([
    ['VALKEY011', /RDB version 11 after the VALKEY magic is not supported \(80, 81; Valkey refuses "Can't handle RDB format version 11"\)/],
    ['VALKEY81x', /not 3 digits/],
  ])('refuses %s as Valkey does', (magic, error) => {
    expect(both(file(magic, [])).error?.message).toMatch(error);
  });

  it('Valkey type 22: field, value, then an 8-byte expiry per field (-1: none)', () => {
    const hash = [0x16, ...str('h'), 0x02, ...str('f1'), ...str('v1'), ...le64(1_900_000_000_000n), ...str('f2'), ...str('v2'), ...le64(0xffffffffffffffffn)];
    expect(both(file('VALKEY080', hash))).toMatchObject({ ok: true, keys: 1, byType: { hash: 1 } });
    // Cut inside the second expiry: the end of input is reported, not a wrong count.
    expect(verify(file('VALKEY080', hash.slice(0, -4))).ok).toBe(false);
  });

  it('a Redis-only type (24) in a VALKEY file is refused: Valkey does not know it', () => {
    expect(both(file('VALKEY080', [0x18, ...str('h'), ...le64(0n), 0x00])).error?.message).toMatch(/value type 24 in a Valkey \(VALKEY magic\) file/);
  });

  it('Redis type 24: earliest expiry, then per field a relative TTL (0: none), field and value', () => {
    const min = 1_900_000_000_000n;
    const ok = [0x18, ...str('h'), ...le64(min), 0x02, 0x00, ...str('f1'), ...str('v1'), 0x05, ...str('f2'), ...str('v2')];
    expect(both(file('REDIS0012', ok))).toMatchObject({ ok: true, version: 12, keys: 1, byType: { hash: 1 } });
    expect(both(file('REDIS0012', ok)).magic).toBeUndefined();
    // A TTL that puts the field beyond 2^48 ms: Redis refuses ("invalid expireAt time").
    const far = [0x18, ...str('h'), ...le64(min), 0x01, 0x81, ...le64(1n << 48n).reverse(), ...str('f'), ...str('v')];
    expect(both(file('REDIS0012', far)).error?.message).toMatch(/beyond 2\^48 ms: Redis refuses it/);
    const badMin = [0x18, ...str('h'), ...le64((1n << 48n) + 2n), 0x00];
    expect(both(file('REDIS0012', badMin)).error?.message).toMatch(/invalid minExpire value/);
  });

  it('Redis type 22 (7.4 release candidates): absolute TTLs, no earliest expiry', () => {
    expect(both(file('REDIS0012', [0x16, ...str('h'), 0x01, 0x00, ...str('f'), ...str('v')]))).toMatchObject({ ok: true, keys: 1, byType: { hash: 1 } });
  });

  it('Redis types 23 and 25: a listpack of (field, value, TTL) triplets, 25 after the earliest expiry', () => {
    // Fields with a TTL first, in ascending order (Redis's loader checks it: see formats.test.ts).
    const lp = listpack(['f1', 'v1', 7, 'f2', 'v2', 0]);
    expect(both(file('REDIS0012', [0x19, ...str('h'), ...le64(1_900_000_000_000n), ...blob(lp)]))).toMatchObject({ ok: true, keys: 1, byType: { hash: 1 } });
    expect(both(file('REDIS0012', [0x17, ...str('h'), ...blob(lp)]))).toMatchObject({ ok: true, keys: 1 });
    // Not a multiple of 3: Redis checks that only with sanitize-dump-payload yes, so a small one loads (a warning).
    const pairs = listpack(['f1', 'v1', 5, 'f2']);
    const report = both(file('REDIS0012', [0x19, ...str('h'), ...le64(0n), ...blob(pairs)]));
    expect(report.ok).toBe(true);
    expect(report.warnings?.[0]?.message).toMatch(/not a multiple of 3: Redis loads it; only sanitize-dump-payload yes refuses it/);
  });

  it('empty keys are counted apart: Redis skips them on load (plain, blob and quicklist forms)', () => {
    const empties = [
      0x02,
      ...str('set'),
      0x00, // set of 0 members
      0x04,
      ...str('hash'),
      0x00, // hash of 0 fields
      0x10,
      ...str('lp'),
      ...blob(listpack([])), // hash listpack with no element
      0x12,
      ...str('ql'),
      0x01,
      0x02,
      ...blob(listpack([])), // quicklist whose only node is empty
      0x18,
      ...str('hfe'),
      ...le64(0n),
      0x00, // hash with field TTLs, no field
    ];
    const report = both(file('REDIS0012', [0xfe, 0x00, 0xfc, ...le64(1n), ...empties, 0x00, ...str('k'), ...str('v')]));
    expect(report).toMatchObject({ ok: true, keys: 1, emptyKeys: 5, expires: 0, byType: { string: 1 } });
  });

  it('refuses what Redis refuses: an empty zipmap, a quicklist node with an empty body', () => {
    expect(both(file('REDIS0003', [0x09, ...str('h'), 0x02, 0x00, 0xff])).error?.message).toMatch(/empty zipmap: Redis refuses it/);
    expect(both(file('REDIS0012', [0x12, ...str('l'), 0x01, 0x02, 0x00])).error?.message).toMatch(/quicklist node with an empty body/);
    expect(both(file('REDIS0012', [0x12, ...str('l'), 0x01, 0x01, 0x00])).error?.message).toMatch(/quicklist node with an empty body/);
  });

  it('a set listpack (RDB 11, Redis 7.2+, which the local 7.0 server cannot load) with a member twice: loaded, a warning', () => {
    const report = both(file('REDIS0011', [0x14, ...str('s'), ...blob(listpack(['a', 'b', 'a']))]));
    expect(report).toMatchObject({ ok: true, keys: 1, warningCount: 1 });
    expect(report.warnings?.[0]?.message).toMatch(/duplicate set members in a listpack: Redis loads it; only sanitize-dump-payload yes refuses it/);
    // The same with the "count unknown" header (65535): the members are checked in a walk of their own.
    const unknownCount = listpack(['a', 'b', 'a']);
    unknownCount[4] = 0xff;
    unknownCount[5] = 0xff;
    const unknown = both(file('REDIS0011', [0x14, ...str('s'), ...blob(unknownCount)]));
    expect(unknown).toMatchObject({ ok: true, keys: 1, warningCount: 1 });
    expect(unknown.warnings?.[0]).toEqual(report.warnings?.[0]);
    // More members than Redis keeps in a listpack: it converts the set on load, and the conversion refuses the duplicate.
    const big = Array.from({ length: 129 }, (_, i) => `m${i}`).concat('m7');
    expect(both(file('REDIS0011', [0x14, ...str('s'), ...blob(listpack(big))])).error?.message).toMatch(
      /duplicate set members in a listpack, in a collection of 130 members that Redis converts on load: Redis refuses it/,
    );
  });

  it('names module value types (the module the restore server must load), from the 64-bit module id', () => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const id = ([...'ReJSON-RL'].reduce((acc, c) => (acc << 6n) | BigInt(chars.indexOf(c)), 0n) << 10n) | 3n;
    const idBytes = le64(id).reverse();
    const value = [0x07, ...str('doc'), 0x81, ...idBytes, 0x05, ...str('{}'), 0x00];
    expect(both(file('REDIS0011', [...value, ...value.map((b, i) => (i === 2 ? 0x65 : b))]))).toMatchObject({
      ok: true,
      keys: 2,
      byType: { module: 2 },
      moduleTypes: { 'ReJSON-RL': 2 },
    });
  });
});
