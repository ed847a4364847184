/** What `migrate` (and `migrate --from-rdb`) print: the exit code, the `--json` shape, the lines people read, the progress bars. */
import { redactUrl } from '../../../lambdas/jobs/keys/clients.js';
import { evictedMessage, type EvictionReport } from '../../../lambdas/domain/keys/eviction.js';
import { migrateOutcome, migrateRunsOutcome } from '../../../lambdas/jobs/keys/migrate-outcome.js';
import { namedFirst } from '../../../lambdas/domain/rdb/report.js';
import { exitCodeOf } from '../../exit-codes.js';
import { errorJson } from '../../failure.js';
import { jsonKey } from '../../../lambdas/domain/rdb/fingerprint.js';
import type { CopyCounts, NoMatch, OnConflict } from '../../../lambdas/domain/keys/key-copy.js';
import type { MigrateResult, MigrateRun, MigrateRuns } from '../../../lambdas/jobs/keys/migrate.js';
import { describeDatabases } from '../../../lambdas/domain/keys/databases.js';
import { keyProgress } from '../../progress.js';
import { compareJson, formatCompare } from '../../compare-report.js';
import type { MigrateCliOptions } from './options.js';

/**
 * Exit code of a run: 2 refused before writing (the target could evict),
 * 0 only when complete, nothing failed, nothing was evicted and (with
 * --verify) equal; else 1 (the job decides: lambdas/jobs/keys/migrate-outcome.ts).
 */
export function migrateExitCode(run: MigrateRun): 0 | 1 | 2 {
  return exitCodeOf(migrateOutcome(run));
}

/**
 * What a server-to-server run left out that the user did not choose to
 * leave out: databases holding keys beside the one the --from URL names,
 * and databases a failure stopped the run before (as `--from-rdb` names the
 * databases of its file it did not restore).
 */
export function notCopied(run: Pick<MigrateRuns, 'leftOut' | 'notReached'>): string[] {
  const lines: string[] = [];
  if (run.leftOut.length > 0) {
    lines.push(
      `not copied: ${describeDatabases(run.leftOut)} of the source. ` +
        'A FLUSHALL empties every database: leave the /<db> out of the --from URL to copy every database holding keys, ' +
        'or give --db <src>:<dst> for each database to copy (--db 0:0 copies database 0 alone)',
    );
  }
  if (run.notReached.length > 0)
    lines.push(
      `not reached: database${run.notReached.length === 1 ? '' : 's'} ${run.notReached.map((p) => `${p.from} → ${p.to}`).join(', ')} (the run stopped before)`,
    );
  return lines;
}

/** The line of a copy whose --match matched none of the source's keys: `nothing copied: none of the 20 keys of database 0 matches --match "usr:*"`. */
export function noMatchLine(none: NoMatch, nothing: string, match: string | undefined): string {
  const dbs = none.databases.length === 1 ? `database ${none.databases[0]}` : `databases ${namedFirst(none.databases.map(String), ', ', 'database')}`;
  return `${nothing}: none of the ${none.keys} keys of ${dbs} matches --match ${JSON.stringify(match ?? '*')}`;
}

/** Exit code of a run over its databases: {@link migrateExitCode} of their sum, and 1 when a database holding keys was left out or not reached, or --match matched nothing (the job decides: migrateRunsOutcome). */
export function migrateRunsExitCode(run: MigrateRuns): 0 | 1 | 2 {
  return exitCodeOf(migrateRunsOutcome(run));
}

/** Of the keys an `--on-conflict replace` run wrote, those it wrote over a key the target held (an EXISTS before each RESTORE). */
function replacedText(r: CopyCounts, dryRun: boolean): string {
  const unchecked = r.replaceUnchecked > 0 ? `; ${r.replaceUnchecked} not told (the target refused EXISTS)` : '';
  return ` (${r.replaced} of them ${dryRun ? 'would overwrite' : 'overwrote'} a key the target held, --on-conflict replace${unchecked})`;
}

/** What a run's count of copied keys is: would be copied (a dry run), copied before a stop or an interrupt, or copied. */
function copyVerb(r: MigrateResult, dryRun: boolean): string {
  return dryRun ? 'DRY RUN: would copy' : r.error ? 'STOPPED: copied' : r.interrupted ? 'INTERRUPTED: copied' : 'copied';
}

