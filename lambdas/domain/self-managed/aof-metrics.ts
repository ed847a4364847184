/**
 * The Prometheus text `redis-dr ship-aof` leaves for node_exporter's textfile
 * collector after every cycle, labelled with the AOF directory: the
 * conventions of the backup metrics (lambdas/domain/self-managed/backup-metrics.ts).
 * Counters count since the shipper started (a restart starts them again,
 * which Prometheus' rate() handles).
 *
 * @see https://github.com/prometheus/node_exporter#textfile-collector
 */

/** What a shipper reports after a cycle. */
export interface AofShipMetrics {
  readonly dir: string;
  /**
   * Seconds since the newest moment everything the directory held (whole
   * commands) was at the destination and restorable from it (a stored base
   * whose increments reach the newest); since the shipper started while there
   * was no such moment.
   */
  readonly lagSeconds: number;
  /** That moment (ms since the epoch), once there was one: until then the lag is not within the RPO, whatever its value. */
  readonly shippedThroughMs?: number;
  readonly rpoSeconds: number;
  /** When the cycle ended (ms since the epoch). */
  readonly cycleEndedMs: number;
  /** Bytes the server appended to increments, and base bytes it wrote, seen by this shipper. */
  readonly appendedBytes: number;
  /** Bytes sent to the destination (parts, manifests, records). */
  readonly uploadedBytes: number;
  readonly parts: number;
  /** Cycles (or base uploads) that failed. */
  readonly errors: number;
  /** Bytes after the last whole command, held back (a command still being written). */
  readonly heldBackBytes: number;
  /** Seq of the newest base stored whole at the destination, by this run or an earlier one; 0 when none is. */
  readonly baseSeq: number;
  /** The last cycle shipped everything and the history is restorable (false: not within the RPO, whatever the lag). */
  readonly cycleOk?: boolean;
  /** Torn parts at the destination the shipper could not ship again (the server no longer has their bytes). */
  readonly tornParts?: number;
  /** The server writes commands with no `#TS` annotation (aof-timestamp-enabled no): no point-in-time restore of them. */
  readonly timestampsMissing?: boolean;
  /** `INFO persistence` aof_enabled, when the shipper was given the server (--redis). */
  readonly aofEnabled?: boolean;
}

/** Metric names, each once. */
export const AOF_METRICS = {
  lag: 'redis_dr_aof_lag_seconds',
  shippedThrough: 'redis_dr_aof_shipped_through_timestamp_seconds',
  withinRpo: 'redis_dr_aof_within_rpo',
  rpo: 'redis_dr_aof_rpo_seconds',
  lastCycle: 'redis_dr_aof_last_cycle_timestamp_seconds',
  appended: 'redis_dr_aof_appended_bytes_total',
  uploaded: 'redis_dr_aof_uploaded_bytes_total',
  parts: 'redis_dr_aof_parts_total',
  errors: 'redis_dr_aof_errors_total',
  heldBack: 'redis_dr_aof_held_back_bytes',
  baseSeq: 'redis_dr_aof_base_seq',
  tornParts: 'redis_dr_aof_torn_parts',
  timestampsMissing: 'redis_dr_aof_timestamps_missing',
  aofEnabled: 'redis_dr_aof_enabled',
} as const;

const HELP: Record<keyof typeof AOF_METRICS, [string, 'gauge' | 'counter']> = {
  lag: [
    'Seconds since the newest moment all whole commands of the AOF were at the destination and restorable (since the shipper started while they never were).',
    'gauge',
  ],
  shippedThrough: ['That moment (unix seconds): everything written before it is shipped and restorable.', 'gauge'],
  withinRpo: ['1 while the last cycle shipped everything restorably and the lag is within --rpo after a restorable moment, else 0.', 'gauge'],
  rpo: ['The --rpo the shipper runs with, in seconds.', 'gauge'],
  lastCycle: ['When the last shipping cycle ended (unix seconds).', 'gauge'],
  appended: ['Bytes the server wrote to the AOF (increments appended, bases written) since the shipper started.', 'counter'],
  uploaded: ['Bytes sent to the destination (parts, manifests, records) since the shipper started.', 'counter'],
  parts: ['Parts written to the destination since the shipper started.', 'counter'],
  errors: ['Cycles or base uploads that failed since the shipper started.', 'counter'],
  heldBack: ['Bytes after the last whole command of the increments, held back until the command is whole.', 'gauge'],
  baseSeq: ['Seq of the newest base file stored whole at the destination (0: none, nothing is restorable).', 'gauge'],
  tornParts: [
    'Parts at the destination whose stored bytes are not what was shipped and that could not be shipped again (the history is not restorable across them).',
    'gauge',
  ],
  timestampsMissing: [
    '1 when the server writes commands without #TS annotations (aof-timestamp-enabled no): restore-aof --until cannot date them; the heartbeat is withheld.',
    'gauge',
  ],
  aofEnabled: ['INFO persistence aof_enabled of the server (--redis): 0 means nothing new is written to the AOF; the heartbeat is withheld.', 'gauge'],
};

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The whole file. */
export function formatAofMetrics(m: AofShipMetrics): string {
  const labels = `dir="${label(m.dir)}"`;
  const lines: string[] = [];
  const put = (key: keyof typeof AOF_METRICS, value: number) => {
    const [help, type] = HELP[key];
    const name = AOF_METRICS[key];
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}{${labels}} ${value}`);
  };
  put('lag', round(m.lagSeconds));
  if (m.shippedThroughMs !== undefined) put('shippedThrough', round(m.shippedThroughMs / 1000));
  put('withinRpo', m.cycleOk !== false && m.shippedThroughMs !== undefined && m.lagSeconds <= m.rpoSeconds ? 1 : 0);
  put('rpo', m.rpoSeconds);
  put('lastCycle', round(m.cycleEndedMs / 1000));
  put('appended', m.appendedBytes);
  put('uploaded', m.uploadedBytes);
  put('parts', m.parts);
  put('errors', m.errors);
  put('heldBack', m.heldBackBytes);
  put('baseSeq', m.baseSeq);
  put('tornParts', m.tornParts ?? 0);
  put('timestampsMissing', m.timestampsMissing ? 1 : 0);
  if (m.aofEnabled !== undefined) put('aofEnabled', m.aofEnabled ? 1 : 0);
  return `${lines.join('\n')}\n`;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
