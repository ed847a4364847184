import type { DrReport } from '../../../lambdas/domain/report/model.js';
import { loadSigner } from '../../../lambdas/jobs/attest/sign.js';
import { reportOfDeployment } from '../../../lambdas/jobs/report/elasticache-report.js';
import { DestinationError, reportOfDestination } from '../../../lambdas/jobs/report/self-managed.js';
import { reportRunInput, reportSettings } from '../../../lib/deployment.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { DATE_FORMAT, INSTANT_FORMATS, parseTime } from '../../instant.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { vaultAccess } from '../../vault-copies.js';

/** `redis-dr report`'s options (cli/commands/report/command.ts). */
export interface ReportOptions {
  readonly config?: string;
  readonly destination?: string;
  readonly since: string;
  readonly until?: string;
  readonly rpoMinutes: string;
  readonly rtoMinutes: string;
  readonly timeZone: string;
  readonly minRetentionDays?: string;
  readonly maxRetentionDays?: string;
  readonly html?: string;
  readonly json?: string;
  readonly csv?: string;
  readonly s3Endpoint?: string;
  /** With --destination: the Ed25519 key the JSON report is signed with (jobs/attest/sign.ts). */
  readonly signingKey?: string;
  readonly vaultProfile?: string;
  readonly policy?: string;
  /** The organization's roll-up (cli/commands/report/org.ts) from the evidence tree `from`. */
  readonly org?: boolean;
  readonly from?: string;
  /** With --org: the org config whose accounts are each expected to report. */
  readonly orgConfig?: string;
}

const UNITS: Readonly<Record<string, number>> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A time of `--since` or `--until`: a date (midnight UTC, as `retention hold --until` reads one) or {@link parseInstant}'s
 * forms, never read in the zone of the machine the CLI runs on (`2026-11-20T00:00` is refused: which zone?).
 */
function timeOf(option: string, text: string, also = ''): Date {
  const zoneless = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(text.trim());
  const refuse = (why: string) =>
    new UsageError(`${option} ${text} is no time report reads${zoneless ? ' (give its zone)' : why}: write ${also}${DATE_FORMAT} or ${INSTANT_FORMATS}`);
  return new Date(parseTime(text, refuse));
}

/** `--since`: an age before `until` (30d, 12h, 2w) or a time ({@link timeOf}). */
function sinceOf(value: string, until: Date): Date {
  const age = /^(\d+)([hdw])$/.exec(value);
  const at = age ? new Date(until.getTime() - Number(age[1]) * UNITS[age[2]!]!) : timeOf('--since', value, 'an age like 30d, 12h or 2w, ');
  if (Number.isNaN(at.getTime()) || at >= until)
    throw new UsageError(`--since must be an age like 30d, 12h or 2w, or an ISO time before --until, got ${JSON.stringify(value)}`);
  return at;
}

