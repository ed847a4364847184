import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { stateMachineLogGroup } from './log-retention.js';
import type { DrConfig, PlanConfig, VaultConfig } from '../config/index.js';
import type { CopyVerificationSettings } from '../../lambdas/domain/plans/settings.js';
import { copyVerificationSettings, VERIFY_MEMORY_MB, verifyStateMachineName } from '../deployment.js';
import { VERIFY_GAVE_UP } from '../../lambdas/domain/dr-copies/verify-errors.js';
import { VERDICT_CHAIN_PREFIX, VERDICT_PREFIX } from '../../lambdas/domain/points/verdict-objects.js';
import { longestVaultDays, VAULT_TIER_RETRY_MINUTES, type VaultTierDays } from '../../lambdas/domain/vault/vault-retention.js';
import { type AlertTopic, grantAlertPublish } from './alert-topic.js';
import { nagArnRef } from './elasticache-arns.js';
import { JobFunction } from './job-function.js';
import { AccessLogBucket, DR_EVIDENCE_REPLICATION_RULES, RecoveryBucket, REPORTS_REPLICATION_RULE_ID } from './recovery-bucket.js';
import { orgEvidencePrefixes } from './org-evidence.js';
import { guardDrCopies } from './verdict-guard.js';

/** Props for {@link DrCopies}. */
export interface DrCopiesProps {
  readonly deployment: string;
  /** Plans that export (their lifecycle rules apply here too). */
  readonly plans: readonly PlanConfig[];
  readonly dr: DrConfig;
  readonly alerts: AlertTopic;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /**
   * The verify function's memory, MB.
   * @default VERIFY_MEMORY_MB
   */
  readonly verifyMemorySizeMb?: number;
  /**
   * The most verify invocations at once (config `lambda.verifyConcurrency`).
   * @default VERIFY_CONCURRENCY
   */
  readonly verifyConcurrency?: number | 'unreserved';
  /**
   * The vault (config `vault`): the DR reports (`reports/`; in an organization's vault, the account's `<account>/<region>/`) replicate into it, where its default COMPLIANCE retention locks them.
   * @default - no vault: nothing replicates from the DR bucket
   */
  readonly vault?: VaultConfig;
}

/**
 * The most verify-rdb invocations at once by default (its reserved
 * concurrency): a large export lands one copy per shard and plan, hundreds at
 * once, and at 3 GB each uncapped they would take the account's shared pool
 * (1,000 by default) from every other function of the region. Ten verify
 * ten copies at a time; the rest wait in their state machines'
 * {@link VERIFY_THROTTLE_RETRY}.
 */
export const VERIFY_CONCURRENCY = 10;

/**
 * How the verify state machine retries an invocation Lambda throttled (the
 * cap above reached, or the account's pool): every minute, doubling to every
 * 5 minutes, 40 times: 3 h 12 min in all ({@link retryBudgetSeconds}), longer
 * than one 15-minute invocation many times over, so a burst of copies waits
 * its turn instead of failing after the 3.5 minutes of the general retry.
 */
export const VERIFY_THROTTLE_RETRY = { intervalSeconds: 60, backoffRate: 2, maxDelaySeconds: 300, maxAttempts: 40 } as const;

/** Seconds a Step Functions retrier waits in all before it gives up (no jitter): what a throttled verification may wait. */
export function retryBudgetSeconds(r: { intervalSeconds: number; backoffRate: number; maxDelaySeconds?: number; maxAttempts: number }): number {
  let total = 0;
  for (let i = 0; i < r.maxAttempts; i++) total += Math.min(r.intervalSeconds * r.backoffRate ** i, r.maxDelaySeconds ?? Number.POSITIVE_INFINITY);
  return total;
}

/**
 * Longest a verification may run, all invocations together: a 500 GB copy
 * at a slow 50 MB/s (S3 bound; the verifier itself does about 250 MB/s on
 * one vCPU, and nearly twice that on the function's two) takes under 3
 * hours, and it outlasts the most invocations one
 * verification may take (MAX_VERIFY_INVOCATIONS in
 * lambdas/jobs/dr-copies/verify-rdb.ts) at the function's 15 minutes, so a
 * verification gives up by count with its reason, never by this clock.
 */
