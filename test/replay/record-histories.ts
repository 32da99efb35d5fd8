// Records the journey workflow's histories for the replay test: `npm run record-histories`.
// Run it when a new workflow shape ships, and commit the files it writes. It records only the
// scenarios that have no file yet: an old history is never re-recorded, since a failing replay
// of one is exactly what the test is for.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, Duration } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Activities, SendInput } from '../../activities';
import { journeyWorkflowId } from '../../core/ids';
import {
  customerEventSignal,
  JOURNEY_STOPPED,
  JourneyRunInput,
  journeyStateQuery,
  pauseSignal,
  resumeSignal,
  startSearchAttributes,
  stopSignal,
} from '../../core/journey-contract';
import type { JourneyDefinition } from '../../core/journey-definition';
import { REPO_ROOT } from '../../dev/servers';
import { onboardingWorkflow } from '../../workflows/code-first/onboarding';
import { finishEventsWorkflow } from '../../workflows/finish-events';
import { journeyWorkflow } from '../../workflows/journey';
import { cartReminder, referenceJourney, sendWaitSend, weeklyDigest } from '../support/journeys';
import { startTimeSkipping } from '../support/time-skipping';
import { createJourneyWorkers } from '../../workers/create-worker';

const OUT_DIR = path.join(REPO_ROOT, 'test', 'replay', 'histories');

const deferred = new Set<string>();
/** Sends that found their journey paused in the store, by key: how many times. */
const pausedFor = new Map<string, number>();
/** The journey of the scenario that resumes by signal, resumed in the store too. */
let resumed = false;

const activities: Pick<Activities, 'send' | 'evaluateBranch' | 'resolveWait' | 'finishEvents'> = {
  async finishEvents() {
    return { finished: 2, examined: 40, through: new Date(0).toISOString() };
  },
  async evaluateBranch(input) {
    return input.customerId === 'onboarding-no-project' ? -1 : 0;
  },
  async resolveWait(input) {
    return new Date(Date.parse(input.from) + 3_600_000).toISOString();
  },
  async send(input: SendInput) {
    // An hour after the server scheduled it: the server's clock has skipped ahead of this one.
    const inAnHour = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs + 3_600_000).toISOString();
    if (input.templateId === 'quiet-once' && !deferred.has(input.key)) {
      deferred.add(input.key);
      return { status: 'deferred', retryAt: inAnHour(), reason: 'quiet-hours' };
    }
    if (input.templateId === 'capped-once' && !deferred.has(input.key)) {
      deferred.add(input.key);
      return { status: 'deferred', retryAt: inAnHour(), reason: 'capped:daily' };
    }
    // The journey paused in the store, the pause signal having missed the run: three looks, or
    // until the journey resumes.
    const looks = (pausedFor.get(input.key) ?? 0) + 1;
    if ((input.templateId === 'paused-thrice' && looks <= 3) || (input.templateId === 'paused-until-resumed' && !resumed)) {
      pausedFor.set(input.key, looks);
      return { status: 'deferred', retryAt: new Date(Context.current().info.currentAttemptScheduledTimestampMs + 30_000).toISOString(), reason: 'paused' };
    }
    // Unreachable on the step's channel: handed to the fallback channel's queue.
    if (input.fallback && input.via === input.channel) return { status: 'rerouted', channel: input.fallback.channel };
    if (input.templateId === 'missing') throw ApplicationFailure.nonRetryable('template "missing" does not exist', 'TemplateNotFound');
    if (input.templateId === 'no-address') return { status: 'skipped', reason: 'unreachable' };
    if (input.templateId === 'journey-stopped') return { status: 'skipped', reason: JOURNEY_STOPPED };
    return { status: 'sent', messageId: `m-${input.key}` };
  },
};

interface Scenario {
  name: string;
  definition: JourneyDefinition;
  /** Drives the run to the point where its history is captured. */
  drive(handle: WorkflowHandle<typeof journeyWorkflow>, sleep: (d: Duration) => Promise<void>): Promise<void>;
}

const onStep = async (h: WorkflowHandle<typeof journeyWorkflow>, stepId: string) => {
  while ((await h.query(journeyStateQuery)).currentStep !== stepId) await new Promise((r) => setTimeout(r, 50));
};

const scenarios: Scenario[] = [
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
      resumed = true;
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

async function main() {
  const env = await startTimeSkipping();
  const worker = await createJourneyWorkers({ connection: env.nativeConnection, taskQueue: 'record-histories', activities });
  await worker.runUntil(async () => {
    for (const scenario of scenarios.filter((s) => !existsSync(path.join(OUT_DIR, `${s.name}.json`)))) {
      const input: JourneyRunInput = { journeyId: 'replay', journeyVersion: 1, customerId: scenario.name, entry: 1, definition: scenario.definition };
      const handle = await env.client.workflow.start(journeyWorkflow, {
        workflowId: journeyWorkflowId('replay', scenario.name),
        taskQueue: 'record-histories',
        args: [input],
        typedSearchAttributes: startSearchAttributes('replay', scenario.name, scenario.definition.steps[0].id),
      });
      await scenario.drive(handle, (d) => env.sleep(d));
      const history = await handle.fetchHistory();
      writeFileSync(path.join(OUT_DIR, `${scenario.name}.json`), historyToJSON(history));
      console.log(`recorded ${scenario.name}: ${history.events?.length} events`);
    }
    // The code-first example journey, on its slowest path (no project, no power user).
    const onboarding = 'onboarding-no-project';
    if (!existsSync(path.join(OUT_DIR, `${onboarding}.json`))) {
      const handle = await env.client.workflow.start(onboardingWorkflow, {
        workflowId: journeyWorkflowId('onboarding', onboarding),
        taskQueue: 'record-histories',
        args: [{ customerId: onboarding, entry: 1 }],
        typedSearchAttributes: startSearchAttributes('onboarding', onboarding),
      });
      await handle.result();
      const history = await handle.fetchHistory();
      writeFileSync(path.join(OUT_DIR, `${onboarding}.json`), historyToJSON(history));
      console.log(`recorded ${onboarding}: ${history.events?.length} events`);
    }
    // One pass of the event sweep, as its schedule starts it.
    const sweep = 'finish-events-pass';
    if (!existsSync(path.join(OUT_DIR, `${sweep}.json`))) {
      const handle = await env.client.workflow.start(finishEventsWorkflow, { workflowId: `finish-events:${sweep}`, taskQueue: 'record-histories' });
      await handle.result();
      const history = await handle.fetchHistory();
      writeFileSync(path.join(OUT_DIR, `${sweep}.json`), historyToJSON(history));
      console.log(`recorded ${sweep}: ${history.events?.length} events`);
    }
  });
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
