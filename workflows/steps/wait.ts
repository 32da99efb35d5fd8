import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { parseDuration } from '../../core/duration';
import type { WaitStep } from '../../core/journey-definition';
import { DECIDE_OPTIONS } from '../activity-options';
import type { StepHandler } from './context';

const { resolveWait, resolveBestTime } = proxyActivities<Activities>(DECIDE_OPTIONS);

/**
 * Waits for a duration, or until a moment (fixed, from a customer attribute, the next local
 * time in the customer's zone, or the customer's best time, resolved by an activity). A durable
 * timer: one pair of history events however long it is; the run's end (stop, exit event) cuts
 * it short.
 */
export const waitStep: StepHandler<WaitStep> = async (step, { run, settings, state, control }) => {
  let ms: number;
  let reason: string | undefined;
  if (step.duration !== undefined) {
    // Validated at the edge; a bad duration here means a bug, so fail loudly.
    const parsed = parseDuration(step.duration);
    if (parsed === undefined) throw new TypeError(`step "${step.id}": invalid duration "${step.duration}"`);
    ms = parsed;
  } else if (step.untilBestTime !== undefined) {
    // Its own activity, scheduled only for this step form, which no history before it holds:
    // the commands of every recorded run stay the same, so no patch.
    const decided = await resolveBestTime({
      customerId: run.customerId,
      bestTime: step.untilBestTime,
      defaultTimeZone: settings?.timeZone,
      from: new Date().toISOString(),
    });
    ms = Date.parse(decided.until) - Date.now();
    reason = decided.reason;
  } else {
    const target = await resolveWait({
      customerId: run.customerId,
      wait: { until: step.until, untilAttribute: step.untilAttribute, untilLocalTime: step.untilLocalTime },
      defaultTimeZone: settings?.timeZone,
      from: new Date().toISOString(),
    });
    // No date to wait for (the attribute is missing): the customer goes straight on.
    ms = target === null ? 0 : Date.parse(target) - Date.now();
  }
  if (ms > 0) {
    state.waitingUntil = new Date(Date.now() + ms).toISOString();
    state.waitReason = reason;
    await control.pause(ms);
    state.waitingUntil = undefined;
    state.waitReason = undefined;
  }
  return step.next;
};
