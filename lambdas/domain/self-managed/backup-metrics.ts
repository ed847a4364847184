/**
 * The Prometheus text a backup run leaves for node_exporter's textfile
 * collector: one gauge per fact, labelled with the target. Pure: the run
 * passes what happened and the previous file's text, whose series of other
 * targets are kept (several targets may share one file) and whose last
 * success of this target is carried over when this run failed (a failed run
 * must not erase when the last good backup was).
 *
 * @see https://github.com/prometheus/node_exporter#textfile-collector
 */

/** What one run reports. */
export interface BackupRunMetrics {
  readonly target: string;
  readonly ok: boolean;
  /** When the run ended (ms since the epoch). */
  readonly endedAtMs: number;
  readonly seconds: number;
  /** Bytes of the backup written (0 when none was). */
  readonly bytes: number;
  /** Keys in it, per the verifier (0 when none was written). */
  readonly keys: number;
  /** The step that failed, when one did. */
  readonly failedStep?: string;
  /**
   * Whether the new backup was judged a keyspace collapse; absent when the
   * run did not get that far (the previous value is kept).
   */
  readonly collapsed?: boolean;
}

/** Metric names, each once. */
export const BACKUP_METRICS = {
  lastSuccess: 'redis_dr_backup_last_success_timestamp_seconds',
  lastRun: 'redis_dr_backup_last_run_timestamp_seconds',
  success: 'redis_dr_backup_success',
  duration: 'redis_dr_backup_duration_seconds',
  bytes: 'redis_dr_backup_bytes',
  keys: 'redis_dr_backup_keys',
  collapsed: 'redis_dr_backup_keyspace_collapsed',
  leaseWaiting: 'redis_dr_backup_lease_waiting',
  leaseStaleAt: 'redis_dr_backup_lease_stale_timestamp_seconds',
} as const;

const HELP: Record<keyof typeof BACKUP_METRICS, string> = {
  lastSuccess: 'When the last backup that succeeded in every step ended (unix seconds).',
  lastRun: 'When the last backup run ended, successful or not (unix seconds).',
  success: '1 when the last run succeeded in every step, 0 when a step failed (label step).',
  duration: 'Seconds the last run took.',
  bytes: 'Bytes of the last backup written (0 when the last run wrote none).',
  keys: 'Keys in the last backup written, per the RDB verifier.',
  collapsed: '1 when the last backup judged was a keyspace collapse (far fewer keys or bytes than the backup before it; earlier backups held).',
  leaseWaiting:
    "1 when the last run did nothing because a run on another host or in another container holds the target's lease (label holder); 0 once a run takes it.",
  leaseStaleAt: 'While waiting: when that lease is stale and taken over, unless its holder refreshes it (unix seconds).',
};

/** A run that did not get the lease because a holder it cannot look up (another host or container) holds it. */
export interface LeaseWaitMetrics {
  readonly target: string;
  /** Where the holder runs (its host name), or `unreadable` for a lease whose text names none. */
  readonly holder: string;
  /** When the lease is stale, unless refreshed (ms since the epoch). */
  readonly staleAtMs: number;
}

/** A label value as the text format wants it (backslash, quote and newline escaped). */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample line of one of our metrics: name, the whole label text, the target label's raw (escaped) value. */
const SAMPLE = /^(redis_dr_backup_\w+)\{(target="((?:[^"\\]|\\.)*)"[^}]*)\} (\S+)$/;

/**
 * The whole file: this run's series for its target, the series of every
 * other target of `previous` (the file the runs before left) as they were.
 */
export function formatBackupMetrics(run: BackupRunMetrics, previous = ''): string {
  const target = label(run.target);
  const t = `target="${target}"`;
  const samples = new Map<string, string[]>(Object.values(BACKUP_METRICS).map((name) => [name, []]));
  for (const line of previous.split('\n')) {
    const m = SAMPLE.exec(line);
    if (m && m[3] !== target && samples.has(m[1]!)) samples.get(m[1]!)!.push(line);
  }
  const own = (key: keyof typeof BACKUP_METRICS, value: number, labels = t): void => {
    samples.get(BACKUP_METRICS[key])!.push(`${BACKUP_METRICS[key]}{${labels}} ${value}`);
  };
  const lastSuccess = run.ok ? run.endedAtMs / 1000 : parseGauge(previous, BACKUP_METRICS.lastSuccess, run.target);
  if (lastSuccess !== undefined) own('lastSuccess', lastSuccess);
  own('lastRun', run.endedAtMs / 1000);
  own('success', run.ok ? 1 : 0, run.failedStep ? `${t},step="${label(run.failedStep)}"` : t);
  own('duration', run.seconds);
  own('bytes', run.bytes);
  own('keys', run.keys);
  const collapsed = run.collapsed === undefined ? parseGauge(previous, BACKUP_METRICS.collapsed, run.target) : run.collapsed ? 1 : 0;
  if (collapsed !== undefined) own('collapsed', collapsed);
  // A run that got the lease ends any wait the runs before it reported.
  own('leaseWaiting', 0);
  return render(samples);
}

/**
 * The whole file after a run that waited on a lease held elsewhere and did
 * nothing: the target's series of the runs before kept as they were (no
 * run happened: its last run, success and sizes stand), the wait set.
 */
export function formatLeaseWaitMetrics(wait: LeaseWaitMetrics, previous = ''): string {
  const t = `target="${label(wait.target)}"`;
  const lease = new Set<string>([BACKUP_METRICS.leaseWaiting, BACKUP_METRICS.leaseStaleAt]);
  const samples = new Map<string, string[]>(Object.values(BACKUP_METRICS).map((name) => [name, []]));
  for (const line of previous.split('\n')) {
    const m = SAMPLE.exec(line);
    if (m && samples.has(m[1]!) && !(lease.has(m[1]!) && m[3] === label(wait.target))) samples.get(m[1]!)!.push(line);
  }
  samples.get(BACKUP_METRICS.leaseWaiting)!.push(`${BACKUP_METRICS.leaseWaiting}{${t},holder="${label(wait.holder)}"} 1`);
  samples.get(BACKUP_METRICS.leaseStaleAt)!.push(`${BACKUP_METRICS.leaseStaleAt}{${t}} ${wait.staleAtMs / 1000}`);
  return render(samples);
}

/** The file's text: per metric its HELP, TYPE and samples. */
function render(samples: ReadonlyMap<string, string[]>): string {
  const lines: string[] = [];
  for (const key of Object.keys(BACKUP_METRICS) as (keyof typeof BACKUP_METRICS)[]) {
    const name = BACKUP_METRICS[key];
    const list = samples.get(name)!;
    if (list.length === 0) continue;
    // One HELP and TYPE per metric, its samples ordered by label text: the file reads the same whichever target ran last.
    lines.push(`# HELP ${name} ${HELP[key]}`, `# TYPE ${name} gauge`, ...list.sort());
  }
  return `${lines.join('\n')}\n`;
}

/** The last-success time a previous file recorded for `target`, if any. */
export function parseLastSuccess(text: string, target: string): number | undefined {
  return parseGauge(text, BACKUP_METRICS.lastSuccess, target);
}

function parseGauge(text: string, name: string, target: string): number | undefined {
  const prefix = `${name}{target="${label(target)}"} `;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const value = Number(line.slice(prefix.length));
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}
