import type { Command } from 'commander';
import { EXIT_LEASE_HELD } from '../../exit-codes.js';
import { keepOptions, positiveInt } from '../../options.js';
import type { BackupCliOptions } from './action.js';

/** Defines `redis-dr backup` (options and help); its action module loads only when it runs. */
export function backupCommand(program: Command): void {
  keepOptions(
    program
      .command('backup')
      .description('self-managed Redis/Valkey: take one verified backup, store it, apply GFS retention, ping a heartbeat (for cron or a systemd timer)')
      .requiredOption(
        '--redis <url>',
        'the server: redis://[user@]host[:port] or rediss:// (password from --secret or REDIS_DR_PASSWORD, or percent-encoded in the URL)',
      )
      .requiredOption('--to <dest>', 'where backups go: file:///dir (an existing folder, or add --create) or s3://bucket/prefix')
      .option('--create', 'make the --to folder when it does not exist (without it a missing folder is refused: a typo must not start a new series)')
      .option('--remote', 'pull the RDB over the replication protocol (REPLCONF rdb-only + SYNC) instead of BGSAVE and reading the file on this host')
      .option(
        '--name <target>',
        'the target name in file names rdr-<target>-<yyyymmdd>-<hhmm>.rdb, -<hhmmss>.rdb for a second backup within a minute (default: redis-<host>-<port>; localhost, 127.0.0.1 and ::1 all give redis-127-0-0-1-<port>)',
      )
      .option('--secret <arn>', 'Secrets Manager secret holding the password (and username)')
      .option('--s3-endpoint <url>', 'an S3-compatible endpoint (MinIO, …) for s3:// destinations; path-style addressing')
      .option('--heartbeat-url <url>', 'pinged only when every step succeeded (healthchecks.io style; also REDIS_DR_HEARTBEAT_URL)')
      .option('--heartbeat-start', 'also ping <url>/start when the run begins')
      .option('--heartbeat-fail', 'also ping <url>/fail with the error when a step fails')
      .option('--metrics-file <path>', 'write Prometheus textfile-collector metrics here (atomically; e.g. /var/lib/node_exporter/textfile/redis-dr.prom)'),
  )
    .option(
      '--collapse-threshold-pct <pct>',
      // Checked by the action with the plans' own schema (domain/plans/settings.ts), which loads zod: not here, at start-up.
      'a backup with more than this percent fewer keys (or bytes) than the last good one is a keyspace collapse: stored, the earlier backups held, exit 1 (0 keys after a non-empty backup always is); default 50',
    )
    .option(
      '--collapse-hold-days <n>',
      "a collapse's hold on the earlier backups expires this many days after the collapsed backup: still held until released, but `report --destination` then FAILs it asking for a decision; default 30",
      positiveInt('--collapse-hold-days', 1),
    )
    .option('--time-zone <iana>', 'time zone tiers are computed in', 'UTC')
    .option('--save-timeout <seconds>', 'local mode: how long to wait for BGSAVE', positiveInt('--save-timeout', 1), 3600)
    .option(
      '--lease-wait <seconds>',
      `how long to wait for another run of the same target and destination (its lease) before exiting ${EXIT_LEASE_HELD} without doing anything`,
      positiveInt('--lease-wait', 0),
      60,
    )
    .option(
      '--lease-stale-after <seconds>',
      'a lease older than this is taken over (a run on another host that died); a lease of a process gone from this host is taken over at once',
      positiveInt('--lease-stale-after', 60),
      21600,
    )
    .option('--json', 'print the run report as JSON')
    .addHelpText('after', '\nSee docs/self-managed.md for cron and systemd timer examples.')
    .action(async (o: BackupCliOptions) => (await import('./action.js')).backupAction(o));
}
