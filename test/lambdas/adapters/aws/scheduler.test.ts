import { GetScheduleCommand, GetScheduleGroupCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { scheduleCreatedAt, schedulerCreatedAt } from '../../../../lambdas/adapters/aws/scheduler.js';

/** When a schedule or a schedule group was created: the freshness monitor's protection starts in EventBridge Scheduler. */
const scheduler = mockClient(SchedulerClient);
const client = new SchedulerClient({ region: 'eu-central-1' });
const SCHEDULE = 'arn:aws:scheduler:eu-central-1:111122223333:schedule/redis-dr-prod-dr/DrScrubSchedulePlanscrub0A1B2C3D';
const GROUP = 'arn:aws:scheduler:eu-central-1:111122223333:schedule-group/redis-dr-prod-dr';
const SCHEDULE_CREATED = new Date('2026-11-20T08:00:00Z');
const GROUP_CREATED = new Date('2026-01-05T09:00:00Z');

beforeEach(() => {
  scheduler.reset();
  scheduler.on(GetScheduleCommand).resolves({ Arn: SCHEDULE, CreationDate: SCHEDULE_CREATED });
  scheduler.on(GetScheduleGroupCommand).resolves({ Arn: GROUP, CreationDate: GROUP_CREATED });
});

describe('schedulerCreatedAt', () => {
  it("tells a schedule's ARN from its group's: GetSchedule (group and name) for the one, GetScheduleGroup for the other", async () => {
    expect(await schedulerCreatedAt(client, SCHEDULE)).toEqual(SCHEDULE_CREATED);
    expect(scheduler).toHaveReceivedCommandWith(GetScheduleCommand, { GroupName: 'redis-dr-prod-dr', Name: 'DrScrubSchedulePlanscrub0A1B2C3D' });
    expect(scheduler.commandCalls(GetScheduleGroupCommand)).toHaveLength(0);

    expect(await schedulerCreatedAt(client, GROUP)).toEqual(GROUP_CREATED);
    expect(scheduler).toHaveReceivedCommandWith(GetScheduleGroupCommand, { Name: 'redis-dr-prod-dr' });
    expect(scheduler.commandCalls(GetScheduleCommand)).toHaveLength(1);
  });
});

describe('scheduleCreatedAt', () => {
  it('a schedule that does not exist: undefined', async () => {
    scheduler.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'Schedule not found', Message: 'Schedule not found', $metadata: {} }));
    expect(await scheduleCreatedAt(client, SCHEDULE)).toBeUndefined();
  });

  it('any other fault, or an answer without CreationDate, throws (never read as no schedule)', async () => {
    scheduler.on(GetScheduleCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(scheduleCreatedAt(client, SCHEDULE)).rejects.toThrow('not authorized');
    scheduler.on(GetScheduleCommand).resolves({ Arn: SCHEDULE });
    await expect(scheduleCreatedAt(client, SCHEDULE)).rejects.toThrow('returned no CreationDate');
  });

  it('an ARN that names no schedule (its name missing, a group) is refused before any call', async () => {
    await expect(scheduleCreatedAt(client, 'arn:aws:scheduler:eu-central-1:111122223333:schedule/redis-dr-prod-dr')).rejects.toThrow('not a schedule ARN');
    await expect(scheduleCreatedAt(client, GROUP)).rejects.toThrow('not a schedule ARN');
    expect(scheduler.commandCalls(GetScheduleCommand)).toHaveLength(0);
  });
});
