/**
 * Self-managed backups (`redis-dr backup`), the pure half: how backup files
 * are named, which files of a destination are ours, the tier of a new
 * backup, and what retention deletes. The same naming, tier and GFS rules as
 * ElastiCache recovery points (naming.ts, tier.ts, retention.ts): a backup
 * file is a recovery point whose "snapshot name" is its file name without
 * `.rdb`. Pure: no I/O, no clock.
 */
import { collapseHold, parseCollapseHold, type Collapse } from '../plans/collapse.js';
import { baselinePoint, collapseMarkState, isGoodMark, judgePoint } from '../points/collapse-points.js';
import { selectExpired, type RetentionDecision } from '../plans/retention.js';
import { formatSnapshotName, parseSnapshotName } from '../plans/naming.js';
import { classifyTier } from '../plans/tier.js';
import type { RecoveryPoint, Tier } from '../plans/types.js';

/** Extension of every backup file. */
export const BACKUP_EXTENSION = '.rdb';

/**
 * `rdr-<target>-<yyyymmdd>-<hhmm>.rdb` (UTC minute), like an exported
 * ElastiCache recovery point; with `bySecond`,
 * `rdr-<target>-<yyyymmdd>-<hhmmss>.rdb` (a second backup of one minute).
 */
export function backupFileName(target: string, at: Date, bySecond = false): string {
  const minute = formatSnapshotName(target, at);
  return `${minute}${bySecond ? String(at.getUTCSeconds()).padStart(2, '0') : ''}${BACKUP_EXTENSION}`;
}

// The minute form is the ElastiCache name; the second form adds two digits, so the two never parse as each other.
const BY_SECOND = /^(rdr-.+-\d{8}-\d{4})(\d{2})$/;

/** Target and time (minute, or second for the by-second form) of a backup file name; `undefined` for any other name. */
export function parseBackupFileName(file: string): { target: string; at: Date } | undefined {
  if (!file.endsWith(BACKUP_EXTENSION)) return undefined;
  const base = file.slice(0, -BACKUP_EXTENSION.length);
  const bySecond = BY_SECOND.exec(base);
  if (bySecond) {
    const seconds = Number(bySecond[2]);
    const minute = parseSnapshotName(bySecond[1]!);
    if (!minute || seconds > 59) return undefined;
    return { target: minute.target, at: new Date(minute.at.getTime() + seconds * 1000) };
  }
  return parseSnapshotName(base);
}

/**
 * The name of a new backup of `target` at `at`: the minute form unless a
 * backup of the target already exists in that minute (any form), then the
 * by-second form. `undefined` when that name is taken too (run again next second).
 */
export function newBackupFileName(files: readonly Pick<StoredBackup, 'file'>[], target: string, at: Date): string | undefined {
  const minute = backupFileName(target, at);
  const minuteOf = (d: Date): number => Math.floor(d.getTime() / 60_000);
  const taken = new Set(files.map((f) => f.file));
  const minuteUsed = files.some((f) => {
    const p = parseBackupFileName(f.file);
    return p !== undefined && p.target === target.toLowerCase() && minuteOf(p.at) === minuteOf(at);
  });
  if (!minuteUsed && !taken.has(minute)) return minute;
  const second = backupFileName(target, at, true);
  return taken.has(second) ? undefined : second;
}

/** Names of this machine's loopback that mean one server: they get one default name. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', '0:0:0:0:0:0:0:1', 'ip6-localhost']);

/**
 * The target id of a server when `--name` gives none: `redis-<host>-<port>`
 * with every other character a hyphen, lowercased and cut to the 40
 * characters a recovery point's target may have. The loopback names
 * (localhost, 127.0.0.1, ::1) are one server, named as 127.0.0.1 (the name
 * the docs' examples always gave): `redis-127-0-0-1-<port>`, so the backups
 * of a cron line and a shell line that wrote the host differently share one
 * retention series and one collapse baseline.
 */
export function defaultBackupTarget(host: string, port: number): string {
  return uncutBackupTarget(host, port).slice(0, 40).replace(/-+$/, '');
}