export const VERIFY_MAX_HOURS = 24;

/** Event types that (re)start a verification. */
export const VERIFY_EVENT_TYPES = ['Object Created', 'Object Tags Added'] as const;

/**
 * The DR region's copies: the replicated bucket (ElastiCache there may read
 * it to seed clusters) and the verification of every copy as it lands: an
 * EventBridge rule starts the verify state machine, which invokes the
 * verify-rdb function until the verdict is tagged (`redis-dr:verified=ok|corrupt`).
 * A copy too large for one invocation is verified over several, each
 * continuing from the checkpoint the one before returned (see
 * lambdas/jobs/dr-copies/verify-rdb.ts for why a state machine carries it).
 */
export class DrCopies extends Construct {
  public readonly bucket: RecoveryBucket;
  public readonly accessLogs: AccessLogBucket;
  public readonly verifier: JobFunction;
  /** Runs one verification to its verdict, invocation after invocation. */
  public readonly stateMachine: sfn.StateMachine;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: DrCopiesProps) {
    super(scope, id);
    this.accessLogs = new AccessLogBucket(this, 'AccessLogs');
    this.bucket = new RecoveryBucket(this, 'Copies', {
      deployment: props.deployment,
      plans: props.plans,
      elastiCacheAccess: 'seed',
      elastiCacheAccessRoute: props.dr.elastiCacheBucketAccess,
      logRetention: props.logRetention,
      accessLogs: this.accessLogs.bucket,
      objectLock: props.dr.objectLock,
      eventBridgeEnabled: true,
      replicatePrefixToVault: props.vault && {
        account: props.vault.account,
        region: props.vault.region,
        deployment: props.vault.deployment,
        timeControl: props.vault.replicationTimeControl,
        // An organization's vault takes only each account's own prefix (lib/constructs/vault/org-grants.ts): what the
        // DR bucket writes under <account>/<region>/ replicates with its key, so it lands there; a listed vault takes
        // reports/ and drills/ (the drills' signed records).
        rules:
          props.vault.organizationId !== undefined
            ? [(({ prefix, nag }) => ({ id: REPORTS_REPLICATION_RULE_ID, prefix, nagPrefix: nag }))(orgEvidencePrefixes(this, ''))]
            : DR_EVIDENCE_REPLICATION_RULES,
      },
    });

    const verification = addCopyVerification(this, {
      deployment: props.deployment,
      bucket: this.bucket.bucket,
      plans: props.plans,
      alerts: props.alerts,
      deadLetterQueue: props.deadLetterQueue,
      logRetention: props.logRetention,
      metricsNamespace: props.metricsNamespace,
      ...(props.verifyMemorySizeMb !== undefined ? { memorySizeMb: props.verifyMemorySizeMb } : {}),
      ...(props.verifyConcurrency !== undefined ? { concurrency: props.verifyConcurrency } : {}),
      stateMachineName: verifyStateMachineName(props.deployment),
      what: 'DR copy',
    });
    this.verifier = verification.verifier;
    this.stateMachine = verification.stateMachine;
    this.rule = verification.rule;
    // The copies are replicas and their verdicts the verifier's alone, whoever else the account lets write.
    guardDrCopies(this.bucket.bucket, this.verifier.role);
  }
}

