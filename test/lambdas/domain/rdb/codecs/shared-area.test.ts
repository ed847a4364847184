/**
 * The shared WebAssembly memory of a conversion (codecs/shared-area.ts): its
 * slots never overlap and come back when given back, it says none is left
 * when it is used up, it answers where an array lies (or that it does not lie
 * in it) whatever it was asked before, and its copy is a memmove. Then the
 * parts that work in it give the same bytes with a slot and without one (the
 * area used up: memory of their own, as before): the key-list digest, the
 * RDB buffer, the file writer.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharedArea } from '../../../../../lambdas/domain/rdb/codecs/shared-area.js';
import { XXH3_SLOT_BYTES } from '../../../../../lambdas/domain/rdb/codecs/xxh3-wasm.js';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { RdbFileWriter } from '../../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { mulberry32 } from '../../../../support/prng.js';

const area = sharedArea()!;
const random = mulberry32(40);
const bytesOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/** Where the next slot goes when the file starts: every test leaves the area so (its slots given back, the last first). */
const top = area.take(8)!;
area.give(top, 8);
function leftAsItWas(): void {
  const t = area.take(8);
  if (t !== undefined) area.give(t, 8);
  expect(t, 'the area as the test found it').toBe(top);
}

/** Slots taken here are given back at the end of each test (the cases after use the area too). */
function taking<T>(f: (take: (n: number) => number) => T): T {
  const taken: [number, number][] = [];
  try {
    return f((n) => {
      const at = area.take(n);
      if (at === undefined) throw new Error(`no slot of ${n} bytes left`);
      taken.push([at, n]);
      return at;
    });
  } finally {
    for (const [at, n] of taken.reverse()) area.give(at, n);
  }
}

describe('sharedArea', () => {
  afterEach(leftAsItWas);
  it('is one memory, made once: the same area whoever asks', () => {
    expect(area).toBeDefined();
    expect(sharedArea()).toBe(area);
    expect(area.bytes.buffer).toBe(area.buffer);
  });

  it('takes slots page-aligned that never overlap each other nor the walks part, and gives one back for the next of its size', () => {
    taking((take) => {
      const sizes = [1, 7, 8, 9, 100, 4096, 65_537, 3];
      const slots = sizes.map((n) => [take(n), n] as const);
      // Page-aligned: a file is read into one (the CRC-64 loop's input area), which the kernel copies fastest there.
      for (const [at] of slots) expect(at % 4096).toBe(0);
      const sorted = [...slots].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0], 'slots overlap').toBeGreaterThanOrEqual(sorted[i - 1]![0] + sorted[i - 1]![1]);
      // Nothing below the walks' part (codecs/shared-area.ts WALKS_BYTES: the CRC-64 loop's tables and the walks' regions).
      expect(sorted[0]![0]).toBeGreaterThanOrEqual(12 << 20);
      const [at100] = slots[4]!;
      area.give(at100, 100);
      expect(area.take(100), 'the slot given back').toBe(at100);
      // Another size does not take it (slots are kept by size).
      const again = area.take(100);
      expect(again).not.toBe(at100);
      if (again !== undefined) area.give(again, 100);
    });
  });

  it('says none is left when the memory is used up, and has room again once the last slot taken comes back', () => {
    withAreaUsedUp((held) => {
      expect(held.length).toBeGreaterThan(1);
      // The end of the memory is never passed: 64 bytes kept after the last slot (the walks read up to 15 past a listpack).
      const [lastAt, lastBytes] = held.at(-1)!;
      expect(lastAt + lastBytes + 64).toBeLessThanOrEqual(area.bytes.length);
      expect(area.take(8)).toBeUndefined();
      // The last one given back: its room is had again, by a slot of any size within it.
      area.give(lastAt, lastBytes);
      const small = area.take(8);
      expect(small).toBe(lastAt);
      area.give(small!, 8);
      expect(area.take(lastBytes)).toBe(lastAt);
    });
  });

  it("answers where a view of it lies, -1 for any other array, whatever it was asked before (its cache is by the array's identity)", () => {
    taking((take) => {
      const at1 = take(64);
      const at2 = take(64);
      const at3 = take(64);
      const v1 = area.bytes.subarray(at1, at1 + 64);
      const v2 = area.bytes.subarray(at2 + 8, at2 + 64);
      const v3 = new Uint8Array(area.buffer, at3, 64);
      const foreign = new Uint8Array(64);
      const otherMemory = new Uint8Array(new ArrayBuffer(area.bytes.length));
      const expected = new Map<Uint8Array, number>([
        [v1, at1],
        [v2, at2 + 8],
        [v3, at3],
        [foreign, -1],
        [otherMemory, -1],
        [area.bytes, 0],
      ]);
      const asked = [v1, v2, v1, foreign, v1, v3, v2, v3, otherMemory, v2, area.bytes, v1, v1, v2, foreign, foreign, v3];
      for (const [i, a] of asked.entries()) expect(area.offsetOf(a), `question ${i}`).toBe(expected.get(a));
      // `knows`: the area's own view, and the last two arrays asked about, nothing else.
      expect(area.knows(area.bytes)).toBe(true);
      expect(area.knows(foreign)).toBe(true);
      expect(area.knows(v3)).toBe(true);
      expect(area.knows(v1)).toBe(false);
      expect(area.knows(new Uint8Array(8))).toBe(false);
    });
  });

  it('copies as memmove does: forwards, backwards and overlapping either way', () => {
    taking((take) => {
      const n = 4096;
      const at = take(2 * n);
      for (const [dst, src, len] of [
        [n, 0, n],
        [0, n, n],
        [100, 0, 3000],
        [0, 100, 3000],
        [5, 3, 1],
        [17, 9, 200],
        [9, 17, 200],
        [0, 0, 50],
      ] as const) {
        const before = bytesOf(2 * n);
        area.bytes.set(before, at);
        const expected = Uint8Array.from(before);
        expected.copyWithin(dst, src, src + len);
        area.copy(at + dst, at + src, len);
        expect(Buffer.from(area.bytes.subarray(at, at + 2 * n)).equals(Buffer.from(expected)), `copy(${dst}, ${src}, ${len})`).toBe(true);
      }
    });
  });
});

