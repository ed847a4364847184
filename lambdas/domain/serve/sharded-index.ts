/**
 * The shards of one cluster's recovery point (one file a shard) served as
 * one keyspace, each shard's own index kept as it is (read by blocks from
 * its index file, or held when the shard was read whole): nothing is merged
 * or copied. A database's positions are the shards' laid end to end (shard
 * 0's keys, then shard 1's …), and a key's value offset is shifted by its
 * shard's base (the shards' bytes laid end to end: one number says which
 * shard and where). A lookup asks only the shards whose keys fall in the
 * key's hash slot (in a cluster, one), by the slot map each index keeps.
 */
import { keySlot } from '../keys/hash-slot.js';
import type { IndexedKey, KeyIndex } from './key-index.js';

/** One shard: its index, and where its bytes start among the shards'. */
export interface Shard {
  readonly index: KeyIndex;
  readonly base: number;
}

const has = (map: Uint8Array, slot: number): boolean => (map[slot >> 3]! & (1 << (slot & 7))) !== 0;

/** Shards of one point as one {@link KeyIndex} (see the module's comment). */
export class ShardedKeyIndex implements KeyIndex {
  readonly rdbVersion: number;
  readonly keys: number;
  readonly storedBytes: number;
  private readonly maps: Uint8Array[];

  constructor(private readonly shards: readonly Shard[]) {
    this.rdbVersion = Math.max(...shards.map((s) => s.index.rdbVersion));
    this.keys = shards.reduce((n, s) => n + s.index.keys, 0);
    this.storedBytes = shards.reduce((n, s) => n + s.index.storedBytes, 0);
    this.maps = shards.map((s) => s.index.slotMap());
  }

  databases(): number[] {
    return [...new Set(this.shards.flatMap((s) => s.index.databases()))].sort((a, b) => a - b);
  }

  size(db: number): number {
    return this.shards.reduce((n, s) => n + s.index.size(db), 0);
  }

  expiries(db: number, now: number): { expired: number; live: number; ttlSumMs: number } {
    const out = { expired: 0, live: 0, ttlSumMs: 0 };
    for (const s of this.shards) {
      const e = s.index.expiries(db, now);
      out.expired += e.expired;
      out.live += e.live;
      out.ttlSumMs += e.ttlSumMs;
    }
    return out;
  }

  slotMap(): Uint8Array {
    const map = new Uint8Array(this.maps[0]!.length);
    for (const m of this.maps) for (let i = 0; i < m.length; i++) map[i]! |= m[i]!;
    return map;
  }

  /** The shard of position `pos` of `db`, and the position within it. */
  private locate(db: number, pos: number): { shard: Shard; at: number } {
    let at = pos;
    for (const shard of this.shards) {
      const n = shard.index.size(db);
      if (at >= 0 && at < n) return { shard, at };
      at -= n;
    }
    throw new RangeError(`no key at position ${pos} of database ${db}`);
  }

  find(db: number, name: Buffer): number {
    const slot = keySlot(name);
    let before = 0;
    for (let i = 0; i < this.shards.length; i++) {
      const index = this.shards[i]!.index;
      if (has(this.maps[i]!, slot)) {
        const pos = index.find(db, name);
        if (pos >= 0) return before + pos;
      }
      before += index.size(db);
    }
    return -1;
  }

  /**
   * A name two shards hold (shards of two clusters served as one). Shards
   * whose keys fall in no common hash slot cannot share a name: only the
   * keys of a slot two shards hold are looked up in the others.
   */
  firstDuplicate(): Buffer | undefined {
    for (const s of this.shards) {
      const twin = s.index.firstDuplicate();
      if (twin) return twin;
    }
    for (let i = 0; i < this.shards.length; i++) {
      const shared = new Uint8Array(this.maps[i]!.length);
      let any = false;
      for (let j = 0; j < this.shards.length; j++) {
        if (j === i) continue;
        for (let b = 0; b < shared.length; b++) {
          shared[b]! |= this.maps[i]![b]! & this.maps[j]![b]!;
          any ||= shared[b] !== 0;
        }
      }
      if (!any) continue;
      const index = this.shards[i]!.index;
      for (const db of index.databases())
        for (let pos = 0; pos < index.size(db); pos++) {
          const name = index.nameAt(db, pos);
          if (!has(shared, keySlot(name))) continue;
          for (let j = i + 1; j < this.shards.length; j++) if (this.shards[j]!.index.find(db, name) >= 0) return name;
        }
    }
    return undefined;
  }

  nameAt(db: number, pos: number): Buffer {
    const { shard, at } = this.locate(db, pos);
    return shard.index.nameAt(db, at);
  }

  typeAt(db: number, pos: number): number {
    const { shard, at } = this.locate(db, pos);
    return shard.index.typeAt(db, at);
  }

  expireAtMs(db: number, pos: number): number | null {
    const { shard, at } = this.locate(db, pos);
    return shard.index.expireAtMs(db, at);
  }

  entry(db: number, pos: number): IndexedKey {
    const { shard, at } = this.locate(db, pos);
    const e = shard.index.entry(db, at);
    return { ...e, valueAt: shard.base + e.valueAt, valueEnd: shard.base + e.valueEnd };
  }
}
