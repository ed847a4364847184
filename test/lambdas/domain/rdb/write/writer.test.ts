import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../../lambdas/domain/rdb/codecs/crc64.js';
import { readCanonicalBatch } from '../../../../../lambdas/adapters/redis/canonical-read.js';
import { keyDigest, type KeyValue } from '../../../../../lambdas/domain/rdb/fingerprint.js';
import { dumpPayload } from '../../../../../lambdas/domain/rdb/format/dump-payload.js';
import { Cursor, decodeDumpPayload } from '../../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../../lambdas/domain/rdb/keys.js';
import { writeHashWithTtls, writePlainValue } from '../../../../../lambdas/domain/rdb/write/encode-value.js';
import { expressValue, readsAsIs } from '../../../../../lambdas/domain/rdb/write/express.js';
import { dumpPayloadFor, RdbFileWriter, rdbMagic } from '../../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { downgradeStream, hashFieldTtls } from '../../../../../lambdas/domain/rdb/write/source-forms.js';
import { startRedisServer, type RedisServer } from '../../../../support/redis-server.js';

const b = (s: string) => Buffer.from(s);
const REDIS10 = { magic: 'REDIS', version: 10 } as const;
const REDIS12 = { magic: 'REDIS', version: 12 } as const;
const VALKEY80 = { magic: 'VALKEY', version: 80 } as const;
const NOW = Date.now();

/** Values of every plain type, with the edges of the encodings: empty strings, long strings, binary, scores at infinity. */
const VALUES: readonly KeyValue[] = [
  { type: 'string', value: b('') },
  { type: 'string', value: Buffer.alloc(70_000, 0xab) },
  { type: 'string', value: b('12345') },
  { type: 'list', items: [b('a'), b(''), Buffer.from([0, 255, 10]), b('x'.repeat(20_000))] },
  { type: 'set', members: [b('1'), b('2'), b('member'), b('')] },
  {
    type: 'zset',
    entries: [
      [b('a'), '1.5'],
      [b('b'), 'inf'],
      [b('c'), '-inf'],
      [b('d'), '0.1'],
      [b('e'), '-1e+300'],
    ],
  },
  {
    type: 'hash',
    fields: Array.from({ length: 200 }, (_, i) => [b(`f${i}`), b(`v${i}`)] as const),
  },
];

describe('RdbOut: the RDB length and string encodings the reader reads back', () => {
  it.each([0, 63, 64, 16383, 16384, 2 ** 32 - 1, 2 ** 32, 2 ** 40])('length %i', (n) => {
    const out = new RdbOut().len(n);
    const c = new Cursor(out.view(), 0, out.length);
    expect(c.length()).toBe(n);
    expect(c.at).toBe(out.length);
  });

  it('refuses a negative length', () => {
    expect(() => new RdbOut().len(-1)).toThrow(/not negative/);
  });
});

