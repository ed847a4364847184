/** Command-line options of `migrate` (the command parses them; the actions and the output read them). */
import type { MigrateOptions } from '../../../lambdas/jobs/keys/migrate.js';
import { parseDatabasePair, type DatabasePair } from '../../../lambdas/domain/keys/databases.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** One `--db <src[:dst]>` (of --from or --from-rdb), or a usage error naming the value and the form. */
export function databasePair(text: string): DatabasePair {
  const pair = parseDatabasePair(text);
  if (!pair) throw new UsageError(`--db ${text}: write --db <src>:<dst> (database numbers, e.g. --db 1:3), or --db <n> for the same number on both sides`);
  return pair;
}

/** Command-line options of migrate. */
export interface MigrateCliOptions extends MigrateOptions {
  readonly from: string;
  readonly to: string;
  /** Secrets Manager secrets holding each side's credentials (instead of the URL's). */
  readonly fromSecret?: string;
  readonly toSecret?: string;
  /** `--db <src[:dst]>` as given (parsed by the action). @default every database holding keys, or the one the --from URL names */
  readonly dbMappings?: readonly string[];
  /** Cluster source: SCAN a replica of each shard (READONLY). @default false */
  readonly fromReplicas?: boolean;
  /** Run compare afterwards. @default false */
  readonly verify?: boolean;
  /** That compare's allowed gap between expiry times. @default 1000 */
  readonly ttlToleranceMs?: number;
  /** Progress of that compare (see {@link CompareOptions}). */
  readonly onVerifyStart?: (total: number | undefined) => void;
  readonly onVerifyProgress?: (keysSeen: number) => void;
}
