import type { Command } from 'commander';
import type { AttestOptions } from './action.js';

/** Defines `redis-dr attest` (options and help); its action module loads only when it runs. */
export function attestCommand(program: Command): void {
  program
    .command('attest')
    .usage('<record.json | folder | s3://bucket/prefix/> --public-key <pem> [--deployment <name>] [--json]')
    .description(
      'checks signed, chained evidence offline, from the files alone and the public key: each record’s Ed25519 signature and content digest, ' +
        'and for a folder the whole chain (from its first record, no gap, no fork, one deployment); exit 1 naming the first record that does not verify',
    )
    .argument(
      '<path>',
      'a record file (a scrub run’s, a drill’s, a report.json, which also checks the HTML and CSV it signed beside it), the folder the records are in (a backup destination, a chain copied down), or an S3 prefix of records or one record there (s3://bucket/prefix/, s3://bucket/…/report.json: read with your credentials)',
    )
    .requiredOption('--public-key <pem>', 'the Ed25519 public key (PEM) the records must be signed with')
    .option('--deployment <name>', 'the deployment every record must belong to (self-managed: the destination URL, e.g. file:///var/backups/redis)')
    .option('--s3-endpoint <url>', 'with an s3:// path on an S3-compatible store: its endpoint')
    .option('--json', 'print the verdict as JSON')
    .action(async (path: string, o: Omit<AttestOptions, 'path'>) => (await import('./action.js')).attestAction({ ...o, path }));
}
