import { grantVerdictReads } from '../verdict-guard.js';
import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { NetworkConfig, PlanConfig } from '../../config/index.js';
import { DRILL_PREFIX, DRILL_SECRET_PREFIX, type DrillWhere } from '../../../lambdas/domain/drills/drill.js';
import { TAGS } from '../../../lambdas/domain/plans/types.js';
import { SEED_COPY_PREFIX } from '../../../lambdas/domain/vault/vault-seed.js';
import { elastiCacheArn, nagArnRef, nagElastiCacheArn, nagPseudoParameters } from '../elasticache-arns.js';
import { grantReadSecrets } from '../secret-keys.js';
import type { JobFunction } from '../job-function.js';
import { dependentActions } from '../../iam-actions.js';
import { isTokenList } from '../network-parameters.js';

/** ElastiCache's service name for the endpoints of serverless caches, as AWS's managed policies condition it. */
export const SERVERLESS_VPCE_SERVICE = 'com.amazonaws.elasticache.serverless.*';

/**
 * What CreateServerlessCache does with the caller's permissions: it makes
 * the cache's VPC endpoint in the given subnets and security groups, tags
 * it `AmazonElastiCacheManaged=true`, and reads the VPC, subnets and
 * security groups. The actions are the call's `network` dependent actions
 * of lib/iam-actions.ts (the one table); here each gets its scoping, as
 * AmazonElastiCacheFullAccess (v3) grants it: CreateVpcEndpoint on
 * endpoints only of ElastiCache's serverless service, CreateTags only on
 * creating such an endpoint with that tag, the Describe calls on `*`.
 * Narrower than the managed policy: this account and region, and (for its
 * NotResource statement) only the configured VPC, subnets and security
 * groups. Deleting the endpoint is the service-linked role's
 * (ElastiCacheServiceRolePolicy), never the caller's. An action the table
 * gains without a scoping here fails the synth rather than going ungranted.
 * @see https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonElastiCacheFullAccess.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html
 */
export function serverlessEndpointStatements(scope: Construct, network: NetworkConfig): iam.PolicyStatement[] {
  const ec2 = (resource: string, name: string) => Stack.of(scope).formatArn({ service: 'ec2', resource, resourceName: name });
  const actions = dependentActions('elasticache:CreateServerlessCache', 'network');
  const scoped = ['ec2:CreateVpcEndpoint', 'ec2:CreateTags'];
  const reads = actions.filter((a) => a.startsWith('ec2:Describe'));
  const unscoped = actions.filter((a) => !scoped.includes(a) && !reads.includes(a));
  const missing = scoped.filter((a) => !actions.includes(a));
  if (unscoped.length > 0 || missing.length > 0)
    throw new Error(
      `lib/iam-actions.ts: CreateServerlessCache's network actions changed (new: ${unscoped.join(', ') || 'none'}; gone: ${missing.join(', ') || 'none'}): scope them in serverlessEndpointStatements`,
    );
  return [
    new iam.PolicyStatement({
      actions: ['ec2:CreateVpcEndpoint'],
      resources: [ec2('vpc-endpoint', '*')],
      conditions: { StringLike: { 'ec2:VpceServiceName': SERVERLESS_VPCE_SERVICE } },
    }),
    ...placementStatements(network, ec2),
    new iam.PolicyStatement({
      actions: ['ec2:CreateTags'],
      resources: [ec2('vpc-endpoint', '*')],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint', 'aws:RequestTag/AmazonElastiCacheManaged': 'true' } },
    }),
    new iam.PolicyStatement({ actions: reads, resources: ['*'] }),
  ];
}

/**
 * CreateVpcEndpoint on the configured VPC, subnets and security groups: one
 * ARN each when the ids are known at synth. From a deploy-time list
 * (`network.fromSsm`, one token that no ARN can be formatted per id of), the
 * VPC's ARN, and `subnet/*` and `security-group/*` held by the condition
 * keys the Service Authorization Reference gives CreateVpcEndpoint on those
 * resource types, `ec2:SubnetID` and `ec2:SecurityGroupID`, equal to the
 * parameter's list (CloudFormation renders the list parameter as the
 * condition's values): the same ids the literal form names. Not `ec2:Vpc`:
 * the reference lists it for the subnet and security-group resource types in
 * general, not among CreateVpcEndpoint's keys for them (its keys there:
 * `aws:ResourceTag`, `ec2:ResourceTag`, `ec2:SubnetID` / `ec2:SecurityGroupID`;
 * on the required `vpc` resource, `ec2:VpcID`), so a condition on it would
 * be a guess (docs/org.md). An IAM simulation holds it
 * (test/lib/constructs/network-parameters.test.ts).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 * @see https://docs.aws.amazon.com/vpc/latest/privatelink/security_iam_id-based-policy-examples.html
 */
