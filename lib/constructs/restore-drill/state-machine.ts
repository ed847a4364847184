import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { drillsServerless } from '../../deployment.js';
import type { RestoreDrillProps } from './props.js';
import { drillUserAccess, forgetToken, rbacAccess, tokenAccess } from './steps/access.js';
import { cleanupSteps } from './steps/cleanup.js';
import { byKind, type DrillContext, type DrillSteps, timeStamp } from './steps/context.js';
import { createCluster, createServerlessCache, type CreateTargets } from './steps/create.js';
import { reportStep } from './steps/report.js';
import { seedCleanupStep, seedCopyStep } from './steps/seed-copy.js';
import { selectStep } from './steps/select.js';
import { verifyStep } from './steps/verify.js';
import { waitStep } from './steps/wait.js';

/**
 * The drill as states: select the recovery point, lock and create the
 * drill cache (access, create), wait for it, verify it, clean up, report.
 * Data flows in one document: `input`, `startedAt`, `choice` (select),
 * `poll`, `group` (describe), `endpoint`, `verify`, `error` (the first
 * failure), `cleanup`, `timings`; drills from the vault also `seedCopy`
 * and `seedCleanup` (steps/seed-copy.ts). Every key exists from the start (null),
 * so later paths never miss. Each step group is built after the ones it
 * goes on to (a state can only point at one that exists), in the order
 * the CDK then lists the states in the definition: moving a step's
 * `next`/`addCatch` calls reorders that JSON (not the behaviour).
 */
export function drillDefinition(scope: Construct, props: RestoreDrillProps, steps: DrillSteps): sfn.IChainable {
  const ctx: DrillContext = { ...steps, scope, props, serverless: drillsServerless(props.plans, props.where) };
  const start = new sfn.Pass(scope, 'Start', {
    parameters: { 'input.$': '$', 'startedAt.$': '$$.Execution.StartTime' },
  });
  // Every slot exists from the start (null), so later paths never miss.
  // A Result, not Parameters: the CDK drops nulls from Parameters.
  const slots = new sfn.Pass(scope, 'Slots', {
    result: sfn.Result.fromObject({
      choice: null,
      poll: { rounds: 0 },
      group: null,
      endpoint: null,
      verify: null,
      error: null,
      cleanup: null,
      auth: null,
      secret: null,
      credentials: null,
      secretCleanup: null,
      drillUser: null,
      drillUserGroup: null,
      userGroupCleanup: null,
      userCleanup: null,
      report: null,
      ...(props.vault ? { seedCopy: null, seedCleanup: null } : {}),
      timings: { created: { at: null }, available: { at: null }, verified: { at: null }, deleted: { at: null } },
    }),
    resultPath: '$.drill',
  });

  const sent = reportStep(ctx);
  // Drills from the vault: every path after the seed copy deletes it on the way to the report.
  const report = props.vault ? seedCleanupStep(ctx, sent) : sent;
  const cleanup = cleanupSteps(ctx, report);
  const created = forgetToken(ctx).next(timeStamp(ctx, 'created'));
  waitStep(ctx, created, () => verifyStep(ctx, cleanup), cleanup);
  const to: CreateTargets = { created, notCreated: cleanup.notCreated, mayExist: cleanup.mayExist };

  const serverlessWithToken = () => drillUserAccess(ctx, cleanup).next(createServerlessCache(ctx, to, '', { 'UserGroupId.$': '$.drill.choice.clusterId' }));
  const withToken = tokenAccess(ctx, report).next(
    byKind(ctx, 'Serverless cache?', serverlessWithToken, createCluster(ctx, to, '', { 'AuthToken.$': '$.drill.auth.token' })),
  );
  const withUserGroup = rbacAccess(ctx).next(
    byKind(
      ctx,
      'Serverless cache? (RBAC)',
      () => createServerlessCache(ctx, to, ' (RBAC)', { 'UserGroupId.$': '$.input.rbac.userGroupId' }),
      createCluster(ctx, to, ' (RBAC)', { 'UserGroupIds.$': 'States.Array($.input.rbac.userGroupId)' }),
    ),
  );
  const access = new sfn.Choice(scope, 'RBAC user group?').when(sfn.Condition.isPresent('$.input.rbac'), withUserGroup).otherwise(withToken);
  // Select made nothing yet: a failure there goes straight to the report.
  return start
    .next(slots)
    .next(selectStep(ctx, sent))
    .next(props.vault ? seedCopyStep(ctx, access, report) : access);
}
