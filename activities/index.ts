// Every activity the worker registers, built from explicit dependencies so tests can hand in
// their own. Workflows import the type only.
import type { Models } from '../db/models';
import { createEventActivities, EventSweepDeps } from './events';
import { createLaunchActivities, LaunchDeps } from './launch';
import { createScheduleActivities } from './schedule';
import { createSegmentActivities } from './segments';
import { createOptimizeActivities, type OptimizeDeps } from './split-optimize';
import { createSend, SendDeps } from './send';

export type ActivityDeps = SendDeps & LaunchDeps & EventSweepDeps & Pick<OptimizeDeps, 'countTrials'> & { models: Pick<Models, 'segments'> };

export function createActivities(deps: ActivityDeps) {
  const segments = createSegmentActivities({ customer: deps.customer, segments: deps.models.segments });
  return {
    send: createSend(deps),
    ...createLaunchActivities(deps),
    ...segments,
    ...createOptimizeActivities({ countTrials: deps.countTrials, evaluateBranch: segments.evaluateBranch }),
    ...createScheduleActivities(deps),
    ...createEventActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { SendInput, SendResult } from './send';
