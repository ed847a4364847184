/**
 * `redis-dr drill local --rdb <file|s3://…>`: parses, runs the local drill
 * (lambdas/jobs/drills/local-drill.ts), prints what it came to, and cleans up
 * on SIGINT/SIGTERM too (then exit 130/143). Exit 0 every check passed; 1 a
 * check failed, the file is corrupt, the server refused it, or the run broke
 * off (it says how far it got); 2 usage; 3 the file is in a format the
 * verifier cannot judge (not loaded).
 */
import { hostname, userInfo } from 'node:os';
import type { CheckResult } from '../../../lambdas/domain/drills/drill.js';
import { DEFAULT_DRILL_SAMPLE_SIZE, DEFAULT_KEY_COUNT_TOLERANCE_PCT } from '../../../lambdas/domain/drills/defaults.js';
import type { LocalDrillChecks } from '../../../lambdas/domain/drills/local.js';
import { collapsedLine, notProvenStored } from '../../../lambdas/domain/self-managed/backup.js';
import { DrillScratch, drillInput, drillServerBinary, type LocalDrillResult, runLocalDrill, withCleanup } from '../../../lambdas/jobs/drills/local-drill.js';
import { loadSigner } from '../../../lambdas/jobs/attest/sign.js';
import { drillPointOf, recordLocalDrill } from '../../../lambdas/jobs/drills/local-drill-from.js';
import { connectionProblem } from '../../failure.js';
import { formatReport } from '../../rdb-report.js';
import { muteIfTerminalGone, QUIT_CODES, QUIT_SIGNALS, type QuitSignal, quitSignal, quitWith } from '../../signals.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** Options of `drill local` as commander parses them. */
export interface DrillLocalCliOptions {
  readonly rdb?: string;
  readonly from?: string;
  readonly target?: string;
  readonly point?: string;
  readonly s3Endpoint?: string;
  readonly signingKey?: string;
  readonly expectKeys?: string[];
  readonly expectKeyCount?: number;
  readonly tolerancePct?: number;
  readonly serverBin?: string;
  readonly json?: boolean;
}

const seconds = (s: number) => `${s.toFixed(3)} s`;

/** Lines people read. */
export function formatLocalDrill(r: LocalDrillResult): string {
  const lines: string[] = [];
  if ((r.verdict === 'corrupt' || r.verdict === 'unsupported') && r.rdb) {
    lines.push(
      formatReport(r.file, r.rdb),
      `No server was started: a file the verifier ${r.verdict === 'corrupt' ? 'refuses' : 'cannot judge'} is not loaded.`,
    );
  } else if (r.rdb) {
    const expired = r.rdb.expiredKeys ? `, ${r.rdb.expiredKeys} already expired when it was written (dropped on load)` : '';
    const empty = r.rdb.emptyKeys ? `, ${r.rdb.emptyKeys} empty keys (skipped on load)` : '';
    lines.push(
      `drill local: ${r.file}`,
      `  file:   ${r.rdb.magic === 'VALKEY' ? 'Valkey ' : ''}RDB v${r.rdb.version}, ${r.bytes ?? '?'} bytes, checksum ${r.rdb.checksum}, ` +
        `${r.rdb.keys} keys (${r.rdb.expires} with expiry${expired}${empty}): ${r.rdb.keys - (r.rdb.expiredKeys ?? 0)} should load`,
    );
    if (r.readSeconds !== undefined)
      lines.push(`  read:   ${seconds(r.readSeconds)} (${/^s3:/.test(r.file) ? 'downloading' : 'taking'} the file and reading it through the verifier)`);
    const s = r.server;
    if (s) lines.push(`  server: ${s.bin} (${s.engine} ${s.version})${s.port ? ` on 127.0.0.1:${s.port}, AUTH required` : ''}`);
    if (s?.loadSeconds !== undefined) {
      const how =
        s.loadSecondsFrom === 'server-log'
          ? `the server's own figure; ready ${seconds(s.readySeconds!)} after start`
          : 'from start to ready: the server logged no figure';
      lines.push(
        `  load:   ${seconds(s.loadSeconds)} (${how}), ${s.keysLoaded ?? '?'} keys loaded: the RTO floor for this file (no restore of it is faster than loading it)`,
      );
    }
  }
  if (r.verdict === 'refused')
    lines.push('', `REFUSED: ${r.problem}`, 'The verifier passed the file but the server would not load it: its log line above says why.');
  if (r.checks) {
    const mark = (c: CheckResult) => (c.skipped ? '[skip]' : c.ok ? '[ok]  ' : '[FAIL]');
    lines.push(
      '',
      `Checks (expected vs found), ${r.keys} keys in the server, ${seconds(r.verifySeconds ?? 0)}:`,
      ...r.checks.map((c) => `  ${mark(c)} ${c.name}: expected ${c.expected}, found ${c.found}`),
    );
  }
  if (r.verdict === 'error') lines.push('', `ERROR: ${r.problem}`);
  const failed = r.checks?.filter((c) => !c.ok).map((c) => c.name) ?? [];
  const verdict =
    r.verdict === 'passed'
      ? `PASSED: ${r.checks?.filter((c) => !c.skipped).length ?? 0} checks passed${r.checks?.some((c) => c.skipped) ? ` (${r.checks.filter((c) => c.skipped).length} skipped)` : ''}`
      : r.verdict === 'failed'
        ? `FAILED: ${failed.length > 0 ? failed.join(', ') : (r.problem ?? 'see above')}`
        : r.verdict === 'unsupported'
          ? 'NOT RUN: the file is in a format this redis-dr cannot judge (not known to be corrupt): upgrade redis-dr'
          : `FAILED: ${r.verdict === 'corrupt' ? 'the file is corrupt' : r.verdict === 'refused' ? 'the server refused the file' : 'the drill broke off'}`;
  lines.push('', verdict);
  lines.push(r.cleanup.problems.length > 0 ? `Cleanup: INCOMPLETE: ${r.cleanup.problems.join('; ')}` : `Cleanup: ${cleanupWords(r.cleanup)}.`);
  return `${lines.join('\n')}\n`;
}

