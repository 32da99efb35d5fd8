import { sleep } from '@temporalio/workflow';
import { parseDuration } from '../../core/duration';
import type { WaitStep } from '../../core/journey-definition';
import type { StepHandler } from './context';

/** Waits for a duration: a durable timer, one pair of history events however long it is. */
export const waitStep: StepHandler<WaitStep> = async (step, { state }) => {
  // The definition was validated at the edge; a bad duration here means a bug, so fail loudly.
  const ms = parseDuration(step.duration);
  if (ms === undefined) throw new TypeError(`step "${step.id}": invalid duration "${step.duration}"`);
  state.waitingUntil = new Date(Date.now() + ms).toISOString();
  await sleep(ms);
  state.waitingUntil = undefined;
  return step.next;
};
