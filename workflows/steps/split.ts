import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { parseDuration } from '../../core/duration';
import type { SplitStep } from '../../core/journey-definition';
import { assignSplit, HOLDOUT } from '../../core/split';
import { minShareOf } from '../../core/split-optimize';
import { DECIDE_OPTIONS } from '../activity-options';
import type { StepContext, StepHandler } from './context';

const { chooseSplitPath } = proxyActivities<Activities>(DECIDE_OPTIONS);

/**
 * Optimizing splits pick through an activity. A run whose split an older worker took by hash
 * (the step's `optimize` saved during a rolling upgrade) has no marker here and replays that way.
 */
export const SPLIT_OPTIMIZE = 'split-optimize';

/**
 * Weighted paths, the same for a customer every time (a hash, no randomness to record); with
 * `optimize`, the holdout is still the hash's and the path the optimizer's (an activity, so the
 * random pick is recorded), and the run opens a trial that listens for the goal.
 */
export const splitStep: StepHandler<SplitStep> = async (step, ctx) => {
  const { run, state, control } = ctx;
  const path = step.optimize && patched(SPLIT_OPTIMIZE) ? await optimizedPath(step, ctx) : assignSplit(step, run.journeyId, run.customerId);
  state.splits[step.id] = path;
  if (path === HOLDOUT) {
    control.end('holdout');
    return undefined;
  }
  return step.paths.find((p) => p.name === path)!.next;
};

async function optimizedPath(step: SplitStep, { run, state, openTrial }: StepContext): Promise<string> {
  // A looping journey passes the split again: the same path, and the first trial stands.
  const earlier = state.trials?.[step.id];
  if (earlier) return earlier.path;
  if (assignSplit(step, run.journeyId, run.customerId) === HOLDOUT) return HOLDOUT;
  const optimize = step.optimize!;
  const { path, context } = await chooseSplitPath({
    journeyId: run.journeyId,
    stepId: step.id,
    customerId: run.customerId,
    paths: step.paths.map((p) => p.name),
    minShare: minShareOf(step),
    ...(optimize.segments ? { segments: optimize.segments } : {}),
  });
  openTrial(step.id, { path, context, goal: optimize.goal, until: new Date(Date.now() + parseDuration(optimize.within)!).toISOString() });
  return path;
}
