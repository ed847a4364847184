import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { compressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { nativeLz4Blocks } from '../../../../lambdas/adapters/storage/lz4-native.js';
import {
  createRdbBytesDecoder,
  decodeRdbEnvelope,
  lz4jsBlocks,
  type Lz4BlockDecoder,
  type RdbEnvelopeInfo,
} from '../../../../lambdas/adapters/storage/rdb-envelope.js';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { rdbVerdict, verifyRdbStream, type RdbReport } from '../../../../lambdas/domain/rdb/verifier.js';

/**
 * Valkey 9.2's compressed envelope (`rdbcompression lz4`): `VKCS`, version 1,
 * codec 1 (LZ4), flags (bit 0: the codec's checksums), stream kind 0, then an
 * LZ4 frame of the RDB file. Frames made by lz4-napi (what the verifier reads
 * with) and by the reference `lz4` command (Debian's lz4 package), as Valkey
 * writes them (independent 64 KB blocks, block checksums, no content
 * checksum) and as the command does by default (a content checksum; linked
 * blocks with -BD).
 */
const le64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

/** A real-looking RDB 11 file of `n` string keys with a CRC-64: several 64 KB blocks once compressed. */
function rdbFile(n: number): Buffer {
  const parts: Buffer[] = [Buffer.from('REDIS0011'), Buffer.from([0xfe, 0x00])];
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(`key:${i}`);
    const value = Buffer.from(`value-${i}-${'x'.repeat(i % 40)}`);
    parts.push(Buffer.from([0x00, key.length]), key, Buffer.from([value.length]), value);
  }
  parts.push(Buffer.from([0xff]));
  const body = Buffer.concat(parts);
  return Buffer.concat([body, Buffer.from(le64(new Crc64().update(body, 0, body.length).value))]);
}

const envelope = (frame: Uint8Array, { version = 1, codec = 1, flags = 1, kind = 0 } = {}): Buffer =>
  Buffer.concat([Buffer.from('VKCS'), Buffer.from([version, codec, flags, kind]), frame]);

/** The `lz4` command's frame of `data`. */
const lz4Cli = (data: Uint8Array, ...args: string[]): Buffer => execFileSync('lz4', ['-c', '-q', ...args], { input: data, maxBuffer: 1 << 28 });

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function verify(bytes: Uint8Array, size = 1 << 20, blocks?: Lz4BlockDecoder): Promise<{ report: RdbReport; envelope?: RdbEnvelopeInfo }> {
  let envelope: RdbEnvelopeInfo | undefined;
  const report = await verifyRdbStream(
    decodeRdbEnvelope(chunks(bytes, size), (e) => (envelope = e), blocks),
    { requireChecksum: true },
  );
  return { report, ...(envelope ? { envelope } : {}) };
}

async function plain(bytes: Uint8Array, size: number, blocks?: Lz4BlockDecoder): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of decodeRdbEnvelope(chunks(bytes, size), undefined, blocks)) out.push(c);
  return Buffer.concat(out);
}

const RDB = rdbFile(8000);
/** As Valkey writes it: independent blocks of at most 64 KB with block checksums, no content checksum. */
const VALKEY_LIKE = envelope(lz4Cli(RDB, '-B4', '-BI', '-BX', '--no-frame-crc'));

