/** `redis-dr backup`: the action (loaded only when the command runs; options: cli/commands/backup/command.ts). */
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { parseRedisUrl, redactUrl, RedisUrlError } from '../../../lambdas/jobs/keys/clients.js';
import { backupSourceClients, openBackupStore, redactHeartbeatUrl as redactHeartbeat } from '../../../lambdas/jobs/self-managed/clients.js';
import { cutBackupTarget, defaultBackupTarget } from '../../../lambdas/domain/self-managed/backup.js';
import { isValidTargetId } from '../../../lambdas/domain/plans/naming.js';
import { parseCollapseThresholdPct } from '../../../lambdas/domain/plans/settings.js';
import { calendarParts } from '../../../lambdas/domain/plans/tier.js';
import { runBackup, type BackupReport } from '../../../lambdas/jobs/self-managed/backup.js';
import { sideCredentials } from '../../redis-credentials.js';
import { EXIT, type ReportedFailure, reportedFailure } from '../../failure.js';
import { EXIT_LEASE_HELD } from '../../exit-codes.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

/** Options of `redis-dr backup`, as commander parses them. */
export interface BackupCliOptions {
  redis: string;
  to: string;
  remote?: boolean;
  name?: string;
  secret?: string;
  s3Endpoint?: string;
  heartbeatUrl?: string;
  heartbeatStart?: boolean;
  heartbeatFail?: boolean;
  metricsFile?: string;
  keepHourly: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  minKeep: number;
  timeZone: string;
  saveTimeout: number;
  leaseWait: number;
  leaseStaleAfter: number;
  create?: boolean;
  /** Checked here with the plans' schema (commander hands over the text). */
  collapseThresholdPct?: string;
  /** Days a collapse's hold lasts before the report asks for a decision (positiveInt). */
  collapseHoldDays?: number;
  json?: boolean;
}

/**
 * Whether `host` is this machine (loopback, or an address of one of its
 * interfaces): local mode reads the server's dump file from this host's disk.
 */
export async function isThisHost(host: string): Promise<boolean> {
  const own = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return false;
  }
  return addresses.length > 0 && addresses.every((a) => a.startsWith('127.') || a === '::1' || own.has(a));
}

