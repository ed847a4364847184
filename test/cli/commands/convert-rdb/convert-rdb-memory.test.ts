import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { frameFile } from '../../../support/rdb-newer.js';
import { convertMemory, VALUE_BYTES } from '../../../support/convert-memory.js';
import { listpackOfBytes } from '../../../support/listpack-entries.js';
import { mulberry32 } from '../../../support/prng.js';
import { startRedisServer } from '../../../support/redis-server.js';

/**
 * Issue 55: convert-rdb's memory is bounded by the largest value, 2 × it + 100 MB (test/support/convert-memory.ts:
 * the whole CLI in a child process, its peak RSS the kernel's). A file of one 64 MiB string (random bytes, stored
 * plain) and one small key; a list, a hash of one listpack counting 65535 and a sorted set of one listpack, each of 64 MiB. Before
 * the value was handed on in the parts the reader kept, it was held four times at once (the reader's parts, their
 * gathered copy, the writer's buffer, then the read-back's parts and copy beside the first ones' garbage): 335 MB
 * here. Every other big-value form (a 64 MiB listpack hash as is and re-encoded, plain and LZF-compressed; hashes with
 * field TTLs; streams; template hashes) is held to the same bounds by bench/convert-rdb/memory.test.ts
 * (`npm run bench:convert-rdb-memory`): each took the suite 5–17 s, and heavy data sets go in bench/.
 */
