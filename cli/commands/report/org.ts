/**
 * `redis-dr report --org --from <url>`: the organization's roll-up of every
 * account's newest scheduled report and selftest record
 * (lambdas/jobs/org/rollup.ts), in a terminal and as HTML / JSON / CSV.
 * Exit 0: every account ok; 1: an account failed a control or its selftest,
 * its report is older than its period, or `--org-config` lists it and the
 * tree has no report of it; 2: a record of the tree is malformed (named;
 * the rest is still rolled up) or bad options.
 */
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { expectedAccounts, orgReport } from '../../../lambdas/jobs/org/rollup.js';
import type { CliEnv } from '../../aws.js';
import { printRollup } from '../../org-rollup.js';
import type { ReportOptions } from './action.js';

/** Runs `report --org`. */
export async function orgReportAction(options: ReportOptions, env: CliEnv): Promise<void> {
  if (options.config !== undefined || options.destination !== undefined)
    throw new UsageError("--org reads the organization's evidence tree (--from): give it without -c or --destination");
  if (!options.from)
    throw new UsageError('--org needs --from file:///dir or s3://bucket[/prefix] (the tree where every account writes <account>/<region>/reports/)');
  const now = new Date(env.clock?.now() ?? Date.now());
  const { rollup, written } = await orgReport(
    options.from,
    { ...(options.html ? { html: options.html } : {}), ...(options.json ? { json: options.json } : {}), ...(options.csv ? { csvDir: options.csv } : {}) },
    now,
    options.s3Endpoint,
    options.orgConfig !== undefined ? expectedAccounts(options.orgConfig) : undefined,
  );
  process.exitCode = printRollup(rollup, written);
}