describe('the compressed RDB envelope (Valkey rdbcompression lz4)', () => {
  it('the fixture spans many blocks', () => {
    expect(RDB.length).toBeGreaterThan(4 * 65536);
  });

  it.each<[string, Buffer, Partial<RdbEnvelopeInfo>]>([
    ['the lz4 command, as Valkey writes it (64 KB independent blocks, block checksums)', VALKEY_LIKE, { blockChecksums: true, contentChecksum: false }],
    ['the lz4 command by default (content checksum)', envelope(lz4Cli(RDB), { flags: 0 }), { blockChecksums: false, contentChecksum: true }],
    ['the lz4 command with linked blocks and both checksums', envelope(lz4Cli(RDB, '-B4', '-BD', '-BX')), { blockChecksums: true, contentChecksum: true }],
    [
      'lz4-napi with block and content checksums',
      envelope(compressFrameSync(RDB, { blockChecksums: true, contentChecksum: true })),
      { blockChecksums: true, contentChecksum: true },
    ],
  ])('verifies a file compressed by %s as the RDB it holds, whole and in odd chunks, with either block decoder', async (_by, file, info) => {
    for (const blocks of [lz4jsBlocks, nativeLz4Blocks]) {
      for (const size of [1 << 20, 7777, 3]) {
        const { report, envelope: found } = await verify(file, size, blocks);
        expect(report).toMatchObject({ ok: true, version: 11, keys: 8000, checksum: 'ok' });
        expect(found).toMatchObject({ codec: 'lz4', ...info });
      }
      expect((await plain(file, 4096, blocks)).equals(RDB)).toBe(true);
    }
  });

  it("refuses a block that expands beyond the frame's block maximum, with either decoder", async () => {
    // One block of 64 KB + 1 zero bytes in a frame that says 64 KB blocks: a literal, then a long match of zeros.
    const big = lz4Cli(Buffer.alloc(65537), '-B5', '-BI', '--no-frame-crc');
    const frame = Buffer.from(big);
    frame[5] = 0x40; // BD: block maximum 64 KB (id 4) instead of 256 KB
    // Fix the header checksum so only the block is wrong.
    const xxh = await (await import('xxhash-wasm')).default();
    frame[6] = (xxh.h32Raw(frame.subarray(4, 6), 0) >>> 8) & 0xff;
    for (const blocks of [lz4jsBlocks, nativeLz4Blocks]) {
      const { report } = await verify(envelope(frame, { flags: 0 }), 1 << 20, blocks);
      expect(report.error?.message).toMatch(/LZ4 block at byte 15 (does not decompress|expands)/);
      expect(rdbVerdict(report)).toBe('corrupt');
    }
  });

  it('passes a plain file through untouched, byte for byte, in any chunking', async () => {
    // One- and three-byte chunks on a smaller file: a chunk a byte through the async generators of the whole file
    // (over 300,000 of them) took 10 s of the suite and tested nothing the small file does not.
    const small = rdbFile(300);
    for (const size of [1, 3]) expect((await plain(small, size)).equals(small)).toBe(true);
    for (const size of [9, 65536]) expect((await plain(RDB, size)).equals(RDB)).toBe(true);
    expect((await verify(RDB, 5)).envelope).toBeUndefined();
  });

  /** Byte offsets in VALKEY_LIKE: envelope 8, frame header 7 (magic 4, FLG, BD, HC), then the first block's size word. */
  const FIRST_BLOCK_DATA = 8 + 7 + 4;
  it.each<[string, (b: Buffer) => Buffer, RegExp]>([
    ['a flipped byte in a block (its checksum)', (b) => flip(b, FIRST_BLOCK_DATA + 100), /^LZ4 block checksum mismatch at byte 15: stored/],
    ['a flipped byte in the frame header (its checksum)', (b) => flip(b, 8 + 5, 0x01), /LZ4 frame header|reserved bits/],
    ['a truncated file', (b) => b.subarray(0, Math.floor(b.length * 0.6)), /^unexpected end of input inside the LZ4 frame/],
    ['a file cut inside the envelope header', (b) => b.subarray(0, 6), /ends inside its compressed envelope's 8-byte header/],
    ['bytes after the frame', (b) => Buffer.concat([b, Buffer.from('junk')]), /4 bytes after the end of the LZ4 frame/],
    [
      'no LZ4 frame after the envelope',
      (b) => Buffer.concat([b.subarray(0, 8), Buffer.from('REDIS0011'), b.subarray(8)]),
      /no LZ4 frame after the compressed envelope at byte 8/,
    ],
    ['an envelope of another stream kind', (b) => withByte(b, 7, 1), /stream kind 1, not an RDB file/],
    [
      'an envelope that says checksums a frame does not carry',
      () => envelope(lz4Cli(RDB, '-B4', '-BI', '--no-frame-crc'), { flags: 1 }),
      /codec checksums are on, but the LZ4 frame carries no block checksums/,
    ],
  ])('refuses %s as corrupt', async (_what, damage, error) => {
    const { report } = await verify(damage(VALKEY_LIKE), 4096);
    expect(report.ok).toBe(false);
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('refuses a flipped content checksum as corrupt (a frame with one)', async () => {
    const file = envelope(lz4Cli(RDB), { flags: 0 });
    const { report } = await verify(flip(file, file.length - 2), 65536);
    expect(report.error?.message).toMatch(/^LZ4 content checksum mismatch/);
  });

  it('without block checksums, damage inside a block is still found: by LZ4 or by the RDB CRC-64', async () => {
    const file = envelope(lz4Cli(RDB, '-B4', '-BI', '--no-frame-crc'), { flags: 0 });
    const { report } = await verify(flip(file, FIRST_BLOCK_DATA + 5000), 65536);
    expect(report.ok).toBe(false);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it.each<[string, Buffer, RegExp]>([
    [
      'a newer envelope version',
      withByte(VALKEY_LIKE, 4, 2),
      /^unsupported format \(version 2, written by a Valkey newer than 9\.2\): a compressed envelope of version 2/,
    ],
    [
      'another codec (zstd)',
      withByte(VALKEY_LIKE, 5, 2),
      /^unsupported format \(version 1, written by Valkey 9\.2 or newer\): a compressed envelope with codec 2, not LZ4/,
    ],
    [
      'flags it does not know',
      withByte(VALKEY_LIKE, 6, 3),
      /^unsupported format \(version 1, written by a Valkey newer than 9\.2\): compressed envelope flags 0x3/,
    ],
  ])('says unsupported, not corrupt, for %s', async (_what, file, error) => {
    const { report } = await verify(file);
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('unsupported');
  });

  /** 3.5 MB, half random (stored blocks: LZ4 cannot shrink them), half repeated (compressed blocks). */
  const MIXED = Buffer.concat([randomBytes(1_750_000), Buffer.alloc(1_750_000, 'redis-dr ')]);
  const MIXED_ENVELOPED = envelope(lz4Cli(MIXED, '-B4', '-BI', '-BX', '--no-frame-crc'));

  it('hands the plain bytes on in buffers of 1 MiB each, not one per 64 KB block (issue 54 item 10: malloc kept the room of the small ones)', async () => {
    for (const size of [1 << 20, 7777]) {
      const out: Uint8Array[] = [];
      for await (const c of decodeRdbEnvelope(chunks(MIXED_ENVELOPED, size), undefined, nativeLz4Blocks)) out.push(c);
      expect(Buffer.concat(out).equals(MIXED)).toBe(true);
      // Every buffer but the last is a whole 1 MiB buffer of its own (not a view into a larger one).
      expect(out.slice(0, -1).map((c) => [c.byteLength, c.buffer.byteLength])).toEqual(out.slice(0, -1).map(() => [1 << 20, 1 << 20]));
      expect(out.length).toBe(Math.ceil(MIXED.length / (1 << 20)));
    }
  });

  it('keeps nothing of a pushed chunk past the push: an enveloped file read again and again into one buffer decodes whole', async () => {
    const linked = envelope(lz4Cli(MIXED, '-B4', '-BD', '-BX'));
    for (const [file, sizes] of [
      [MIXED_ENVELOPED, [1 << 20, 65536 + 4 + 4 + 1, 7777, 5]],
      [linked, [65536 + 3, 7777]],
      [VALKEY_LIKE, [1, 3, 4096]],
    ] as const) {
      const expected = file === VALKEY_LIKE ? RDB : MIXED;
      for (const size of sizes) {
        const decoder = await createRdbBytesDecoder(nativeLz4Blocks);
        const buffer = new Uint8Array(size);
        const out: Uint8Array[] = [];
        for (let at = 0; at < file.length; at += size) {
          const n = Math.min(size, file.length - at);
          buffer.set(file.subarray(at, at + n));
          out.push(...decoder.push(buffer.subarray(0, n)));
          // The next read overwrites the buffer: garbage here must reach neither what came out nor what was kept.
          buffer.fill(0xa5);
        }
        out.push(...decoder.end());
        expect(Buffer.concat(out).equals(expected), `${expected === RDB ? 'VALKEY_LIKE' : file === linked ? 'linked' : 'mixed'} in ${size}-byte reads`).toBe(
          true,
        );
      }
    }
  });

  it('the push decoder (DR verify job, backup) gives the same bytes as the stream stage, and says the file was enveloped', async () => {
    const decoder = await createRdbBytesDecoder();
    const out: Uint8Array[] = [];
    for (let at = 0; at < VALKEY_LIKE.length; at += 5000) out.push(...decoder.push(VALKEY_LIKE.subarray(at, at + 5000)));
    out.push(...decoder.end());
    expect(Buffer.concat(out).equals(RDB)).toBe(true);
    expect(decoder.envelope).toEqual({ codec: 'lz4', blockChecksums: true, contentChecksum: false });
  });
});

function flip(b: Buffer, at: number, mask = 0x10): Buffer {
  const c = Buffer.from(b);
  c[at]! ^= mask;
  return c;
}

function withByte(b: Buffer, at: number, value: number): Buffer {
  const c = Buffer.from(b);
  c[at] = value;
  return c;
}