function positive(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${option} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** The scrub's coverage in a line (where the report has one): the auditors' "stored copies tested again". */
function scrubLine(report: DrReport): string {
  const s = report.scrub;
  if (!s) return '';
  const oldest = s.oldestRead ? `; read longest ago: ${s.oldestRead.file} (${s.oldestRead.at.toISOString().replace(/\.\d{3}Z$/, 'Z')})` : '';
  return `  SCRUB ${s.readWithinDays} of ${s.copies} copies read and found good within ${s.days} days, ${s.reRead} re-read by a scrub${oldest}\n`;
}

/**
 * The control summary, the failed controls, the facts not read, what the
 * scheduled reports' vault copies say and the files written; the exit code
 * (1: a control failed or the report is partial).
 */
function printReport(report: DrReport, written: readonly string[], what: string, vaultCopies: readonly string[] = []): number {
  const failed = report.controls.filter((c) => c.verdict === 'fail');
  const audits = (report.audits ?? []).filter((a) => a.verdict === 'fail');
  const partial = report.problems.length > 0;
  const head = partial ? 'PARTIAL' : failed.length + audits.length === 0 ? 'OK' : 'CONTROLS FAILED';
  process.stdout.write(
    `${head} ${report.deployment}: ${report.caches.length} ${what}, ${report.since.toISOString()} to ${report.until.toISOString()}: ` +
      `${report.summary.pass} pass, ${report.summary.fail} fail, ${report.summary.notApplicable} n/a\n` +
      failed.map((c) => `  FAIL ${c.cache} ${c.control}: ${c.why}\n`).join('') +
      audits.map((a) => `  FAIL ${a.check} ${a.subject}: ${a.why}\n`).join('') +
      scrubLine(report) +
      (report.policyDocument !== undefined ? `  POLICY ${report.policyDocument}\n` : '') +
      report.problems.map((p) => `  NOT READ ${p}\n`).join('') +
      vaultCopies.map((v) => `  VAULT COPY ${v}\n`).join('') +
      written.map((w) => `  wrote ${w}\n`).join(''),
  );
  // The report was written either way; a failing control or a fact not read is what the run says by its exit code.
  return failed.length + audits.length > 0 || partial ? 1 : 0;
}

/**
 * `redis-dr report -c <config>` (ElastiCache: the facts from AWS) or
 * `--destination <url>` (self-managed backups): writes the files asked
 * for, each read back, and prints the control summary.
 */
export async function reportAction(options: ReportOptions, env: CliEnv = {}): Promise<void> {
  if (options.destination !== undefined && options.config !== undefined)
    throw new UsageError('give either -c <config> (ElastiCache) or --destination <url> (self-managed backups), not both');
  const now = new Date(env.clock?.now() ?? Date.now());
  const until = options.until === undefined ? now : timeOf('--until', options.until);
  const since = sinceOf(options.since, until);
  if (!options.html && !options.json && !options.csv) throw new UsageError('nothing to write: give --html <file>, --json <file> and/or --csv <dir>');
  const outputs = {
    ...(options.html ? { html: options.html } : {}),
    ...(options.json ? { json: options.json } : {}),
    ...(options.csv ? { csvDir: options.csv } : {}),
  };
  const minRetention = options.minRetentionDays === undefined ? undefined : positive('--min-retention-days', options.minRetentionDays);

  if (options.destination === undefined) {
    if (options.signingKey !== undefined)
      throw new UsageError(
        '--signing-key goes with --destination (it signs a self-managed report): the scheduled report of an ElastiCache deployment is signed by its KMS evidence key (docs/attest.md)',
      );
    if (options.maxRetentionDays !== undefined)
      throw new UsageError(
        '--max-retention-days goes with --destination (self-managed backups): for ElastiCache plans set plans[].maxRetentionDays in the config and deploy (docs/configuration.md)',
      );
    const config = loadCliConfig(options.config);
    const aws = new CliAws(config, env, vaultAccess(config, options.vaultProfile));
    await runAwsCommand('report', aws, async () => {
      const region = config.primary.region;
      const input = reportRunInput(config, await aws.account(), aws.partition(region));
      const { report, written, vaultCopies } = await reportOfDeployment(
        minRetention === undefined ? input : { ...input, minRetentionDays: minRetention },
        aws,
        // --policy, else the config's report.policyDocument (as the scheduled report links it).
        {
          since,
          until,
          generatedAt: now,
          ...((options.policy ?? input.policyDocument) !== undefined ? { policyDocument: options.policy ?? input.policyDocument } : {}),
        },
        outputs,
        reportSettings(config).periods,
      );
      return printReport(report, written, 'cache(s)', vaultCopies);
    });
    return;
  }

  try {
    new Intl.DateTimeFormat('en', { timeZone: options.timeZone });
  } catch {
    throw new UsageError(`--time-zone ${options.timeZone} is not an IANA time zone: write e.g. Europe/Berlin or UTC`);
  }
  const signer = options.signingKey !== undefined ? await loadSigner('--signing-key', options.signingKey) : undefined;
  let result: Awaited<ReturnType<typeof reportOfDestination>>;
  try {
    result = await reportOfDestination(
      { url: options.destination, ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}) },
      {
        since,
        until,
        generatedAt: now,
        rpoMinutes: positive('--rpo-minutes', options.rpoMinutes),
        rtoMinutes: positive('--rto-minutes', options.rtoMinutes),
        timeZone: options.timeZone,
        minRetentionDays: minRetention ?? 30,
        ...(options.policy !== undefined ? { policyDocument: options.policy } : {}),
        ...(options.maxRetentionDays !== undefined ? { maxRetentionDays: positive('--max-retention-days', options.maxRetentionDays) } : {}),
      },
      outputs,
      signer,
    );
  } catch (err) {
    if (err instanceof DestinationError) throw new UsageError(err.message);
    throw err;
  }
  process.exitCode = printReport(result.report, result.written, 'target(s)');
}