function placementStatements(network: NetworkConfig, ec2: (resource: string, name: string) => string): iam.PolicyStatement[] {
  const literal = (resource: string, ids: readonly string[]) => (isTokenList(ids) ? [] : ids.map((id) => ec2(resource, id)));
  const fromList = (resource: string, key: string, ids: readonly string[]) =>
    isTokenList(ids)
      ? [new iam.PolicyStatement({ actions: ['ec2:CreateVpcEndpoint'], resources: [ec2(resource, '*')], conditions: { StringEquals: { [key]: ids } } })]
      : [];
  return [
    new iam.PolicyStatement({
      actions: ['ec2:CreateVpcEndpoint'],
      resources: [ec2('vpc', network.vpcId), ...literal('subnet', network.subnetIds), ...literal('security-group', network.securityGroupIds)],
    }),
    ...fromList('subnet', 'ec2:SubnetID', network.subnetIds),
    ...fromList('security-group', 'ec2:SecurityGroupID', network.securityGroupIds),
  ];
}

/** The serverless endpoint wildcards as cdk-nag spells them in finding ids. */
function acknowledgeServerlessEndpoints(role: iam.IRole): void {
  const { partition, region, account } = nagPseudoParameters(role);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}:${account}:vpc-endpoint/*]`,
    reason:
      "A serverless cache's VPC endpoint gets its id at creation: ec2:CreateVpcEndpoint only for ElastiCache's serverless endpoint service, ec2:CreateTags only on that create with AmazonElastiCacheManaged=true (as AmazonElastiCacheFullAccess grants them).",
  });
  // Only with network.fromSsm (placementStatements): the ids are read at deploy time, in each account.
  Validations.of(role).acknowledge(
    ...['subnet', 'security-group'].map((resource) => ({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}:${account}:${resource}/*]`,
      reason:
        "The drill network's subnet and security group ids are SSM parameters CloudFormation resolves in each account (network.fromSsm), one list no ARN can be built per id of: ec2:CreateVpcEndpoint on them only where ec2:SubnetID / ec2:SecurityGroupID (the keys the Service Authorization Reference gives this action on these resource types) is one of the parameter's ids, and the call itself only in the parameter's VPC (its ARN).",
    })),
  );
}

/** The RBAC user groups the plans' drill clusters join. */
export function drillUserGroups(plans: readonly PlanConfig[]): string[] {
  return [...new Set(plans.flatMap((p) => (p.drill.rbac ? [p.drill.rbac.userGroupId] : [])))];
}

/**
 * Adds conditions to the statement a CallAwsService grants for its own
 * action (the CDK builds it from `iamResources` alone and offers no
 * conditions; a second, conditioned statement would not narrow it).
 */
export function conditionOwnStatement(task: tasks.CallAwsService, conditions: Record<string, Record<string, string>>): void {
  const own = (task as unknown as { taskPolicies?: iam.PolicyStatement[] }).taskPolicies?.[0];
  if (!own) throw new Error(`${task.node.path}: the CDK no longer exposes the task's own policy statement; condition it another way`);
  own.addConditions(conditions);
}

/** A drill group of this deployment: it carries the drill tag (any execution) and this deployment's tag. */
export function drillTagConditions(deployment: string): Record<string, Record<string, string>> {
  return {
    StringEquals: { [`aws:ResourceTag/${TAGS.deployment}`]: deployment, [`aws:ResourceTag/${TAGS.managed}`]: 'true' },
    StringLike: { [`aws:ResourceTag/${TAGS.drill}`]: '?*' },
  };
}

