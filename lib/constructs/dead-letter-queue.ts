import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Props for {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /**
   * How long undelivered events are kept for inspection and redrive.
   * @default Duration.days(14)
   */
  readonly retention?: Duration;
}

/**
 * Where scheduled work that could not run ends up: Scheduler invocations that
 * failed delivery and Lambda asynchronous invocations that failed every retry.
 * Encrypted (SQS-managed keys), TLS only. The alerting capability alarms on its depth.
 */
export class DeadLetterQueue extends Construct {
  /** The queue. */
  public readonly queue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retention ?? Duration.days(14),
      // Says in the template that this queue is a dead-letter queue (Control Tower's CT.SQS.PR.1 then
      // asks it for no dead-letter queue of its own). allowAll is what SQS assumes without a policy.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the scheduled functions; nothing consumes it automatically.',
    });
  }
}
