// The schedule that runs the event sweep (workflows/finish-events.ts) once a minute, one per
// task queue. Created by each worker at start; an existing one is left as it is.
import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';

export const eventSweepScheduleId = (taskQueue: string) => `cairn-finish-events:${taskQueue}`;

export async function ensureEventSweep(client: Client, taskQueue: string): Promise<void> {
  const scheduleId = eventSweepScheduleId(taskQueue);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1m' }] },
      action: { type: 'startWorkflow', workflowType: 'finishEventsWorkflow', workflowId: `finish-events:${taskQueue}`, taskQueue, args: [] },
      // One pass at a time; a pass still running when the next is due makes that one skip.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

export async function removeEventSweep(client: Client, taskQueue: string): Promise<void> {
  await client.schedule
    .getHandle(eventSweepScheduleId(taskQueue))
    .delete()
    .catch((err) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
}
