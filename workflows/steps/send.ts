import { ActivityFailure, ApplicationFailure, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { ChannelChoice } from '../../core/best-channel';
import { BEST_CHANNEL, type Channel } from '../../core/channels';
import { sendKey } from '../../core/ids';
import { channelTaskQueue, CUSTOMER_ERASED, heldTemplateEvents, JOURNEY_STOPPED } from '../../core/journey-contract';
import type { SendStep } from '../../core/journey-definition';
import { sendRoutes } from '../../core/send-routes';
import { DECIDE_OPTIONS, SEND_OPTIONS } from '../activity-options';
import { patchedSince } from '../patches';
import type { StepHandler } from './context';

const MAX_REROUTES = 2;

/**
 * Runs that pass this marker leave quiet hours to the send activity, which checks the journey's
 * (or the account's) and answers `deferred` until they end; runs recorded before it waited
 * here first, through an extra resolveWait activity, and replay that way. Runs that recorded a
 * newer patch marker take the new way without recording this one (patchedSince).
 */
const QUIET_HOURS_IN_SEND = 'quiet-hours-in-send';

/**
 * Runs that pass this marker, when the send finds the journey paused (the pause signal missed
 * them), hold as the signal would: until the resume signal, looking again after
 * PAUSED_FIRST_LOOK_MS, then twice as long each time up to PAUSED_LAST_LOOK_MS, so a long
 * pause adds a few history events a day. Runs recorded before it tried again at the send's
 * `retryAt` (every 30 seconds) and replay that way. Asked only when a send finds a pause.
 */
const PAUSE_HELD_UNTIL_RESUME = 'pause-held-until-resume';
/** The first look again: soon, in case the resume came just before (the send reads a cache). */
const PAUSED_FIRST_LOOK_MS = 5 * 60_000;
/** Looks a day apart at most: only a run the resume signal missed as well waits for one. */
const PAUSED_LAST_LOOK_MS = 24 * 3_600_000;

/** The send activity on the channel's own task queue, where its provider's rate limit holds. */
function sendVia(channel: Channel) {
  return proxyActivities<Activities>({ ...SEND_OPTIONS, taskQueue: channelTaskQueue(workflowInfo().taskQueue, channel) }).send;
}
const { resolveWait } = proxyActivities<Activities>(DECIDE_OPTIONS);

/**
 * Delivers the step's template, unless the journey is paused (then it holds until resumed), the
 * customer is in quiet hours (then it waits for their end, unless transactional) or a frequency
 * cap defers it. A send that cannot go out (skipped or failed for good) is recorded in the run's
 * state and the journey goes on: one bad message does not strand the customer.
 */
export const sendStep: StepHandler<SendStep> = async (step, { run, settings, state, visit, control, templateEvents }) => {
  // A paused journey sends nothing: the run holds here until it resumes (or is stopped).
  if (!(await control.unlessPaused())) return undefined;
  if (settings?.quietHours && !step.transactional && !patchedSince(QUIET_HOURS_IN_SEND)) {
    const end = await resolveWait({
      customerId: run.customerId,
      wait: { quietHours: settings.quietHours },
      defaultTimeZone: settings.timeZone,
      from: new Date().toISOString(),
    });
    if (end !== null) {
      state.waitingUntil = end;
      const waited = await control.pause(Date.parse(end) - Date.now());
      state.waitingUntil = undefined;
      if (!waited || !(await control.unlessPaused())) return undefined;
    }
  }
  const at = new Date().toISOString();
  // A best-channel send tries its listed channels in order: the first is its channel until one is chosen.
  const [first, ...others] = sendRoutes(step).map((r) => ({ channel: r.channel, templateId: r.template }));
  const base = { stepId: step.id, channel: first.channel, at };
  let heldByPause = false;
  try {
    const input = {
      key: sendKey(workflowInfo().workflowId, step.id, visit),
      journeyId: run.journeyId,
      customerId: run.customerId,
      stepId: step.id,
      channel: first.channel,
      templateId: first.templateId,
      ...(step.channel === BEST_CHANNEL ? { best: [first, ...others] } : others.length > 0 ? { fallback: others[0] } : {}),
      ...(step.transactional ? { transactional: true } : {}),
      ...(step.whenCapped ? { whenCapped: step.whenCapped } : {}),
      ...(settings?.quietHours ? { quietHours: settings.quietHours } : {}),
      ...(settings?.timeZone ? { timeZone: settings.timeZone } : {}),
      // For the time-to-first-send metric; an activity input, so histories replay as before.
      ...(state.sends.some((s) => s.status === 'sent') ? {} : { enteredAt: state.enteredAt }),
      // What `{{event.*}}` and `{{events.<stepId>.*}}` read; activity input too, so no patch.
      ...heldTemplateEvents(templateEvents),
    };
    let via = first.channel;
    let choice: ChannelChoice | undefined;
    let reroutes = 0;
    let look = PAUSED_FIRST_LOOK_MS;
    let resumes = control.resumes;
    let result = await sendVia(via)({ ...input, via });
    for (;;) {
      if (result.status === 'rerouted') {
        // The customer is reached on the fallback channel: deliver from that channel's queue.
        // Twice at most (there and, if the customer changed meanwhile, back), never a loop.
        if (++reroutes > MAX_REROUTES) {
          state.sends.push({ ...base, status: 'failed', reason: `rerouted between channels more than ${MAX_REROUTES} times` });
          return step.next;
        }
        via = result.channel;
        // A best-channel send keeps the choice that sent it there (absent for other sends: their input is as before).
        choice = result.choice;
      } else if (result.status === 'deferred' && result.reason === 'paused' && control.resumes === resumes && patched(PAUSE_HELD_UNTIL_RESUME)) {
        // Paused, and no resume signal came while the send was out: the run marks itself
        // paused (as the signal would have) and holds until the resume signal or its next look.
        heldByPause = control.paused = state.paused = true;
        const resumed = await control.until(() => !control.paused, look);
        if (control.ended) return undefined;
        if (!resumed) look = Math.min(2 * look, PAUSED_LAST_LOOK_MS);
      } else if (result.status === 'deferred') {
        // Held by quiet hours, a frequency cap or a pause: wait, then try again.
        state.waitingUntil = result.retryAt;
        const waited = await control.pause(Date.parse(result.retryAt) - Date.now());
        state.waitingUntil = undefined;
        if (!waited) return undefined;
      } else break;
      resumes = control.resumes;
      result = await sendVia(via)({ ...input, via, ...(choice ? { choice } : {}) });
    }
    state.sends.push(
      result.status === 'sent'
        ? { ...base, status: 'sent', messageId: result.messageId, ...(result.channel ? { channel: result.channel } : {}) }
        : { ...base, status: 'skipped', reason: result.reason },
    );
    // The journey was stopped, or the customer erased, and this run missed the stop signal: it
    // ends as the signal would have. (No patch: no history recorded before these lines can
    // hold a send skipped for either reason.)
    if (result.status === 'skipped' && (result.reason === JOURNEY_STOPPED || result.reason === CUSTOMER_ERASED)) {
      control.end('stopped');
      return undefined;
    }
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    state.sends.push({ ...base, status: 'failed', reason: cause?.message ?? err.message });
  } finally {
    // The send is done with: the run holds no more for the pause it found itself (a next send
    // asks the database again).
    if (heldByPause && control.paused && !control.ended) {
      control.paused = false;
      state.paused = undefined;
    }
  }
  return step.next;
};
