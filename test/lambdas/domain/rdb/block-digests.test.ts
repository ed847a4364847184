import { describe, expect, it } from 'vitest';
import { BLOCK_BYTES, BlockDigests, FileChangedError } from '../../../../lambdas/domain/rdb/block-digests.js';
import { crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { mulberry32 } from '../../../support/prng.js';

function bytes(n: number, seed = 1): Buffer {
  const rand = mulberry32(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

async function* inChunks(data: Uint8Array, size: (i: number) => number): AsyncIterable<Uint8Array> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.max(1, size(i));
    yield data.subarray(at, at + n);
    at += n;
  }
}

function recorded(data: Uint8Array, size = 65_536): BlockDigests {
  const d = new BlockDigests();
  for (let at = 0; at < data.length; at += size) d.update(data.subarray(at, at + size));
  return d.finish();
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<{ out: Buffer; error?: FileChangedError }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const c of source) parts.push(c);
  } catch (err) {
    if (!(err instanceof FileChangedError)) throw err;
    return { out: Buffer.concat(parts), error: err };
  }
  return { out: Buffer.concat(parts) };
}

describe('BlockDigests: the second read passes on only the bytes the first one verified', () => {
  const data = bytes(2 * BLOCK_BYTES + 12_345);

  it('passes the same file on unchanged, whatever the chunking of either read', async () => {
    const rand = mulberry32(3);
    for (const size of [() => 1 << 20, () => 7_777, () => 1 + Math.floor(rand() * 300_000)]) {
      const { out, error } = await drain(recorded(data, 4096).check(inChunks(data, size)));
      expect(error).toBeUndefined();
      expect(out.equals(data)).toBe(true);
    }
    expect(recorded(data).length).toBe(data.length);
  });

  it('a byte changed in the second block: the first block is passed on, nothing of the second', async () => {
    const changed = Buffer.from(data);
    changed[BLOCK_BYTES + 500]! ^= 0x01;
    const { out, error } = await drain(recorded(data).check(inChunks(changed, () => 100_000)));
    expect(error?.offset).toBe(BLOCK_BYTES);
    expect(error?.message).toBe(`bytes ${BLOCK_BYTES}–${2 * BLOCK_BYTES - 1} differ from the ones verified`);
    expect(out.length).toBe(BLOCK_BYTES);
    expect(out.equals(data.subarray(0, BLOCK_BYTES))).toBe(true);
  });

  it('a shorter file (cut inside the last block, or at a block boundary) and a longer one are refused', async () => {
    const cut = await drain(recorded(data).check(inChunks(data.subarray(0, data.length - 10), () => 65_536)));
    expect(cut.error?.offset).toBe(2 * BLOCK_BYTES);
    expect(cut.out.length).toBe(2 * BLOCK_BYTES);
    const atBoundary = await drain(recorded(data).check(inChunks(data.subarray(0, 2 * BLOCK_BYTES), () => 65_536)));
    expect(atBoundary.error?.message).toBe(`it ends at byte ${2 * BLOCK_BYTES}, shorter than the ${data.length} bytes verified`);
    const exact = data.subarray(0, 2 * BLOCK_BYTES);
    const longer = await drain(recorded(exact).check(inChunks(data, () => 65_536)));
    expect(longer.error?.message).toBe(`it is longer than the ${exact.length} bytes verified`);
    expect(longer.out.length).toBe(exact.length);
  });

  it("crcBefore: the file's CRC-64 up to any offset in its last two blocks (a trailer's checksum), from the one run over the bytes", () => {
    for (const size of [1 << 20, 7_777, 65_536]) {
      const d = recorded(data, size);
      for (const offset of [data.length, data.length - 8, data.length - 12_345, BLOCK_BYTES + 1, BLOCK_BYTES, 2 * BLOCK_BYTES, 2 * BLOCK_BYTES - 3]) {
        expect(d.crcBefore(offset), `offset ${offset}, chunks of ${size}`).toBe(crc64(data.subarray(0, offset)));
      }
      // The bytes before the last two blocks are not held (only their blocks' end values): at a block's end it still knows.
      expect(d.crcBefore(BLOCK_BYTES - 1)).toBeUndefined();
      expect(d.crcBefore(0)).toBe(0n);
      d.release();
      expect(d.crcBefore(data.length - 8)).toBeUndefined();
      expect(d.crcBefore(2 * BLOCK_BYTES)).toBe(crc64(data.subarray(0, 2 * BLOCK_BYTES)));
    }
    expect(() => new BlockDigests().crcBefore(0)).toThrow('crcBefore before finish');
    expect(() => recorded(data).crcBefore(data.length + 1)).toThrow(RangeError);
  });

  it('a changed first block fails at that block (each block is checked from the running value recorded before it)', async () => {
    const small = bytes(3 * 4096, 9);
    const d = new BlockDigests(4096);
    d.update(small);
    d.finish();
    const changed = Buffer.from(small);
    changed[10]! ^= 0x01;
    const { out, error } = await drain(d.check(inChunks(changed, () => 1000)));
    expect(error?.message).toBe('bytes 0–4095 differ from the ones verified');
    expect(out.length).toBe(0);
  });

  it('an empty file twice is fine; check before finish is a bug', async () => {
    expect((await drain(new BlockDigests().finish().check(inChunks(Buffer.alloc(0), () => 1)))).error).toBeUndefined();
    await expect(drain(new BlockDigests().check(inChunks(data, () => 1)))).rejects.toThrow('check before finish');
  });
});
