/**
 * The backup policy of a self-managed destination (`redis-dr policy
 * --destination`): the same document as a deployment's, stated from what
 * the destination holds (the servers backing up into it, how often their
 * read-back backups arrive, the drills `drill local --from` recorded) and
 * the backup settings the runs are given (their retention counts live on
 * the backup command line, so they are said here as given). Pure.
 */
import { parseBackupFileName, type StoredBackup } from '../self-managed/backup.js';
import type { LocalDrillRecord } from '../self-managed/drill-record.js';
import type { PolicyInput, PolicyPlan } from './document.js';

/** The settings the destination's backup runs are held to (`backup --keep-*`, `report --destination`'s objectives). */
export interface DestinationSettings {
  readonly retention: PolicyPlan['retention'];
  readonly rpoMinutes: number;
  readonly rtoMinutes: number;
  readonly timeZone: string;
  readonly maxRetentionDays?: number;
  /** Who the heartbeat's monitor pages, as the operator names them (the destination cannot know). */
  readonly paged: readonly string[];
}

/** The median gap between consecutive backups, minutes (undefined with fewer than two). */
function medianGapMinutes(times: readonly number[]): number | undefined {
  const sorted = [...times].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => (t - sorted[i]!) / 60_000);
  if (gaps.length === 0) return undefined;
  gaps.sort((a, b) => a - b);
  return Math.round(gaps[Math.floor(gaps.length / 2)]!);
}

const every = (minutes: number) =>
  minutes === 0 ? 'under 1 min' : minutes % 1440 === 0 ? `${minutes / 1440} d` : minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;

/**
 * The policy's facts from a destination's files and drill records; undefined
 * when it holds no backup redis-dr wrote (nothing to state a policy for).
 */
export function destinationPolicyInput(
  destination: string,
  files: readonly StoredBackup[],
  drills: readonly LocalDrillRecord[],
  settings: DestinationSettings,
  generatedAt: Date,
  /** Drill records there that could not be read (names): said, never left out of the count in silence. */
  unreadDrills: readonly string[] = [],
): PolicyInput | undefined {
  const byTarget = new Map<string, number[]>();
  for (const f of files) {
    const parsed = parseBackupFileName(f.file);
    // Only backups redis-dr wrote and read back are recovery points (as the report counts them).
    if (!parsed || f.tier === undefined || f.proven !== true) continue;
    byTarget.set(parsed.target, [...(byTarget.get(parsed.target) ?? []), parsed.at.getTime()]);
  }
  if (byTarget.size === 0) return undefined;
  const plans: PolicyPlan[] = [...byTarget]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([target, times]) => {
      const gap = medianGapMinutes(times);
      const drilled = drills.filter((d) => d.target.toLowerCase() === target.toLowerCase());
      const last = drilled
        .map((d) => d.startedAt)
        .sort()
        .at(-1);
      return {
        name: target,
        scope: [target],
        schedule: {
          cron:
            gap === undefined ? `one backup held (${times.length}): no interval observed yet` : `every ${every(gap)} (median of ${times.length} backups held)`,
          timeZone: settings.timeZone,
        },
        rpoMinutes: settings.rpoMinutes,
        retention: settings.retention,
        vault: false,
        ...(settings.maxRetentionDays !== undefined ? { maxRetentionDays: settings.maxRetentionDays } : {}),
        copies: `read-back .rdb backups at ${destination}`,
        drill: {
          cron: drilled.length > 0 ? `${drilled.length} recorded, newest ${last}` : 'none recorded: run redis-dr drill local --from the destination',
          timeZone: settings.timeZone,
          where: 'a local redis-server (drill local)',
          rtoMinutes: settings.rtoMinutes,
          fromVault: false,
        },
      };
    });
  return {
    deployment: destination,
    primaryRegion: 'self-managed',
    drRegion: 'none',
    paged: settings.paged,
    plans,
    generatedAt,
    source: `${destination} (its backups and drill records) and the backup settings given`,
    copiesText: `Self-managed backups at ${destination}, each read back after it was written (length and SHA-256). Where the store replicates is the store's setting; no vault account.`,
    drillText:
      'Drills restore a backup into a local redis-server and verify it (redis-dr drill local --from), each recorded beside the backups; the RTO is judged on each recorded drill.' +
      (unreadDrills.length === 0
        ? ''
        : ` ${unreadDrills.length} drill record${unreadDrills.length === 1 ? ' there could not be read and is' : 's there could not be read and are'} not counted: ${unreadDrills.join(', ')}.`),
    pagedText: "Self-managed runs page through the heartbeat's monitor (backup --heartbeat-url: its /fail pings and missed runs), which notifies:",
  };
}
