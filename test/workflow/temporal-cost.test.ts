// What one customer's run costs on Temporal Cloud, counted from its history under the
// time-skipping server with typed fake activities.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { Activities } from '../../activities';
import { journeyWorkflowId } from '../../core/ids';
import { JourneyRunState, journeyStateQuery, pauseSignal, resumeSignal, SA_STATUS, SA_STEP, SA_VISITED, startSearchAttributes } from '../../core/journey-contract';
import type { JourneyDefinition } from '../../core/journey-definition';
import { journeyWorkflow } from '../../workflows/journey';
import { referenceJourney } from '../support/journeys';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';

const EventType = temporal.api.enums.v1.EventType;
type History = temporal.api.history.v1.IHistory;
/** The search attribute the SDK upserts with each patch marker; Cloud does not bill it. */
const CHANGE_VERSION = 'TemporalChangeVersion';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

/** Customers whose journey the send finds paused in the store (the pause signal missed their run). */
const pausedInStore = new Set<string>();
/** Per customer, the test server's time when their send went out. */
const sentAt = new Map<string, number>();
/** Per customer, done while their send is out (before it answers). */
const duringSend = new Map<string, () => Promise<void>>();

const activities: Partial<Activities> = {
  async send(input) {
    const now = Context.current().info.currentAttemptScheduledTimestampMs;
    await duringSend.get(input.customerId)?.();
    if (pausedInStore.has(input.customerId)) return { status: 'deferred', retryAt: new Date(now + 30_000).toISOString(), reason: 'paused' };
    sentAt.set(input.customerId, now);
    return { status: 'sent', messageId: input.key };
  },
  async evaluateBranch() {
    return 0;
  },
};

/** Starts the run as the API does: the start's search attributes cost no action. */
async function start(definition: JourneyDefinition, customerId: string, taskQueue: string): Promise<WorkflowHandle<typeof journeyWorkflow>> {
  return env.client.workflow.start(journeyWorkflow, {
    workflowId: journeyWorkflowId('reference', customerId),
    taskQueue,
    args: [{ journeyId: 'reference', journeyVersion: 1, customerId, entry: 1, definition }],
    typedSearchAttributes: startSearchAttributes('reference', customerId, definition.steps[0].id),
  });
}

/** Waits until the run's state matches. */
async function stateWhen(handle: WorkflowHandle<typeof journeyWorkflow>, predicate: (s: JourneyRunState) => boolean): Promise<JourneyRunState> {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(journeyStateQuery);
    if (predicate(state)) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the run never reached that state');
}

