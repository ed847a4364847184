import type { Command } from 'commander';
import { CONFIG_HELP, keepOptions, positiveInt } from '../../options.js';
import type { PolicyOptions } from './action.js';

/** Defines `redis-dr policy` (options and help); its action module loads only when it runs. */
export function policyCommand(program: Command): void {
  keepOptions(
    program
      .command('policy')
      .usage('(--config <config> | --destination <url>) [--markdown <file>] [--html <file>]')
      .description(
        'the backup policy document (ISO 27001 A.8.13) generated from the validated config (or, for self-managed backups, from what a destination holds and the backup settings given), so policy and practice cannot drift: scope by plan, frequency and RPO, retention per tier and the maximum, copies and where they live, drill cadence, RTO objectives, who is paged; Markdown on stdout unless files are named',
      )
      .option('-c, --config <file>', CONFIG_HELP)
      .option('--destination <url>', 'self-managed backups instead: the `backup --to` destination (file:///dir or s3://bucket/prefix)'),
    'with --destination, the backups’ setting: ',
  )
    .option(
      '--rpo-minutes <n>',
      'with --destination: the RPO the backups are held to, minutes (as report --destination)',
      positiveInt('--rpo-minutes', 1),
      1440,
    )
    .option('--rto-minutes <n>', 'with --destination: the restore time drills are held to, minutes', positiveInt('--rto-minutes', 1), 60)
    .option(
      '--max-retention-days <n>',
      'with --destination: no backup kept longer than this unless a hold keeps it (as report --destination)',
      positiveInt('--max-retention-days', 1),
    )
    .option('--time-zone <iana>', 'with --destination: the time zone the backups’ tiers are computed in', 'UTC')
    .option('--paged <who...>', 'with --destination: who the heartbeat’s monitor notifies (the destination cannot know)')
    .option('--s3-endpoint <url>', 'with an s3:// --destination on an S3-compatible store: its endpoint')
    .option('--markdown <file>', 'write the Markdown here (read back)')
    .option('--html <file>', 'write a self-contained HTML page here (read back)')
    .action(async (o: PolicyOptions) => (await import('./action.js')).policyAction(o));
}
