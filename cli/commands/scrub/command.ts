import type { Command } from 'commander';
import { positiveInt } from '../../options.js';
import type { ScrubOptions } from './action.js';

/** Defines `redis-dr scrub` (options and help); its action module loads only when it runs. */
export function scrubCommand(program: Command): void {
  program
    .command('scrub')
    .usage('--destination <url> [--vault] [--all | --sample <n>] [--days 30] [--json]')
    .description(
      'stored backups tested again (NIST 800-53 CP-9(1), SOC 2 A1.3): re-reads a random sample of the copies at a backup destination, ' +
        'so that every copy is re-read within --days when run daily, checking each one’s structure, CRC-64, length, SHA-256 and key counts against what was recorded when it was written; ' +
        'records the run beside the backups (report --destination shows the coverage); exit 1 naming each bad copy',
    )
    .requiredOption('--destination <url>', 'the `backup --to` destination (file:///dir or s3://bucket/prefix)')
    .option(
      '--vault',
      'the destination is a vault bucket (s3://<vault bucket>/, with the vault account’s credentials): each replica judged against the vault verifier’s verdict; no record is written (the vault reserves its scrub records for the scheduled scrub)',
    )
    .option('--all', 're-read every copy, not a sample')
    .option(
      '--sample <n>',
      'copies to re-read this run (the ones due are re-read whatever the number; default: a --days-th of them)',
      positiveInt('--sample', 1),
    )
    .option('--days <n>', 'every copy re-read within this many days (run the scrub daily)', positiveInt('--days', 1), 30)
    .option('--signing-key <pem>', 'an Ed25519 private key file: the run’s record is signed into the destination’s chain (redis-dr attest checks it)')
    .option('--s3-endpoint <url>', 'with an s3:// --destination on an S3-compatible store: its endpoint')
    .option('--json', 'print the run’s record and the coverage as JSON')
    .action(async (o: ScrubOptions) => (await import('./action.js')).scrubAction(o));
}
