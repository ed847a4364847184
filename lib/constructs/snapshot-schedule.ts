import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../config/index.js';
import type { ScheduledCapabilityProps } from './scheduled-capability.js';
import { snapshotRunInput } from '../deployment.js';
import { TAGS } from '../../lambdas/domain/plans/types.js';
import {
  type ElastiCacheResourceType,
  elastiCacheArn,
  managedSnapshotArns,
  managedSnapshotPatterns,
  nagArnRef,
  nagElastiCacheArn,
} from './elasticache-arns.js';
import { grantReadSecrets, probeSecrets } from './secret-keys.js';
import { JobFunction } from './job-function.js';
import { PlanSchedules } from './plan-schedules.js';

/** Props for {@link SnapshotSchedule}. */
export interface SnapshotScheduleProps extends ScheduledCapabilityProps {
  /**
   * Where the caches are: the probe function runs there (plans with `probe.enabled`).
   * @default - no probe function (config validation requires it when a plan probes)
   */
  readonly network?: NetworkConfig;
}

/** Seconds the Lambda keeps beyond the retry budget to report and flush metrics. */
const REPORT_HEADROOM_SECONDS = 60;

/**
 * Scheduled manual snapshots: one Lambda, one EventBridge Scheduler schedule per
 * plan. The Lambda resolves the plan's targets, creates deterministic, tagged
 * snapshots and emits `SnapshotsCreated` / `SnapshotsFailed` metrics.
 */
export class SnapshotSchedule extends Construct {
  /** The snapshot function. */
  public readonly function: JobFunction;
  /** The schedules, by plan. */
  public readonly schedules: PlanSchedules;
  /** Writes the canary and counts keys before a snapshot; only when a plan probes. */
  public readonly probe?: JobFunction;

  constructor(scope: Construct, id: string, props: SnapshotScheduleProps) {
    super(scope, id);
    const budget = Math.max(...props.plans.map((p) => p.snapshotBudgetSeconds));

    this.function = new JobFunction(this, 'Snapshot', {
      handler: 'snapshot',
      description: "redis-dr: create scheduled, tagged manual snapshots of each plan's caches",
      timeout: Duration.seconds(Math.min(900, budget + REPORT_HEADROOM_SECONDS)),
      memorySizeMb: props.memorySizeMb,
      logRetention: props.logRetention,
      serviceName: 'redis-dr-snapshot',
      metricsNamespace: props.metricsNamespace,
      onFailureQueue: props.deadLetterQueue,
      // A failed run is retried for the same tick (idempotent), while it is still recent.
      asyncRetryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
    grantSnapshotCreation(this.function.role, props.deployment);

    const probing = props.plans.filter((p) => p.probe.enabled);
    if (probing.length > 0) {
      if (!props.network) throw new Error(`plans ${probing.map((p) => p.name).join(', ')} probe, but no network is given`);
      this.probe = new JobFunction(this, 'Probe', {
        handler: 'probe',
        description: "redis-dr: write the canary key and count keys just before a snapshot (in the caches' VPC)",
        timeout: Duration.seconds(30),
        memorySizeMb: props.memorySizeMb,
        logRetention: props.logRetention,
        serviceName: 'redis-dr-probe',
        metricsNamespace: props.metricsNamespace,
        network: props.network,
        asyncRetryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      });
      // The snapshot function stays outside the VPC (it calls the ElastiCache API) and invokes the probe.
      this.probe.function.grantInvoke(this.function.role);
      this.function.function.addEnvironment('PROBE_FUNCTION_NAME', this.probe.function.functionName);
      grantReadSecrets(this.probe.role, 'ReadCacheAuth', probeSecrets(probing));
      Validations.of(this.function.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(this.probe.function)}:*]`,
        reason: "lambda:InvokeFunction on the probe's own versions (ARN:*), granted by the CDK; no other function.",
      });
    }

    this.schedules = new PlanSchedules(this, 'Schedules', {
      function: this.function.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'snapshot',
      schedules: props.plans.map((plan) => {
        const input = snapshotRunInput(props.deployment, plan);
        return { plan: plan.name, cron: plan.schedule.cron, timeZone: plan.schedule.timeZone, input };
      }),
    });
  }
}

/**
 * Least privilege for creating snapshots: read-only discovery, and creation
 * (with tag-on-create) only when the request carries `redis-dr:managed=true`
 * and only for snapshots named `rdr-*`; the tripwire's marks and holds only on
 * this deployment's managed snapshots.
 */
function grantSnapshotCreation(role: iam.Role, deployment: string): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DiscoverTargets',
      actions: [
        'elasticache:DescribeReplicationGroups',
        'elasticache:DescribeServerlessCaches',
        'elasticache:DescribeSnapshots',
        'elasticache:DescribeServerlessCacheSnapshots',
        'tag:GetResources',
      ],
      resources: ['*'],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'CreateManagedSnapshots',
      actions: ['elasticache:CreateSnapshot', 'elasticache:CreateServerlessCacheSnapshot'],
      resources: [
        ...managedSnapshotArns(role),
        elastiCacheArn(role, 'replicationgroup', '*'),
        elastiCacheArn(role, 'cluster', '*'),
        elastiCacheArn(role, 'serverlesscache', '*'),
      ],
      conditions: { StringEquals: { [`aws:RequestTag/${TAGS.managed}`]: 'true' } },
    }),
  );
  // Tag-on-create needs AddTagsToResource on the new snapshot. Only on rdr-*
  // snapshots and only redis-dr:* keys: the role cannot retag caches (which
  // would pull them into tag-selected plans) or other people's snapshots.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'TagManagedSnapshotsOnCreate',
      actions: ['elasticache:AddTagsToResource'],
      resources: managedSnapshotArns(role),
      conditions: {
        StringEquals: { [`aws:RequestTag/${TAGS.managed}`]: 'true' },
        'ForAllValues:StringLike': { 'aws:TagKeys': ['redis-dr:*'] },
      },
    }),
  );
  // The keyspace-collapse tripwire marks and holds snapshots that exist already: only this
  // deployment's managed rdr-* snapshots, only the two tripwire keys. Removing a hold is the
  // operator's (`retention release`), never the Lambda's.
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'HoldManagedSnapshots',
      actions: ['elasticache:AddTagsToResource'],
      resources: managedSnapshotArns(role),
      conditions: {
        StringEquals: { [`aws:ResourceTag/${TAGS.managed}`]: 'true', [`aws:ResourceTag/${TAGS.deployment}`]: deployment },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.hold, TAGS.collapsed] },
      },
    }),
  );
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ElastiCache Describe* list calls and tag:GetResources support no resource-level permissions (read-only).',
    },
    ...([['replicationgroup', '*'], ['cluster', '*'], ['serverlesscache', '*'], ...managedSnapshotPatterns] as [ElastiCacheResourceType, string][]).map(
      ([type, name]) => ({
        id: `AwsSolutions-IAM5[Resource::${nagElastiCacheArn(role, type, name)}]`,
        reason:
          'Targets are chosen at run time (explicit ids and tag selection); CreateSnapshot is only allowed with the redis-dr:managed=true request tag, on rdr-* snapshot names.',
      }),
    ),
  );
}
