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
