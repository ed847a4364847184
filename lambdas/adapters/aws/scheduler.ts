/**
 * EventBridge Scheduler, read only: when a schedule group was created (the
 * freshness monitor's start of snapshot protection) or a schedule (of the scrub's), and every schedule of a
 * group with its state and expression (`redis-dr doctor`).
 */
import { GetScheduleCommand, GetScheduleGroupCommand, ListSchedulesCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ScheduleFacts } from '../../domain/doctor/judge.js';
import type { CallWrapper } from './elasticache.js';

const direct: CallWrapper = (call) => call();

/**
 * When the schedule group of `arn` (`…:schedule-group/<name>`) was created
 * (GetScheduleGroup's `CreationDate`); `undefined` when it does not exist.
 * @see https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetScheduleGroup.html
 */
export async function scheduleGroupCreatedAt(client: SchedulerClient, arn: string, wrap: CallWrapper = direct): Promise<Date | undefined> {
  const name = /:schedule-group\/([^/]+)$/.exec(arn)?.[1];
  if (!name) throw new Error(`not a schedule group ARN: ${arn} (expected arn:<partition>:scheduler:<region>:<account>:schedule-group/<name>)`);
  return creationDate(`GetScheduleGroup of ${name}`, () => wrap(() => client.send(new GetScheduleGroupCommand({ Name: name }))));
}

/** The `CreationDate` a Get call answers; `undefined` when the resource does not exist (ResourceNotFoundException). */
async function creationDate(what: string, get: () => Promise<{ CreationDate?: Date | undefined }>): Promise<Date | undefined> {
  try {
    const out = await get();
    if (!out.CreationDate) throw new Error(`${what} returned no CreationDate`);
    return out.CreationDate;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

/**
 * When the schedule of `arn` (`…:schedule/<group>/<name>`) was created (GetSchedule's `CreationDate`: the start of
 * the scrub's dead man's switch); `undefined` when it does not exist.
 * @see https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetSchedule.html
 */
export async function scheduleCreatedAt(client: SchedulerClient, arn: string, wrap: CallWrapper = direct): Promise<Date | undefined> {
  const m = /:schedule\/([^/]+)\/([^/]+)$/.exec(arn);
  if (!m) throw new Error(`not a schedule ARN: ${arn} (expected arn:<partition>:scheduler:<region>:<account>:schedule/<group>/<name>)`);
  return creationDate(`GetSchedule of ${m[1]}/${m[2]}`, () => wrap(() => client.send(new GetScheduleCommand({ GroupName: m[1], Name: m[2] }))));
}

/**
 * When the schedule (`…:schedule/<group>/<name>`) or the schedule group (`…:schedule-group/<name>`) of `arn` was
 * created, by the ARN's resource type: the freshness monitor's reader of protection starts in EventBridge Scheduler.
 */
export function schedulerCreatedAt(client: SchedulerClient, arn: string, wrap: CallWrapper = direct): Promise<Date | undefined> {
  return arn.includes(':schedule/') ? scheduleCreatedAt(client, arn, wrap) : scheduleGroupCreatedAt(client, arn, wrap);
}

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
    found.push({
      name,
      state: s.State ?? 'UNKNOWN',
      expression: s.ScheduleExpression,
      timeZone: s.ScheduleExpressionTimezone,
      description: s.Description || undefined,
    });
  }
  return found;
}
