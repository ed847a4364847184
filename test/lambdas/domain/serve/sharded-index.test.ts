import { describe, expect, it } from 'vitest';
import { keySlot } from '../../../../lambdas/domain/keys/hash-slot.js';
import { encodeKeyIndex } from '../../../../lambdas/domain/serve/index-write.js';
import { type ColumnKeyIndex, KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { indexInMemory, type PagedKeyIndex } from '../../../../lambdas/domain/serve/paged-index.js';
import { ShardedKeyIndex } from '../../../../lambdas/domain/serve/sharded-index.js';

const COPY = { bytes: 100_000_000, trailer: '0123456789abcdef' };
const N = 6_000;
const name = (i: number): Buffer => Buffer.from(`user:${i}`);

/** One shard's keys: those of `names`, at offsets within the shard. */
function shard(names: readonly Buffer[]): ColumnKeyIndex {
  const b = new KeyIndexBuilder();
  for (const [i, n] of names.entries()) {
    b.add({ db: 0, name: n, type: 0, valueAt: 10 + i * 100, valueEnd: 60 + i * 100, expireAtMs: i % 4 === 0 ? 5_000 + i : null });
  }
  return b.finish(10);
}

function paged(index: ColumnKeyIndex): PagedKeyIndex {
  const opened = indexInMemory(encodeKeyIndex(index, COPY, false), COPY);
  if (!('index' in opened)) throw new Error(opened.problem);
  return opened.index;
}

describe('ShardedKeyIndex', () => {
  // A cluster of three shards: each key in the shard owning its slot (5,461 slots each).
  const names = Array.from({ length: N }, (_, i) => name(i));
  const bySlot = [0, 1, 2].map((s) => names.filter((n) => Math.min(2, Math.floor(keySlot(n) / 5462)) === s));
  const held = bySlot.map(shard);
  const bases = [0, 1e6, 2e6];

  it('answers every key as one keyspace, asking only the shard that holds its slot (one block read a lookup)', () => {
    // Two shards read by blocks from their index files, one held (read whole).
    const shards = [paged(held[0]!), paged(held[1]!), held[2]!];
    const one = new ShardedKeyIndex(shards.map((index, i) => ({ index, base: bases[i]! })));
    expect(one.keys).toBe(N);
    expect(one.size(0)).toBe(N);
    expect(one.databases()).toEqual([0]);
    expect(one.expiries(0, 5_100)).toEqual(
      held.map((h) => h.expiries(0, 5_100)).reduce((a, e) => ({ expired: a.expired + e.expired, live: a.live + e.live, ttlSumMs: a.ttlSumMs + e.ttlSumMs })),
    );
    expect(one.firstDuplicate()).toBeUndefined();
    const reads = () => (shards[0] as PagedKeyIndex).blocksRead + (shards[1] as PagedKeyIndex).blocksRead;
    for (let i = 0; i < N; i += 97) {
      const s = bySlot.findIndex((list) => list.some((n) => n.equals(name(i))));
      const before = reads();
      const pos = one.find(0, name(i));
      expect(pos).toBeGreaterThanOrEqual(0);
      expect(one.nameAt(0, pos)).toEqual(name(i));
      const own = held[s]!.entry(0, held[s]!.find(0, name(i)));
      expect(one.entry(0, pos)).toEqual({ ...own, valueAt: bases[s]! + own.valueAt, valueEnd: bases[s]! + own.valueEnd });
      // Only the owning shard was asked: a paged one read at most its one block.
      expect(reads() - before).toBeLessThanOrEqual(1);
    }
    expect(one.find(0, Buffer.from('no-such-key'))).toBe(-1);
    // Every position walks every shard's keys once.
    const seen = new Set<string>();
    for (let pos = 0; pos < one.size(0); pos++) seen.add(one.nameAt(0, pos).toString());
    expect(seen.size).toBe(N);
  });

  it('refuses shards of two clusters: a key two shards hold, found among the slots they share', () => {
    const a = shard(names.slice(0, 3_000));
    const b = shard(names.slice(2_999, 5_000));
    const two = new ShardedKeyIndex([
      { index: paged(a), base: 0 },
      { index: b, base: 1e6 },
    ]);
    expect(two.firstDuplicate()).toEqual(name(2_999));
    // Overlapping slots but no shared name: not refused.
    const c = shard(names.slice(3_000, 5_000));
    expect(
      new ShardedKeyIndex([
        { index: paged(a), base: 0 },
        { index: c, base: 1e6 },
      ]).firstDuplicate(),
    ).toBeUndefined();
  });
});
