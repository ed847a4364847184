/**
 * `redis-dr org inventory`: every ElastiCache cache of the organization from
 * an AWS Config aggregator, with its account, region, tier and state
 * (lambdas/domain/org/inventory.ts judges). Two queries, each paged to its
 * end: the caches, and the redis-dr stacks (where a stack runs, an opted-in
 * cache is protected). Then, with the org config's `configRule.enabled`,
 * each account's serverless caches: the verified-copy rule's evaluation of
 * the account in the primary region, read through the same aggregator
 * (`GetAggregateComplianceDetailsByConfigRule`, one rule, account and region
 * a call: requests grow with accounts, not caches). Bad input (the org
 * config, an aggregator Config does not know, no aggregator named) is a
 * UsageError (exit 2).
 */
import type { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { ACCOUNT_RESOURCE_TYPE } from '../../domain/org/cache-verdicts.js';
import {
  classifyInventory,
  type Inventory,
  judgeServerless,
  judgeSources,
  parseInventoryRows,
  type RedisDrStackRow,
  type ServerlessAccount,
} from '../../domain/org/inventory.js';
import { show } from '../../domain/plans/problems.js';
import {
  aggregateEvaluations,
  aggregatorSources,
  CACHES_QUERY,
  configServiceClient,
  type RuleAt,
  selectAll,
  stacksQuery,
} from '../../adapters/aws/config-aggregator.js';
import { describeError, errorName } from '../../adapters/aws/errors.js';
import { mapConcurrent } from '../../adapters/aws/retry.js';
import { ConfigError } from '../../../lib/config/load.js';
import { loadOrgConfig, type OrgConfig } from '../../../lib/config/org.js';
import { memberDeploymentName } from '../../../lib/constructs/org/member-config.js';
import { stackSetGroups } from '../../../lib/constructs/org/stack-set-groups.js';
import { verifiedCopyRuleName } from '../../../lib/deployment.js';
import { UsageError } from '../kernel/usage-error.js';

/** What `org inventory` asks. */
export interface OrgInventoryRequest {
  /** The org config file. */
  readonly file: string;
  /** The aggregator's name; default the org config's `aggregator.name`. */
  readonly aggregator?: string;
  /** The aggregator's region; default the org config's `aggregator.region`, else `regions.primary`. */
  readonly region?: string;
  /** The time evaluations are judged at (an account evaluation over 48 h old is a rule that stopped); default now. */
  readonly now?: Date;
}

/** The inventory, and where it came from. */
export interface OrgInventoryAnswer extends Inventory {
  readonly aggregator: string;
  readonly region: string;
  /** Every account of the org config's serverless caches in the primary region (none when `configRule.enabled` is off). */
  readonly serverless: readonly ServerlessAccount[];
  /** What the aggregator cannot say (serverless caches when the org config deploys no verified-copy rule). */
  readonly notCollected: readonly string[];
  /**
   * The aggregator's sources that make the inventory incomplete (exit 1): none, none collected, a FAILED one, or
   * sources that could not be read (lambdas/domain/org/inventory.ts judgeSources).
   */
  readonly sourceProblems: readonly string[];
  /** Sources whose data is not the most recent (OUTDATED): their caches as of their last collection. */
  readonly sourceNotes: readonly string[];
}

/** Rule reads at once: the aggregator's compliance calls are throttled per account (the SDK's retries take the rest). */
const RULE_READS_AT_ONCE = 4;

/** Where each account of the org config runs the verified-copy rule: its StackSet group's, in the primary region. */
export function verifiedCopyRules(org: OrgConfig): RuleAt[] {
  return stackSetGroups(org)
    .flatMap((g) => g.accounts.map((account) => ({ rule: verifiedCopyRuleName(memberDeploymentName(org.name, g.name)), account, region: org.regions.primary })))
    .sort((a, b) => a.account.localeCompare(b.account));
}

/** Each account's serverless caches, from the rule's evaluation of the account (`AWS::::Account`). */
async function serverlessAccounts(config: ConfigServiceClient, aggregator: string, org: OrgConfig, now: Date): Promise<ServerlessAccount[]> {
  return mapConcurrent(verifiedCopyRules(org), RULE_READS_AT_ONCE, async (at) => {
    const evaluations = await aggregateEvaluations(config, aggregator, at, ACCOUNT_RESOURCE_TYPE);
    // The rule evaluates its own account only; another id would be no evaluation of this account's serverless caches.
    return judgeServerless(
      at,
      evaluations.find((e) => e.resourceId === at.account),
      now,
    );
  });
}

/** The SDK client the job uses, by region (a test hands in one aws-sdk-client-mock intercepts). */
export type ConfigClientFactory = (region: string) => ConfigServiceClient;

/** The org config at `file`; a problem of it is a UsageError (exit 2) naming the field. */
export function readOrg(file: string): OrgConfig {
  try {
    return loadOrgConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message.replaceAll('-c config=<file>', '-c <file>'));
    throw err;
  }
}

