import { App, ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NetworkConfig, PlanConfig } from '../config';
import { DRILL_PREFIX, DRILL_SECRET_PREFIX, DRILL_USER_ACCESS, DRILL_USER_NAME, type DrillWhere } from '../../lambdas/domain/drill';
import { type AslBudget, type BudgetDefinition, aslBudget } from '../asl-budget';
import { drillRunInput, drillStateMachineName, drillsServerless } from '../deployment';
import { TAGS } from '../../lambdas/domain/types';
import { type AlertTopic, grantAlertPublish } from './alert-topic';
import { elastiCacheArn, grantReadSecrets, nagArnRef, nagElastiCacheArn, nagPseudoParameters } from './elasticache-arns';
import { JobFunction } from './job-function';
import { stateMachineLogGroup } from './log-retention';
import { PlanSchedules } from './plan-schedules';

/** Props for {@link RestoreDrill}. */
export interface RestoreDrillProps {
  /** Deployment name (config `name`); drill clusters are tagged with it. */
  readonly deployment: string;
  /** Plans that drill in this region (`drill.enabled` and `drill.where` covering it). */
  readonly plans: readonly PlanConfig[];
  /** `primary`: restore native snapshots; `dr`: restore the verified `.rdb` copies. */
  readonly where: DrillWhere;
  /** VPC placement of the verify function and of drill clusters in this region. */
  readonly network: NetworkConfig & { readonly cacheSubnetGroupName: string };
  /**
   * DR drills: the bucket with the verified copies.
   * @default - none (primary drills)
   */
  readonly bucket?: s3.IBucket;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly deadLetterQueue: sqs.IQueue;
  /** Drill reports (every drill, passed or failed) go here. */
  readonly alerts: AlertTopic;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /**
   * Function memory.
   * @default 512
   */
  readonly memorySizeMb?: number;
}

export { drillPlans, drillStateMachineName } from '../deployment';

/** The region's network with a subnet group; config validation guarantees it when a plan drills there. */
export function requireDrillNetwork(network: NetworkConfig | undefined, field: string): RestoreDrillProps['network'] {
  if (!network?.cacheSubnetGroupName) {
    throw new Error(`${field}.cacheSubnetGroupName is required for restore drills in this region (config validation should have said so)`);
  }
  return { ...network, cacheSubnetGroupName: network.cacheSubnetGroupName };
}

/** The reaper runs hourly at :15. */
export const REAPER_CRON = 'cron(15 * * * ? *)';

/**
 * Timing of the drill's steps: the one source both the state machine and
 * its time budget ({@link drillBudget}, docs/drills.md "Time budget") read.
 */
export const DRILL_TIMING = {
  /** Seconds between two describes while the drill cluster is created. */
  pollIntervalSeconds: 30,
  /** An ElastiCache or Secrets Manager call answers in about a second; one this slow fails as States.Timeout. */
  sdkTimeoutSeconds: 10,
  /** A Lambda task may take its function's timeout plus this (the invoke itself). */
  lambdaSlackSeconds: 30,
  /** Fewest poll rounds a drill may have: a `drill.maxHours` too short for them is refused at synth. */
  minPollRounds: 10,
  /** Step Functions' own time per state entered (tens of milliseconds in practice), counted generously. */
  stateSeconds: 1,
} as const;

/** Seconds between two DescribeReplicationGroups polls while the drill cluster is created. */
export const POLL_INTERVAL_SECONDS = DRILL_TIMING.pollIntervalSeconds;

/** Retry shapes of the drill's tasks (interval and maxDelay in seconds). */
export const DRILL_RETRY = {
  /** Throttling and transient faults: 3 + 6 + 12 s. */
  transient: { interval: 3, backoffRate: 2, maxAttempts: 3 },
  /** A cluster, cache, user group or user still busy (creating, deleting, in use): about 10 minutes, then the reaper's. */
  busy: { interval: 30, backoffRate: 1.5, maxAttempts: 6, maxDelay: 240 },
  /** A user or user group made a moment ago that is not active yet: about a minute. */
  settling: { interval: 5, backoffRate: 1.5, maxAttempts: 5 },
  /** Lambda service faults of the select and report invokes (the CDK's list of them); verify has none. */
  lambda: { interval: 2, backoffRate: 2, maxAttempts: 1 },
} as const;

/** An ElastiCache fault as the SDK integration may name it: Step Functions prefixes the service; `…Exception` or `…Fault`. */
function ecErrors(...faults: string[]): string[] {
  return faults.flatMap((f) => [`ElastiCache.${f}Exception`, `ElastiCache.${f}Fault`]);
}

/** Error names of the ElastiCache SDK integration (Step Functions prefixes the service). */
export const SFN_ERRORS = {
  /**
   * Throttling and transient service faults. ElastiCache (a Query-protocol
   * API) answers throttling with the code `Throttling` and server faults
   * with `InternalFailure`/`ServiceUnavailable`; none is a modeled error of
   * the service (the SDK's models/errors list none; APICallRateForCustomerExceeded
   * is TestFailover's only). An unmodeled error surfaces as the client's
   * base exception, which Step Functions names `<Service>.<Exception>`:
   * `ElastiCache.ElastiCacheException` (as EC2 throttling surfaces as
   * `Ec2.Ec2Exception`). `ElastiCache.ThrottlingException` is never raised.
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html (error names: ServiceName.ErrorName, with an Exception suffix)
   * @see https://github.com/aws/aws-sdk-java-v2/blob/master/codegen/src/main/java/software/amazon/awssdk/codegen/naming/DefaultNamingStrategy.java (XFault becomes XException; the base exception is ElastiCacheException)
   * @see https://github.com/CloudSnorkel/cdk-github-runners/issues/946 (an EC2 throttle in a Step Functions SDK task: "Ec2.Ec2Exception: Request limit exceeded")
   */
  transient: ['ElastiCache.ElastiCacheException'],
  /** The group is still creating/modifying: delete must wait. */
  busy: ecErrors('InvalidReplicationGroupState'),
  /** The group does not exist (never created, or already deleted). */
  notFound: ecErrors('ReplicationGroupNotFound'),
  /** A group or serverless cache with the drill's id exists: someone else's, or ours from a create that was retried. */
  alreadyExists: ecErrors('ReplicationGroupAlreadyExists', 'ServerlessCacheAlreadyExists'),
  /** The serverless cache is still creating/modifying. */
  serverlessBusy: ecErrors('InvalidServerlessCacheState'),
  /** The serverless cache does not exist. */
  serverlessNotFound: ecErrors('ServerlessCacheNotFound'),
  /** A user group still creating, or still in use by a cache being deleted. */
  userGroupBusy: ecErrors('InvalidUserGroupState'),
  userGroupNotFound: ecErrors('UserGroupNotFound'),
  /** A user still in a user group (being deleted), or not active yet. */
  userBusy: ecErrors('InvalidUserState', 'DefaultUserAssociatedToUserGroup'),
  userNotFound: ecErrors('UserNotFound'),
} as const;

