/**
 * Which backup of a destination a reader takes (`drill local --from`,
 * `serve --from`): the one `--point` names, else the newest proven stored
 * (read back) of the target, or of the one target the destination holds.
 * One chooser, so both commands name the same backup for the same words.
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { BACKUP_EXTENSION, isCollapsed, parseBackupFileName, type StoredBackup } from '../../domain/self-managed/backup.js';
import { UsageError } from '../kernel/usage-error.js';
import { openBackupStore } from './clients.js';

/** The backup chosen, with its store. */
export interface ChosenBackup {
  readonly store: BackupStore;
  readonly target: string;
  /** Its file name (`rdr-cache-20261123-0300.rdb`). */
  readonly point: string;
  readonly file: StoredBackup;
  /** Where a reader opens it: a local path or `s3://bucket/key`. */
  readonly location: string;
  /**
   * When it is marked a keyspace collapse (not released as accepted): the
   * mark, and the newest backup before it proven stored and not collapsed
   * (what a reader after the data before a FLUSHALL wants), when there is one.
   */
  readonly collapse?: { readonly mark: string; readonly before?: string };
  /** Chosen as the newest (no `--point`): the backup before it proven stored, what a reader tries when the newest will not open. */
  readonly older?: string;
}

/** What to choose from: `what` says what the caller does with it, for messages (`drill`, `serve`). */
export interface BackupPointQuery {
  readonly from: string;
  readonly target?: string;
  readonly point?: string;
  readonly s3Endpoint?: string;
  readonly what: string;
}

/** The proven targets of `files`, sorted. */
function provenTargets(files: readonly StoredBackup[]): string[] {
  const targets = files.filter((f) => f.proven).map((f) => parseBackupFileName(f.file)?.target);
  return [...new Set(targets.filter((t): t is string => t !== undefined))].sort();
}

/** The backup `q` names at its destination; a usage error naming the option, the value and what is there otherwise. */
export async function chooseBackupPoint(q: BackupPointQuery): Promise<ChosenBackup> {
  const store = await openBackupStore(q.from, q.s3Endpoint, '--from', 'source');
  const files = await store.list();
  const targets = provenTargets(files);
  const name = q.point === undefined ? undefined : q.point.endsWith(BACKUP_EXTENSION) ? q.point : `${q.point}${BACKUP_EXTENSION}`;
  // A point's file name says its target: no --target needed to pick it.
  const named = name === undefined ? undefined : parseBackupFileName(name)?.target;
  const target = q.target?.toLowerCase() ?? named ?? (targets.length === 1 ? targets[0] : undefined);
  if (target === undefined) {
    throw new UsageError(
      targets.length === 0
        ? `--from ${q.from} holds no backup proven stored: nothing to ${q.what} (run redis-dr backup first)`
        : `--from ${q.from} holds backups of ${targets.join(', ')}: name one with --target`,
    );
  }
  const ours = files
    .map((f) => ({ f, at: parseBackupFileName(f.file) }))
    .filter(({ at }) => at?.target === target)
    .sort((a, b) => b.at!.at.getTime() - a.at!.at.getTime());
  let chosen: StoredBackup | undefined;
  let older: string | undefined;
  if (name !== undefined) {
    chosen = ours.find(({ f }) => f.file === name)?.f;
    if (!chosen)
      throw new UsageError(
        `--point ${q.point}: no backup of ${target} of that name in ${q.from}; give one of its file names (the newest is ${ours[0]?.f.file ?? 'none'})`,
      );
  } else {
    chosen = ours.find(({ f }) => f.proven)?.f;
    older = ours.slice(ours.findIndex(({ f }) => f === chosen) + 1).find(({ f }) => f.proven)?.f.file;
    if (!chosen)
      throw new UsageError(
        `--from ${q.from} holds no backup of ${target} proven stored: nothing to ${q.what}` +
          (targets.length > 0 && !targets.includes(target) ? ` (it holds backups of ${targets.join(', ')}: --target names one)` : ''),
      );
  }
  return {
    store,
    target,
    point: chosen.file,
    file: chosen,
    location: store.location(chosen.file),
    ...(older !== undefined ? { older } : {}),
    ...collapseOf(
      chosen,
      ours.map(({ f }) => f),
    ),
  };
}

/** `chosen`'s collapse mark, with the newest backup older than it (in `newestFirst`) proven stored and not collapsed; nothing when it is no collapse. */
function collapseOf(chosen: StoredBackup, newestFirst: readonly StoredBackup[]): { collapse?: ChosenBackup['collapse'] } {
  if (!isCollapsed(chosen)) return {};
  const before = newestFirst.slice(newestFirst.indexOf(chosen) + 1).find((f) => f.proven && !isCollapsed(f))?.file;
  return { collapse: { mark: chosen.collapsed!, ...(before !== undefined ? { before } : {}) } };
}
