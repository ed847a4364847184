import { Lazy, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import type { RedisDrConfig } from '../config/index.js';
import { drillReportRoleName, drillsFromVault, vaultDrillPrefix, drNamesVpc, scheduleGroupName, vaultBucketName } from '../deployment.js';
import { pinFeatureFlags } from '../feature-flags.js';
import { logRetentionOf } from '../constructs/log-retention.js';
import { stackNetwork } from '../constructs/network-parameters.js';
import { SecretsManagerEndpoint } from '../constructs/secrets-manager-endpoint.js';
import { AlertTopic } from '../constructs/alert-topic.js';
import { addPageIntegrations, type PageIntegrations } from '../constructs/page-integrations.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';
import { DrCopies } from '../constructs/dr-copies.js';
import { DrReport } from '../constructs/dr-report.js';
import { DrScrub } from '../constructs/dr-scrub.js';
import { SCRUB_RECORDS_PREFIX } from '../../lambdas/domain/scrub/input.js';
import { nagArnRef } from '../constructs/elasticache-arns.js';
import { EvidenceKey, grantDrillRecords } from '../constructs/evidence-key.js';
import { Monitoring, watchAllFunctions } from '../constructs/monitoring/index.js';
import { drillPlans, requireDrillNetwork, RestoreDrill, type RestoreDrillProps } from '../constructs/restore-drill/index.js';

/** Props for {@link DrStack}. */
export interface DrStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
}

/**
 * The DR region: the replicated copies and their verification (when a plan
 * exports), the region's alert topic, and what DR-side capabilities share:
 * the schedule group and the dead-letter queue.
 */
