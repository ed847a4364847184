/**
 * The key-list digest's two XXH64 streams in one pass (codecs/xxh64x2-wasm.ts):
 * XXH64 bit for bit, held against xxhash-wasm (the reference the digest used
 * before) for random bytes of every length around the stripe and tail sizes,
 * fed in random splits; and KeyListDigest's hex is the two reference streams
 * over the bytes it frames.
 */
import xxhash from 'xxhash-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { XXH2_BATCH, XXH2_BATCH_BYTES, xxh64Finish, xxh64Pair } from '../../../../../lambdas/domain/rdb/codecs/xxh64x2-wasm.js';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { mulberry32 } from '../../../../support/prng.js';

type Reference = Awaited<ReturnType<typeof xxhash>>;
let ref: Reference;
beforeAll(async () => {
  ref = await xxhash();
});

/** Both streams of `bytes`, fed to a pair in the splits `cuts` gives (each batch's whole stripes run, the rest carried), as KeyListDigest feeds them. */
function pairOf(bytes: Uint8Array, a: bigint, b: bigint, cuts: () => number): [bigint, bigint] {
  const pair = xxh64Pair(a, b)!;
  const batch = pair.memory.subarray(XXH2_BATCH, XXH2_BATCH + XXH2_BATCH_BYTES);
  let at = 0;
  let hashed = 0;
  for (let from = 0; from < bytes.length; ) {
    const take = Math.min(bytes.length - from, cuts(), batch.length - at);
    batch.set(bytes.subarray(from, from + take), at);
    at += take;
    from += take;
    const whole = at & ~31;
    pair.run(XXH2_BATCH, XXH2_BATCH + whole);
    hashed += whole;
    batch.copyWithin(0, whole, at);
    at -= whole;
  }
  const tail = batch.slice(0, at);
  return [xxh64Finish(pair, 0, a, tail, hashed + at), xxh64Finish(pair, 1, b, tail, hashed + at)];
}

describe('xxh64Pair: two XXH64 streams in one pass', () => {
  it('equals xxhash-wasm for every length 0–300 and random ones up to 1 MB, whatever the splits and seeds', () => {
    const rand = mulberry32(64);
    const lengths = [...Array.from({ length: 301 }, (_, i) => i), ...Array.from({ length: 40 }, () => Math.floor(rand() * 1_000_000))];
    const seeds: [bigint, bigint][] = [
      [0n, 1n],
      [0x243f6a8885a308d3n, 0x2b7e151628aed2a6n],
      [0xffffffffffffffffn, 0x9e3779b185ebca87n],
    ];
    for (const n of lengths) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
      const [a, b] = seeds[n % seeds.length]!;
      const expected = [ref.create64(a).update(bytes).digest(), ref.create64(b).update(bytes).digest()];
      for (const cuts of [() => n + 1, () => 1 + Math.floor(rand() * 100), () => 1 + Math.floor(rand() * 70_000)]) {
        expect(pairOf(bytes, a, b, cuts), `${n} bytes`).toEqual(expected);
      }
    }
  });

  it('a changed byte, a byte more or a different seed changes the result (the negative cases)', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff);
    const one = () => 1000;
    const base = pairOf(bytes, 1n, 2n, one);
    const flipped = Uint8Array.from(bytes);
    flipped[517]! ^= 0x10;
    expect(pairOf(flipped, 1n, 2n, one)[0]).not.toBe(base[0]);
    expect(pairOf(flipped, 1n, 2n, one)[1]).not.toBe(base[1]);
    expect(pairOf(Uint8Array.from([...bytes, 0]), 1n, 2n, one)).not.toEqual(base);
    expect(pairOf(bytes, 3n, 2n, one)[0]).not.toBe(base[0]);
  });
});

describe('KeyListDigest on the pair', () => {
  it('is the two reference streams (seeds π and e) over the bytes it frames, long parts included', () => {
    const rand = mulberry32(7);
    const d = new KeyListDigest();
    const framed: Uint8Array[] = [];
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
    const bytes = Buffer.concat(framed);
    const hex = (seed: bigint) => ref.create64(seed).update(bytes).digest().toString(16).padStart(16, '0');
    expect(d.hex()).toBe(`${hex(0x243f6a8885a308d3n)}${hex(0x2b7e151628aed2a6n)}`);
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