describe('the RDB writer: KeyValue → object bytes → the reader gives the same value', () => {
  it.each(VALUES.map((v) => [v.type, v] as const))('%s round trips through a DUMP payload', (_t, value) => {
    const out = new RdbOut();
    const type = writePlainValue(value, out);
    const back = decodeDumpPayload(dumpPayloadFor(type, out.view(), REDIS10));
    expect(keyDigest(back, null)).toEqual(keyDigest(value, null));
  });

  it('has no plain form for a stream or a module value', () => {
    expect(() => writePlainValue({ type: 'stream', entries: [] }, new RdbOut())).toThrow(/no plain form/);
    expect(() => writePlainValue({ type: 'other', typeName: 'ReJSON-RL', dump: b('x') }, new RdbOut())).toThrow(/module value \(ReJSON-RL\)/);
  });

  it('writes field TTLs as Redis 7.4 (24) and Valkey 9 (22) read them, and refuses them for RDB 10', () => {
    const h = {
      fields: [
        [b('a'), b('1')],
        [b('b'), b('2')],
      ] as const,
      expireAt: [1_900_000_000_123, 0],
    };
    for (const [target, valkey] of [
      [REDIS12, false],
      [VALKEY80, true],
    ] as const) {
      const out = new RdbOut();
      const type = writeHashWithTtls(h, target, out);
      expect(hashFieldTtls(dumpPayloadFor(type, out.view(), target), valkey)).toEqual({ fields: h.fields, expireAt: h.expireAt });
    }
    expect(() => writeHashWithTtls(h, REDIS10, new RdbOut())).toThrow(/RDB 10 holds no hash field TTLs/);
    expect(() => writeHashWithTtls({ fields: h.fields, expireAt: [0, 0] }, REDIS12, new RdbOut())).toThrow(/no field of the hash has a TTL/);
  });

  it('a whole file: header, keys in several databases, expiry, CRC-64; the verifier passes it', () => {
    const w = new RdbFileWriter(REDIS10, [
      ['redis-ver', '7.0.0'],
      ['ctime', '1700000000'],
    ]);
    VALUES.forEach((v, i) => {
      const name = b(`k${i}`);
      const expireAtMs = i === 2 || i === 3 ? 1_900_000_000_000 + i : null;
      // Every other key written straight into the file's buffer, its type byte after its value (as convert-rdb's transcoder writes).
      if (i % 2 === 1) w.valueWritten(writePlainValue(v, w.keyOpened({ db: i % 3, nameBytes: name, nameFrom: 0, nameTo: name.length, expireAtMs })));
      else {
        const out = new RdbOut();
        const type = writePlainValue(v, out);
        w.key(i % 3, name, type, out.view(), expireAtMs);
      }
    });
    const bytes = Buffer.concat([w.chunk(), w.end()]);
    expect(bytes.subarray(0, 9).toString()).toBe('REDIS0010');
    const reader = new RdbKeyReader({ requireChecksum: true });
    const keys = reader.push(bytes);
    const report = reader.end();
    expect(report).toMatchObject({ ok: true, checksum: 'ok', keys: VALUES.length, expires: 2, databases: [0, 1, 2] });
    expect(keys.map((k) => keyDigest(decodeDumpPayload(k.payload), null))).toEqual(VALUES.map((v) => keyDigest(v, null)));
    expect(keys.map((k) => [k.db, k.name.toString(), k.expireAtMs])).toEqual(
      VALUES.map((_, i) => [i % 3, `k${i}`, i === 2 || i === 3 ? 1_900_000_000_000 + i : null]),
    );
    // Only a byte already written can be set (the type byte goes where its key began).
    expect(() => new RdbOut().setByte(0, 1)).toThrow(/not written yet/);
    // A key is closed once, after it was opened; another is not opened over one whose value is missing.
    const open = new RdbFileWriter(REDIS10, []);
    expect(() => open.valueWritten(0)).toThrow(/no key is open/);
    open.keyOpened({ db: 0, nameBytes: b('k'), nameFrom: 0, nameTo: 1, expireAtMs: null });
    expect(() => open.keyOpened({ db: 0, nameBytes: b('j'), nameFrom: 0, nameTo: 1, expireAtMs: null })).toThrow(/open already/);
    // A flipped byte is caught by the trailer the writer computed.
    bytes[40]! ^= 1;
    const again = new RdbKeyReader({ requireChecksum: true });
    again.push(bytes);
    expect(again.end().ok).toBe(false);
  });

  it('a key in pieces (a big value re-encoded as it is made): its head put before its pieces at its end, nothing handed out before; the verifier passes the file', () => {
    const w = new RdbFileWriter(REDIS10, [['redis-ver', '7.0.0']]);
    w.key(0, b('small'), 0, new RdbOut().string(b('v')).view(), null);
    const items = Array.from({ length: 3000 }, (_, i) => Buffer.alloc(1000 + (i % 7), 97 + (i % 26)));
    w.keyInPieces({ db: 2, nameBytes: b('xbigx'), nameFrom: 1, nameTo: 4, expireAtMs: 1_900_000_000_000 });
    // Pieces of about 1 MB, then the count (3000: its 14-bit form) known at the end.
    for (let i = 0; i < items.length; i += 1000) {
      const out = new RdbOut();
      for (const item of items.slice(i, i + 1000)) out.string(item);
      w.piece(out.take());
      expect(w.full).toBe(false);
    }
    expect(() => w.chunk()).toThrow(/open in pieces/);
    expect(() => w.keyOpened({ db: 0, nameBytes: b('k'), nameFrom: 0, nameTo: 1, expireAtMs: null })).toThrow(/open already/);
    w.piecesWritten(1, new RdbOut().len(items.length).take());
    expect(() => w.piece(b('x'))).toThrow(/no key is open in pieces/);
    w.key(0, b('after'), 0, new RdbOut().string(b('w')).view(), null);
    const chunks: Buffer[] = [];
    while (w.full) chunks.push(Buffer.from(w.chunk()));
    // The bytes before the key with its head, then its three pieces; the key after in the buffer.
    expect(chunks.length).toBe(4);
    chunks.push(w.end());
    const reader = new RdbKeyReader({ requireChecksum: true });
    const keys = reader.push(Buffer.concat(chunks));
    expect(reader.end()).toMatchObject({ ok: true, checksum: 'ok', keys: 3, expires: 1, databases: [0, 2] });
    expect(keys.map((k) => [k.db, k.name.toString(), k.expireAtMs])).toEqual([
      [0, 'small', null],
      [2, 'big', 1_900_000_000_000],
      [0, 'after', null],
    ]);
    expect(decodeDumpPayload(keys[1]!.payload)).toEqual({ type: 'list', items });
    expect(w.keys).toBe(3);
  });

  it('a file of several chunks, one key bigger than a chunk: each chunk taken as it fills, the CRC-64 of them all; the verifier passes it', () => {
    const w = new RdbFileWriter(REDIS10, [['redis-ver', '7.0.0']]);
    const chunks: Buffer[] = [];
    // A chunk in each buffer, then one grown by the big key, then both buffers again.
    const sizes = [...Array(4).fill(300_000), 3_000_000, ...Array(12).fill(300_000), 200_000];
    sizes.forEach((n, i) => {
      w.key(0, b(`big${i}`), 0, new RdbOut(n + 8).string(Buffer.alloc(n, 65 + i)).view(), null);
      // A copy: a chunk is a view, valid until the chunk after next.
      if (w.full) chunks.push(Buffer.from(w.chunk()));
    });
    chunks.push(w.end());
    expect(chunks.length).toBe(6);
    const bytes = Buffer.concat(chunks);
    expect(w.bytes).toBe(bytes.length);
    const reader = new RdbKeyReader({ requireChecksum: true });
    const keys = reader.push(bytes);
    expect(reader.end()).toMatchObject({ ok: true, checksum: 'ok', keys: sizes.length });
    expect(keys.map((k) => decodeDumpPayload(k.payload))).toEqual(sizes.map((n, i) => ({ type: 'string', value: Buffer.alloc(n, 65 + i) })));
    // The trailer covers every chunk: a byte of the first flipped fails it.
    bytes[20]! ^= 1;
    const again = new RdbKeyReader({ requireChecksum: true });
    again.push(bytes);
    expect(again.end().ok).toBe(false);
  });

  it('chunks taken less often than every MiB (a conversion takes one per 2 MiB read): the buffers move to a bigger area and stay there; the CRC-64 of them all holds', () => {
    const w = new RdbFileWriter(REDIS10, [['redis-ver', '7.0.0']]);
    const chunks: Buffer[] = [];
    const taken: Buffer[] = [];
    // 2.1 MB between takes, as a conversion's 2 MiB input chunks give, then one key of 20 MB (its own buffer, not an area).
    const rounds = [...Array(5).fill([700_000, 700_000, 700_000]), [20_000_000], [700_000, 700_000, 700_000]];
    rounds.forEach((sizes: number[], r) => {
      for (const [i, n] of sizes.entries()) w.key(0, b(`k${r}.${i}`), 0, new RdbOut(n + 8).string(Buffer.alloc(n, 65 + r)).view(), null);
      const chunk = w.chunk();
      taken.push(chunk);
      chunks.push(Buffer.from(chunk));
    });
    chunks.push(w.end());
    // From the second chunk on, each lies in the area: the two buffers of one memory in turn (grown buffers are one memory each).
    const memory = taken[1]!.buffer;
    expect(taken.slice(1, 5).every((c) => c.buffer === memory)).toBe(true);
    expect(taken[5]!.buffer).not.toBe(memory);
    const bytes = Buffer.concat(chunks);
    expect(w.bytes).toBe(bytes.length);
    const reader = new RdbKeyReader({ requireChecksum: true });
    reader.push(bytes);
    expect(reader.end()).toMatchObject({ ok: true, checksum: 'ok', keys: 19 });
    bytes[bytes.length - 100]! ^= 1;
    const again = new RdbKeyReader({ requireChecksum: true });
    again.push(bytes);
    expect(again.end().ok).toBe(false);
  });

  it('trailerByCaller: the file handed out without its CRC-64; the trailer of the CRC-64 the caller computes makes the same file, byte for byte', () => {
    const write = (w: RdbFileWriter): Buffer[] => {
      const chunks: Buffer[] = [];
      for (const [i, n] of [700_000, 1_500_000, 10, 2_200_000].entries()) {
        w.key(i % 2, b(`k${i}`), 0, new RdbOut(n + 8).string(Buffer.alloc(n, 65 + i)).view(), i === 2 ? 1_900_000_000_000 : null);
        chunks.push(Buffer.from(w.chunk()));
      }
      chunks.push(w.end());
      return chunks;
    };
    const own = new RdbFileWriter(REDIS10, [['redis-ver', '7.0.0']]);
    const whole = Buffer.concat(write(own));
    const byCaller = new RdbFileWriter(REDIS10, [['redis-ver', '7.0.0']], { trailerByCaller: true });
    const body = Buffer.concat(write(byCaller));
    // No trailer: the body ends with the EOF opcode.
    expect(body.length).toBe(whole.length - 8);
    expect(body[body.length - 1]).toBe(0xff);
    expect(body.equals(whole.subarray(0, body.length))).toBe(true);
    const file = Buffer.concat([body, byCaller.trailer(new Crc64().update(body).value)]);
    expect(file.equals(whole)).toBe(true);
    expect(byCaller.bytes).toBe(own.bytes);
    // The trailer is whatever the caller says: a wrong CRC-64 fails the file.
    const wrong = Buffer.concat([body, byCaller.trailer(new Crc64().update(body).value ^ 1n)]);
    const reader = new RdbKeyReader({ requireChecksum: true });
    reader.push(wrong);
    expect(reader.end()).toMatchObject({ ok: false, checksum: 'mismatch' });
  });

  it('names headers and refuses a version that does not fit', () => {
    expect(rdbMagic(VALKEY80).toString()).toBe('VALKEY080');
    expect(rdbMagic({ magic: 'REDIS', version: 9 }).toString()).toBe('REDIS0009');
    expect(() => rdbMagic({ magic: 'VALKEY', version: 1000 })).toThrow(/does not fit/);
    expect(() => new RdbFileWriter({ magic: 'REDIS', version: 9 }, []).functionLibrary(Buffer.from([0xf5, 1, 65]), 0)).toThrow(/RDB 9 holds no functions/);
  });
});

