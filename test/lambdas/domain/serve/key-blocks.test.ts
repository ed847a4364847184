import { describe, expect, it } from 'vitest';
import { keySlot, SLOT_COUNT } from '../../../../lambdas/domain/keys/hash-slot.js';
import type { KeyPlaces } from '../../../../lambdas/domain/rdb/keys.js';
import { encodeKeyIndex, indexBytesFor } from '../../../../lambdas/domain/serve/index-write.js';
import { KeyBlocks } from '../../../../lambdas/domain/serve/key-blocks.js';
import { type IndexedKey, KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { indexInMemory } from '../../../../lambdas/domain/serve/paged-index.js';
import { decodeKeySegment, KeySegmentBuilder } from '../../../../lambdas/domain/serve/index-segment.js';

const COPY = { bytes: 2 ** 40, trailer: '0123456789abcdef' };

/** `count` seeded keys of databases `dbs` (each a run, in the order given), values one after the other; names 1–60 bytes. */
function keysOf(dbs: readonly (readonly [db: number, keys: number])[], seed = 7): IndexedKey[] {
  let s = seed;
  const rand = (m: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % m;
  };
  const keys: IndexedKey[] = [];
  let at = 9;
  for (const [db, count] of dbs)
    for (let i = 0; i < count; i++) {
      const name = Buffer.alloc(1 + rand(60));
      for (let j = 0; j < name.length; j++) name[j] = rand(256);
      const valueAt = at + name.length + 2;
      const valueEnd = valueAt + rand(300);
      at = valueEnd;
      // Type 22 (a hash with field TTLs) now and then: the directory's fieldTtlBlocks.
      keys.push({ db, name, type: rand(40) === 0 ? 22 : rand(5), valueAt, valueEnd, expireAtMs: rand(3) === 0 ? 1.9e12 + rand(1e6) : null });
    }
  return keys;
}

function place(into: KeyPlaces, keys: readonly IndexedKey[]): void {
  for (const k of keys) into.place(k.db, k.type, k.name, 0, k.name.length, k.valueAt, k.valueEnd, k.expireAtMs ?? Number.NaN);
}

/** The index file `encodeKeyIndex` writes of `keys` (rows and names laid flat: what other writers do). */
function flatFile(keys: readonly IndexedKey[], rdbVersion: number): Buffer {
  const b = new KeyIndexBuilder();
  place(b, keys);
  return encodeKeyIndex(b.finish(rdbVersion), COPY, false);
}

function blocksFile(keys: readonly IndexedKey[], rdbVersion: number, sized = false): Buffer {
  const b = new KeyBlocks();
  let placed = 0;
  if (sized) b.growBy({ share: () => placed / keys.length, rowsBytes: (k, names) => indexBytesFor(k, names) });
  for (const k of keys) {
    b.place(k.db, k.type, k.name, 0, k.name.length, k.valueAt, k.valueEnd, k.expireAtMs ?? Number.NaN);
    placed++;
  }
  return b.encode(COPY, rdbVersion, false);
}

describe('the key index collected as its blocks (KeyBlocks)', () => {
  it.each([
    ['one database, a partial last block', [[0, 1_000]], 11],
    [
      'three databases, each ending in a short block (RDB 12: blocks holding hashes with field TTLs named)',
      [
        [0, 130],
        [2, 64],
        [5, 3_001],
      ],
      12,
    ],
    [
      'a database of one key between two',
      [
        [1, 200],
        [3, 1],
        [9, 65],
      ],
      12,
    ],
    ['no keys', [], 11],
  ] as const)('writes the bytes encodeKeyIndex writes of the same keys: %s', (_, dbs, rdbVersion) => {
    const keys = keysOf(dbs);
    const expected = flatFile(keys, rdbVersion);
    expect(blocksFile(keys, rdbVersion).equals(expected)).toBe(true);
    // Grown at once to the index file's size (the DR index's sizing): the file finished in the same buffer, same bytes.
    expect(blocksFile(keys, rdbVersion, true).equals(expected)).toBe(true);
    const read = indexInMemory(expected, COPY);
    if (!('index' in read)) throw new Error(read.problem);
    expect(read.index.keys).toBe(keys.length);
  });

  it('writes other bytes for other keys (the comparison above can fail)', () => {
    const keys = keysOf([[0, 300]]);
    const changed = keys.map((k, i) => (i === 150 ? { ...k, expireAtMs: 1 } : k));
    expect(blocksFile(changed, 11).equals(flatFile(keys, 11))).toBe(false);
  });

  it('drops the keys past an offset (the second thread’s part taken) across closed blocks, short and full, then goes on', () => {
    const keys = keysOf([
      [0, 200],
      [1, 10],
      [4, 150],
    ]);
    const later = keysOf(
      [
        [4, 70],
        [6, 90],
      ],
      99,
    ).map((k) => ({ ...k, valueAt: k.valueAt + 2 ** 30, valueEnd: k.valueEnd + 2 ** 30 }));
    // Cut inside database 0's full blocks, at database 1's short block, and in database 4's open block.
    for (const cut of [100, 128, 200, 205, 210, 300, 360, 0]) {
      const b = new KeyBlocks();
      place(b, keys);
      b.dropPast(cut === 0 ? 0 : keys[cut - 1]!.valueEnd);
      expect(b.keys).toBe(cut);
      place(b, later);
      const kept = [...keys.slice(0, cut), ...later];
      expect(b.encode(COPY, 11, false).equals(flatFile(kept, 11)), `cut after ${cut} keys`).toBe(true);
    }
  });

  it('appends a checked segment’s rows a block’s run at a time (the second thread’s part): the same file as key by key', () => {
    const keys = keysOf([
      [0, 100],
      [2, 30],
    ]);
    const later = keysOf(
      [
        [2, 150],
        [3, 1],
        [7, 200],
      ],
      5,
    ).map((k) => ({ ...k, valueAt: k.valueAt + 2 ** 30, valueEnd: k.valueEnd + 2 ** 30 }));
    const of = { etag: undefined, versionId: undefined, start: 2 ** 30, end: 2 ** 31 };
    const segment = new KeySegmentBuilder();
    place(segment, later);
    for (const cut of [130, 120, 64]) {
      const b = new KeyBlocks();
      place(b, keys);
      b.dropPast(keys[cut - 1]!.valueEnd);
      expect(decodeKeySegment(segment.encode(of), of, b)).toBeUndefined();
      expect(b.keys).toBe(cut + later.length);
      expect(b.encode(COPY, 11, false).equals(flatFile([...keys.slice(0, cut), ...later], 11)), `cut after ${cut} keys`).toBe(true);
    }
  });

  it('counts its keys by database, and lays them flat as rows and names', () => {
    const keys = keysOf([
      [0, 70],
      [3, 5],
    ]);
    const b = new KeyBlocks();
    place(b, keys);
    expect([b.keys, b.size(0), b.size(3), b.size(1)]).toEqual([75, 70, 5, 0]);
    const flat = b.flat().finish(11);
    for (const [i, k] of keys.entries()) expect(flat.entry(k.db, k.db === 0 ? i : i - 70)).toEqual(k);
  });

  it('encodes keys whose databases do not come ascending through encodeKeyIndex (grouped by database)', () => {
    const keys = [...keysOf([[2, 80]]), ...keysOf([[0, 70]], 3), ...keysOf([[2, 5]], 5)];
    const file = blocksFile(keys, 11);
    expect(file.equals(flatFile(keys, 11))).toBe(true);
    const read = indexInMemory(file, COPY);
    if (!('index' in read)) throw new Error(read.problem);
    expect([read.index.size(0), read.index.size(2)]).toEqual([70, 85]);
  });

  it('takes no slot once every slot is set (a keyspace of 200,000 keys), placed or appended: the same file, every slot in its map', () => {
    // Names of 4–15 random bytes: every one of the 16,384 slots is set within the first ~170,000 keys, by chance.
    // xorshift32 (the linear congruential generator of keysOf leaves slots out: its low bits repeat).
    let s = 11;
    const rand = (m: number): number => {
      s = (s ^ (s << 13)) >>> 0;
      s ^= s >>> 17;
      s = (s ^ (s << 5)) >>> 0;
      return s % m;
    };
    const keys: IndexedKey[] = [];
    for (let i = 0, at = 9; i < 200_000; i++, at += 40) {
      const name = Buffer.alloc(4 + rand(12));
      for (let j = 0; j < name.length; j++) name[j] = rand(256);
      keys.push({ db: 0, name, type: 0, valueAt: at + 20, valueEnd: at + 40, expireAtMs: null });
    }
    const seen = new Set<number>();
    const filledAt = keys.findIndex((k) => seen.add(keySlot(k.name)).size === SLOT_COUNT);
    expect(filledAt).toBeGreaterThan(100_000);
    expect(filledAt).toBeLessThan(190_000);
    const expected = flatFile(keys, 11);
    const read = indexInMemory(expected, COPY);
    if (!('index' in read)) throw new Error(read.problem);
    expect(read.index.slotMap().every((b) => b === 0xff)).toBe(true);
    expect(blocksFile(keys, 11).equals(expected)).toBe(true);
    // The map filled while rows are appended (a second thread's part from key 10,000 on), and before (from key 190,000 on).
    for (const cut of [10_000, 190_000]) {
      const of = { etag: undefined, versionId: undefined, start: keys[cut]!.valueAt - 20, end: 2 ** 40 };
      const segment = new KeySegmentBuilder();
      place(segment, keys.slice(cut));
      const b = new KeyBlocks();
      place(b, keys.slice(0, cut));
      expect(decodeKeySegment(segment.encode(of), of, b)).toBeUndefined();
      expect(b.encode(COPY, 11, false).equals(expected), `appended from key ${cut}`).toBe(true);
    }
  });

  it('refuses a value past what a row holds, never holding it wrong', () => {
    const b = new KeyBlocks();
    expect(() => b.place(0, 0, Buffer.from('k'), 0, 1, 2 ** 48, 2 ** 48 + 1, Number.NaN)).toThrow(RangeError);
    expect(() => b.place(0, 0, Buffer.from('k'), 0, 1, 10, 10 + 2 ** 40, Number.NaN)).toThrow(RangeError);
    expect(b.keys).toBe(0);
  });
});
