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

const HOUR_MS = 3_600_000;
const hhmmUtc = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/**
 * The 30-day, five-send journey that journey simulations are tested and measured with
 * (test/integration/journey-simulation.test.ts, bench/simulate.ts): quiet hours (UTC) from an
 * hour before `now` to two hours after hold the welcome; a 6 h wait; up to 3 days for an order;
 * then email, SMS and web-inbox sends across four weeks. Its templates are below.
 */
export function simulatedOnboarding(now: number): JourneyDefinition {
  return {
    name: 'Simulated onboarding',
    settings: { quietHours: { start: hhmmUtc(now - HOUR_MS), end: hhmmUtc(now + 2 * HOUR_MS) }, timeZone: 'UTC' },
    steps: [
      { id: 'welcome', type: 'send', channel: 'email', template: 'sim-welcome', next: 'settle' },
      { id: 'settle', type: 'wait', duration: '6h', next: 'wait-order' },
      { id: 'wait-order', type: 'waitForEvent', event: 'order_completed', timeout: '3d', onEvent: 'thanks', onTimeout: 'tip' },
      { id: 'thanks', type: 'send', channel: 'email', template: 'sim-thanks', next: 'two-days' },
      { id: 'two-days', type: 'wait', duration: '2d', next: 'tip' },
      { id: 'tip', type: 'send', channel: 'sms', template: 'sim-tip', next: 'ten-days' },
      { id: 'ten-days', type: 'wait', duration: '10d', next: 'inbox' },
      { id: 'inbox', type: 'send', channel: 'web', template: 'sim-inbox', next: 'two-weeks' },
      { id: 'two-weeks', type: 'wait', duration: '14d', next: 'last' },
      { id: 'last', type: 'send', channel: 'email', template: 'sim-last' },
    ],
  };
}

/** The templates of simulatedOnboarding, by ID: what PUT /v1/templates/{id} takes. */
export const SIMULATED_ONBOARDING_TEMPLATES: Record<string, { channel: 'email' | 'sms' | 'web'; content: Record<string, string> }> = {
  'sim-welcome': { channel: 'email', content: { subject: 'Welcome, {{customer.firstName}}', html: '<p>Hi {{customer.firstName}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>', text: 'Hi {{customer.firstName}}' } },
  'sim-thanks': { channel: 'email', content: { subject: 'Thanks for order {{events.wait-order.properties.orderId}}', html: '<p>Thanks</p>' } },
  'sim-tip': { channel: 'sms', content: { body: 'Tip for {{customer.firstName}}' } },
  'sim-inbox': { channel: 'web', content: { title: 'Hello {{customer.firstName}}', body: 'Your plan: {{customer.plan}}' } },
  'sim-last': { channel: 'email', content: { subject: 'About order {{events.wait-order.properties.orderId}}', html: '<p>{{events.wait-order.properties.total}} EUR</p>' } },
};

/**
 * A split that optimizes for `optimize` between "plain" and "emoji", each path one email
 * (templates "plain" and "emoji" unless named), with an optional holdout (a weight beside the
 * paths' 9 each: 2 holds out 10%).
 */
export function optimizingSplit(optimize: Record<string, unknown>, options: { holdout?: number; templates?: [string, string] } = {}): JourneyDefinition {
  const [plain, emoji] = options.templates ?? ['plain', 'emoji'];
  return {
    name: 'Subject lines that sell',
    steps: [
      {
        id: 'subject',
        type: 'split',
        paths: [
          { name: 'plain', weight: 9, next: 'send-plain' },
          { name: 'emoji', weight: 9, next: 'send-emoji' },
        ],
        ...(options.holdout ? { holdout: { weight: options.holdout } } : {}),
        optimize: optimize as never,
      },
      { id: 'send-plain', type: 'send', channel: 'email', template: plain },
      { id: 'send-emoji', type: 'send', channel: 'email', template: emoji },
    ],
  };
}
