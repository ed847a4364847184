/**
 * The flags the single-server migrate benchmarks (run.ts, rdb.ts) share, and
 * their reading.
 */
import { intFlags } from '../support.js';

/** `util.parseArgs` options: the dataset, the rounds, MIGRATE's batch and ours. */
export const MIGRATE_FLAGS = {
  keys: { type: 'string', default: '1000000' },
  seed: { type: 'string', default: '1' },
  rounds: { type: 'string', default: '3' },
  'migrate-batch': { type: 'string', default: '1000' },
  'batch-size': { type: 'string' },
} as const;

/** The values of {@link MIGRATE_FLAGS}, checked. */
export function migrateOptions(flags: { readonly [K in keyof typeof MIGRATE_FLAGS]?: string }) {
  const int = intFlags<keyof typeof MIGRATE_FLAGS>(flags);
  return {
    keys: int('keys', 1, 100_000_000),
    seed: int('seed', 0, 2 ** 32 - 1),
    rounds: int('rounds', 1, 100),
    migrateBatch: int('migrate-batch', 1, 100_000),
    /** Our --batch-size; null: the CLI's default. */
    batchSize: flags['batch-size'] === undefined ? null : int('batch-size', 1, 1_000_000),
  };
}
