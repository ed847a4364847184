import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** One schedule to create: a plan's cron, its time zone and the Lambda input. */
export interface PlanScheduleSpec {
  /** Plan name; becomes part of the construct id and the description. */
  readonly plan: string;
  /** EventBridge Scheduler expression, `cron(m h dom mon dow yr)`. */
  readonly cron: string;
  /** IANA time zone the cron is evaluated in. */
  readonly timeZone: string;
  /** JSON input; `scheduledTime` is added from the Scheduler context. */
  readonly input: Record<string, unknown>;
}

/** Props for {@link PlanSchedules}. */
export interface PlanSchedulesProps {
  /** Function every schedule invokes. */
  readonly function: lambda.IFunction;
  /** One schedule per entry. */
  readonly schedules: readonly PlanScheduleSpec[];
  /** Receives invocations Scheduler could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Schedule group shared by the deployment. */
  readonly group: scheduler.IScheduleGroup;
  /** What the schedules do, e.g. `snapshot`. */
  readonly purpose: string;
  /**
   * Attempts Scheduler makes to deliver one invocation.
   * @default 3
   */
  readonly retryAttempts?: number;
}

/**
 * EventBridge Scheduler schedules, one per plan, for one capability's Lambda:
 * the plan's time zone, the flexible window off (runs happen on the minute, so
 * snapshot names are deterministic), retries and a dead-letter queue.
 */
export class PlanSchedules extends Construct {
  /** Schedules by plan name. */
  public readonly schedules: ReadonlyMap<string, scheduler.Schedule>;

  constructor(scope: Construct, id: string, props: PlanSchedulesProps) {
    super(scope, id);
    const byPlan = new Map<string, scheduler.Schedule>();
    // One role for this capability's schedules: it may invoke this one function only.
    const role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: `EventBridge Scheduler invokes the redis-dr ${props.purpose} function`,
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason: 'lambda:InvokeFunction on the function\'s own versions and aliases (ARN:*), granted by the CDK; no other function.',
    });
    for (const spec of props.schedules) {
      const schedule = new scheduler.Schedule(this, `Plan-${spec.plan}`, {
        description: `redis-dr ${props.purpose} for plan ${spec.plan}`,
        schedule: scheduler.ScheduleExpression.expression(spec.cron, TimeZone.of(spec.timeZone)),
        scheduleGroup: props.group,
        timeWindow: scheduler.TimeWindow.off(),
        target: new targets.LambdaInvoke(props.function, {
          role,
          input: scheduler.ScheduleTargetInput.fromObject({
            ...spec.input,
            scheduledTime: scheduler.ContextAttribute.scheduledTime,
          }),
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: props.retryAttempts ?? 3,
          maxEventAge: Duration.hours(1),
        }),
      });
      byPlan.set(spec.plan, schedule);
    }
    this.schedules = byPlan;
  }
}
