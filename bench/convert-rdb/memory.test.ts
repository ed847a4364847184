import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RdbOut } from '../../lambdas/domain/rdb/write/rdb-out.js';
import { frameFile, keysOf, streamWithActiveTime } from '../../test/support/rdb-newer.js';
import { convertMemory, VALUE_BYTES } from '../../test/support/convert-memory.js';
import { listpackOfBytes } from '../../test/support/listpack-entries.js';
import { compressibleText, lzfCompress } from '../../test/support/lzf-compress.js';
import { mulberry32 } from '../../test/support/prng.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { IDMP_TAIL, newerStreamObject } from '../../test/support/stream-newer.js';

/**
 * convert-rdb's memory with one big value of every form the suite's test does not take (issue 55: 2 × the value +
 * 100 MB; verify-rdb the file + 50 MB where it must hold a value once at most), on the whole CLI in a child process,
 * its peak RSS the kernel's (test/support/convert-memory.ts): hashes with field TTLs (types 24 and 25, plain and
 * LZF-compressed), streams (types 19 and 27), a hash of one 64 MiB listpack (plain and LZF-compressed), Redis 8.10
 * template hashes (types 29-32, and 30 and 29 LZF-compressed). A case over its bound fails as a test fails; every
 * peak measured, beside its bound, goes to results-memory.json (bench/README.md, convert-rdb).
 *
 *   npm run bench:convert-rdb-memory      # = vitest run --config bench/vitest.config.mts
 */