/** The Lambda invoke faults worth one retry (the CDK's `retryOnServiceExceptions` list). */
const LAMBDA_SERVICE_ERRORS = ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];

/**
 * How an ElastiCache call is retried: `read` and `delete` (idempotent)
 * retry throttling, transient faults and their own timeout; `create`
 * retries throttling and transient faults only (a timed-out create may
 * have made the group: its caller routes States.Timeout and
 * AlreadyExists to the owner check); `poll` retries nothing: the poll
 * loop's next round is its retry.
 */
export type ElastiCacheCallKind = 'read' | 'create' | 'delete' | 'poll';

/**
 * Every ElastiCache call of the drill: the SDK integration with its
 * timeout and the retries of its kind, in this one place.
 */
function elastiCacheCall(scope: Construct, id: string, kind: ElastiCacheCallKind, props: Omit<tasks.CallAwsServiceProps, 'service' | 'taskTimeout'>): tasks.CallAwsService {
  const task = new tasks.CallAwsService(scope, id, { ...props, service: 'elasticache', taskTimeout: sfn.Timeout.duration(Duration.seconds(DRILL_TIMING.sdkTimeoutSeconds)) });
  if (kind !== 'poll') {
    const errors = kind === 'create' ? [...SFN_ERRORS.transient] : [...SFN_ERRORS.transient, 'States.Timeout'];
    task.addRetry(retryProps(errors, DRILL_RETRY.transient));
  }
  return task;
}

/** A retrier of one of the {@link DRILL_RETRY} shapes. */
function retryProps(errors: readonly string[], shape: { interval: number; backoffRate: number; maxAttempts: number; maxDelay?: number }): sfn.RetryProps {
  return {
    errors: [...errors],
    interval: Duration.seconds(shape.interval),
    backoffRate: shape.backoffRate,
    maxAttempts: shape.maxAttempts,
    ...(shape.maxDelay ? { maxDelay: Duration.seconds(shape.maxDelay) } : {}),
  };
}

/** A Lambda task's timeout (the function's plus the invoke's) and its one retry of Lambda service faults. */
function lambdaTask(timeout: Duration): { taskTimeout: sfn.Timeout; retryOnServiceExceptions: false } {
  return { taskTimeout: sfn.Timeout.duration(timeout.plus(Duration.seconds(DRILL_TIMING.lambdaSlackSeconds))), retryOnServiceExceptions: false };
}

/** Function timeouts of the drill's Lambda steps (their tasks' timeouts follow). */
const FUNCTION_TIMEOUTS = { select: Duration.minutes(2), verify: Duration.minutes(15), report: Duration.minutes(1) } as const;

/** Where the drill's phases start, for its time budget. */
export const DRILL_PHASES = {
  /** The main work (select, create, wait, verify) ends at one of these; cleanup begins. */
  cleanupStarts: ['Which cache to clean up?', 'Check owner', 'Nothing created'],
  report: 'Report',
  stateSeconds: DRILL_TIMING.stateSeconds,
} as const;

/**
 * The drill's time budget: `drill.maxHours` is the main work's (select,
 * create, poll, verify); the poll loop gets the rounds that fit in it at
 * their worst case; the state machine's timeout adds the worst-case
 * cleanup and report on top, so both always run. All from the
 * definition's own retriers, timeouts and loop (lib/asl-budget.ts).
 * @throws Error when `maxHours` leaves fewer than `minPollRounds` rounds.
 */
export function drillBudget(probe: BudgetDefinition, maxHours: number): { pollRounds: number; timeoutSeconds: number; budget: AslBudget } {
  const budget = aslBudget(probe, DRILL_PHASES);
  const loop = budget.loops.find((l) => l.head === 'Wait for cluster');
  if (!loop) throw new Error('drill budget: the definition has no poll loop at "Wait for cluster"');
  const workSeconds = maxHours * 3600;
  // The probe has 0 rounds: its work is everything but the full rounds.
  const pollRounds = Math.floor((workSeconds - budget.work - loop.bound * loop.round) / loop.round);
  if (pollRounds < DRILL_TIMING.minPollRounds) {
    throw new Error(
      `drill.maxHours ${maxHours} leaves the restore ${Math.max(pollRounds, 0)} poll rounds once select, create and verify have their worst-case time (${Math.ceil(budget.work / 60)} min); ` +
        `at least ${DRILL_TIMING.minPollRounds} are needed: raise drill.maxHours`,
    );
  }
  const timeoutSeconds = Math.ceil((workSeconds + budget.cleanup + budget.report) / 60) * 60;
  return { pollRounds, timeoutSeconds, budget };
}


/** Cluster statuses that end a drill's wait with a failure. */
export const FAILED_STATUSES = ['create-failed', 'restore-failed', 'deleting', 'deleted'] as const;

/**
 * Restore drills in one region: a Step Functions state machine that selects
 * the newest recovery point, builds a throwaway cluster from it, waits for it
 * (bounded polling, failing fast on `create-failed`/`restore-failed`),
 * verifies the data with a Redis client, always deletes the cluster, and
 * reports; scheduled per plan. ElastiCache calls are SDK integrations, not
 * Lambdas.
 */
