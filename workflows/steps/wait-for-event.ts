import { parseDuration } from '../../core/duration';
import { templateEvent } from '../../core/journey-contract';
import type { WaitForEventStep } from '../../core/journey-definition';
import type { StepHandler } from './context';

/**
 * Waits for the customer to do something (an event, optionally with matching properties) for
 * up to `timeout`: the event leads to `onEvent`, the timeout to `onTimeout`. Later templates read
 * the event as `events.<stepId>`; a timeout forgets the one an earlier visit caught.
 */
export const waitForEventStep: StepHandler<WaitForEventStep> = async (step, { state, events, templateEvents }) => {
  const ms = parseDuration(step.timeout);
  if (ms === undefined) throw new TypeError(`step "${step.id}": invalid timeout "${step.timeout}"`);
  state.waitingUntil = new Date(Date.now() + ms).toISOString();
  state.waitingFor = { event: step.event, match: step.match };
  const event = await events.waitFor({ event: step.event, match: step.match }, ms);
  state.waitingUntil = undefined;
  state.waitingFor = undefined;
  if (event) templateEvents.events[step.id] = templateEvent(event);
  else delete templateEvents.events[step.id];
  return event ? step.onEvent : step.onTimeout;
};