/** A stack row's account and region; undefined when it is no such row. */
function parseStackRow(text: string): RedisDrStackRow | undefined {
  try {
    const s = JSON.parse(text) as Partial<RedisDrStackRow>;
    return typeof s.accountId === 'string' && typeof s.awsRegion === 'string' ? { accountId: s.accountId, awsRegion: s.awsRegion } : undefined;
  } catch {
    return undefined;
  }
}

/** Runs both queries and judges every cache. @throws UsageError (exit 2) on bad input */
export async function orgInventory(request: OrgInventoryRequest, client: ConfigClientFactory = configServiceClient): Promise<OrgInventoryAnswer> {
  const org = readOrg(request.file);
  const aggregator = request.aggregator ?? org.aggregator?.name;
  if (!aggregator) {
    throw new UsageError(
      `--aggregator is required: ${request.file} has no aggregator.name; give --aggregator <name> (an organization aggregator of AWS Config)`,
    );
  }
  const region = request.region ?? org.aggregator?.region ?? org.regions.primary;
  const config = client(region);
  let cacheRows: string[];
  let stackRows: string[];
  let serverless: ServerlessAccount[] = [];
  let sources: { problems: string[]; notes: string[] };
  try {
    sources = await aggregatorSources(config, aggregator).then(judgeSources, (err: unknown) => {
      if (errorName(err) === 'NoSuchConfigurationAggregatorException') throw err;
      // Without them no one can tell whether the aggregator collects from every account: said, never taken as whole.
      return {
        problems: [
          `the aggregator's sources could not be read (${describeError(err)}): whether it collects from every account is not known; grant config:DescribeConfigurationAggregatorSourcesStatus on it`,
        ],
        notes: [],
      };
    });
    cacheRows = await selectAll(config, aggregator, CACHES_QUERY);
    stackRows = await selectAll(config, aggregator, stacksQuery(org.name));
    if (org.configRule.enabled) serverless = await serverlessAccounts(config, aggregator, org, request.now ?? new Date());
  } catch (err) {
    if (errorName(err) === 'NoSuchConfigurationAggregatorException') {
      throw new UsageError(
        `--aggregator names no AWS Config aggregator in ${region}, got ${show(aggregator)}: list them with aws configservice describe-configuration-aggregators --region ${region}`,
      );
    }
    throw err;
  }
  const { rows, malformed } = parseInventoryRows(cacheRows);
  const stacks: RedisDrStackRow[] = [];
  for (const [i, text] of stackRows.entries()) {
    const s = parseStackRow(text);
    if (s) stacks.push(s);
    else malformed.push(`stack result ${i + 1}: no accountId and awsRegion, got ${JSON.stringify(text.slice(0, 60))}`);
  }
  const inventory = classifyInventory(org, rows, stacks);
  return {
    ...inventory,
    malformed,
    aggregator,
    region,
    serverless,
    sourceProblems: sources.problems,
    sourceNotes: sources.notes,
    notCollected: org.configRule.enabled
      ? []
      : [
          `serverless caches: AWS Config records no AWS::ElastiCache::ServerlessCache, and ${request.file} deploys no verified-copy rule to judge them per account (configRule.enabled is false): turn it on, or run redis-dr status -c <config> --coverage in each account`,
        ],
  };
}
