/**
 * `redis-dr status --org --from <url>`: the organization's roll-up in a
 * terminal (the job of `report --org`, lambdas/jobs/org/rollup.ts, without
 * files). Exit codes as cli/org-rollup.ts says.
 */
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { expectedAccounts, orgReport } from '../../../lambdas/jobs/org/rollup.js';
import type { CliEnv } from '../../aws.js';
import { printRollup } from '../../org-rollup.js';

/** Runs `status --org`. */
export async function statusOrgAction(
  o: { config?: string; coverage?: boolean; json?: boolean; from?: string; s3Endpoint?: string; orgConfig?: string },
  env: CliEnv,
): Promise<void> {
  if (o.config !== undefined || o.coverage) throw new UsageError("--org reads the organization's evidence tree (--from): give it without -c or --coverage");
  if (o.json) throw new UsageError('--org prints the roll-up; for JSON use report --org --from <url> --json <file>');
  if (!o.from) throw new UsageError('--org needs --from file:///dir or s3://bucket[/prefix] (the tree where every account writes <account>/<region>/reports/)');
  const expected = o.orgConfig !== undefined ? expectedAccounts(o.orgConfig) : undefined;
  const { rollup } = await orgReport(o.from, {}, new Date(env.clock?.now() ?? Date.now()), o.s3Endpoint, expected);
  process.exitCode = printRollup(rollup, []);
}
