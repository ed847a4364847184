import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DrConfig, VaultConfig } from '../config/index.js';
import type { ScheduledCapabilityProps } from './scheduled-capability.js';
import { EXPORT_BUDGET_SECONDS, exportRunInput } from '../deployment.js';
import { exportName } from '../../lambdas/domain/points/export-objects.js';
import { MAX_EXPORT_ATTEMPTS, retryTargetTags } from '../../lambdas/domain/dr-copies/export-plan.js';
import { SNAPSHOT_PREFIX } from '../../lambdas/domain/plans/naming.js';
import { TAGS } from '../../lambdas/domain/plans/types.js';
import { acknowledgeSnapshotWildcards, deploymentSnapshotTags, elastiCacheArn, managedSnapshotArns, nagArnRef, nagElastiCacheArn } from './elasticache-arns.js';
import { JobFunction } from './job-function.js';
import { orgEvidencePrefixes } from './org-evidence.js';
import { PlanSchedules } from './plan-schedules.js';
import { AccessLogBucket, RecoveryBucket, recoveryBucketName } from './recovery-bucket.js';
import { dependentActions } from '../iam-actions.js';

/** Props for {@link DrExport}. */
export interface DrExportProps extends ScheduledCapabilityProps {
  /** The DR region and its bucket options (replication settings). */
  readonly dr: DrConfig;
  /** The vault account's bucket, replicated into as well (config `vault`). */
  readonly vault?: VaultConfig;
}

/** Wall-clock budget of one export run. */

/**
 * Export to S3 and replication to the DR region: the export bucket (written
 * by ElastiCache, replicated to the DR bucket of the DR stack by its
 * deterministic name), and the export reconciler, scheduled per plan with
 * export enabled.
 */
export class DrExport extends Construct {
  public readonly bucket: RecoveryBucket;
  public readonly accessLogs: AccessLogBucket;
  public readonly function: JobFunction;
  public readonly schedules: PlanSchedules;

