import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { BranchStep } from '../../core/journey-definition';
import { DECIDE_OPTIONS } from '../activity-options';
import type { StepHandler } from './context';

const { evaluateBranch } = proxyActivities<Activities>(DECIDE_OPTIONS);

/**
 * Takes the first case whose condition holds for the customer now, re-evaluated in MongoDB at
 * this moment (one activity for all cases). A case whose segment was deleted does not hold (the
 * activity logs a warning) and the next cases are asked; a stored rule that cannot be evaluated
 * sends the customer down the default path rather than stranding them.
 */
export const branchStep: StepHandler<BranchStep> = async (step, { run }) => {
  let index = -1;
  try {
    index = await evaluateBranch({ customerId: run.customerId, cases: step.cases.map((c) => c.when) });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
  }
  return index >= 0 ? step.cases[index].next : step.default;
};