describe('convert-rdb: memory with one big value', () => {
  const m = convertMemory();

  it('converts a file of one 64 MiB string with peak RSS within 2 × the value + 100 MB, the output verified', async () => {
    const out = join(m.dir, 'out.rdb');
    const peakBytes = await m.convertedWithin(m.input, out, ['--for', 'redis-7.0'], '2 keys written (2 as they were, 0 re-encoded)', 2 * VALUE_BYTES + 100e6);
    expect(peakBytes).toBeGreaterThan(VALUE_BYTES); // the peak was read, and the value was held
  }, 30_000);

  /**
   * Re-encoded: a list of 64 MiB in 1 KiB random items, as the real redis-server 7.0 saves it (a quicklist of 8 KiB
   * listpack nodes, RDB type 18), written for redis-6.2 as a plain list (type 1). Before the transcoder walked the
   * reader's parts node by node and the writer took its output in pieces, the value was held about four times (the
   * reader's parts, their gathered copy, the writer's buffer of the output, the read-back's): peak 407.8 MB here on
   * main (9d6624af) against its bound of 234.9 MB; about 190–200 MB with it.
   */
  it('re-encodes a 64 MiB list (quicklist to plain list, --for redis-6.2) with peak RSS within 2 × the value + 100 MB; the output loads in redis-server', async () => {
    const server = await startRedisServer();
    const items = 64 * 1024;
    // The items' random bytes drawn at once (not 65,536 draws of 1 KiB, each copied), each item its own 1 KiB of them.
    const pool = randomBytes(items * 1024);
    const item = (i: number) => pool.subarray(i * 1024, (i + 1) * 1024).fill(i & 0xff, 0, 1);
    try {
      const c = server.client();
      const sample: Buffer[] = [];
      for (let i = 0; i < items; i += 1024) {
        const batch = Array.from({ length: 1024 }, (_, j) => item(i + j));
        sample.push(batch[0]!);
        await c.rpush('big:list', ...batch);
      }
      await c.set('a', 'small');
      await c.save();
      const list = join(m.dir, 'list.rdb');
      copyFileSync(server.rdbPath, list);
      expect(Buffer.from(readFileSync(list).subarray(0, 9)).toString()).toBe('REDIS0010');
      const out = join(m.dir, 'list-6.2.rdb');
      await m.reencodedWithinBound(list, out);
      // The output is a plain list the real server loads: every item, in order (a sample of 64 and the length).
      const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
      try {
        const l = loaded.client();
        expect(await l.llen('big:list')).toBe(items);
        expect(await l.call('OBJECT', 'ENCODING', 'big:list')).toBe('quicklist');
        for (let i = 0; i < sample.length; i++) expect((await l.lindexBuffer('big:list', i * 1024))?.equals(sample[i]!), `item ${i * 1024}`).toBe(true);
      } finally {
        await loaded.stop();
      }
    } finally {
      await server.stop();
    }
  }, 120_000);

  /**
   * A hash of one 64 MiB listpack of more than 65,535 elements (40,000 fields of ~1.7 KiB; its header's count 65535,
   * "unknown", as a server with raised limits writes it: built here, a real server takes minutes to fill one field by
   * field). Before the parser streamed such a listpack too (its member table growing as the members come), it gathered
   * it, as it must while the count sized the table: verify-rdb held the value twice (main at b30a90f7: 133.3 MB, bound
   * 118.7; now 64.9–65.5 MB), and a conversion the reader's parts, the gathered copy and the output (now 183.9–188.9 MB
   * re-encoded for redis-6.2, bound 237.4).
   */
  it('verifies and converts a hash of one 64 MiB listpack counting 65535 (more elements than that) holding the value once in verify-rdb, within 2 × the value + 100 MB converted', async () => {
    const fields = 40_000;
    const random = mulberry32(65535);
    const sample = new Map<string, Buffer>();
    const elements: Buffer[] = [];
    // The values' random bytes drawn at once (not 40,000 draws), each value its own of them.
    const pool = randomBytes(fields * 1712);
    for (let i = 0, at = 0; i < fields; i++) {
      const v = pool.subarray(at, (at += 1700 + (i % 13)));
      if (i % 997 === 0) sample.set(`f${i}`, v);
      elements.push(Buffer.from(`f${i}`), v);
    }
    // The fields in a shuffled order (a server's hash keeps insertion order): the member table's growth sees no pattern.
    for (let i = elements.length / 2 - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [elements[2 * i], elements[2 * j]] = [elements[2 * j]!, elements[2 * i]!];
      [elements[2 * i + 1], elements[2 * j + 1]] = [elements[2 * j + 1]!, elements[2 * i + 1]!];
    }
    const lp = listpackOfBytes(elements);
    expect(lp.readUInt16LE(4), 'the listpack counts 65535').toBe(0xffff);
    const file = join(m.dir, 'hash-unknown-count.rdb');
    const small = { db: 0, name: 'a', type: 0, object: new RdbOut(64).string(Buffer.from('small')).take(), expireAtMs: null };
    const object = new RdbOut(lp.length + 16).string(lp).take();
    writeFileSync(file, frameFile('REDIS0010', [small, { db: 0, name: 'big:hash', type: 16, object, expireAtMs: null }], [], { 'redis-ver': '7.0.15' }));
    const valueBytes = statSync(file).size;
    expect(valueBytes).toBeGreaterThan(VALUE_BYTES);
    await m.verifiedHoldingOnce(file, valueBytes);
    const out = join(m.dir, 'hash-unknown-count-6.2.rdb');
    await m.reencodedWithinBound(file, out);
    const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
    try {
      const l = loaded.client();
      expect(await l.hlen('big:hash')).toBe(fields);
      for (const [f, val] of sample) expect((await l.hgetBuffer('big:hash', f))?.equals(val), f).toBe(true);
    } finally {
      await loaded.stop();
    }
  }, 120_000);

  /** The same for a sorted set of one 64 MiB listpack (raised zset-max-listpack-* limits): 704 members of ~100 KiB, re-encoded as a binary-score skiplist (type 5). */
  it('re-encodes a sorted set of one 64 MiB listpack (--for redis-6.2) with peak RSS within 2 × the value + 100 MB; the output loads in redis-server', async () => {
    const server = await startRedisServer({ args: ['--zset-max-listpack-entries', '4096', '--zset-max-listpack-value', '200000'] });
    const members = 704;
    try {
      const c = server.client();
      const sample: Buffer[] = [];
      for (let i = 0; i < members; i += 64) {
        const pairs: (number | Buffer)[] = [];
        for (let j = i; j < i + 64; j++) {
          const m = randomBytes(100 * 1024 + (j % 7));
          if (j % 64 === 0) sample.push(m);
          pairs.push(j + 0.5, m);
        }
        await c.zadd('big:zset', ...pairs);
      }
      expect(await c.call('OBJECT', 'ENCODING', 'big:zset')).toBe('listpack');
      await c.set('a', 'small');
      await c.save();
      const file = join(m.dir, 'zset.rdb');
      copyFileSync(server.rdbPath, file);
      const out = join(m.dir, 'zset-6.2.rdb');
      await m.reencodedWithinBound(file, out);
      const loaded = await startRedisServer({ loadRdb: out, readyTimeoutMs: 30_000 });
      try {
        const l = loaded.client();
        expect(await l.zcard('big:zset')).toBe(members);
        for (const [k, m] of sample.entries()) expect(await l.zscore('big:zset', m), `member ${k * 64}`).toBe(String(k * 64 + 0.5));
      } finally {
        await loaded.stop();
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});
