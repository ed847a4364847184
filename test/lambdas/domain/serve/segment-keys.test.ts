import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSegmentParser, readHeadContext, segmentOf } from '../../../../lambdas/domain/rdb/format/split.js';
import { type RdbKey, RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { type HandedKeys, KeySegmentBuilder } from '../../../../lambdas/domain/serve/index-segment.js';
import { rdbVerifierParser } from '../../../../lambdas/domain/rdb/verifier.js';
import { encodeKeyIndex } from '../../../../lambdas/domain/serve/index-write.js';
import { indexingKeyReader, KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { PlacingKeySink, SegmentKeySink } from '../../../../lambdas/domain/serve/segment-keys.js';
import { RdbFileWriter } from '../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { ROW } from '../../../../lambdas/domain/serve/key-rows.js';
import { mulberry32 } from '../../../support/prng.js';
import { populate } from '../../../support/rdb-dataset.js';
import { bgsave, type RedisServer, startRedisServer } from '../../../support/redis-server.js';

const OPTIONS = { maxValueBytes: 512 << 20, requireChecksum: true };

/** What a test compares of handed keys: every byte of their rows and names, their runs. */
function plain(h: HandedKeys): unknown {
  return { start: h.start, end: h.end, keys: h.keys, runs: h.runs, rows: Buffer.from(h.rows).toString('hex'), names: Buffer.from(h.names).toString('hex') };
}

describe("the split worker's key collector (SegmentKeySink: the segment parser's sink, no key reader between)", () => {
  let server: RedisServer;
  let file: Buffer;
  let keys: RdbKey[];

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const client = server.client();
    await populate(client);
    // Names Redis stores integer-encoded and LZF-compressed (not plain in the chunk: the cold path), a binary one, a big value.
    for (const db of [0, 5]) {
      await client.select(db);
      await client.set(`12345${db}`, 'int-named');
      await client.set('-129', 'int-named 2');
      await client.set('n'.repeat(200 + db), 'lzf-named', 'PX', 123_456_789);
      await client.set(Buffer.from([0, 0xff, 0x80, 10, db]), Buffer.from([1, 2, 3]));
      const rand = mulberry32(3 + db);
      await client.set(`str:random:${db}`, Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(rand() * 256))));
    }
    file = readFileSync(await bgsave(server, client));
    const reader = new RdbKeyReader({ maxKeyBytes: Number.MAX_SAFE_INTEGER });
    keys = reader.push(file);
    expect(reader.end().ok).toBe(true);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("hands over the rows and names the key reader's path gives (KeySegmentBuilder through indexingKeyReader), byte for byte, whatever the chunking", () => {
    // The segment from the first key that follows another with nothing between (a top-level boundary), so nearly all keys are in it.
    const first = keys.findIndex((k, i) => i > 0 && keys[i - 1]!.end === k.offset);
    const from = keys[first]!.offset;
    const context = readHeadContext((o, n) => file.subarray(o, o + n), file.length, OPTIONS)!;
    const names = keys.slice(first).map((k) => k.name.toString('latin1'));
    // Database 5's (database 0's first keys may lie before the segment: the server's hash order).
    expect(names).toEqual(expect.arrayContaining(['123455', 'n'.repeat(205)]));
    // The key reader's path (as the worker ran it before), the bytes in one push.
    const builder = new KeySegmentBuilder();
    const reader = indexingKeyReader(builder, 0, { segment: { from, context }, parser: (sink) => newSegmentParser(from, context, OPTIONS, sink) });
    reader.push(file.subarray(from));
    const expected = plain(builder.handOver(from, file.length));
    expect((expected as { keys: number }).keys).toBe(keys.length - first);
    const rand = mulberry32(5);
    for (const size of [() => file.length, () => 1 + Math.floor(rand() * 40), () => 1 + Math.floor(rand() * 5000), (i: number) => (i % 2 ? 17 : 65_536)]) {
      const sink = new SegmentKeySink(from, context, OPTIONS, file.length);
      for (let at = from, i = 0; at < file.length; i++) {
        const n = Math.max(1, size(i));
        sink.push(file.subarray(at, at + n));
        at += n;
      }
      expect(sink.parser.state()).toBe('done');
      expect(typeof segmentOf(sink.parser, from, context)).toBe('object');
      expect(plain(sink.handOver(file.length))).toEqual(expected);
    }
  });

  it('hands over the same for a segment starting at any top-level key boundary, in every database (about 60 seams, random chunkings)', () => {
    const context = readHeadContext((o, n) => file.subarray(o, o + n), file.length, OPTIONS)!;
    // Plain seams (no SELECTDB, expiry or other opcode between two keys): where the split may cut.
    const seams = keys.flatMap((k, i) => (i > 0 && keys[i - 1]!.end === k.offset ? [i] : []));
    const every = Math.max(1, Math.floor(seams.length / 60));
    // Every n-th seam, and the first and last seam of each database (a segment whose first key opens a database's run, or ends it).
    const chosen = new Set(seams.filter((_, j) => j % every === 0));
    for (const db of new Set(keys.map((k) => k.db))) {
      const own = seams.filter((i) => keys[i]!.db === db);
      if (own.length > 0) for (const i of [own[0]!, own[own.length - 1]!]) chosen.add(i);
    }
    expect(new Set([...chosen].map((i) => keys[i]!.db)).size).toBeGreaterThan(1);
    const rand = mulberry32(11);
    for (const i of chosen) {
      const from = keys[i]!.offset;
      const builder = new KeySegmentBuilder();
      const reader = indexingKeyReader(builder, 0, { segment: { from, context }, parser: (sink) => newSegmentParser(from, context, OPTIONS, sink) });
      reader.push(file.subarray(from));
      const sink = new SegmentKeySink(from, context, OPTIONS, file.length);
      for (let at = from; at < file.length; ) {
        const n = 1 + Math.floor(rand() * (i % 4 === 1 ? 7 : 3000));
        sink.push(file.subarray(at, at + n));
        at += n;
      }
      expect(plain(sink.handOver(file.length)), `segment from byte ${from} (key ${i})`).toEqual(plain(builder.handOver(from, file.length)));
    }
  });

  it('grows its buffers once to the keys expected over the part, from where its keys reach, whatever the chunking (one push of the whole part, 64 KiB pushes)', () => {
    // 40,000 like keys written by the project's writer (its chunks are views: copied), the share of the part read says how many keys are to come.
    const chunks: Buffer[] = [];
    const w = new RdbFileWriter({ magic: 'REDIS', version: 10 }, [['redis-ver', '7.0.15']]);
    const value = new RdbOut(128);
    for (let i = 0; i < 40_000; i++) {
      value.clear();
      value.string(Buffer.from(`value-${i}-`.padEnd(100, 'v'), 'latin1'));
      w.key(0, Buffer.from(`key:${String(i).padStart(12, '0')}`, 'latin1'), 0, value.view(), null);
      if (w.full) chunks.push(Buffer.from(w.chunk()));
    }
    chunks.push(Buffer.from(w.chunk()), w.end());
    const many = Buffer.concat(chunks);
    const reader = new RdbKeyReader({ maxKeyBytes: Number.MAX_SAFE_INTEGER });
    const all = reader.push(many);
    expect(reader.end()).toMatchObject({ ok: true });
    const from = all[1]!.offset;
    const context = readHeadContext((o, n) => many.subarray(o, o + n), many.length, OPTIONS)!;
    for (const size of [many.length, 65_536]) {
      const sink = new SegmentKeySink(from, context, OPTIONS, many.length);
      for (let at = from; at < many.length; at += size) sink.push(many.subarray(at, at + size));
      const handed = sink.handOver(many.length);
      expect(handed.keys).toBe(39_999);
      // The buffers the rows and names lie in (moved whole to the first thread): the guess's 5 % over, not a doubling's up to 100 %.
      expect(handed.rows.buffer.byteLength, `rows, pushes of ${size}`).toBeLessThanOrEqual(Math.ceil(39_999 * ROW * 1.1));
      expect(handed.names.buffer.byteLength, `names, pushes of ${size}`).toBeLessThanOrEqual(Math.ceil(39_999 * 16 * 1.1));
    }
  });

  it("places a whole file's keys (PlacingKeySink: the first thread's verification, a backup's) as the key reader's path does, whatever the chunking, across a pause at a boundary and the bytes pushed again from it", () => {
    const COPY = { bytes: file.length, trailer: '0123456789abcdef' };
    const verifier = (sink: Parameters<typeof rdbVerifierParser>[1]) => rdbVerifierParser({ requireChecksum: true }, sink);
    // The key reader's path (as the first thread ran it before), the bytes in one push: the index file of its keys.
    const before = new KeyIndexBuilder();
    const reader = indexingKeyReader(before, 0, { parser: verifier });
    reader.push(file);
    expect(reader.end().ok).toBe(true);
    const expected = encodeKeyIndex(before.finish(reader.fileVersion.version), COPY, false);
    expect(before.size).toBe(keys.length);
    // A boundary mid-file (a key right after another), where the split verification's first thread pauses.
    const middle = keys.findIndex((k, i) => i > keys.length / 2 && keys[i - 1]!.end === k.offset);
    const stop = keys[middle]!.offset;
    const rand = mulberry32(6);
    for (const size of [() => file.length, () => 1 + Math.floor(rand() * 40), () => 1 + Math.floor(rand() * 5000), (i: number) => (i % 2 ? 17 : 65_536)]) {
      for (const pause of [false, true]) {
        const b = new KeyIndexBuilder();
        const sink = new PlacingKeySink(0, b, verifier);
        if (pause) sink.parser.stopAtBoundary(stop);
        let paused = false;
        for (let at = 0, i = 0; at < file.length; i++) {
          const n = Math.max(1, size(i));
          sink.push(file.subarray(at, at + n));
          at += n;
          if (sink.parser.state() === 'paused') {
            // Paused at the boundary: the parse goes on from it, the bytes from there pushed again.
            expect(sink.parser.pausedAt).toBe(stop);
            expect(b.size).toBe(middle);
            at = sink.parser.pausedAt;
            sink.continueFromPause();
            paused = true;
          }
        }
        expect(paused).toBe(pause);
        expect(sink.parser.state()).toBe('done');
        expect(sink.parser.end().ok).toBe(true);
        expect(encodeKeyIndex(b.finish(reader.fileVersion.version), COPY, false).equals(expected)).toBe(true);
      }
    }
  });
});
