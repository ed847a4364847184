import type { Command } from 'commander';
import { positiveInt } from '../options';

/** Defines `redis-dr compare` (options and help); its action module loads only when it runs. */
export function compareCommand(program: Command): void {
  program
    .command('compare')
    .description('prove two Redis datasets equal: per-key fingerprints stable across servers and encodings, TTLs compared as absolute expiry')
    .requiredOption('--a <url>', 'first server: redis://[user:password@]host[:port][/db] or rediss://… (TLS)')
    .requiredOption('--b <url>', 'second server, same form')
    .option('--match <pattern>', 'only keys matching this SCAN pattern')
    .option('--max-diffs <n>', 'list at most this many differing keys (all are counted)', positiveInt('--max-diffs'), 100)
    .option('--ttl-tolerance-ms <ms>', 'allowed gap between the two expiry times', positiveInt('--ttl-tolerance-ms'), 1000)
    .option('--batch-size <n>', 'SCAN COUNT per batch', positiveInt('--batch-size', 1), 1000)
    .option('--json', 'print the result as JSON')
    .action(async (o: { a: string; b: string; match?: string; maxDiffs: number; ttlToleranceMs: number; batchSize: number; json?: boolean }) => (await import('../compare.js')).compareAction(o));
}
