/**
 * EventBridge Scheduler, read only: when a schedule group was created (the
 * freshness monitor's start of snapshot protection).
 */
import { GetScheduleGroupCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { CallWrapper } from './elasticache.js';

/**
 * When the schedule group of `arn` (`…:schedule-group/<name>`) was created
 * (GetScheduleGroup's `CreationDate`); `undefined` when it does not exist.
 * @see https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetScheduleGroup.html
 */
export async function scheduleGroupCreatedAt(client: SchedulerClient, arn: string, wrap: CallWrapper = (call) => call()): Promise<Date | undefined> {
  const name = /:schedule-group\/([^/]+)$/.exec(arn)?.[1];
  if (!name) throw new Error(`not a schedule group ARN: ${arn} (expected arn:<partition>:scheduler:<region>:<account>:schedule-group/<name>)`);
  try {
    const out = await wrap(() => client.send(new GetScheduleGroupCommand({ Name: name })));
    if (!out.CreationDate) throw new Error(`GetScheduleGroup of ${name} returned no CreationDate`);
    return out.CreationDate;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}