/** Waits until the run's state says it is on the step. */
async function onStep(handle: WorkflowHandle<typeof journeyWorkflow>, stepId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(journeyStateQuery)).currentStep === stepId) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the run never reached ${stepId}`);
}

/**
 * The billable actions a run's history records, by event type, as Temporal Cloud counts them
 * (https://docs.temporal.io/cloud/actions):
 * - WorkflowExecutionStarted: 1 (search attributes given at start are free);
 *   WorkflowExecutionContinuedAsNew: 1, the next run's start;
 * - ActivityTaskScheduled: 1 each, plus 1 per retry (ActivityTaskStarted's attempt - 1);
 * - TimerStarted: 1 each, including the timer of a `condition` with a timeout;
 * - WorkflowExecutionSignaled: 1 each, except the signal of a signal-with-start (it directly
 *   follows the start, and the pair is one action);
 * - UpsertWorkflowSearchAttributes: 1 each, however many attributes it sets, except those that
 *   set only TemporalChangeVersion (the SDK's own, beside each patch marker; exempt);
 * - MarkerRecorded (patch markers, side effects, local activities): 1 per workflow task that
 *   records any, since Cloud counts all the markers of one workflow task as one action;
 * - StartChildWorkflowExecutionInitiated: 2.
 * Not in a history, so not counted here: queries, activity heartbeats, workflow task heartbeats.
 */
function billableActions(history: History): { total: number; byEvent: Record<string, number> } {
  const byEvent: Record<string, number> = {};
  const add = (name: string, n = 1) => void (byEvent[name] = (byEvent[name] ?? 0) + n);
  const tasksWithMarkers = new Set<string>();
  const events = history.events ?? [];
  events.forEach((event, i) => {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        return add('WorkflowExecutionStarted');
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return add('WorkflowExecutionContinuedAsNew');
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return add('ActivityTaskScheduled');
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const retries = (event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1;
        return retries > 0 ? add('ActivityRetry', retries) : undefined;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED:
        return add('TimerStarted');
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        return i === 1 && events[0].eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED ? undefined : add('WorkflowExecutionSignaled');
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const names = Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        return names.every((name) => name === CHANGE_VERSION) ? undefined : add('UpsertWorkflowSearchAttributes');
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const task = String(event.markerRecordedEventAttributes?.workflowTaskCompletedEventId);
        if (tasksWithMarkers.has(task)) return undefined;
        tasksWithMarkers.add(task);
        return add('MarkerRecorded');
      }
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        return add('StartChildWorkflowExecutionInitiated', 2);
      default:
        return undefined;
    }
  });
  return { total: Object.values(byEvent).reduce((a, b) => a + b, 0), byEvent };
}

test.each([
  ['the reference journey', referenceJourney],
  ['the reference journey with quiet hours', { ...referenceJourney, settings: { quietHours: { start: '21:00', end: '08:00' } } }],
])('when one customer walks %s, then the run costs at most 8 billable actions', async (_name, definition) => {
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const customerId = definition.settings ? 'quiet' : 'plain';
  const history = await worker.runUntil(async () => {
    const handle = await start(definition, customerId, taskQueue);
    expect((await handle.result()).path).toEqual(['welcome', 'one-day', 'active', 'tips', 'done']);
    return handle.fetchHistory();
  });
  const actions = billableActions(history);
  // At most 8; a failure shows the breakdown by event type, not just the total.
  expect(actions.total <= 8 || actions).toBe(true);
});

test('when the run waits and when it ends, then its search attributes say where it is and where it has been', async () => {
  const { worker, taskQueue } = await journeyWorker(env, activities);
  await worker.runUntil(async () => {
    const handle = await start(referenceJourney, 'visible', taskQueue);
    // Without auto time-skipping (no result() awaited yet), the run sits in its wait.
    await onStep(handle, 'one-day');
    const waiting = (await handle.describe()).typedSearchAttributes;
    expect([waiting.get(SA_STEP), waiting.get(SA_STATUS), waiting.get(SA_VISITED)]).toEqual(['one-day', 'waiting', ['welcome', 'one-day']]);

    await handle.result();
    const ended = (await handle.describe()).typedSearchAttributes;
    expect([ended.get(SA_STEP), ended.get(SA_STATUS), ended.get(SA_VISITED)]).toEqual(['done', 'completed', ['welcome', 'one-day', 'active', 'tips', 'done']]);
  });
});

test('when a send is held by a paused journey, then the run shows the send step and the steps it passed', async () => {
  const { worker, taskQueue } = await journeyWorker(env, activities);
  await worker.runUntil(async () => {
    const handle = await start(referenceJourney, 'held', taskQueue);
    await onStep(handle, 'one-day');
    await handle.signal(pauseSignal);
    await env.sleep('2d');
    await onStep(handle, 'tips');
    const held = (await handle.describe()).typedSearchAttributes;
    expect([held.get(SA_STEP), held.get(SA_STATUS), held.get(SA_VISITED)]).toEqual(['tips', 'running', ['welcome', 'one-day', 'active', 'tips']]);
    await handle.signal(resumeSignal);
    expect((await handle.result()).status).toBe('completed');
  });
});

describe('a run the pause signal missed', () => {
  const definition: JourneyDefinition = { name: 'Held', steps: [{ id: 'hello', type: 'send', channel: 'email', template: 'hello' }] };
  const MINUTE = 60_000;

  test('when it finds the pause in its send, then it holds until the resume signal, and 30 days of it stay under 500 history events', async () => {
    const { worker, taskQueue } = await journeyWorker(env, activities);
    pausedInStore.add('missed');
    await worker.runUntil(async () => {
      const handle = await start(definition, 'missed', taskQueue);
      // A quarter of a day at a time, so a run that grows faster fails early rather than slowly.
      for (let quarter = 1; quarter <= 120; quarter++) {
        await env.sleep('6h');
        const events = (await handle.fetchHistory()).events?.length ?? 0;
        expect(events < 500 || `${events} events after ${quarter * 6} hours`).toBe(true);
      }
      expect(await handle.query(journeyStateQuery)).toMatchObject({ paused: true, currentStep: 'hello', sends: [] });
      pausedInStore.delete('missed');
      const resumedAt = await env.currentTimeMs();
      await handle.signal(resumeSignal);
      expect((await handle.result()).sends).toMatchObject([{ status: 'sent' }]);
      expect(sentAt.get('missed')! - resumedAt).toBeLessThan(MINUTE);
    });
  }, 300_000);

  test('when the resume signal misses it too, then it sends at its next look, a day later at most', async () => {
    const { worker, taskQueue } = await journeyWorker(env, activities);
    pausedInStore.add('missed-twice');
    await worker.runUntil(async () => {
      const handle = await start(definition, 'missed-twice', taskQueue);
      await env.sleep('3d');
      expect(await handle.query(journeyStateQuery)).toMatchObject({ paused: true, sends: [] });
      pausedInStore.delete('missed-twice');
      const resumedAt = await env.currentTimeMs();
      expect((await handle.result()).sends).toMatchObject([{ status: 'sent' }]);
      expect(sentAt.get('missed-twice')! - resumedAt).toBeLessThanOrEqual(24 * 60 * MINUTE);
    });
  });

  test('when the resume signal comes while the send that found the pause is out, then the send tries again at its retry time', async () => {
    const { worker, taskQueue } = await journeyWorker(env, activities);
    pausedInStore.add('racing');
    duringSend.set('racing', async () => {
      duringSend.delete('racing');
      await env.client.workflow.getHandle(journeyWorkflowId('reference', 'racing')).signal(resumeSignal);
    });
    await worker.runUntil(async () => {
      const handle = await start(definition, 'racing', taskQueue);
      const startedAt = await env.currentTimeMs();
      await stateWhen(handle, (s) => s.waitingUntil !== undefined);
      pausedInStore.delete('racing');
      expect((await handle.result()).sends).toMatchObject([{ status: 'sent' }]);
      expect(sentAt.get('racing')! - startedAt).toBeLessThan(2 * MINUTE);
    });
  });
});
