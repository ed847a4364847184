import { grantVerdictReads } from './verdict-guard.js';
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { REPORTS_PREFIX } from '../../lambdas/domain/report/input.js';
import type { RedisDrConfig } from '../config/index.js';
import { drillAccountRecords, drillsIn, drillStateMachineName, REPORT_SCHEDULES, reportRunInput, reportSettings } from '../deployment.js';
import { DRILL_EVIDENCE_PREFIX } from '../../lambdas/domain/drills/evidence-record.js';
import { type AlertTopic, grantAlertPublish } from './alert-topic.js';
import { nagArnRef, nagPseudoParameters } from './elasticache-arns.js';
import { JobFunction } from './job-function.js';
import { orgEvidencePrefixes } from './org-evidence.js';
import { monitoringFunctionSettings, type MonitoringFunctionProps } from './monitoring/function-settings.js';
import { PlanSchedules } from './plan-schedules.js';

/** Props for {@link DrReport}. */
export interface DrReportProps extends MonitoringFunctionProps {
  readonly config: RedisDrConfig;
  /** The DR bucket: the copies it reads, and where the reports go (`reports/`). */
  readonly bucket: s3.IBucket;
  readonly alerts: AlertTopic;
  readonly scheduleGroup: scheduler.IScheduleGroup;
}

/**
 * The scheduled DR report (docs/reports.md): a function that writes the
 * report of the last week and/or month (config `report.periods`) under
 * `reports/` in the DR bucket and sends one info line with its location to
 * the alert topic. Its role reads what the report needs and nothing else:
 * snapshot and cache listings (ElastiCache allows no resource scoping of
 * listings), the DR bucket's listing and object tags, the drill state
 * machines' executions in both regions, the deployment's alarms and their
 * history; it writes only under `reports/`. The vault bucket lets no
 * workload principal read, so the vault's controls are judged by the CLI
 * with the vault account's credentials (the report says so).
 */
export class DrReport extends Construct {
  /** The report function. */
  public readonly function: JobFunction;

  constructor(scope: Construct, id: string, props: DrReportProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.function = new JobFunction(this, 'ScheduledReport', {
      handler: 'report',
      description: 'redis-dr: write the weekly/monthly DR report (HTML, JSON, CSV) under reports/ in the DR bucket',
      timeout: Duration.minutes(15),
      serviceName: 'redis-dr-report',
      environment: { ONCALL_TOPIC_ARN: props.alerts.topic.topicArn },
      ...monitoringFunctionSettings(props),
    });
    const { config } = props;
    const base = reportRunInput(config, stack.account, stack.partition);
    const input = {
      ...base,
      drBucket: props.bucket.bucketName,
      ...(base.vault ? { vault: { ...base.vault, read: false } } : {}),
    };
    const periods = reportSettings(config).periods;
    if (periods.length > 0) {
      new PlanSchedules(this, 'Schedule', {
        function: this.function.function,
        deadLetterQueue: props.deadLetterQueue,
        group: props.scheduleGroup,
        purpose: 'DR report',
        schedules: periods.map((period) => ({
          plan: period,
          cron: REPORT_SCHEDULES[period],
          timeZone: 'UTC',
          input: JSON.parse(JSON.stringify({ ...input, period })) as Record<string, unknown>,
        })),
      });
    }
    this.grant(props);
  }

  private grant(props: DrReportProps): void {
    const role = this.function.role;
    const { config } = props;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRecoveryPointsAndCaches',
        actions: [
          'elasticache:DescribeSnapshots',
          'elasticache:DescribeServerlessCacheSnapshots',
          'elasticache:DescribeReplicationGroups',
          'elasticache:DescribeServerlessCaches',
          'tag:GetResources',
        ],
        resources: ['*'],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ListCopies', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadCopyTags', actions: ['s3:GetObjectTagging'], resources: [props.bucket.arnForObjects('*')] }));
    // The DR verifier's verdict objects, and each copy's version they name (issue 53 item 3).
    grantVerdictReads(role, props.bucket, 'report');
    // An organization's vault: the copy under <account>/<region>/reports/ too (the prefix that replicates there).
    const org = config.vault?.organizationId !== undefined ? orgEvidencePrefixes(this, REPORTS_PREFIX) : undefined;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteReports',
        // DeleteObject: a report file that did not read back as written is removed (a delete marker in the versioned bucket).
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        resources: [props.bucket.arnForObjects(`${REPORTS_PREFIX}*`), ...(org ? [props.bucket.arnForObjects(`${org.prefix}*`)] : [])],
      }),
    );
    if (org)
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/${org.nag}*]`,
        reason: "The report writes and reads back the organization's copy of its files under its own account and region's reports/ only.",
      });
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/*]`,
        reason: 'The report reads the tags (verdict, shard, created) of every copy in the DR bucket.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(props.bucket)}/${REPORTS_PREFIX}*]`,
        reason: 'The report writes and reads back its own files, named by period and date, under reports/ only (and removes one that did not read back).',
      },
    );
    // Alarms: a listing by name prefix and the region's history (the API filters by one exact name only).
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'AlarmHistory', actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], resources: ['*'] }),
    );
    const stack = Stack.of(this);
    const { partition, account } = nagPseudoParameters(this);
    for (const [where, region] of [
      ['primary', config.primary.region],
      ['dr', config.dr.region],
    ] as const) {
      if (!config.plans.some((p) => drillsIn(p, where))) continue;
      const name = drillStateMachineName(config.name, where);
      const arn = (resource: string, resourceName: string) =>
        stack.formatArn({ service: 'states', region, resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      role.addToPolicy(new iam.PolicyStatement({ sid: `DrillHistory${where}`, actions: ['states:ListExecutions'], resources: [arn('stateMachine', name)] }));
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: `DrillExecutions${where}`,
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          resources: [arn('execution', `${name}:*`)],
        }),
      );
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:states:${region}:${account}:execution:${name}:*]`,
        reason: "Execution names are made per drill; the report reads only the executions of this deployment's drill state machine.",
      });
    }
    this.grantDrillAccountRecords(config);
    grantAlertPublish(props.alerts, role);
  }

  /**
   * The separate drill account's drills (config `drillAccount`): list and read its signed drill records, under
   * `drills/` of its bucket only (that bucket's policy lets this account read nothing else).
   */
  private grantDrillAccountRecords(config: RedisDrConfig): void {
    const records = drillAccountRecords(config);
    if (!records) return;
    const role = this.function.role;
    const { partition } = nagPseudoParameters(this);
    const bucketArn = `arn:${Stack.of(this).partition}:s3:::${records.bucket}`;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListDrillAccountRecords',
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${DRILL_EVIDENCE_PREFIX}*`] } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ReadDrillAccountRecords', actions: ['s3:GetObject'], resources: [`${bucketArn}/${DRILL_EVIDENCE_PREFIX}*`] }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${records.bucket}/${DRILL_EVIDENCE_PREFIX}*]`,
      reason: "The report reads the drill account's signed drill records, named by plan and place in the chain, under drills/ only (read only).",
    });
  }
}
