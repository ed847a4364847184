/**
 * An operator's hold on a self-managed backup (what `redis-dr retention hold
 * --destination <url> --point <file> --reason <text> --until <date>` runs),
 * and its release (`--release`): the hold is recorded where a collapse's is,
 * in the backup's record, in the one shape of domain/plans/holds.ts (reason,
 * expiry, who). Retention keeps a held backup until the hold is released,
 * whatever its expiry; the report judges the expiry. Read back before it
 * counts as recorded.
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { BACKUP_EXTENSION, parseBackupFileName } from '../../domain/self-managed/backup.js';
import { checkOperatorHold, operatorHoldValue, parseHold } from '../../domain/plans/holds.js';
import { UsageError } from '../kernel/usage-error.js';

/** What a hold or its release did. */
export interface BackupHoldChange {
  readonly file: string;
  /** The hold recorded (hold) or removed (release). */
  readonly hold: string;
  readonly released?: boolean;
}

async function heldBackup(store: BackupStore, point: string) {
  const file = point.endsWith(BACKUP_EXTENSION) ? point : `${point}${BACKUP_EXTENSION}`;
  if (!parseBackupFileName(file)) {
    throw new UsageError(
      `--point ${point} is not a backup file name: write one like rdr-<target>-<yyyymmdd>-<hhmm>.rdb (\`redis-dr report --destination\` lists them)`,
    );
  }
  const found = (await store.list()).find((f) => f.file === file);
  if (!found || found.tier === undefined)
    throw new UsageError(`--point ${file}: no backup redis-dr wrote of that name in ${store.url}: check --point and --destination`);
  return { file, found };
}

/**
 * Holds backup `point` in `store` with `reason` until `until` (text: a day or an ISO time), put by `by`.
 * @throws UsageError naming the field, the value and the fix (no reason, no future date, no such backup, a collapse's hold on it)
 * @throws Error when the hold was not read back as written
 */
export async function holdBackup(
  store: BackupStore,
  o: { readonly point: string; readonly reason?: string; readonly until?: string; readonly by: string; readonly now: Date },
): Promise<BackupHoldChange> {
  let until: Date;
  try {
    until = checkOperatorHold(o.reason, o.until, o.now);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { file, found } = await heldBackup(store, o.point);
  const collapse = found.hold !== undefined ? parseHold(found.hold).collapsedPoint : undefined;
  if (collapse !== undefined) {
    throw new UsageError(
      `--point ${file} is held by the keyspace collapse ${collapse} (${found.hold}): release that first (redis-dr retention release --destination ${store.url} --target <target> --point ${collapse}), or leave it held`,
    );
  }
  const hold = operatorHoldValue({ reason: o.reason!, until, by: o.by });
  // As read above: a collapse's hold put meanwhile (a backup run's) is kept, never overwritten (HoldChangedError, exit 1: run it again).
  await store.hold(file, hold, { hold: found.hold });
  const read = (await store.list()).find((f) => f.file === file)?.hold;
  if (read !== hold) throw new Error(`the hold on ${store.url}/${file} did not read back as written (read ${JSON.stringify(read)}): run it again`);
  return { file, hold };
}

/**
 * Releases the operator's hold on backup `point`: retention may prune it again. A collapse's hold is `retention release`'s.
 * @throws UsageError when the backup is not held by an operator
 */
export async function releaseBackupOperatorHold(store: BackupStore, point: string): Promise<BackupHoldChange> {
  const { file, found } = await heldBackup(store, point);
  if (found.hold === undefined) throw new UsageError(`--point ${file} is not held in ${store.url}: nothing to release`);
  const collapse = parseHold(found.hold).collapsedPoint;
  if (collapse !== undefined) {
    throw new UsageError(
      `--point ${file} is held by the keyspace collapse ${collapse}: release it with redis-dr retention release --destination ${store.url} --target <target> --point ${collapse}`,
    );
  }
  // Its collapse mark, if any, stays as it is: only the hold goes.
  await store.release(file, found.collapsed);
  const read = (await store.list()).find((f) => f.file === file);
  if (read?.hold !== undefined) throw new Error(`the hold on ${store.url}/${file} is still recorded after the release: run it again`);
  return { file, hold: found.hold, released: true };
}
