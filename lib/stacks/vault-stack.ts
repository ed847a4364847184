import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Construct } from 'constructs';
import type { RedisDrConfig, VaultConfig } from '../config/index.js';
import { freshnessLimits, vaultDrillAccounts, vaultVerifyStateMachineName } from '../deployment.js';
import { pinFeatureFlags } from '../feature-flags.js';
import { AlertTopic } from '../constructs/alert-topic.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';
import { addCopyVerification, type CopyVerification } from '../constructs/dr-copies.js';
import { logRetentionOf } from '../constructs/log-retention.js';
import { AlarmFactory } from '../constructs/monitoring/alarm-factory.js';
import { AccessLogBucket, sendObjectEventsToEventBridge } from '../constructs/recovery-bucket.js';
import { VaultBucket } from '../constructs/vault-bucket.js';

/** Props for {@link VaultStack}. */
export interface VaultStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
  /** Its `vault` section. */
  readonly vault: VaultConfig;
}

/** Output holding the vault bucket's name. */
export const VAULT_BUCKET_OUTPUT = 'VaultBucketName';

/**
 * The vault account (config `vault`), deployed with that account's
 * credentials: the Object Lock bucket the export bucket replicates into, its
 * access logs, and the vault's own alert topic, so that nothing in the
 * workload account can delete the copies or the topic that pages about them.
 */
export class VaultStack extends Stack {
  /** The vault bucket. */
  public readonly vaultBucket: VaultBucket;
  /** Alerts of the vault account. */
  public readonly alerts: AlertTopic;
  /** verify-rdb of every replica, judged by a principal of the vault account. */
  public readonly verification: CopyVerification;
  /** Failed replica verifications page the vault's topic. */
  public readonly alarms: AlarmFactory;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, vault } = props;
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retentionDays: Math.max(365, vault.retentionDays) });
    this.vaultBucket = new VaultBucket(this, 'Vault', {
      deployment: config.name,
      vault,
      workloadAccounts: vaultWorkloadAccounts(config, vault),
      accessLogs: accessLogs.bucket,
      drillAccounts: vaultDrillAccounts(config),
    });
    this.alerts = new AlertTopic(this, 'Alerts', { emails: config.alerts.emails, httpsEndpoints: config.alerts.httpsEndpoints });
    sendObjectEventsToEventBridge(this.vaultBucket.bucket);
    const deadLetters = new DeadLetterQueue(this, 'DeadLetters');
    this.verification = addCopyVerification(new Construct(this, 'Verification'), {
      deployment: config.name,
      bucket: this.vaultBucket.bucket,
      plans: config.plans.filter((p) => p.export.enabled),
      alerts: this.alerts,
      deadLetterQueue: deadLetters.queue,
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
      stateMachineName: vaultVerifyStateMachineName(config.name),
      what: 'vault replica',
    });
    // Straight to the topic: the vault has no alert formatter (its pages are few and self-explaining).
    const page = new actions.SnsAction(this.alerts.topic);
    this.alarms = new AlarmFactory(this, config.name, { formatter: page, direct: page });
    const sm = this.verification.stateMachine;
    const period = Duration.minutes(5);
    this.alarms.addAlarm(
      'verify-failed',
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: sm.metricFailed({ statistic: 'Sum', period }),
          timedOut: sm.metricTimedOut({ statistic: 'Sum', period }),
          aborted: sm.metricAborted({ statistic: 'Sum', period }),
        },
        period,
        label: 'vault verify executions failed, timed out or aborted',
      }),
      {
        description: 'A vault replica verification failed every retry, timed out or was aborted: the replica has no verdict.',
        threshold: 1,
        missing: cloudwatch.TreatMissingData.NOT_BREACHING,
        suffix: 'vault',
        direct: true,
      },
    );
    // The dead man's switch: every replica that lands starts a verification, so hours without a start
    // mean nothing reaches the vault. Per deployment, at the shortest DR-copy limit of the exporting plans.
    const hours = vaultSilenceHours(config);
    this.alarms.addAlarm('vault-stale', sm.metricStarted({ statistic: 'Sum', period: Duration.hours(1) }), {
      description: `No replica reached the vault for ${hours} hour(s) (the shortest DR-copy limit of the exporting plans).`,
      threshold: 1,
      missing: cloudwatch.TreatMissingData.BREACHING,
      direct: true,
      below: { evaluationPeriods: hours },
    });
    new CfnOutput(this, VAULT_BUCKET_OUTPUT, { description: 'The vault bucket (Object Lock COMPLIANCE)', value: this.vaultBucket.bucket.bucketName });
  }
}

/** The accounts allowed to replicate into the vault: `vault.workloadAccounts`, else `primary.account`. */
export function vaultWorkloadAccounts(config: RedisDrConfig, vault: VaultConfig): string[] {
  if (vault.workloadAccounts) return [...vault.workloadAccounts];
  if (!config.primary.account) throw new Error('vault needs primary.account (the config checks refuse it without)');
  return [config.primary.account];
}

/**
 * Hours without a replica before the vault's dead man's switch pages: the
 * shortest DR-copy age limit (RPO + allowance) of the exporting plans, in
 * whole hours, at most 24 (a CloudWatch alarm evaluates at most a day of hourly periods).
 */
export function vaultSilenceHours(config: RedisDrConfig): number {
  const limits = config.plans.filter((p) => p.export.enabled).map((p) => freshnessLimits(p).copyAge);
  return Math.min(24, Math.ceil(Math.min(...limits) / 60));
}
