import { ConfigServiceClient, SelectAggregateResourceConfigCommand } from '@aws-sdk/client-config-service';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AGGREGATE_PAGE_SIZE, CACHES_QUERY, selectAll, stacksQuery } from '../../../../lambdas/adapters/aws/config-aggregator.js';

/** SelectAggregateResourceConfig followed to the last page by its NextToken, at the API's page bound. */
const config = mockClient(ConfigServiceClient);
afterEach(() => config.reset());

describe('selectAll', () => {
  it('follows NextToken to the last page, asking 100 rows a page of the named aggregator', async () => {
    config
      .on(SelectAggregateResourceConfigCommand, { NextToken: undefined })
      .resolves({ Results: ['a', 'b'], NextToken: 't1' })
      .on(SelectAggregateResourceConfigCommand, { NextToken: 't1' })
      .resolves({ Results: ['c'], NextToken: '' });
    const rows = await selectAll(new ConfigServiceClient({ region: 'eu-west-1' }), 'org-agg', CACHES_QUERY);
    expect(rows).toEqual(['a', 'b', 'c']);
    const calls = config.commandCalls(SelectAggregateResourceConfigCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { ConfigurationAggregatorName: 'org-agg', Expression: CACHES_QUERY, MaxResults: AGGREGATE_PAGE_SIZE, NextToken: undefined },
      { ConfigurationAggregatorName: 'org-agg', Expression: CACHES_QUERY, MaxResults: AGGREGATE_PAGE_SIZE, NextToken: 't1' },
    ]);
    expect(AGGREGATE_PAGE_SIZE).toBe(100);
  });

  it('passes an API error on (the job names the aggregator)', async () => {
    config.on(SelectAggregateResourceConfigCommand).rejects(Object.assign(new Error('no such aggregator'), { name: 'NoSuchConfigurationAggregatorException' }));
    await expect(selectAll(new ConfigServiceClient({ region: 'eu-west-1' }), 'nope', CACHES_QUERY)).rejects.toThrow(/no such aggregator/);
  });
});

describe('the queries', () => {
  it('ask for replication groups and cache clusters, and the stacks of the deployment only', () => {
    expect(CACHES_QUERY).toBe(
      "SELECT accountId, awsRegion, resourceType, resourceId, tags, configuration WHERE resourceType IN ('AWS::ElastiCache::ReplicationGroup', 'AWS::ElastiCache::CacheCluster')",
    );
    expect(stacksQuery('acme')).toMatch(
      /resourceType = 'AWS::CloudFormation::Stack' AND \(resourceName LIKE 'StackSet-redis-dr-acme-%' OR resourceName LIKE 'RedisDr-acme-%'\)$/,
    );
  });
});
