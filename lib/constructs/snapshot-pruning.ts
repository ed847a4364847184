import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ScheduledCapabilityProps } from './scheduled-capability.js';
import { PRUNE_BUDGET_SECONDS, pruneRunInput } from '../deployment.js';
import { acknowledgeSnapshotWildcards, deploymentSnapshotTags, managedSnapshotArns } from './elasticache-arns.js';
import { JobFunction } from './job-function.js';
import { PlanSchedules } from './plan-schedules.js';

/** Props for {@link SnapshotPruning}. */
export type SnapshotPruningProps = ScheduledCapabilityProps;

/**
 * Grandfather-father-son pruning of the project's own manual snapshots, per
 * plan, on the plan's retention schedule. Deletion is only allowed on `rdr-*`
 * snapshots that carry `redis-dr:managed=true`, enforced by IAM as well as by
 * the code; safety rails live in `lambdas/domain/plans/retention.ts`.
 */
export class SnapshotPruning extends Construct {
  /** The prune function. */
  public readonly function: JobFunction;
  /** The schedules, by plan. */
  public readonly schedules: PlanSchedules;

  constructor(scope: Construct, id: string, props: SnapshotPruningProps) {
    super(scope, id);

    this.function = new JobFunction(this, 'Prune', {
      handler: 'prune',
      description: 'redis-dr: grandfather-father-son retention of managed manual snapshots, with safety rails',
      timeout: Duration.seconds(PRUNE_BUDGET_SECONDS + 60),
      memorySizeMb: props.memorySizeMb,
      logRetention: props.logRetention,
      serviceName: 'redis-dr-prune',
      metricsNamespace: props.metricsNamespace,
      onFailureQueue: props.deadLetterQueue,
      // A failed prune run is redone by the next scheduled one; no replays of old events.
      asyncRetryAttempts: 0,
      maxEventAge: Duration.minutes(15),
    });
    grantPruning(
      this.function.role,
      props.deployment,
      props.plans.some((p) => p.targets.selectWithoutTag !== undefined),
    );

    this.schedules = new PlanSchedules(this, 'Schedules', {
      function: this.function.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'prune',
      schedules: props.plans.map((plan) => {
        const input = pruneRunInput(props.deployment, plan);
        return {
          plan: plan.name,
          cron: plan.retention.schedule.cron,
          timeZone: plan.retention.schedule.timeZone,
          input,
        };
      }),
    });
  }
}

/**
 * Least privilege for pruning: read-only listing, and deletion only of `rdr-*`
 * snapshots whose own tags say `redis-dr:managed=true` and this deployment.
 * With a plan that selects the caches without a tag (`selectWithoutTag`), the
 * listing of the region's caches too (read-only: no cache's tag scopes it, but
 * the deletion stays on this deployment's tagged snapshots).
 */
function grantPruning(role: iam.Role, deployment: string, listsCaches: boolean): void {
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListSnapshots',
      actions: [
        'elasticache:DescribeSnapshots',
        'elasticache:DescribeServerlessCacheSnapshots',
        'tag:GetResources',
        ...(listsCaches ? ['elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches'] : []),
      ],
      resources: ['*'],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'DeleteManagedSnapshots',
      actions: ['elasticache:DeleteSnapshot', 'elasticache:DeleteServerlessCacheSnapshot'],
      resources: managedSnapshotArns(role),
      // Only snapshots this deployment made: another deployment in the account (staging next to prod) keeps its own.
      conditions: { StringEquals: deploymentSnapshotTags(deployment) },
    }),
  );
  acknowledgeSnapshotWildcards(role, 'deletion');
}
