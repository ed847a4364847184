import { Stack, StackProps } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { RedisDrConfig } from '../config';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';

/** Props for {@link DrStack}. */
export interface DrStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: RedisDrConfig;
}

/**
 * The DR region. For now it holds what the DR-side capabilities (replicated
 * copies, verification, DR drills) will share: the schedule group and the
 * dead-letter queue of that region.
 */
export class DrStack extends Stack {
  /** Dead-letter queue of every scheduled function in this region. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /** Scheduler group of the DR region. */
  public readonly scheduleGroup: scheduler.ScheduleGroup;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id, props);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters');
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Schedules', {
      scheduleGroupName: `redis-dr-${props.config.name}-dr`,
    });
  }
}
