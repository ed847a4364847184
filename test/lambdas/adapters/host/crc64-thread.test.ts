import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Crc64Thread,
  readFileChunks,
  readFileChunksReused,
  verifyRdbFileOnTwoThreads,
  verifyRdbStreamOnTwoThreads,
} from '../../../../lambdas/adapters/host/crc64-thread.js';
import { crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { RdbFormatError } from '../../../../lambdas/domain/rdb/errors.js';
import { verifyRdbStream, type RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';
import { mulberry32 } from '../../../support/prng.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { populate } from '../../../support/rdb-dataset.js';
import { stringsRdb } from '../../../support/rdb-strings.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** Copies of `data` in seeded chunks of 1 byte to `max` (each its own buffer, so it may move to the worker). */
function copiedChunks(data: Uint8Array, seed: number, max = 262_144): Uint8Array[] {
  const random = mulberry32(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; ) {
    const size = 1 + Math.floor(random() ** 3 * max);
    out.push(Uint8Array.from(data.subarray(at, at + size)));
    at += size;
  }
  return out;
}

async function* stream(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

const oneThread = (data: Uint8Array, seed: number, requireChecksum = false): Promise<RdbReport> =>
  verifyRdbStream(stream(copiedChunks(data, seed)), { requireChecksum });

async function twoThreads(data: Uint8Array, seed: number, transfer: boolean, requireChecksum = false): Promise<{ report: RdbReport; moved: number }> {
  const chunks = copiedChunks(data, seed);
  const report = await verifyRdbStreamOnTwoThreads(stream(chunks), { requireChecksum, transferable: () => transfer });
  // A moved chunk is detached here: its bytes went to the worker without a copy.
  return { report, moved: chunks.filter((c) => c.byteLength === 0).length };
}

function flipped(data: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(data);
  copy[at] ^= 0x01;
  return copy;
}

describe('verifyRdbStreamOnTwoThreads: the CRC-64 in a worker thread, the same report as one thread', () => {
  let server: RedisServer;
  let saved: Buffer;
  /** About 6 MB: many chunks, and more than the worker is allowed to fall behind by. */
  const big = stringsRdb(11_000, 3);

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const client = server.client();
    await populate(client);
    saved = readFileSync(await bgsave(server, client));
  });
  afterAll(async () => server?.stop());

  it('runs the WebAssembly loop in a worker here', () => {
    const crc = Crc64Thread.start();
    expect(crc).toBeDefined();
    return crc!.close();
  });

  it('the worker computes the plain CRC-64 of what it is given, in order, copied or moved', async () => {
    const crc = Crc64Thread.start()!;
    try {
      const data = stringsRdb(200, 9);
      const pieces = copiedChunks(data, 9);
      pieces.forEach((p, i) => {
        crc.add(p, i % 2 === 0);
      });
      await crc.drain(0);
      expect(await crc.value()).toBe(crc64(data));
    } finally {
      await crc.close();
    }
  });

  it.each(CORPUS_CASES.map(([file]) => file))('corpus file %s', async (file) => {
    const data = readFileSync(join(CORPUS_DIR, file));
    for (const seed of [1, 2]) {
      expect((await twoThreads(data, seed, true)).report).toEqual(await oneThread(data, seed));
      expect((await twoThreads(data, seed, false, true)).report).toEqual(await oneThread(data, seed, true));
    }
  });

  it.each([1, 2, 3])('a BGSAVE of every type and encoding, seed %i, chunks moved', async (seed) => {
    const expected = await oneThread(saved, seed, true);
    expect(expected.ok).toBe(true);
    const { report, moved } = await twoThreads(saved, seed, true, true);
    expect(report).toEqual(expected);
    expect(moved).toBeGreaterThan(0);
  });

  it('a 6 MB file in chunks of every size, moved and copied', async () => {
    const expected = await oneThread(big, 4);
    expect(expected.ok).toBe(true);
    expect(expected.keys).toBe(11_000);
    expect((await twoThreads(big, 4, true)).report).toEqual(expected);
    expect((await twoThreads(big, 5, false)).report).toEqual(await oneThread(big, 5));
  });

  it('chunks of at most 700 bytes: tokens cut at chunk ends reach the worker once the parser commits them', async () => {
    const data = big.subarray(0, 1_500_000);
    const chunks = copiedChunks(data, 10, 700);
    const expected = await verifyRdbStream(stream(chunks.map((c) => c.slice())));
    expect(expected.error?.message).toMatch(/unexpected end of input/); // cut inside a value: no trailer to compare
    const whole = stringsRdb(2_000, 11);
    const small = copiedChunks(whole, 12, 700);
    const ok = await verifyRdbStream(stream(small.map((c) => c.slice())));
    expect(ok.ok).toBe(true);
    expect(await verifyRdbStreamOnTwoThreads(stream(small), { transferable: () => true })).toEqual(ok);
    expect(await verifyRdbStreamOnTwoThreads(stream(chunks), { transferable: () => true })).toEqual(expected);
  });

  it('a flipped byte in a value: rejected as a CRC-64 mismatch at the same offset', async () => {
    const bad = flipped(big, 3_000_000);
    const expected = await oneThread(bad, 6);
    expect(expected.checksum).toBe('mismatch');
    expect(expected.error?.offset).toBe(big.length);
    expect((await twoThreads(bad, 6, true)).report).toEqual(expected);
  });

  it('a flipped byte in a length: rejected at the same offset with the same message', async () => {
    // Byte 11 is the first key's type; a type no RDB has.
    const bad = Uint8Array.from(big);
    bad[11] = 0x3f;
    const expected = await oneThread(bad, 7);
    expect(expected.ok).toBe(false);
    expect(expected.error?.offset).toBe(12);
    expect((await twoThreads(bad, 7, true)).report).toEqual(expected);
  });

  it('a file cut short, and one with bytes after its trailer', async () => {
    const cut = big.subarray(0, big.length - 3);
    expect((await twoThreads(cut, 8, true)).report).toEqual(await oneThread(cut, 8));
    const longer = Buffer.concat([big, Buffer.from('trailing bytes')]);
    const expected = await oneThread(longer, 8);
    expect(expected.trailingBytes).toBe(14);
    expect((await twoThreads(longer, 8, true)).report).toEqual(expected);
  });

  it('a source that fails with a format error gives its verdict; any other error is thrown', async () => {
    async function* failing(error: Error): AsyncGenerator<Uint8Array> {
      yield Uint8Array.from(big.subarray(0, 100_000));
      throw error;
    }
    const envelope = new RdbFormatError('the compressed envelope is damaged');
    expect(await verifyRdbStreamOnTwoThreads(failing(envelope))).toEqual(await verifyRdbStream(failing(envelope)));
    await expect(verifyRdbStreamOnTwoThreads(failing(new Error('EIO: read failed')))).rejects.toThrow(/EIO/);
  });

  describe('verifyRdbFileOnTwoThreads: each thread reads the file itself', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'crc64-file-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The file's two-thread report and its one-thread report (read whole, in one chunk). */
    async function both(name: string, data: Uint8Array): Promise<[RdbReport, RdbReport]> {
      const path = join(dir, name);
      writeFileSync(path, data);
      return [await verifyRdbFileOnTwoThreads(path, data.length), await verifyRdbStream(stream([Uint8Array.from(data)]))];
    }

    it('a whole file and a saved one: the same report as one thread', async () => {
      const [two, one] = await both('big.rdb', big);
      expect(one.ok).toBe(true);
      expect(two).toEqual(one);
      const [twoSaved, oneSaved] = await both('saved.rdb', saved);
      expect(oneSaved.checksum).toBe('ok');
      expect(twoSaved).toEqual(oneSaved);
    });

    it('a flipped byte: the CRC-64 mismatch the one thread finds', async () => {
      const [two, one] = await both('flipped.rdb', flipped(big, 3_000_000));
      expect(one.checksum).toBe('mismatch');
      expect(two).toEqual(one);
    });

    it('a flipped trailer byte, a file cut short and one with bytes after its trailer (checksummed again on this thread)', async () => {
      const [two, one] = await both('trailer.rdb', flipped(big, big.length - 1));
      expect(one.checksum).toBe('mismatch');
      expect(two).toEqual(one);
      const cut = big.subarray(0, big.length - 3);
      const [twoCut, oneCut] = await both('cut.rdb', cut);
      expect(oneCut.ok).toBe(false);
      expect(twoCut).toEqual(oneCut);
      const longer = Buffer.concat([big, Buffer.from('trailing bytes')]);
      const [twoLonger, oneLonger] = await both('longer.rdb', longer);
      expect(oneLonger.trailingBytes).toBe(14);
      expect(oneLonger.checksum).toBe('ok');
      expect(twoLonger).toEqual(oneLonger);
    });

    it("a size that is not the file's (it changed after it was measured): the checksum is taken on this thread, never the worker's", async () => {
      const path = join(dir, 'resized.rdb');
      writeFileSync(path, big);
      const one = await verifyRdbStream(stream([Uint8Array.from(big)]));
      expect(await verifyRdbFileOnTwoThreads(path, big.length + 1_000)).toEqual(one);
      expect(await verifyRdbFileOnTwoThreads(path, big.length - 1_000)).toEqual(one);
    });
  });

  describe('readFileChunks', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'crc64-thread-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the file exactly, into buffers the worker hands back', async () => {
      const file = join(dir, 'big.rdb');
      writeFileSync(file, big);
      // With a worker, into page-aligned shared memory (the kernel's fast copy), shared with it rather than moved,
      // and read into again once the worker has checksummed it (each hand-back is a new object: not countable here).
      const kinds = new Set<string>();
      const report = await verifyRdbStreamOnTwoThreads(
        async function* (worker) {
          for await (const c of readFileChunks(file, 65_536, worker)) {
            kinds.add(c.buffer.constructor.name);
            yield c;
          }
        },
        { transferable: () => true },
      );
      expect(report).toEqual(await oneThread(big, 1));
      expect(kinds).toEqual(new Set(['SharedArrayBuffer']));
      expect(await verifyRdbStreamOnTwoThreads((worker) => readFileChunks(file, 1 << 20, worker), { transferable: () => true })).toEqual(
        await oneThread(big, 1),
      );
      const read: Uint8Array[] = [];
      for await (const c of readFileChunks(file, 100_000)) read.push(c.slice());
      expect(Buffer.concat(read).equals(big)).toBe(true);
    });

    it('readFileChunksReused: the file exactly, in two buffers taken in turn (each chunk is read before the caller asks for the next)', async () => {
      const file = join(dir, 'reused.rdb');
      writeFileSync(file, big);
      const read: Uint8Array[] = [];
      const buffers = new Set<ArrayBufferLike>();
      const offsets = new Set<number>();
      for await (const c of readFileChunksReused(file, 1 << 20)) {
        read.push(c.slice());
        buffers.add(c.buffer);
        offsets.add(c.byteOffset);
      }
      expect(Buffer.concat(read).equals(big)).toBe(true);
      expect(read.length).toBe(Math.ceil(big.length / (1 << 20)));
      // One buffer (the CRC-64 loop's lent memory, page-aligned), its two halves in turn.
      const [first, second] = [...offsets].sort((a, b) => a - b);
      expect([buffers.size, offsets.size, second! - first!, first! % 4096]).toEqual([1, 2, 1 << 20, 0]);
      expect(await verifyRdbStream(readFileChunksReused(file, 65_536))).toEqual(await oneThread(big, 1));
      const empty = join(dir, 'reused-empty.rdb');
      writeFileSync(empty, '');
      expect(await verifyRdbStream(readFileChunksReused(empty))).toEqual(await verifyRdbStream(stream([])));
    });

    it('an empty file and a missing one', async () => {
      const empty = join(dir, 'empty.rdb');
      writeFileSync(empty, '');
      const report = await verifyRdbStreamOnTwoThreads((worker) => readFileChunks(empty, 4096, worker));
      expect(report).toEqual(await verifyRdbStream(stream([])));
      await expect(verifyRdbStreamOnTwoThreads((worker) => readFileChunks(join(dir, 'missing.rdb'), 4096, worker))).rejects.toThrow(/ENOENT/);
    });
  });
});
