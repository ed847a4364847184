import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import type { RedisDrConfig } from '../config/index.js';
import { recoveryBucketName as bucketName, drillReportRoleName, scheduleGroupName, vaultBucketName } from '../deployment.js';
import { nagPseudoParameters } from '../constructs/elasticache-arns.js';
import { grantDrillRecords, grantSignByAlias } from '../constructs/evidence-key.js';
import { pinFeatureFlags } from '../feature-flags.js';
import { DeadLetterQueue } from '../constructs/dead-letter-queue.js';
import { AlertTopic } from '../constructs/alert-topic.js';
import { addPageIntegrations, type PageIntegrations } from '../constructs/page-integrations.js';
import { DrExport } from '../constructs/dr-export.js';
import { recoveryBucketName, REPLICATION_RULE_ID, VAULT_REPLICATION_RULE_ID } from '../constructs/recovery-bucket.js';
import { Monitoring, watchAllFunctions } from '../constructs/monitoring/index.js';
import { drillPlans, requireDrillNetwork, RestoreDrill } from '../constructs/restore-drill/index.js';
import { logRetentionOf } from '../constructs/log-retention.js';
import { stackNetwork } from '../constructs/network-parameters.js';
import { SecretsManagerEndpoint } from '../constructs/secrets-manager-endpoint.js';
import { SnapshotPruning } from '../constructs/snapshot-pruning.js';
import { SnapshotSchedule } from '../constructs/snapshot-schedule.js';

/** Props for {@link PrimaryStack}. */
export interface PrimaryStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
}

/**
 * The primary region: scheduled snapshots, their pruning, and (for plans
 * that export) the export bucket, its replication and the export reconciler. Composes
 * constructs only; each capability lives in `lib/constructs/`.
 */
export class PrimaryStack extends Stack {
  /** Dead-letter queue of every scheduled function in this region. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /** Scheduled snapshots. */
  public readonly snapshots: SnapshotSchedule;
  /** GFS pruning. */
  public readonly pruning: SnapshotPruning;
  /** Export to S3 and replication to the DR region; only when a plan exports. */
  public readonly export?: DrExport;
  /** Alerts of this region. */
  public readonly alerts: AlertTopic;
  /** Delivery of every page to `alerts.integrations` in its own format; only when the config names any. */
  public readonly pageIntegrations?: PageIntegrations;
  /** Freshness monitor, alert formatter and alarms of this region. */
  public readonly monitoring: Monitoring;
  /** Restore drills from native snapshots; only when a plan drills here. */
  public readonly drills?: RestoreDrill;
  /** The opt-in Secrets Manager endpoint of the caches' VPC (`network.secretsManagerEndpoint`). */
  public readonly secretsManagerEndpoint?: SecretsManagerEndpoint;

  constructor(scope: Construct, id: string, props: PrimaryStackProps) {
    super(scope, id, props);
    pinFeatureFlags(this);
    const { config } = props;
    const common = {
      deployment: config.name,
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
      memorySizeMb: config.lambda.memorySizeMb,
    };

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters');
    // The config's ids, or (network.fromSsm) stack parameters CloudFormation resolves in each account.
    const network = stackNetwork(this, config.network);
    if (network?.secretsManagerEndpoint) this.secretsManagerEndpoint = new SecretsManagerEndpoint(this, 'SecretsManagerEndpoint', network);
    const group = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: scheduleGroupName(config.name, 'primary'),
      // Nothing to keep in a group: a retained one of a fixed name would fail the retry of a failed first deploy.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.snapshots = new SnapshotSchedule(this, 'Snapshots', {
      plans: config.plans,
      network,
      scheduleGroup: group,
      deadLetterQueue: this.deadLetterQueue.queue,
      ...common,
    });
    this.pruning = new SnapshotPruning(this, 'Pruning', {
      plans: config.plans,
      scheduleGroup: group,
      deadLetterQueue: this.deadLetterQueue.queue,
      ...common,
    });
    this.alerts = new AlertTopic(this, 'Alerts', {
      emails: config.alerts.emails,
      httpsEndpoints: config.alerts.httpsEndpoints,
      existingTopicArn: config.alerts.existingTopicArns.primary,
    });
    this.pageIntegrations = addPageIntegrations(this, this.alerts, config, this.deadLetterQueue.queue);
    const drilling = drillPlans(config.plans, 'primary');
    // With a DR bucket (a plan exports), the DR stack holds the evidence key: drill records are signed and kept there.
    const evidence = config.plans.some((p) => p.export.enabled);
    if (drilling.length > 0) {
      this.drills = new RestoreDrill(this, 'Drills', {
        plans: drilling,
        ...(evidence ? { reportRoleName: drillReportRoleName(config.name, config.primary.region) } : {}),
        where: 'primary',
        network: requireDrillNetwork(network, 'network'),
        scheduleGroup: group,
        deadLetterQueue: this.deadLetterQueue.queue,
        alerts: this.alerts,
        ...common,
      });
      if (evidence) {
        grantSignByAlias(this.drills.reportFunction, config.name, config.dr.region);
        const name = recoveryBucketName(this, config.name, config.dr.region);
        const nag = nagPseudoParameters(this);
        grantDrillRecords(this.drills.reportFunction, {
          bucketArn: `arn:${this.partition}:s3:::${name}`,
          bucketName: name,
          nagArn: `arn:${nag.partition}:s3:::${bucketName(config.name, nag.account, config.dr.region)}`,
          ...(config.vault?.organizationId !== undefined ? { orgEvidenceRegion: config.dr.region } : {}),
        });
      }
    }
    if (config.plans.some((p) => p.export.enabled)) {
      this.export = new DrExport(this, 'DrExport', {
        plans: config.plans,
        dr: config.dr,
        vault: config.vault,
        scheduleGroup: group,
        deadLetterQueue: this.deadLetterQueue.queue,
        ...common,
      });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      where: 'primary',
      plans: config.plans,
      alerts: this.alerts,
      deadLetterQueue: this.deadLetterQueue.queue,
      scheduleGroup: group,
      drillStateMachine: this.drills?.stateMachine,
      coverageAlarm: config.coverage.alarm,
      // S3 publishes replication metrics only with RTC or replication metrics on.
      replication:
        this.export && (config.dr.replicationTimeControl || config.dr.replicationMetrics)
          ? {
              sourceBucket: this.export.bucket.bucket.bucketName,
              destinationBucket: recoveryBucketName(this, config.name, config.dr.region),
              ruleId: REPLICATION_RULE_ID,
            }
          : undefined,
      vaultReplication:
        this.export && config.vault
          ? {
              sourceBucket: this.export.bucket.bucket.bucketName,
              destinationBucket: vaultBucketName(config.name, config.vault),
              ruleId: VAULT_REPLICATION_RULE_ID,
            }
          : undefined,
      ...common,
    });
    watchAllFunctions(this, this.monitoring);
    // Last: the dashboard shows every alarm added above.
    this.monitoring.addDashboard();
  }
}
