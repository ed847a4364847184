/**
 * How a key copy ended (`migrate`, `migrate --from-rdb`), decided here so
 * the CLI only maps the outcome onto its exit-code rule (cli/exit-codes.ts)
 * and prints: refused before writing (the target could evict), ok only when
 * complete — nothing failed, evicted, left out unasked, and (with a verify)
 * equal — else failed.
 */
import { evictionFailed } from '../../domain/keys/eviction.js';
import type { JobOutcome } from '../kernel/outcome.js';
import type { MigrateResult, MigrateRun, MigrateRuns } from './migrate.js';
import type { MigrateRdbRun } from './migrate-rdb.js';

/** One copy's outcome (a database, or the sum of several). */
export function migrateOutcome(run: {
  readonly result: Pick<MigrateResult, 'eviction' | 'error' | 'interrupted' | 'failed'>;
  readonly verify?: MigrateRun['verify'];
}): JobOutcome {
  const r = run.result;
  if (r.eviction?.refused) return 'refused';
  return !r.error && !r.interrupted && r.failed === 0 && !evictionFailed(r.eviction) && (run.verify === undefined || run.verify.equal) ? 'ok' : 'failed';
}

/** A server-to-server run over its databases: {@link migrateOutcome} of their sum, and failed when a database holding keys was left out or not reached. */
export function migrateRunsOutcome(run: MigrateRuns): JobOutcome {
  const outcome = migrateOutcome(run);
  return outcome === 'ok' && (run.leftOut.length > 0 || run.notReached.length > 0) ? 'failed' : outcome;
}

/**
 * What a complete `--from-rdb` run left out that the user did not choose
 * to leave out: the file's other databases holding keys the selection
 * (`--match`, or every key) takes, when no `--db` was given (a FLUSHALL
 * empties them all), and a selection that matched no key of a database that
 * holds some (a mistyped `--match`).
 */
export interface RdbLeftOut {
  /** [database, matching keys], sorted by database. */
  readonly databases: readonly (readonly [number, number])[];
  /** The restored database's keys, when none of them matched the selection. */
  readonly noMatch?: { readonly db: number; readonly keys: number };
}

/** {@link RdbLeftOut} of a run (`db`, `match`: as given). */
export function rdbLeftOut(run: MigrateRdbRun, o: { readonly db?: number; readonly match?: string }): RdbLeftOut {
  const r = run.result;
  if (r.error || r.interrupted) return { databases: [] };
  const db = o.db ?? 0;
  // Databases whose keys --match does not select were not left out: the selection excluded them.
  const others = Object.entries(r.matchingByDb)
    .map(([d, n]) => [Number(d), n] as const)
    .filter(([d, n]) => d !== db && n > 0)
    .sort((a, b) => a[0] - b[0]);
  const keys = r.keysByDb[db] ?? 0;
  return { databases: o.db === undefined ? others : [], ...(r.scanned === 0 && keys > 0 ? { noMatch: { db, keys } } : {}) };
}

/** A `--from-rdb` run's outcome: the copy's, and failed when something was left out unasked or (with --verify) the target differs. */
export function migrateRdbOutcome(run: MigrateRdbRun, o: { readonly db?: number; readonly match?: string }): JobOutcome {
  const copied = migrateOutcome({ result: run.result });
  if (copied !== 'ok') return copied;
  const left = rdbLeftOut(run, o);
  return left.databases.length === 0 && left.noMatch === undefined && (run.verify === undefined || run.verify.equal) ? 'ok' : 'failed';
}
