/**
 * The Redis Cluster hash slot of a key: CRC16 of the key, or of its `{hash
 * tag}`, modulo 16384. Pure, shared by the cluster adapter (where a key
 * goes) and the key index (which slots a shard's keys hold, so the shards of
 * one cluster are served as one keyspace without a lookup in each).
 */
/** Hash slots of every Redis Cluster. */
export const SLOT_COUNT = 16384;

/** The hash slot of a key (any bytes): {@link slotOfBytes} over the whole key. */
export function keySlot(key: Uint8Array): number {
  return slotOfBytes(key, 0, key.length);
}

/** CRC16/XMODEM's table (polynomial 0x1021), as Redis' crc16.c holds it (the key index's encoding steps it beside its own hash: index-file.ts). */
export const CRC16 = (() => {
  const t = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
    t[b] = c & 0xffff;
  }
  return t;
})();

/**
 * CRC16/XMODEM two bytes at a time (slicing by 2): entry x is the CRC of
 * byte x followed by a zero byte, so `crc` after bytes a, b is
 * `CRC16_2[(crc >> 8) ^ a] ^ CRC16[(crc & 0xff) ^ b]` (the CRC is linear):
 * two independent table reads a pair, half the chain of steps one byte at
 * a time (the key index's encoding steps it over every name).
 */
export const CRC16_2 = (() => {
  const t = new Uint16Array(256);
  for (let x = 0; x < 256; x++) t[x] = ((CRC16[x]! << 8) & 0xffff) ^ CRC16[CRC16[x]! >> 8]!;
  return t;
})();

/**
 * The hash slot of the name at `names[from, to)`, as Redis' `keyHashSlot`
 * (cluster.c) computes it: the first `{` opens a tag and the first `}`
 * after it closes it; a tag with bytes in it is hashed, else (no `{`, no
 * `}` after it, or `{}`) the whole name. CRC16/XMODEM modulo 16384.
 *
 * Hand-written, not the `cluster-key-slot` package ioredis uses: that one
 * goes on past an empty `{}` and hashes the bytes up to a later `}`
 * (`{}a}` → the slot of `a`, 15495, where redis-server 7.0's `CLUSTER
 * KEYSLOT` answers 4370; `x{}y{z}` 3559 against 15453), so a key of such a
 * name would be looked for, or sent, in the wrong shard
 * (test/lambdas/domain/keys/hash-slot.test.ts holds this function against
 * a real cluster-enabled redis-server). It also reads a name where it lies
 * in the key index's one names buffer, without a Buffer per key.
 */
export function slotOfBytes(names: Uint8Array, from: number, to: number): number {
  let open = from;
  while (open < to && names[open] !== 0x7b) open++;
  if (open < to) {
    let close = open + 1;
    while (close < to && names[close] !== 0x7d) close++;
    if (close < to && close > open + 1) return crc16(names, open + 1, close) & 0x3fff;
  }
  return crc16(names, from, to) & 0x3fff;
}

function crc16(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}
