/**
 * The AWS Config custom rule `redis-dr-verified-copy` (and, when switched
 * on, the Security Hub findings): every cache of the account's primary
 * region judged against its newest scheduled report in the DR bucket
 * (lambdas/domain/org/cache-verdicts.ts), the evaluations put for the
 * rule's run, the findings imported. What AWS refused fails the run
 * (never a false success): Config retries a periodic rule on its next run.
 */
import type { ConfigServiceClient } from '@aws-sdk/client-config-service';
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { z } from 'zod';
import { cacheVerdicts, type NewestReport, ruleEvaluations } from '../../domain/org/cache-verdicts.js';
import { asffFindings, findingBatches } from '../../domain/org/findings.js';
import { newestPerAccount } from '../../domain/org/rollup.js';
import { REPORTS_PREFIX } from '../../domain/report/input.js';
import { listCaches } from '../../adapters/aws/caches.js';
import { importFindings, putEvaluations } from '../../adapters/aws/compliance.js';
import type { ObjectStore } from '../../adapters/storage/object-store.js';

/** The event AWS Config gives a custom rule's function (the fields the rule reads). */
export const configRuleEventSchema = z.object({
  resultToken: z.string().min(1),
  accountId: z.string().regex(/^\d{12}$/),
  configRuleName: z.string().optional(),
});

/** A rule's run. */
export interface RuleRun {
  readonly resultToken: string;
  readonly account: string;
  readonly partition: string;
  /** The primary region, where the caches and this function run. */
  readonly region: string;
  /** The DR region, the DR bucket's: the reports are of it (a signed report's attestation names its bucket there). */
  readonly drRegion: string;
  /** The DR bucket's `reports/` (its name, for the annotations). */
  readonly reportsAt: string;
}

/** What the run needs from AWS. */
export interface RuleDeps {
  readonly elasticache: ElastiCacheClient;
  readonly tagging: ResourceGroupsTaggingAPIClient;
  /** The DR bucket under `reports/`. */
  readonly reports: ObjectStore;
  readonly config: ConfigServiceClient;
  /** Set when Security Hub findings are switched on. */
  readonly securityHub?: SecurityHubClient;
  readonly now: () => Date;
}

/** What a run did. */
export interface RuleOutcome {
  readonly evaluations: number;
  readonly findings: number;
}

/** The account's newest report under `reports/`, read; undefined when there is none. */
async function newestReport(store: ObjectStore, account: string, region: string, now: Date): Promise<NewestReport | undefined> {
  // The rollup's key reader wants the evidence tree's `<account>/<region>/` before `reports/`.
  const keys = (await store.list()).map((o) => `${account}/${region}/${REPORTS_PREFIX}${o.key}`);
  const [key] = newestPerAccount(keys, now);
  if (!key) return undefined;
  const text = (await store.get(key.key.slice(`${account}/${region}/${REPORTS_PREFIX}`.length))).toString('utf8');
  try {
    return { key, body: JSON.parse(text) };
  } catch (err) {
    return { key, body: { notJson: (err as Error).message } };
  }
}

/** Runs the rule once. @throws Error naming what AWS refused */
export async function runVerifiedCopyRule(run: RuleRun, deps: RuleDeps): Promise<RuleOutcome> {
  const now = deps.now();
  const caches = await listCaches(deps.elasticache, deps.tagging, (call) => call());
  // The reports are the DR region's, of this account: read as the organization's tree holds them, under `<account>/<DR region>/`.
  const newest = await newestReport(deps.reports, run.account, run.drRegion, now);
  const verdicts = cacheVerdicts(caches, newest, run.reportsAt, now);
  // Serverless caches: one evaluation of the account (Config records no serverless cache to evaluate).
  const evaluations = ruleEvaluations(verdicts, run.account);
  const failed = await putEvaluations(deps.config, run.resultToken, evaluations, now);
  const problems = failed.map((f) => `Config did not take the evaluation of ${f}`);
  let findings = 0;
  if (deps.securityHub) {
    const { batches, tooLarge } = findingBatches(asffFindings(verdicts, { partition: run.partition, account: run.account, region: run.region }));
    const refused = await importFindings(deps.securityHub, batches);
    findings = batches.reduce((n, b) => n + b.length, 0) - refused.length;
    problems.push(...tooLarge.map((t) => `finding not sent: ${t}`), ...refused.map((r) => `Security Hub refused ${r}`));
  }
  if (problems.length > 0) throw new Error(`redis-dr-verified-copy: ${problems.length} problem(s): ${problems.slice(0, 5).join('; ')}`);
  return { evaluations: evaluations.length, findings };
}
