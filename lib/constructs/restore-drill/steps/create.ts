import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DRILL_PREFIX } from '../../../../lambdas/domain/drills/drill.js';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';
import { elastiCacheArn } from '../../elasticache-arns.js';
import { dependentActions } from '../../../iam-actions.js';
import { elastiCacheCall } from '../calls.js';
import { conditionOwnStatement, drillClusterArns, drillRequestTagConditions, drillUserGroups, serverlessEndpointStatements } from '../permissions.js';
import { DRILL_RETRY, SFN_ERRORS, retryProps } from '../retries.js';
import type { Cleanup } from './cleanup.js';
import type { DrillContext } from './context.js';
import { idListParameter } from '../../network-parameters.js';

/** Where a create goes on: `created` once the create was accepted, the cleanup's entries when it was not. */
export interface CreateTargets extends Pick<Cleanup, 'notCreated' | 'mayExist'> {
  readonly created: sfn.IChainable;
}

/** The tags of everything a drill creates: this execution's drill tag, this deployment's, and the source target. */
export function drillTags(ctx: DrillContext): object[] {
  return [
    { Key: TAGS.drill, 'Value.$': '$$.Execution.Name' },
    { Key: TAGS.managed, Value: 'true' },
    { Key: TAGS.deployment, Value: ctx.props.deployment },
    { Key: TAGS.source, 'Value.$': '$.drill.choice.target' },
  ];
}

/**
 * Seeding from S3 needs the caller able to read the copies (the create's
 * `seed objects` dependent actions, lib/iam-actions.ts): the DR bucket's
 * (plans with `drill.fromVault` seed from a copy there too, never from the
 * vault: steps/seed-copy.ts).
 */
function seedReads(ctx: DrillContext, call: 'elasticache:CreateReplicationGroup' | 'elasticache:CreateServerlessCache'): iam.PolicyStatement[] {
  const bucket = ctx.props.bucket;
  return bucket ? [new iam.PolicyStatement({ actions: [...dependentActions(call, 'seed objects')], resources: [bucket.arnForObjects('*')] })] : [];
}

/** What a create with Tags is also authorized for on what it makes (lib/iam-actions.ts). */
export function tagOnCreateActions(call: string): string[] {
  return [...dependentActions(call, 'the resource made')];
}

/**
 * A create that failed made nothing (CreateReplicationGroup is accepted
 * whole or not at all); one that timed out or met an existing cache with
 * the drill's id goes to the owner check instead.
 */
function catchCreate(task: tasks.CallAwsService, to: CreateTargets): void {
  task.addCatch(to.mayExist, { errors: [...SFN_ERRORS.alreadyExists, 'States.Timeout'], resultPath: '$.drill.error' });
  task.addCatch(to.notCreated, { resultPath: '$.drill.error' });
}

/**
 * The create tasks of one way of locking the cluster (single shard and
 * sharded), behind their 'Cluster mode?' choice. The drill cluster holds a
 * copy of production data: it requires the token generated for this
 * execution, or the plan's RBAC user group (`access`, the parameters that
 * say which; `suffix` tells their states apart).
 */
