/** `redis-dr restore-aof`: the action (loaded only when the command runs; options: cli/commands/restore-aof.ts). */
import { readdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { RestoreDirectory } from '../lambdas/adapters/aof-dir';
import { startLocalRedis } from '../lambdas/adapters/local-redis';
import { restoreAof, type RestoreAofReport } from '../lambdas/jobs/restore-aof';
import { openAofStore } from './aof-destination';
import type { RestoreAofCliOptions } from './commands/restore-aof';
import { UsageError } from './usage';

/** `--until` as ms since the epoch: an ISO time with its zone, or a usage error saying how to write it. */
export function parseUntil(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text) || Number.isNaN(ms)) {
    throw new UsageError(`--until ${text} is not an ISO time with its zone: write e.g. 2026-11-23T14:05:00Z or 2026-11-23T15:05:00+01:00`);
  }
  return ms;
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
    `${r.ok ? 'OK' : 'FAILED'} ${r.to}: base ${r.base.name} (${r.base.format}${r.base.time ? `, dataset as of ${r.base.time}` : ''}), ${incrs.length} increment${incrs.length === 1 ? '' : 's'} (${commands} commands) from ${r.from}`,
  );
  if (r.cut) lines.push(`   cut before ${r.cut.beforeSecond}, at ${r.cut.file} byte ${r.cut.offset}: the AOF records whole seconds, so nothing of that second or later is restored`);
  else if (r.lastAnnotation) lines.push(`   history to ${r.lastAnnotation} (the last timestamp annotation restored)`);
  if (r.note) lines.push(`   note: ${r.note}`);
  for (const e of r.excluded ?? []) lines.push(`   excluded: the last ${e.bytes} bytes of ${e.file}, a truncated command`);
  if (r.load) {
    const per = Object.entries(r.load.keyspace).map(([db, n]) => `${db}=${n}`).join(', ');
    lines.push(`   loaded by ${r.load.engine}-server ${r.load.version} in ${r.load.loadSeconds.toFixed(3)} s: ${r.load.keys} keys${per ? ` (${per})` : ''}`);
  }
  if (r.problem) lines.push(`   ${r.problem}`);
  if (r.ok) {
    lines.push(`   serve it: redis-server --dir ${dirname(r.to)} --appenddirname ${basename(r.to)} --appendfilename ${r.appendFilename} --appendonly yes --port <free port>`);
  }
  return `${lines.join('\n')}\n`;
}

export async function restoreAofAction(o: RestoreAofCliOptions): Promise<void> {
  const store = openAofStore('--from', o.from, o.s3Endpoint);
  const untilMs = o.until !== undefined ? parseUntil(o.until) : undefined;
  const to = resolve(o.to);
  const present = await readdir(to).catch(() => [] as string[]);
  if (present.length > 0) throw new UsageError(`--to ${to} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): give a new or empty directory`);
  const report = await restoreAof(
    { store, to: new RestoreDirectory(to), ...(untilMs !== undefined ? { untilMs } : {}), load: o.load === false ? false : { ...(o.serverBin ? { serverBin: o.serverBin } : {}) } },
    { now: () => Date.now(), startServer: startLocalRedis, ...(o.json ? {} : { say: (line: string) => process.stderr.write(`${line}\n`) }) },
  );
  process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatRestoreAofReport(report));
  process.exitCode = report.ok ? 0 : 1;
}
