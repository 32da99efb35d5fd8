// Journey definitions shared by the workflow tests and the history recorder.
import type { JourneyDefinition } from '../../core/journey-definition';

/** Email, two days, web message. */
export const sendWaitSend: JourneyDefinition = {
  name: 'Welcome',
  steps: [
    { id: 'welcome', type: 'send', channel: 'email', template: 'welcome', next: 'two-days' },
    { id: 'two-days', type: 'wait', duration: '2d', next: 'tips' },
    { id: 'tips', type: 'send', channel: 'web', template: 'tips' },
  ],
};

/** A loop through a wait: one digest a week, forever. */
export const weeklyDigest: JourneyDefinition = {
  name: 'Weekly digest',
  steps: [
    { id: 'digest', type: 'send', channel: 'email', template: 'digest', next: 'week' },
    { id: 'week', type: 'wait', duration: '1w', next: 'digest' },
  ],
};

/** Wait a day for an order from the web: thank the customer, or remind them. */
export const cartReminder: JourneyDefinition = {
  name: 'Cart reminder',
  steps: [
    {
      id: 'wait-order',
      type: 'waitForEvent',
      event: 'order_completed',
      match: { source: 'web' },
      timeout: '1d',
      onEvent: 'thanks',
      onTimeout: 'reminder',
    },
    { id: 'thanks', type: 'send', channel: 'email', template: 'thanks' },
    { id: 'reminder', type: 'send', channel: 'email', template: 'reminder' },
  ],
};

/** The reference journey the Temporal cost test measures: send, wait a day, branch on a segment, send, exit. */
export const referenceJourney: JourneyDefinition = {
  name: 'Reference',
  steps: [
    { id: 'welcome', type: 'send', channel: 'email', template: 'welcome', next: 'one-day' },
    { id: 'one-day', type: 'wait', duration: '1d', next: 'active' },
    { id: 'active', type: 'branch', cases: [{ when: { segment: 'active' }, next: 'tips' }], default: 'done' },
    { id: 'tips', type: 'send', channel: 'web', template: 'tips', next: 'done' },
    { id: 'done', type: 'exit' },
  ],
};
