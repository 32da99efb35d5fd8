// The launch fan-out: pages through a segment's members in `_id` order and enters each into
// the journey. Resumable after any crash: the cursor lives in workflow state, each page's own
// progress in its activity's heartbeat, and a journey run's ID makes a repeated start a no-op.
import { continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { LaunchInput, LaunchProgress, launchProgressQuery } from '../core/launch-contract';
import { AUDIENCE_OPTIONS, ENROLL_OPTIONS } from './activity-options';

const { countAudience } = proxyActivities<Activities>(AUDIENCE_OPTIONS);
const { enrollPage } = proxyActivities<Activities>(ENROLL_OPTIONS);

export const LAUNCH_PAGE_SIZE = 500;
/** Pages per workflow run before continue-as-new: about 600 history events. */
const PAGES_PER_RUN = 100;

export async function launchWorkflow(input: LaunchInput): Promise<LaunchProgress> {
  const progress: LaunchProgress = input.progress ?? {
    status: 'counting',
    entered: 0,
    alreadyEntered: 0,
    pages: 0,
    startedAt: new Date().toISOString(),
  };
  setHandler(launchProgressQuery, () => progress);

  if (progress.status === 'counting') {
    progress.estimatedTotal = await countAudience({ rule: input.rule, asOf: input.asOf });
    progress.status = 'entering';
  }
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const result = await enrollPage({
      journeyId: input.journeyId,
      journeyVersion: input.journeyVersion,
      rule: input.rule,
      asOf: input.asOf,
      afterId: progress.cursor,
      pageSize: LAUNCH_PAGE_SIZE,
      // An activity input, not a command: launches recorded before it replay unchanged.
      ...(input.input !== undefined ? { input: input.input } : {}),
    });
    progress.entered += result.entered;
    progress.alreadyEntered += result.alreadyEntered;
    progress.pages += 1;
    if (result.lastId !== undefined) progress.cursor = result.lastId;
    if (result.stopped) {
      progress.status = 'stopped';
      progress.stoppedAt = new Date().toISOString();
      return progress;
    }
    if (result.done) {
      progress.status = 'completed';
      progress.completedAt = new Date().toISOString();
      return progress;
    }
  }
  return continueAsNew<typeof launchWorkflow>({ ...input, progress });
}
