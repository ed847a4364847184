import type { Command } from 'commander';

/** Defines `redis-dr verify-rdb` (options and help); its action module loads only when it runs. */
export function verifyRdbCommand(program: Command): void {
  program
    .command('verify-rdb')
    .description('check an RDB file: structure, encodings and CRC64 trailer; count keys and expiries')
    .argument('<file>', 'path of the .rdb file, or s3://<bucket>/<key> (default AWS credential chain)')
    .option('--require-checksum', 'fail a file without a CRC-64 (all-zero trailer or RDB < 5), as the DR region does for ElastiCache exports; without it a self-managed `rdbchecksum no` file reports "checksum absent"')
    .option('--json', 'print the full report as JSON')
    .action(async (file: string, options: { json?: boolean; requireChecksum?: boolean }) => (await import('../verify-rdb.js')).verifyRdbAction(file, options));
}