export class RestoreDrill extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly selectFunction: JobFunction;
  public readonly verifyFunction: JobFunction;
  public readonly reportFunction: JobFunction;
  public readonly schedules: PlanSchedules;
  /** Deletes drill clusters older than `drill.maxHours` (left behind by a timed-out or broken drill). */
  public readonly reaperFunction: JobFunction;
  public readonly reaperSchedule: PlanSchedules;

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const maxHours = Math.max(...props.plans.map((p) => p.drill.maxHours));
    const common = {
      logRetention: props.logRetention,
      metricsNamespace: props.metricsNamespace,
      memorySizeMb: props.memorySizeMb,
      asyncRetryAttempts: 0,
      maxEventAge: Duration.minutes(15),
    };

    this.selectFunction = new JobFunction(this, 'Select', {
      ...common,
      handler: 'drill-select',
      description: `redis-dr: choose the recovery point a ${props.where} restore drill restores`,
      timeout: FUNCTION_TIMEOUTS.select,
      serviceName: 'redis-dr-drill-select',
    });
    this.verifyFunction = new JobFunction(this, 'Verify', {
      ...common,
      handler: 'drill-verify',
      description: 'redis-dr: verify a restored drill cluster with a Redis client',
      timeout: FUNCTION_TIMEOUTS.verify,
      serviceName: 'redis-dr-drill-verify',
      network: props.network,
    });
    this.reportFunction = new JobFunction(this, 'Report', {
      ...common,
      handler: 'drill-report',
      description: 'redis-dr: report a restore drill (SNS summary, RTO metrics)',
      timeout: FUNCTION_TIMEOUTS.report,
      serviceName: 'redis-dr-drill-report',
      environment: { ALERT_TOPIC_ARN: props.alerts.topic.topicArn },
    });
    grantAlertPublish(props.alerts, this.reportFunction.role);
    // The verify step reads the drill cluster's AUTH token from the secret the state machine made for the execution.
    this.verifyFunction.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDrillToken',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [drillSecretArns(this)],
        conditions: drillTagConditions(props.deployment),
      }),
    );
    Validations.of(this.verifyFunction.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagSecretArn(this.verifyFunction.role)}]`,
      reason: 'Drill token secrets are named redis-dr/drill/<execution name> per execution; only those can be read.',
    });
    // Plans with an RBAC user group: verify connects as the configured user of that group.
    grantReadSecrets(this.verifyFunction.role, 'ReadDrillUser', props.plans.flatMap((p) => (p.drill.rbac ? [p.drill.rbac.secretArn] : [])));
    grantSelect(this.selectFunction.role, props.bucket);

    this.reaperFunction = new JobFunction(this, 'Reaper', {
      ...common,
      handler: 'drill-reaper',
      description: 'redis-dr: delete restore-drill clusters left behind (tagged redis-dr:drill, older than drill.maxHours)',
      timeout: Duration.minutes(3),
      serviceName: 'redis-dr-drill-reaper',
      onFailureQueue: props.deadLetterQueue,
    });
    grantReaping(this.reaperFunction.role, drillsServerless(props.plans, props.where));
    this.reaperSchedule = new PlanSchedules(this, 'ReaperSchedule', {
      function: this.reaperFunction.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'drill reaper',
      addScheduledTime: false,
      schedules: [{ plan: 'all', cron: REAPER_CRON, timeZone: 'UTC', input: { deployment: props.deployment, maxHours } }],
    });

    const steps = { select: this.selectFunction, verify: this.verifyFunction, report: this.reportFunction, region };
    // The time budget is read from the definition itself: a probe with no poll rounds, built apart
    // (a state belongs to one graph), gives the work's fixed part, a round's and cleanup's worst case.
    // Its own app, never synthesized (autoSynth off: under `cdk synth` an app would otherwise write itself out).
    const probeStack = new Stack(new App({ autoSynth: false }), 'DrillBudgetProbe', { env: { account: Stack.of(this).account, region } });
    const probe = drillDefinition(new Construct(probeStack, 'States'), props, { ...steps, pollRounds: 0 });
    const { pollRounds, timeoutSeconds } = drillBudget(new sfn.StateGraph(probe.startState, 'budget probe').toGraphJson() as BudgetDefinition, maxHours);
    // States live in their own scope: their ids are the state names the console shows.
    const definition = drillDefinition(new Construct(this, 'States'), props, { ...steps, pollRounds });
    const stateMachineName = drillStateMachineName(props.deployment, props.where);
    const logGroup = stateMachineLogGroup(this, 'Logs', stateMachineName, props.logRetention);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      // A fixed name: IAM for its executions, the CLI and the docs can name it.
      stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // maxHours for the work, plus the worst case of cleanup and report: both always run (drillBudget).
      timeout: Duration.seconds(timeoutSeconds),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: `redis-dr ${props.where} restore drill`,
    });
    acknowledgeDrillScoping(this.stateMachine.role, props.where, drillsServerless(props.plans, props.where));
    Validations.of(this.stateMachine.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing, CloudWatch Logs delivery, secretsmanager:GetRandomPassword (the drill token) and the EC2 Describe calls of a serverless cache create support no resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagSecretArn(this.stateMachine.role)}]`,
        reason: 'Drill token secrets are named redis-dr/drill/<execution name> per execution; the state machine creates, tags and deletes only those.',
      },
      ...[this.selectFunction, this.verifyFunction, this.reportFunction].map((f) => ({
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

    this.schedules = new PlanSchedules(this, 'Schedules', {
      stateMachine: this.stateMachine,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: `${props.where} drill`,
      addScheduledTime: false,
      schedules: props.plans.map((plan) => {
        const input = drillRunInput(props.deployment, plan, props.where, props.bucket?.bucketName);
        return { plan: plan.name, cron: plan.drill.schedule.cron, timeZone: plan.drill.schedule.timeZone, input: strip(input) };
      }),
    });
  }
}

/** JSON without `undefined` members (Scheduler input must be plain JSON). */
function strip(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

interface Steps {
  readonly select: JobFunction;
  readonly verify: JobFunction;
  readonly report: JobFunction;
  readonly region: string;
  readonly pollRounds: number;
}

/**
 * The drill as states. Data flows in one document: `input`, `startedAt`,
 * `choice` (select), `poll`, `group` (describe), `endpoint`, `verify`,
 * `error` (the first failure), `cleanup`, `timings`. Every key exists from
 * the start (null), so later paths never miss.
 */
function drillDefinition(scope: Construct, props: RestoreDrillProps, steps: Steps): sfn.IChainable {
  const serverless = drillsServerless(props.plans, props.where);
  const at = (name: string) =>
    new sfn.Pass(scope, `Time ${name}`, {
      parameters: { 'at.$': '$$.State.EnteredTime' },
      resultPath: `$.drill.timings.${name}`,
    });

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
      timings: { created: { at: null }, available: { at: null }, verified: { at: null }, deleted: { at: null } },
    }),
    resultPath: '$.drill',
  });

  // --- report and end ------------------------------------------------------
  const report = new tasks.LambdaInvoke(scope, 'Report', {
    lambdaFunction: steps.report.function,
    payload: sfn.TaskInput.fromObject({
      'input.$': '$.input',
      'choice.$': '$.drill.choice',
      'verify.$': '$.drill.verify',
      'error.$': '$.drill.error',
      timings: {
        'startedAt.$': '$.startedAt',
        'createdAt.$': '$.drill.timings.created.at',
        'availableAt.$': '$.drill.timings.available.at',
        'verifiedAt.$': '$.drill.timings.verified.at',
        'deletedAt.$': '$.drill.timings.deleted.at',
      },
      'cleanup.$': '$.drill.cleanup',
      access: { 'userGroup.$': '$.drill.userGroupCleanup', 'user.$': '$.drill.userCleanup' },
      region: steps.region,
    }),
    payloadResponseOnly: true,
    resultPath: '$.drill.report',
    ...lambdaTask(FUNCTION_TIMEOUTS.report),
  });
  report.addRetry(retryProps(LAMBDA_SERVICE_ERRORS, DRILL_RETRY.lambda));
  const passed = new sfn.Succeed(scope, 'Drill passed');
  const failed = new sfn.Fail(scope, 'Drill failed', { error: 'DrillFailed', cause: 'The drill report (SNS) says which step or check failed.' });
  const reportFailed = new sfn.Fail(scope, 'Report failed', {
    error: 'DrillReportFailed',
    cause: 'The drill ran, but its report could not be sent; see the execution history.',
  });
  report.addCatch(reportFailed, { resultPath: '$.drill.reportError' });

  // --- the drill's AUTH token: generated per execution, kept in a secret the verify step reads, deleted on every path
  const secretName = `States.Format('${DRILL_SECRET_PREFIX}{}', $$.Execution.Name)`;
  const generateToken = new tasks.CallAwsService(scope, 'Generate AUTH token', {
    service: 'secretsmanager',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(DRILL_TIMING.sdkTimeoutSeconds)),
    action: 'getRandomPassword',
    // 64 letters and digits: within ElastiCache's AUTH token rules (16-128 printable characters, no space, " / @).
    parameters: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    iamResources: ['*'],
    resultSelector: { 'token.$': '$.RandomPassword' },
    resultPath: '$.drill.auth',
  });
  const storeToken = new tasks.CallAwsService(scope, 'Store AUTH token', {
    service: 'secretsmanager',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(DRILL_TIMING.sdkTimeoutSeconds)),
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
      new iam.PolicyStatement({ actions: ['secretsmanager:TagResource'], resources: [drillSecretArns(scope)], conditions: drillRequestTagConditions(props.deployment) }),
    ],
    resultSelector: { 'arn.$': '$.ARN' },
    resultPath: '$.drill.secret',
  });
  const deleteToken = new tasks.CallAwsService(scope, 'Delete AUTH token', {
    service: 'secretsmanager',
    taskTimeout: sfn.Timeout.duration(Duration.seconds(DRILL_TIMING.sdkTimeoutSeconds)),
    action: 'deleteSecret',
    parameters: { 'SecretId.$': '$.drill.secret.arn', ForceDeleteWithoutRecovery: true },
    iamResources: [drillSecretArns(scope)],
    resultSelector: { deleted: true },
    resultPath: '$.drill.secretCleanup',
  });
  // The name prefix alone would let a drill create or delete any redis-dr/drill/* secret: both also need this deployment's drill tags.
  conditionOwnStatement(storeToken, drillRequestTagConditions(props.deployment));
  conditionOwnStatement(deleteToken, drillTagConditions(props.deployment));
  // Throttling is not in Secrets Manager's model: it surfaces as the base exception (as ElastiCache's does, see
  // elastiCacheCall) or, if Step Functions names it by its code, as ThrottlingException; both are retried.
  deleteToken.addRetry({
    errors: ['SecretsManager.SecretsManagerException', 'SecretsManager.ThrottlingException', 'SecretsManager.InternalServiceErrorException'],
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 5,
  });
  deleteToken.addCatch(report, { resultPath: '$.drill.secretCleanup' });
  deleteToken.next(report);
  /** Every path to the report once a cluster may exist passes here: the token's secret goes with the cluster. */
  // (IsNull true, not IsNull false: the local executor the tests run evaluates `IsNull: false` as never matching.)
  const tokenStored = new sfn.Choice(scope, 'AUTH token stored?').when(sfn.Condition.isNull('$.drill.secret'), report).otherwise(deleteToken);
  // A serverless drill's own user group and user go first (after the cache: a user group in use cannot be deleted).
  const finish: sfn.IChainable = serverless ? drillAccessCleanup(scope, props.deployment, tokenStored) : tokenStored;
  report.next(new sfn.Choice(scope, 'Passed?').when(sfn.Condition.booleanEquals('$.drill.report.ok', true), passed).otherwise(failed));

  // --- cleanup: always attempted once a cluster may exist -------------------
  const del = elastiCacheCall(scope, 'Delete cluster', 'delete', {
    action: 'deleteReplicationGroup',
    parameters: { 'ReplicationGroupId.$': '$.drill.choice.clusterId', RetainPrimaryCluster: false },
    // The member clusters here; the group itself in a statement that also requires this deployment's drill tags (drillTagConditions).
    iamResources: [elastiCacheArn(scope, 'cluster', `${DRILL_PREFIX}*`)],
    additionalIamStatements: [
      new iam.PolicyStatement({ actions: ['elasticache:DeleteReplicationGroup'], resources: drillClusterArns(scope), conditions: drillTagConditions(props.deployment) }),
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
  const timeDeleted = at('deleted');
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
  checkOwner.addCatch(alreadyGone, { errors: [...SFN_ERRORS.notFound], resultPath: '$.drill.cleanupError' });
  checkOwner.addCatch(notDeleted, { resultPath: '$.drill.cleanupError' });
  const owned = new sfn.Pass(scope, 'Owned?', {
    parameters: { 'ours.$': 'States.ArrayContains($.drill.owner.owners, $$.Execution.Name)' },
    resultPath: '$.drill.owner',
  });
  const notOurs = new sfn.Pass(scope, 'Not this drill\'s cluster', {
    parameters: {
      deleted: false,
      'clusterId.$': '$.drill.choice.clusterId',
      skipped: `the group does not carry this execution's ${TAGS.drill} tag: it is not this drill's, so it was left alone`,
    },
    resultPath: '$.drill.cleanup',
  });
  notOurs.next(finish);
  const isServerless = sfn.Condition.stringEquals('$.drill.choice.kind', 'serverless-cache');
  /** Serverless regions: the same step for a serverless cache first, then the replication group's. */
  const byKind = (name: string, forServerless: () => sfn.IChainable, forGroup: sfn.IChainable): sfn.IChainable =>
    serverless ? new sfn.Choice(scope, name).when(isServerless, forServerless()).otherwise(forGroup) : forGroup;

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
    .next(new sfn.Choice(scope, 'This drill\'s cluster?').when(sfn.Condition.booleanEquals('$.drill.owner.ours', true), byKind('Delete which?', delServerless, del)).otherwise(notOurs));
  const checkServerlessOwner = () => {
    const task = elastiCacheCall(scope, 'Check serverless owner', 'read', {
      action: 'listTagsForResource',
      parameters: { 'ResourceName.$': `States.Format('${elastiCacheArn(scope, 'serverlesscache', '{}')}', $.drill.choice.clusterId)` },
      iamResources: serverlessArns,
      resultSelector: { 'owners.$': `$.TagList[?(@.Key == '${TAGS.drill}')].Value` },
      resultPath: '$.drill.owner',
    });
    task.addCatch(alreadyGone, { errors: [...SFN_ERRORS.serverlessNotFound], resultPath: '$.drill.cleanupError' });
    task.addCatch(notDeleted, { resultPath: '$.drill.cleanupError' });
    return task.next(owned);
  };
  /** Where every path that may have created something goes: the owner check of the drill's cache, then its delete. */
  const cleanup = byKind('Which cache to clean up?', checkServerlessOwner, checkOwner);

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
  const catchCreate = (task: tasks.CallAwsService) => {
    task.addCatch(mayExist, { errors: [...SFN_ERRORS.alreadyExists, 'States.Timeout'], resultPath: '$.drill.error' });
    task.addCatch(notCreated, { resultPath: '$.drill.error' });
  };

  // --- select ----------------------------------------------------------------
  const select = new tasks.LambdaInvoke(scope, 'Select recovery point', {
    lambdaFunction: steps.select.function,
    payload: sfn.TaskInput.fromObject({ 'input.$': '$.input', 'startedAt.$': '$.startedAt' }),
    payloadResponseOnly: true,
    resultPath: '$.drill.choice',
    ...lambdaTask(FUNCTION_TIMEOUTS.select),
  });
  select.addRetry(retryProps(LAMBDA_SERVICE_ERRORS, DRILL_RETRY.lambda));
  // Nothing was created yet: straight to the report.
  select.addCatch(report, { resultPath: '$.drill.error' });

  // --- create ----------------------------------------------------------------
  const tags = [
    { Key: TAGS.drill, 'Value.$': '$$.Execution.Name' },
    { Key: TAGS.managed, Value: 'true' },
    { Key: TAGS.deployment, Value: props.deployment },
    { Key: TAGS.source, 'Value.$': '$.drill.choice.target' },
  ];
  const source =
    props.where === 'primary' ? { 'SnapshotName.$': '$.drill.choice.snapshotName' } : { 'SnapshotArns.$': '$.drill.choice.snapshotArns' };
  const common = {
    'ReplicationGroupId.$': '$.drill.choice.clusterId',
    ReplicationGroupDescription: `redis-dr ${props.where} restore drill (deleted when the drill ends)`,
    'Engine.$': '$.drill.choice.engine',
    'EngineVersion.$': '$.drill.choice.engineVersion',
    'CacheNodeType.$': '$.drill.choice.nodeType',
    ...source,
    CacheSubnetGroupName: props.network.cacheSubnetGroupName,
    SecurityGroupIds: props.network.securityGroupIds,
    TransitEncryptionEnabled: true,
    AtRestEncryptionEnabled: true,
    SnapshotRetentionLimit: 0,
    Tags: tags,
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
      new iam.PolicyStatement({ actions: ['elasticache:CreateReplicationGroup'], resources: drillClusterArns(scope), conditions: drillRequestTagConditions(props.deployment) }),
      // Tags on create need AddTagsToResource on the new group: only the drill tags of this deployment.
      new iam.PolicyStatement({ actions: ['elasticache:AddTagsToResource'], resources: drillClusterArns(scope), conditions: drillRequestTagConditions(props.deployment) }),
      // Seeding from S3: the caller must be able to read the copies too.
      ...(props.bucket ? [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects('*')] })] : []),
    ],
  };
  /**
   * The create tasks of one way of locking the cluster (single shard and
   * sharded), behind their 'Cluster mode?' choice. The drill cluster holds a
   * copy of production data: it requires the token generated for this
   * execution, or the plan's RBAC user group.
   */
  const creates = (suffix: string, access: Record<string, string>): sfn.Chain => {
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
    for (const task of [create, createSharded]) catchCreate(task);
    return sfn.Chain.start(
      new sfn.Choice(scope, `Cluster mode?${suffix}`)
        .when(sfn.Condition.stringEquals('$.drill.choice.clusterMode', 'enabled'), createSharded.next(created))
        .otherwise(create.next(created)),
    );
  };

  /**
   * A serverless cache from the recovery point (the serverless snapshot, or
   * the DR copies in S3), in the configured subnets and security groups,
   * TLS always on, locked with `userGroup`: the user group made for this
   * execution, or the plan's.
   */
  const createServerless = (suffix: string, userGroup: Record<string, string>): sfn.IChainable => {
    const task = elastiCacheCall(scope, `Create serverless cache${suffix}`, 'create', {
      action: 'createServerlessCache',
      parameters: {
        'ServerlessCacheName.$': '$.drill.choice.clusterId',
        Description: `redis-dr ${props.where} restore drill (deleted when the drill ends)`,
        'Engine.$': '$.drill.choice.engine',
        'MajorEngineVersion.$': '$.drill.choice.engineVersion',
        'SnapshotArnsToRestore.$': '$.drill.choice.snapshotArns',
        SubnetIds: props.network.subnetIds,
        SecurityGroupIds: props.network.securityGroupIds,
        ...userGroup,
        Tags: tags,
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
          actions: ['elasticache:AddTagsToResource'],
          resources: [elastiCacheArn(scope, 'serverlesscache', `${DRILL_PREFIX}*`)],
          conditions: drillRequestTagConditions(props.deployment),
        }),
        ...serverlessEndpointStatements(scope, props.network),
        ...(props.bucket ? [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects('*')] })] : []),
      ],
      resultPath: sfn.JsonPath.DISCARD,
    });
    conditionOwnStatement(task, drillRequestTagConditions(props.deployment));
    // The user group made a moment ago may still be `creating`.
    task.addRetry(retryProps(SFN_ERRORS.userGroupBusy, DRILL_RETRY.settling));
    catchCreate(task);
    return task.next(created);
  };

  // --- wait for the cluster -------------------------------------------------------
  const wait = new sfn.Wait(scope, 'Wait for cluster', { time: sfn.WaitTime.duration(Duration.seconds(POLL_INTERVAL_SECONDS)) });
  // A describe throttled, failing transiently or timing out: the status is unknown this round; the next round is the retry.
  const statusUnknown = new sfn.Pass(scope, 'Status unknown', {
    parameters: { status: 'unknown', 'error.$': '$.drill.group.Error' },
    resultPath: '$.drill.group',
  });
  const describe = elastiCacheCall(scope, 'Describe cluster', 'poll', {
    action: 'describeReplicationGroups',
    parameters: { 'ReplicationGroupId.$': '$.drill.choice.clusterId' },
    iamResources: drillClusterArns(scope),
    resultSelector: { 'status.$': '$.ReplicationGroups[0].Status', 'group.$': '$.ReplicationGroups[0]' },
    resultPath: '$.drill.group',
  });
  describe.addCatch(statusUnknown, { errors: [...SFN_ERRORS.transient, 'States.Timeout'], resultPath: '$.drill.group' });
  describe.addCatch(failedStep('Describe'), { resultPath: '$.drill.error' });
  // Serverless statuses: creating, available, modifying, create-failed, deleting (the same choice reads them).
  const describeServerless = () => {
    const task = elastiCacheCall(scope, 'Describe serverless cache', 'poll', {
      action: 'describeServerlessCaches',
      parameters: { 'ServerlessCacheName.$': '$.drill.choice.clusterId' },
      iamResources: [elastiCacheArn(scope, 'serverlesscache', `${DRILL_PREFIX}*`)],
      resultSelector: { 'status.$': '$.ServerlessCaches[0].Status', 'group.$': '$.ServerlessCaches[0]' },
      resultPath: '$.drill.group',
    });
    task.addCatch(statusUnknown, { errors: [...SFN_ERRORS.transient, 'States.Timeout'], resultPath: '$.drill.group' });
    task.addCatch(failedStep('Describe serverless'), { resultPath: '$.drill.error' });
    return task.next(available);
  };
  const countRound = new sfn.Pass(scope, 'Count round', {
    parameters: { 'rounds.$': 'States.MathAdd($.drill.poll.rounds, 1)' },
    resultPath: '$.drill.poll',
  });
  const restoreFailed = new sfn.Pass(scope, 'Restore failed', {
    parameters: { Error: 'RestoreFailed', 'Cause.$': "States.Format('The drill cluster ended in status {}', $.drill.group.status)" },
    resultPath: '$.drill.error',
  }).next(cleanup);
  const exhausted = new sfn.Pass(scope, 'Polling exhausted', {
    parameters: {
      Error: 'PollingExhausted',
      'Cause.$': `States.Format('The drill cluster was still {} after ${steps.pollRounds} polls of ${POLL_INTERVAL_SECONDS} s', $.drill.group.status)`,
    },
    resultPath: '$.drill.error',
  }).next(cleanup);
  const primaryEndpoint = new sfn.Pass(scope, 'Primary endpoint', {
    parameters: {
      'host.$': '$.drill.group.group.NodeGroups[0].PrimaryEndpoint.Address',
      'port.$': '$.drill.group.group.NodeGroups[0].PrimaryEndpoint.Port',
    },
    resultPath: '$.drill.endpoint',
  });
  const configurationEndpoint = new sfn.Pass(scope, 'Configuration endpoint', {
    parameters: {
      'host.$': '$.drill.group.group.ConfigurationEndpoint.Address',
      'port.$': '$.drill.group.group.ConfigurationEndpoint.Port',
    },
    resultPath: '$.drill.endpoint',
  });

  // --- verify ---------------------------------------------------------------------
  const verify = new tasks.LambdaInvoke(scope, 'Verify data', {
    lambdaFunction: steps.verify.function,
    payload: sfn.TaskInput.fromObject({
      'host.$': '$.drill.endpoint.host',
      'port.$': '$.drill.endpoint.port',
      tls: true,
      'authSecretArn.$': '$.drill.credentials.arn',
      'clusterMode.$': '$.drill.choice.clusterMode',
      'expected.$': '$.drill.choice.expected',
      'checks.$': '$.input.checks',
    }),
    payloadResponseOnly: true,
    resultPath: '$.drill.verify',
    ...lambdaTask(FUNCTION_TIMEOUTS.verify),
  });
  // No retry: a second attempt counts in the budget as another 15 minutes, half the restore's time under maxHours 1.
  verify.addCatch(failedStep('Verify'), { resultPath: '$.drill.error' });

  const forget = new sfn.Pass(scope, 'Forget AUTH token', { result: sfn.Result.fromObject({ kept: 'in the drill secret only' }), resultPath: '$.drill.auth' });
  const created = forget.next(at('created'));
  created.next(wait);
  const whichEndpoint = new sfn.Choice(scope, 'Which endpoint?');
  if (serverless) {
    // A serverless cache has one endpoint; it speaks the cluster protocol (CLUSTER SLOTS names it for every slot).
    const serverlessEndpoint = new sfn.Pass(scope, 'Serverless endpoint', {
      parameters: { 'host.$': '$.drill.group.group.Endpoint.Address', 'port.$': '$.drill.group.group.Endpoint.Port' },
      resultPath: '$.drill.endpoint',
    });
    whichEndpoint.when(isServerless, serverlessEndpoint.next(verify));
  }
  whichEndpoint
    .when(sfn.Condition.stringEquals('$.drill.choice.clusterMode', 'enabled'), configurationEndpoint.next(verify))
    .otherwise(primaryEndpoint.next(verify));
  const available: sfn.Choice = new sfn.Choice(scope, 'Cluster available?')
    .when(sfn.Condition.stringEquals('$.drill.group.status', 'available'), at('available').next(whichEndpoint))
    .when(sfn.Condition.or(...FAILED_STATUSES.map((s) => sfn.Condition.stringEquals('$.drill.group.status', s))), restoreFailed)
    .when(sfn.Condition.numberGreaterThanEquals('$.drill.poll.rounds', steps.pollRounds), exhausted)
    .otherwise(countRound);
  describe.next(available);
  statusUnknown.next(available);
  wait.next(byKind('Which describe?', describeServerless, describe));
  countRound.next(wait);
  verify.next(at('verified')).next(cleanup);

  // Nothing exists yet when the token cannot be made or stored: to the report (a secret that was stored goes on the way).
  generateToken.addCatch(report, { resultPath: '$.drill.error' });
  storeToken.addCatch(report, { resultPath: '$.drill.error' });
  // A serverless cache takes no AUTH token: the token becomes the password of a user (named default) in a user group made for this execution.
  const serverlessWithToken = () => drillAccess(scope, props.deployment, tags, notCreated).next(createServerless('', { 'UserGroupId.$': '$.drill.choice.clusterId' }));
  const withToken = generateToken
    .next(storeToken)
    .next(new sfn.Pass(scope, 'Verify with the AUTH token', { parameters: { 'arn.$': '$.drill.secret.arn' }, resultPath: '$.drill.credentials' }))
    .next(byKind('Serverless cache?', serverlessWithToken, creates('', { 'AuthToken.$': '$.drill.auth.token' })));
  // The plan's user group: nothing to generate, store or delete; verify connects as the configured user.
  const withUserGroup = new sfn.Pass(scope, 'Verify as the RBAC user', { parameters: { 'arn.$': '$.input.rbac.secretArn' }, resultPath: '$.drill.credentials' }).next(
    byKind(
      'Serverless cache? (RBAC)',
      () => createServerless(' (RBAC)', { 'UserGroupId.$': '$.input.rbac.userGroupId' }),
      creates(' (RBAC)', { 'UserGroupIds.$': 'States.Array($.input.rbac.userGroupId)' }),
    ),
  );
  return start
    .next(slots)
    .next(select)
    .next(new sfn.Choice(scope, 'RBAC user group?').when(sfn.Condition.isPresent('$.input.rbac'), withUserGroup).otherwise(withToken));
}