/** A create (or its tagging) that labels the new group as this deployment's drill. */
export function drillRequestTagConditions(deployment: string): Record<string, Record<string, string>> {
  return {
    StringEquals: { [`aws:RequestTag/${TAGS.deployment}`]: deployment, [`aws:RequestTag/${TAGS.managed}`]: 'true' },
    StringLike: { [`aws:RequestTag/${TAGS.drill}`]: '?*' },
  };
}

/** ARN pattern of the drill token secrets (Secrets Manager appends a 6-character suffix). */
export function drillSecretArns(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${DRILL_SECRET_PREFIX}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The drill secret ARN pattern as cdk-nag spells it in a finding id. */
function nagSecretArn(scope: Construct): string {
  const { partition, region, account } = nagPseudoParameters(scope);
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${DRILL_SECRET_PREFIX}*`;
}

/** ARNs of drill replication groups and their member clusters. */
export function drillClusterArns(scope: Construct): string[] {
  return [elastiCacheArn(scope, 'replicationgroup', `${DRILL_PREFIX}*`), elastiCacheArn(scope, 'cluster', `${DRILL_PREFIX}*`)];
}

/** ARN patterns of the drill's own users and user groups (serverless drills with a token). */
export function drillAccessArns(scope: Construct): { users: string; groups: string } {
  return { users: elastiCacheArn(scope, 'user', `${DRILL_PREFIX}*`), groups: elastiCacheArn(scope, 'usergroup', `${DRILL_PREFIX}*`) };
}

/**
 * The verify function reads the drill cluster's AUTH token from the secret
 * the state machine made for the execution and, for plans with an RBAC
 * user group, the configured user's secret.
 */
export function grantVerify(role: iam.Role, deployment: string, plans: readonly PlanConfig[]): void {
  // The verify step reads the drill cluster's AUTH token from the secret the state machine made for the execution.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadDrillToken',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [drillSecretArns(role)],
      conditions: drillTagConditions(deployment),
    }),
  );
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagSecretArn(role)}]`,
    reason: 'Drill token secrets are named redis-dr/drill/<execution name> per execution; only those can be read.',
  });
  // Plans with an RBAC user group: verify connects as the configured user of that group.
  grantReadSecrets(
    role,
    'ReadDrillUser',
    plans.flatMap((p) => (p.drill.rbac ? [{ arn: p.drill.rbac.secretArn, kmsKeyArn: p.drill.rbac.secretKmsKeyArn }] : [])),
  );
}

/**
 * The select function reads snapshots (primary) or the DR bucket's copies and
 * their tags (DR); with `vaultBucket` (plans with `drill.fromVault`) the
 * vault's replicas, their tags and their Object Lock retention too.
 */
