/**
 * An RDB verifier's report as one line a person reads: `verify-rdb` prints
 * it, `drill local` too for a file it will not load.
 */
import { basename } from 'node:path';
import { namedFirst, slotImportRanges } from '../lambdas/domain/rdb/report.js';
import { VALKEY_RELAXED_FROM } from '../lambdas/domain/rdb/engines.js';
import type { RdbReport, RdbWarningKind, WarningKinds } from '../lambdas/domain/rdb/verifier.js';
import type { RdbEnvelopeInfo } from '../lambdas/jobs/dr-copies/verify-file.js';

/** One line a person reads (`envelope`: the file came in a compressed envelope, unwrapped on the way). */
export function formatReport(file: string, report: RdbReport, envelope?: RdbEnvelopeInfo): string {
  const name = basename(file);
  if (report.unsupported) {
    // Not judged: neither valid nor corrupt. The fix is a redis-dr that reads the format.
    return `UNSUPPORTED ${name}: not verified, ${report.error?.message ?? `unsupported format (version ${report.version})`}`;
  }
  if (report.verifierFailure) {
    // The verification failed, not the file: an error of the run (exit 1 with the cause), never CORRUPT.
    return `ERROR ${name}: not verified (this is no verdict on the file): ${report.error?.message ?? 'the verification failed'}`;
  }
  if (!report.ok) {
    const where = report.error ? ` at byte ${report.error.offset}: ${report.error.message}` : '';
    return `CORRUPT ${name}: RDB v${report.version}, checksum ${report.checksum}${where}`;
  }
  const types = Object.entries(report.byType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  // Keys per database where they were counted (a FLUSHDB of one shows there); else the databases only. At most
  // 16 of them, as of the modules below (namedFirst): a file of keys in 130,000 databases made a line of 1.4 MB.
  const perDb = report.keysByDb ? Object.entries(report.keysByDb).map(([db, n]) => `db ${db}: ${n}`) : [];
  const dbs =
    perDb.length > 0
      ? ` in ${namedFirst(perDb, ', ', 'database')}`
      : report.databases.length > 0
        ? ` in db ${namedFirst(report.databases.map(String), ',', 'database')}`
        : '';
  const modules = namedFirst(
    [
      ...Object.entries(report.moduleTypes ?? {}).map(([t, n]) => `${t} (${n})`),
      ...(report.moduleAux ?? []).filter((m) => !report.moduleTypes?.[m]).map((m) => `${m} (AUX data)`),
    ],
    ', ',
    'module',
  );
  return (
    `OK ${name}: ${envelope ? `LZ4-compressed (${envelope.blockChecksums ? 'block checksums ok' : 'no block checksums'}${envelope.contentChecksum ? ', content checksum ok' : ''}) ` : ''}` +
    `${report.magic === 'VALKEY' ? 'Valkey ' : ''}RDB v${report.version}, ${report.keys} key${report.keys === 1 ? '' : 's'} (${report.expires} with expiry)${dbs}` +
    `${types ? ` [${types}]` : ''}, checksum ${report.checksum}` +
    `${report.expiredKeys ? `; ${report.expiredKeys} of them already expired when the file was written (a restore drops them)` : ''}` +
    `${report.emptyKeys ? `; ${report.emptyKeys} empty key${report.emptyKeys === 1 ? '' : 's'}, skipped on load as Redis skips them` : ''}` +
    `${modules ? `; module values need these modules loaded: ${modules}` : ''}` +
    // Loadable on conditions: said on the line, never a bare OK (the verdict stays valid: exit 0).
    `${report.needsDatabases ? `; needs a server with ${report.needsDatabases} databases (\`databases ${report.needsDatabases}\` or more: a server with the default 16 refuses the file)` : ''}` +
    `${report.functionLibraries ? `; ${report.functionLibraries} function librar${report.functionLibraries === 1 ? 'y' : 'ies'}: function code's syntax checked, not run here: \`drill local\` judges it` : ''}` +
    `${report.templateHashes ? `; ${report.templateHashes} hash(es) use the file's hash templates (Redis 8.10): they load with the file, not one by one (migrate --from-rdb refuses them)` : ''}` +
    `${report.slotImportJobs ? `; saved while importing slots ${slotImportRanges(report)} (Valkey atomic slot migration): the keys of those slots are in the file and counted` : ''}` +
    `${report.trailingBytes ? `; ${report.trailingBytes} bytes after the end of the file, ignored as Redis ignores them` : ''}` +
    // Redis 7.4+ writes RDB 12 and later, which Valkey refuses by default ("Can't handle RDB format version").
    `${report.magic !== 'VALKEY' && report.version >= 12 ? `; RDB ${report.version} loads in Redis that writes it or later; Valkey refuses it unless \`rdb-version-check relaxed\` (Valkey ${VALKEY_RELAXED_FROM} or later), which tries it and stops at a type it does not know` : ''}` +
    `${report.warningCount ? `; ${warningSummary(report.warningCount, report.warningKinds ?? {})}` : ''}` +
    `${report.duplicateKeyCheck ? `; keys stored twice looked for ${report.duplicateKeyCheck.fromOffset > 0 ? `from byte ${report.duplicateKeyCheck.fromOffset} on` : 'on a sample'} (a duplicate is found with probability ${report.duplicateKeyCheck.detectionProbability})` : ''}` +
    `${report.duplicateCheck ? `; duplicate members checked on a sample in ${report.duplicateCheck.sampledCollections} collection(s) of over 2^20 members (a duplicate is found with probability ${report.duplicateCheck.minDetectionProbability})` : ''}`
  );
}

/** What Redis does with a file of warnings of one kind (alone), and with those of a kind among others (counted). */
const WARNING_KIND_TEXT: Record<RdbWarningKind, { alone: string; counted: string }> = {
  'sanitize-only': {
    alone: 'Redis loads it, only sanitize-dump-payload yes would refuse it',
    counted: 'that Redis loads and only sanitize-dump-payload yes would refuse',
  },
  'server-held': {
    alone: 'Redis loads it, deep sanitization too: the server held it so',
    counted: 'that Redis loads, deep sanitization too (the server held them so)',
  },
  'load-time': {
    alone: "Redis refuses it unless the first copy of a stream's idempotent producer has only expired entries by the time it loads",
    counted: "that Redis refuses unless the first copy of a stream's idempotent producer has only expired entries by then",
  },
};

/**
 * The warnings' part of the line, worded per kind (those of a checkpoint from before kinds were counted: said to be so);
 * `listedBy`: the command whose output lists them (verify-rdb's own --json, or for convert-rdb's input verify-rdb's).
 */
export function warningSummary(count: number, kinds: WarningKinds, listedBy = '--json'): string {
  const counted = Object.entries(kinds).filter(([, n]) => n > 0) as [RdbWarningKind, number][];
  const uncounted = count - counted.reduce((sum, [, n]) => sum + n, 0);
  if (counted.length === 1 && uncounted === 0) return `${count} warning(s): ${WARNING_KIND_TEXT[counted[0]![0]].alone} (${listedBy} lists them)`;
  const parts = counted.map(([kind, n]) => `${n} ${WARNING_KIND_TEXT[kind].counted}`);
  if (uncounted > 0) parts.push(`${uncounted} not counted by kind (a checkpoint of an older redis-dr)`);
  return `${count} warning(s) (${listedBy} lists them, each with what Redis does): ${parts.join(', ')}`;
}