  constructor(scope: Construct, id: string, props: DrExportProps) {
    super(scope, id);
    const plans = props.plans.filter((p) => p.export.enabled);

    const drBucket = s3.Bucket.fromBucketAttributes(this, 'DrBucket', {
      bucketName: recoveryBucketName(this, props.deployment, props.dr.region),
      region: props.dr.region,
    });
    // An organization's vault (vault.organizationId): the export bucket's `<account>/<region>/`, what replicates there.
    const org = props.vault?.organizationId !== undefined ? orgEvidencePrefixes(this, '') : undefined;
    this.accessLogs = new AccessLogBucket(this, 'AccessLogs');
    this.bucket = new RecoveryBucket(this, 'Exports', {
      deployment: props.deployment,
      plans,
      elastiCacheAccess: 'export',
      elastiCacheAccessRoute: props.dr.elastiCacheBucketAccess,
      logRetention: props.logRetention,
      accessLogs: this.accessLogs.bucket,
      // Nothing of ours listens here, but an operator's rules can watch new exports, and Control Tower's
      // CT.S3.PR.4 asks every bucket for event notifications: AWS service events on the default bus cost nothing.
      eventBridgeEnabled: true,
      replicateTo: {
        bucket: drBucket,
        region: props.dr.region,
        timeControl: props.dr.replicationTimeControl,
        metrics: props.dr.replicationMetrics,
        objectLocked: props.dr.objectLock !== undefined,
      },
      replicateToVault: props.vault && {
        account: props.vault.account,
        region: props.vault.region,
        deployment: props.vault.deployment,
        timeControl: props.vault.replicationTimeControl,
        // An organization's vault takes only the account's own prefix: the export function copies each shard there.
        ...(org ? { prefix: org.prefix } : {}),
      },
    });

    this.function = new JobFunction(this, 'Export', {
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
    if (org) grantOrgCopies(this.function.role, this.bucket.bucket, org);

    this.schedules = new PlanSchedules(this, 'Schedules', {
      function: this.function.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'export',
      schedules: plans.map((plan) => {
        const input = { ...exportRunInput(props.deployment, plan, this.bucket.bucket.bucketName), ...(org ? { orgRoot: org.prefix } : {}) };
        return { plan: plan.name, cron: plan.export.schedule.cron, timeZone: plan.export.schedule.timeZone, input };
      }),
    });
  }
}

/** The object actions of the export function's role: read and write object tags (its own calls). */
export const EXPORT_FUNCTION_OBJECT_ACTIONS = ['s3:GetObjectTagging', 's3:PutObjectTagging'] as const;

/**
 * The S3 object actions the caller of CopySnapshot / ExportServerlessCacheSnapshot
 * must hold on the target keys: the Service Authorization Reference lists
 * s3:PutObject and s3:DeleteObject as dependent actions of both, and
 * ElastiCache's export guide (Step 3) assumes s3:GetObject as well. Granted on
 * `rdr-*` keys only (every export name starts with the snapshot prefix).
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups-exporting.html
 */
export const EXPORT_CALLER_OBJECT_ACTIONS = dependentActions('elasticache:CopySnapshot', 'target objects');

/** The bucket-level actions the export caller needs on the export bucket (dependent actions and the export guide). */
export const EXPORT_CALLER_BUCKET_ACTIONS = dependentActions('elasticache:CopySnapshot', 'target bucket');

/** The export caller's action on no resource in particular: bucket names only (ElastiCache's API permissions reference). */
const EXPORT_CALLER_ANY_ACTIONS = dependentActions('elasticache:CopySnapshot', 'any resource');

/** Snapshot-name patterns of export retries (`rdr-*-r2` … `rdr-*-r<MAX_EXPORT_ATTEMPTS>`): new names, tagged only by the request. */
export function exportRetryNamePatterns(): string[] {
  return Array.from({ length: MAX_EXPORT_ATTEMPTS - 1 }, (_, i) => exportName(`${SNAPSHOT_PREFIX}*`, i + 2));
}

/**
 * Least privilege for exporting: list snapshots; export and tag only `rdr-*`
 * snapshots tagged `redis-dr:managed=true` by this deployment; start a retry
 * under its new name only with this deployment's tags on the request; hold
 * the S3 permissions ElastiCache checks on the caller, on `rdr-*` keys of the
 * export bucket only; list the bucket and read and write object tags.
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
      // snapshot, or another deployment's, must not be exportable by this role.
      // A first export's target name is the source's own, so this covers it whichever ARN IAM checks.
      conditions: { StringEquals: deploymentSnapshotTags(deployment) },
    }),
  );
  // A retry exports under `<snapshot>-r<n>`, a name no tagged snapshot has: if IAM
  // evaluates CopySnapshot on the target ARN, aws:ResourceTag cannot hold there. The
  // request carries this deployment's tags instead (lambdas/jobs/dr-copies/export.ts, tag-on-create),
  // and only such a request is admitted; the source still has to pass the statement above.
  const retryTargets = exportRetryNamePatterns().map((name) => elastiCacheArn(role, 'snapshot', name));
  const retryConditions = {
    StringEquals: requestTags(retryTargetTags(deployment)),
    'ForAllValues:StringEquals': { 'aws:TagKeys': Object.keys(retryTargetTags(deployment)) },
    // Tags on the name, if IAM sees any (none on a new name; the request's, should ElastiCache
    // present those as the new resource's), must be ours: another deployment's `-r2` never matches.
    StringEqualsIfExists: deploymentSnapshotTags(deployment),
  };
  role.addToPolicy(
    new iam.PolicyStatement({ sid: 'ExportRetryTargets', actions: ['elasticache:CopySnapshot'], resources: retryTargets, conditions: retryConditions }),
  );
  // The Service Authorization Reference lists AddTagsToResource as a dependent action of a CopySnapshot with Tags.
  role.addToPolicy(
    new iam.PolicyStatement({ sid: 'TagRetryTargets', actions: ['elasticache:AddTagsToResource'], resources: retryTargets, conditions: retryConditions }),
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
  role.addToPolicy(new iam.PolicyStatement({ sid: 'ExportBucket', actions: [...EXPORT_CALLER_BUCKET_ACTIONS], resources: [bucket.bucketArn] }));
  // ElastiCache's API permissions reference lists s3:ListAllMyBuckets for CopySnapshot to S3 (bucket names only).
  role.addToPolicy(new iam.PolicyStatement({ sid: 'ListBucketsForExport', actions: [...EXPORT_CALLER_ANY_ACTIONS], resources: ['*'] }));
  // The S3 writes ElastiCache checks on the caller (ElastiCache itself writes the objects,
  // under the bucket policy or ACL). On this bucket's rdr-* keys only; no
  // s3:DeleteObjectVersion: on this versioned bucket a delete only adds a delete marker,
  // and the version stays recoverable (housekeeping keeps noncurrent versions 7 days).
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ExportCallerObjects',
      actions: [...EXPORT_CALLER_OBJECT_ACTIONS],
      resources: [bucket.arnForObjects(`${SNAPSHOT_PREFIX}*`)],
    }),
  );
  // Only the object calls the export function makes (lambdas/jobs/dr-copies/export.ts:
  // ListObjectsV2 above, then GetObjectTagging + PutObjectTagging to mark a
  // finished export).
  role.addToPolicy(new iam.PolicyStatement({ sid: 'ExportObjects', actions: ['s3:GetObjectTagging'], resources: [bucket.arnForObjects('*')] }));
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ExportObjectTags',
      actions: ['s3:PutObjectTagging'],
      resources: [bucket.arnForObjects('*')],
      // PutObjectTagging replaces the whole set: the project's keys are merged with whatever else the object
      // carries (adapters/aws/s3/objects.ts), so the request holds those too. It must hold at least one redis-dr key
      // (ForAnyValue: an empty or foreign-only set, which would strip our tags, is denied). A statement of
      // its own: a read carries no tag keys, and ForAnyValue over none is false.
      conditions: { 'ForAnyValue:StringLike': { 's3:RequestObjectTagKeys': ['redis-dr:*'] } },
    }),
  );
  acknowledgeSnapshotWildcards(role, 'export and tagging');
  Validations.of(role).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/*]`,
      reason:
        'Export object keys are chosen by ElastiCache at run time; the function only reads and writes the tags of objects of this one bucket (no object data, no delete).',
    },
    {
      id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/${SNAPSHOT_PREFIX}*]`,
      reason:
        'ElastiCache checks that the caller of CopySnapshot / ExportServerlessCacheSnapshot may write the target keys; exports are named rdr-* at run time, so the grant covers rdr-* keys of this one bucket.',
    },
    ...exportRetryNamePatterns().map((name) => ({
      id: `AwsSolutions-IAM5[Resource::${nagElastiCacheArn(role, 'snapshot', name)}]`,
      reason:
        "Export retries are named <snapshot>-r<n> at run time; admitted only with this deployment's tags on the request (aws:RequestTag) and for names no other deployment's snapshot has.",
    })),
  );
}

/**
 * What copying a finished export under the account's prefix takes (lambdas/jobs/dr-copies/org-export-copy.ts): read
 * the shard's version (CopySource with its version id), and write, read back (HeadObject) and abort a multipart
 * copy under `<account>/<region>/` only. Its tags go through ExportObjectTags (redis-dr keys required).
 */
function grantOrgCopies(role: iam.IRole, bucket: s3.IBucket, org: { prefix: string; nag: string }): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'OrgCopySources', actions: ['s3:GetObjectVersion'], resources: [bucket.arnForObjects(`${SNAPSHOT_PREFIX}*`)] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OrgCopies',
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      resources: [bucket.arnForObjects(`${org.prefix}*`)],
    }),
  );
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagArnRef(bucket)}/${org.nag}*]`,
    reason:
      "The export function copies each finished export's shards under its own account and region's prefix (the organization vault's), nothing else of the bucket.",
  });
}

/** `aws:RequestTag/<key>` condition values for `tags`. */
function requestTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]));
}
