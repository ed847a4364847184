/**
 * `redis-dr policy --destination <url>`: the backup policy of a self-managed
 * destination (domain/policy/destination.ts) from its backups and drill
 * records, written as Markdown and/or HTML (each read back) or returned.
 */
import { destinationPolicyInput, type DestinationSettings } from '../../domain/policy/destination.js';
import type { PolicyInput } from '../../domain/policy/document.js';
import { DRILL_RECORD_PREFIX, parseDrillRecord } from '../../domain/self-managed/drill-record.js';
import { UsageError } from '../kernel/usage-error.js';
import { openDestination, s3BackupStore } from './clients.js';
import { type BackupStore, FileBackupStore } from '../../adapters/storage/backup-store.js';

/**
 * The policy's facts from the destination at `url`.
 * @throws UsageError for a URL that names no destination, a folder or bucket that is not there, or one holding no backup redis-dr wrote
 */
export async function policyOfDestination(url: string, s3Endpoint: string | undefined, settings: DestinationSettings, now: Date): Promise<PolicyInput> {
  const store = await openDestination<BackupStore>('--destination', url, s3Endpoint, {
    file: async (dir) => {
      const folder = new FileBackupStore(dir, { create: false });
      // A policy is read from backups that are there: a missing folder is a typo (policy has no --create).
      if (!(await folder.folderExists())) throw new UsageError(`--destination ${url}: no such folder (a typo?): nothing was read or written`);
      return folder;
    },
    s3: s3BackupStore,
  });
  const files = await store.list();
  const records = (await store.records(DRILL_RECORD_PREFIX)).map((r) => ({ name: r.name, drill: parseDrillRecord(r.body.toString('utf8')) }));
  const drills = records.flatMap((r) => (r.drill ? [r.drill] : []));
  const unread = records.filter((r) => !r.drill).map((r) => r.name);
  const input = destinationPolicyInput(url, files, drills, settings, now, unread);
  if (!input)
    throw new UsageError(
      `--destination ${url} holds no read-back backup written by redis-dr backup: there is no practice to state a policy for. Point it at a backup --to destination`,
    );
  return input;
}
