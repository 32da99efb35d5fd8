import type { SplitStep } from '../../core/journey-definition';
import { assignSplit, HOLDOUT } from '../../core/split';
import type { StepHandler } from './context';

/** Weighted paths, the same for a customer every time (a hash, no randomness to record). */
export const splitStep: StepHandler<SplitStep> = async (step, { run, state, control }) => {
  const path = assignSplit(step, run.journeyId, run.customerId);
  state.splits[step.id] = path;
  if (path === HOLDOUT) {
    control.end('holdout');
    return undefined;
  }
  return step.paths.find((p) => p.name === path)!.next;
};