/** ARN patterns of the drill's own users and user groups (serverless drills with a token). */
function drillAccessArns(scope: Construct): { users: string; groups: string } {
  return { users: elastiCacheArn(scope, 'user', `${DRILL_PREFIX}*`), groups: elastiCacheArn(scope, 'usergroup', `${DRILL_PREFIX}*`) };
}

/**
 * The user and user group a serverless drill cache is locked with: the user
 * (id = the drill's id, name `default`, the execution's token as password)
 * and a user group of it alone, both tagged as this execution's. Each one
 * made is recorded (`$.drill.drillUser`, `$.drill.drillUserGroup`): only
 * those are deleted at the end. A create that fails (one with the drill's
 * id exists: someone else's) goes to `notCreated`, and nothing of it is deleted.
 */
function drillAccess(scope: Construct, deployment: string, tags: object[], notCreated: sfn.IChainable): sfn.Chain {
  const arns = drillAccessArns(scope);
  const tagOnCreate = new iam.PolicyStatement({
    actions: ['elasticache:AddTagsToResource'],
    resources: [arns.users, arns.groups],
    conditions: drillRequestTagConditions(deployment),
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
    conditionOwnStatement(task, drillRequestTagConditions(deployment));
    // A user or group a retried create had made is not recorded: the reaper deletes it (drill-tagged, rdr-drill-*).
    task.addCatch(notCreated, { resultPath: '$.drill.error' });
  }
  // A user just made may not be active yet.
  createGroup.addRetry(retryProps(SFN_ERRORS.userBusy, DRILL_RETRY.settling));
  return createUser.next(createGroup);
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
  const step = (o: { what: string; title: string; action: string; idParam: string; made: string; slot: string; arn: string; busy: readonly string[]; gone: readonly string[] }) => {
    const task = elastiCacheCall(scope, `Delete drill ${o.what}`, 'delete', {
      action: o.action,
      parameters: { [`${o.idParam}.$`]: `${o.made}.id` },
      iamResources: [o.arn],
      resultSelector: { deleted: true, [`id.$`]: `$.${o.idParam}` },
      resultPath: o.slot,
    });
    conditionOwnStatement(task, drillTagConditions(deployment));
    task.addRetry(retryProps(o.busy, DRILL_RETRY.busy));
    const gone = new sfn.Pass(scope, `Drill ${o.what} gone`, { parameters: { deleted: true, [`id.$`]: `${o.made}.id` }, resultPath: o.slot });
    const left = new sfn.Pass(scope, `Drill ${o.what} left behind`, {
      parameters: { deleted: false, [`id.$`]: `${o.made}.id`, 'error.$': `${o.slot}.Cause` },
      resultPath: o.slot,
    });
    task.addCatch(gone, { errors: [...o.gone], resultPath: o.slot });
    task.addCatch(left, { resultPath: o.slot });
    return { task, gone, left, made: o.made, title: o.title };
  };
  const user = step({ what: 'user', title: 'Drill user made?', action: 'deleteUser', idParam: 'UserId', made: '$.drill.drillUser', slot: '$.drill.userCleanup', arn: arns.users, busy: SFN_ERRORS.userBusy, gone: SFN_ERRORS.userNotFound });
  const group = step({ what: 'user group', title: 'Drill user group made?', action: 'deleteUserGroup', idParam: 'UserGroupId', made: '$.drill.drillUserGroup', slot: '$.drill.userGroupCleanup', arn: arns.groups, busy: SFN_ERRORS.userGroupBusy, gone: SFN_ERRORS.userGroupNotFound });
  const userMade = new sfn.Choice(scope, user.title).when(sfn.Condition.isNull(user.made), next).otherwise(user.task);
  for (const s of [user.task, user.gone, user.left]) s.next(next);
  for (const s of [group.task, group.gone, group.left]) s.next(userMade);
  return new sfn.Choice(scope, group.title).when(sfn.Condition.isNull(group.made), userMade).otherwise(group.task);
}

/** ElastiCache's service name for the endpoints of serverless caches, as AWS's managed policies condition it. */
export const SERVERLESS_VPCE_SERVICE = 'com.amazonaws.elasticache.serverless.*';

/**
 * What CreateServerlessCache does with the caller's permissions: it makes
 * the cache's VPC endpoint in the given subnets and security groups, tags
 * it `AmazonElastiCacheManaged=true`, and reads the VPC, subnets and
 * security groups. Granted as AmazonElastiCacheFullAccess (v3) grants it:
 * CreateVpcEndpoint on endpoints only of ElastiCache's serverless service,
 * CreateTags only on creating such an endpoint with that tag, Describe of
 * VPCs, subnets and security groups. Narrower than the managed policy:
 * this account and region, and (for its NotResource statement) only the
 * configured VPC, subnets and security groups. The Service Authorization
 * Reference also lists ec2:DescribeTags and ec2:DescribeVpcEndpoints
 * (read-only) as dependent actions of Create/DeleteServerlessCache; they
 * are granted too. Deleting the endpoint is the service-linked role's
 * (ElastiCacheServiceRolePolicy), never the caller's.
 * @see https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonElastiCacheFullAccess.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html
 */
function serverlessEndpointStatements(scope: Construct, network: NetworkConfig): iam.PolicyStatement[] {
  const ec2 = (resource: string, name: string) => Stack.of(scope).formatArn({ service: 'ec2', resource, resourceName: name });
  return [
    new iam.PolicyStatement({
      actions: ['ec2:CreateVpcEndpoint'],
      resources: [ec2('vpc-endpoint', '*')],
      conditions: { StringLike: { 'ec2:VpceServiceName': SERVERLESS_VPCE_SERVICE } },
    }),
    new iam.PolicyStatement({
      actions: ['ec2:CreateVpcEndpoint'],
      resources: [ec2('vpc', network.vpcId), ...network.subnetIds.map((id) => ec2('subnet', id)), ...network.securityGroupIds.map((id) => ec2('security-group', id))],
    }),
    new iam.PolicyStatement({
      actions: ['ec2:CreateTags'],
      resources: [ec2('vpc-endpoint', '*')],
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint', 'aws:RequestTag/AmazonElastiCacheManaged': 'true' } },
    }),
    new iam.PolicyStatement({
      actions: ['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeTags'],
      resources: ['*'],
    }),
  ];
}

/** The serverless endpoint wildcards as cdk-nag spells them in finding ids. */
function acknowledgeServerlessEndpoints(role: iam.IRole): void {
  const { partition, region, account } = nagPseudoParameters(role);
  Validations.of(role).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:ec2:${region}:${account}:vpc-endpoint/*]`,
      reason:
        "A serverless cache's VPC endpoint gets its id at creation: ec2:CreateVpcEndpoint only for ElastiCache's serverless endpoint service, ec2:CreateTags only on that create with AmazonElastiCacheManaged=true (as AmazonElastiCacheFullAccess grants them).",
    },
  );
}

/** The RBAC user groups the plans' drill clusters join. */
function drillUserGroups(plans: readonly PlanConfig[]): string[] {
  return [...new Set(plans.flatMap((p) => (p.drill.rbac ? [p.drill.rbac.userGroupId] : [])))];
}

/**
 * Adds conditions to the statement a CallAwsService grants for its own
 * action (the CDK builds it from `iamResources` alone and offers no
 * conditions; a second, conditioned statement would not narrow it).
 */
function conditionOwnStatement(task: tasks.CallAwsService, conditions: Record<string, Record<string, string>>): void {
  const own = (task as unknown as { taskPolicies?: iam.PolicyStatement[] }).taskPolicies?.[0];
  if (!own) throw new Error(`${task.node.path}: the CDK no longer exposes the task's own policy statement; condition it another way`);
  own.addConditions(conditions);
}

/** A drill group of this deployment: it carries the drill tag (any execution) and this deployment's tag. */
function drillTagConditions(deployment: string): Record<string, Record<string, string>> {
  return {
    StringEquals: { [`aws:ResourceTag/${TAGS.deployment}`]: deployment, [`aws:ResourceTag/${TAGS.managed}`]: 'true' },
    StringLike: { [`aws:ResourceTag/${TAGS.drill}`]: '?*' },
  };
}

/** A create (or its tagging) that labels the new group as this deployment's drill. */
function drillRequestTagConditions(deployment: string): Record<string, Record<string, string>> {
  return {
    StringEquals: { [`aws:RequestTag/${TAGS.deployment}`]: deployment, [`aws:RequestTag/${TAGS.managed}`]: 'true' },
    StringLike: { [`aws:RequestTag/${TAGS.drill}`]: '?*' },
  };
}

/** ARN pattern of the drill token secrets (Secrets Manager appends a 6-character suffix). */
function drillSecretArns(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${DRILL_SECRET_PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** The drill secret ARN pattern as cdk-nag spells it in a finding id. */
function nagSecretArn(scope: Construct): string {
  const { partition, region, account } = nagPseudoParameters(scope);
  return `arn:${partition}:secretsmanager:${region}:${account}:secret:${DRILL_SECRET_PREFIX}*`;
}

/** ARNs of drill replication groups and their member clusters. */
function drillClusterArns(scope: Construct): string[] {
  return [elastiCacheArn(scope, 'replicationgroup', `${DRILL_PREFIX}*`), elastiCacheArn(scope, 'cluster', `${DRILL_PREFIX}*`)];
}

/**
 * The state machine's wildcards: drill cluster names are made per execution,
 * parameter groups are AWS's defaults, copies are keyed by export name.
 */
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
        'Serverless drill caches, and the user and user group each locks itself with, are named rdr-drill-<target>-<time> per execution; creating, tagging and deleting them also requires this deployment\'s drill tags. Restores read our rdr-* serverless snapshots.',
    })),
  );
}

