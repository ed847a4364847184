import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { ALARM_KINDS, type AlarmKindName } from '../../../lambdas/domain/alerting/catalog.js';
import { alarmName } from '../../../lambdas/domain/alerting/names.js';

/** One alarm: what it watches and when it fires; name, runbook and severity come from the catalog. */
export interface AlarmOptions {
  /** One sentence of what it means for this plan or resource. */
  readonly description: string;
  readonly threshold: number;
  readonly missing: cloudwatch.TreatMissingData;
  /** The plan, or the resource of `resource` kinds. @default - none (one alarm per region) */
  readonly suffix?: string;
  /** Page straight to the topic instead of through the formatter (the formatter's own errors). @default false */
  readonly direct?: boolean;
  /**
   * Fire when the metric stays below the threshold for this many periods (a dead man's switch)
   * instead of reaching it in one.
   * @default - at or above the threshold in one period
   */
  readonly below?: { readonly evaluationPeriods: number };
}

/**
 * Builds every alarm of a region from the alert catalog: the name
 * `redis-dr-<deployment>-<kind>[-<suffix>]`, a description ending in the
 * kind's runbook, an alarm and an OK action. Kinds are typed, so an alarm of
 * a kind the catalog does not have does not compile; nothing is parsed back
 * from names.
 */
export class AlarmFactory {
  private readonly created: { readonly kind: AlarmKindName; readonly alarm: cloudwatch.Alarm }[] = [];

  /**
   * @param scope where alarms are created (their construct ids are `Alarm-<kind>[-<suffix>]`)
   * @param actions the formatter's action, and the direct one for the formatter's own alarms
   */
  constructor(
    private readonly scope: Construct,
    private readonly deployment: string,
    private readonly actions: { readonly formatter: cloudwatch.IAlarmAction; readonly direct: cloudwatch.IAlarmAction },
  ) {}

  /** Adds one alarm of `kind`. */
  addAlarm(kind: AlarmKindName, metric: cloudwatch.IMetric, options: AlarmOptions): cloudwatch.Alarm {
    const suffix = options.suffix ? `-${options.suffix}` : '';
    const alarm = new cloudwatch.Alarm(this.scope, `Alarm-${kind}${suffix}`, {
      alarmName: alarmName(this.deployment, kind, options.suffix),
      alarmDescription: `${options.description} Runbook: ${ALARM_KINDS[kind].runbook}`,
      metric,
      threshold: options.threshold,
      comparisonOperator: options.below ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.below?.evaluationPeriods ?? 1,
      treatMissingData: options.missing,
    });
    const action = options.direct ? this.actions.direct : this.actions.formatter;
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.created.push({ kind, alarm });
    return alarm;
  }

  /** Every alarm added so far, with its kind (a copy: later alarms do not appear in it). */
  get alarms(): readonly { readonly kind: AlarmKindName; readonly alarm: cloudwatch.Alarm }[] {
    return [...this.created];
  }
}
