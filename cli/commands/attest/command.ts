import type { Command } from 'commander';
import type { AttestOptions } from './action.js';

/** Defines `redis-dr attest` (options and help); its action module loads only when it runs. */
export function attestCommand(program: Command): void {
  program
    .command('attest')
    .usage('<record.json | folder> --public-key <pem> [--deployment <name>] [--json]')
    .description(
      'checks signed, chained evidence offline, from the files alone and the public key: each record’s Ed25519 signature and content digest, ' +
        'and for a folder the whole chain (from its first record, no gap, no fork, one deployment); exit 1 naming the first record that does not verify',
    )
    .argument('<path>', 'a record file (a scrub run’s or a drill’s), or the folder the records are in (a backup destination)')
    .requiredOption('--public-key <pem>', 'the Ed25519 public key (PEM) the records must be signed with')
    .option('--deployment <name>', 'the deployment every record must belong to (self-managed: the destination URL, e.g. file:///var/backups/redis)')
    .option('--json', 'print the verdict as JSON')
    .action(async (path: string, o: Omit<AttestOptions, 'path'>) => (await import('./action.js')).attestAction({ ...o, path }));
}