/**
 * The reaper lists and reads tags anywhere (read-only), and deletes only
 * `rdr-drill-*` groups that carry the drill tag (and, in a region whose
 * drills meet serverless caches, `rdr-drill-*` serverless caches, user
 * groups and users that carry it).
 */
function grantReaping(role: iam.Role, serverless: boolean): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'FindDrillClusters',
      actions: [
        'tag:GetResources',
        'elasticache:DescribeReplicationGroups',
        'elasticache:ListTagsForResource',
        // DeleteServerlessCache's dependent action (Service Authorization Reference).
        ...(serverless ? ['elasticache:DescribeServerlessCaches', 'ec2:DescribeTags'] : []),
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
        reason: 'Serverless drill caches, user groups and users are named rdr-drill-<target>-<time> per execution; deletion also requires the redis-dr:drill tag.',
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

/** The select function reads snapshots (primary) or the DR bucket's copies and their tags (DR). */
function grantSelect(role: iam.Role, bucket: s3.IBucket | undefined): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadRecoveryPoints',
      actions: ['elasticache:DescribeSnapshots', 'elasticache:DescribeServerlessCacheSnapshots', 'elasticache:DescribeReplicationGroups', 'tag:GetResources'],
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
      reason: 'The select function reads the tags (verdict, shard, tier) of every copy in the DR bucket; it never reads object data.',
    });
  }
  Validations.of(role).acknowledge(...acks);
}