/** Lines people read: one database as {@link formatMigrate}; several, each under its heading, then the total. */
export function formatMigrateRuns(run: MigrateRuns, o: { readonly dryRun?: boolean; readonly onConflict?: OnConflict; readonly match?: string } = {}): string {
  const lines: string[] = [];
  if (run.databases.length === 1 && run.databases[0]!.from === run.databases[0]!.to) lines.push(formatMigrate(run, o));
  else {
    for (const d of run.databases)
      lines.push(
        `database ${d.from} → ${d.to}:`,
        ...formatMigrate(d, o)
          .split('\n')
          .map((l) => `  ${l}`),
      );
    if (run.databases.length > 1) {
      const r = run.result;
      lines.push(
        `all ${run.databases.length} databases: ${copyVerb(r, Boolean(o.dryRun))} ${r.copied}${(o.onConflict ?? 'skip') === 'replace' && r.copied > 0 ? replacedText(r, Boolean(o.dryRun)) : ''}, skipped ${r.skipped}, expired ${r.expired}, failed ${r.failed} of ${r.scanned} keys` +
          (run.verify
            ? `; verify: ${run.verify.equal ? 'EQUAL' : run.verify.interrupted ? 'INTERRUPTED' : 'DIFFERENT'} (${run.verify.differences} unexpected differences)`
            : ''),
      );
    }
  }
  lines.push(...notCopied(run));
  if (run.noMatch) lines.push(noMatchLine(run.noMatch, o.dryRun ? 'nothing to copy' : 'nothing copied', o.match));
  return lines.join('\n');
}

/** The eviction guard's part of the `--json` shapes of both key copies. */
export function evictionJson(e: EvictionReport | undefined) {
  if (!e) return null;
  return {
    refused: e.refused ?? null,
    allowed: e.allowed,
    evictedKeys: e.evictedKeys,
    stopped: e.stopped,
    unknown: e.unknown ?? null,
    basis: e.basis,
    nodes: e.nodes.map((n) => ({ node: n.node, maxmemory: n.maxmemory, policy: n.policy, usedMemory: n.usedMemory, estimate: n.estimate })),
  };
}

/** Processed keys per second (copied + skipped + expired + failed). */
function rate(r: MigrateResult): number | null {
  return r.seconds > 0 ? Math.round((r.copied + r.skipped + r.expired + r.failed) / r.seconds) : null;
}

/** The `fix` of a failed migrate's `--json` error (docs/cli.md, "`--json` on failure"). */
const MIGRATE_FIX =
  'fix what the message names and run it again: the counts say what was written, and --on-conflict skip (the default) leaves the keys copied already as they are';
/** The `fix` of a `migrate --from-rdb` whose file was refused. */
const RDB_REFUSED_FIX = 'the file is not a valid RDB file (`redis-dr verify-rdb <file>` names the fault): restore from another copy of the backup';

/**
 * A migrate run's `--json` error, as every command's failure is (`{ code, message, fix }`): the run's error, or the
 * eviction guard's refusal before anything was written (exit 2; its message ends with the fixes); null when neither.
 * `refusedFile`: a `--from-rdb` file (a shard of it) was refused as not an RDB file.
 */
export function migrateErrorJson(error: string | undefined, eviction: EvictionReport | undefined, refusedFile = false) {
  if (eviction?.refused !== undefined && (error === undefined || error === eviction.refused)) {
    const fix = eviction.refused.indexOf(' Fix: ');
    return errorJson(eviction.refused, fix < 0 ? 'give --allow-eviction to go on knowing the risk' : eviction.refused.slice(fix + 6), 'refused');
  }
  return errorJson(error, refusedFile ? RDB_REFUSED_FIX : MIGRATE_FIX, refusedFile ? 'refused' : 'failed');
}

/** The `--json` shape of migrate. */
export function migrateJson(run: MigrateRuns, o: MigrateCliOptions) {
  return {
    // The exit code's verdict, as every command's --json gives it (a difference --verify found is not an `error`).
    ok: migrateRunsExitCode(run) === 0,
    ...migrateJsonOf(run, o),
    databases: run.databases.map((d) => ({ ...migrateJsonOf(d, o), fromDb: d.from, toDb: d.to })),
    leftOut: run.leftOut,
    notReached: run.notReached,
    noMatch: run.noMatch ?? null,
  };
}

/** The `--json` shape of one database's run (or of their sum). */
function migrateJsonOf(run: MigrateRun, o: MigrateCliOptions) {
  const r = run.result;
  return {
    from: redactUrl(o.from),
    to: redactUrl(o.to),
    match: o.match ?? null,
    source: r.source,
    target: r.target,
    onConflict: o.onConflict ?? 'skip',
    dryRun: Boolean(o.dryRun),
    scanned: r.scanned,
    copied: r.copied,
    replaced: r.replaced,
    replaceUnchecked: r.replaceUnchecked,
    skipped: r.skipped,
    expired: r.expired,
    failed: r.failed,
    seconds: Math.round(r.seconds * 1000) / 1000,
    keysPerSecond: rate(r),
    interrupted: r.interrupted,
    error: migrateErrorJson(r.error, r.eviction),
    conflict: r.conflict ? jsonKey(r.conflict) : null,
    evictedKeys: r.eviction?.evictedKeys ?? null,
    eviction: evictionJson(r.eviction),
    verify: run.verify ? compareJson(run.verify, o.from, o.to, o.match) : null,
  };
}

