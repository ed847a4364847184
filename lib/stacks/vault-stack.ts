import { VAULT_ARMING_GRACE_DAYS } from '../../lambdas/domain/plans/vault-arming.js';
import { selectsAtRunTime } from '../../lambdas/domain/plans/plan-input.js';
import { CfnOutput, Duration, Lazy, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { PlanConfig, RedisDrConfig, VaultConfig } from '../config/index.js';
import {
  DR_COPY_ALLOWANCE_MINUTES,
  freshnessLimits,
  scrubAgeLimitMinutes,
  vaultDrillAccounts,
  vaultDrillRegion,
  vaultScheduleGroupName,
  vaultVerifyStateMachineName,
} from '../deployment.js';
import { pinFeatureFlags } from '../feature-flags.js';
import { AlertTopic } from '../constructs/alert-topic.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';
import { addCopyVerification, retentionExtensionConditions, type CopyVerification } from '../constructs/dr-copies.js';
import { logRetentionOf } from '../constructs/log-retention.js';
import { AlarmFactory } from '../constructs/monitoring/alarm-factory.js';
import { FreshnessMonitor } from '../constructs/monitoring/freshness-monitor.js';
import { MetricFactory } from '../constructs/monitoring/metric-factory.js';
import type { JobFunction } from '../constructs/job-function.js';
import { DIMENSION, METRIC } from '../../lambdas/domain/alerting/metrics.js';
import { VAULT_SCRUB_RECORDS_PREFIX } from '../../lambdas/domain/scrub/input.js';
import { longestVaultDays, vaultTierDays } from '../../lambdas/domain/vault/vault-retention.js';
import { AccessLogBucket, DR_EVIDENCE_REPLICATION_RULES, sendObjectEventsToEventBridge } from '../constructs/recovery-bucket.js';
import { VaultBucket } from '../constructs/vault/vault-bucket.js';
import { EvidenceKey } from '../constructs/evidence-key.js';
import { VaultScrub } from '../constructs/vault/vault-scrub.js';

/** Props for {@link VaultStack}. */
export interface VaultStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
  /** Its `vault` section. */
  readonly vault: VaultConfig;
  /**
   * An organization's vault (`-c stacks=org-vault`) whose member deployments' DR drills seed from it (a tier's
   * `drill.fromVault`): their drill roles, by name pattern, read their own account's replicas and verdicts.
   * @default false
   */
  readonly memberDrills?: boolean;
  /**
   * An organization's vault (`vault.organizationId`): the member accounts that must replicate into it, each
   * measured under its own `<account>/<region>/` and given a `vault-stale-account-<id>` alarm.
   * @default - none: a vault of listed accounts measures per cache instead
   */
  readonly accounts?: readonly OrgVaultAccount[];
}

