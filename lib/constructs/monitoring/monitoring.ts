import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PlanConfig } from '../../config/index.js';
import { DR_COPY_ALLOWANCE_MINUTES, drillsIn, freshnessLimits, scrubAgeLimitMinutes } from '../../deployment.js';
import { METRIC } from '../../../lambdas/domain/alerting/metrics.js';
import type { AlertTopic } from '../alert-topic.js';
import { JobFunction } from '../job-function.js';
import { AlarmFactory } from './alarm-factory.js';
import { AlertFormatter } from './alert-formatter.js';
import { addRecoveryDashboard } from './dashboard.js';
import { FreshnessMonitor, type ScrubWatch } from './freshness-monitor.js';
import { MetricFactory } from './metric-factory.js';

/** An S3 replication rule, as its replication metrics name it. */
export interface ReplicationRuleRef {
  readonly sourceBucket: string;
  readonly destinationBucket: string;
  readonly ruleId: string;
}

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
  /** DR: the state machine that verifies each copy. @default - none */
  readonly verifyStateMachine?: sfn.IStateMachine;
  /** @default 512 */
  readonly memorySizeMb?: number;
  /**
   * Primary: the export → DR replication rule, when its metrics are on (RTC or
   * replication metrics): failed replications page.
   * @default - no replication alarm
   */
  readonly replication?: ReplicationRuleRef;
  /**
   * Primary: the export → vault replication rule (its metrics are always on):
   * failed replications into the vault page (`replication-failed-vault`).
   * @default - no vault
   */
  readonly vaultReplication?: ReplicationRuleRef;
  /**
   * Alarm when caches of the region no plan protects stay above 0 for a day (`coverage.alarm`).
   * @default true
   */
  readonly coverageAlarm?: boolean;
  /** DR: the daily scrub of `bucket`, its newest record watched (`scrub-age`). @default - none */
  readonly scrub?: ScrubWatch;
}

/**
 * Monitoring of one region, composed of focused parts: the freshness monitor,
 * the alert formatter, alarms built from the alert catalog through a metric
 * and an alarm factory, and the recovery dashboard, which the stack adds last
 * ({@link addDashboard}) so it shows every alarm.
 */
