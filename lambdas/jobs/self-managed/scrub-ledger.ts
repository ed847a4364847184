/**
 * What a self-managed destination says of its scrub: the copies redis-dr
 * wrote there (what the scrub re-reads) and the scrub runs' records beside
 * them (the ledger). Read by the scrub (jobs/scrub) and by the destination's
 * report (jobs/report/self-managed.ts).
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { parseScrubRecord, SCRUB_RECORD_PREFIX, type ScrubRecord } from '../../domain/scrub/record.js';
import { parseBackupFileName } from '../../domain/self-managed/backup.js';

/** The copies redis-dr wrote at a destination (a record and a backup's name), with when each arrived. */
export async function scrubbableCopies(store: BackupStore): Promise<{ file: string; size: number; arrivedAt: Date }[]> {
  return (await store.list()).flatMap((f) => {
    const parsed = parseBackupFileName(f.file);
    return f.tier !== undefined && parsed ? [{ file: f.file, size: f.size, arrivedAt: parsed.at }] : [];
  });
}

/** The scrub runs' records at a destination (one that does not parse is left out, never guessed). */
export async function scrubRecords(store: BackupStore): Promise<ScrubRecord[]> {
  return (await store.records(SCRUB_RECORD_PREFIX)).map((r) => parseScrubRecord(r.body.toString('utf8'))).filter((r) => r !== undefined);
}
