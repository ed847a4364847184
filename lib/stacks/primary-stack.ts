import { Stack, StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { RedisDrConfig } from '../config';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';
import { logRetentionOf } from '../constructs/log-retention';
import { SnapshotPruning } from '../constructs/snapshot-pruning';
import { SnapshotSchedule } from '../constructs/snapshot-schedule';

/** Props for {@link PrimaryStack}. */
export interface PrimaryStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
}

/**
 * The primary region: scheduled snapshots and their pruning. Composes
 * constructs only; each capability lives in `lib/constructs/`.
 */
export class PrimaryStack extends Stack {
  /** Dead-letter queue of every scheduled function in this region. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /** Scheduled snapshots. */
  public readonly snapshots: SnapshotSchedule;
  /** GFS pruning. */
  public readonly pruning: SnapshotPruning;

  constructor(scope: Construct, id: string, props: PrimaryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const common = {
      logRetention: logRetentionOf(config.lambda.logRetentionDays),
      metricsNamespace: config.metricsNamespace,
      memorySizeMb: config.lambda.memorySizeMb,
    };

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
  }
}
