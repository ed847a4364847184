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
import { copiedNone, type NoMatch } from '../../domain/keys/key-copy.js';

/** One copy's outcome (a database, or the sum of several). */
export function migrateOutcome(run: {
  readonly result: Pick<MigrateResult, 'eviction' | 'error' | 'interrupted' | 'failed'>;
  readonly verify?: MigrateRun['verify'];
}): JobOutcome {
  const r = run.result;
  if (r.eviction?.refused) return 'refused';
  return !r.error && !r.interrupted && r.failed === 0 && !evictionFailed(r.eviction) && (run.verify === undefined || run.verify.equal) ? 'ok' : 'failed';
}

/** A server-to-server run over its databases: {@link migrateOutcome} of their sum, and failed when a database holding keys was left out or not reached, or --match matched none of its keys. */
export function migrateRunsOutcome(run: MigrateRuns): JobOutcome {
  const outcome = migrateOutcome(run);
  return outcome === 'ok' && (run.leftOut.length > 0 || run.notReached.length > 0 || run.noMatch !== undefined) ? 'failed' : outcome;
}

/** {@link NoMatch} of a `--from-rdb` run, or undefined when it restored something (or ended early). */
export function rdbNoMatch(run: MigrateRdbRun): NoMatch | undefined {
  const r = run.result;
  return copiedNone(
    r,
    r.databases.map((p) => p.from),
    r.keysByDb,
  );
}

/** A `--from-rdb` run's outcome: the copy's, and failed when the selection matched nothing or (with --verify) the target differs. */
export function migrateRdbOutcome(run: MigrateRdbRun): JobOutcome {
  const copied = migrateOutcome({ result: run.result });
  if (copied !== 'ok') return copied;
  return rdbNoMatch(run) === undefined && (run.verify === undefined || run.verify.equal) ? 'ok' : 'failed';
}
