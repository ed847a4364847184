import type { Command } from 'commander';

/** Defines `redis-dr verify-rdb` (options and help); its action module loads only when it runs. */
export function verifyRdbCommand(program: Command): void {
  program
    .command('verify-rdb')
    .description('check an RDB file: structure, encodings and CRC64 trailer; count keys and expiries')
    .argument('<file>', 'path of the .rdb file, or s3://<bucket>/<key> (default AWS credential chain)')
    .option('--json', 'print the full report as JSON')
    .action(async (file: string, options: { json?: boolean }) => (await import('../verify-rdb.js')).verifyRdbAction(file, options));
}
