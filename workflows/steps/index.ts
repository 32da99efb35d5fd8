import type { Step } from '../../core/journey-definition';
import type { StepHandler } from './context';
import { sendStep } from './send';
import { waitStep } from './wait';
import { waitForEventStep } from './wait-for-event';

type Handlers = { [T in Step['type']]: StepHandler<Extract<Step, { type: T }>> };

/** One handler per step type; the interpreter looks the step's type up here. */
export const stepHandlers: Handlers = {
  send: sendStep,
  wait: waitStep,
  waitForEvent: waitForEventStep,
};

/** The status a run shows while on a step of this type. */
export const statusWhileOn: { [T in Step['type']]: 'running' | 'waiting' } = {
  send: 'running',
  wait: 'waiting',
  waitForEvent: 'waiting',
};