/** A member account that must replicate into the organization's vault: its replicas lie under `<account>/<region>/`. */
export interface OrgVaultAccount {
  readonly account: string;
  /** The org's primary region: the member's export bucket, whose replication keeps the key's `<account>/<region>/`. */
  readonly region: string;
  /** The exporting tiers (the vault's plans, by name) of the account's group: its alarm's limit is the longest of their copy limits. */
  readonly plans: readonly string[];
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
  /** Failed replica verifications and stale targets page the vault's topic. */
  public readonly alarms: AlarmFactory;
  /**
   * Measures, every 5 minutes, the age of each target's newest verified replica (the freshness job, as in the DR
   * region); in an organization's vault (`vault.organizationId`), whose replicas lie under each account's
   * `<account>/<region>/`, the age of each member account's newest replica there instead (`accounts`), one bounded
   * listing per account, never the bucket's root; with no account given, only the scrub's records (its dead man's switch).
   */
  public readonly freshness: JobFunction;
  /** The vault's evidence key (docs/attest.md): signs the vault verifier's verdicts and the vault scrub's records. */
  public readonly evidenceKey: EvidenceKey;
  /** Re-reads, daily, a sample of the replicas so every one is re-read within `scrub.days` (docs/scrub.md). */
  public readonly scrub: JobFunction;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config, vault } = props;
    const days = vaultTierDays(vault.retentionDays, vault.tierRetentionDays);
    const accessLogs = new AccessLogBucket(this, 'AccessLogs', { retentionDays: Math.max(365, longestVaultDays(days)) });
    this.vaultBucket = new VaultBucket(this, 'Vault', {
      deployment: config.name,
      vault,
      workloadAccounts: vaultWorkloadAccounts(config, vault),
      replicationRegion: config.primary.region,
      accessLogs: accessLogs.bucket,
      drillAccounts: vaultDrillAccounts(config),
      drillRegion: vaultDrillRegion(config),
      ...(props.memberDrills ? { memberDrills: true } : {}),
      // The DR bucket (there when a plan exports) replicates its reports and drill records here: docs/reports.md, docs/attest.md.
      ...(config.plans.some((p) => p.export.enabled)
        ? { reportsFrom: { region: config.dr.region, prefixes: DR_EVIDENCE_REPLICATION_RULES.map((r) => r.prefix) } }
        : {}),
    });
    this.alerts = new AlertTopic(this, 'Alerts', { emails: config.alerts.emails, httpsEndpoints: config.alerts.httpsEndpoints });
    sendObjectEventsToEventBridge(this.vaultBucket.bucket);
    const deadLetters = new DeadLetterQueue(this, 'DeadLetters');
    const exporting = config.plans.filter((p) => p.export.enabled);
    this.verification = addCopyVerification(new Construct(this, 'Verification'), {
      deployment: config.name,
      bucket: this.vaultBucket.bucket,
      plans: exporting,
      alerts: this.alerts,
      deadLetterQueue: deadLetters.queue,
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
      ...(config.lambda.verifyMemorySizeMb !== undefined ? { memorySizeMb: config.lambda.verifyMemorySizeMb } : {}),
      ...(config.lambda.verifyConcurrency !== undefined ? { concurrency: config.lambda.verifyConcurrency } : {}),
      stateMachineName: vaultVerifyStateMachineName(config.name),
      what: 'vault replica',
      retention: days,
    });
    this.limitRetentionChanges(this.verification.verifier.role, days);
    this.vaultBucket.reserveVerdicts(this.verification.verifier.role);
    // The vault's own evidence key (docs/attest.md), in the vault account: its verifier signs each verdict into the
    // vault's verdict chain, its scrub its records.
    this.evidenceKey = new EvidenceKey(this, 'EvidenceKey', { deployment: config.name, where: 'vault', signs: 'vault verdicts and vault scrub records' });
    this.evidenceKey.grantSign(this.verification.verifier);
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
    // The dead man's switches: per target, the age of its newest complete, verified replica, measured by the
    // freshness job exactly as in the DR region (the vault bucket read as the DR bucket is).
    // Deleted with the stack, as in the Primary and DR stacks: a kept group with a fixed name would make a
    // failed first deploy's retry (or a redeploy after deleting the stack) fail on the name.
    const schedules = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: vaultScheduleGroupName(config.name),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An organization's vault: each member account's newest replica under its own prefix (above), not per cache.
    const byOrganization = vault.organizationId !== undefined;
    const accounts = byOrganization ? (props.accounts ?? []) : [];
    // Always a monitor: an organization's vault with no member account listed yet still has its scrub's records to measure.
    this.freshness = new FreshnessMonitor(this, 'FreshnessMonitor', {
      deployment: config.name,
      where: 'vault',
      plans: byOrganization ? [] : exporting,
      ...(byOrganization ? { accounts: accounts.map(({ account, region }) => ({ account, region })) } : { verifyStateMachine: sm }),
      scheduleGroup: schedules,
      bucket: this.vaultBucket.bucket,
      deadLetterQueue: deadLetters.queue,
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
      // The vault scrub's dead man's switch (made below): its schedule's ARN is read at synth.
      scrub: { recordsPrefix: VAULT_SCRUB_RECORDS_PREFIX, scheduleArn: Lazy.string({ produce: () => scrubSchedule?.scheduleArn }) },
    }).function;
    const { function: scrub, schedule: scrubSchedule } = this.addScrub(config, schedules, deadLetters);
    this.scrub = scrub;
    const metrics = new MetricFactory(config.metricsNamespace);
    const scrubLimit = scrubAgeLimitMinutes();
    this.alarms.addAlarm('scrub-age', metrics.metric(METRIC.scrubRecordAge, { [DIMENSION.bucket]: this.vaultBucket.bucket.bucketName }), {
      suffix: 'vault',
      description: `The daily scrub of the vault left no record under ${VAULT_SCRUB_RECORDS_PREFIX} for ${scrubLimit / 60} h (two runs; before the first, counted from its schedule's creation): its schedule disabled or deleted, or its role broken? Or nothing reports it.`,
      threshold: scrubLimit * 60,
      missing: cloudwatch.TreatMissingData.BREACHING,
      direct: true,
    });
    for (const stale of byOrganization ? [] : vaultStaleAlarms(exporting)) {
      const metric = metrics.metric(METRIC.verifiedCopyAge, { [DIMENSION.plan]: stale.plan, ...(stale.target ? { [DIMENSION.target]: stale.target } : {}) });
      this.alarms.addAlarm('vault-stale', metric, {
        suffix: stale.suffix,
        description:
          `The newest verified vault replica of ${stale.target ? `cache ${stale.target} (plan ${stale.plan})` : `plan ${stale.plan} (its caches are selected by tags)`} ` +
          `is older than the RPO plus ${DR_COPY_ALLOWANCE_MINUTES} min (before the first, counted from the first replica of any cache that reached the vault; if none reached it, from ${VAULT_ARMING_GRACE_DAYS} days after this stack's deploy), or nothing reports it.`,
        threshold: stale.limitMinutes * 60,
        missing: cloudwatch.TreatMissingData.BREACHING,
        direct: true,
      });
    }
    for (const stale of vaultAccountStaleAlarms(exporting, accounts)) {
      this.alarms.addAlarm('vault-stale', metrics.metric(METRIC.vaultAccountReplicaAge, { [DIMENSION.account]: stale.account }), {
        suffix: stale.suffix,
        description:
          `No new replica from account ${stale.account} under ${stale.account}/${stale.region}/ of the vault for longer than its tiers' longest RPO plus ${DR_COPY_ALLOWANCE_MINUTES} min ` +
          `(${stale.plans.join(', ')}), it never sent one, or nothing reports it: its exports or its replication into the vault stopped.`,
        threshold: stale.limitMinutes * 60,
        missing: cloudwatch.TreatMissingData.BREACHING,
        direct: true,
      });
    }
    new CfnOutput(this, VAULT_BUCKET_OUTPUT, { description: 'The vault bucket (Object Lock COMPLIANCE)', value: this.vaultBucket.bucket.bucketName });
  }

  /** The daily scrub of the replicas (docs/scrub.md), its records' prefix reserved, and its failures paged (a bad replica, a PARTIAL run). */
  private addScrub(
    config: RedisDrConfig,
    schedules: scheduler.IScheduleGroup,
    deadLetters: DeadLetterQueue,
  ): { function: JobFunction; schedule: scheduler.Schedule } {
    const made = new VaultScrub(this, 'Scrub', {
      config,
      bucket: this.vaultBucket.bucket,
      alerts: this.alerts,
      scheduleGroup: schedules,
      deadLetterQueue: deadLetters.queue,
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
    });
    const scrub = made.function;
    this.vaultBucket.reserveScrubRecords(scrub.role);
    this.evidenceKey.grantSign(scrub);
    this.alarms.addAlarm('lambda-errors', scrub.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
      description:
        'The vault scrub failed: a replica re-read was bad (paged as rdb-corrupt), the run stopped PARTIAL, or it could not run. Its record is under redis-dr-vault-scrub/.',
      threshold: 1,
      missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      suffix: 'vault-scrub',
      direct: true,
    });
    return { function: scrub, schedule: made.schedule };
  }

  /**
   * The bucket policy's side of the retention grant: nobody but the vault's
   * verifier sets a retention, and it only in COMPLIANCE mode and no longer
   * than the longest tier (an irrevocable lock for a century would be a cost
   * attack). The Deny of deleting and bypassing stays for everyone.
   */
  private limitRetentionChanges(verifier: iam.IRole, days: ReturnType<typeof vaultTierDays>): void {
    const limits = retentionExtensionConditions(days);
    const bucket = this.vaultBucket.bucket;
    const retention = {
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObjectRetention'],
      resources: [bucket.arnForObjects('*')],
    };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({ ...retention, sid: 'OnlyTheVerifierSetsRetention', conditions: { ArnNotEquals: { 'aws:PrincipalArn': verifier.roleArn } } }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({ ...retention, sid: 'RetentionOnlyCompliance', conditions: { StringNotEquals: { 's3:object-lock-mode': limits.mode } } }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        ...retention,
        sid: 'RetentionAtMostTheLongestTier',
        conditions: { NumericGreaterThan: { 's3:object-lock-remaining-retention-days': String(limits.maxRemainingDays) } },
      }),
    );
  }
}

