/**
 * CloudWatch, read only: the deployment's metric alarms and their states
 * (`redis-dr doctor`), and their state changes over a period (the DR report).
 */
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { sdkClientConfig } from './client-config.js';
import type { AlarmFacts } from '../../domain/doctor/judge.js';
import type { AlarmTransition } from '../../domain/report/alarms.js';
import type { CallWrapper } from './elasticache.js';

const direct: CallWrapper = (call) => call();

/** A CloudWatch client of `region` with the project's retry settings and the default credentials. */
export function cloudWatchClient(region: string): CloudWatchClient {
  return new CloudWatchClient({ region, ...sdkClientConfig() });
}

/**
 * Every metric and composite alarm whose name starts with `prefix`, all pages.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
 */
export async function alarmsWithPrefix(client: CloudWatchClient, prefix: string, wrap: CallWrapper = direct): Promise<AlarmFacts[]> {
  const found: AlarmFacts[] = [];
  let NextToken: string | undefined;
  do {
    const out = await wrap(() =>
      client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100, NextToken })),
    );
    for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
      if (a.AlarmName) found.push({ name: a.AlarmName, state: a.StateValue ?? 'UNKNOWN', reason: a.StateReason || undefined });
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return found;
}

/**
 * The state changes of every alarm whose name starts with `prefix` between
 * `from` and `to`, oldest first: DescribeAlarmHistory of `StateUpdate` items
 * (all alarms of the region: the API filters by one exact name only, so the
 * prefix is applied here), each item's `HistoryData` read for its old and new
 * state. Items whose data is not the documented JSON are left out.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html
 */
export async function alarmHistory(client: CloudWatchClient, prefix: string, from: Date, to: Date, wrap: CallWrapper = direct): Promise<AlarmTransition[]> {
  const found: AlarmTransition[] = [];
  let NextToken: string | undefined;
  do {
    const out = await wrap(() =>
      client.send(
        new DescribeAlarmHistoryCommand({
          HistoryItemType: 'StateUpdate',
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          StartDate: from,
          EndDate: to,
          ScanBy: 'TimestampAscending',
          MaxRecords: 100,
          NextToken,
        }),
      ),
    );
    for (const item of out.AlarmHistoryItems ?? []) {
      if (!item.AlarmName?.startsWith(prefix) || !item.Timestamp || !item.HistoryData) continue;
      try {
        const data = JSON.parse(item.HistoryData) as { oldState?: { stateValue?: string }; newState?: { stateValue?: string } };
        const oldState = data.oldState?.stateValue;
        const newState = data.newState?.stateValue;
        if (typeof oldState === 'string' && typeof newState === 'string') found.push({ alarm: item.AlarmName, at: item.Timestamp, oldState, newState });
      } catch {
        // Not the documented JSON: no transition to read.
      }
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return found.sort((a, b) => a.at.getTime() - b.at.getTime());
}
