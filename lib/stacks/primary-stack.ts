import { Annotations, Stack, StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { RedisDrConfig } from '../config';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';
import { DrExport } from '../constructs/dr-export';
import { logRetentionOf } from '../constructs/log-retention';
import { SnapshotPruning } from '../constructs/snapshot-pruning';
import { SnapshotSchedule } from '../constructs/snapshot-schedule';

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

  constructor(scope: Construct, id: string, props: PrimaryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const common = {
      deployment: config.name,
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
      memorySizeMb: config.lambda.memorySizeMb,
    };

    // Accepted by the schema so configs can be written ahead, but not built yet:
    // say so at synth time instead of silently doing nothing.
    for (const [i, plan] of config.plans.entries()) {
      if (plan.drill.enabled) {
        Annotations.of(this).addWarningV2(
          'redis-dr:drill-not-built',
          `plans[${i}].drill.enabled is true, but restore drills are not part of this version yet: nothing is deployed for it`,
        );
      }
    }

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters');
    const group = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: `redis-dr-${config.name}`,
    });

    this.snapshots = new SnapshotSchedule(this, 'Snapshots', {
      plans: config.plans,
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
    if (config.plans.some((p) => p.export.enabled)) {
      this.export = new DrExport(this, 'DrExport', {
        plans: config.plans,
        dr: config.dr,
        scheduleGroup: group,
        deadLetterQueue: this.deadLetterQueue.queue,
        ...common,
      });
    }
  }
}
