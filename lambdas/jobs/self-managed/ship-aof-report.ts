/**
 * What `redis-dr ship-aof` says after each cycle: the log line (a problem
 * repeated at most once a minute), the node_exporter metrics file and the
 * heartbeat ping, which is sent only while the history is restorable to the
 * newest command within the RPO.
 */
import { pingHeartbeat } from '../../adapters/host/heartbeat.js';
import { writeFileAtomic } from '../../adapters/host/textfile.js';
import type { ServerAofState } from '../../adapters/storage/aof-dir.js';
import { type BaseRecord, isoSecond } from '../../domain/self-managed/aof-history.js';
import { formatAofMetrics } from '../../domain/self-managed/aof-metrics.js';
import { type CycleReport, formatBytes, message, QUIET_LOG_MS, type ShipAofDeps, type ShipAofRequest } from './ship-aof-types.js';

/** The shipper's figures a report reads. */
export interface ShipperState {
  /** The newest moment everything the directory held was shipped and restorable. */
  readonly shippedThroughMs?: number;
  readonly totals: { readonly appended: number; readonly uploaded: number; readonly parts: number; readonly errors: number };
  readonly newestBaseSeq: number;
  /** Torn parts and bases the server no longer has. */
  readonly tornParts: number;
  /** Commands written without `#TS` annotations (point-in-time restore impossible for them). */
  readonly timestampsMissing: boolean;
  /** From the server, when it was given. */
  readonly aofEnabled?: boolean;
}

/** Reports cycles, remembering what it last said so a lasting problem is not logged every cycle. */
export class CycleReporter {
  private lastPingMs = -Infinity;
  private lastLogMs = -Infinity;
  private lastError = '';
  private lastWarning = '';
  private overRpo = false;

  constructor(
    private readonly req: ShipAofRequest,
    private readonly deps: ShipAofDeps,
  ) {}

  /** The metrics, the heartbeat and the log line after a cycle. */
  async report(c: CycleReport, state: ShipperState): Promise<void> {
    const lagS = c.lagMs / 1000;
    // Before the first restorable moment there is nothing the lag can be measured from: not within.
    const restorableOnce = state.shippedThroughMs !== undefined;
    const within = restorableOnce && c.lagMs <= this.req.rpoMs;
    const now = this.deps.now();
    const progress = () => {
      const where = Object.entries(c.files)
        .filter(([n]) => n.endsWith('.incr.aof'))
        .map(([n, b]) => `${n} to byte ${b}`)
        .slice(-2)
        .join(', ');
      return `${c.parts > 0 ? `shipped ${formatBytes(c.bytes)} in ${c.parts} part${c.parts === 1 ? '' : 's'}` : 'up to date'} (${where}); lag ${lagS.toFixed(1)} s${c.heldBackBytes > 0 ? `, ${formatBytes(c.heldBackBytes)} held back` : ''}`;
    };
    const problem = c.errors.length > 0 ? c.errors.join('; ') : c.notRestorable;
    if (problem !== undefined) {
      if (problem !== this.lastError || now - this.lastLogMs >= QUIET_LOG_MS) {
        this.deps.say(
          c.errors.length > 0
            ? `ship-aof: cycle failed (retried every ${this.req.intervalMs / 1000} s, nothing skipped): ${problem}; lag ${lagS.toFixed(1)} s`
            : `ship-aof: ${progress()}; ${problem}; the heartbeat is not pinged until it can`,
        );
        this.lastLogMs = now;
      }
      this.lastError = problem;
    } else {
      if (this.lastError) this.deps.say(`ship-aof: caught up, restorable to the newest command (base ${c.restoreBase})`);
      this.lastError = '';
      if (c.parts > 0 || now - this.lastLogMs >= QUIET_LOG_MS) {
        this.deps.say(`ship-aof: ${progress()}`);
        this.lastLogMs = now;
      }
    }
    const warning = c.warnings.join('; ');
    if (warning && (warning !== this.lastWarning || now - this.lastLogMs >= QUIET_LOG_MS)) {
      this.deps.say(`ship-aof: WARNING: ${warning}; the heartbeat is not pinged until it is fixed`);
      this.lastLogMs = now;
    }
    if (!warning && this.lastWarning)
      this.deps.say('ship-aof: timestamps and AOF are on again: point-in-time restore is possible for what is shipped from now on');
    this.lastWarning = warning;
    const over = restorableOnce && !within;
    if (over && !this.overRpo)
      this.deps.say(`ship-aof: lag ${lagS.toFixed(1)} s is over --rpo ${this.req.rpoMs / 1000} s: the heartbeat is not pinged until it is back within`);
    if (within && this.overRpo) this.deps.say(`ship-aof: lag back within --rpo (${lagS.toFixed(1)} s)`);
    this.overRpo = over;
    if (this.req.metricsFile) {
      const text = formatAofMetrics({
        dir: this.req.dir.dir,
        lagSeconds: lagS,
        ...(state.shippedThroughMs !== undefined ? { shippedThroughMs: state.shippedThroughMs } : {}),
        rpoSeconds: this.req.rpoMs / 1000,
        cycleEndedMs: c.endedAtMs,
        appendedBytes: state.totals.appended,
        uploadedBytes: state.totals.uploaded,
        parts: state.totals.parts,
        errors: state.totals.errors,
        heldBackBytes: c.heldBackBytes,
        baseSeq: state.newestBaseSeq,
        cycleOk: c.ok,
        tornParts: state.tornParts,
        timestampsMissing: state.timestampsMissing,
        ...(state.aofEnabled !== undefined ? { aofEnabled: state.aofEnabled } : {}),
      });
      await writeFileAtomic(this.req.metricsFile, text).catch((err: unknown) =>
        this.deps.say(`ship-aof: metrics file ${this.req.metricsFile} not written: ${message(err)}`),
      );
    }
    // A cycle that failed (a part not stored, or not read back), or history that cannot serve --until: no success ping, whatever the lag.
    if (this.req.heartbeat && within && c.ok && !warning && now - this.lastPingMs >= this.req.heartbeat.everyMs) {
      this.lastPingMs = now;
      const problem = await (this.deps.ping ?? ((url: string) => pingHeartbeat(url, 'success', `lag ${lagS.toFixed(1)} s`)))(this.req.heartbeat.url);
      if (problem) this.deps.say(`ship-aof: ${problem}`);
    }
  }
}

