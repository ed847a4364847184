import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SNAPSHOT_PREFIX } from '../../lambdas/domain/naming';

/**
 * ARN patterns of ElastiCache resources in the construct's stack (its region
 * and account). Snapshot patterns carry our name prefix, so even before the
 * tag condition applies an action can only touch `rdr-*` snapshots.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html
 */
export function elastiCacheArn(scope: Construct, resource: ElastiCacheResourceType, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'elasticache',
    resource,
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** ElastiCache resource types used in IAM resource ARNs. */
export type ElastiCacheResourceType =
  | 'replicationgroup'
  | 'cluster'
  | 'snapshot'
  | 'serverlesscache'
  | 'serverlesscachesnapshot';

/** Snapshot resource types and the name pattern of every snapshot this project names. */
export const managedSnapshotPatterns: readonly (readonly [ElastiCacheResourceType, string])[] = [
  ['snapshot', `${SNAPSHOT_PREFIX}*`],
  ['serverlesscachesnapshot', `${SNAPSHOT_PREFIX}*`],
];

/** ARN patterns of every snapshot this project names (`rdr-*`). */
export function managedSnapshotArns(scope: Construct): string[] {
  return managedSnapshotPatterns.map(([type, name]) => elastiCacheArn(scope, type, name));
}

/**
 * The ARN as cdk-nag prints it in a finding id (pseudo parameters as
 * `<AWS::Region>`, concrete values as themselves), for exact acknowledgements.
 */
export function nagElastiCacheArn(scope: Construct, resource: ElastiCacheResourceType, name: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  return `arn:${partition}:elasticache:${region}:${account}:${resource}:${name}`;
}
