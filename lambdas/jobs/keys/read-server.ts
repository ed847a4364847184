/**
 * The reader of `migrate` from a live server or cluster: each shard of the
 * source read as batches of keys with their DUMP payloads and absolute
 * expiry times (SCAN, then pipelined PEXPIRETIME + DUMP; keys that moved
 * followed through the source's slot routing), and the source's size for
 * the eviction guard. The writer (writer.ts) takes the batches.
 */
import type { DumpedKey } from '../../adapters/redis/dump-restore.js';
import { dumpBatches } from '../../adapters/redis/dump-restore.js';
import type { Keyspace } from '../../adapters/redis/keyspace.js';
import { sourceDatasetBytes } from '../../adapters/redis/memory.js';
import type { RespPipe } from '../../adapters/redis/resp-pipe.js';
import { formatBytes } from '../../domain/keys/eviction.js';

/**
 * The size of a server source's data, for the eviction guard: its
 * `used_memory_dataset`, whole (what `--match` selects is not known without
 * reading every key).
 */
export async function sourceSize(source: Keyspace, match: string | undefined, share?: DatasetShare) {
  const all = await sourceDatasetBytes(source);
  const whole =
    match === undefined
      ? ''
      : ' — all of it: what --match selects is not estimated for a server source (if it is far less, --allow-eviction runs it; any eviction still ends the run with exit 1)';
  if (!share || share.fraction >= 1) return { bytes: all, basis: `the source's used_memory_dataset, ${formatBytes(all)}${whole}` };
  const bytes = Math.ceil(all * share.fraction);
  return { bytes, basis: `the source's used_memory_dataset, ${formatBytes(all)}, by key count the share of ${share.label}: ${formatBytes(bytes)}${whole}` };
}

/**
 * The part of a source's dataset a run still restores, when it copies some
 * of its databases one after another: the databases not copied yet, by
 * their share of the keys (used_memory_dataset is the whole server's).
 */
export interface DatasetShare {
  readonly fraction: number;
  /** `databases 1, 2` */
  readonly label: string;
}

/** Batches read ahead on the source while one is written: enough to keep both servers busy, few enough to bound memory. */
export const DUMP_AHEAD = 2;

/** One shard's keys in batches of `batchSize` (SCAN COUNT), {@link DUMP_AHEAD} batches read ahead of the writer. */
export function readServerBatches(
  shard: RespPipe,
  source: Keyspace,
  options: { readonly match?: string; readonly batchSize?: number },
): AsyncGenerator<DumpedKey[]> {
  return dumpBatches(shard, { match: options.match, count: options.batchSize ?? 1000, ahead: DUMP_AHEAD, redirects: source });
}
