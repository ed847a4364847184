import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { verifyRdbStream, type RdbReport } from '../lambdas/domain/rdb/verifier';

/** A readable input, or why not (a usage problem: exit 2). */
function openInput(file: string): { size: number } {
  if (/^s3:\/\//i.test(file)) {
    throw new Error('s3:// inputs are not supported yet: download the object and pass the local file');
  }
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new Error(`cannot read ${file}: no such file`);
  }
  if (!stat.isFile()) throw new Error(`cannot read ${file}: not a regular file`);
  return { size: stat.size };
}

/** One line a person reads. */
export function formatReport(file: string, report: RdbReport): string {
  const name = basename(file);
  if (!report.ok) {
    const where = report.error ? ` at byte ${report.error.offset}: ${report.error.message}` : '';
    return `CORRUPT ${name}: RDB v${report.version}, checksum ${report.checksum}${where}`;
  }
  const types = Object.entries(report.byType)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  const dbs = report.databases.length > 0 ? ` in db ${report.databases.join(',')}` : '';
  return (
    `OK ${name}: RDB v${report.version}, ${report.keys} keys (${report.expires} with expiry)${dbs}` +
    `${types ? ` [${types}]` : ''}, checksum ${report.checksum}`
  );
}

/**
 * `redis-dr verify-rdb <file> [--json]`: the same streaming verifier the DR
 * region runs on every replicated copy. Exit 0 valid, 1 corrupt, 2 usage.
 */
export function verifyRdbCommand(program: Command): void {
  program
    .command('verify-rdb')
    .description('check an RDB file: structure, encodings and CRC64 trailer; count keys and expiries')
    .argument('<file>', 'path of the .rdb file')
    .option('--json', 'print the full report as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const { size } = openInput(file);
      const report = await verifyRdbStream(createReadStream(file, { highWaterMark: 1 << 20 }));
      process.stdout.write(
        options.json ? `${JSON.stringify({ file, bytes: size, ...report }, null, 2)}\n` : `${formatReport(file, report)}\n`,
      );
      process.exitCode = report.ok ? 0 : 1;
    });
}
