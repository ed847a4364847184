/** `redis-dr restore-aof`: the action (loaded only when the command runs; options: cli/commands/restore-aof/command.ts). */
import { readdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { restoreAof, type RestoreAofReport } from '../../../lambdas/jobs/self-managed/restore-aof.js';
import { openAofStore, restoreAofClients, restoreServerBin } from '../../../lambdas/jobs/self-managed/clients.js';
import { EXIT, type ReportedFailure, reportedFailure } from '../../failure.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { INSTANT_FORMATS, parseInstant } from '../../instant.js';

/** Options of `redis-dr restore-aof`, as commander parses them. */
export interface RestoreAofCliOptions {
  from: string;
  to: string;
  until?: string;
  load: boolean;
  serverBin?: string;
  s3Endpoint?: string;
  throughFlush?: boolean;
  orShippedEnd?: boolean;
  json?: boolean;
}

/** What `--until` takes, for its refusal and its help. */
export const UNTIL_FORMATS = INSTANT_FORMATS;

/** `--until` as ms since the epoch ({@link parseInstant}'s forms); anything else is a usage error naming them. */
export function parseUntil(text: string): number {
  return parseInstant(text, (why) => new UsageError(`--until ${text} is not a time restore-aof reads${why}: write ${UNTIL_FORMATS}`));
}

/** The summary a person reads. */
export function formatRestoreAofReport(r: RestoreAofReport): string {
  const lines: string[] = [];
  if (r.refused) {
    lines.push(`REFUSED (${r.refused.kind}): ${r.refused.message}`, `   nothing was left in ${r.to}`);
    return `${lines.join('\n')}\n`;
  }
  if (!r.base) {
    lines.push(`FAILED: ${r.problem}`);
    return `${lines.join('\n')}\n`;
  }
  const incrs = r.increments ?? [];
  const commands = incrs.reduce((n, i) => n + i.commands, 0);
  lines.push(
    `${r.ok ? 'OK' : r.short && !r.problem ? 'SHORT' : 'FAILED'} ${r.to}: base ${r.base.name} (${r.base.format}${r.base.time ? `, dataset as of ${r.base.time}` : ''}), ${incrs.length} increment${incrs.length === 1 ? '' : 's'} (${commands} commands) from ${r.from}`,
  );
  if (r.cut)
    lines.push(
      `   cut before ${r.cut.beforeSecond}, at ${r.cut.file} byte ${r.cut.offset}: the AOF records whole seconds, so nothing of that second or later is restored`,
    );
  else if (r.lastAnnotation) lines.push(`   history to ${r.lastAnnotation} (the last timestamp annotation restored)`);
  if (r.short) lines.push(`   SHORT of --until (kept: --or-shipped-end): ${r.short.message}`);
  else if (r.shippedThrough && 'at' in r.shippedThrough)
    lines.push(`   shipped through ${r.shippedThrough.at} (ship-aof's record, written ${r.shippedThrough.writtenAt}): anything written after it is not here`);
  else if (r.shippedThrough) lines.push(`   how far the shipped history is complete is unknown: ${r.shippedThrough.missing}`);
  for (const e of r.excluded ?? []) lines.push(`   excluded: the last ${e.bytes} bytes of ${e.file}, a truncated command`);
  for (const f of r.flushes ?? []) {
    lines.push(
      `   FLUSH REPLAYED: ${f.command}${f.db !== undefined ? ` of database ${f.db}` : ''} at ${f.file} byte ${f.offset}${f.second ? `, in second ${f.second}` : ''}: the data restored is as after it.` +
        (f.untilBefore
          ? ` To the second before it: redis-dr restore-aof --from ${r.from} --to <a new directory> --until ${f.untilBefore}`
          : ' The history has no timestamps to restore to before it (aof-timestamp-enabled yes).'),
    );
  }
  if (r.load) {
    const per = Object.entries(r.load.keyspace)
      .map(([db, n]) => `${db}=${n}`)
      .join(', ');
    lines.push(`   loaded by ${r.load.engine}-server ${r.load.version} in ${r.load.loadSeconds.toFixed(3)} s: ${r.load.keys} keys${per ? ` (${per})` : ''}`);
  }
  if (r.problem) lines.push(`   ${r.problem}`);
  if (r.ok || (r.short && !r.problem)) {
    lines.push(
      // The engine that loaded it where one did (a Valkey history: valkey-server), else the usual one.
      `   serve it: ${r.load?.engine ?? 'redis'}-server --dir ${dirname(r.to)} --appenddirname ${basename(r.to)} --appendfilename ${r.appendFilename} --appendonly yes --port <free port>`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function restoreAofAction(o: RestoreAofCliOptions): Promise<void> {
  const store = await openAofStore('--from', o.from, o.s3Endpoint, 'source');
  const untilMs = o.until !== undefined ? parseUntil(o.until) : undefined;
  if (o.orShippedEnd && untilMs === undefined)
    throw new UsageError('--or-shipped-end is for --until past what was shipped; without --until everything shipped is restored anyway: drop it');
  const to = resolve(o.to);
  const present = await readdir(to).catch(() => [] as string[]);
  if (present.length > 0)
    throw new UsageError(`--to ${to} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): give a new or empty directory`);
  // The server that loads the result, found before anything is written: a wrong path is not found after minutes of downloading.
  let serverBin: string | undefined;
  if (o.load !== false) {
    serverBin = await restoreServerBin(o.serverBin);
  } else if (o.serverBin !== undefined) {
    throw new UsageError(`--server-bin ${o.serverBin} is for the load, and --no-load skips it: drop one of them`);
  }
  const clients = restoreAofClients(to);
  const report = await restoreAof(
    {
      store,
      to: clients.to,
      ...(untilMs !== undefined ? { untilMs } : {}),
      ...(o.orShippedEnd ? { orShippedEnd: true } : {}),
      load: o.load === false ? false : { ...(serverBin ? { serverBin } : {}) },
    },
    { now: () => Date.now(), startServer: clients.startServer, ...(o.json ? {} : { say: (line: string) => process.stderr.write(`${line}\n`) }) },
  );
  const failure = restoreAofFailure(report, o.throughFlush === true);
  process.stdout.write(o.json ? `${JSON.stringify(failure ? { ...report, error: failure.error } : report, null, 2)}\n` : formatRestoreAofReport(report));
  if (failure && !o.json && failure.exitCode === EXIT.usage) process.stderr.write(`redis-dr: ${failure.error.message}: ${failure.error.fix}\n`);
  process.exitCode = failure?.exitCode ?? EXIT.ok;
}

/**
 * A failed run's `error` ({ code, message, fix }, as every --json failure)
 * and exit code: the store not reached before anything was read is exit 2
 * naming it (cli/failure.ts); a refusal or a failed load is exit 1.
 */
export function restoreAofFailure(r: RestoreAofReport, throughFlush = false): ReportedFailure | undefined {
  // A restore that replays a flush is written, but never taken as the answer unless the operator says the flush is meant.
  const flush = r.flushes?.[0];
  if (r.ok && flush && !throughFlush)
    return reportedFailure(
      `the restored history replays ${r.flushes!.length} flush(es), the first ${flush.command} at ${flush.file} byte ${flush.offset}${flush.second ? ` (second ${flush.second})` : ''}: the data is as after it`,
      false,
      flush.untilBefore
        ? `restore to before it with --until ${flush.untilBefore} (into a new --to), or give --through-flush when the flush is meant`
        : 'give --through-flush when the flush is meant (the history has no timestamps to restore to before it)',
      'flush-replayed',
    );
  if (r.ok) return undefined;
  if (r.short && !r.problem)
    return reportedFailure(
      r.short.message,
      false,
      'the restore of everything shipped is kept in --to (--or-shipped-end); it is not the data as of --until',
      'short-of-until',
    );
  if (r.refused) return reportedFailure(r.refused.message, false, 'the message names what is missing; nothing was left in --to', 'refused');
  return reportedFailure(r.problem ?? 'failed', r.base === undefined, 'fix what the message names and run it again (into a new or empty --to)');
}
