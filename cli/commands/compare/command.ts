import type { Command } from 'commander';
import type { CompareCliOptions } from './action.js';
import { positiveInt } from '../../options.js';

/** Defines `redis-dr compare` (options and help); its action module loads only when it runs. */
export function compareCommand(program: Command): void {
  program
    .command('compare')
    .description(
      'prove two Redis datasets equal (servers, or RDB files: a backup against a live server, two backups): per-key fingerprints stable across servers, encodings and RDB versions, TTLs compared as absolute expiry; ' +
        'a URL naming one node of a Redis Cluster means the whole cluster (every shard is read); ' +
        'without a /<db> in the --a URL every database holding keys on either side is compared with the database of its number; with one, that one, and any other database holding keys is named and the run exits 1',
    )
    .requiredOption(
      '--a <url|file>',
      'first side: a server, redis://[user:password@]host[:port][/db] or rediss://… (TLS; a password in a URL is percent-encoded), ' +
        'or an RDB file, a local path or s3://<bucket>/<key> (verified, then served read-only for the run; keys whose expiry has passed are gone)',
    )
    .requiredOption('--b <url|file>', 'second side, same forms')
    .option('--a-secret <arn>', 'Secrets Manager secret with the credentials of A; or set REDIS_DR_A_PASSWORD [and REDIS_DR_A_USERNAME]')
    .option('--b-secret <arn>', 'the same for B; or set REDIS_DR_B_PASSWORD [and REDIS_DR_B_USERNAME]')
    .option('--match <pattern>', 'only keys matching this SCAN pattern')
    .option('--max-diffs <n>', 'list at most this many differing keys (all are counted)', positiveInt('--max-diffs'), 100)
    .option(
      '--ttl-tolerance-ms <ms>',
      'allowed gap between the two expiry times, and for a key on one side only between its expiry and the clock (it expired during the scan: not a difference)',
      positiveInt('--ttl-tolerance-ms'),
      1000,
    )
    .option('--batch-size <n>', 'SCAN COUNT per batch', positiveInt('--batch-size', 1), 1000)
    .option('--json', 'print the result as JSON')
    .action(async (o: CompareCliOptions) => (await import('./action.js')).compareAction(o));
}
