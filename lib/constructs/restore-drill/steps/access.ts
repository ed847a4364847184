import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DRILL_SECRET_PREFIX, DRILL_USER_ACCESS, DRILL_USER_NAME } from '../../../../lambdas/domain/drills/drill.js';
import { TAGS } from '../../../../lambdas/domain/plans/types.js';
import { elastiCacheCall, secretsManagerCall } from '../calls.js';
import { conditionOwnStatement, drillAccessArns, drillRequestTagConditions, drillSecretArns } from '../permissions.js';
import { DRILL_RETRY, SFN_ERRORS, retryProps } from '../retries.js';
import type { Cleanup } from './cleanup.js';
import type { DrillContext } from './context.js';
import { drillTags, tagOnCreateActions } from './create.js';

/*
 * How the drill cluster is locked and how verify gets in: with an AUTH token
 * generated per execution (kept in a secret the verify step reads, deleted on
 * every path: cleanup.ts), or with the plan's RBAC user group. A serverless
 * cache takes no AUTH token: the token becomes the password of a user of a
 * user group made for the execution.
 */

/**
 * Generates the AUTH token (`$.drill.auth`), stores it in the execution's
 * secret (`$.drill.secret`) and points verify at it (`$.drill.credentials`).
 * Nothing exists yet when the token cannot be made or stored: to `report`
 * (a secret that was stored goes on the way).
 */
export function tokenAccess(ctx: DrillContext, report: sfn.IChainable): sfn.Chain {
  const { scope, props } = ctx;
  const secretName = `States.Format('${DRILL_SECRET_PREFIX}{}', $$.Execution.Name)`;
  const generateToken = secretsManagerCall(scope, 'Generate AUTH token', {
    action: 'getRandomPassword',
    // 64 letters and digits: within ElastiCache's AUTH token rules (16-128 printable characters, no space, " / @).
    parameters: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    iamResources: ['*'],
    resultSelector: { 'token.$': '$.RandomPassword' },
    resultPath: '$.drill.auth',
  });
  const storeToken = secretsManagerCall(scope, 'Store AUTH token', {
    action: 'createSecret',
    parameters: {
      'Name.$': secretName,
      Description: `redis-dr ${props.where} restore drill: AUTH token of the drill cluster (deleted when the drill ends)`,
      'SecretString.$': '$.drill.auth.token',
      Tags: [
        { Key: TAGS.drill, 'Value.$': '$$.Execution.Name' },
        { Key: TAGS.managed, Value: 'true' },
        { Key: TAGS.deployment, Value: props.deployment },
      ],
    },
    iamResources: [drillSecretArns(scope)],
    additionalIamStatements: [
      new iam.PolicyStatement({
        actions: tagOnCreateActions('secretsmanager:CreateSecret'),
        resources: [drillSecretArns(scope)],
        conditions: drillRequestTagConditions(props.deployment),
      }),
    ],
    resultSelector: { 'arn.$': '$.ARN' },
    resultPath: '$.drill.secret',
  });
  // The name prefix alone would let a drill create any redis-dr/drill/* secret: it also needs this deployment's drill tags.
  conditionOwnStatement(storeToken, drillRequestTagConditions(props.deployment));
  generateToken.addCatch(report, { resultPath: '$.drill.error' });
  storeToken.addCatch(report, { resultPath: '$.drill.error' });
  return generateToken
    .next(storeToken)
    .next(new sfn.Pass(scope, 'Verify with the AUTH token', { parameters: { 'arn.$': '$.drill.secret.arn' }, resultPath: '$.drill.credentials' }));
}

/** The plan's user group: nothing to generate, store or delete; verify connects as the configured user. */
export function rbacAccess(ctx: DrillContext): sfn.Pass {
  return new sfn.Pass(ctx.scope, 'Verify as the RBAC user', { parameters: { 'arn.$': '$.input.rbac.secretArn' }, resultPath: '$.drill.credentials' });
}

/** Once the cache is created the token lives in the drill secret only: out of the execution's document. */
export function forgetToken(ctx: DrillContext): sfn.Pass {
  return new sfn.Pass(ctx.scope, 'Forget AUTH token', { result: sfn.Result.fromObject({ kept: 'in the drill secret only' }), resultPath: '$.drill.auth' });
}

/**
 * The user and user group a serverless drill cache is locked with: the user
 * (id = the drill's id, name `default`, the execution's token as password)
 * and a user group of it alone, both tagged as this execution's. Each one
 * made is recorded (`$.drill.drillUser`, `$.drill.drillUserGroup`): only
 * those are deleted at the end. A create that fails (one with the drill's
 * id exists: someone else's) goes to `notCreated`, and nothing of it is deleted.
 */
export function drillUserAccess(ctx: DrillContext, to: Pick<Cleanup, 'notCreated'>): sfn.Chain {
  const { scope, props } = ctx;
  const arns = drillAccessArns(scope);
  const tags = drillTags(ctx);
  // CreateUser's and CreateUserGroup's, one statement for both.
  const tagOnCreate = new iam.PolicyStatement({
    actions: [...new Set([...tagOnCreateActions('elasticache:CreateUser'), ...tagOnCreateActions('elasticache:CreateUserGroup')])],
    resources: [arns.users, arns.groups],
    conditions: drillRequestTagConditions(props.deployment),
  });
  const createUser = elastiCacheCall(scope, 'Create drill user', 'create', {
    action: 'createUser',
    parameters: {
      'UserId.$': '$.drill.choice.clusterId',
      UserName: DRILL_USER_NAME,
      'Engine.$': '$.drill.choice.engine',
      'Passwords.$': 'States.Array($.drill.auth.token)',
      AccessString: DRILL_USER_ACCESS,
      Tags: tags,
    },
    iamResources: [arns.users],
    additionalIamStatements: [tagOnCreate],
    resultSelector: { 'id.$': '$.UserId' },
    resultPath: '$.drill.drillUser',
  });
  const createGroup = elastiCacheCall(scope, 'Create drill user group', 'create', {
    action: 'createUserGroup',
    parameters: {
      'UserGroupId.$': '$.drill.choice.clusterId',
      'Engine.$': '$.drill.choice.engine',
      'UserIds.$': 'States.Array($.drill.choice.clusterId)',
      Tags: tags,
    },
    iamResources: [arns.groups, arns.users],
    resultSelector: { 'id.$': '$.UserGroupId' },
    resultPath: '$.drill.drillUserGroup',
  });
  for (const task of [createUser, createGroup]) {
    conditionOwnStatement(task, drillRequestTagConditions(props.deployment));
    // A user or group a retried create had made is not recorded: the reaper deletes it (drill-tagged, rdr-drill-*).
    task.addCatch(to.notCreated, { resultPath: '$.drill.error' });
  }
  // A user just made may not be active yet.
  createGroup.addRetry(retryProps(SFN_ERRORS.userBusy, DRILL_RETRY.settling));
  return createUser.next(createGroup);
}
