/**
 * The key-list digest's XXH3-128 (codecs/xxh3-wasm.ts, its stripe loop in
 * WebAssembly SIMD): bit for bit the reference's (hash-wasm's XXH3-128, seed
 * 0) for random bytes of lengths around the stripe (64), block (1,024) and
 * batch sizes, fed in random splits as KeyListDigest feeds them (Xxh3State
 * take after each, digest at the end); and KeyListDigest's hex is the reference's
 * over its preamble and the bytes it frames.
 */
import { createXXHash128, type IHasher } from 'hash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { XXH3_BATCH_BYTES, xxh3State } from '../../../../../lambdas/domain/rdb/codecs/xxh3-wasm.js';
import { KEY_LIST_PREAMBLE, KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { mulberry32 } from '../../../../support/prng.js';

let ref: IHasher;
beforeAll(async () => {
  ref = await createXXHash128();
});

const reference = (bytes: Uint8Array): string => {
  ref.init();
  ref.update(bytes);
  return ref.digest('hex');
};

/** The stream of `bytes` (more than 240) fed in the splits `cuts` gives, as KeyListDigest feeds it. */
function streamOf(bytes: Uint8Array, cuts: () => number): string {
  const s = xxh3State()!;
  const batch = s.memory.subarray(s.batch, s.batch + XXH3_BATCH_BYTES);
  let at = 0;
  for (let from = 0; from < bytes.length; ) {
    const take = Math.min(bytes.length - from, cuts(), batch.length - at);
    batch.set(bytes.subarray(from, from + take), at);
    at = s.take(at + take);
    from += take;
  }
  return s.digest(at);
}

describe('xxh3State: XXH3-128, its stripe loop in WebAssembly SIMD', () => {
  it('equals hash-wasm for lengths 241-1,100 and around the block and batch sizes, up to 1 MB, whatever the splits', () => {
    const rand = mulberry32(3);
    const lengths = [
      ...Array.from({ length: 860 }, (_, i) => 241 + i),
      ...[2047, 2048, 2049, 16 * 1024 + 1, XXH3_BATCH_BYTES - 1, XXH3_BATCH_BYTES, XXH3_BATCH_BYTES + 1, XXH3_BATCH_BYTES + 65],
      ...Array.from({ length: 12 }, () => 241 + Math.floor(rand() * 1_000_000)),
    ];
    const wrong: string[] = [];
    for (const n of lengths) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      const expected = reference(bytes);
      for (const cuts of [() => n, () => 1 + Math.floor(rand() * 100), () => 1 + Math.floor(rand() * 70_000)]) {
        const got = streamOf(bytes, cuts);
        if (got !== expected) wrong.push(`${n} bytes: ${got} against ${expected}`);
      }
    }
    expect(wrong.slice(0, 3)).toEqual([]);
  });

  it('negative: a changed byte (in the first stripe, the last, and one taken in the middle), a byte more or fewer changes it', () => {
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff);
    const whole = () => 5000;
    const base = streamOf(bytes, whole);
    expect(base).toBe(reference(bytes));
    for (const at of [0, 2500, 4999]) {
      const flipped = Uint8Array.from(bytes);
      flipped[at]! ^= 0x01;
      expect(streamOf(flipped, whole), `byte ${at}`).not.toBe(base);
    }
    expect(streamOf(bytes.subarray(0, 4999), () => 4999)).not.toBe(base);
    expect(streamOf(Uint8Array.from([...bytes, 0]), () => 5001)).not.toBe(base);
  });
});

describe('KeyListDigest on XXH3-128', () => {
  it('is the reference over its preamble and the bytes it frames, long parts included', () => {
    const rand = mulberry32(7);
    const d = new KeyListDigest();
    const framed: Uint8Array[] = [KEY_LIST_PREAMBLE];
    const name = Buffer.from('key');
    for (let i = 0; i < 300; i++) {
      const n = i % 50 === 0 ? 70_000 + Math.floor(rand() * 200_000) : Math.floor(rand() * 500);
      const value = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      d.addRaw(i % 3, name, 0, value, null);
      // The head as key-list.ts frames it: kind 2, the type, the database (u32 BE), no expiry (-1 as a BE double), the name, the value, each part with its LEB128 length.
      const head = Buffer.alloc(14);
      head[0] = 2;
      head[1] = 0;
      head.writeUInt32BE(i % 3, 2);
      head.writeDoubleBE(-1, 6);
      framed.push(head, Uint8Array.from(leb(name.length)), name, Uint8Array.from(leb(n)), value);
    }
    expect(d.hex()).toBe(reference(Buffer.concat(framed)));
  });

  it('of no key is the reference of its preamble alone', () => {
    expect(new KeyListDigest().hex()).toBe(reference(KEY_LIST_PREAMBLE));
  });
});

function leb(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