/** The one-paragraph summary a person reads. */
export function formatBackupReport(r: BackupReport): string {
  const lines: string[] = [];
  if (r.ok && r.backup) {
    const b = r.backup;
    lines.push(`OK ${b.file} (tier ${b.tier}): ${b.bytes} bytes, ${b.keys} keys, RDB v${b.rdbVersion}, checksum ${b.checksum}, sha256 ${b.sha256}`);
    lines.push(`   at ${b.location}, read back (${b.readBack.how}), in ${r.seconds.toFixed(1)} s (${r.mode} mode)`);
  } else if (r.busy) {
    lines.push(`BUSY: ${r.error}`);
  } else {
    lines.push(`FAILED at step ${r.failedStep}: ${r.error}`);
    if (r.backup) lines.push(`   the backup itself was stored and read back: ${r.backup.location} (${r.backup.bytes} bytes, ${r.backup.keys} keys)`);
    else lines.push('   no backup was stored by this run; nothing stored before was deleted');
    if (r.collapse) lines.push(`   held (${r.collapse.hold}): ${r.collapse.held.length ? r.collapse.held.join(', ') : 'none newly (held already)'}`);
  }
  if (r.retention) {
    lines.push(
      `   retention: ${r.retention.hold ? `on hold (${r.retention.hold})` : `${r.retention.kept.length} kept, ${r.retention.deleted.length} deleted${r.retention.deleted.length ? `: ${r.retention.deleted.join(', ')}` : ''}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function backupAction(o: BackupCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let url;
  try {
    url = parseRedisUrl(o.redis);
  } catch (err) {
    if (err instanceof RedisUrlError) throw new UsageError(`--redis: ${err.message}`);
    throw err;
  }
  if (url.db !== 0) throw new UsageError(`--redis ${redactUrl(o.redis)} names database ${url.db}: a backup holds every database; remove /${url.db}`);
  const cut = o.name === undefined ? cutBackupTarget(url.host, url.port) : undefined;
  if (cut !== undefined) {
    const named = defaultBackupTarget(url.host, url.port);
    throw new UsageError(
      `--redis ${redactUrl(o.redis)}: the default name ${cut} is longer than 40 characters, and cut to ${named} it loses the port ` +
        `(every server of this host would share it: one retention series, one collapse baseline): give --name <target> (--name ${named} keeps the backups taken so far under retention)`,
    );
  }
  const target = (o.name ?? defaultBackupTarget(url.host, url.port)).toLowerCase();
  if (!isValidTargetId(target)) {
    throw new UsageError(
      `--name ${o.name} is not a valid name: 1-40 lowercase letters, digits or single hyphens, starting with a letter (it goes into rdr-<name>-<yyyymmdd>-<hhmm>.rdb)`,
    );
  }
  try {
    calendarParts(new Date(), o.timeZone);
  } catch {
    throw new UsageError(`--time-zone ${o.timeZone} is not an IANA time zone: write e.g. UTC or Europe/Berlin`);
  }
  if (!o.remote && !(await isThisHost(url.host))) {
    throw new UsageError(
      `--redis ${redactUrl(o.redis)}: ${url.host} is not this machine, and local mode reads the file the server saves on this host's disk. ` +
        'Run the backup on the Redis host (with --redis redis://127.0.0.1:…), or add --remote to pull the RDB over the network',
    );
  }
  let collapseThresholdPct: number | undefined;
  try {
    collapseThresholdPct = o.collapseThresholdPct === undefined ? undefined : parseCollapseThresholdPct(o.collapseThresholdPct, '--collapse-threshold-pct');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const heartbeatUrl = o.heartbeatUrl ?? (env.REDIS_DR_HEARTBEAT_URL || undefined);
  if (heartbeatUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(heartbeatUrl)) {
    throw new UsageError(`--heartbeat-url ${redactHeartbeat(heartbeatUrl)} is not an http(s) URL`);
  }
  if ((o.heartbeatStart || o.heartbeatFail) && heartbeatUrl === undefined) {
    throw new UsageError('--heartbeat-start and --heartbeat-fail need --heartbeat-url (or REDIS_DR_HEARTBEAT_URL)');
  }
  // Last of the checks: it looks at the destination (a missing folder without --create is a usage error).
  const store = await openBackupStore(o.to, o.s3Endpoint, '--to', o.create ?? false);
  const credentials = await sideCredentials({ option: '--secret', secretArn: o.secret, envPrefix: 'REDIS_DR' }, env);
  if (credentials && url.password !== undefined)
    throw new UsageError(`--redis ${redactUrl(o.redis)} has a password and ${credentials.source} gives one too: remove it from the URL`);
  const username = credentials?.username ?? url.username;
  const password = credentials?.password ?? url.password;

  const report = await runBackup(
    {
      server: redactUrl(o.redis),
      source: { host: url.host, port: url.port, tls: url.tls, username, password },
      target,
      mode: o.remote ? 'remote' : 'local',
      store,
      retention: { hourly: o.keepHourly, daily: o.keepDaily, weekly: o.keepWeekly, monthly: o.keepMonthly, minKeep: o.minKeep, timeZone: o.timeZone },
      ...(heartbeatUrl ? { heartbeat: { url: heartbeatUrl, start: o.heartbeatStart ?? false, fail: o.heartbeatFail ?? false } } : {}),
      ...(o.metricsFile ? { metricsFile: o.metricsFile } : {}),
      ...(collapseThresholdPct === undefined ? {} : { collapseThresholdPct }),
      ...(o.collapseHoldDays === undefined ? {} : { collapseHoldDays: o.collapseHoldDays }),
      lease: { waitSeconds: o.leaseWait, staleAfterSeconds: o.leaseStaleAfter },
    },
    {
      ...backupSourceClients(o.redis, credentials),
      now: () => Date.now(),
      timing: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), pollMs: 200, timeoutMs: o.saveTimeout * 1000 },
      // ISO timestamps: the lines end up in a log file (cron) or the journal next to other runs'.
      say: o.json ? undefined : (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    },
  );
  const failure = backupFailure(report);
  // Exit 2 (nothing read or stored: a server or a destination not reached) is one line on stderr, as every command's.
  if (failure && !o.json && failure.exitCode === EXIT.usage) process.stderr.write(`redis-dr: ${failure.error.message}: ${failure.error.fix}\n`);
  else process.stdout.write(o.json ? `${JSON.stringify(failure ? { ...report, error: failure.error } : report, null, 2)}\n` : formatBackupReport(report));
  process.exitCode = report.busy ? EXIT_LEASE_HELD : (failure?.exitCode ?? EXIT.ok);
}

/**
 * A failed run's `error` as every command's --json reports it ({ code,
 * message, fix }) and its exit code: a server not reached at the connect
 * or destination step is a connection or credentials problem (exit 2:
 * nothing was read or stored, the message names the host and the fix); any
 * other failed step, or a keyspace collapse, is exit 1.
 */
export function backupFailure(r: BackupReport): ReportedFailure | undefined {
  if (r.ok) return undefined;
  const message = `${r.failedStep ?? 'backup'}: ${r.error ?? 'failed'}`;
  if (r.busy)
    return {
      error: {
        code: 'lease-held',
        message,
        fix: 'nothing to fix when runs overlap: the other run takes the backup; space the runs further apart or raise --lease-wait',
      },
      exitCode: EXIT.failed,
    };
  if (r.collapse) {
    const release = `redis-dr retention release --destination ${r.destination} --target ${r.target} --point ${r.backup?.file ?? '<collapsed backup>'}`;
    return reportedFailure(
      message,
      false,
      `restore the data first if it is gone by mistake (docs/self-managed.md); then release the hold: ${release}`,
      'keyspace-collapse',
    );
  }
  const fix = `fix what the ${r.failedStep ?? 'failed'} step's message names and run the backup again (nothing stored before was deleted)`;
  // Nothing read or stored yet: the server or the destination not reached (credentials, network) is exit 2.
  // The lease step is the first to reach the destination: a folder that is not there, credentials or a network that fail.
  const reached = r.failedStep === 'connect' || r.failedStep === 'destination' || r.failedStep === 'lease';
  return reportedFailure(message, reached && !r.backup, fix, 'failed', 'backup');
}
