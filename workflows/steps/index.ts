import type { Step } from '../../core/journey-definition';
import { branchStep } from './branch';
import type { StepHandler } from './context';
import { exitStep } from './exit';
import { sendStep } from './send';
import { splitStep } from './split';
import { waitStep } from './wait';
import { waitForEventStep } from './wait-for-event';

type Handlers = { [T in Step['type']]: StepHandler<Extract<Step, { type: T }>> };

/** One handler per step type; the interpreter looks the step's type up here. */
export const stepHandlers: Handlers = {
  send: sendStep,
  wait: waitStep,
  waitForEvent: waitForEventStep,
  branch: branchStep,
  split: splitStep,
  exit: exitStep,
};

/** The status a run shows while on a step of this type. */
export const statusWhileOn: { [T in Step['type']]: 'running' | 'waiting' } = {
  send: 'running',
  wait: 'waiting',
  waitForEvent: 'waiting',
  branch: 'running',
  split: 'running',
  exit: 'running',
};
