import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { alarmNamePrefix } from '../../../lambdas/domain/alerting/names.js';
import { type AlertTopic, grantAlertPublish } from '../alert-topic.js';
import { JobFunction } from '../job-function.js';
import { monitoringFunctionSettings, type MonitoringFunctionProps } from './function-settings.js';

/** Props for {@link AlertFormatter}. */
export interface AlertFormatterProps extends MonitoringFunctionProps {
  readonly deployment: string;
  readonly alerts: AlertTopic;
  /** Failed, timed-out or aborted executions of this state machine are paged. @default - none */
  readonly drillStateMachine?: sfn.IStateMachine;
}

/**
 * The alert formatter: every alarm's action (one Lambda permission for all
 * alarms of the deployment, by name) and the target of failed drill
 * executions; it turns each into a page a person reads, on the alert topic.
 */
export class AlertFormatter extends Construct {
  /** The formatter function. */
  public readonly function: JobFunction;
  /** The action alarms use to page through the formatter. */
  public readonly action: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: AlertFormatterProps) {
    super(scope, id);
    this.function = new JobFunction(this, 'Formatter', {
      handler: 'alert-formatter',
      description: 'redis-dr: turn alarms and failed executions into a page a person reads, on the alert topic',
      timeout: Duration.seconds(30),
      serviceName: 'redis-dr-alert-formatter',
      environment: { ONCALL_TOPIC_ARN: props.alerts.topic.topicArn, REDIS_DR_DEPLOYMENT: props.deployment },
      ...monitoringFunctionSettings(props),
    });
    grantAlertPublish(props.alerts, this.function.role);
    // One permission for every alarm of this deployment (by name), rather than one per alarm.
    this.function.function.addPermission('DeploymentAlarms', {
      principal: new iam.ServicePrincipal('lambda.alarms.cloudwatch.amazonaws.com'),
      sourceAccount: Stack.of(this).account,
      sourceArn: Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `${alarmNamePrefix(props.deployment)}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    });
    const functionArn = this.function.function.functionArn;
    this.action = { bind: () => ({ alarmActionArn: functionArn }) };
    if (props.drillStateMachine) {
      new events.Rule(this, 'DrillExecutionFailed', {
        description: 'redis-dr: a drill execution failed, timed out or was aborted',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: { stateMachineArn: [props.drillStateMachine.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
        },
        targets: [
          new eventTargets.LambdaFunction(this.function.function, {
            retryAttempts: 3,
            maxEventAge: Duration.hours(1),
            deadLetterQueue: props.deadLetterQueue,
          }),
        ],
      });
    }
  }
}
