import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PlanConfig } from '../config';
import { METRIC } from '../../lambdas/adapters/metrics';
import { DR_COPY_ALLOWANCE_MINUTES, drillsIn, freshnessLimits, freshnessRunInput } from '../deployment';
import { type AlertTopic, grantAlertPublish } from './alert-topic';
import { nagArnRef, nagPseudoParameters } from './elasticache-arns';
import { HouseFunction } from './house-function';
import { drillStateMachineName } from './restore-drill';
import { PlanSchedules } from './plan-schedules';

/** Props for {@link Monitoring}. */
export interface MonitoringProps {
  readonly deployment: string;
  readonly where: 'primary' | 'dr';
  readonly plans: readonly PlanConfig[];
  readonly alerts: AlertTopic;
  readonly deadLetterQueue: sqs.IQueue;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /** DR: the bucket with the verified copies. @default - none */
  readonly bucket?: s3.IBucket;
  /** This region's drill state machine. @default - none */
  readonly drillStateMachine?: sfn.IStateMachine;
  /** @default 512 */
  readonly memorySizeMb?: number;
  /**
   * Primary: the export → DR replication rule, when its metrics are on (RTC or
   * replication metrics): failed replications page.
   * @default - no replication alarm
   */
  readonly replication?: { readonly sourceBucket: string; readonly destinationBucket: string; readonly ruleId: string };
}

/** How often the freshness monitor measures. */
export const FRESHNESS_CRON = 'cron(0/5 * * * ? *)';

/** Where each alarm kind's runbook is. */
export const RUNBOOKS: Readonly<Record<string, string>> = {
  'recovery-point-age': 'docs/runbooks/backups-stopped.md',
  'exported-copy-age': 'docs/runbooks/dr-copies.md',
  'verified-copy-age': 'docs/runbooks/dr-copies.md',
  'drill-age': 'docs/runbooks/restore-drill.md',
  'drill-failed': 'docs/runbooks/restore-drill.md',
  'snapshot-failed': 'docs/runbooks/backups-stopped.md',
  'export-failed': 'docs/runbooks/dr-copies.md',
  'prune-held': 'docs/runbooks/backups-stopped.md',
  'rdb-corrupt': 'docs/runbooks/corruption.md',
  'replication-failed': 'docs/runbooks/dr-copies.md',
  'drill-rto': 'docs/runbooks/restore-drill.md',
  'rdb-verify-errors': 'docs/runbooks/dr-copies.md',
  'lambda-errors': 'docs/runbooks/pipeline-errors.md',
  'lambda-throttles': 'docs/runbooks/pipeline-errors.md',
  'dlq-messages': 'docs/runbooks/pipeline-errors.md',
  'scheduler-errors': 'docs/runbooks/pipeline-errors.md',
};

/**
 * Monitoring of one region: the freshness monitor (the dead man's switch's
 * data), the alert formatter every alarm and failed drill goes through, and
 * the alarms. Alarm names follow `redis-dr-<deployment>-<kind>[-<plan>]`
 * (what the formatter parses); each description ends with its runbook.
 */
export class Monitoring extends Construct {
  public readonly freshness: HouseFunction;
  public readonly formatter: HouseFunction;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The region's recovery dashboard. */
  public dashboard?: cloudwatch.Dashboard;
  private readonly props: MonitoringProps;
  /** Alarm action: the formatter (permission granted once, above). */
  private readonly formatterAction: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.props = props;
    const common = {
      logRetention: props.logRetention,
      metricsNamespace: props.metricsNamespace,
      memorySizeMb: props.memorySizeMb,
      asyncRetryAttempts: 0,
      maxEventAge: Duration.minutes(10),
    };

