/**
 * AWS Config advanced queries over an aggregator (`SelectAggregateResourceConfig`):
 * the organization's ElastiCache caches and the redis-dr stacks, every page
 * followed by its NextToken. Read-only: `config:SelectAggregateResourceConfig`
 * on the aggregator.
 */
import { ConfigServiceClient, SelectAggregateResourceConfigCommand } from '@aws-sdk/client-config-service';
import { INVENTORY_RESOURCE_TYPES } from '../../domain/org/inventory.js';
import { sdkClientConfig } from './client-config.js';

/** The most rows a page may hold (the API's bound). */
export const AGGREGATE_PAGE_SIZE = 100;

/** A Config client in the aggregator's region. */
export function configServiceClient(region: string): ConfigServiceClient {
  return new ConfigServiceClient({ region, ...sdkClientConfig() });
}

/** Every result of `expression` over the aggregator, page after page. */
export async function* selectAggregate(client: ConfigServiceClient, aggregator: string, expression: string): AsyncGenerator<string> {
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new SelectAggregateResourceConfigCommand({ ConfigurationAggregatorName: aggregator, Expression: expression, MaxResults: AGGREGATE_PAGE_SIZE, NextToken }),
    );
    yield* page.Results ?? [];
    NextToken = page.NextToken || undefined;
  } while (NextToken);
}

/** The query of every cache: its account, region, id, tags and the configuration fields the inventory judges. */
export const CACHES_QUERY = `SELECT accountId, awsRegion, resourceType, resourceId, tags, configuration WHERE resourceType IN (${INVENTORY_RESOURCE_TYPES.map((t) => `'${t}'`).join(', ')})`;

/**
 * The query of the redis-dr stacks of the deployment `name`: StackSet
 * instances (`StackSet-redis-dr-<name>-…`) and stacks deployed by the CDK
 * or a pipeline (`RedisDr-<name>-…`).
 */
export function stacksQuery(name: string): string {
  return `SELECT accountId, awsRegion, resourceName WHERE resourceType = 'AWS::CloudFormation::Stack' AND (resourceName LIKE 'StackSet-redis-dr-${name}-%' OR resourceName LIKE 'RedisDr-${name}-%')`;
}

/** Every row of `expression` as one list. */
export async function selectAll(client: ConfigServiceClient, aggregator: string, expression: string): Promise<string[]> {
  const all: string[] = [];
  for await (const row of selectAggregate(client, aggregator, expression)) all.push(row);
  return all;
}
