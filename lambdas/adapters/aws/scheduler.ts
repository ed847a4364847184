/**
 * EventBridge Scheduler, read only: every schedule of a group with its
 * state and expression (`redis-dr doctor`).
 */
import { GetScheduleCommand, ListSchedulesCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ScheduleFacts } from '../../domain/doctor/judge.js';
import type { CallWrapper } from '../elasticache.js';
import { scheduleGroupCreatedAt } from '../scheduler.js';

const direct: CallWrapper = (call) => call();

/**
 * The schedules of group `group` (ListSchedules, all pages; GetSchedule of
 * each for its expression, which the listing lacks); `undefined` when the
 * group does not exist (GetScheduleGroup).
 * @see https://docs.aws.amazon.com/scheduler/latest/APIReference/API_ListSchedules.html
 */
export async function schedulesOfGroup(client: SchedulerClient, groupArn: string, wrap: CallWrapper = direct): Promise<ScheduleFacts[] | undefined> {
  if ((await scheduleGroupCreatedAt(client, groupArn, wrap)) === undefined) return undefined;
  const group = groupArn.split('/').pop()!;
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await wrap(() => client.send(new ListSchedulesCommand({ GroupName: group, MaxResults: 100, NextToken })));
    names.push(...(out.Schedules ?? []).map((s) => s.Name).filter((n): n is string => !!n));
    NextToken = out.NextToken;
  } while (NextToken);
  const found: ScheduleFacts[] = [];
  for (const name of names) {
    const s = await wrap(() => client.send(new GetScheduleCommand({ GroupName: group, Name: name })));
    found.push({ name, state: s.State ?? 'UNKNOWN', expression: s.ScheduleExpression, timeZone: s.ScheduleExpressionTimezone, description: s.Description || undefined });
  }
  return found;
}
