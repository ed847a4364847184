/**
 * Releasing the hold a keyspace collapse put on a target's self-managed
 * backups (what `redis-dr retention release --destination <url> --target …
 * --point …` runs): every backup whose hold names the collapsed point is
 * freed for retention again, and the collapsed point loses its collapse
 * mark — an operator who releases has handled the collapse (restored the
 * data, or accepted the smaller keyspace), so later backups are judged
 * against it. Each change is logged.
 */
import { HoldChangedError, type BackupStore } from '../../adapters/storage/backup-store.js';
import { BACKUP_EXTENSION, backupHoldRelease, parseBackupFileName, type HoldMove } from '../../domain/self-managed/backup.js';
import { collapseHoldName } from '../../domain/plans/holds.js';
import { releasedMarkValue } from '../../domain/points/collapse-points.js';

/** What a release did. */
export interface BackupHoldReleased {
  readonly target: string;
  readonly point: string;
  /** The hold value removed (`keyspace-collapsed:<point>`). */
  readonly hold: string;
  /** Backups whose hold was removed. */
  readonly released: readonly string[];
  /** Backups whose hold moved to a later collapse still active (not freed: that collapse holds them too). */
  readonly moved?: readonly Pick<HoldMove, 'file' | 'to'>[];
  /** The collapsed point, when its collapse mark was removed. */
  readonly accepted?: string;
  /** The later collapses of the same episode (up to the first good backup), accepted with it: one release for one episode. */
  readonly episode?: readonly string[];
  /** Set in a dry run: nothing was changed, `released` and `accepted` are what a release would do. */
  readonly dryRun?: boolean;
}

/**
 * Releases the holds naming collapsed `point` (a backup file name of
 * `target`, `.rdb` optional) in `store`.
 * @throws Error naming the field and the value when `point` is not a backup
 *   of `target`, or nothing in the destination is held by it; a store error
 *   names the destination (the releases before it stay done and logged)
 */
export async function releaseBackupHold(
  store: BackupStore,
  target: string,
  point: string,
  /** Each line as it happens; `changed`: the line says of a change this release made (not a `would …` of a dry run, not a `kept …`). */
  log: (line: string, changed: boolean) => void = () => undefined,
  now: () => Date = () => new Date(),
  /** Writes off: every change is found and logged (`would release …`), none is made. */
  dryRun = false,
): Promise<BackupHoldReleased> {
  const file = point.endsWith(BACKUP_EXTENSION) ? point : `${point}${BACKUP_EXTENSION}`;
  const parsed = parseBackupFileName(file);
  if (!parsed || parsed.target !== target.toLowerCase()) {
    throw new Error(
      `--point ${point} is not a backup of --target ${target}: write a file name like rdr-${target.toLowerCase()}-<yyyymmdd>-<hhmm>.rdb (the collapse the run reported)`,
    );
  }
  const hold = collapseHoldName(file);
  const { held, collapsed, episode = [], moves = [] } = backupHoldRelease(await store.list(), target, file);
  if (held.length === 0 && moves.length === 0 && collapsed === undefined) {
    throw new Error(
      `nothing in ${store.url} is held by ${hold}, and ${file} is not marked collapsed: check --point (the collapsed backup the run named) and --target`,
    );
  }
  // First the holds a later active collapse takes over: a backup is never free between the two.
  const moved: Pick<HoldMove, 'file' | 'to'>[] = [];
  for (const m of moves) {
    const why = `a later collapse, ${m.to}, is still active and holds it too`;
    if (dryRun) {
      moved.push({ file: m.file, to: m.to });
      log(`would move the hold of ${store.url}/${m.file} to keyspace-collapsed:${m.to}: ${why}`, false);
      continue;
    }
    // Over the hold read; freed meanwhile (another release of the same point), the later collapse holds it all the same;
    // held by another writer since, that hold stays.
    const changed = await holdOver(store, m.file, m.hold, m.from);
    if (changed !== undefined) {
      log(`kept ${store.url}/${m.file}: its hold changed since the listing (${changed}); not this release's`, false);
      continue;
    }
    moved.push({ file: m.file, to: m.to });
    log(`moved the hold of ${store.url}/${m.file} to keyspace-collapsed:${m.to}: ${why}`, true);
  }
  const released: string[] = [];
  for (const f of held) {
    if (dryRun) {
      released.push(f);
      log(`would release ${store.url}/${f} (${hold}): retention could prune it again`, false);
      continue;
    }
    await store.release(f);
    released.push(f);
    log(`released ${store.url}/${f} (${hold}): retention may prune it again`, true);
  }
  if (collapsed !== undefined && dryRun) {
    log(`would accept ${store.url}/${collapsed}: no longer marked a keyspace collapse; later backups would be judged against it`, false);
  } else if (collapsed !== undefined) {
    // Marked accepted, not unmarked: the fuller backups before it are no measure for a drain any more (collapse-points.ts baselinePoint).
    const mark = (await store.list()).find((f) => f.file === collapsed)?.collapsed ?? '';
    await store.release(collapsed, releasedMarkValue(mark, now(), true));
    log(`accepted ${store.url}/${collapsed}: no longer marked a keyspace collapse; later backups are judged against it`, true);
  }
  // The rest of the episode: each later run of the drain tripped too; one release handles the incident.
  const listed = episode.length > 0 && !dryRun ? await store.list() : [];
  for (const f of episode) {
    if (dryRun) {
      log(`would accept ${store.url}/${f} too: a later collapse of the same episode`, false);
      continue;
    }
    await store.release(f, releasedMarkValue(listed.find((x) => x.file === f)?.collapsed ?? '', now(), true));
    log(`accepted ${store.url}/${f} too: a later collapse of the same episode (no good backup between)`, true);
  }
  return {
    target: target.toLowerCase(),
    point: file,
    hold,
    released,
    ...(moved.length > 0 ? { moved } : {}),
    ...(collapsed !== undefined ? { accepted: collapsed } : {}),
    ...(episode.length > 0 ? { episode } : {}),
    ...(dryRun ? { dryRun } : {}),
  };
}

/** Holds `file` with `hold` over `from`, or over none if it was freed meanwhile; the other hold found instead, if any. */
async function holdOver(store: BackupStore, file: string, hold: string, from: string): Promise<string | undefined> {
  for (const expected of [from, undefined]) {
    try {
      await store.hold(file, hold, { hold: expected });
      return undefined;
    } catch (err) {
      if (!(err instanceof HoldChangedError)) throw err;
      if (err.now !== undefined || expected === undefined) return err.now ?? '(none)';
    }
  }
  return undefined;
}