/** Props for {@link addCopyVerification}. */
export interface CopyVerificationProps {
  readonly deployment: string;
  /** The bucket whose `.rdb` objects are verified (EventBridge notifications on). */
  readonly bucket: s3.IBucket;
  /** Plans whose copies land there (their keyspace-collapse thresholds). */
  readonly plans: readonly PlanConfig[];
  readonly alerts: AlertTopic;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /** Name of the verify state machine. */
  readonly stateMachineName: string;
  /** What a copy is called in descriptions: `DR copy`, `vault replica`. */
  readonly what: string;
  /**
   * The verify function's memory, MB (config `lambda.verifyMemorySizeMb`).
   * @default VERIFY_MEMORY_MB (3,008: within a new account's Lambda quota)
   */
  readonly memorySizeMb?: number;
  /**
   * The most verify invocations at once (config `lambda.verifyConcurrency`): the function's reserved concurrency, or none with `unreserved`.
   * @default VERIFY_CONCURRENCY
   */
  readonly concurrency?: number | 'unreserved';
  /**
   * The vault: each tier's COMPLIANCE days. The verifier then extends every
   * replica's retention to its tier's days and reads it back (it alone may:
   * see {@link retentionExtensionConditions}), and the state machine waits
   * and looks again at a replica still waiting for its tier.
   * @default - no retention is touched (DR copies)
   */
  readonly retention?: VaultTierDays;
}

/**
 * The conditions of the one grant of `s3:PutObjectRetention`, to the
 * vault's verifier, and the bucket policy's Deny of anything else: COMPLIANCE
 * only (a request without a mode, which would remove a retention, has none),
 * and no further than the longest tier's days from now (S3 counts a started
 * day as a day, hence the one more). Lengthening only is S3's own rule for
 * COMPLIANCE: a retain-until date earlier than the one set is refused, by
 * everyone, root included.
 */
export function retentionExtensionConditions(days: VaultTierDays): { mode: 'COMPLIANCE'; maxRemainingDays: number } {
  return { mode: 'COMPLIANCE', maxRemainingDays: longestVaultDays(days) + 1 };
}

/** The parts {@link addCopyVerification} adds. */
export interface CopyVerification {
  readonly verifier: JobFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;
}

/**
 * The verification of every `.rdb` copy as it lands in `bucket`: the
 * verify-rdb function, the state machine that runs it to a verdict, and the
 * EventBridge rule that starts it. Added to `scope` directly (not a child
 * construct), so the DR stack's logical IDs stay what they were; the vault
 * stack adds the same for its replicas.
 */
