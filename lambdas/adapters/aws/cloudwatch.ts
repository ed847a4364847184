/**
 * CloudWatch, read only: the deployment's metric alarms and their states
 * (`redis-dr doctor`).
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmFacts } from '../../domain/doctor/judge.js';
import type { CallWrapper } from './elasticache.js';

const direct: CallWrapper = (call) => call();

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
