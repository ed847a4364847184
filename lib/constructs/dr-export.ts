import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DrConfig } from '../config';
import type { ScheduledCapabilityProps } from './scheduled-capability';
import type { ExportRunInput } from '../../lambdas/domain/plan-input';
import { TAGS } from '../../lambdas/domain/types';
import { acknowledgeSnapshotWildcards, deploymentSnapshotTags, managedSnapshotArns, nagArnRef } from './elasticache-arns';
import { HouseFunction } from './house-function';
import { PlanSchedules } from './plan-schedules';
import { AccessLogBucket, RecoveryBucket, recoveryBucketName } from './recovery-bucket';

/** Props for {@link DrExport}. */
export interface DrExportProps extends ScheduledCapabilityProps {
  /** The DR region and its bucket options (replication settings). */
  readonly dr: DrConfig;
}

/** Wall-clock budget of one export run. */
const EXPORT_BUDGET_SECONDS = 300;

/**
 * Export to S3 and replication to the DR region: the export bucket (written
 * by ElastiCache, replicated to the DR bucket of the DR stack by its
 * deterministic name), and the export reconciler, scheduled per plan with
 * export enabled.
 */
export class DrExport extends Construct {
  public readonly bucket: RecoveryBucket;
  public readonly accessLogs: AccessLogBucket;
  public readonly function: HouseFunction;
  public readonly schedules: PlanSchedules;

  constructor(scope: Construct, id: string, props: DrExportProps) {
    super(scope, id);
    const plans = props.plans.filter((p) => p.export.enabled);

    const drBucket = s3.Bucket.fromBucketAttributes(this, 'DrBucket', {
      bucketName: recoveryBucketName(this, props.deployment, props.dr.region),
      region: props.dr.region,
    });
    this.accessLogs = new AccessLogBucket(this, 'AccessLogs');
    this.bucket = new RecoveryBucket(this, 'Exports', {
      deployment: props.deployment,
      plans,
      elastiCacheAccess: 'export',
      accessLogs: this.accessLogs.bucket,
      replicateTo: { bucket: drBucket, region: props.dr.region, timeControl: props.dr.replicationTimeControl, metrics: props.dr.replicationMetrics },
    });

    this.function = new HouseFunction(this, 'Export', {
      handler: 'export',
      description: 'redis-dr: export available snapshots to S3 (replicated to the DR region) and tag the copies',
      timeout: Duration.seconds(EXPORT_BUDGET_SECONDS + 60),
      memorySizeMb: props.memorySizeMb,
      logRetention: props.logRetention,
      serviceName: 'redis-dr-export',
      metricsNamespace: props.metricsNamespace,
      onFailureQueue: props.deadLetterQueue,
      // A reconciler: the next scheduled run repairs a failed one.
      asyncRetryAttempts: 0,
      maxEventAge: Duration.minutes(15),
    });
    grantExport(this.function.role, this.bucket.bucket, props.deployment);

    this.schedules = new PlanSchedules(this, 'Schedules', {
      function: this.function.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'export',
      schedules: plans.map((plan) => {
        const input: Omit<ExportRunInput, 'scheduledTime'> = {
          deployment: props.deployment,
          plan: plan.name,
          targets: plan.targets,
          minTier: plan.export.minTier,
          bucket: this.bucket.bucket.bucketName,
          maxStartsPerRun: plan.export.maxStartsPerRun,
          budgetSeconds: EXPORT_BUDGET_SECONDS,
        };
        return { plan: plan.name, cron: plan.export.schedule.cron, timeZone: plan.export.schedule.timeZone, input };
      }),
    });
  }
}

/** The object actions of the export function's role: read and write object tags, never object data. */
export const EXPORT_FUNCTION_OBJECT_ACTIONS = ['s3:GetObjectTagging', 's3:PutObjectTagging'] as const;

/**
 * Least privilege for exporting: list snapshots; export and tag only `rdr-*`
 * snapshots tagged `redis-dr:managed=true` by this deployment; list the export bucket and read
 * and write the tags (never the data, never a delete) of its objects.
 */
function grantExport(role: iam.Role, bucket: s3.IBucket, deployment: string): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListSnapshots',
      actions: [
        'elasticache:DescribeSnapshots',
        'elasticache:DescribeServerlessCacheSnapshots',
        'elasticache:DescribeReplicationGroups',
        'elasticache:DescribeServerlessCaches',
        'tag:GetResources',
      ],
      resources: ['*'],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ExportManagedSnapshots',
      actions: ['elasticache:CopySnapshot', 'elasticache:ExportServerlessCacheSnapshot'],
      resources: managedSnapshotArns(role),
      // StringEquals, not IfExists: an untagged (hand-made or foreign) `rdr-*`
      // snapshot, or another deployment's, must not be exportable by this role. If IAM also evaluated
      // CopySnapshot against the untagged *target* name, exports would be
      // denied and the export alarm fires: failing closed, never widening
      // (docs/dr-copies.md, "What could not be verified here").
      conditions: { StringEquals: deploymentSnapshotTags(deployment) },
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'MarkExported',
      actions: ['elasticache:AddTagsToResource'],
      resources: managedSnapshotArns(role),
      conditions: {
        StringEquals: deploymentSnapshotTags(deployment),
        // Only the "exported" mark: never ownership or tier tags.
        'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.exported] },
      },
    }),
  );
  // ElastiCache checks that the caller may use the target bucket.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ExportBucket',
      actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:GetBucketAcl'],
      resources: [bucket.bucketArn],
    }),
  );
  // ElastiCache's API permissions reference lists s3:ListAllMyBuckets for CopySnapshot to S3 (bucket names only).
  role.addToPolicy(new iam.PolicyStatement({ sid: 'ListBucketsForExport', actions: ['s3:ListAllMyBuckets'], resources: ['*'] }));
  // Only the object calls the export function makes (lambdas/jobs/export.ts:
  // ListObjectsV2 above, then GetObjectTagging + PutObjectTagging to mark a
  // finished export). ElastiCache writes the objects itself, as its service
  // principal under the bucket policy: the role never reads or writes data.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ExportObjects',
      actions: [...EXPORT_FUNCTION_OBJECT_ACTIONS],
      resources: [bucket.arnForObjects('*')],
      // Writes only the project's tag keys (export metadata, the held-<tier> of the keyspace-collapse tripwire).
      conditions: { 'ForAllValues:StringLike': { 's3:RequestObjectTagKeys': ['redis-dr:*'] } },
    }),
  );
  acknowledgeSnapshotWildcards(role, 'export and tagging');
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/*]`,
    reason: 'Export object keys are chosen by ElastiCache at run time; the function only reads and writes the tags of objects of this one bucket (no object data, no delete).',
  });
}