export function addCopyVerification(scope: Construct, props: CopyVerificationProps): CopyVerification {
  const stack = Stack.of(scope);
  const verifier = new JobFunction(scope, 'VerifyRdb', {
    handler: 'verify-rdb',
    description: `redis-dr: verify every ${props.what} (RDB structure + CRC64) and tag the verdict`,
    timeout: Duration.minutes(15),
    memorySizeMb: props.memorySizeMb ?? VERIFY_MEMORY_MB,
    ...(props.concurrency === 'unreserved' ? {} : { reservedConcurrency: props.concurrency ?? VERIFY_CONCURRENCY }),
    logRetention: props.logRetention,
    serviceName: 'redis-dr-verify-rdb',
    metricsNamespace: props.metricsNamespace,
    environment: {
      ALERT_TOPIC_ARN: props.alerts.topic.topicArn,
      REDIS_DR_DEPLOYMENT: props.deployment,
    },
    // Invoked synchronously by the state machine, which retries; never asynchronously.
    asyncRetryAttempts: 0,
    maxEventAge: Duration.hours(6),
  });
  const role = verifier.role;
  // Only .rdb copies are verified (the rule matches that suffix): the role tags nothing else.
  const objects = props.bucket.arnForObjects('*.rdb');
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadCopies',
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
      resources: [objects],
    }),
  );
  // Tags the project's keys: the verdict, and the tier the keyspace-collapse tripwire moves to held-<tier>.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'TagCopies',
      actions: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'],
      resources: [objects],
      // PutObjectTagging replaces the whole set: the project's keys are merged with whatever else the object
      // carries (adapters/aws/s3/objects.ts), so the request holds those too. It must hold at least one redis-dr key
      // (ForAnyValue: an empty or foreign-only set, which would strip our tags, is denied).
      conditions: { 'ForAnyValue:StringLike': { 's3:RequestObjectTagKeys': ['redis-dr:*'] } },
    }),
  );
  // The tripwire lists a cache's copies (rdr-<target>-…) to sum and judge them; the verdict chain is listed for its head.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListCopies',
      actions: ['s3:ListBucket'],
      resources: [props.bucket.bucketArn],
      // Not held to a prefix: S3 answers a GetObject of an object that is not there (a verdict not written yet, the
      // chain's next record) with 404 only to a caller that may list the bucket, and that check carries no s3:prefix
      // for a condition to match; with it held to `rdr-*` every first verification would read AccessDenied.
      // @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions)
    }),
  );

  // The key index beside each verified copy (<copy>.keys, jobs/dr-copies/copy-key-index.ts), put and read back. The
  // DR bucket's default retention locks it as it locked the copy; the vault puts it under the replica's retention
  // (ReadReplicaRetention reads it, ExtendReplicaRetention below, conditioned, covers the indexes).
  const indexes = props.bucket.arnForObjects('*.rdb.keys');
  role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteKeyIndexes', actions: ['s3:PutObject', 's3:GetObject'], resources: [indexes] }));
  if (!props.retention) grantKeyIndexTagging(role, indexes);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/*.rdb.keys]`,
    reason: `One key index beside each ${props.what}, named after it (whose key an export makes at run time).`,
  });
  if (props.retention) {
    const limits = retentionExtensionConditions(props.retention);
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadReplicaRetention', actions: ['s3:GetObjectRetention'], resources: [objects] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ExtendReplicaRetention',
        actions: ['s3:PutObjectRetention'],
        resources: [objects, indexes],
        conditions: {
          StringEquals: { 's3:object-lock-mode': limits.mode },
          NumericLessThanEquals: { 's3:object-lock-remaining-retention-days': String(limits.maxRemainingDays) },
        },
      }),
    );
  }
  // The verdicts are objects under a prefix only this role may write (the DR bucket: guardDrCopies; the vault:
  // VaultBucket.reserveVerdicts), written then read back; a verdict tag is anybody's who may tag the copy.
  // Each verdict is also signed into the bucket's verdict chain (records under VERDICT_CHAIN_PREFIX of its place).
  const place = props.retention ? 'vault' : 'dr';
  const verdictPrefixes = [VERDICT_PREFIX[place], VERDICT_CHAIN_PREFIX[place]];
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: props.retention ? 'VaultVerdicts' : 'Verdicts',
      actions: ['s3:PutObject', 's3:GetObject'],
      resources: verdictPrefixes.map((p) => props.bucket.arnForObjects(`${p}*`)),
    }),
  );
  Validations.of(role).acknowledge(
    ...verdictPrefixes.map((p) => ({
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/${p}*]`,
      reason: `One verdict object per ${props.what}, named after it (whose key an export makes at run time), and the records of the verdict chain, under the prefixes reserved for verdicts.`,
    })),
  );
  grantAlertPublish(props.alerts, role);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/*.rdb]`,
    reason: `Every .rdb object of the bucket is a ${props.what} to verify; object keys are created by ElastiCache exports at run time.`,
  });

  const rule = new events.Rule(scope, 'OnCopy', {
    description: 'redis-dr: verify each .rdb copy as it lands (and again if replication replaced its tags)',
    eventPattern: {
      source: ['aws.s3'],
      detailType: [...VERIFY_EVENT_TYPES],
      detail: {
        bucket: { name: [props.bucket.bucketName] },
        object: { key: [{ suffix: '.rdb' }] },
      },
    },
  });
  const stateMachine = new sfn.StateMachine(scope, 'VerifyStateMachine', {
    stateMachineName: props.stateMachineName,
    definitionBody: sfn.DefinitionBody.fromChainable(
      verifyDefinition(new Construct(scope, 'States'), verifier, copyVerificationSettings(props.plans, props.retention)),
    ),
    timeout: Duration.hours(VERIFY_MAX_HOURS),
    tracingEnabled: true,
    logs: {
      destination: stateMachineLogGroup(scope, 'VerifyLogs', props.stateMachineName, props.logRetention),
      level: sfn.LogLevel.ALL,
      includeExecutionData: false,
    },
    comment: `redis-dr: verify one ${props.what}, over as many invocations as its size needs`,
  });
  Validations.of(stateMachine.role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing and CloudWatch Logs delivery support no resource-level permissions.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(verifier.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'Invoking the verify function (any version or alias of it): granted by the Step Functions Lambda task.',
    },
  );
  rule.addTarget(
    new targets.SfnStateMachine(stateMachine, {
      retryAttempts: 3,
      maxEventAge: Duration.hours(6),
      deadLetterQueue: props.deadLetterQueue,
    }),
  );
  return { verifier, stateMachine, rule };
}

/**
 * Start → Verify (one invocation) → Done? → Verified, or Verify again with
 * the progress it returned. A failed invocation is retried with the same
 * input, so it resumes from the last checkpoint; one that keeps failing
 * fails the execution (the verify-failed alarm pages). The vault's (`awaitsTier`)
 * also waits and verifies again while a replica waits for its tier (`awaitTier`).
 * Each invocation is sent `{ step, settings }`: the state, and the plans'
 * settings (lambdas/domain/plans/settings.ts `copyVerificationSettingsSchema`).
 */