export function grantSelect(role: iam.Role, bucket: s3.IBucket | undefined, vaultBucket?: s3.IBucket, listsCaches = false): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadRecoveryPoints',
      actions: [
        'elasticache:DescribeSnapshots',
        'elasticache:DescribeServerlessCacheSnapshots',
        'elasticache:DescribeReplicationGroups',
        'tag:GetResources',
        // `selectWithoutTag`: every cache of the region is listed (read-only).
        ...(listsCaches ? ['elasticache:DescribeServerlessCaches'] : []),
      ],
      resources: ['*'],
    }),
  );
  const acks = [
    { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ElastiCache Describe* and tag:GetResources support no resource-level permissions (read-only).' },
  ];
  if (bucket) {
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ListCopies', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCopyTags', actions: ['s3:GetObjectTagging'], resources: [bucket.arnForObjects('*')] }));
    acks.push({
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/*]`,
      reason: 'The select function reads the tags (verdict, shard, tier) of every copy in the DR bucket.',
    });
    // The verdict that counts is the verifier's object naming the copy's version (issue 53 item 3).
    grantVerdictReads(role, bucket, 'select function');
  }
  if (vaultBucket) {
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ListVaultReplicas', actions: ['s3:ListBucket'], resources: [vaultBucket.bucketArn] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadVaultReplicaTags',
        // GetObject: the vault verifier's verdict objects, and HeadObject of each replica (the version a verdict must name).
        actions: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectRetention'],
        resources: [vaultBucket.arnForObjects('*')],
      }),
    );
    acks.push({
      id: `AwsSolutions-IAM5[Resource::${nagBucketObjects(vaultBucket)}]`,
      reason:
        "The select function reads the tags (shard, tier), current version and Object Lock retention of the vault's replicas, and the vault verifier's verdict objects.",
    });
  }
  Validations.of(role).acknowledge(...acks);
}

/**
 * The objects of a bucket as cdk-nag spells them in a finding id: the
 * bucket's ARN reference for a bucket of the stack, the literal ARN for one
 * named by the config (the vault's, another account's).
 */
export function nagBucketObjects(bucket: s3.IBucket): string {
  if (!Token.isUnresolved(bucket.bucketName)) {
    const { partition } = nagPseudoParameters(bucket);
    return `arn:${partition}:s3:::${bucket.bucketName}/*`;
  }
  return `${nagArnRef(bucket)}/*`;
}

/**
 * The reaper lists and reads tags anywhere (read-only), and deletes only
 * `rdr-drill-*` groups that carry the drill tag (and, in a region whose
 * drills meet serverless caches, `rdr-drill-*` serverless caches, user
 * groups and users that carry it).
 */
export function grantReaping(role: iam.Role, serverless: boolean): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'FindDrillClusters',
      actions: [
        'tag:GetResources',
        'elasticache:DescribeReplicationGroups',
        'elasticache:ListTagsForResource',
        // DeleteServerlessCache's dependent actions (lib/iam-actions.ts).
        ...(serverless ? ['elasticache:DescribeServerlessCaches', ...dependentActions('elasticache:DeleteServerlessCache', 'network')] : []),
      ],
      resources: ['*'],
    }),
  );
  if (serverless) {
    const arns = drillAccessArns(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DeleteServerlessDrills',
        actions: ['elasticache:DeleteServerlessCache', 'elasticache:DeleteUserGroup', 'elasticache:DeleteUser'],
        resources: [elastiCacheArn(role, 'serverlesscache', `${DRILL_PREFIX}*`), arns.groups, arns.users],
        conditions: { StringLike: { [`aws:ResourceTag/${TAGS.drill}`]: '?*' } },
      }),
    );
    Validations.of(role).acknowledge(
      ...['serverlesscache', 'usergroup', 'user'].map((type) => ({
        id: `AwsSolutions-IAM5[Resource::${nagElastiCacheArn(role, type as 'serverlesscache', `${DRILL_PREFIX}*`)}]`,
        reason:
          'Serverless drill caches, user groups and users are named rdr-drill-<target>-<time> per execution; deletion also requires the redis-dr:drill tag.',
      })),
    );
  }
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DeleteDrillClusters',
      actions: ['elasticache:DeleteReplicationGroup'],
      resources: drillClusterArns(role),
      conditions: { StringLike: { [`aws:ResourceTag/${TAGS.drill}`]: '*' } },
    }),
  );
  // Token secrets of drills that never reached their cleanup (an execution that timed out).
  role.addToPolicy(new iam.PolicyStatement({ sid: 'FindDrillSecrets', actions: ['secretsmanager:ListSecrets'], resources: ['*'] }));
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DeleteDrillSecrets',
      actions: ['secretsmanager:DeleteSecret'],
      resources: [drillSecretArns(role)],
      conditions: { StringLike: { [`aws:ResourceTag/${TAGS.drill}`]: '?*' } },
    }),
  );
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'tag:GetResources, ElastiCache Describe/ListTags and secretsmanager:ListSecrets support no resource-level permissions (read-only).',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagSecretArn(role)}]`,
      reason: 'Drill token secrets are named redis-dr/drill/<execution name> per execution; deletion also requires the redis-dr:drill tag.',
    },
    ...[nagElastiCacheArn(role, 'replicationgroup', `${DRILL_PREFIX}*`), nagElastiCacheArn(role, 'cluster', `${DRILL_PREFIX}*`)].map((arn) => ({
      id: `AwsSolutions-IAM5[Resource::${arn}]`,
      reason: 'Drill clusters are named per execution; deletion also requires the redis-dr:drill tag on the group.',
    })),
  );
}

/**
 * The state machine's wildcards: drill cluster names are made per execution,
 * parameter groups are AWS's defaults, copies are keyed by export name; and
 * what the CDK grants it on its own (X-Ray, logs, invoking the drill's
 * function versions).
 */
export function acknowledgeStateMachineScoping(
  role: iam.IRole,
  props: { where: DrillWhere; serverless: boolean; functions: readonly JobFunction[]; bucket: s3.IBucket | undefined },
): void {
  acknowledgeDrillScoping(role, props.where, props.serverless);
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing, CloudWatch Logs delivery, secretsmanager:GetRandomPassword (the drill token) and the EC2 Describe calls of a serverless cache create support no resource-level permissions.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagSecretArn(role)}]`,
      reason: 'Drill token secrets are named redis-dr/drill/<execution name> per execution; the state machine creates, tags and deletes only those.',
    },
    ...props.functions.map((f) => ({
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(f.function)}:*]`,
      reason: "lambda:InvokeFunction on the drill's own function versions (ARN:*), granted by the CDK; no other function.",
    })),
    ...(props.bucket
      ? [
          {
            id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/*]`,
            reason: 'Seeding a drill cluster reads the chosen copies; their keys are export names made at run time.',
          },
        ]
      : []),
  );
}

