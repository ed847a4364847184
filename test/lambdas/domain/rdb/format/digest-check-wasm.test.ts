import { describe, expect, it } from 'vitest';
import { loadWasmDigestCheck } from '../../../../../lambdas/domain/rdb/format/digest-check-wasm.js';
import { duplicateAmong } from '../../../../../lambdas/domain/rdb/format/key-digests.js';
import { mulberry32 } from '../../../../support/prng.js';

/** The reference: the database of the first record (in order) whose four words came before, or -1. */
function firstRepeat(parts: readonly Uint32Array[]): number {
  const seen = new Set<string>();
  for (const p of parts) {
    for (let i = 0; i + 4 <= p.length; i += 4) {
      const key = `${p[i]},${p[i + 1]},${p[i + 2]},${p[i + 3]}`;
      if (seen.has(key)) return p[i + 3]!;
      seen.add(key);
    }
  }
  return -1;
}

describe('the duplicate-key check in WebAssembly, and in JavaScript where WebAssembly is unavailable', () => {
  const check = loadWasmDigestCheck();
  if (!check) throw new Error('WebAssembly is unavailable: these tests need it');
  const run = check;
  const random = mulberry32(36);
  const word = (): number => Math.floor(random() * 2 ** 32);

  it('finds the first record seen before, in the order of the parts, as the reference does, over 300 random shards', () => {
    let found = 0;
    for (let round = 0; round < 300; round++) {
      const n = 2 + Math.floor(random() * 3000);
      const records: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = random();
        if (r < 0.002 && records.length > 0) {
          // A record again, or the same digest in another database (no duplicate).
          const at = 4 * Math.floor(random() * (records.length / 4));
          const again = records.slice(at, at + 4);
          if (random() < 0.5) again[3] = (again[3]! + 1) % 16;
          records.push(...again);
        } else if (r < 0.004 && records.length > 0) {
          // Lanes 1 and 2 alike, lane 3 different: the same probe, never the same record.
          const at = 4 * Math.floor(random() * (records.length / 4));
          records.push(records[at]!, records[at + 1]!, word(), records[at + 3]!);
        } else records.push(word(), word(), word(), Math.floor(random() * 16));
      }
      const all = Uint32Array.from(records);
      // In one part or cut into several, from any offset of their buffers.
      const cut = Math.floor(random() * n) * 4;
      const framed = new Uint32Array(all.length + 2);
      framed.set(all, 2);
      const parts = random() < 0.5 ? [all] : [framed.subarray(2, 2 + cut), framed.subarray(2 + cut)];
      const expected = firstRepeat([all]);
      expect(run(parts)).toBe(expected);
      // The JavaScript loop (where WebAssembly is unavailable) finds the same.
      expect(duplicateAmong(() => parts, 0, 1, null)?.db ?? -1).toBe(expected);
      if (expected >= 0) found++;
    }
    expect(found).toBeGreaterThan(50);
  });

  it('reports the database of a repeat whatever its number (the segment database 0xfffffffe too)', () => {
    for (const db of [0, 15, 0xfffffffe]) {
      const parts = [Uint32Array.from([1, 2, 3, db, 4, 5, 6, db, 1, 2, 3, db])];
      expect(run(parts)).toBe(db);
    }
    expect(run([Uint32Array.from([1, 2, 3, 0, 1, 2, 3, 1])])).toBe(-1);
  });

  it('grows its memory to a shard of 200,000 records and still finds the last one twice', () => {
    const n = 200_000;
    const all = new Uint32Array(4 * n);
    for (let i = 0; i < n; i++) all.set([i, word(), word(), 0], 4 * i);
    all.set(all.subarray(4 * 123, 4 * 124), 4 * (n - 1));
    expect(run([all])).toBe(0);
    expect(run([all.subarray(0, 4 * (n - 1))])).toBe(-1);
  });
});