function verifyDefinition(scope: Construct, verifier: JobFunction, settings: CopyVerificationSettings): sfn.IChainable {
  const awaitsTier = settings.vaultRetentionDays !== undefined;
  const start = new sfn.Pass(scope, 'Start', { parameters: { 'event.$': '$' } });
  const verify = new tasks.LambdaInvoke(scope, 'Verify', {
    lambdaFunction: verifier.function,
    // The plan settings travel with every invocation (the one way settings reach a Lambda: its input), beside the
    // step; the state carries the step alone, so the loop below is the same whatever the settings.
    payload: sfn.TaskInput.fromObject({ step: sfn.JsonPath.entirePayload, settings }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  // A verification that gave up (no progress, too many invocations or changes) fails at once: retrying it re-reads for nothing.
  verify.addRetry({ errors: [VERIFY_GAVE_UP], maxAttempts: 0 });
  // Throttled (the concurrency cap reached): wait its turn, longer than an invocation runs.
  verify.addRetry({
    errors: ['Lambda.TooManyRequestsException'],
    interval: Duration.seconds(VERIFY_THROTTLE_RETRY.intervalSeconds),
    backoffRate: VERIFY_THROTTLE_RETRY.backoffRate,
    maxDelay: Duration.seconds(VERIFY_THROTTLE_RETRY.maxDelaySeconds),
    maxAttempts: VERIFY_THROTTLE_RETRY.maxAttempts,
  });
  verify.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 3 });
  const failed = new sfn.Fail(scope, 'Verification failed', { errorPath: '$.Error', causePath: '$.Cause' });
  verify.addCatch(failed, { errors: [sfn.Errors.ALL] });
  const finished = new sfn.Succeed(scope, 'Verdict tagged');
  const next = new sfn.Choice(scope, 'Done?').when(sfn.Condition.booleanEquals('$.done', true), finished);
  if (awaitsTier) {
    // The vault: a replica without the export's tags yet is looked at again until they arrive (the step ends the wait
    // itself once the grace is over: the longest tier). A wait, not an error: nothing failed.
    const wait = new sfn.Wait(scope, 'Await tier', { time: sfn.WaitTime.duration(Duration.minutes(VAULT_TIER_RETRY_MINUTES)) });
    next.when(sfn.Condition.isPresent('$.awaitTier'), wait.next(verify));
  }
  return start.next(verify).next(next.otherwise(verify));
}

/**
 * The DR bucket's lifecycle rules filter on the plan and tier tags: a key
 * index and its segments carry the copy's (put with them, which S3
 * authorizes as s3:PutObjectTagging too, read back, and retagged when the
 * copy's change), so they expire with it. The vault's lifecycle reads no
 * tags: no tagging there.
 */
function grantKeyIndexTagging(role: iam.IRole, indexes: string): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadKeyIndexTags', actions: ['s3:GetObjectTagging'], resources: [indexes] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'TagKeyIndexes',
      actions: ['s3:PutObjectTagging'],
      resources: [indexes],
      conditions: { 'ForAnyValue:StringLike': { 's3:RequestObjectTagKeys': ['redis-dr:*'] } },
    }),
  );
}
