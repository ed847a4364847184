import { ConfigServiceClient, GetAggregateComplianceDetailsByConfigRuleCommand, SelectAggregateResourceConfigCommand } from '@aws-sdk/client-config-service';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AGGREGATE_PAGE_SIZE,
  aggregateEvaluations,
  CACHES_QUERY,
  EVALUATIONS_PAGE_SIZE,
  selectAll,
  stacksQuery,
} from '../../../../lambdas/adapters/aws/config-aggregator.js';

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

describe('aggregateEvaluations', () => {
  const result = (type: string, id: string, compliance: 'COMPLIANT' | 'NON_COMPLIANT', annotation: string) => ({
    EvaluationResultIdentifier: { EvaluationResultQualifier: { ConfigRuleName: 'r', ResourceType: type, ResourceId: id } },
    ComplianceType: compliance,
    Annotation: annotation,
    ResultRecordedTime: new Date('2026-11-25T01:00:00Z'),
  });
  const at = { rule: 'redis-dr-acme-g1-verified-copy', account: '111111111111', region: 'eu-west-1' } as const;

  it("asks for one rule in one account and region, 100 a page, follows NextToken past an empty page, and keeps the asked type's", async () => {
    config
      .on(GetAggregateComplianceDetailsByConfigRuleCommand, { NextToken: undefined })
      .resolves({ AggregateEvaluationResults: [result('AWS::ElastiCache::ReplicationGroup', 'orders', 'COMPLIANT', 'ok')], NextToken: 't1' })
      .on(GetAggregateComplianceDetailsByConfigRuleCommand, { NextToken: 't1' })
      .resolves({ AggregateEvaluationResults: [], NextToken: 't2' })
      .on(GetAggregateComplianceDetailsByConfigRuleCommand, { NextToken: 't2' })
      .resolves({ AggregateEvaluationResults: [result('AWS::::Account', '111111111111', 'NON_COMPLIANT', '1 of 1 serverless cache(s) without')] });
    const got = await aggregateEvaluations(new ConfigServiceClient({ region: 'eu-west-1' }), 'org-agg', at, 'AWS::::Account');
    expect(got).toEqual([
      {
        resourceType: 'AWS::::Account',
        resourceId: '111111111111',
        compliance: 'NON_COMPLIANT',
        annotation: '1 of 1 serverless cache(s) without',
        recordedAt: '2026-11-25T01:00:00.000Z',
      },
    ]);
    const calls = config.commandCalls(GetAggregateComplianceDetailsByConfigRuleCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.NextToken)).toEqual([undefined, 't1', 't2']);
    expect(calls[0]).toEqual({
      ConfigurationAggregatorName: 'org-agg',
      ConfigRuleName: 'redis-dr-acme-g1-verified-copy',
      AccountId: '111111111111',
      AwsRegion: 'eu-west-1',
      Limit: EVALUATIONS_PAGE_SIZE,
      NextToken: undefined,
    });
    expect(EVALUATIONS_PAGE_SIZE).toBe(100);
  });

  it('gives none for a rule with no evaluation there, and passes an API error on', async () => {
    config.on(GetAggregateComplianceDetailsByConfigRuleCommand).resolves({});
    expect(await aggregateEvaluations(new ConfigServiceClient({ region: 'eu-west-1' }), 'org-agg', at, 'AWS::::Account')).toEqual([]);
    config.reset();
    config.on(GetAggregateComplianceDetailsByConfigRuleCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(aggregateEvaluations(new ConfigServiceClient({ region: 'eu-west-1', maxAttempts: 1 }), 'org-agg', at, 'AWS::::Account')).rejects.toThrow(
      /throttled/,
    );
  });
});
