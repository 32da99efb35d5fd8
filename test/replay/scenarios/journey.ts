// Scenarios of the JSON journey interpreter (journeyWorkflow): one per shape a run can take,
// each a definition and how the recorder drives the run. The recorder's fake activities
// (test/replay/record-histories.ts) answer by template ID: "quiet-once", "capped-once",
// "paused-thrice", "missing", "no-address"... say what a send meets.
import type { WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { journeyWorkflowId } from '../../../core/ids';
import { customerEventSignal, journeyStateQuery, pauseSignal, resumeSignal, startSearchAttributes, stopSignal } from '../../../core/journey-contract';
import type { JourneyDefinition } from '../../../core/journey-definition';
import { journeyWorkflow } from '../../../workflows/journey';
import { cartReminder, optimizingSplit, referenceJourney, sendWaitSend, weeklyDigest } from '../../support/journeys';
import type { Scenario } from '../scenario';
import { recorderState } from '../scenario';

interface JourneyScenario {
  name: string;
  definition: JourneyDefinition;
  /** Drives the run to the point where its history is captured. */
  drive(handle: WorkflowHandle<typeof journeyWorkflow>, sleep: (d: Duration) => Promise<void>): Promise<void>;
}

const onStep = async (h: WorkflowHandle<typeof journeyWorkflow>, stepId: string) => {
  while ((await h.query(journeyStateQuery)).currentStep !== stepId) await new Promise((r) => setTimeout(r, 50));
};

/** An optimizing split (the recorder's optimizer answers its last path), a send on each path. */
const optimizing = optimizingSplit({ goal: 'purchase', within: '3d' });

const journeys: JourneyScenario[] = [
  { name: 'send-wait-send-completed', definition: sendWaitSend, drive: (h) => h.result().then(() => undefined) },
  {
    name: 'send-wait-send-while-waiting',
    definition: sendWaitSend,
    async drive(h) {
      while ((await h.query(journeyStateQuery)).currentStep !== 'two-days') await new Promise((r) => setTimeout(r, 50));
    },
  },
  {
    name: 'failed-and-skipped-sends',
    definition: {
      name: 'Failures',
      steps: [
        { id: 'broken', type: 'send', channel: 'email', template: 'missing', next: 'unreachable' },
        { id: 'unreachable', type: 'send', channel: 'email', template: 'no-address' },
      ],
    },
    drive: (h) => h.result().then(() => undefined),
  },
  {
    name: 'weekly-loop-three-visits',
    definition: weeklyDigest,
    async drive(h, sleep) {
      await sleep('15d');
      while ((await h.query(journeyStateQuery)).sends.length < 3) await new Promise((r) => setTimeout(r, 50));
    },
  },
  { name: 'wait-for-event-timed-out', definition: cartReminder, drive: (h) => h.result().then(() => undefined) },
  {
    name: 'wait-for-event-arrived',
    definition: cartReminder,
    async drive(h) {
      while (!(await h.query(journeyStateQuery)).waitingFor) await new Promise((r) => setTimeout(r, 50));
      await h.signal(customerEventSignal, { id: 'e1', name: 'page_viewed', timestamp: new Date().toISOString() });
      await h.signal(customerEventSignal, { id: 'e2', name: 'order_completed', timestamp: new Date().toISOString(), properties: { source: 'web' } });
      await h.result();
    },
  },
  {
    name: 'branch-split-wait-until-exit',
    definition: {
      name: 'Everything',
      settings: { goal: { event: 'purchase', within: '7d' } },
      steps: [
        { id: 'which', type: 'branch', cases: [{ when: { segment: 'vip' }, next: 'ab' }], default: 'out' },
        { id: 'ab', type: 'split', paths: [{ name: 'a', weight: 1, next: 'morning' }, { name: 'b', weight: 1, next: 'morning' }] },
        { id: 'morning', type: 'wait', untilLocalTime: { time: '09:00' }, next: 'hello' },
        { id: 'hello', type: 'send', channel: 'email', template: 'hello', next: 'out' },
        { id: 'out', type: 'exit' },
      ],
    },
    async drive(h) {
      while ((await h.query(journeyStateQuery)).currentStep !== 'morning') await new Promise((r) => setTimeout(r, 50));
      await h.signal(customerEventSignal, { id: 'p1', name: 'purchase', timestamp: new Date().toISOString() });
      await h.result();
    },
  },
  {
    name: 'best-time-wait',
    definition: {
      name: 'Best time',
      steps: [
        { id: 'best', type: 'wait', untilBestTime: { within: '1d', default: '10:00' }, next: 'hello' },
        { id: 'hello', type: 'send', channel: 'email', template: 'hello' },
      ],
    },
    drive: (h) => h.result().then(() => undefined),
  },
  {
    name: 'optimize-split-converted-after-last-step',
    definition: optimizing,
    async drive(h) {
      while ((await h.query(journeyStateQuery)).status !== 'waiting') await new Promise((r) => setTimeout(r, 50));
      await h.signal(customerEventSignal, { id: 'p1', name: 'purchase', timestamp: new Date().toISOString() });
      await h.result();
    },
  },
  { name: 'optimize-split-window-closed', definition: optimizing, drive: (h) => h.result().then(() => undefined) },
  {
    name: 'goal-converted-counted',
    definition: { ...sendWaitSend, settings: { goal: { event: 'purchase', within: '7d' } } },
    async drive(h) {
      while ((await h.query(journeyStateQuery)).currentStep !== 'two-days') await new Promise((r) => setTimeout(r, 50));
      await h.signal(customerEventSignal, { id: 'p1', name: 'purchase', timestamp: new Date().toISOString() });
      await h.result();
    },
  },
  {
    name: 'paused-then-resumed',
    definition: sendWaitSend,
    async drive(h, sleep) {
      while ((await h.query(journeyStateQuery)).currentStep !== 'two-days') await new Promise((r) => setTimeout(r, 50));
      await h.signal(pauseSignal);
      await sleep('3d');
      while (!(await h.query(journeyStateQuery)).paused || (await h.query(journeyStateQuery)).currentStep !== 'tips') {
        await new Promise((r) => setTimeout(r, 50));
      }
      await h.signal(resumeSignal);
      await h.result();
    },
  },
  {
    name: 'quiet-hours-send',
    definition: {
      name: 'Quiet',
      settings: { quietHours: { start: '21:00', end: '08:00' } },
      steps: [
        { id: 'receipt', type: 'send', channel: 'email', template: 'receipt', transactional: true, next: 'promo' },
        { id: 'promo', type: 'send', channel: 'email', template: 'promo' },
      ],
    },
    drive: (h) => h.result().then(() => undefined),
  },
  {
    name: 'capped-send-deferred',
    definition: { name: 'Deferred', steps: [{ id: 'promo', type: 'send', channel: 'email', template: 'capped-once', whenCapped: 'defer' }] },
    drive: (h) => h.result().then(() => undefined),
  },
  {
    name: 'stopped-while-waiting',
    definition: sendWaitSend,
    async drive(h) {
      while ((await h.query(journeyStateQuery)).currentStep !== 'two-days') await new Promise((r) => setTimeout(r, 50));
      await h.signal(stopSignal, { reason: 'recorded' });
      await h.result();
    },
  },
  {
    name: 'exit-event-while-waiting',
    definition: { ...sendWaitSend, settings: { exitOnEvent: 'unsubscribed' } },
    async drive(h) {
      while ((await h.query(journeyStateQuery)).currentStep !== 'two-days') await new Promise((r) => setTimeout(r, 50));
      await h.signal(customerEventSignal, { id: 'u1', name: 'unsubscribed', timestamp: new Date().toISOString() });
      await h.result();
    },
  },
  {
    name: 'quiet-hours-held-by-send',
    definition: {
      name: 'Quiet, held by the send',
      settings: { quietHours: { start: '21:00', end: '08:00' } },
      steps: [{ id: 'late', type: 'send', channel: 'email', template: 'quiet-once' }],
    },
    drive: (h) => h.result().then(() => undefined),
  },
  {
    name: 'send-rerouted-to-fallback',
    definition: {
      name: 'Fallback',
      steps: [{ id: 'text', type: 'send', channel: 'sms', template: 'sms-hello', fallback: { channel: 'email', template: 'email-hello' } }],
    },
    drive: (h) => h.result().then(() => undefined),
  },
  // A best-channel send chooses its second listed channel: rerouted there, with the choice.
  {
    name: 'best-channel-rerouted-with-choice',
    definition: {
      name: 'Best channel',
      steps: [{ id: 'hello', type: 'send', channel: 'best', channels: ['email', 'push'], templates: { email: 'email-hello', push: 'push-hello' } }],
    },
    drive: (h) => h.result().then(() => undefined),
  },
  // Search attributes upserted when the run begins to wait and when it ends (patch
  // search-attributes-when-waiting), not on entering every step.
  { name: 'reference-journey-completed', definition: referenceJourney, drive: (h) => h.result().then(() => undefined) },
  {
    name: 'converted-in-quiet-hours-journey-when-waiting',
    definition: { ...sendWaitSend, settings: { quietHours: { start: '21:00', end: '08:00' }, goal: { event: 'purchase', within: '7d' } } },
    async drive(h) {
      await onStep(h, 'two-days');
      await h.signal(customerEventSignal, { id: 'p1', name: 'purchase', timestamp: new Date().toISOString() });
      await h.result();
    },
  },
  {
    name: 'paused-at-send-when-waiting',
    definition: referenceJourney,
    async drive(h, sleep) {
      await onStep(h, 'one-day');
      await h.signal(pauseSignal);
      await sleep('2d');
      await onStep(h, 'tips');
      await h.signal(resumeSignal);
      await h.result();
    },
  },
  {
    name: 'capped-send-deferred-when-waiting',
    definition: {
      name: 'Deferred',
      steps: [
        { id: 'promo', type: 'send', channel: 'email', template: 'capped-once', whenCapped: 'defer', next: 'out' },
        { id: 'out', type: 'exit' },
      ],
    },
    drive: (h) => h.result().then(() => undefined),
  },
  // A send that finds the journey paused holds until the resume signal, looking again less often
  // each time (patch pause-held-until-resume), not every 30 seconds.
  {
    name: 'paused-found-by-send-looks-again',
    definition: { name: 'Held', steps: [{ id: 'hello', type: 'send', channel: 'email', template: 'paused-thrice' }] },
    drive: (h) => h.result().then(() => undefined),
  },
  {
    name: 'paused-found-by-send-resumed',
    definition: { name: 'Held', steps: [{ id: 'hello', type: 'send', channel: 'email', template: 'paused-until-resumed' }] },
    async drive(h, sleep) {
      while (!(await h.query(journeyStateQuery)).paused) await new Promise((r) => setTimeout(r, 50));
      await sleep('1h');
      recorderState.resumed = true;
      await h.signal(resumeSignal);
      await h.result();
    },
  },
  {
    // The run missed the stop signal: its send finds the journey stopped, and it ends there.
    name: 'send-finds-journey-stopped',
    definition: {
      name: 'Stopped',
      steps: [
        { id: 'hello', type: 'send', channel: 'email', template: 'journey-stopped', next: 'later' },
        { id: 'later', type: 'wait', duration: '1d' },
      ],
    },
    drive: (h) => h.result().then(() => undefined),
  },
];

export const scenarios: Scenario<typeof journeyWorkflow>[] = journeys.map(({ name, definition, drive }) => ({
  name,
  workflow: journeyWorkflow,
  workflowId: journeyWorkflowId('replay', name),
  args: [{ journeyId: 'replay', journeyVersion: 1, customerId: name, entry: 1, definition }],
  searchAttributes: startSearchAttributes('replay', name, definition.steps[0].id),
  drive,
}));
