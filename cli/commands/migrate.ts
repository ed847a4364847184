import { Option, type Command } from 'commander';
import type { MigrateCliOptions } from '../migrate';
import { positiveInt } from '../options';

/** Defines `redis-dr migrate` (options and help); its action module loads only when it runs. */
export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('copy keys between two Redis servers (DUMP/RESTORE ABSTTL: exact expiry kept, any bytes, no MIGRATE or CONFIG needed), e.g. back after an accidental FLUSHALL')
    .requiredOption('--from <url>', 'source: redis://[user:password@]host[:port][/db] or rediss://… (TLS)')
    .requiredOption('--to <url>', 'target, same form')
    .option('--match <pattern>', 'only keys matching this SCAN pattern')
    .addOption(new Option('--on-conflict <mode>', 'a key that exists on the target: skip it, replace it, or fail').choices(['skip', 'replace', 'fail']).default('skip'))
    .option('--dry-run', 'read and count only, write nothing')
    .option('--verify', 'run compare afterwards (exit 1 when the datasets differ)')
    .option('--batch-size <n>', 'keys per batch (SCAN COUNT); memory is about five batches of values', positiveInt('--batch-size', 1), 1000)
    .option('--json', 'print the result as JSON')
    .action(async (o: MigrateCliOptions & { json?: boolean }) => (await import('../migrate.js')).migrateAction(o));
}
