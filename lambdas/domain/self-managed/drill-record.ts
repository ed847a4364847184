/**
 * The record a self-managed restore drill (`redis-dr drill local --from
 * <destination>`) leaves beside the backups it drilled, so the destination's
 * report (`report --destination`) has restores to judge its restore-time
 * control on: which backup, when, the verdict, the time from start to
 * verified (the file read and verified, loaded, checked) and each check. A JSON file per drill, never
 * listed as a backup. Pure.
 */
import type { DrillFact } from '../report/model.js';

/** Names of drill records start so (then the target, then the time). */
export const DRILL_RECORD_PREFIX = 'redis-dr-drill-';

/** One drill's record. */
export interface LocalDrillRecord {
  readonly target: string;
  /** The backup file drilled. */
  readonly point: string;
  readonly startedAt: string;
  readonly passed: boolean;
  /** `passed`, `failed`, `corrupt`, `unsupported`, `refused` or `error` (drill local's verdict). */
  readonly verdict: string;
  /**
   * Start to verified, seconds: the file read (an S3 object downloaded) and verified, loaded and checked (records of
   * earlier versions counted the load and the checks only); absent when it did not get that far.
   */
  readonly rtoSeconds?: number;
  /** The file read and verified (an S3 object downloaded). */
  readonly readSeconds?: number;
  readonly loadSeconds?: number;
  readonly verifySeconds?: number;
  readonly checks: readonly { readonly name: string; readonly ok: boolean }[];
  /** Why it failed, in a line. */
  readonly reason?: string;
  /** Who started it (`user@host`), for auditors telling manual drills from scheduled ones. */
  readonly startedBy?: string;
}

/**
 * `redis-dr-drill-<target>-20261125T031500.123Z.json` (never an .rdb name: never listed as a backup). To the
 * millisecond: two drills started in one second (a retry, two schedules) each keep their record; named to the
 * second, the second drill's record met the first's name and the drill said NOT RECORDED.
 */
export function drillRecordName(target: string, startedAt: Date): string {
  return `${DRILL_RECORD_PREFIX}${target.toLowerCase()}-${startedAt.toISOString().replace(/[-:]/g, '')}.json`;
}

/** The record in `text`, or undefined when it is not one (a foreign or damaged file: left out, never guessed). */
export function parseDrillRecord(text: string): LocalDrillRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LocalDrillRecord>;
    if (typeof r.target !== 'string' || typeof r.point !== 'string' || typeof r.passed !== 'boolean' || typeof r.verdict !== 'string') return undefined;
    if (typeof r.startedAt !== 'string' || Number.isNaN(Date.parse(r.startedAt)) || !Array.isArray(r.checks)) return undefined;
    if (r.rtoSeconds !== undefined && !(typeof r.rtoSeconds === 'number' && r.rtoSeconds >= 0)) return undefined;
    return r as LocalDrillRecord;
  } catch {
    return undefined;
  }
}

/** A record as the report's drill fact. */
export function drillFactOf(r: LocalDrillRecord): DrillFact {
  return {
    cache: r.target,
    plan: 'self-managed',
    region: 'local',
    startedAt: new Date(r.startedAt),
    passed: r.passed,
    ...(r.rtoSeconds !== undefined ? { rtoSeconds: r.rtoSeconds } : {}),
    phases: {
      ...(r.readSeconds !== undefined ? { read: r.readSeconds } : {}),
      ...(r.loadSeconds !== undefined ? { load: r.loadSeconds } : {}),
      ...(r.verifySeconds !== undefined ? { verify: r.verifySeconds } : {}),
    },
    checks: r.checks,
    ...(r.passed ? {} : { reason: r.reason ?? r.verdict }),
    // `drill local` is always run by someone: no schedule starts it.
    trigger: 'manual',
    ...(r.startedBy ? { startedBy: r.startedBy } : {}),
    point: r.point,
  };
}
