/**
 * `redis-dr org inventory`: every ElastiCache cache of the organization from
 * an AWS Config aggregator, with its account, region, tier and state
 * (lambdas/domain/org/inventory.ts judges). Two queries, each paged to its
 * end: the caches, and the redis-dr stacks (where a stack runs, an opted-in
 * cache is protected). Bad input (the org config, an aggregator Config does
 * not know, no aggregator named) is a UsageError (exit 2).
 */
import type { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { classifyInventory, type Inventory, parseInventoryRows, type RedisDrStackRow } from '../../domain/org/inventory.js';
import { show } from '../../domain/plans/problems.js';
import { CACHES_QUERY, configServiceClient, selectAll, stacksQuery } from '../../adapters/aws/config-aggregator.js';
import { errorName } from '../../adapters/aws/errors.js';
import { ConfigError } from '../../../lib/config/load.js';
import { loadOrgConfig, type OrgConfig } from '../../../lib/config/org.js';
import { UsageError } from '../kernel/usage-error.js';

/** What `org inventory` asks. */
export interface OrgInventoryRequest {
  /** The org config file. */
  readonly file: string;
  /** The aggregator's name; default the org config's `aggregator.name`. */
  readonly aggregator?: string;
  /** The aggregator's region; default the org config's `aggregator.region`, else `regions.primary`. */
  readonly region?: string;
}

/** The inventory, and where it came from. */
export interface OrgInventoryAnswer extends Inventory {
  readonly aggregator: string;
  readonly region: string;
  /** What the aggregator cannot say: serverless caches are no Config resource type queried here. */
  readonly notCollected: readonly string[];
}

/** The SDK client the job uses, by region (a test hands in one aws-sdk-client-mock intercepts). */
export type ConfigClientFactory = (region: string) => ConfigServiceClient;

function readOrg(file: string): OrgConfig {
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
  try {
    cacheRows = await selectAll(config, aggregator, CACHES_QUERY);
    stackRows = await selectAll(config, aggregator, stacksQuery(org.name));
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
    notCollected: [
      "serverless caches: AWS Config records no AWS::ElastiCache::ServerlessCache; the verified-copy rule evaluates each account's serverless caches as one AWS::::Account evaluation naming those without a verified copy (the aggregator's compliance for redis-dr-<name>-verified-copy), and redis-dr status -c <config> --coverage lists them per account",
    ],
  };
}
