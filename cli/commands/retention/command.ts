import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import type { RetentionPlanOptions } from './plan-action.js';
import type { ReleaseOptions } from './release-action.js';
import type { HoldOptions } from './hold-action.js';
import { CONFIG_ENV, CONFIG_HELP } from '../../options.js';

/** Defines `redis-dr retention` (options and help); its action module loads only when it runs. */
export function retentionCommand(program: Command, env: CliEnv = {}): void {
  const retention = program.command('retention').description('grandfather-father-son retention of snapshots');
  retention
    .command('plan')
    .usage('--snapshots <file> (--policy <file> | --plan <name> [-c <file>]) [options]')
    .description('offline dry run: which snapshots the retention rules keep (and why) and which they would delete')
    .option('--policy <file>', 'JSON: {hourly, daily, weekly, monthly, minKeep, rpoMinutes, timeZone} (this or --plan is required)')
    .option('-c, --config <file>', `the deployment config whose --plan retention to apply (default: $${CONFIG_ENV})`)
    .option('--plan <name>', 'take the policy from this plan of the deployment config, exactly as its prune Lambda applies it (this or --policy is required)')
    .requiredOption('--snapshots <file>', 'JSON: [{name, status, createdAt, managed, tier}] or `aws elasticache describe-snapshots` output')
    .option('--now <iso>', 'evaluate at this time instead of now')
    .option('--json', 'print the plan as JSON')
    .action(async (options: RetentionPlanOptions) => (await import('./plan-action.js')).retentionAction(options));
  retention
    .command('release')
    .description(
      "end the hold a keyspace collapse put on the recovery points before it: S3 copies' tier tags back, snapshot holds removed, the collapse mark rewritten (logged; exit 1 names what failed)",
    )
    .requiredOption('--target <id>', 'the replication group or serverless cache')
    .requiredOption('--point <snapshot>', 'the collapsed snapshot whose hold to release (`redis-dr status` lists them)')
    .option('--accept', 'the drop was intended: the collapsed point becomes the baseline later points are judged against')
    .option(
      '--destination <url>',
      'self-managed backups: the `backup --to` destination (file:///dir or s3://bucket/prefix) instead of -c; --point is the collapsed backup file the run named, which becomes the new baseline',
    )
    .option('--s3-endpoint <url>', 'with an s3:// --destination on an S3-compatible store: its endpoint, as `backup --s3-endpoint`')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--dry-run', 'show every change, make none')
    .option('--json', 'print the changes as JSON')
    .action(async (options: ReleaseOptions) => (await import('./release-action.js')).releaseAction(options, env));
  retention
    .command('hold')
    .usage('--destination <url> --point <file> --reason <text> --until <date> | --release')
    .description(
      'hold a self-managed backup (a legal hold, an investigation) with a reason and an expiry, or release that hold: retention keeps it until released; the report FAILs the hold once its expiry passes',
    )
    .requiredOption('--destination <url>', 'the `backup --to` destination (file:///dir or s3://bucket/prefix)')
    .requiredOption('--point <file>', 'the backup to hold (rdr-<target>-<yyyymmdd>-<hhmm>.rdb)')
    .option('--reason <text>', 'why it is kept and who asked (required to hold)')
    .option('--until <date>', 'when the hold ends, YYYY-MM-DD (UTC) or an ISO time, in the future (required to hold)')
    .option('--release', "remove the operator's hold (a collapse's hold is `retention release`'s)")
    .option('--s3-endpoint <url>', 'with an s3:// --destination on an S3-compatible store: its endpoint, as `backup --s3-endpoint`')
    .option('--json', 'print the change as JSON')
    .action(async (options: HoldOptions) => (await import('./hold-action.js')).holdAction(options));
}
