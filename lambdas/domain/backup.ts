/**
 * Self-managed backups (`redis-dr backup`), the pure half: how backup files
 * are named, which files of a destination are ours, the tier of a new
 * backup, and what retention deletes. The same naming, tier and GFS rules as
 * ElastiCache recovery points (naming.ts, tier.ts, retention.ts): a backup
 * file is a recovery point whose "snapshot name" is its file name without
 * `.rdb`. Pure: no I/O, no clock.
 */
import { selectExpired, type RetentionDecision } from './retention.js';
import { formatSnapshotName, parseSnapshotName } from './naming.js';
import { classifyTier } from './tier.js';
import type { RecoveryPoint, Tier } from './types.js';

/** Extension of every backup file. */
export const BACKUP_EXTENSION = '.rdb';

/** `rdr-<target>-<yyyymmdd>-<hhmm>.rdb` (UTC minute), like an exported ElastiCache recovery point. */
export function backupFileName(target: string, at: Date): string {
  return `${formatSnapshotName(target, at)}${BACKUP_EXTENSION}`;
}

/** Target and minute of a backup file name; `undefined` for any other name. */
export function parseBackupFileName(file: string): { target: string; at: Date } | undefined {
  if (!file.endsWith(BACKUP_EXTENSION)) return undefined;
  return parseSnapshotName(file.slice(0, -BACKUP_EXTENSION.length));
}

/**
 * The target id of a server when `--name` gives none: `redis-<host>-<port>`
 * with every other character a hyphen, lowercased and cut to the 40
 * characters a recovery point's target may have.
 */
export function defaultBackupTarget(host: string, port: number): string {
  const cleaned = `redis-${host}-${port}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-+/g, '-');
  return cleaned.slice(0, 40).replace(/-+$/, '');
}

/** A file of the destination, as its listing and our record of it show it. */
export interface StoredBackup {
  /** File (or object key's last part) name. */
  readonly file: string;
  readonly size: number;
  /**
   * The tier recorded when redis-dr wrote it (sidecar or object tag);
   * absent for a file redis-dr did not write (then it is never deleted).
   */
  readonly tier?: Tier;
}

/** Retention counts and the rails of a backup run (the ElastiCache plans' counts). */
export interface BackupRetention {
  readonly hourly: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
  /** Never delete the newest `minKeep` backups. */
  readonly minKeep: number;
  /** IANA time zone tiers are computed in. */
  readonly timeZone: string;
}

/**
 * The recovery points of `target` among the destination's files: files named
 * for it; managed (deletable) only when redis-dr recorded a tier for them.
 * A file written by someone else under our naming stays, as an unmanaged
 * snapshot does.
 */
export function backupPoints(files: readonly StoredBackup[], target: string): RecoveryPoint[] {
  const points: RecoveryPoint[] = [];
  for (const f of files) {
    const parsed = parseBackupFileName(f.file);
    if (!parsed || parsed.target !== target.toLowerCase()) continue;
    points.push({ name: f.file, source: parsed.target, status: 'available', createdAt: parsed.at, managed: f.tier !== undefined, ...(f.tier ? { tier: f.tier } : {}) });
  }
  return points;
}

/** The tier of a backup taken at `at`, after the target's backups already stored. */
export function backupTier(files: readonly StoredBackup[], target: string, at: Date, timeZone: string): Tier {
  const previous = backupPoints(files, target)
    .filter((p) => p.createdAt.getTime() < at.getTime())
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  return classifyTier(previous?.createdAt, at, timeZone);
}

/**
 * What retention deletes among `target`'s backups once a new one is stored:
 * the GFS selection of retention.ts with its rails (the newest `minKeep`
 * stay; files redis-dr did not write are never deleted). The run calls it
 * only after its own backup was committed, so the staleness rail (an RPO)
 * does not apply here: it is set beyond any real age.
 */
export function backupRetention(files: readonly StoredBackup[], target: string, policy: BackupRetention, now: Date): RetentionDecision {
  return selectExpired(backupPoints(files, target), { ...policy, rpoMinutes: Number.MAX_SAFE_INTEGER }, now);
}
