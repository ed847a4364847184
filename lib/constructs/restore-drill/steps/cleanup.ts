import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DRILL_PREFIX } from '../../../../lambdas/domain/drills/drill.js';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';
import { elastiCacheArn } from '../../elasticache-arns.js';
import { elastiCacheCall, secretsManagerCall } from '../calls.js';
import { conditionOwnStatement, drillAccessArns, drillClusterArns, drillSecretArns, drillTagConditions } from '../permissions.js';
import { DRILL_RETRY, SECRETS_MANAGER_TRANSIENT_ERRORS, SFN_ERRORS, retryProps } from '../retries.js';
import { byKind, type DrillContext, timeStamp } from './context.js';

/** The entries into the cleanup, for the steps before it. */
export interface Cleanup {
  /** Where every path that may have created something goes: the owner check of the drill's cache, then its delete. */
  readonly cleanup: sfn.IChainable;
  /** A create that failed: it made nothing, so nothing is deleted. */
  readonly notCreated: sfn.IChainable;
  /** A create that timed out or met a cache with the drill's id: the owner check decides. */
  readonly mayExist: sfn.IChainable;
  /** A failure of step `name` after the create (caught into `$.drill.error`): kept, then cleaned up. */
  failedStep(name: string): sfn.IChainable;
}

/**
 * Everything that undoes what the drill made, always attempted once a
 * cluster may exist: the drill's cache (only when it carries this
 * execution's drill tag), then a serverless drill's own user group and
 * user, then the AUTH token's secret; then `report`. What cannot be
 * deleted is reported as left behind (the reaper deletes it later).
 */
