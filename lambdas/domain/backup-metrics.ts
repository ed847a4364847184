/**
 * The Prometheus text a backup run leaves for node_exporter's textfile
 * collector: one gauge per fact, labelled with the target. Pure: the run
 * passes what happened and the previous file's last success (a failed run
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
}

/** Metric names, each once. */
export const BACKUP_METRICS = {
  lastSuccess: 'redis_dr_backup_last_success_timestamp_seconds',
  lastRun: 'redis_dr_backup_last_run_timestamp_seconds',
  success: 'redis_dr_backup_success',
  duration: 'redis_dr_backup_duration_seconds',
  bytes: 'redis_dr_backup_bytes',
  keys: 'redis_dr_backup_keys',
} as const;

const HELP: Record<keyof typeof BACKUP_METRICS, string> = {
  lastSuccess: 'When the last backup that succeeded in every step ended (unix seconds).',
  lastRun: 'When the last backup run ended, successful or not (unix seconds).',
  success: '1 when the last run succeeded in every step, 0 when a step failed (label step).',
  duration: 'Seconds the last run took.',
  bytes: 'Bytes of the last backup written (0 when the last run wrote none).',
  keys: 'Keys in the last backup written, per the RDB verifier.',
};

/** A label value as the text format wants it (backslash, quote and newline escaped). */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The whole file. `previousLastSuccess` (unix seconds, from the file the
 * previous run left) is carried over when this run failed.
 */
export function formatBackupMetrics(run: BackupRunMetrics, previousLastSuccess?: number): string {
  const t = `target="${label(run.target)}"`;
  const lines: string[] = [];
  const gauge = (key: keyof typeof BACKUP_METRICS, value: number, labels = t): void => {
    const name = BACKUP_METRICS[key];
    lines.push(`# HELP ${name} ${HELP[key]}`, `# TYPE ${name} gauge`, `${name}{${labels}} ${value}`);
  };
  const lastSuccess = run.ok ? run.endedAtMs / 1000 : previousLastSuccess;
  if (lastSuccess !== undefined) gauge('lastSuccess', lastSuccess);
  gauge('lastRun', run.endedAtMs / 1000);
  gauge('success', run.ok ? 1 : 0, run.failedStep ? `${t},step="${label(run.failedStep)}"` : t);
  gauge('duration', run.seconds);
  gauge('bytes', run.bytes);
  gauge('keys', run.keys);
  return `${lines.join('\n')}\n`;
}

/** The last-success time a previous file recorded for `target`, if any. */
export function parseLastSuccess(text: string, target: string): number | undefined {
  const prefix = `${BACKUP_METRICS.lastSuccess}{target="${label(target)}"} `;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const value = Number(line.slice(prefix.length));
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}