/**
 * The seed-copy function (plans with `drill.fromVault`): reads the chosen
 * replica versions in the vault (GetObjectVersion: a copy of a named
 * version, and HeadObject of its parts), and in the DR bucket writes, reads
 * back, lists and deletes only under {@link SEED_COPY_PREFIX}.
 */
export function grantSeedCopy(role: iam.Role, bucket: s3.IBucket, vaultBucket: s3.IBucket): void {
  const copies = bucket.arnForObjects(`${SEED_COPY_PREFIX}*`);
  role.addToPolicy(
    new iam.PolicyStatement({ sid: 'ReadVaultReplicaVersions', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [vaultBucket.arnForObjects('*')] }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'WriteSeedCopies',
      // PutObject covers CopyObject's write and the multipart calls; GetObject the read-back (HeadObject).
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [copies],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListSeedCopyVersions',
      actions: ['s3:ListBucketVersions'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${SEED_COPY_PREFIX}*`] } },
    }),
  );
  Validations.of(role).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${nagBucketObjects(vaultBucket)}]`,
      reason:
        "The seed copy reads the replica versions the vault's verdicts name (read only; the vault's policy grants no more); their keys are export names made at run time.",
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/${SEED_COPY_PREFIX}*]`,
      reason: "The drill's copies of vault replicas live under their own prefix, keyed by execution; writes and deletes reach nothing else in the DR bucket.",
    },
  );
}

/** The drill's own ElastiCache wildcards, as cdk-nag spells them. */
function acknowledgeDrillScoping(role: iam.IRole, where: DrillWhere, serverless: boolean): void {
  const ids = [
    nagElastiCacheArn(role, 'replicationgroup', `${DRILL_PREFIX}*`),
    nagElastiCacheArn(role, 'cluster', `${DRILL_PREFIX}*`),
    nagElastiCacheArn(role, 'parametergroup', '*'),
    ...(where === 'primary' ? [nagElastiCacheArn(role, 'snapshot', 'rdr-*')] : []),
  ];
  Validations.of(role).acknowledge(
    ...ids.map((arn) => ({
      id: `AwsSolutions-IAM5[Resource::${arn}]`,
      reason: 'Drill clusters are named rdr-drill-<target>-<time> per execution; restores read our rdr-* snapshots and the source or default parameter group.',
    })),
  );
  if (!serverless) return;
  const serverlessIds = [
    nagElastiCacheArn(role, 'serverlesscache', `${DRILL_PREFIX}*`),
    nagElastiCacheArn(role, 'usergroup', `${DRILL_PREFIX}*`),
    nagElastiCacheArn(role, 'user', `${DRILL_PREFIX}*`),
    ...(where === 'primary' ? [nagElastiCacheArn(role, 'serverlesscachesnapshot', 'rdr-*')] : []),
  ];
  acknowledgeServerlessEndpoints(role);
  Validations.of(role).acknowledge(
    ...serverlessIds.map((arn) => ({
      id: `AwsSolutions-IAM5[Resource::${arn}]`,
      reason:
        "Serverless drill caches, and the user and user group each locks itself with, are named rdr-drill-<target>-<time> per execution; creating, tagging and deleting them also requires this deployment's drill tags. Restores read our rdr-* serverless snapshots.",
    })),
  );
}