/** The accounts allowed to replicate into the vault: `vault.workloadAccounts`, else `primary.account`. */
export function vaultWorkloadAccounts(config: RedisDrConfig, vault: VaultConfig): string[] {
  // Granted by organization (lib/constructs/vault/org-grants.ts): no account is listed.
  if (vault.organizationId !== undefined) return [];
  if (vault.workloadAccounts) return [...vault.workloadAccounts];
  if (!config.primary.account) throw new Error('vault needs primary.account (the config checks refuse it without)');
  return [config.primary.account];
}

/** One vault-stale alarm of an organization's vault: a member account that must replicate into it. */
export interface VaultAccountStaleAlarm extends OrgVaultAccount {
  /** `account-<id>`: the alarm is `redis-dr-<deployment>-vault-stale-account-<id>`. */
  readonly suffix: string;
  /** The age limit: the longest DR-copy limit (RPO + allowance) of the account's exporting tiers. */
  readonly limitMinutes: number;
}

/**
 * One alarm per member account of an organization's vault: its limit is the longest copy limit of its tiers (the
 * vault's plans by those names), so an account doing what its slowest tier says is never paged.
 * @throws Error when an account names a plan the vault does not export (the org vault's props and accounts disagree)
 */
export function vaultAccountStaleAlarms(plans: readonly PlanConfig[], accounts: readonly OrgVaultAccount[]): VaultAccountStaleAlarm[] {
  return accounts.map((a) => {
    const limits = a.plans.map((name) => {
      const plan = plans.find((p) => p.name === name && p.export.enabled);
      if (!plan)
        throw new Error(`vault account ${a.account}: tier ${name} does not export into this vault (its plans: ${plans.map((p) => p.name).join(', ')})`);
      return freshnessLimits(plan).copyAge;
    });
    return { ...a, suffix: `account-${a.account}`, limitMinutes: Math.max(...limits) };
  });
}

