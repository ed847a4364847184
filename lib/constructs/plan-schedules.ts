import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
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
  /**
   * Function every schedule invokes (one of `function` and `stateMachine`).
   * @default - none
   */
  readonly function?: lambda.IFunction;
  /**
   * State machine every schedule starts (one of `function` and `stateMachine`).
   * @default - none
   */
  readonly stateMachine?: sfn.IStateMachine;
  /**
   * Add `scheduledTime` (the Scheduler's scheduled time) to the input.
   * @default true
   */
  readonly addScheduledTime?: boolean;
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
    if (Boolean(props.function) === Boolean(props.stateMachine)) {
      throw new Error(`PlanSchedules ${this.node.path}: give exactly one of function and stateMachine`);
    }
    // One role for this capability's schedules: it may invoke this one function (or state machine) only.
    const role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
      description: `EventBridge Scheduler starts the redis-dr ${props.purpose}`,
    });
    if (props.function) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
        reason: "lambda:InvokeFunction on the function's own versions and aliases (ARN:*), granted by the CDK; no other function.",
      });
    }
    for (const spec of props.schedules) {
      const schedule = new scheduler.Schedule(this, `Plan-${spec.plan}`, {
        description: `redis-dr ${props.purpose} for plan ${spec.plan}`,
        schedule: scheduler.ScheduleExpression.expression(spec.cron, TimeZone.of(spec.timeZone)),
        scheduleGroup: props.group,
        timeWindow: scheduler.TimeWindow.off(),
        target: this.target(props, role, spec),
      });
      // The group is named as text (its fixed name), which CloudFormation does not see as a reference:
      // without the dependency a schedule may be created before its group, or the group deleted first.
      schedule.node.addDependency(props.group);
      byPlan.set(spec.plan, schedule);
    }
    this.schedules = byPlan;
  }

  private target(props: PlanSchedulesProps, role: iam.IRole, spec: PlanScheduleSpec): scheduler.IScheduleTarget {
    const options = {
      role,
      input: scheduler.ScheduleTargetInput.fromObject(
        props.addScheduledTime === false ? spec.input : { ...spec.input, scheduledTime: scheduler.ContextAttribute.scheduledTime },
      ),
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: props.retryAttempts ?? 3,
      maxEventAge: Duration.hours(1),
    };
    return props.stateMachine ? new targets.StepFunctionsStartExecution(props.stateMachine, options) : new targets.LambdaInvoke(props.function!, options);
  }
}