describe('expressValue: as it is, re-encoded, or refused naming the loss', () => {
  const payload = (type: number, object: number[], version = 11) => dumpPayload(type, Uint8Array.from(object), version);

  it('copies a type the target reads with the same meaning, and only then', () => {
    expect(readsAsIs(16, { magic: 'REDIS', version: 11 }, REDIS10)).toBe(true);
    expect(readsAsIs(20, { magic: 'REDIS', version: 11 }, REDIS10)).toBe(false);
    // 22 is a different type after each magic.
    expect(readsAsIs(22, VALKEY80, REDIS12)).toBe(false);
    expect(readsAsIs(22, { magic: 'REDIS', version: 12 }, REDIS12)).toBe(true);
    expect(readsAsIs(21, { magic: 'REDIS', version: 11 }, VALKEY80)).toBe(true);
  });

  it('refuses a module value unless --lossy module, then leaves it out', () => {
    const p = payload(7, [0x81, 0, 0, 0, 0, 0, 0, 4, 0, 2]);
    expect(expressValue(p, REDIS10, REDIS10, new Set(), NOW)).toMatchObject({ action: 'refuse', loss: 'module' });
    expect(expressValue(p, REDIS10, REDIS10, new Set(['module']), NOW)).toEqual({ action: 'drop', lost: 'module' });
  });

  it('refuses an array unless --lossy array; refuses a template hash without the file templates in any case (Redis 8.6/8.8 streams: convert-rdb-newer-streams.test.ts)', () => {
    expect(expressValue(payload(28, [0], 14), { magic: 'REDIS', version: 14 }, REDIS10, new Set(), NOW)).toMatchObject({ action: 'refuse', loss: 'array' });
    expect(expressValue(payload(28, [0], 14), { magic: 'REDIS', version: 14 }, REDIS10, new Set(['array']), NOW)).toEqual({ action: 'drop', lost: 'array' });
    const all = new Set(['array', 'module', 'field-ttl', 'function', 'key-meta'] as const);
    for (const type of [30, 32]) {
      const e = expressValue(payload(type, [0], 15), { magic: 'REDIS', version: 15 }, { magic: 'REDIS', version: 15 }, all, NOW);
      expect(e).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/template of the file/) });
    }
  });

  it('writes a field-TTL hash whose fields have no TTL as a plain hash, no loss', () => {
    const p = payload(24, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x66, 1, 0x76], 12);
    const e = expressValue(p, { magic: 'REDIS', version: 12 }, REDIS10, new Set(), NOW);
    expect(e).toMatchObject({ action: 'write', type: 4, reencoded: true });
    expect(e).not.toHaveProperty('lost');
  });

  it('refuses a malformed stream rather than writing it', () => {
    expect(() => downgradeStream(payload(21, [1, 0x10]), 19)).toThrow();
    expect(() => downgradeStream(payload(4, [0]), 15)).toThrow(/not a stream/);
  });
});

describe('DUMP payloads for a target version: RESTORE in a real redis-server 7.0 takes them', () => {
  let server: RedisServer;
  let c: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    c = server.client();
  });
  afterAll(async () => server?.stop());

  it('restores every plain value and reads back the same fingerprint; refuses a payload of a version above its own', async () => {
    const names = VALUES.map((_, i) => b(`restored:${i}`));
    for (const [i, v] of VALUES.entries()) {
      const out = new RdbOut();
      const type = writePlainValue(v, out);
      await c.restore(names[i]!, 0, dumpPayloadFor(type, out.view(), REDIS10));
    }
    const reads = await readCanonicalBatch(c, names);
    expect(reads.map((r) => r && keyDigest(r.value, r.expireAtMs))).toEqual(VALUES.map((v) => keyDigest(v, null)));
    const out = new RdbOut();
    const type = writePlainValue(VALUES[0]!, out);
    await expect(c.restore('too-new', 0, dumpPayloadFor(type, out.view(), { magic: 'REDIS', version: 11 }))).rejects.toThrow(
      /payload version or checksum are wrong/,
    );
  });
});