export function createCluster(ctx: DrillContext, to: CreateTargets, suffix: string, access: Record<string, string>): sfn.Chain {
  const { scope, props } = ctx;
  const source = props.where === 'primary' ? { 'SnapshotName.$': '$.drill.choice.snapshotName' } : { 'SnapshotArns.$': '$.drill.choice.snapshotArns' };
  const common = {
    'ReplicationGroupId.$': '$.drill.choice.clusterId',
    ReplicationGroupDescription: `redis-dr ${props.where} restore drill (deleted when the drill ends)`,
    'Engine.$': '$.drill.choice.engine',
    'EngineVersion.$': '$.drill.choice.engineVersion',
    'CacheNodeType.$': '$.drill.choice.nodeType',
    ...source,
    CacheSubnetGroupName: props.network.cacheSubnetGroupName,
    ...idListParameter('SecurityGroupIds', props.network.securityGroupIds),
    TransitEncryptionEnabled: true,
    AtRestEncryptionEnabled: true,
    SnapshotRetentionLimit: 0,
    Tags: drillTags(ctx),
  };
  const createIam = {
    // Create only `rdr-drill-*` groups (below, only with this deployment's drill tags), from our `rdr-*` snapshots (primary), in the configured subnet group.
    iamResources: [
      elastiCacheArn(scope, 'subnetgroup', props.network.cacheSubnetGroupName),
      elastiCacheArn(scope, 'parametergroup', '*'),
      ...(props.where === 'primary' ? [elastiCacheArn(scope, 'snapshot', 'rdr-*')] : []),
      ...drillUserGroups(props.plans).map((id) => elastiCacheArn(scope, 'usergroup', id)),
    ],
    additionalIamStatements: [
      new iam.PolicyStatement({
        actions: ['elasticache:CreateReplicationGroup'],
        resources: drillClusterArns(scope),
        conditions: drillRequestTagConditions(props.deployment),
      }),
      // Tags on create need AddTagsToResource on the new group: only the drill tags of this deployment.
      new iam.PolicyStatement({
        actions: tagOnCreateActions('elasticache:CreateReplicationGroup'),
        resources: drillClusterArns(scope),
        conditions: drillRequestTagConditions(props.deployment),
      }),
      // Seeding from S3: the caller must be able to read the copies too.
      ...seedReads(ctx, 'elasticache:CreateReplicationGroup'),
    ],
  };
  const create = elastiCacheCall(scope, `Create cluster${suffix}`, 'create', {
    action: 'createReplicationGroup',
    parameters: { ...common, ...access, NumCacheClusters: 1, AutomaticFailoverEnabled: false },
    ...createIam,
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Cluster mode enabled: every shard (one primary each, no replicas), the
  // cluster parameter group, and from S3 the slot layout of the copies.
  const createSharded = elastiCacheCall(scope, `Create sharded cluster${suffix}`, 'create', {
    action: 'createReplicationGroup',
    parameters: {
      ...common,
      ...access,
      'NumNodeGroups.$': '$.drill.choice.shards',
      ReplicasPerNodeGroup: 0,
      AutomaticFailoverEnabled: true,
      ClusterMode: 'enabled',
      'CacheParameterGroupName.$': '$.drill.choice.cacheParameterGroupName',
      ...(props.where === 'dr' ? { 'NodeGroupConfiguration.$': '$.drill.choice.nodeGroupConfiguration' } : {}),
    },
    ...createIam,
    resultPath: sfn.JsonPath.DISCARD,
  });
  for (const task of [create, createSharded]) catchCreate(task, to);
  return sfn.Chain.start(
    new sfn.Choice(scope, `Cluster mode?${suffix}`)
      .when(sfn.Condition.stringEquals('$.drill.choice.clusterMode', 'enabled'), createSharded.next(to.created))
      .otherwise(create.next(to.created)),
  );
}

/**
 * A serverless cache from the recovery point (the serverless snapshot, or
 * the DR copies in S3), in the configured subnets and security groups,
 * TLS always on, locked with `userGroup`: the user group made for this
 * execution, or the plan's.
 */
export function createServerlessCache(ctx: DrillContext, to: CreateTargets, suffix: string, userGroup: Record<string, string>): sfn.IChainable {
  const { scope, props } = ctx;
  const task = elastiCacheCall(scope, `Create serverless cache${suffix}`, 'create', {
    action: 'createServerlessCache',
    parameters: {
      'ServerlessCacheName.$': '$.drill.choice.clusterId',
      Description: `redis-dr ${props.where} restore drill (deleted when the drill ends)`,
      'Engine.$': '$.drill.choice.engine',
      'MajorEngineVersion.$': '$.drill.choice.engineVersion',
      'SnapshotArnsToRestore.$': '$.drill.choice.snapshotArns',
      ...idListParameter('SubnetIds', props.network.subnetIds),
      ...idListParameter('SecurityGroupIds', props.network.securityGroupIds),
      ...userGroup,
      Tags: drillTags(ctx),
    },
    // The new cache: only `rdr-drill-*` with this deployment's drill tags (conditioned below).
    iamResources: [elastiCacheArn(scope, 'serverlesscache', `${DRILL_PREFIX}*`)],
    additionalIamStatements: [
      // What it is built from and locked with: our snapshots (primary), the drill's or the plan's user group.
      new iam.PolicyStatement({
        actions: ['elasticache:CreateServerlessCache'],
        resources: [
          ...(props.where === 'primary' ? [elastiCacheArn(scope, 'serverlesscachesnapshot', 'rdr-*')] : []),
          elastiCacheArn(scope, 'usergroup', `${DRILL_PREFIX}*`),
          ...drillUserGroups(props.plans).map((id) => elastiCacheArn(scope, 'usergroup', id)),
        ],
      }),
      new iam.PolicyStatement({
        actions: tagOnCreateActions('elasticache:CreateServerlessCache'),
        resources: [elastiCacheArn(scope, 'serverlesscache', `${DRILL_PREFIX}*`)],
        conditions: drillRequestTagConditions(props.deployment),
      }),
      ...serverlessEndpointStatements(scope, props.network),
      ...seedReads(ctx, 'elasticache:CreateServerlessCache'),
    ],
    resultPath: sfn.JsonPath.DISCARD,
  });
  conditionOwnStatement(task, drillRequestTagConditions(props.deployment));
  // The user group made a moment ago may still be `creating`.
  task.addRetry(retryProps(SFN_ERRORS.userGroupBusy, DRILL_RETRY.settling));
  catchCreate(task, to);
  return task.next(to.created);
}
