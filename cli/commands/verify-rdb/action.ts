import { rdbVerdict } from '../../../lambdas/domain/rdb/verifier.js';
import { enginesLine, enginesLoading, modulesNeeded, requiredFormat } from '../../../lambdas/domain/rdb/engines.js';
import { verifyRdbFile } from '../../../lambdas/jobs/dr-copies/verify-file.js';
import { formatReport } from '../../rdb-report.js';

export { formatReport } from '../../rdb-report.js';

/** How verify-rdb reads its input (S3 only; a local file is streamed as is). */
export interface VerifyRdbOptions {
  json?: boolean;
  requireChecksum?: boolean;
  /** s3:// only: ranged GETs in flight at once. */
  readConcurrency?: number;
  /** s3:// only: bytes per ranged GET (hidden option, for tests). */
  readPartBytes?: number;
}

/** Exit codes per verdict: an unsupported format is neither valid (0) nor corrupt (1). */
export const VERIFY_EXIT = { ok: 0, corrupt: 1, unsupported: 3 } as const;

/**
 * `redis-dr verify-rdb <file> [--json]`: the same streaming verifier the DR
 * region runs on every replicated copy. Exit 0 valid, 1 corrupt, 2 usage,
 * 3 a format this verifier cannot judge (a newer engine's: not verified, not corrupt).
 */
/** The `verify-rdb` command's action (loaded only when the command runs; options: cli/commands/verify-rdb/command.ts). */
export async function verifyRdbAction(file: string, options: VerifyRdbOptions): Promise<void> {
  const { report, bytes, envelope } = await verifyRdbFile(file, options);
  // Which engine releases load a valid file as it is (the table convert-rdb writes for: lambdas/domain/rdb/engines.ts).
  // Judged by the highest need of the header and every key type and opcode seen (a REDIS0010 header over a type 20 set loads from 7.2 on).
  const format = requiredFormat({ version: report.version, valkey: report.magic === 'VALKEY' }, report);
  const valid = rdbVerdict(report) === 'ok';
  const modules = modulesNeeded(report);
  // Values only deep sanitization refuses: Valkey from 9.1, which validates every value on load, refuses the file.
  const sanitizeOnly = (report.warningKinds?.['sanitize-only'] ?? 0) > 0;
  // A function library a release certainly refuses to run on load: that release left out, those of its engine not judged said so.
  const refusals = report.libraryRefusals ?? {};
  const judged = enginesLoading(format, sanitizeOnly, refusals);
  // With module data: an engine loads it only with those modules loaded (ElastiCache never), said beside the releases.
  const engines = valid
    ? {
        loads: judged.loads.filter((r) => modules.length === 0 || !r.elasticache).map((r) => r.name),
        ...(judged.unsure.length + judged.notJudged.length > 0 && modules.length === 0
          ? { unknown: [...judged.unsure, ...judged.notJudged].map((r) => r.name) }
          : {}),
        ...(judged.byLibrary.length > 0 ? { refusedByLibraries: Object.fromEntries(judged.byLibrary.map((r) => [r.name, refusals[r.name]!])) } : {}),
        ...(modules.length > 0 ? { withModules: modules } : {}),
      }
    : undefined;
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ file, bytes, ...(envelope ? { envelope } : {}), ...report, ...(engines ? { engines } : {}) }, null, 2)}\n`
      : `${formatReport(file, report, envelope)}\n${valid ? `engines: ${enginesLine(format, modules, report.rdbTypes, sanitizeOnly, refusals)}\n` : ''}`,
  );
  process.exitCode = VERIFY_EXIT[rdbVerdict(report)];
}
