/**
 * Whether a backup's verified RDB may be stored (redis-dr backup's `write`
 * step): the verdict the streaming verifier gave, and, in local mode, that
 * the file read is the one this save wrote.
 */
import type { RdbReport } from '../rdb/verifier.js';
import { savedAfterRequest } from './backup.js';

/** Checks a verified RDB may be stored: verified (not merely unsupported), sound, and the file this save wrote. Throws the reason otherwise. */
export function checkStorable(report: RdbReport, savedAt: number | undefined): void {
  if (report.unsupported) {
    // Not corrupt, but not verified either: a backup is stored only verified.
    throw new Error(
      `the RDB could not be verified: ${report.error?.message ?? 'unsupported format'}; nothing was stored. Upgrade redis-dr to one that reads this format`,
    );
  }
  if (report.verifierFailure) {
    throw new Error(`the verification failed, not the RDB (no verdict on it): ${report.error?.message ?? 'unknown'}; nothing was stored`);
  }
  if (!report.ok) {
    const where = report.error ? ` at byte ${report.error.offset}: ${report.error.message}` : ` (checksum ${report.checksum})`;
    throw new Error(`the RDB failed verification${where}; nothing was stored`);
  }
  // Local mode reads a path on this host: the file must be the one this save wrote (its ctime not before the
  // request, allowing for the coarse clock Redis stamps it with: savedAfterRequest).
  const ctime = Number(report.auxFields.ctime);
  if (savedAt !== undefined && Number.isFinite(ctime) && !savedAfterRequest(ctime, savedAt)) {
    throw new Error(
      `the file read was written at ${new Date(ctime * 1000).toISOString()}, before this save was asked for (${new Date(savedAt * 1000).toISOString()}): ` +
        'it is not the file the server just saved (is the server on another host? use --remote); nothing was stored',
    );
  }
}