export function cleanupSteps(ctx: DrillContext, report: sfn.IChainable): Cleanup {
  const { scope, props } = ctx;
  const tokenStored = tokenCleanup(ctx, report);
  // A serverless drill's own user group and user go first (after the cache: a user group in use cannot be deleted).
  const finish: sfn.IChainable = ctx.serverless ? drillAccessCleanup(scope, props.deployment, tokenStored) : tokenStored;

  // --- the drill's cluster ------------------------------------------------------------
  const del = elastiCacheCall(scope, 'Delete cluster', 'delete', {
    action: 'deleteReplicationGroup',
    parameters: { 'ReplicationGroupId.$': '$.drill.choice.clusterId', RetainPrimaryCluster: false },
    // The member clusters here; the group itself in a statement that also requires this deployment's drill tags (drillTagConditions).
    iamResources: [elastiCacheArn(scope, 'cluster', `${DRILL_PREFIX}*`)],
    additionalIamStatements: [
      new iam.PolicyStatement({
        actions: ['elasticache:DeleteReplicationGroup'],
        resources: drillClusterArns(scope),
        conditions: drillTagConditions(props.deployment),
      }),
    ],
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Still creating (or modifying): wait and retry for about 10 minutes; a group still busy then is left to the reaper (and reported).
  del.addRetry(retryProps(SFN_ERRORS.busy, DRILL_RETRY.busy));
  const deleted = new sfn.Pass(scope, 'Deleted', {
    parameters: { deleted: true, 'clusterId.$': '$.drill.choice.clusterId' },
    resultPath: '$.drill.cleanup',
  });
  const alreadyGone = new sfn.Pass(scope, 'Nothing to delete', {
    parameters: { deleted: true, 'clusterId.$': '$.drill.choice.clusterId' },
    resultPath: '$.drill.cleanup',
  });
  const notDeleted = new sfn.Pass(scope, 'Cluster left behind', {
    parameters: { deleted: false, 'clusterId.$': '$.drill.choice.clusterId', 'error.$': '$.drill.cleanupError.Cause' },
    resultPath: '$.drill.cleanup',
  });
  del.addCatch(alreadyGone, { errors: [...SFN_ERRORS.notFound], resultPath: '$.drill.cleanupError' });
  del.addCatch(notDeleted, { resultPath: '$.drill.cleanupError' });
  const timeDeleted = timeStamp(ctx, 'deleted');
  timeDeleted.next(deleted);
  del.next(timeDeleted);
  deleted.next(finish);
  alreadyGone.next(finish);
  notDeleted.next(finish);

  // Delete only what this execution created: the group must carry this execution's drill tag.
  const checkOwner = elastiCacheCall(scope, 'Check owner', 'read', {
    action: 'listTagsForResource',
    parameters: { 'ResourceName.$': `States.Format('${elastiCacheArn(scope, 'replicationgroup', '{}')}', $.drill.choice.clusterId)` },
    iamResources: drillClusterArns(scope),
    resultSelector: { 'owners.$': `$.TagList[?(@.Key == '${TAGS.drill}')].Value` },
    resultPath: '$.drill.owner',
  });
  // ElastiCache lists the tags of an available group only ("If the cluster is not in the available state,
  // ListTagsForResource returns an error": InvalidReplicationGroupState): one still creating (polling exhausted, a create
  // that timed out or was retried) is waited for as the delete waits, else it was left behind before a delete was tried.
  checkOwner.addRetry(retryProps(SFN_ERRORS.busy, DRILL_RETRY.busy));
  checkOwner.addCatch(alreadyGone, { errors: [...SFN_ERRORS.notFound], resultPath: '$.drill.cleanupError' });
  checkOwner.addCatch(notDeleted, { resultPath: '$.drill.cleanupError' });
  const owned = new sfn.Pass(scope, 'Owned?', {
    parameters: { 'ours.$': 'States.ArrayContains($.drill.owner.owners, $$.Execution.Name)' },
    resultPath: '$.drill.owner',
  });
  const notOurs = new sfn.Pass(scope, "Not this drill's cluster", {
    parameters: {
      deleted: false,
      'clusterId.$': '$.drill.choice.clusterId',
      skipped: `the group does not carry this execution's ${TAGS.drill} tag: it is not this drill's, so it was left alone`,
    },
    resultPath: '$.drill.cleanup',
  });
  notOurs.next(finish);

  // A serverless cache: the same owner check and delete, with its own ARN type, API and errors.
  const serverlessArns = [elastiCacheArn(scope, 'serverlesscache', `${DRILL_PREFIX}*`)];
  const delServerless = () => {
    const task = elastiCacheCall(scope, 'Delete serverless cache', 'delete', {
      action: 'deleteServerlessCache',
      parameters: { 'ServerlessCacheName.$': '$.drill.choice.clusterId' },
      iamResources: serverlessArns,
      resultPath: sfn.JsonPath.DISCARD,
    });
    conditionOwnStatement(task, drillTagConditions(props.deployment));
    task.addRetry(retryProps(SFN_ERRORS.serverlessBusy, DRILL_RETRY.busy));
    task.addCatch(alreadyGone, { errors: [...SFN_ERRORS.serverlessNotFound], resultPath: '$.drill.cleanupError' });
    task.addCatch(notDeleted, { resultPath: '$.drill.cleanupError' });
    return task.next(timeDeleted);
  };
  checkOwner
    .next(owned)
    .next(
      new sfn.Choice(scope, "This drill's cluster?")
        .when(sfn.Condition.booleanEquals('$.drill.owner.ours', true), byKind(ctx, 'Delete which?', delServerless, del))
        .otherwise(notOurs),
    );
  const checkServerlessOwner = () => {
    const task = elastiCacheCall(scope, 'Check serverless owner', 'read', {
      action: 'listTagsForResource',
      parameters: { 'ResourceName.$': `States.Format('${elastiCacheArn(scope, 'serverlesscache', '{}')}', $.drill.choice.clusterId)` },
      iamResources: serverlessArns,
      resultSelector: { 'owners.$': `$.TagList[?(@.Key == '${TAGS.drill}')].Value` },
      resultPath: '$.drill.owner',
    });
    // A serverless cache creating (or deleting) refuses its tags too (InvalidServerlessCacheState): waited for as above.
    task.addRetry(retryProps(SFN_ERRORS.serverlessBusy, DRILL_RETRY.busy));
    task.addCatch(alreadyGone, { errors: [...SFN_ERRORS.serverlessNotFound], resultPath: '$.drill.cleanupError' });
    task.addCatch(notDeleted, { resultPath: '$.drill.cleanupError' });
    return task.next(owned);
  };
  const cleanup = byKind(ctx, 'Which cache to clean up?', checkServerlessOwner, checkOwner);

  // A failure of any step after the create: keep it, then clean up.
  const failedStep = (name: string) => new sfn.Pass(scope, `${name} failed`, { resultPath: sfn.JsonPath.DISCARD }).next(cleanup);
  // A create that failed made nothing (CreateReplicationGroup is accepted whole or not at all); one that
  // timed out or met an existing group with the drill's id goes to the owner check instead (mayExist, below).
  const notCreated = new sfn.Pass(scope, 'Nothing created', {
    parameters: {
      deleted: false,
      'clusterId.$': '$.drill.choice.clusterId',
      skipped: 'the create failed, so this drill made no cluster; nothing was deleted',
    },
    resultPath: '$.drill.cleanup',
  });
  notCreated.next(finish);
  // A create that timed out, or met a group with the drill's id (ours, when a retried create had in fact
  // made it): the owner check decides, and only a group carrying this execution's tag is deleted.
  const mayExist = new sfn.Pass(scope, 'Create may have made it', { resultPath: sfn.JsonPath.DISCARD }).next(cleanup);
  return { cleanup, notCreated, mayExist, failedStep };
}

/**
 * The drill's AUTH token (made and stored in access.ts), deleted on every path
 * once one was stored, then `report`; a delete that fails is named as left behind.
 */
function tokenCleanup(ctx: DrillContext, report: sfn.IChainable): sfn.IChainable {
  const { scope, props } = ctx;
  const deleteToken = secretsManagerCall(scope, 'Delete AUTH token', {
    action: 'deleteSecret',
    parameters: { 'SecretId.$': '$.drill.secret.arn', ForceDeleteWithoutRecovery: true },
    iamResources: [drillSecretArns(scope)],
    resultSelector: { deleted: true },
    resultPath: '$.drill.secretCleanup',
  });
  // The name prefix alone would let a drill delete any redis-dr/drill/* secret: it also needs this deployment's drill tags.
  conditionOwnStatement(deleteToken, drillTagConditions(props.deployment));
  deleteToken.addRetry(retryProps(SECRETS_MANAGER_TRANSIENT_ERRORS, DRILL_RETRY.secretCleanup));
  // With ForceDeleteWithoutRecovery a secret already gone is no error (DeleteSecret answers no ResourceNotFoundException,
  // so retries are safe): any error left is a secret not deleted, named in the report, which fails the drill.
  const tokenLeft = new sfn.Pass(scope, 'AUTH token left behind', {
    parameters: { deleted: false, 'arn.$': '$.drill.secret.arn', 'error.$': '$.drill.secretCleanup.Cause' },
    resultPath: '$.drill.secretCleanup',
  });
  deleteToken.addCatch(tokenLeft, { resultPath: '$.drill.secretCleanup' });
  tokenLeft.next(report);
  deleteToken.next(report);
  /** Every path to the report once a cluster may exist passes here: the token's secret goes with the cluster. */
  // (IsNull true, not IsNull false: the local executor the tests run evaluates `IsNull: false` as never matching.)
  return new sfn.Choice(scope, 'AUTH token stored?').when(sfn.Condition.isNull('$.drill.secret'), report).otherwise(deleteToken);
}

/**
 * Deletes the drill's user group, then its user, each only when this
 * execution made it, then goes on to `next`. The group is in use until its
 * cache is gone (InvalidUserGroupState) and the user until its group is:
 * both wait, about as long as the cluster delete does. What cannot be
 * deleted is reported as left behind (the reaper deletes it later); one
 * already gone counts as deleted.
 */
function drillAccessCleanup(scope: Construct, deployment: string, next: sfn.IChainable): sfn.IChainable {
  const arns = drillAccessArns(scope);
  const step = (o: {
    what: string;
    title: string;
    action: string;
    idParam: string;
    made: string;
    slot: string;
    arn: string;
    busy: readonly string[];
    gone: readonly string[];
  }) => {
    const task = elastiCacheCall(scope, `Delete drill ${o.what}`, 'delete', {
      action: o.action,
      parameters: { [`${o.idParam}.$`]: `${o.made}.id` },
      iamResources: [o.arn],
      resultSelector: { deleted: true, 'id.$': `$.${o.idParam}` },
      resultPath: o.slot,
    });
    conditionOwnStatement(task, drillTagConditions(deployment));
    task.addRetry(retryProps(o.busy, DRILL_RETRY.busy));
    const gone = new sfn.Pass(scope, `Drill ${o.what} gone`, { parameters: { deleted: true, 'id.$': `${o.made}.id` }, resultPath: o.slot });
    const left = new sfn.Pass(scope, `Drill ${o.what} left behind`, {
      parameters: { deleted: false, 'id.$': `${o.made}.id`, 'error.$': `${o.slot}.Cause` },
      resultPath: o.slot,
    });
    task.addCatch(gone, { errors: [...o.gone], resultPath: o.slot });
    task.addCatch(left, { resultPath: o.slot });
    return { task, gone, left, made: o.made, title: o.title };
  };
  const user = step({
    what: 'user',
    title: 'Drill user made?',
    action: 'deleteUser',
    idParam: 'UserId',
    made: '$.drill.drillUser',
    slot: '$.drill.userCleanup',
    arn: arns.users,
    busy: SFN_ERRORS.userBusy,
    gone: SFN_ERRORS.userNotFound,
  });
  const group = step({
    what: 'user group',
    title: 'Drill user group made?',
    action: 'deleteUserGroup',
    idParam: 'UserGroupId',
    made: '$.drill.drillUserGroup',
    slot: '$.drill.userGroupCleanup',
    arn: arns.groups,
    busy: SFN_ERRORS.userGroupBusy,
    gone: SFN_ERRORS.userGroupNotFound,
  });
  const userMade = new sfn.Choice(scope, user.title).when(sfn.Condition.isNull(user.made), next).otherwise(user.task);
  for (const s of [user.task, user.gone, user.left]) s.next(next);
  for (const s of [group.task, group.gone, group.left]) s.next(userMade);
  return new sfn.Choice(scope, group.title).when(sfn.Condition.isNull(group.made), userMade).otherwise(group.task);
}