function cleanupWords(c: LocalDrillResult['cleanup']): string {
  const server = c.serverStarted ? 'server stopped' : c.startAborted ? 'the server still loading was killed, its directory removed' : 'no server was running';
  return [server, ...c.removed.map((d) => `${d} removed`)].join(', ');
}

/** The `drill local` command's action (loaded only when the command runs; options: cli/commands/drill/command.ts). */
export async function drillLocalAction(o: DrillLocalCliOptions): Promise<void> {
  if ((o.rdb === undefined) === (o.from === undefined))
    throw new UsageError('give --rdb <file> (a file to drill) or --from <destination> (its newest backup, recorded there), one of them');
  for (const [option, value] of [
    ['--target', o.target],
    ['--point', o.point],
    ['--s3-endpoint', o.s3Endpoint],
  ] as const)
    if (value !== undefined && o.from === undefined) throw new UsageError(`${option} goes with --from <destination>: drop it, or drill from a destination`);
  if (o.signingKey !== undefined && o.from === undefined) throw new UsageError('--signing-key goes with --from (it signs the record left beside the backups)');
  const signer = o.signingKey !== undefined ? await loadSigner('--signing-key', o.signingKey) : undefined;
  const from = o.from !== undefined ? await drillPointOf({ from: o.from, target: o.target, point: o.point, s3Endpoint: o.s3Endpoint }) : undefined;
  const input = from?.input ?? drillInput(o.rdb!);
  const startedAt = new Date();
  const binary = await drillServerBinary(o.serverBin);
  const checks: LocalDrillChecks = {
    tolerancePct: o.tolerancePct ?? DEFAULT_KEY_COUNT_TOLERANCE_PCT,
    expectKeys: o.expectKeys ?? [],
    sampleSize: DEFAULT_DRILL_SAMPLE_SIZE,
    ...(o.expectKeyCount !== undefined ? { expectKeyCount: o.expectKeyCount } : {}),
  };
  const say = (line: string) => process.stderr.write(`redis-dr drill local: ${line}\n`);
  const scratch = new DrillScratch();
  let interrupted: QuitSignal | undefined;
  // SIGHUP too (a terminal closed, a session dropped): its temporary directories hold a copy of the data.
  const onSignal = (received: NodeJS.Signals) => {
    if (interrupted) return; // already stopping
    const signal = (interrupted = quitSignal(received));
    const gone = muteIfTerminalGone();
    say(`${signal}: stopping the server and removing the temporary directories`);
    void scratch.cleanup().then((c) => {
      if (c.problems.length > 0) say(`cleanup INCOMPLETE: ${c.problems.join('; ')}`);
      else say(cleanupWords(c));
      // Told again: the terminal may have hung up while the server stopped.
      quitWith(signal, undefined, gone || muteIfTerminalGone());
    });
  };
  for (const signal of QUIT_SIGNALS) process.on(signal, onSignal);
  try {
    let result: Omit<LocalDrillResult, 'cleanup'>;
    try {
      result = await runLocalDrill(input, binary, checks, scratch, say);
    } catch (err) {
      if (interrupted) {
        await scratch.cleanup();
        process.exitCode = QUIT_CODES[interrupted];
        return;
      }
      // A usage problem, or the file's endpoint not reached before anything was read: exit 2, nothing was loaded.
      if (err instanceof UsageError || (connectionProblem(err) && scratch.progress.rdb === undefined)) {
        await scratch.cleanup();
        throw err;
      }
      const why = err instanceof Error ? err.message : String(err);
      result = { file: o.rdb ?? from!.point, ...scratch.progress, verdict: 'error', ok: false, problem: why };
      say(`the drill broke off: ${why}`);
    }
    const cleanup = await scratch.cleanup();
    if (interrupted) {
      process.exitCode = QUIT_CODES[interrupted];
      return;
    }
    let full: LocalDrillResult = withCleanup(result, cleanup);
    let recorded: string | undefined;
    let notRecorded: string | undefined;
    if (from) {
      // Recorded beside the backups, read back, or the drill does not count (its report could not see it): said, exit 1.
      try {
        recorded = await recordLocalDrill(from, full, startedAt, whoRuns(), signer);
      } catch (err) {
        notRecorded = `the drill ran, but its record was not written in ${o.from}: ${err instanceof Error ? err.message : String(err)}`;
        full = { ...full, ok: false };
      }
    }
    // The newest backup after a FLUSHALL holds the emptied keyspace: drilled as asked, said, and the one before it named.
    const collapse = from?.collapse ? { point: from.point, ...from.collapse } : undefined;
    process.stdout.write(
      o.json
        ? `${JSON.stringify({ ...full, ...(recorded ? { recorded } : {}), ...(notRecorded ? { notRecorded } : {}), ...(collapse ? { collapse } : {}), ...(from?.unproven ? { unproven: true } : {}) }, null, 2)}\n`
        : formatLocalDrill(full),
    );
    // A backup never read back after it was written (only --point names one): drilled as asked, and said.
    if (!o.json && from?.unproven)
      process.stdout.write(
        `WARNING: ${notProvenStored([from.point], 'drilled all the same, as --point names it (without --point the drill takes the newest proven)')}\n`,
      );
    if (!o.json && collapse)
      process.stdout.write(
        `${collapsedLine(collapse.point, collapse, { command: 'drill local', from: o.from!, ...(o.s3Endpoint ? { s3Endpoint: o.s3Endpoint } : {}) })}\n`,
      );
    if (!o.json && recorded) process.stdout.write(`Recorded: ${recorded} in ${o.from} (report --destination reads it)\n`);
    if (notRecorded) process.stdout.write(`NOT RECORDED: ${notRecorded}\n`);
    // As verify-rdb: 3 for a format the verifier cannot judge, apart from a failed drill.
    process.exitCode = full.ok ? 0 : full.verdict === 'unsupported' ? 3 : 1;
  } finally {
    for (const signal of QUIT_SIGNALS) process.off(signal, onSignal);
  }
}

/**
 * Who runs this drill, `user@host`, for the record (a manual drill's starter, item 5 of issue 58): the process's
 * user and host, not `$USER`/`$HOSTNAME` alone (cron and systemd units set no `$USER`; bash does not export `$HOSTNAME`).
 */
function whoRuns(): string | undefined {
  let user = process.env.USER;
  try {
    user = userInfo().username || user;
  } catch {
    // No passwd entry for this uid (a container's arbitrary uid): $USER, else the uid.
    user ??= `uid ${process.getuid?.() ?? '?'}`;
  }
  const host = hostname() || process.env.HOSTNAME;
  return [user, host].filter(Boolean).join('@') || undefined;
}
