import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, ORG_CONFIG_HELP, VAULT_PROFILE_HELP } from '../../options.js';
import type { ReportOptions } from './action.js';

/** Defines `redis-dr report` (options and help); its action module loads only when it runs. */
export function reportCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('report')
    .usage(
      '(-c <config> | --destination <url> | --org --from <url> [--org-config <file>]) [--since 30d] [--html <file>] [--json <file>] [--csv <dir>] [options]',
    )
    .description(
      'evidence an auditor can read: the DR report of a period (coverage, RPO attainment, copies, drills and RTO, holds, alarms) with controls in AWS Backup Audit Manager terms, as one self-contained HTML page with charts, JSON and CSV; exit 1 when a control fails or a fact could not be read',
    )
    .option('-c, --config <file>', `ElastiCache: ${CONFIG_HELP}`)
    .option('--destination <url>', 'self-managed backups instead: the `backup --to` destination (file:///dir or s3://bucket/prefix)')
    .option('--since <age|time>', 'the period: an age like 30d, 12h, 2w, or an ISO time', '30d')
    .option('--until <time>', 'the end of the period (ISO time; default now)')
    .option('--rpo-minutes <n>', 'with --destination: the RPO the backups are held to, minutes', '1440')
    .option('--rto-minutes <n>', 'with --destination: the restore time the drills `drill local --from` recorded are held to, minutes', '60')
    .option('--time-zone <tz>', 'with --destination: the time zone days are counted in', 'UTC')
    .option('--min-retention-days <n>', 'the retention every target must reach, days (default: config report.minRetentionDays, else 30)')
    .option(
      '--max-retention-days <n>',
      'with --destination: no backup kept longer than this unless a hold with a reason and an expiry keeps it (PCI DSS 3, GDPR); each copy past it is listed, FAIL without such a hold',
    )
    .option('--html <file>', 'write the HTML report here')
    .option('--json <file>', 'write the JSON report here')
    .option('--csv <dir>', 'write the CSV files (controls, recovery points, copies, drills, alarms) into this folder')
    .option(
      '--policy <path|url>',
      "the backup policy document the report is held against (`redis-dr policy`'s file or its URL): linked from the HTML, in the JSON (ISO 27001 A.8.13)",
    )
    .option(
      '--signing-key <pem>',
      'with --destination: an Ed25519 private key file: the JSON report (with the SHA-256 of the --html and --csv files, which go inside its folder) is signed into the destination’s chain and kept beside the backups (redis-dr attest checks it)',
    )
    .option('--s3-endpoint <url>', 'with an s3:// --destination on an S3-compatible store: its endpoint')
    .option('--vault-profile <name>', `with -c: ${VAULT_PROFILE_HELP}`)
    .option('--org', "the organization's roll-up: every account's newest scheduled report from the evidence tree of --from (docs/org.md)")
    .option('--from <url>', 'with --org: the evidence tree, file:///dir or s3://bucket[/prefix], each account under <account>/<region>/reports/')
    .option('--org-config <file>', ORG_CONFIG_HELP)
    // --org (or --from) is the organization's roll-up (./org.ts); else one deployment's report or a destination's.
    .action(async (options: ReportOptions) =>
      options.org || options.from !== undefined
        ? (await import('./org.js')).orgReportAction(options, env)
        : (await import('./action.js')).reportAction(options, env),
    );
}