/** Fills the area's free room so that nothing more is had from it (`f` gets the slots taken, in order); gives it all back. */
function withAreaUsedUp<T>(f: (held: [number, number][]) => T): T {
  const held: [number, number][] = [];
  try {
    for (const n of [1 << 24, 1 << 20, 1 << 16, 1 << 12, 64, 8]) {
      for (let at = area.take(n); at !== undefined; at = area.take(n)) held.push([at, n]);
    }
    expect(area.take(8)).toBeUndefined();
    return f(held);
  } finally {
    for (const [at, n] of held.reverse()) area.give(at, n);
  }
}

describe('the parts working in the shared area, with a slot and without one', () => {
  afterEach(leftAsItWas);
  /** Feeds a digest keys whose bytes are `src`'s (random, seeded `seed`), in short and long runs and framed parts. */
  function feed(d: KeyListDigest, src: Uint8Array, seed: number): string {
    const r = mulberry32(seed);
    for (let i = 0; i < src.length; i++) src[i] = Math.floor(r() * 256);
    for (let k = 0; k < 400; k++) {
      const from = Math.floor(r() * 1000);
      const n = [1, 3, 5, 31, 32, 33, 64, 200, 5000, 40_000][k % 10]!;
      const name = src.subarray(from, from + 1 + (k % 7));
      d.addRaw(k % 3, name, k % 5, src.subarray(from, from + n), k % 4 === 0 ? 1_900_000_000_000 + k : null);
      d.framed(src, from + 3, from + 3 + n);
      d.part(src, from, from + (n >> 1));
    }
    return d.hex();
  }

  it('the key-list digest is the same, its batch in a slot or in its own memory, the bytes in the area or not', () => {
    taking((take) => {
      const room = 1 << 16;
      const at = take(room);
      const inArea = area.bytes.subarray(at, at + room);
      const foreign = new Uint8Array(room);
      const inSlot = feed(new KeyListDigest(), inArea, 7);
      expect(feed(new KeyListDigest(), foreign, 7)).toBe(inSlot);
      const own = withAreaUsedUp(() => [feed(new KeyListDigest(), inArea, 7), feed(new KeyListDigest(), foreign, 7)]);
      expect(own).toEqual([inSlot, inSlot]);
      // The check can fail: other bytes, another digest.
      expect(feed(new KeyListDigest(), inArea, 8)).not.toBe(inSlot);
    });
  });

  it('a digest gives its slot back when it is done (2,000 made and finished one after another leave the area as it was), and takes nothing after', () => {
    // Were each to keep its slot (about 256 KiB), 2,000 would need 500 MB: the area (48 MiB) would be used up.
    for (let i = 0; i < 2000; i++) {
      const d = new KeyListDigest();
      d.part(Uint8Array.of(i & 0xff));
      expect(d.hex()).toMatch(/^[0-9a-f]{32}$/);
    }
    // Done, it takes nothing more: the slot may be another digest's now (the same digest asked again says the same).
    const d = new KeyListDigest();
    d.addRaw(0, Buffer.from('k'), 0, Buffer.from('v'), null);
    const hex = d.hex();
    const next = new KeyListDigest(); // in the slot just given back
    next.part(Buffer.from('other'));
    expect(() => d.part(Buffer.from('x'))).toThrow(/written after its digest was made/);
    expect(() => d.framed(Buffer.alloc(1 << 20), 0, 1 << 20)).toThrow(/written after its digest was made/);
    expect(() => d.valueHead(0, Buffer.from('k'), null)).toThrow(/written after its digest was made/);
    expect(d.hex()).toBe(hex);
    next.hex();
  });

  it('a digest let go without its digest made gives its slot back when it is collected', async () => {
    // The collector on demand, in this worker only (the flag, then the function from a new context).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const give = vi.spyOn(area, 'give');
    try {
      // One left unfinished in a scope of its own, only a weak reference to it kept; the slot it took (where it is in
      // the area depends on what the worker's other files gave back before).
      const { ref, slot } = (() => {
        const d = new KeyListDigest();
        d.part(Buffer.from('never finished'));
        return { ref: new WeakRef(d), slot: (d as unknown as { slot: number }).slot };
      })();
      expect(slot).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < 50 && !give.mock.calls.some(([at]) => at === slot); i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(ref.deref(), 'collected').toBeUndefined();
      expect(give.mock.calls, 'its slot given back').toContainEqual([slot, XXH3_SLOT_BYTES]);
    } finally {
      give.mockRestore();
    }
  });

  it('a digest that cannot run (no WebAssembly for its module) gives the slot it took back before it throws', () => {
    const give = vi.spyOn(area, 'give');
    const take = vi.spyOn(area, 'take');
    vi.stubGlobal('WebAssembly', undefined);
    try {
      expect(() => new KeyListDigest()).toThrow(/WebAssembly with SIMD is unavailable/);
    } finally {
      vi.unstubAllGlobals();
    }
    try {
      const taken = take.mock.results.filter((r) => r.type === 'return' && r.value !== undefined).map((r) => r.value as number);
      expect(taken).toHaveLength(1);
      expect(give.mock.calls).toEqual([[taken[0], XXH3_SLOT_BYTES]]);
    } finally {
      give.mockRestore();
      take.mockRestore();
    }
  });

  /** An RdbOut in the area (a slot of `slotBytes`) or in memory of its own, fed the same writes from the area or not. */
  function written(out: RdbOut, inArea: boolean, seed: number): Buffer {
    const r = mulberry32(seed);
    return taking((take) => {
      const room = 1 << 16;
      const at = take(room);
      const src = inArea ? area.bytes.subarray(at, at + room) : new Uint8Array(room);
      for (let i = 0; i < src.length; i++) src[i] = Math.floor(r() * 256);
      for (let k = 0; k < 300; k++) {
        const from = Math.floor(r() * 1000);
        const n = [0, 1, 4, 5, 31, 32, 33, 100, 3000, 20_000][k % 10]!;
        out
          .byte(k & 0xff)
          .len(n)
          .bytes(src, from, from + n)
          .int64(k);
      }
      return Buffer.from(out.take());
    });
  }

  it('an RdbOut writes the same bytes in a slot of the area (past its room: grown out of it) and in its own buffer', () => {
    const own = written(new RdbOut(), false, 11);
    expect(written(new RdbOut(), true, 11).equals(own)).toBe(true);
    taking((take) => {
      for (const slotBytes of [1 << 22, 4096]) {
        const at = take(slotBytes);
        const inSlot = (): RdbOut => new RdbOut(area.bytes.subarray(at, at + slotBytes), area);
        expect(written(inSlot(), true, 11).equals(own), `slot of ${slotBytes}, bytes from the area`).toBe(true);
        expect(written(inSlot(), false, 11).equals(own), `slot of ${slotBytes}, bytes from elsewhere`).toBe(true);
      }
    });
    expect(written(new RdbOut(), true, 12).equals(own)).toBe(false);
  });

  /** A file written by an RdbFileWriter whose trailer is the caller's, its chunks joined. */
  function file(seed: number): Buffer {
    const r = mulberry32(seed);
    const w = new RdbFileWriter({ magic: 'REDIS', version: 9 }, [['redis-ver', '6.2.0']], { trailerByCaller: true });
    const chunks: Buffer[] = [];
    for (let k = 0; k < 3000; k++) {
      const n = k % 50 === 0 ? 300_000 : Math.floor(r() * 2000);
      const value = new RdbOut(n + 8).string(Buffer.alloc(n, 97 + (k % 26))).view();
      w.key(k % 4, Buffer.from(`key:${k}`), 0, value, k % 3 === 0 ? 1_900_000_000_000 + k : null);
      while (w.full) chunks.push(Buffer.from(w.chunk()));
    }
    chunks.push(Buffer.from(w.chunk()), Buffer.from(w.end()));
    return Buffer.concat(chunks);
  }

  it('the file writer hands out the same file with its buffers in the area and in memory of its own', () => {
    const inArea = file(3);
    expect(inArea.length).toBeGreaterThan(8 << 20);
    expect(withAreaUsedUp(() => file(3)).equals(inArea)).toBe(true);
    // Ended, it gave its slot back: another writer after it is in the area again, and writes the same.
    expect(file(3).equals(inArea)).toBe(true);
    expect(file(4).equals(inArea)).toBe(false);
  });
});
