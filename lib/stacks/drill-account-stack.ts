import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import type { DrillAccountConfig, PlanConfig, RedisDrConfig, VaultConfig } from '../config/index.js';
import { drillAccountPlans, drillAccountScheduleGroupName, freshnessLimits, recoveryBucketName } from '../deployment.js';
import { pinFeatureFlags } from '../feature-flags.js';
import { AlertTopic } from '../constructs/alert-topic.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';
import { nagArnRef } from '../constructs/elasticache-arns.js';
import { EvidenceKey, grantDrillRecords } from '../constructs/evidence-key.js';
import type { JobFunction } from '../constructs/job-function.js';
import { logRetentionOf } from '../constructs/log-retention.js';
import { AlarmFactory } from '../constructs/monitoring/alarm-factory.js';
import { FreshnessMonitor } from '../constructs/monitoring/freshness-monitor.js';
import { MetricFactory } from '../constructs/monitoring/metric-factory.js';
import { stackNetwork } from '../constructs/network-parameters.js';
import { AccessLogBucket, RecoveryBucket } from '../constructs/recovery-bucket.js';
import { requireDrillNetwork, RestoreDrill } from '../constructs/restore-drill/index.js';
import { SecretsManagerEndpoint } from '../constructs/secrets-manager-endpoint.js';
import { DRILL_EVIDENCE_PREFIX } from '../../lambdas/domain/drills/evidence-record.js';
import { METRIC } from '../../lambdas/domain/alerting/metrics.js';

/** Props for {@link DrillAccountStack}. */
export interface DrillAccountStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
  /** Its `drillAccount` section. */
  readonly drillAccount: DrillAccountConfig;
  /** Its `vault` section: the drills seed from the vault's replicas, in the vault's region. */
  readonly vault: VaultConfig;
  /** The workload account (config `primary.account`): its report reads the drills' records here, nothing else. */
  readonly workloadAccount: string;
}

/** Output holding the drill bucket's name (seed copies and the drills' signed records). */
export const DRILL_BUCKET_OUTPUT = 'DrillBucketName';

/**
 * The separate drill account (config `drillAccount`; DORA art. 12, NIST
 * CP-9(2): restores on systems segregated from the source), deployed with
 * that account's credentials (`-c stacks=drill`), in the vault's region. It
 * holds the restore-drill state machine of the plans with `drill.account`
 * (lib/constructs/restore-drill, as the DR region's: every drill from the
 * vault), a bucket of its own in which the chosen replica is copied for the
 * seed (ElastiCache seeds from a bucket of the cluster's own account and
 * region) and the drills' signed records are kept, its evidence key, alert
 * topic, schedules and reaper. It trusts neither the workload account nor the
 * vault: the vault's policy lets its two drill roles read replicas (nothing
 * more), and its bucket lets the workload account read the records' prefix
 * (nothing more), which the workload's report shows as this account's drills.
 */
export class DrillAccountStack extends Stack {
  /** The drill bucket: seed copies (`redis-dr-drill-seeds/`, deleted by each drill) and the signed drill records (`drills/`). */
  public readonly bucket: RecoveryBucket;
  /** The drills: state machine, functions, schedules, reaper. */
  public readonly drills: RestoreDrill;
  /** Alerts of the drill account (every drill's report, passed or failed). */
  public readonly alerts: AlertTopic;
  /** The drill account's own evidence key: signs its drill records (docs/attest.md). */
  public readonly evidenceKey: EvidenceKey;
  /** Measures each plan's last good drill every 5 minutes (the `drill-age` dead man's switch). */
  public readonly freshness: JobFunction;
  /** The opt-in Secrets Manager endpoint of the drill account's VPC (`drillAccount.network.secretsManagerEndpoint`). */
  public readonly secretsManagerEndpoint?: SecretsManagerEndpoint;