/** Lines people read. */
export function formatMigrate(
  run: MigrateRun,
  o: {
    readonly dryRun?: boolean;
    readonly onConflict?: OnConflict;
    /** Keys of the file left out as the operator asked (`--lossy module`): counted on the line, so its counts add up to the keys read. */
    readonly leftOut?: number;
  } = {},
): string {
  const dryRun = Boolean(o.dryRun);
  const r = run.result;
  const verb = copyVerb(r, dryRun);
  const lines: string[] = [];
  for (const [side, label] of [
    ['source', r.source],
    ['target', r.target],
  ] as const) {
    if (label.startsWith('Redis Cluster')) lines.push(`${side}: ${label}`);
  }
  if (r.eviction?.refused) {
    lines.push(r.eviction.refused);
    return lines.join('\n');
  }
  // Refused before a key was read (the error says nothing was written): no counts of nothing.
  const refusedFirst = Boolean(r.error) && !r.interrupted && r.scanned === 0 && r.copied + r.skipped + r.expired + r.failed === 0;
  if (!refusedFirst)
    lines.push(
      // With replace, a key the target held is overwritten by the RESTORE that writes it: how many, said with the count.
      `${verb} ${r.copied}${(o.onConflict ?? 'skip') === 'replace' && r.copied > 0 ? replacedText(r, dryRun) : ''}, ` +
        `skipped ${r.skipped} (already on the target), expired ${r.expired}, ` +
        `${o.leftOut ? `left out ${o.leftOut} (--lossy module), ` : ''}failed ${r.failed} ` +
        `of ${r.scanned} keys in ${r.seconds.toFixed(1)} s (${rate(r) ?? 0} keys/s)`,
    );
  if (r.error) lines.push(`error: ${r.error}`);
  // Stopped by an eviction, the error says what to do before a rerun; allowed to go on, the count is still a failure.
  if (r.eviction && r.eviction.evictedKeys > 0 && !r.eviction.stopped) lines.push(`EVICTED: ${evictedMessage(r.eviction.evictedKeys, false)}`);
  // A rerun finishes a run that wrote something; one that wrote nothing was refused or failed for the reason above.
  if ((r.error || r.interrupted) && !r.eviction?.stopped && !dryRun && (r.copied + r.skipped + r.expired > 0 || r.interrupted)) {
    lines.push(
      (o.onConflict ?? 'skip') === 'fail'
        ? 'Every batch before this point is complete; to finish, rerun with --on-conflict skip (a rerun with fail would stop at the first key this run wrote).'
        : (o.onConflict ?? 'skip') === 'replace'
          ? 'Every batch before this point is complete; rerun the same command to finish (the keys this run wrote are replaced again).'
          : 'Every batch before this point is complete; rerun the same command to finish (existing keys are skipped).',
    );
  }
  if (run.verify) lines.push(`verify: ${formatCompare(run.verify)}`);
  return lines.join('\n');
}

/**
 * The copy callbacks, also counting the keys written to the target: a
 * failure after the first write is a failed job that did part of its work
 * (exit 1, saying how many), not a connection problem (cli/failure.ts).
 */
export function keysWritten<C extends { onBatch?: (c: CopyCounts) => void }>(callbacks: C, dryRun?: boolean) {
  let copied = 0;
  return {
    callbacks: {
      ...callbacks,
      onBatch: (c: CopyCounts) => {
        copied = c.copied;
        callbacks.onBatch?.(c);
      },
    },
    partial: (): string | undefined => (dryRun || copied === 0 ? undefined : `${copied} key${copied === 1 ? '' : 's'} written to the target before it`),
  };
}

/**
 * The progress bars of a copy and of the --verify pass after it (migrate
 * and migrate --from-rdb): the callbacks a run takes, and `stop` for both.
 */
export function copyProgress() {
  const copying = keyProgress('migrate');
  const verifying = keyProgress('verify');
  return {
    callbacks: {
      onStart: copying.start,
      onBatch: (c: CopyCounts) => copying.update(c.copied + c.skipped + c.expired + c.failed),
      onVerifyStart: (total: number | undefined) => {
        copying.stop();
        verifying.start(total);
      },
      onVerifyProgress: verifying.update,
    },
    stop: () => {
      copying.stop();
      verifying.stop();
    },
  };
}