describe("convert-rdb: memory with one big value, the benchmark's forms", () => {
  const m = convertMemory();
  // Every peak measured beside its bound, for bench/README.md (of the cases run: a filtered run writes its own few).
  afterAll(() => {
    writeFileSync(join(__dirname, 'results-memory.json'), `${JSON.stringify({ when: new Date().toISOString(), figures: m.figures }, null, 2)}\n`);
  });

  /**
   * Re-encoded: a Redis 7.4 hash with field TTLs (RDB type 24, under RDB 12) of 64 Ki fields of 1 KiB random values, a
   * third with a TTL to come and an eighth expired, written for redis-6.2 as a plain hash (`--lossy field-ttl`, the
   * expired fields left out). Before it was written from the reader's parts (lambdas/domain/rdb/write/ttl-hash-parts.ts, session 38), the
   * value was gathered, decoded into an array of its fields and written into one buffer.
   */
  it("re-encodes a 64 MiB hash with field TTLs (type 24 to a plain hash, --for redis-6.2 --lossy field-ttl; to Valkey 9's type 22, --for valkey-9.0) with peak RSS within 2 × the value + 100 MB; the output loads in redis-server", async () => {
    const fields = 64 * 1024;
    const now = Date.now();
    const expireAt = (i: number) => (i % 8 === 0 ? now - 3_600_000 : i % 3 === 1 ? now + 30 * 86_400_000 : 0);
    const min = now - 3_600_000;
    const object = new RdbOut(VALUE_BYTES + (4 << 20)).int64(min).len(fields);
    for (let i = 0; i < fields; i++) {
      const t = expireAt(i);
      object
        .len(t === 0 ? 0 : t - min + 1)
        .string(Buffer.from(`field:${i}`))
        .string(randomBytes(1024));
    }
    const input12 = join(m.dir, 'hash-ttl.rdb');
    const small = new RdbOut(64).string(Buffer.from('small')).take();
    writeFileSync(
      input12,
      frameFile(
        'REDIS0012',
        [
          { db: 0, name: 'a', type: 0, object: small, expireAtMs: null },
          { db: 0, name: 'big:hash', type: 24, object: object.view(), expireAtMs: null },
        ],
        [],
        { 'redis-ver': '7.4.0' },
      ),
    );
    const out = join(m.dir, 'hash-ttl-6.2.rdb');
    await m.reencodedWithinBound(input12, out, '--lossy', 'field-ttl');
    const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
    try {
      const l = loaded.client();
      let live = 0;
      for (let i = 0; i < fields; i++) if (i % 8 !== 0) live++;
      expect(await l.hlen('big:hash')).toBe(live);
      expect(await l.hexists('big:hash', 'field:0')).toBe(0);
      expect(await l.hstrlen('big:hash', 'field:1')).toBe(1024);
    } finally {
      await loaded.stop();
    }
    // For Valkey 9, which holds field TTLs: its type 22 with them, made in pieces and read back from parts.
    const outValkey = join(m.dir, 'hash-ttl-valkey.rdb');
    await m.reencodedWithinBound(input12, outValkey, '--for', 'valkey-9.0');
    const written = keysOf(readFileSync(outValkey)).keys.find((k) => k.name === 'big:hash')!;
    expect(written.type).toBe(22);
    expect(Buffer.from(readFileSync(outValkey).subarray(0, 9)).toString()).toBe('VALKEY080');
  }, 180_000);

  /**
   * Re-encoded: a stream of 64 Ki entries of one 1 KiB random field, with a consumer group and entries pending, as the
   * real redis-server 7.0 saves it (RDB type 19), written for redis-6.2 in the type 15 layout (its runs of the input's
   * bytes that layout keeps). Before the stream was walked in the parts the reader kept and its runs handed to the
   * writer as views of them, the value was gathered into one copy and its output made in one buffer (grown by
   * doubling): peak 330–336 MB for a file like this one (68.7 MB) on main (a7cf6dc5) against its bound of 237 MB;
   * about 203 MB with it. Then the same stream as Redis 8.8 writes it (type 27: two of its pending entries NACKed, an
   * IDMP tail; framed under RDB 14 here, no 8.8 server being at hand), written for redis-6.2 as a type 15 without them
   * (`--lossy stream-nacks,stream-idmp`): before it was walked in the reader's parts too (session 38), it was gathered
   * whole, copied as a type 21 and written from that into one buffer.
   */
  it('re-encodes a 64 MiB stream (type 19 to type 15, --for redis-6.2) with peak RSS within 2 × the value + 100 MB; the output loads in redis-server', async () => {
    const server = await startRedisServer();
    const entries = 64 * 1024;
    try {
      const c = server.client();
      for (let i = 0; i < entries; i += 1024) {
        const p = c.pipeline();
        for (let j = 0; j < 1024; j++) p.xadd('big:stream', '*', 'f', randomBytes(1024));
        await p.exec();
      }
      await c.xgroup('CREATE', 'big:stream', 'g', '0');
      await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 5, 'STREAMS', 'big:stream', '>');
      await c.set('a', 'small');
      const full = async (r: typeof c) => r.callBuffer('XINFO', 'STREAM', 'big:stream', 'FULL', 'COUNT', 20);
      const before = await full(c);
      await c.save();
      const stream = join(m.dir, 'stream.rdb');
      copyFileSync(server.rdbPath, stream);
      expect(Buffer.from(readFileSync(stream).subarray(0, 9)).toString()).toBe('REDIS0010');
      const out = join(m.dir, 'stream-6.2.rdb');
      await m.reencodedWithinBound(stream, out, '--lossy', 'function,stream-ids');
      expect(readFileSync(out).subarray(0, 9).toString()).toBe('REDIS0009');
      // The output is a stream the real server loads: its length, its first 20 entries and its group (its last delivered
      // id, pending entries and consumer) as the source's.
      const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
      try {
        const l = loaded.client();
        expect(await l.xlen('big:stream')).toBe(entries);
        const after = await full(l);
        const field = (info: unknown, name: string) => {
          const a = info as unknown[];
          const i = a.findIndex((x) => Buffer.isBuffer(x) && x.toString() === name);
          expect(i, name).toBeGreaterThanOrEqual(0);
          return a[i + 1];
        };
        expect(field(after, 'entries')).toEqual(field(before, 'entries'));
        // Each group but its entries read and lag, which a server loading a type 15 derives (the loss --lossy stream-ids accepts).
        const pairs = (a: unknown[]) => Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]] as const);
        const groups = (info: unknown) =>
          (field(info, 'groups') as unknown[][]).map((g) => pairs(g).filter(([k]) => !['entries-read', 'lag'].includes(String(k))));
        expect(groups(before)).toHaveLength(1);
        expect(groups(after)).toEqual(groups(before));
      } finally {
        await loaded.stop();
      }
      // The same stream as a Redis 8.8 type 27, alice's first two pending entries NACKed (no consumer owns them).
      const pending = (await c.xpending('big:stream', 'g', '-', '+', 10)) as [string, string, number, number][];
      expect(pending).toHaveLength(5);
      const nacked = new Set(pending.slice(0, 2).map(([id]) => id));
      const newer = keysOf(readFileSync(stream)).keys.map((k) =>
        k.name === 'big:stream' ? { ...k, type: 27, object: newerStreamObject(streamWithActiveTime(k.object, 1n), 27, IDMP_TAIL, nacked) } : k,
      );
      const stream27 = join(m.dir, 'stream-27.rdb');
      writeFileSync(stream27, frameFile('REDIS0014', newer, [], { 'redis-ver': '8.8.0' }));
      const out27 = join(m.dir, 'stream-27-6.2.rdb');
      await m.reencodedWithinBound(stream27, out27, '--lossy', 'function,stream-ids,stream-nacks,stream-idmp');
      const loaded27 = await startRedisServer({ loadRdb: out27, readyTimeoutMs: 30_000 });
      try {
        const l = loaded27.client();
        expect(await l.xlen('big:stream')).toBe(entries);
        // The NACKed entries are out of the PEL (as acknowledged), the other three pending as they were.
        expect(await l.xpending('big:stream', 'g', '-', '+', 10)).toEqual(
          pending.slice(2).map(([id, owner, , count]) => [id, owner, expect.any(Number), count]),
        );
      } finally {
        await loaded27.stop();
      }
    } finally {
      await server.stop();
    }
  }, 240_000);

  /**
   * A hash kept as one 64 MiB listpack (RDB type 16, possible only with raised hash-max-listpack-* limits: a server with
   * them wrote it), 704 fields of ~100 KiB random values, converted as it is (--for redis-7.0) and re-encoded as a plain
   * hash (type 4, --for redis-6.2). Before the parser validated such a listpack as it streamed by, it gathered it into a
   * copy beside the reader's parts: 211–275 MB as is, 134 MB for verify-rdb alone; and re-encoded, the parts, a copy
   * and the output: 347 MB (bound 244 MB). Now about 160 MB as is and 190 MB re-encoded, verify-rdb 64 MB. The as-is
   * peak on main depends on when the collector runs (211–277 MB for this size of file): the verify-rdb check (the value
   * once + 50 MB) is the one that holds the parser to no gathered copy whatever the collector does.
   */
  it('converts a hash of one 64 MiB listpack (raised listpack limits) as is and re-encoded (--for redis-6.2) with peak RSS within 2 × the value + 100 MB; the outputs load in redis-server', async () => {
    const raised = ['--hash-max-listpack-entries', '4096', '--hash-max-listpack-value', '200000'];
    const server = await startRedisServer({ args: raised });
    const fields = 704;
    try {
      const c = server.client();
      const sample = new Map<string, Buffer>();
      for (let i = 0; i < fields; i += 64) {
        const pairs: (string | Buffer)[] = [];
        for (let j = i; j < i + 64; j++) {
          const v = randomBytes(100 * 1024 + (j % 7));
          if (j % 64 === 0) sample.set(`f${j}`, v);
          pairs.push(`f${j}`, v);
        }
        await c.hset('big:hash', ...pairs);
      }
      expect(await c.call('OBJECT', 'ENCODING', 'big:hash')).toBe('listpack');
      await c.set('a', 'small');
      await c.save();
      const file = join(m.dir, 'hash.rdb');
      copyFileSync(server.rdbPath, file);
      const asIs = join(m.dir, 'hash-7.0.rdb');
      const valueBytes = statSync(file).size;
      expect(valueBytes).toBeGreaterThan(VALUE_BYTES);
      const peakBytes = await m.convertedWithin(file, asIs, ['--for', 'redis-7.0'], '2 keys written (2 as they were, 0 re-encoded)', 2 * valueBytes + 100e6);
      expect(peakBytes).toBeGreaterThan(valueBytes);
      // verify-rdb holds no copy of the listpack (it is validated as it streams by): the value once at most, beside the CLI's own (~65 MB).
      await m.verifiedHoldingOnce(file, valueBytes);
      const out = join(m.dir, 'hash-6.2.rdb');
      await m.reencodedWithinBound(file, out);
      // As is, a listpack the server keeps under the same raised limits; re-encoded, a plain hash it loads as a hash table.
      for (const [path, encoding, args] of [
        [asIs, 'listpack', raised],
        [out, 'hashtable', []],
      ] as const) {
        const loaded = await startRedisServer({ loadRdb: path, args, readyTimeoutMs: 30_000 });
        try {
          const l = loaded.client();
          expect(await l.hlen('big:hash')).toBe(fields);
          expect(await l.call('OBJECT', 'ENCODING', 'big:hash')).toBe(encoding);
          for (const [f, v] of sample) expect((await l.hgetBuffer('big:hash', f))?.equals(v), f).toBe(true);
        } finally {
          await loaded.stop();
        }
      }
    } finally {
      await server.stop();
    }
  }, 120_000);

  /**
   * A hash of one 64 MiB listpack of text that `rdbcompression yes` compresses (random words), saved by the real
   * redis-server 7.0 as one LZF string. Before it was expanded as it streamed by (lzf-listpack.ts, transcode-parts.ts
   * lzfAcrossParts), verify-rdb gathered its compressed body and expanded it whole (235 MB for a 53 MB file of this
   * kind) and convert-rdb expanded it again from the reader's parts: for this test's file (26 MB stored, 68 MB of
   * fields and values) verify-rdb 157 MB (bound: the stored value + 50 MB, 76 MB), as is 185 MB (bound 152 MB), re-encoded
   * 215 MB on main (00e54e7c); now 65, 114–119 and 184–202 MB. Copied as it is, the value is its stored (compressed) bytes;
   * re-encoded, its plain form, about its listpack's size (what a server holds), whose read-back holds it once more.
   */
  it('converts a hash of one 64 MiB LZF-compressed listpack (raised limits) as is and re-encoded with peak RSS within 2 × the value + 100 MB; verify-rdb holds the compressed body once at most', async () => {
    const server = await startRedisServer({ args: ['--hash-max-listpack-entries', '4096', '--hash-max-listpack-value', '200000'] });
    const fields = 704;
    const random = mulberry32(55);
    const words = Array.from({ length: 500 }, (_, i) => `w${i}${'abcdefghij'.slice(0, 1 + (i % 9))}`);
    let valueBytes = 0;
    try {
      const c = server.client();
      const sample = new Map<string, string>();
      for (let i = 0; i < fields; i += 64) {
        const pairs: string[] = [];
        for (let j = i; j < i + 64; j++) {
          let v = '';
          while (v.length < 95 * 1024) v += `${words[Math.floor(random() * words.length)]} `;
          if (j % 64 === 0) sample.set(`f${j}`, v);
          pairs.push(`f${j}`, v);
          valueBytes += `f${j}`.length + v.length;
        }
        await c.hset('big:hash', ...pairs);
      }
      expect(await c.call('OBJECT', 'ENCODING', 'big:hash')).toBe('listpack');
      await c.set('a', 'small');
      await c.save();
      const file = join(m.dir, 'lzf-hash.rdb');
      copyFileSync(server.rdbPath, file);
      const stored = statSync(file).size;
      expect(stored, 'saved compressed').toBeLessThan(valueBytes * 0.8);
      expect(valueBytes).toBeGreaterThan(VALUE_BYTES);
      await m.verifiedHoldingOnce(file, stored);
      // Copied as it is the value is its compressed bytes (the output holds them); re-encoded, its plain form (about the listpack's size).
      for (const [engine, counts, bound] of [
        ['redis-7.0', '2 keys written (2 as they were, 0 re-encoded)', 2 * stored + 100e6],
        ['redis-6.2', '2 keys written (1 as they were, 1 re-encoded)', 2 * valueBytes + 100e6],
      ] as const) {
        const out = join(m.dir, `lzf-hash-${engine}.rdb`);
        await m.convertedWithin(file, out, ['--for', engine], counts, bound);
        const loaded = await startRedisServer({
          loadRdb: out,
          readyTimeoutMs: 30_000,
          args: ['--hash-max-listpack-entries', '4096', '--hash-max-listpack-value', '200000'],
        });
        try {
          const l = loaded.client();
          expect(await l.hlen('big:hash')).toBe(fields);
          for (const [f, value] of sample) expect(await l.hget('big:hash', f), f).toBe(value);
        } finally {
          await loaded.stop();
        }
      }
    } finally {
      await server.stop();
    }
  }, 180_000);

  /**
   * A Redis 7.4 hash with field TTLs in listpack form (type 25: its earliest expiry, then one listpack of 16 Ki
   * (field, value, TTL) triplets of 4,090-byte values, fields with a TTL first in ascending order), written for Redis 6.2
   * as a plain hash (`--lossy field-ttl`) and for Valkey 9 as its type 22. Before it was validated as it streamed by
   * and re-encoded from the reader's parts entry by entry (session 39), the parser gathered it whole and the
   * conversion decoded it into one array of fields.
   */
  it('re-encodes a 64 MiB hash with field TTLs in listpack form (type 25, both ways) with peak RSS within 2 × the value + 100 MB; verify-rdb holds it once at most', async () => {
    const fields = 16 * 1024;
    const now = Date.now();
    const expireAt = (i: number): bigint => (i < 2048 ? BigInt(now - 3_600_000 + i) : i < 8192 ? BigInt(now + 30 * 86_400_000 + i) : 0n);
    // Written straight into one buffer (entries as number arrays would take the test's worker ~0.5 GB): per field its
    // name (a 6-bit string), a 4,090-byte value (a 12-bit string) and its TTL (a 64-bit integer), each with its back length.
    const valueLength = 4090; // the longest a 12-bit string entry holds, near enough: 16 Ki fields make more than 64 MiB
    const lp = Buffer.alloc(6 + fields * (1 + 12 + 1 + 2 + valueLength + 2 + 9 + 1) + 1);
    let at = 6;
    for (let i = 0; i < fields; i++) {
      const name = Buffer.from(`field:${i}`);
      at = lp.writeUInt8(0x80 | name.length, at) + name.copy(lp, at + 1);
      at = lp.writeUInt8(name.length + 1, at);
      at = lp.writeUInt8(0xe0 | (valueLength >> 8), at);
      at = lp.writeUInt8(valueLength & 0xff, at);
      at += randomBytes(valueLength).copy(lp, at);
      at = lp.writeUInt8((valueLength + 2) >> 7, at);
      at = lp.writeUInt8(0x80 | ((valueLength + 2) & 0x7f), at);
      at = lp.writeUInt8(0xf4, at);
      at = lp.writeBigInt64LE(expireAt(i), at);
      at = lp.writeUInt8(9, at);
    }
    at = lp.writeUInt8(0xff, at);
    lp.writeUInt32LE(at, 0);
    lp.writeUInt16LE(3 * fields, 4);
    const lpBytes = lp.subarray(0, at);
    expect(lpBytes.length).toBeGreaterThan(VALUE_BYTES);
    const object = new RdbOut(lpBytes.length + 32)
      .int64(now - 3_600_000)
      .string(lpBytes)
      .view();
    const input = join(m.dir, 'hash-ttl-lp.rdb');
    writeFileSync(
      input,
      frameFile(
        'REDIS0012',
        [
          { db: 0, name: 'a', type: 0, object: new RdbOut(64).string(Buffer.from('small')).take(), expireAtMs: null },
          { db: 0, name: 'big:hash', type: 25, object, expireAtMs: null },
        ],
        [],
        { 'redis-ver': '7.4.0' },
      ),
    );
    const valueBytes = statSync(input).size;
    await m.verifiedHoldingOnce(input, valueBytes);
    const out = join(m.dir, 'hash-ttl-lp-6.2.rdb');
    await m.reencodedWithinBound(input, out, '--lossy', 'field-ttl');
    const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
    try {
      const l = loaded.client();
      expect(await l.hlen('big:hash')).toBe(fields - 2048);
      expect(await l.hexists('big:hash', 'field:0')).toBe(0);
      expect(await l.hstrlen('big:hash', 'field:9000')).toBe(valueLength);
    } finally {
      await loaded.stop();
    }
    const outValkey = join(m.dir, 'hash-ttl-lp-valkey.rdb');
    await m.reencodedWithinBound(input, outValkey, '--for', 'valkey-9.0');
    expect(keysOf(readFileSync(outValkey)).keys.find((k) => k.name === 'big:hash')!.type).toBe(22);
  }, 180_000);

  /**
   * The same kind of hash LZF-compressed, as `rdbcompression yes` stores a big listpack: type 25 of 704 fields of ~95 KiB
   * of words (the first third with TTLs, an eighth of all expired), 64 MiB of listpack stored in ~27 MB. Before its
   * conversion expanded it as it walked it (ttl-hash-parts.ts on transcode-parts.ts lzfExpanding), it was gathered and
   * expanded whole: on main (3c9df130) 255.7 MB for redis-6.2, 253.5 MB for valkey-9.0 (263.1 MB in this test; bound 2 × its 67.4 MB
   * plain form + 100 MB, 234.8 MB); 191–210 MB with it. The parser already expanded it as it streamed by.
   */
  it('re-encodes a 64 MiB LZF-compressed hash with field TTLs in listpack form (type 25, both ways) with peak RSS within 2 × its plain form + 100 MB; the output loads in redis-server', async () => {
    const fields = 704;
    const now = Date.now();
    const expireAt = (i: number) => (i >= fields / 3 ? 0 : i < fields / 8 ? now - 3_600_000 + i : now + 30 * 86_400_000 + i);
    const random = mulberry32(25);
    const words = Array.from({ length: 500 }, (_, i) => `w${i}${'abcdefghij'.slice(0, 1 + (i % 9))}`);
    const sample = new Map<string, string>();
    const entries: Uint8Array[] = [];
    const entry = (b: Uint8Array): void => {
      const head = b.length < 64 ? [0x80 | b.length] : [0xf0, b.length & 0xff, (b.length >> 8) & 0xff, b.length >> 16, 0];
      const size = head.length + b.length;
      const back = size <= 127 ? [size] : [size >> 14, 0x80 | ((size >> 7) & 0x7f), 0x80 | (size & 0x7f)];
      entries.push(Uint8Array.from(head), b, Uint8Array.from(back));
    };
    for (let i = 0; i < fields; i++) {
      let v = '';
      while (v.length < 95 * 1024 + (i % 7)) v += `${words[Math.floor(random() * words.length)]} `;
      if (i % 64 === 1 && i >= fields / 8) sample.set(`f${i}`, v); // live
      entry(Buffer.from(`f${i}`));
      entry(Buffer.from(v));
      const t = Buffer.from([0xf4, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
      t.writeBigInt64LE(BigInt(expireAt(i)), 1);
      entries.push(expireAt(i) === 0 ? Uint8Array.from([0, 1]) : t);
    }
    const lp = Buffer.concat([Buffer.alloc(6), ...entries, Buffer.from([0xff])]);
    lp.writeUInt32LE(lp.length, 0);
    lp.writeUInt16LE(3 * fields, 4);
    const z = lzfCompress(lp);
    const object = new RdbOut(z.length + 32)
      .int64(now - 3_600_000)
      .byte(0xc3)
      .len(z.length)
      .len(lp.length)
      .bytes(z)
      .view();
    const input = join(m.dir, 'hash-ttl-lzf.rdb');
    const small = { db: 0, name: 'a', type: 0, object: new RdbOut(64).string(Buffer.from('small')).take(), expireAtMs: null };
    writeFileSync(input, frameFile('REDIS0012', [small, { db: 0, name: 'big:hash', type: 25, object, expireAtMs: null }], [], { 'redis-ver': '7.4.0' }));
    expect(statSync(input).size, 'saved compressed').toBeLessThan(lp.length * 0.5);
    // Re-encoded, the value is its plain form (about the listpack's size), not its compressed bytes.
    const out = join(m.dir, 'hash-ttl-lzf-6.2.rdb');
    await m.reencodedWithinBound(input, out, '--lossy', 'field-ttl', '--bound-bytes', String(lp.length));
    await m.reencodedWithinBound(input, join(m.dir, 'hash-ttl-lzf-valkey.rdb'), '--for', 'valkey-9.0', '--bound-bytes', String(lp.length));
    const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
    try {
      const l = loaded.client();
      expect(await l.hlen('big:hash')).toBe(fields - fields / 8);
      expect(await l.hexists('big:hash', 'f0')).toBe(0); // expired
      for (const [f, v] of sample) expect(await l.hget('big:hash', f), f).toBe(v);
    } finally {
      await loaded.stop();
    }
  }, 180_000);

  /**
   * Redis 8.10 template hashes whose values are stored as strings (type 32: the field names a template of the file,
   * opcode 242; type 31: self-contained, the names before the values), re-encoded as the plain hash each stands for.
   * Before their values were walked in the reader's parts (lambdas/domain/rdb/write/template-hash-parts.ts), each was
   * gathered into one payload, decoded into one array of values and written from it: 389.6 MB for this type 32 on
   * main (19542606) against its bound of 234 MB; about 150–165 MB with it. A type 30 (one listpack): 389.1 MB then, 226.5
   * while the parser still gathered the listpack to validate it, 133.9 MB since it streams by (verify-rdb 63 MB).
   */
  it('re-encodes a 64 MiB Redis 8.10 template hash (types 32, 31, 30, 29) within 2 × the value + 100 MB; verify-rdb holds a listpack one once; the real 7.0 loads it', async () => {
    const values = [randomBytes(VALUE_BYTES / 2), randomBytes(VALUE_BYTES / 2)];
    const strings = values.map((v) => new RdbOut(v.length + 16).string(v).view());
    const small = { db: 0, name: 'a', type: 0, object: new RdbOut(64).string(Buffer.from('small')).take(), expireAtMs: null };
    // Template 1: fields a and b (opcode 242, its id, its field count, the names); type 32: the id, then the values.
    const template = Uint8Array.from([0xf2, 1, 2, 1, 0x61, 1, 0x62]);
    const ref = { type: 32, object: Buffer.concat([Uint8Array.of(1), ...strings]), meta: template };
    // Type 31: the names as strings (format 1, their count, each), then the values.
    const self = { type: 31, object: Buffer.concat([Uint8Array.of(1, 2, 1, 0x61, 1, 0x62), ...strings]) };
    // Type 30 (raised listpack limits): one listpack of the id (1, as text) and the values.
    const lp = listpackOfBytes([Buffer.from('1'), ...values]);
    const lpRef = { type: 30, object: new RdbOut(lp.length + 16).string(lp).take(), meta: template };
    // Type 29: the names as strings, then the same listpack (its first entry the writer's template id).
    const lpSelf = { type: 29, object: Buffer.concat([Uint8Array.of(1, 2, 1, 0x61, 1, 0x62), lpRef.object]) };
    for (const form of [ref, self, lpRef, lpSelf]) {
      const input = join(m.dir, `template-${form.type}.rdb`);
      writeFileSync(input, frameFile('REDIS0015', [small, { db: 0, name: 'big:hash', expireAtMs: null, ...form }], [], { 'redis-ver': '8.10.0' }));
      if (form === lpRef || form === lpSelf) {
        // verify-rdb holds its listpack once at most: validated as it streams by, not gathered (parse-hash-templates.ts).
        await m.verifiedHoldingOnce(input, statSync(input).size);
      }
      const out = join(m.dir, `template-${form.type}-7.0.rdb`);
      await m.reencodedWithinBound(input, out, '--for', 'redis-7.0');
      if (form === self) continue; // one load: the output of either is the same plain hash
      await m.loadsHashOf(out, values);
    }
  }, 180_000);

  /**
   * The same listpack forms (30, 29) stored LZF-compressed (`rdbcompression yes`): the parser expands and validates the
   * listpack as it streams by, its template id the stream's first element (parse-hash-templates.ts); before, it gathered
   * the compressed value and expanded it whole to read the id first.
   */
  it('holds a 64 MiB LZF-compressed template listpack (types 30, 29) once in verify-rdb, re-encodes it within 2 × the value + 100 MB; the real 7.0 loads it', async () => {
    // One 32 MiB text of words for both values (its making is most of this test's own CPU): compressed apart all the same,
    // LZF looking back 8 KiB at most.
    const text = Buffer.from(compressibleText(VALUE_BYTES / 2, mulberry32(30)));
    const values = [text, Buffer.concat([text.subarray(1), text.subarray(0, 1)])];
    const lp = listpackOfBytes([Buffer.from('1'), ...values]);
    const z = lzfCompress(lp);
    const compressed = new RdbOut(z.length + 16).byte(0xc3).len(z.length).len(lp.length).bytes(z).take();
    const small = { db: 0, name: 'a', type: 0, object: new RdbOut(64).string(Buffer.from('small')).take(), expireAtMs: null };
    const template = Uint8Array.from([0xf2, 1, 2, 1, 0x61, 1, 0x62]);
    for (const form of [
      { type: 30, object: compressed, meta: template },
      { type: 29, object: Buffer.concat([Uint8Array.of(1, 2, 1, 0x61, 1, 0x62), compressed]) },
    ]) {
      const input = join(m.dir, `template-lzf-${form.type}.rdb`);
      writeFileSync(input, frameFile('REDIS0015', [small, { db: 0, name: 'big:hash', expireAtMs: null, ...form }], [], { 'redis-ver': '8.10.0' }));
      expect(statSync(input).size, 'saved compressed').toBeLessThan(lp.length * 0.6);
      await m.verifiedHoldingOnce(input, statSync(input).size);
      const out = join(m.dir, `template-lzf-${form.type}-7.0.rdb`);
      await m.reencodedWithinBound(input, out, '--for', 'redis-7.0', '--bound-bytes', String(lp.length));
      if (form.type === 29) continue; // one load: the output of either is the same plain hash
      await m.loadsHashOf(out, values);
    }
  }, 180_000);
});
