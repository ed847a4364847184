import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { PlanConfig } from '../../config/index.js';
import { drillsIn } from '../../deployment.js';
import { METRIC } from '../../../lambdas/domain/alerting/metrics.js';
import type { MetricFactory } from './metric-factory.js';

/** Props for {@link addRecoveryDashboard}. */
export interface RecoveryDashboardProps {
  readonly deployment: string;
  readonly where: 'primary' | 'dr';
  readonly region: string;
  readonly plans: readonly PlanConfig[];
  readonly metrics: MetricFactory;
  /** Every alarm of the region, complete: the dashboard is built last. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** DR: the bucket whose copies are verified. @default - none */
  readonly bucketName?: string;
}

/**
 * The recovery dashboard of a region, built last from the metrics and the
 * complete list of alarms: ages vs objectives, drills, activity, failures,
 * every alarm's state. Created as `Dashboard` in `scope` (a named dashboard
 * keeps its construct path, so its logical id, across versions).
 */
export function addRecoveryDashboard(scope: Construct, props: RecoveryDashboardProps): cloudwatch.Dashboard {
  const m = props.metrics;
  const seconds = (minutes: number) => minutes * 60;
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
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
    const name = plan.name;
    const ages =
      props.where === 'primary'
        ? [
            m.plan(METRIC.recoveryPointAge, name, { label: 'newest recovery point' }),
            ...(plan.export.enabled ? [m.plan(METRIC.exportedCopyAge, name, { label: 'newest exported copy' })] : []),
          ]
        : plan.export.enabled
          ? [m.plan(METRIC.verifiedCopyAge, name, { label: 'newest verified DR copy' })]
          : [];
    const widgets: cloudwatch.IWidget[] = [];
    if (ages.length > 0) {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: `${name}: recovery point age (s) vs RPO`,
          left: ages,
          leftAnnotations: [{ value: seconds(plan.rpoMinutes), label: `RPO ${plan.rpoMinutes} min`, color: '#d62728' }],
          width: 12,
        }),
      );
    }
    if (drillsIn(plan, props.where)) {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: `${name}: drills (RTO s vs objective, successes)`,
          left: [m.drill(METRIC.drillRtoSeconds, name, props.region, { label: 'RTO' })],
          leftAnnotations: [{ value: seconds(plan.drill.rtoMinutes), label: `RTO objective ${plan.drill.rtoMinutes} min`, color: '#ff7f0e' }],
          right: [m.drill(METRIC.drillSucceeded, name, props.region, { label: 'drills passed' })],
          width: 12,
        }),
      );
    }
    if (props.where === 'primary') {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: `${name}: snapshots created / deleted / failed`,
          left: [
            m.plan(METRIC.snapshotsCreated, name, { label: 'created' }),
            m.plan(METRIC.snapshotsDeleted, name, { label: 'deleted' }),
            m.plan(METRIC.snapshotsFailed, name, { label: 'failed' }),
            ...(plan.export.enabled
              ? [m.plan(METRIC.exportsCompleted, name, { label: 'exported' }), m.plan(METRIC.exportsFailed, name, { label: 'export failed' })]
              : []),
          ],
          width: 12,
        }),
      );
    }
    if (widgets.length > 0) dashboard.addWidgets(...widgets);
  }
  if (props.bucketName) {
    const b = props.bucketName;
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'DR copies verified / corrupt',
        left: [
          m.bucket(METRIC.rdbVerified, b, { label: 'verified' }),
          m.bucket(METRIC.rdbCorrupt, b, { label: 'corrupt' }),
          m.bucket(METRIC.rdbVerifyErrors, b, { label: 'could not verify' }),
        ],
        width: 12,
      }),
    );
  }
  dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }));
  return dashboard;
}
