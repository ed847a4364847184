/**
 * AWS Config over an aggregator: advanced queries (`SelectAggregateResourceConfig`),
 * the organization's ElastiCache caches and the redis-dr stacks, and one
 * rule's evaluations in one account and region
 * (`GetAggregateComplianceDetailsByConfigRule`), every page followed by its
 * NextToken, and the aggregator's sources with how their last collection went
 * (`DescribeConfigurationAggregatorSourcesStatus`). Read-only:
 * `config:SelectAggregateResourceConfig`,
 * `config:GetAggregateComplianceDetailsByConfigRule` and
 * `config:DescribeConfigurationAggregatorSourcesStatus` on the aggregator.
 */
import {
  ConfigServiceClient,
  DescribeConfigurationAggregatorSourcesStatusCommand,
  GetAggregateComplianceDetailsByConfigRuleCommand,
  SelectAggregateResourceConfigCommand,
} from '@aws-sdk/client-config-service';
import type { AggregatorSource } from '../../domain/org/inventory.js';
import { INVENTORY_RESOURCE_TYPES } from '../../domain/org/inventory.js';
import { sdkClientConfig } from './client-config.js';

/** The most rows a page may hold (the API's bound). */
export const AGGREGATE_PAGE_SIZE = 100;

/** A Config client in the aggregator's region. */
export function configServiceClient(region: string): ConfigServiceClient {
  return new ConfigServiceClient({ region, ...sdkClientConfig() });
}

/** The most sources a page of DescribeConfigurationAggregatorSourcesStatus may hold (the API's bound). */
export const SOURCES_PAGE_SIZE = 100;

/** Every source of the aggregator (an account or the organization, per region) and its last collection, page after page. */
export async function aggregatorSources(client: ConfigServiceClient, aggregator: string): Promise<AggregatorSource[]> {
  const sources: AggregatorSource[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeConfigurationAggregatorSourcesStatusCommand({ ConfigurationAggregatorName: aggregator, Limit: SOURCES_PAGE_SIZE, NextToken }),
    );
    for (const s of page.AggregatedSourceStatusList ?? []) {
      const error = [s.LastErrorCode, s.LastErrorMessage].filter(Boolean).join(': ');
      sources.push({
        id: s.SourceId ?? '?',
        type: s.SourceType ?? '?',
        region: s.AwsRegion ?? '?',
        status: s.LastUpdateStatus ?? '?',
        ...(s.LastUpdateTime ? { updatedAt: s.LastUpdateTime.toISOString() } : {}),
        ...(error ? { error } : {}),
      });
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return sources;
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

/** The most evaluation results a page of GetAggregateComplianceDetailsByConfigRule may hold (the API's bound). */
export const EVALUATIONS_PAGE_SIZE = 100;

/** One evaluation of a rule as the aggregator holds it (the fields read). */
export interface AggregateEvaluation {
  readonly resourceType: string;
  readonly resourceId: string;
  /** COMPLIANT or NON_COMPLIANT: the aggregator's evaluation results carry no other. */
  readonly compliance: string;
  readonly annotation: string;
  /** When Config recorded it (ISO); null when the API gave none. */
  readonly recordedAt: string | null;
}

/** Where one rule runs: the rule's name, the account and the region. */
export interface RuleAt {
  readonly rule: string;
  readonly account: string;
  readonly region: string;
}

/**
 * Every evaluation of `at.rule` in `at.account` / `at.region` of `resourceType`, page after page (an empty
 * page with a NextToken is followed, as the API asks). A rule the account does not run gives none.
 */
export async function aggregateEvaluations(client: ConfigServiceClient, aggregator: string, at: RuleAt, resourceType: string): Promise<AggregateEvaluation[]> {
  const out: AggregateEvaluation[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new GetAggregateComplianceDetailsByConfigRuleCommand({
        ConfigurationAggregatorName: aggregator,
        ConfigRuleName: at.rule,
        AccountId: at.account,
        AwsRegion: at.region,
        Limit: EVALUATIONS_PAGE_SIZE,
        NextToken,
      }),
    );
    for (const r of page.AggregateEvaluationResults ?? []) {
      const q = r.EvaluationResultIdentifier?.EvaluationResultQualifier;
      if (q?.ResourceType !== resourceType) continue;
      out.push({
        resourceType,
        resourceId: q.ResourceId ?? '',
        compliance: r.ComplianceType ?? '',
        annotation: r.Annotation ?? '',
        recordedAt: r.ResultRecordedTime?.toISOString() ?? null,
      });
    }
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return out;
}