    // --- freshness ------------------------------------------------------------
    this.freshness = new HouseFunction(this, 'Freshness', {
      ...common,
      handler: 'freshness',
      description: `redis-dr: measure recovery point ages (${props.where} region) for the dead-man alarms`,
      timeout: Duration.minutes(3),
      serviceName: 'redis-dr-freshness',
      onFailureQueue: props.deadLetterQueue,
    });
    this.grantFreshness();
    const input = freshnessRunInput(props.deployment, props.where, props.plans, props.bucket?.bucketName, props.drillStateMachine?.stateMachineArn);
    new PlanSchedules(this, 'FreshnessSchedule', {
      function: this.freshness.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'freshness monitor',
      schedules: [{ plan: 'all', cron: FRESHNESS_CRON, timeZone: 'UTC', input: JSON.parse(JSON.stringify(input)) as Record<string, unknown> }],
    });

    // --- formatter: every alarm (as its action) and failed drill executions ------
    this.formatter = new HouseFunction(this, 'Formatter', {
      ...common,
      handler: 'alert-formatter',
      description: 'redis-dr: turn alarms and failed executions into a page a person reads, on the alert topic',
      timeout: Duration.seconds(30),
      serviceName: 'redis-dr-alert-formatter',
      environment: { ONCALL_TOPIC_ARN: props.alerts.topic.topicArn, REDIS_DR_DEPLOYMENT: props.deployment },
      onFailureQueue: props.deadLetterQueue,
    });
    grantAlertPublish(props.alerts, this.formatter.role);
    // One permission for every alarm of this deployment (by name), rather than one per alarm.
    this.formatter.function.addPermission('DeploymentAlarms', {
      principal: new iam.ServicePrincipal('lambda.alarms.cloudwatch.amazonaws.com'),
      sourceAccount: Stack.of(this).account,
      sourceArn: Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: `redis-dr-${props.deployment}-*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    });
    this.formatterAction = { bind: () => ({ alarmActionArn: this.formatter.function.functionArn }) };
    if (props.drillStateMachine) {
      new events.Rule(this, 'DrillExecutionFailed', {
        description: 'redis-dr: a drill execution failed, timed out or was aborted',
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: { stateMachineArn: [props.drillStateMachine.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
        },
        targets: [
          new eventTargets.LambdaFunction(this.formatter.function, {
            retryAttempts: 3,
            maxEventAge: Duration.hours(1),
            deadLetterQueue: props.deadLetterQueue,
          }),
        ],
      });
    }
    this.addAlarms();
  }

  /** Watch a function for errors and throttles (every function of the region). */
  watchFunction(fn: HouseFunction): void {
    const name = fn.node.id.toLowerCase();
    this.alarm(`lambda-errors-${name}`, fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), {
      description: `The ${fn.node.path} function failed (an invocation threw).`,
      threshold: 1,
      missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      // The formatter's own errors cannot go through the formatter.
      direct: fn === this.formatter,
    });
    this.alarm(`lambda-throttles-${name}`, fn.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), {
      description: `The ${fn.node.path} function was throttled (account concurrency).`,
      threshold: 1,
      missing: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private addAlarms(): void {
    const { props } = this;
    const ns = props.metricsNamespace;
    const minutes = (n: number) => n * 60;
    for (const plan of props.plans) {
      const dims = { Plan: plan.name };
      const age = (metric: string) => new cloudwatch.Metric({ namespace: ns, metricName: metric, dimensionsMap: dims, statistic: 'Maximum', period: Duration.minutes(5) });
      const count = (metric: string) => new cloudwatch.Metric({ namespace: ns, metricName: metric, dimensionsMap: dims, statistic: 'Sum', period: Duration.minutes(5) });
      if (props.where === 'primary') {
        this.alarm(`recovery-point-age-${plan.name}`, age(METRIC.recoveryPointAge), {
          description: `The newest recovery point of a cache of plan ${plan.name} is older than its RPO (${plan.rpoMinutes} min), or nothing reports it.`,
          threshold: minutes(plan.rpoMinutes),
          missing: cloudwatch.TreatMissingData.BREACHING,
        });
        this.alarm(`snapshot-failed-${plan.name}`, count(METRIC.snapshotsFailed), {
          description: `Snapshots of plan ${plan.name} failed.`,
          threshold: 1,
          missing: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        this.alarm(`prune-held-${plan.name}`, count(METRIC.pruneHeld), {
          description: `Pruning of plan ${plan.name} was held by a safety rail (newest snapshot failed or older than the RPO): nothing is deleted until backups recover.`,
          threshold: 1,
          missing: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        if (plan.export.enabled) {
          this.alarm(`exported-copy-age-${plan.name}`, age(METRIC.exportedCopyAge), {
            description: `The newest exported copy of plan ${plan.name} is older than its RPO plus ${DR_COPY_ALLOWANCE_MINUTES} min, or nothing reports it.`,
            threshold: minutes(freshnessLimits(plan).copyAge),
            missing: cloudwatch.TreatMissingData.BREACHING,
          });
          this.alarm(`export-failed-${plan.name}`, count(METRIC.exportsFailed), {
            description: `Exports of plan ${plan.name} failed (retried every run).`,
            threshold: 1,
            missing: cloudwatch.TreatMissingData.NOT_BREACHING,
          });
        }
      } else if (plan.export.enabled) {
        this.alarm(`verified-copy-age-${plan.name}`, age(METRIC.verifiedCopyAge), {
          description: `The newest verified DR copy of plan ${plan.name} is older than its RPO plus ${DR_COPY_ALLOWANCE_MINUTES} min, or nothing reports it.`,
          threshold: minutes(freshnessLimits(plan).copyAge),
          missing: cloudwatch.TreatMissingData.BREACHING,
        });
      }
      if (drillsIn(plan, props.where) && props.drillStateMachine) {
        this.alarm(
          `drill-rto-${plan.name}`,
          new cloudwatch.Metric({
            namespace: ns,
            metricName: 'DrillRtoSeconds',
            dimensionsMap: { Plan: plan.name, Region: Stack.of(this).region },
            statistic: 'Maximum',
            period: Duration.hours(1),
          }),
          {
            description: `A ${props.where} drill of plan ${plan.name} restored and verified, but took longer than the RTO objective (${plan.drill.rtoMinutes} min).`,
            threshold: minutes(plan.drill.rtoMinutes) + 1,
            missing: cloudwatch.TreatMissingData.NOT_BREACHING,
          },
        );
        const limit = freshnessLimits(plan).lastDrillAge;
        this.alarm(`drill-age-${plan.name}`, age(METRIC.lastDrillAge), {
          description: `No successful ${props.where} drill of plan ${plan.name} within its drill interval plus the drill time (${Math.round(limit / 60)} h), or nothing reports it.`,
          threshold: minutes(limit),
          missing: cloudwatch.TreatMissingData.BREACHING,
        });
      }
    }
    if (props.where === 'dr' && props.bucket) {
      const bucketDims = { Bucket: props.bucket.bucketName };
      this.alarm('rdb-corrupt', new cloudwatch.Metric({ namespace: ns, metricName: METRIC.rdbCorrupt, dimensionsMap: bucketDims, statistic: 'Sum', period: Duration.minutes(5) }), {
        description: 'A DR copy failed RDB verification (structure or CRC64): it cannot seed a cluster.',
        threshold: 1,
        missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarm('rdb-verify-errors', new cloudwatch.Metric({ namespace: ns, metricName: METRIC.rdbVerifyErrors, dimensionsMap: bucketDims, statistic: 'Sum', period: Duration.minutes(5) }), {
        description: 'Verifications of DR copies could not finish (read or tagging failed); EventBridge retries them.',
        threshold: 1,
        missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (props.drillStateMachine) {
      const sm = props.drillStateMachine;
      const failures = new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: sm.metricFailed({ statistic: 'Sum' }),
          timedOut: sm.metricTimedOut({ statistic: 'Sum' }),
          aborted: sm.metricAborted({ statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
        label: 'drill executions failed, timed out or aborted',
      });
      this.alarm('drill-failed', failures, {
        description: `A ${props.where} restore drill failed, timed out or was aborted.`,
        threshold: 1,
        missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (props.replication) {
      this.alarm(
        'replication-failed',
        new cloudwatch.Metric({
          namespace: 'AWS/S3',
          metricName: 'OperationsFailedReplication',
          dimensionsMap: {
            SourceBucket: props.replication.sourceBucket,
            DestinationBucket: props.replication.destinationBucket,
            RuleId: props.replication.ruleId,
          },
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        {
          description: 'S3 could not replicate exported copies to the DR bucket: the DR region is falling behind.',
          threshold: 1,
          missing: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      );
    }
    this.addDashboard();
    this.alarm(
      'dlq-messages',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      {
        description: 'Scheduled work could not be delivered or failed every retry: messages wait in the dead-letter queue.',
        threshold: 1,
        missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    this.alarm(
      'scheduler-errors',
      new cloudwatch.Metric({
        namespace: 'AWS/Scheduler',
        metricName: 'TargetErrorCount',
        dimensionsMap: { ScheduleGroup: props.scheduleGroup.scheduleGroupName },
        statistic: 'Sum',
        period: Duration.minutes(5),
      }),
      { description: 'EventBridge Scheduler could not invoke a target of this deployment.', threshold: 1, missing: cloudwatch.TreatMissingData.NOT_BREACHING },
    );
  }

  /** The recovery dashboard of this region: ages vs objectives, drills, activity, failures. */
  private addDashboard(): void {
    const { props } = this;
    const ns = props.metricsNamespace;
    const m = (metricName: string, dims: Record<string, string>, statistic = 'Maximum', label?: string) =>
      new cloudwatch.Metric({ namespace: ns, metricName, dimensionsMap: dims, statistic, period: Duration.minutes(5), label });
    const hours = (minutes: number) => minutes * 60;
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `redis-dr-${props.deployment}-${props.where}`,
      defaultInterval: Duration.days(7),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# redis-dr ${props.deployment} (${props.where} region)\nRecovery point ages against each plan's RPO, drills against the RTO, and what failed. Alert catalog: docs/alerts.md`,
        width: 24,
        height: 2,
      }),
    );
    for (const plan of props.plans) {
      const ages =
        props.where === 'primary'
          ? [m('RecoveryPointAgeSeconds', { Plan: plan.name }, 'Maximum', 'newest recovery point'), ...(plan.export.enabled ? [m('ExportedCopyAgeSeconds', { Plan: plan.name }, 'Maximum', 'newest exported copy')] : [])]
          : plan.export.enabled
            ? [m('VerifiedCopyAgeSeconds', { Plan: plan.name }, 'Maximum', 'newest verified DR copy')]
            : [];
      const widgets: cloudwatch.IWidget[] = [];
      if (ages.length > 0) {
        widgets.push(
          new cloudwatch.GraphWidget({
            title: `${plan.name}: recovery point age (s) vs RPO`,
            left: ages,
            leftAnnotations: [{ value: hours(plan.rpoMinutes), label: `RPO ${plan.rpoMinutes} min`, color: '#d62728' }],
            width: 12,
          }),
        );
      }
      if (drillsIn(plan, props.where)) {
        widgets.push(
          new cloudwatch.GraphWidget({
            title: `${plan.name}: drills (RTO s vs objective, successes)`,
            left: [m('DrillRtoSeconds', { Plan: plan.name, Region: Stack.of(this).region }, 'Maximum', 'RTO')],
            leftAnnotations: [{ value: hours(plan.drill.rtoMinutes), label: `RTO objective ${plan.drill.rtoMinutes} min`, color: '#ff7f0e' }],
            right: [m('DrillSucceeded', { Plan: plan.name, Region: Stack.of(this).region }, 'Sum', 'drills passed')],
            width: 12,
          }),
        );
      }
      if (props.where === 'primary') {
        widgets.push(
          new cloudwatch.GraphWidget({
            title: `${plan.name}: snapshots created / deleted / failed`,
            left: [
              m('SnapshotsCreated', { Plan: plan.name }, 'Sum', 'created'),
              m('SnapshotsDeleted', { Plan: plan.name }, 'Sum', 'deleted'),
              m('SnapshotsFailed', { Plan: plan.name }, 'Sum', 'failed'),
              ...(plan.export.enabled ? [m('ExportsCompleted', { Plan: plan.name }, 'Sum', 'exported'), m('ExportsFailed', { Plan: plan.name }, 'Sum', 'export failed')] : []),
            ],
            width: 12,
          }),
        );
      }
      if (widgets.length > 0) dashboard.addWidgets(...widgets);
    }
    if (props.where === 'dr' && props.bucket) {
      const dims = { Bucket: props.bucket.bucketName };
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'DR copies verified / corrupt',
          left: [m('RdbVerified', dims, 'Sum', 'verified'), m('RdbCorrupt', dims, 'Sum', 'corrupt'), m('RdbVerifyErrors', dims, 'Sum', 'could not verify')],
          width: 12,
        }),
      );
    }
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
    this.dashboard = dashboard;
  }

  private alarm(
    name: string,
    metric: cloudwatch.IMetric,
    options: { description: string; threshold: number; missing: cloudwatch.TreatMissingData; direct?: boolean },
  ): void {
    // Longest kind first, as the formatter matches them.
    const kind = Object.keys(RUNBOOKS)
      .sort((a, b) => b.length - a.length)
      .find((k) => name === k || name.startsWith(`${k}-`));
    if (!kind) throw new Error(`alarm ${name} has no kind with a runbook in RUNBOOKS`);
    const alarm = new cloudwatch.Alarm(this, `Alarm-${name}`, {
      alarmName: `redis-dr-${this.props.deployment}-${name}`,
      alarmDescription: `${options.description} Runbook: ${RUNBOOKS[kind]}`,
      metric,
      threshold: options.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: options.missing,
    });
    const action = options.direct ? new actions.SnsAction(this.props.alerts.topic) : this.formatterAction;
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }

  private grantFreshness(): void {
    const { props } = this;
    const role = this.freshness.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRecoveryPoints',
        actions: ['elasticache:DescribeSnapshots', 'elasticache:DescribeServerlessCacheSnapshots', 'tag:GetResources'],
        resources: ['*'],
      }),
    );
    if (props.bucket) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ListCopies', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCopyTags', actions: ['s3:GetObjectTagging'], resources: [props.bucket.arnForObjects('*')] }));
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/*]`,
        reason: 'The freshness monitor reads the tags (verdict, shard, created) of every copy in the DR bucket; never object data.',
      });
    }
    if (props.drillStateMachine) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'DrillHistory', actions: ['states:ListExecutions'], resources: [props.drillStateMachine.stateMachineArn] }));
      // Executions of this state machine only: arn:…:execution:<state machine name>:*
      const name = drillStateMachineName(props.deployment, props.where);
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DrillExecutions',
          actions: ['states:DescribeExecution'],
          resources: [Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      );
      const { partition, region, account } = nagPseudoParameters(this);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:states:${region}:${account}:execution:${name}:*]`,
        reason: 'Execution names are made per drill; DescribeExecution is limited to the executions of this deployment\'s drill state machine.',
      });
    }
  }
}

/** Alarms on errors and throttles of every function in `scope` (a stack). */
export function watchAllFunctions(scope: Construct, monitoring: Monitoring): void {
  for (const c of scope.node.findAll()) if (c instanceof HouseFunction) monitoring.watchFunction(c);
}