/** Why the shipped history cannot serve a point-in-time restore, if it cannot. */
export function pitrWarnings(
  st: ServerAofState | undefined,
  untimed: { readonly file: string; readonly offset: number; readonly second: number } | undefined,
  lastTsSecond: number | undefined,
): string[] {
  const out: string[] = [];
  if (st && !st.aofEnabled) {
    out.push(
      'AOF is switched off on the server (INFO persistence aof_enabled:0): nothing new is written to the AOF, so nothing new is shipped; switch it on (CONFIG SET appendonly yes, and appendonly yes in redis.conf)',
    );
  }
  if (st?.timestampsEnabled === false) {
    out.push(
      'the server writes no #TS annotations (CONFIG GET aof-timestamp-enabled: no): restore-aof --until cannot date the commands shipped; set aof-timestamp-enabled yes (CONFIG SET and redis.conf)',
    );
  } else if (untimed) {
    out.push(
      `the server writes commands with no #TS annotation (${untimed.file} from byte ${untimed.offset}, written after ${isoSecond(untimed.second)} and none since ${lastTsSecond !== undefined ? isoSecond(lastTsSecond) : 'this shipper started'}): aof-timestamp-enabled is no, so restore-aof --until cannot date them (point-in-time restore impossible); set aof-timestamp-enabled yes (CONFIG SET and redis.conf)`,
    );
  }
  return out;
}

/** The log line of a base stored whole: its size, format, keys and the time its dataset is from. */
export function baseStoredLine(name: string, size: number, record: BaseRecord): string {
  const when =
    record.timeSeconds !== undefined
      ? `, dataset as of ${new Date(record.timeSeconds * 1000).toISOString()}`
      : record.untimedCommands !== undefined
        ? `, no time: ${record.untimedCommands} commands follow its RDB preamble with no #TS annotation before them (restore-aof --until cannot use it; to the end can)`
        : ', no time recorded in it';
  return `ship-aof: base ${name} stored (${formatBytes(size)}, ${record.format}${record.keys !== undefined ? `, ${record.keys} keys` : ''}${when})`;
}

/** Whether the shipped commands carry `#TS` annotations, so `restore-aof --until` can date them. */
export class AnnotationWatch {
  /** Newest `#TS` second seen in the bytes shipped by this run. */
  lastTsSecond?: number;
  /** Set when commands of a second with no annotation were shipped; cleared by the next annotation. */
  untimed?: { file: string; offset: number; second: number };

  /**
   * Whether the server writes `#TS` annotations, from the bytes about to be
   * shipped. With aof-timestamp-enabled yes the server writes one before the
   * first command of every second, so commands with none can only be of the
   * second of the last annotation. Judged only on bytes appended after the
   * previous cycle caught up (so written after it), a second of margin for
   * the server's cached clock, and after a second of this run passed.
   */
  judge(
    file: string,
    offset: number,
    scan: { commands: number; annotations: number; lastSecond?: number },
    run: { readonly prevObservedMs?: number; readonly shippedThroughMs?: number; readonly startedAtMs: number },
  ): void {
    if (scan.annotations > 0) {
      this.lastTsSecond = Math.max(this.lastTsSecond ?? 0, scan.lastSecond ?? 0);
      this.untimed = undefined;
      return;
    }
    if (scan.commands === 0 || run.prevObservedMs === undefined || run.prevObservedMs !== run.shippedThroughMs) return;
    const writtenFrom = Math.floor(run.prevObservedMs / 1000) - 1;
    if (writtenFrom > Math.floor(run.startedAtMs / 1000) + 1 && writtenFrom > (this.lastTsSecond ?? -Infinity)) {
      this.untimed ??= { file, offset, second: writtenFrom };
    }
  }
}
