/**
 * The Redis Cluster hash slot of a key: CRC16 of the key, or of its `{hash
 * tag}`, modulo 16384. Pure, shared by the cluster adapter (where a key
 * goes) and the key index (which slots a shard's keys hold, so the shards of
 * one cluster are served as one keyspace without a lookup in each).
 */
// ioredis' own key → slot function (CRC16 of the key or its {hash tag}); it
// takes Buffers as bytes and ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const calculateSlot: (key: Buffer | string) => number = require('cluster-key-slot');

/** Hash slots of every Redis Cluster. */
export const SLOT_COUNT = 16384;

/** The hash slot of a key (any bytes). */
export function keySlot(key: Buffer): number {
  return calculateSlot(key);
}

/** CRC16/XMODEM's table (polynomial 0x1021), as Redis' crc16.c and cluster-key-slot hold it. */
const CRC16 = (() => {
  const t = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
    t[b] = c & 0xffff;
  }
  return t;
})();

/**
 * The hash slot of the name at `names[from, to)`: {@link keySlot}'s answer
 * for those bytes, key by key the same (test/lambdas/domain/keys/hash-slot.test.ts
 * holds it, hash tags and their edge cases included). Hand-written beside
 * cluster-key-slot because that takes one Buffer a call: the key index's
 * slot map made a Buffer view of each name in its one names buffer for it
 * (about 0.15 CPU-s of 2 million keys); this reads the bytes where they lie.
 * The same steps as cluster-key-slot's loop: the first `{` opens a tag,
 * the first `}` after a non-empty one closes it and the tag's CRC is the
 * slot; else the whole name's.
 */
export function slotOfBytes(names: Uint8Array, from: number, to: number): number {
  let open = -1;
  let whole = 0;
  let tag = 0;
  for (let i = from; i < to; i++) {
    const c = names[i]!;
    if (open === -1) {
      if (c === 0x7b) open = i;
    } else if (c !== 0x7d) tag = ((tag << 8) & 0xffff) ^ CRC16[((tag >> 8) ^ c) & 0xff]!;
    else if (i - 1 !== open) return tag & 0x3fff;
    whole = ((whole << 8) & 0xffff) ^ CRC16[((whole >> 8) ^ c) & 0xff]!;
  }
  return whole & 0x3fff;
}