export class Monitoring extends Construct {
  public readonly freshness: JobFunction;
  public readonly formatter: JobFunction;
  /** The region's recovery dashboard (after {@link addDashboard}). */
  public dashboard?: cloudwatch.Dashboard;
  private readonly props: MonitoringProps;
  private readonly metrics: MetricFactory;
  private readonly alarmFactory: AlarmFactory;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.props = props;
    const shared = {
      logRetention: props.logRetention,
      metricsNamespace: props.metricsNamespace,
      memorySizeMb: props.memorySizeMb,
      deadLetterQueue: props.deadLetterQueue,
    };
    this.freshness = new FreshnessMonitor(this, 'FreshnessMonitor', {
      ...shared,
      deployment: props.deployment,
      where: props.where,
      plans: props.plans,
      scheduleGroup: props.scheduleGroup,
      bucket: props.bucket,
      drillStateMachine: props.drillStateMachine,
      verifyStateMachine: props.verifyStateMachine,
      ...(props.scrub ? { scrub: props.scrub } : {}),
    }).function;
    const formatter = new AlertFormatter(this, 'AlertFormatter', {
      ...shared,
      deployment: props.deployment,
      alerts: props.alerts,
      drillStateMachine: props.drillStateMachine,
    });
    this.formatter = formatter.function;
    this.metrics = new MetricFactory(props.metricsNamespace);
    this.alarmFactory = new AlarmFactory(this, props.deployment, { formatter: formatter.action, direct: new actions.SnsAction(props.alerts.topic) });
    this.addPlanAlarms();
    this.addRegionAlarms();
    this.node.addValidation({
      validate: () => (this.dashboard ? [] : ['Monitoring.addDashboard() was not called: call it after every alarm (watchAllFunctions) is added']),
    });
  }

  /** Every alarm of the region so far. */
  get alarms(): cloudwatch.Alarm[] {
    return this.alarmFactory.alarms.map((a) => a.alarm);
  }

  /** Watch a function for errors and throttles (every function of the region). */
  watchFunction(fn: JobFunction): void {
    if (this.dashboard) throw new Error(`watchFunction(${fn.node.path}) after addDashboard(): the dashboard would not show its alarms`);
    const name = fn.node.id.toLowerCase();
    const period = { period: Duration.minutes(5), statistic: 'Sum' };
    this.alarmFactory.addAlarm('lambda-errors', fn.function.metricErrors(period), {
      suffix: name,
      description: `The ${fn.node.path} function failed (an invocation threw).`,
      threshold: 1,
      missing: cloudwatch.TreatMissingData.NOT_BREACHING,
      // The formatter's own errors cannot go through the formatter.
      direct: fn === this.formatter,
    });
    this.alarmFactory.addAlarm('lambda-throttles', fn.function.metricThrottles(period), {
      suffix: name,
      description: `The ${fn.node.path} function was throttled (account concurrency).`,
      threshold: 1,
      missing: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Adds the recovery dashboard, built from every alarm added so far; call it once, last. */
  addDashboard(): cloudwatch.Dashboard {
    if (this.dashboard) throw new Error('addDashboard() was called twice');
    this.dashboard = addRecoveryDashboard(this, {
      deployment: this.props.deployment,
      where: this.props.where,
      region: Stack.of(this).region,
      plans: this.props.plans,
      metrics: this.metrics,
      alarms: this.alarms,
      bucketName: this.props.where === 'dr' ? this.props.bucket?.bucketName : undefined,
    });
    return this.dashboard;
  }

  private addPlanAlarms(): void {
    const { props, metrics: m } = this;
    const alarm = this.alarmFactory.addAlarm.bind(this.alarmFactory);
    const seconds = (n: number) => n * 60;
    const breaching = cloudwatch.TreatMissingData.BREACHING;
    const quiet = cloudwatch.TreatMissingData.NOT_BREACHING;
    // Levels a scheduled run measures once per run (hourly): the state holds between runs, until a run measures again.
    const kept = cloudwatch.TreatMissingData.IGNORE;
    for (const plan of props.plans) {
      const suffix = plan.name;
      if (props.where === 'primary') {
        alarm('recovery-point-age', m.plan(METRIC.recoveryPointAge, plan.name), {
          suffix,
          description: `The newest recovery point of a cache of plan ${plan.name} is older than its RPO (${plan.rpoMinutes} min), or nothing reports it.`,
          threshold: seconds(plan.rpoMinutes),
          missing: breaching,
        });
        alarm('snapshot-failed', m.plan(METRIC.snapshotsFailed, plan.name), {
          suffix,
          description: `Snapshots of plan ${plan.name} failed.`,
          threshold: 1,
          missing: quiet,
        });
        alarm('prune-held', m.plan(METRIC.pruneHeld, plan.name), {
          suffix,
          description: `Pruning of plan ${plan.name} was held by a safety rail (newest snapshot failed or older than the RPO): nothing is deleted until backups recover.`,
          threshold: 1,
          // Counted once per prune run: the state holds between runs, until a run counts 0.
          missing: kept,
        });
        alarm('prune-failed', m.plan(METRIC.snapshotDeleteFailed, plan.name), {
          suffix,
          description: `Pruning of plan ${plan.name} could not list or delete snapshots (retried next run).`,
          threshold: 1,
          missing: quiet,
        });
        alarm('keyspace-collapsed', m.plan(METRIC.keyspaceCollapsed, plan.name, { statistic: 'Maximum' }), {
          suffix,
          description: `A recovery point of a cache of plan ${plan.name} holds far fewer keys than the fullest good point of the last 7 days (more than ${plan.collapseThresholdPct} % fewer, or none): a FLUSHALL, mass delete or slow drain? The points before it are held until released.`,
          threshold: 1,
          // The snapshot run counts the active collapses once per run: between runs the state holds (not breaching
          // resolved the page 5 minutes after each run, the collapse unreleased), until a run counts 0 (released).
          missing: kept,
        });
        alarm('snapshots-untagged', m.plan(METRIC.snapshotsUntagged, plan.name, { statistic: 'Maximum' }), {
          suffix,
          description: `Snapshots named like plan ${plan.name}'s carry no ownership tags the Tagging API returns: they are never pruned.`,
          threshold: 1,
          missing: kept,
        });
        if (plan.export.enabled) {
          alarm('exported-copy-age', m.plan(METRIC.exportedCopyAge, plan.name), {
            suffix,
            description: `The newest exported copy of plan ${plan.name} is older than its RPO plus ${DR_COPY_ALLOWANCE_MINUTES} min, or nothing reports it.`,
            threshold: seconds(freshnessLimits(plan).copyAge),
            missing: breaching,
          });
          alarm('export-failed', m.plan(METRIC.exportsFailed, plan.name), {
            suffix,
            description: `Exports of plan ${plan.name} failed (retried every run).`,
            threshold: 1,
            missing: quiet,
          });
        }
      } else if (plan.export.enabled) {
        alarm('verified-copy-age', m.plan(METRIC.verifiedCopyAge, plan.name), {
          suffix,
          description: `The newest verified DR copy of plan ${plan.name} is older than its RPO plus ${DR_COPY_ALLOWANCE_MINUTES} min (a target with none yet: counted from the verify state machine's creation), or nothing reports it.`,
          threshold: seconds(freshnessLimits(plan).copyAge),
          missing: breaching,
        });
      }
      if (drillsIn(plan, props.where) && props.drillStateMachine) {
        alarm('drill-rto', m.drill(METRIC.drillRtoSeconds, plan.name, Stack.of(this).region, { period: Duration.hours(1) }), {
          suffix,
          description: `A ${props.where} drill of plan ${plan.name} restored and verified, but took longer than the RTO objective (${plan.drill.rtoMinutes} min).`,
          threshold: seconds(plan.drill.rtoMinutes) + 1,
          missing: quiet,
        });
        const limit = freshnessLimits(plan).lastDrillAge;
        alarm('drill-age', m.plan(METRIC.lastDrillAge, plan.name), {
          suffix,
          description: `No successful ${props.where} drill of plan ${plan.name} within its drill interval plus the drill time (${Math.round(limit / 60)} h; before the first, counted from the drill state machine's creation), or nothing reports it.`,
          threshold: seconds(limit),
          missing: breaching,
        });
      }
    }
  }

  private addRegionAlarms(): void {
    const { props, metrics: m } = this;
    const alarm = this.alarmFactory.addAlarm.bind(this.alarmFactory);
    const quiet = cloudwatch.TreatMissingData.NOT_BREACHING;
    const fiveMinutes = Duration.minutes(5);
    if (props.where === 'dr' && props.bucket) {
      const bucket = props.bucket.bucketName;
      alarm('rdb-corrupt', m.bucket(METRIC.rdbCorrupt, bucket), {
        description: 'A DR copy failed RDB verification (structure or CRC64): it cannot seed a cluster.',
        threshold: 1,
        missing: quiet,
      });
      alarm('keyspace-collapsed', m.bucket(METRIC.keyspaceCollapsed, bucket, { statistic: 'Maximum' }), {
        description:
          "A verified DR copy holds far fewer keys than the fullest verified copy of the same cache in the last 7 days (past its plan's collapseThresholdPct, or none): a FLUSHALL, mass delete or slow drain? The earlier copies are held (tier held-<tier>) until released.",
        threshold: 1,
        // Each verification counts the bucket's collapses not released yet: between verifications the state holds (not
        // breaching resolved the page 5 minutes after each), until one counts 0 (every collapse released or accepted).
        missing: cloudwatch.TreatMissingData.IGNORE,
      });
      alarm('rdb-verify-errors', m.bucket(METRIC.rdbVerifyErrors, bucket), {
        description: 'An invocation verifying a DR copy failed (read or tagging); the verify state machine retries it from its last checkpoint.',
        threshold: 1,
        missing: quiet,
      });
      if (props.scrub) {
        const limit = scrubAgeLimitMinutes();
        alarm('scrub-age', m.bucket(METRIC.scrubRecordAge, bucket), {
          description: `The daily scrub of the DR bucket left no record under ${props.scrub.recordsPrefix} for ${limit / 60} h (two runs; before the first, counted from its schedule's creation): its schedule disabled or deleted, or its role broken? Or nothing reports it.`,
          threshold: limit * 60,
          missing: cloudwatch.TreatMissingData.BREACHING,
        });
      }
    }
    const failures = (sm: sfn.IStateMachine, what: string) =>
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: sm.metricFailed({ statistic: 'Sum' }),
          timedOut: sm.metricTimedOut({ statistic: 'Sum' }),
          aborted: sm.metricAborted({ statistic: 'Sum' }),
        },
        period: fiveMinutes,
        label: `${what} executions failed, timed out or aborted`,
      });
    if (props.verifyStateMachine) {
      alarm('verify-failed', failures(props.verifyStateMachine, 'verify'), {
        description: 'A DR copy verification failed every retry, timed out or was aborted: the copy has no verdict and no drill may use it.',
        threshold: 1,
        missing: quiet,
      });
    }
    if (props.drillStateMachine) {
      alarm('drill-failed', failures(props.drillStateMachine, 'drill'), {
        description: `A ${props.where} restore drill failed, timed out or was aborted.`,
        threshold: 1,
        missing: quiet,
      });
    }
    const replicationFailed = (rule: ReplicationRuleRef) =>
      new cloudwatch.Metric({
        namespace: 'AWS/S3',
        metricName: 'OperationsFailedReplication',
        dimensionsMap: { SourceBucket: rule.sourceBucket, DestinationBucket: rule.destinationBucket, RuleId: rule.ruleId },
        statistic: 'Sum',
        period: fiveMinutes,
      });
    if (props.replication) {
      alarm('replication-failed', replicationFailed(props.replication), {
        description: 'S3 could not replicate exported copies to the DR bucket: the DR region is falling behind.',
        threshold: 1,
        missing: quiet,
      });
    }
    if (props.vaultReplication) {
      alarm('replication-failed', replicationFailed(props.vaultReplication), {
        suffix: 'vault',
        description:
          "S3 could not replicate exported copies into the vault bucket (another account): the vault falls behind, and a rule failing from its first object leaves the vault's own alarms quiet until their arming grace ends.",
        threshold: 1,
        missing: quiet,
      });
    }
    if (props.coverageAlarm ?? true) {
      // Minimum over a day ≥ 1: every hourly listing of the last day counted an unprotected cache (a new cache pages within a day, a brief one never).
      alarm('unprotected-caches', m.metric(METRIC.unprotectedCaches, {}, { statistic: 'Minimum', period: Duration.days(1) }), {
        description: `Caches in this region (${Stack.of(this).region}) that no plan protects and that could be protected, for a whole day: \`redis-dr status -c <config> --coverage\` lists them.`,
        threshold: 1,
        // A monitor that cannot list caches fails its run: its error alarm pages.
        missing: quiet,
      });
    }
    alarm('dlq-messages', props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }), {
      description: 'Scheduled work could not be delivered or failed every retry: messages wait in the dead-letter queue.',
      threshold: 1,
      missing: quiet,
    });
    const schedulerErrors = new cloudwatch.Metric({
      namespace: 'AWS/Scheduler',
      metricName: 'TargetErrorCount',
      dimensionsMap: { ScheduleGroup: props.scheduleGroup.scheduleGroupName },
      statistic: 'Sum',
      period: fiveMinutes,
    });
    alarm('scheduler-errors', schedulerErrors, {
      description: 'EventBridge Scheduler could not invoke a target of this deployment.',
      threshold: 1,
      missing: quiet,
    });
  }
}

/** Alarms on errors and throttles of every function in `scope` (a stack). */
export function watchAllFunctions(scope: Construct, monitoring: Monitoring): void {
  for (const c of scope.node.findAll()) if (c instanceof JobFunction) monitoring.watchFunction(c);
}