/**
 * The default name before it is cut to 40 characters, when it has to be: cut, it loses the port, so two servers of
 * one host would share a name (their backups in one retention series and one collapse baseline). Undefined when it fits.
 */
export function cutBackupTarget(host: string, port: number): string | undefined {
  const whole = uncutBackupTarget(host, port);
  return whole.length > 40 ? whole : undefined;
}

function uncutBackupTarget(host: string, port: number): string {
  const name = LOOPBACK.has(host.toLowerCase().replace(/\.$/, '')) ? '127.0.0.1' : host;
  return `redis-${name}-${port}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/-+/g, '-');
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
  /**
   * Read back from the destination after it was written, and its length
   * and SHA-256 matched (recorded in the sidecar / an object tag). A backup
   * without it is unproven: it never counts towards `minKeep`.
   */
  readonly proven?: boolean;
  /** The SHA-256 (hex) its read-back found when it was stored: present when it is {@link proven}. */
  readonly sha256?: string;
  /** Keys in it, as its record says (absent for files without a record). */
  readonly keys?: number;
  /** Keys per database number, as its record says (absent for records from before they were counted). */
  readonly keysByDb?: Readonly<Record<string, number>>;
  /** Why retention must keep it (`keyspace-collapsed:<point>`), until released. */
  readonly hold?: string;
  /** It was judged a keyspace collapse (the detail), until an operator released it. */
  readonly collapsed?: string;
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
    points.push({
      name: f.file,
      source: parsed.target,
      status: 'available',
      createdAt: parsed.at,
      managed: f.tier !== undefined,
      ...(f.tier ? { tier: f.tier } : {}),
      ...(f.proven ? {} : { unproven: true }),
      ...(f.hold !== undefined ? { held: f.hold } : {}),
      ...(isCollapsed(f) ? { collapsed: true } : {}),
      // A good point's count and size: retention keeps the fullest of the collapse window (by keys, and by bytes) while
      // the newest holds fewer.
      ...(f.keys !== undefined && !isCollapsed(f) ? { keys: f.keys, bytes: f.size } : {}),
      ...(collapseMarkState(f.collapsed) === 'accepted' ? { accepted: true } : {}),
    });
  }
  return points;
}

/** A new backup, as the collapse tripwire sees it. */
export interface NewBackup {
  readonly file: string;
  readonly at: Date;
  readonly keys: number;
  readonly bytes: number;
  /** Keys per database number (the verifier's count). */
  readonly keysByDb?: Readonly<Record<string, number>>;
}

/** A backup marked a keyspace collapse that still counts as one (an accepted collapse is a good point again). */
export function isCollapsed(f: StoredBackup): boolean {
  return f.collapsed !== undefined && !isGoodMark(collapseMarkState(f.collapsed));
}

/**
 * The keyspace-collapse tripwire of a self-managed backup: `current` judged
 * against the fullest earlier backup of the target in the collapse window
 * (collapse-points.ts baselinePoint: so a slow drain trips as a FLUSHALL
 * does) that is not itself a collapse and has a recorded key count — proven
 * or not: a backup written before read-back existed still says how many keys
 * there were, and without it an empty first run after an upgrade would judge
 * nothing and let retention delete those backups.
 * @throws Error when `thresholdPct` is not within 0..100
 */
export function backupCollapse(files: readonly StoredBackup[], target: string, current: NewBackup, thresholdPct: number): Collapse | undefined {
  const counted = files
    .map((f) => ({ f, at: parseBackupFileName(f.file) }))
    .filter(({ f, at }) => at !== undefined && at.target === target.toLowerCase() && f.file !== current.file && f.keys !== undefined)
    .map(({ f, at }) => ({
      name: f.file,
      createdAt: at!.at,
      keys: f.keys,
      bytes: f.size,
      mark: isCollapsed(f) ? ('active' as const) : collapseMarkState(f.collapsed),
    }));
  const whole = judgePoint(counted, { point: current.file, keys: current.keys, bytes: current.bytes, createdAt: current.at }, thresholdPct);
  if (whole || current.keysByDb === undefined) return whole;
  // Database by database, against the fullest point by keys (or the newest good one) that counted them: a FLUSHDB of
  // one database out of several is within the threshold of the whole keyspace.
  const withDbs = new Set(files.filter((f) => f.keysByDb !== undefined).map((f) => f.file));
  const baseline = baselinePoint(
    counted.filter((p) => withDbs.has(p.name)),
    current.at,
  );
  const before = baseline && files.find((f) => f.file === baseline.name)?.keysByDb;
  return baseline && before
    ? databaseCollapse({ point: baseline.name, keysByDb: before }, { point: current.file, keysByDb: current.keysByDb }, thresholdPct)
    : undefined;
}

/**
 * A database that held keys in `previous` and is empty in `current` (a
 * FLUSHDB), or holds more than `thresholdPct` percent fewer: a collapse
 * naming the database. The first such database (by number) is named.
 */
export function databaseCollapse(
  previous: { readonly point: string; readonly keysByDb: Readonly<Record<string, number>> },
  current: { readonly point: string; readonly keysByDb: Readonly<Record<string, number>> },
  thresholdPct: number,
): Collapse | undefined {
  for (const [db, was] of Object.entries(previous.keysByDb).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    if (was <= 0) continue;
    const now = current.keysByDb[db] ?? 0;
    const dropPct = Math.round(((was - now) / was) * 1000) / 10;
    if (now === 0 || ((was - now) / was) * 100 > thresholdPct) {
      return {
        point: current.point,
        previous: previous.point,
        measure: 'keys',
        database: Number(db),
        dropPct,
        detail:
          `${current.point} holds ${now} keys in database ${db}, ${dropPct} % fewer than ${was} in ${previous.point} ` +
          `(threshold ${thresholdPct} %)${now === 0 ? `: database ${db} was emptied (a FLUSHDB?)` : ': a mass delete in that database?'} The points before it are held from pruning until released`,
      };
    }
  }
  return undefined;
}

/**
 * The backups a collapse holds: every earlier backup redis-dr wrote of the
 * target that is not itself a collapse and not held already (the first
 * hold stays, so releasing that collapse is what frees it).
 */
export function backupsToHold(files: readonly StoredBackup[], target: string, collapse: Pick<Collapse, 'point'>): string[] {
  const at = parseBackupFileName(collapse.point)?.at;
  return backupPoints(files, target)
    .filter((p) => p.managed && p.name !== collapse.point && (at === undefined || p.createdAt.getTime() <= at.getTime()))
    .filter((p) => !p.collapsed && p.held === undefined)
    .map((p) => p.name)
    .sort();
}

/** What releasing the hold of a collapsed point touches. */
export interface HoldRelease {
  /** Backups whose hold names the point, freed by the release (those in `moves` are not). */
  readonly held: readonly string[];
  /** The point itself when it is marked collapsed (accepted on release: it becomes the baseline later backups are judged against). */
  readonly collapsed?: string;
  /** The later backups of the same episode (marked collapsed, up to the first good one): accepted with it. */
  readonly episode?: readonly string[];
  /**
   * Backups the point holds that a later collapse, still active (not of this episode), holds as well: their hold moves
   * to it (backupsToHold's rule: every backup up to a collapse), never freed. A backup run judges a collapse once, so
   * nothing would put such a hold back.
   */
  readonly moves?: readonly HoldMove[];
}

/** A hold that moves to a later active collapse on a release. */
export interface HoldMove {
  readonly file: string;
  /** The later collapsed backup that holds it now. */
  readonly to: string;
  /** Its hold value: the one that collapse gave its other backups (with their expiry), or a new one from the collapse's time. */
  readonly hold: string;
  /** The hold it had (the released one), for the store's write over what was read. */
  readonly from: string;
}

/** The backups of `target` a release of collapsed `point` frees. */
export function backupHoldRelease(files: readonly StoredBackup[], target: string, point: string): HoldRelease {
  const ours = files.filter((f) => parseBackupFileName(f.file)?.target === target.toLowerCase());
  const held = ours
    .filter((f) => f.hold !== undefined && parseCollapseHold(f.hold) === point)
    .map((f) => f.file)
    .sort();
  const self = ours.find((f) => f.file === point && isCollapsed(f));
  // The same episode: every collapse after it up to the first good backup (a drain trips each run after the first, all
  // against the same fullest backup). One release handles them all.
  const at = parseBackupFileName(point)?.at.getTime() ?? Number.POSITIVE_INFINITY;
  const later = ours
    .map((f) => ({ f, t: parseBackupFileName(f.file)!.at.getTime() }))
    .filter(({ t }) => t > at)
    .sort((a, b) => a.t - b.t);
  const episode: string[] = [];
  if (self) {
    for (const { f } of later) {
      if (!isCollapsed(f)) break;
      episode.push(f.file);
    }
  }
  const moves = laterCollapseMoves(ours, point, held, episode);
  const freed = held.filter((f) => !moves.some((m) => m.file === f));
  return {
    held: freed,
    ...(self ? { collapsed: self.file } : {}),
    ...(episode.length > 0 ? { episode } : {}),
    ...(moves.length > 0 ? { moves } : {}),
  };
}

/** The holds of `held` (held by collapsed `point`) that the first active collapse after each, outside `episode`, takes. */
function laterCollapseMoves(ours: readonly StoredBackup[], point: string, held: readonly string[], episode: readonly string[]): HoldMove[] {
  const holdOf = firstActiveCollapseAfter(ours, (f) => f !== point && !episode.includes(f));
  const byFile = new Map(ours.map((f) => [f.file, f]));
  return held.flatMap((file) => {
    const by = holdOf(file);
    return by ? [{ file, ...by, from: byFile.get(file)!.hold! }] : [];
  });
}

/**
 * The backups of `target` an active collapse holds by the backup run's rule (every backup of ours up to it:
 * backupsToHold) that carry no hold: an operator released their own hold from one the collapse left alone (it was
 * held when the collapse was judged), or a store lost it. Each with the hold the first active collapse after it gives.
 * A run judges a collapse once; this is what puts such a hold back (as the snapshot Lambda's missingHolds does).
 */
export function missingCollapseHolds(files: readonly StoredBackup[], target: string): Omit<HoldMove, 'from'>[] {
  const ours = files.filter((f) => parseBackupFileName(f.file)?.target === target.toLowerCase());
  const holdOf = firstActiveCollapseAfter(ours, () => true);
  return ours
    .filter((f) => f.tier !== undefined && f.hold === undefined && !isCollapsed(f))
    .flatMap((f) => {
      const by = holdOf(f.file);
      return by ? [{ file: f.file, ...by }] : [];
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * For a backup of `ours`, the first active collapse after it among those `eligible` admits, and the hold it gives: the
 * value that collapse gave the backups it held (its expiry), else one from the collapse's own time with the default days.
 */
function firstActiveCollapseAfter(
  ours: readonly StoredBackup[],
  eligible: (file: string) => boolean,
): (file: string) => { readonly to: string; readonly hold: string } | undefined {
  const time = (file: string) => parseBackupFileName(file)?.at.getTime();
  const active = ours.filter((f) => eligible(f.file) && isCollapsed(f) && time(f.file) !== undefined).sort((a, b) => time(a.file)! - time(b.file)!);
  return (file) => {
    const t = time(file);
    const to = t === undefined ? undefined : active.find((c) => time(c.file)! > t);
    if (!to) return undefined;
    const given = ours.find((f) => f.hold !== undefined && parseCollapseHold(f.hold) === to.file)?.hold;
    return { to: to.file, hold: given ?? collapseHold({ point: to.file }, new Date(time(to.file)!)) };
  };
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
 * does not apply here: it is set beyond any real age. An active collapse is
 * kept until released (`keepCollapsed`): it is what a release of an earlier
 * collapse moves holds to and what a backup run puts a lifted hold back for
 * (firstActiveCollapseAfter); pruned after the first good backup, its holds
 * stayed but nothing saw it any more.
 */
export function backupRetention(files: readonly StoredBackup[], target: string, policy: BackupRetention, now: Date): RetentionDecision {
  return selectExpired(backupPoints(files, target), { ...policy, rpoMinutes: Number.MAX_SAFE_INTEGER, keepCollapsed: true }, now);
}

/**
 * How far (seconds) a saved file's `ctime` may lie before the request and
 * still be the save this run asked for. Redis stamps `ctime` with time(2),
 * which reads the kernel's coarse clock (updated once a tick, a few ms behind
 * the clock `TIME` reads): a save asked for just after a second boundary is
 * stamped with the second before. The other evidence that the save is ours
 * (rdb_saves or rdb_last_save_time advanced after the request, bgsave status
 * ok) is checked by the save itself (adapters/redis/save.ts).
 */
export const SAVE_CLOCK_SLACK_SECONDS = 1;

/**
 * Whether a file stamped `ctime` (unix seconds, the RDB's AUX field) can be
 * the save asked for at `requestedAt` (the server's `TIME`, unix seconds):
 * stamped no earlier than {@link SAVE_CLOCK_SLACK_SECONDS} before it. A
 * file older than that is another save (another host's server, an old dump).
 */
export function savedAfterRequest(ctime: number, requestedAt: number): boolean {
  return ctime >= requestedAt - SAVE_CLOCK_SLACK_SECONDS;
}

/** The tag value of a read-back. */
/**
 * Why a backup opened as its destination names it (`drill local --from`, `serve --from`, `history --from`) is refused:
 * its bytes hash to `found`, not to the SHA-256 its record was read back with when it was stored (`recorded`): it was
 * replaced (by another valid RDB of the same size, or it would not count as proven) or changed since. `instead`: what
 * the caller did not do with it (`not loaded`, `not read`).
 */
export function notRecordedBackup(location: string, found: string, recorded: string, instead: string): string {
  return `${location} is not the backup its record names: its SHA-256 is ${found}, the record (read back when it was stored) says ${recorded}: it was replaced or changed since; ${instead}`;
}

/**
 * What every reader of a destination's backups (`history --from`, `serve --from --point`, `drill local --from --point`)
 * says of those never proven stored (no read-back record beside them: a backup run stopped before it, a file put there
 * by hand), and `did`: what it did with them all the same. One spelling for the three.
 */
export function notProvenStored(points: readonly string[], did: string): string {
  const list = points.length <= 3 ? points.join(', ') : `${points.slice(0, 3).join(', ')} and ${points.length - 3} more`;
  return `not proven stored (no read-back record beside ${points.length === 1 ? 'it' : 'them'}: a run stopped before it, a file put there by hand), ${did}: ${list}`;
}

export function formatReadBackTag(bytes: number, sha256: string): string {
  return `bytes=${bytes} sha256=${sha256}`;
}

/** The length a read-back tag records, or `undefined` when the value is not one. */
export function parseReadBackTag(value: string | undefined): { bytes: number; sha256: string } | undefined {
  const m = /^bytes=(\d+) sha256=([0-9a-f]{64})$/.exec(value ?? '');
  return m ? { bytes: Number(m[1]), sha256: m[2]! } : undefined;
}

/**
 * The line a reader of a collapsed backup prints (`serve --from`, `drill
 * local --from`): the backup, its mark, and the command that takes the
 * newest good backup before it, to paste as printed (`command` runs with
 * `--from`, `--s3-endpoint` as given, `--point <that backup>` and `tail`).
 */
export function collapsedLine(
  point: string,
  collapse: { readonly mark: string; readonly before?: string },
  retry: { readonly command: string; readonly from: string; readonly s3Endpoint?: string; readonly tail?: string },
): string {
  const endpoint = retry.s3Endpoint ? ` --s3-endpoint ${retry.s3Endpoint}` : '';
  return (
    `COLLAPSED: ${point} is marked a keyspace collapse (${collapse.mark}); ` +
    (collapse.before !== undefined
      ? `the newest good backup before it: redis-dr ${retry.command} --from ${retry.from}${endpoint} --point ${collapse.before}${retry.tail ?? ''}`
      : 'no good backup before it is proven stored')
  );
}