export class DrStack extends Stack {
  /** Dead-letter queue of every scheduled function in this region. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /** Scheduler group of the DR region. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Alerts of this region. */
  public readonly alerts: AlertTopic;
  /** Delivery of every page to `alerts.integrations` in its own format; only when the config names any. */
  public readonly pageIntegrations?: PageIntegrations;
  /** The DR bucket and the verify-rdb function; only when a plan exports. */
  public readonly copies?: DrCopies;
  /** Freshness monitor, alert formatter and alarms of this region. */
  public readonly monitoring: Monitoring;
  /** Restore drills from the verified copies; only when a plan drills here. */
  public readonly drills?: RestoreDrill;
  /** The scheduled DR report (config `report`); only with the DR bucket it writes into. */
  public readonly report?: DrReport;
  /** The daily scrub of the DR bucket's copies (docs/scrub.md); only with the DR bucket. */
  public readonly scrub?: DrScrub;
  /** The deployment's evidence key (docs/attest.md): signs the DR scrub's records, the DR verifier's verdicts, the scheduled reports and the drills' records; with the DR bucket. */
  public readonly evidenceKey?: EvidenceKey;
  /** The opt-in Secrets Manager endpoint of the DR VPC (`dr.network.secretsManagerEndpoint`). */
  public readonly secretsManagerEndpoint?: SecretsManagerEndpoint;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters');
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: scheduleGroupName(props.config.name, 'dr'),
      // Nothing to keep in a group: a retained one of a fixed name would fail the retry of a failed first deploy.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const { config } = props;
    // The config's ids, or (dr.network.fromSsm) stack parameters CloudFormation resolves in each account; the VPC id
    // only where a serverless drill's endpoint grant names it.
    const network = stackNetwork(this, config.dr.network, { vpcId: drNamesVpc(config.plans) });
    if (network?.secretsManagerEndpoint) this.secretsManagerEndpoint = new SecretsManagerEndpoint(this, 'SecretsManagerEndpoint', network);
    this.alerts = new AlertTopic(this, 'Alerts', {
      emails: config.alerts.emails,
      httpsEndpoints: config.alerts.httpsEndpoints,
      existingTopicArn: config.alerts.existingTopicArns.dr,
    });
    this.pageIntegrations = addPageIntegrations(this, this.alerts, config, this.deadLetterQueue.queue);
    const exporting = config.plans.filter((p) => p.export.enabled);
    if (exporting.length > 0) {
      this.copies = new DrCopies(this, 'Copies', {
        deployment: config.name,
        plans: exporting,
        dr: config.dr,
        alerts: this.alerts,
        deadLetterQueue: this.deadLetterQueue.queue,
        logRetention: logRetentionOf(config.lambda.logRetentionDays),
        metricsNamespace: config.metricsNamespace,
        ...(config.lambda.verifyMemorySizeMb !== undefined ? { verifyMemorySizeMb: config.lambda.verifyMemorySizeMb } : {}),
        ...(config.lambda.verifyConcurrency !== undefined ? { verifyConcurrency: config.lambda.verifyConcurrency } : {}),
        ...(config.vault ? { vault: config.vault } : {}),
      });
    }
    const drilling = drillPlans(config.plans, 'dr');
    if (drilling.length > 0 && this.copies) {
      this.drills = new RestoreDrill(this, 'Drills', {
        deployment: config.name,
        plans: drilling,
        where: 'dr',
        network: requireDrillNetwork(network, 'dr.network'),
        bucket: this.copies.bucket.bucket,
        vault: vaultDrillSource(this, config),
        scheduleGroup: this.scheduleGroup,
        deadLetterQueue: this.deadLetterQueue.queue,
        alerts: this.alerts,
        logRetention: logRetentionOf(config.lambda.logRetentionDays),
        metricsNamespace: config.metricsNamespace,
        memorySizeMb: config.lambda.memorySizeMb,
      });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      deployment: config.name,
      where: 'dr',
      plans: config.plans,
      alerts: this.alerts,
      deadLetterQueue: this.deadLetterQueue.queue,
      scheduleGroup: this.scheduleGroup,
      bucket: this.copies?.bucket.bucket,
      verifyStateMachine: this.copies?.stateMachine,
      drillStateMachine: this.drills?.stateMachine,
      coverageAlarm: config.coverage.alarm,
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
      memorySizeMb: config.lambda.memorySizeMb,
      // The scrub (made below, with the copies) and its dead man's switch: its schedule's ARN is read at synth.
      ...(this.copies ? { scrub: { recordsPrefix: SCRUB_RECORDS_PREFIX, scheduleArn: Lazy.string({ produce: () => this.scrub?.schedule.scheduleArn }) } } : {}),
    });
    if (this.copies) {
      this.report = new DrReport(this, 'Report', {
        config,
        bucket: this.copies.bucket.bucket,
        alerts: this.alerts,
        scheduleGroup: this.scheduleGroup,
        deadLetterQueue: this.deadLetterQueue.queue,
        logRetention: logRetentionOf(config.lambda.logRetentionDays),
        metricsNamespace: config.metricsNamespace,
        memorySizeMb: config.lambda.memorySizeMb,
      });
      this.scrub = new DrScrub(this, 'Scrub', {
        config,
        bucket: this.copies.bucket.bucket,
        alerts: this.alerts,
        scheduleGroup: this.scheduleGroup,
        deadLetterQueue: this.deadLetterQueue.queue,
        logRetention: logRetentionOf(config.lambda.logRetentionDays),
        metricsNamespace: config.metricsNamespace,
      });
      this.evidenceKey = new EvidenceKey(this, 'EvidenceKey', {
        deployment: config.name,
        where: 'DR region',
        signs: 'scrub records, DR verdicts, scheduled reports and drill records',
      });
      this.evidenceKey.grantSign(this.scrub.function);
      this.evidenceKey.grantSign(this.report.function);
      // The drills' records, both regions', in this bucket: this region's drill report by reference, the primary's by name.
      if (this.drills) {
        this.evidenceKey.grantSign(this.drills.reportFunction);
        const { bucket } = this.copies.bucket;
        grantDrillRecords(this.drills.reportFunction, {
          bucketArn: bucket.bucketArn,
          bucketName: bucket.bucketName,
          nagArn: nagArnRef(bucket),
          ...(config.vault?.organizationId !== undefined ? { orgEvidenceRegion: config.dr.region } : {}),
        });
      }
      if (drillPlans(config.plans, 'primary').length > 0)
        this.evidenceKey.allowSigner(`arn:${this.partition}:iam::${this.account}:role/${drillReportRoleName(config.name, config.primary.region)}`);
      // Each DR verdict is signed into the DR bucket's verdict chain (docs/attest.md).
      this.evidenceKey.grantSign(this.copies.verifier);
    }
    watchAllFunctions(this, this.monitoring);
    // Last: the dashboard shows every alarm added above.
    this.monitoring.addDashboard();
  }
}

/**
 * The vault bucket the DR drills of plans with `drill.fromVault` seed from
 * (named by the config: another account's, deployed first), or `undefined`
 * when no plan drills from the vault.
 */
function vaultDrillSource(scope: Construct, config: RedisDrConfig): RestoreDrillProps['vault'] {
  const { vault } = config;
  if (!vault || !config.plans.some((p) => drillsFromVault(config, p))) return undefined;
  const bucket = s3.Bucket.fromBucketAttributes(scope, 'VaultBucket', {
    bucketName: vaultBucketName(config.name, vault),
    account: vault.account,
    region: vault.region,
  });
  // An organization's vault: this account's replicas are under `<account>/<primary region>/` (the account resolved at deploy).
  const prefix = vaultDrillPrefix(config, Stack.of(scope).account);
  return {
    bucket,
    account: vault.account,
    region: vault.region,
    ...(vault.deployment ? { deployment: vault.deployment } : {}),
    ...(prefix ? { prefix } : {}),
  };
}