  constructor(scope: Construct, id: string, props: DrillAccountStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, vault } = props;
    const plans = drillAccountPlans(config.plans);
    if (plans.length === 0)
      throw new Error(`redis-dr ${config.name}: no plan drills in the drill account (drill.account): the drill account's stack would hold nothing`);
    const deadLetters = new DeadLetterQueue(this, 'DeadLetters');
    const schedules = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: drillAccountScheduleGroupName(config.name),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const network = stackNetwork(this, props.drillAccount.network);
    if (network?.secretsManagerEndpoint) this.secretsManagerEndpoint = new SecretsManagerEndpoint(this, 'SecretsManagerEndpoint', network);
    this.alerts = new AlertTopic(this, 'Alerts', { emails: config.alerts.emails, httpsEndpoints: config.alerts.httpsEndpoints });
    const logRetention = logRetentionOf(config.lambda.logRetentionDays);
    const accessLogs = new AccessLogBucket(this, 'AccessLogs');
    // 'Copies': the DR bucket's id, whose findings (SSE-S3 for seeding) this bucket shares (docs/deploying.md#governed-accounts).
    this.bucket = new RecoveryBucket(this, 'Copies', {
      deployment: config.name,
      plans,
      elastiCacheAccess: 'seed',
      elastiCacheAccessRoute: config.dr.elastiCacheBucketAccess,
      logRetention,
      accessLogs: accessLogs.bucket,
      // Object events as the DR bucket's (Control Tower's CT.S3.PR.4); nothing listens to them yet.
      eventBridgeEnabled: true,
    });
    // Object Lock on (Control Tower's CT.S3.PR.9), with no default retention: each drill deletes its seed copy, which
    // a default retention would forbid (as dr.objectLock does for the workload's vault drills). The records are kept
    // by the bucket policy below (nobody deletes or overwrites them).
    (this.bucket.bucket.node.defaultChild as s3.CfnBucket).objectLockEnabled = true;
    const vaultBucket = s3.Bucket.fromBucketAttributes(this, 'VaultBucket', {
      bucketName: recoveryBucketName(config.name, vault.account, vault.region),
      account: vault.account,
      region: vault.region,
    });
    this.drills = new RestoreDrill(this, 'Drills', {
      deployment: config.name,
      plans,
      where: 'dr',
      network: requireDrillNetwork(network, 'drillAccount.network'),
      bucket: this.bucket.bucket,
      // Every plan here drills from the vault: the bucket takes seed copies only, the select function reads the vault.
      selectsFromBucket: false,
      vault: { bucket: vaultBucket, account: vault.account, region: vault.region },
      scheduleGroup: schedules,
      deadLetterQueue: deadLetters.queue,
      alerts: this.alerts,
      logRetention,
      metricsNamespace: config.metricsNamespace,
      memorySizeMb: config.lambda.memorySizeMb,
    });
    this.evidenceKey = new EvidenceKey(this, 'EvidenceKey', { deployment: config.name, where: 'drill account', signs: 'drill records' });
    this.evidenceKey.grantSign(this.drills.reportFunction);
    const { bucket } = this.bucket;
    grantDrillRecords(this.drills.reportFunction, { bucketArn: bucket.bucketArn, bucketName: bucket.bucketName, nagArn: nagArnRef(bucket) });
    this.reserveRecords(this.drills.reportFunction.role, props.workloadAccount);
    this.freshness = this.addDeadMansSwitch(config, plans, schedules, deadLetters, logRetention);
    new CfnOutput(this, DRILL_BUCKET_OUTPUT, {
      description: "The drill account's bucket: seed copies and the drills' signed records",
      value: bucket.bucketName,
    });
  }

  /**
   * The drills' dead man's switch, as the DR region's: the freshness job
   * measures, every 5 minutes, each plan's last good drill of this account's
   * state machine (before the first, from the state machine's creation), and
   * `drill-age` pages this account's topic when it is older than the drill
   * interval plus the drill time, or when nothing reports it.
   */
  private addDeadMansSwitch(
    config: RedisDrConfig,
    plans: readonly PlanConfig[],
    schedules: scheduler.IScheduleGroup,
    deadLetters: DeadLetterQueue,
    logRetention: ReturnType<typeof logRetentionOf>,
  ): JobFunction {
    const freshness = new FreshnessMonitor(this, 'FreshnessMonitor', {
      deployment: config.name,
      where: 'drill',
      plans,
      scheduleGroup: schedules,
      drillStateMachine: this.drills.stateMachine,
      deadLetterQueue: deadLetters.queue,
      logRetention,
      metricsNamespace: config.metricsNamespace,
    }).function;
    // Straight to the topic, as the vault's: the drill account has no alert formatter.
    const page = new actions.SnsAction(this.alerts.topic);
    const alarms = new AlarmFactory(this, config.name, { formatter: page, direct: page });
    const metrics = new MetricFactory(config.metricsNamespace);
    for (const plan of plans) {
      const limit = freshnessLimits(plan).lastDrillAge;
      alarms.addAlarm('drill-age', metrics.plan(METRIC.lastDrillAge, plan.name), {
        suffix: plan.name,
        description: `No successful drill of plan ${plan.name} in the drill account within its drill interval plus the drill time (${Math.round(limit / 60)} h; before the first, counted from the drill state machine's creation), or nothing reports it.`,
        threshold: limit * 60,
        missing: cloudwatch.TreatMissingData.BREACHING,
        direct: true,
      });
    }
    return freshness;
  }

  /**
   * The records' prefix in the bucket policy: only the drill report's role
   * puts there (every other `s3:PutObject*` and every delete denied to
   * everyone, the account's administrators included: a record is evidence),
   * and the workload account may list and read it (its report shows these
   * drills), nothing else of the bucket.
   */
  private reserveRecords(writer: iam.IRole, workloadAccount: string): void {
    const { bucket } = this.bucket;
    const records = bucket.arnForObjects(`${DRILL_EVIDENCE_PREFIX}*`);
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheDrillReportWritesRecords',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject*', 's3:ReplicateObject', 's3:ReplicateTags'],
        resources: [records],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writer.roleArn } },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NobodyDeletesRecords',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectRetention', 's3:PutObjectLegalHold'],
        resources: [records],
      }),
    );
    const workload = new iam.AccountPrincipal(workloadAccount);
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'WorkloadReadsRecords', principals: [workload], actions: ['s3:GetObject'], resources: [records] }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WorkloadListsRecords',
        principals: [workload],
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${DRILL_EVIDENCE_PREFIX}*`] } },
      }),
    );
  }
}