/** One vault-stale alarm: a named target of a plan, or a tag-selected plan as a whole. */
export interface VaultStaleAlarm {
  readonly plan: string;
  /** The cache (ElastiCache lowercases ids); absent for a plan that selects its caches by tags. */
  readonly target?: string;
  /** `<plan>-<target>` or `<plan>`: the alarm is `redis-dr-<deployment>-vault-stale-<suffix>`. */
  readonly suffix: string;
  /** The age limit: the plan's DR-copy limit (RPO + allowance). */
  readonly limitMinutes: number;
}

/**
 * The vault's dead man's switches: one per target the exporting plans name
 * (the config knows them), one per plan that selects its caches at run time
 * (by tags, or those without a tag: their names are known only at run time: the plan's worst target).
 */
export function vaultStaleAlarms(plans: readonly PlanConfig[]): VaultStaleAlarm[] {
  const alarms: VaultStaleAlarm[] = [];
  for (const plan of plans.filter((p) => p.export.enabled)) {
    const limitMinutes = freshnessLimits(plan).copyAge;
    const named = [...plan.targets.replicationGroupIds, ...plan.targets.serverlessCacheNames].map((id) => id.toLowerCase());
    for (const target of named) alarms.push({ plan: plan.name, target, suffix: `${plan.name}-${target}`, limitMinutes });
    if (selectsAtRunTime(plan.targets)) alarms.push({ plan: plan.name, suffix: plan.name, limitMinutes });
  }
  return alarms;
}
