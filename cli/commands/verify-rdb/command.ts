import { Option, type Command } from 'commander';
import { intInRange, positiveInt } from '../../options.js';

/** Defines `redis-dr verify-rdb` (options and help); its action module loads only when it runs. */
export function verifyRdbCommand(program: Command): void {
  program
    .command('verify-rdb')
    .description('check an RDB file: structure, encodings and CRC64 trailer; count keys and expiries')
    .argument('<file>', 'path of the .rdb file, or s3://<bucket>/<key> (default AWS credential chain)')
    .option(
      '--require-checksum',
      'fail a file without a CRC-64 (all-zero trailer or RDB < 5), as the DR region does for ElastiCache exports; without it a self-managed `rdbchecksum no` file reports "checksum absent"',
    )
    .option(
      '--read-concurrency <n>',
      's3:// only: ranged GETs of 8 MiB in flight at once, read in order (memory about n × 8 MiB); 1 = one sequential stream',
      intInRange('--read-concurrency', 1, 64, 'use 1 for one sequential stream, up to 64 parallel ranged GETs (default 8)'),
      8,
    )
    // Tests only: small parts, so that a small fixture spans many ranged GETs.
    .addOption(new Option('--read-part-bytes <n>').argParser(positiveInt('--read-part-bytes', 1)).hideHelp())
    .option('--json', 'print the full report as JSON')
    .action(async (file: string, options: { json?: boolean; requireChecksum?: boolean; readConcurrency?: number; readPartBytes?: number }) =>
      (await import('./action.js')).verifyRdbAction(file, options),
    );
}
