import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SNAPSHOT_PREFIX } from '../../lambdas/domain/plans/naming.js';
import { TAGS } from '../../lambdas/domain/plans/types.js';

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
  | 'serverlesscachesnapshot'
  | 'parametergroup'
  | 'subnetgroup'
  | 'securitygroup'
  | 'usergroup'
  | 'user';

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
 * IAM condition values (for `StringEquals`) that hold only for snapshots this
 * deployment made: `redis-dr:managed=true` and `redis-dr:deployment=<name>`,
 * as the snapshot function tags them. Another deployment in the account
 * (staging next to prod) and hand-made `rdr-*` snapshots never match.
 */
export function deploymentSnapshotTags(deployment: string): Record<string, string> {
  return { [`aws:ResourceTag/${TAGS.managed}`]: 'true', [`aws:ResourceTag/${TAGS.deployment}`]: deployment };
}

/**
 * The ARN as cdk-nag prints it in a finding id (pseudo parameters as
 * `<AWS::Region>`, concrete values as themselves), for exact acknowledgements.
 */
export function nagElastiCacheArn(scope: Construct, resource: ElastiCacheResourceType, name: string): string {
  const { partition, region, account } = nagPseudoParameters(scope);
  return `arn:${partition}:elasticache:${region}:${account}:${resource}:${name}`;
}

/** The stack's partition, region and account as cdk-nag prints them in finding ids. */
export function nagPseudoParameters(scope: Construct): { partition: string; region: string; account: string } {
  const stack = Stack.of(scope);
  const show = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  return { partition: show(stack.partition, 'Partition'), region: show(stack.region, 'Region'), account: show(stack.account, 'AccountId') };
}

/** `<LogicalId.Arn>`: how cdk-nag prints a reference to a resource's ARN in finding ids. */
export function nagArnRef(resource: Construct): string {
  const child = resource.node.defaultChild ?? resource;
  return `<${Stack.of(resource).getLogicalId(child as never)}.Arn>`;
}

/**
 * Acknowledges the wildcards every snapshot-handling role needs: read-only
 * list calls on `*`, and actions on `rdr-*` snapshot ARNs that the statement
 * further limits with the `redis-dr:managed=true` tag condition.
 */
export function acknowledgeSnapshotWildcards(role: Construct, what: string): void {
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ElastiCache Describe* list calls, tag:GetResources and s3:ListAllMyBuckets (export) support no resource-level permissions (read-only).',
    },
    ...managedSnapshotPatterns.map(([type, name]) => ({
      id: `AwsSolutions-IAM5[Resource::${nagElastiCacheArn(role, type, name)}]`,
      reason: `Snapshot names are dated and created at run time; ${what} is limited to rdr-* names AND the aws:ResourceTag/redis-dr:managed=true condition.`,
    })),
  );
}

/**
 * IAM resources for a Secrets Manager secret ARN from the config. A secret's
 * full ARN ends in `-` and 6 random characters that people often leave out
 * (the console shows both forms); the ARN as given matches only itself, so
 * the grant covers it and `<arn>-??????` (exactly one suffix, never another
 * secret whose name merely starts the same way).
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
 */
export function secretArnResources(arn: string): string[] {
  return [arn, `${arn}-??????`];
}
