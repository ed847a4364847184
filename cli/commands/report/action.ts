import { DestinationError, reportOfDestination } from '../../../lambdas/jobs/report/self-managed.js';
import { UsageError } from '../../usage.js';

/** `redis-dr report`'s options (cli/commands/report/command.ts). */
export interface ReportOptions {
  readonly destination: string;
  readonly since: string;
  readonly until?: string;
  readonly rpoMinutes: string;
  readonly timeZone: string;
  readonly minRetentionDays: string;
  readonly html?: string;
  readonly json?: string;
  readonly csv?: string;
  readonly s3Endpoint?: string;
}

const UNITS: Readonly<Record<string, number>> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since`: an age before `until` (30d, 12h, 2w) or an ISO time. */
function sinceOf(value: string, until: Date): Date {
  const age = /^(\d+)([hdw])$/.exec(value);
  const at = age ? new Date(until.getTime() - Number(age[1]) * UNITS[age[2]!]!) : new Date(value);
  if (Number.isNaN(at.getTime()) || at >= until)
    throw new UsageError(`--since must be an age like 30d, 12h or 2w, or an ISO time before --until, got ${JSON.stringify(value)}`);
  return at;
}

function positive(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${option} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** `redis-dr report --destination <url>`: writes the files asked for, prints the control summary; exit 1 when a control fails. */
export async function reportAction(options: ReportOptions): Promise<void> {
  const now = new Date();
  const until = options.until === undefined ? now : new Date(options.until);
  if (Number.isNaN(until.getTime())) throw new UsageError(`--until must be an ISO time, got ${JSON.stringify(options.until)}`);
  const since = sinceOf(options.since, until);
  try {
    new Intl.DateTimeFormat('en', { timeZone: options.timeZone });
  } catch {
    throw new UsageError(`--time-zone ${options.timeZone} is not an IANA time zone: write e.g. Europe/Berlin or UTC`);
  }
  if (!options.html && !options.json && !options.csv) throw new UsageError('nothing to write: give --html <file>, --json <file> and/or --csv <dir>');
  let result: Awaited<ReturnType<typeof reportOfDestination>>;
  try {
    result = await reportOfDestination(
      { url: options.destination, ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}) },
      {
        since,
        until,
        generatedAt: now,
        rpoMinutes: positive('--rpo-minutes', options.rpoMinutes),
        timeZone: options.timeZone,
        minRetentionDays: positive('--min-retention-days', options.minRetentionDays),
      },
      { ...(options.html ? { html: options.html } : {}), ...(options.json ? { json: options.json } : {}), ...(options.csv ? { csvDir: options.csv } : {}) },
    );
  } catch (err) {
    if (err instanceof DestinationError) throw new UsageError(err.message);
    throw err;
  }
  const { report, written } = result;
  const failed = report.controls.filter((c) => c.verdict === 'fail');
  process.stdout.write(
    `${failed.length === 0 ? 'OK' : 'CONTROLS FAILED'} ${report.deployment}: ${report.caches.length} target(s), ${report.since.toISOString()} to ${report.until.toISOString()}: ` +
      `${report.summary.pass} pass, ${report.summary.fail} fail, ${report.summary.notApplicable} n/a\n` +
      failed.map((c) => `  FAIL ${c.cache} ${c.control}: ${c.why}\n`).join('') +
      written.map((w) => `  wrote ${w}\n`).join(''),
  );
  // The report was written either way; a failing control is what the run says by its exit code.
  if (failed.length > 0) process.exitCode = 1;
}
