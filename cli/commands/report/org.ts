/**
 * `redis-dr report --org --from <url>`: the organization's roll-up of every
 * account's newest scheduled report (lambdas/jobs/org/rollup.ts), in a
 * terminal and as JSON / CSV. Exit 0: every account ok; 1: an account
 * failed a control or its report is older than its period; 2: a record of
 * the tree is no report (named; the rest is still rolled up) or bad options.
 */
import type { AccountRollup, OrgRollup } from '../../../lambdas/domain/org/rollup.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { orgReport } from '../../../lambdas/jobs/org/rollup.js';
import type { CliEnv } from '../../aws.js';
import type { ReportOptions } from './action.js';

const pct = (share: number | null) => (share === null ? 'n/a' : `${Math.round(share * 1000) / 10}%`);

/** An account's line when it is not ok. */
function line(a: AccountRollup): string {
  const word = a.state === 'malformed' ? 'MALFORMED' : 'FAIL';
  return `  ${word} ${a.account} ${a.region} ${a.state}: ${a.why} (${a.key})\n`;
}

/** The roll-up in a terminal; the exit code. */
export function printRollup(r: OrgRollup, written: readonly string[]): number {
  const ok = r.accounts.length - r.failing;
  process.stdout.write(
    `org: ${new Set(r.accounts.map((a) => a.account)).size} account(s), ${r.accounts.length} account-region report(s), ${ok} ok, ${r.failing} not; ${r.caches} cache(s): ${pct(r.verifiedShare)} with a verified copy within the RPO, ${pct(r.drilledShare)} drilled within the RTO\n` +
      r.accounts
        .filter((a) => a.state !== 'ok')
        .map(line)
        .join('') +
      written.map((f) => `  wrote ${f}\n`).join(''),
  );
  if (r.accounts.some((a) => a.state === 'malformed')) return 2;
  return r.failing > 0 || r.accounts.length === 0 ? 1 : 0;
}

/** Runs `report --org`. */
export async function orgReportAction(options: ReportOptions, env: CliEnv): Promise<void> {
  if (options.config !== undefined || options.destination !== undefined)
    throw new UsageError("--org reads the organization's evidence tree (--from): give it without -c or --destination");
  if (!options.from)
    throw new UsageError('--org needs --from file:///dir or s3://bucket[/prefix] (the tree where every account writes <account>/<region>/reports/)');
  if (options.html) throw new UsageError('--org writes --json and --csv; an HTML page of the roll-up is not built yet');
  const now = new Date(env.clock?.now() ?? Date.now());
  const { rollup, written } = await orgReport(
    options.from,
    { ...(options.json ? { json: options.json } : {}), ...(options.csv ? { csvDir: options.csv } : {}) },
    now,
    options.s3Endpoint,
  );
  process.exitCode = printRollup(rollup, written);
}
