// Branch, split, exit, waits until a moment, stop, exit criteria, goals and continue-as-new,
// under the time-skipping server with typed fake activities.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { Activities, SendInput } from '../../activities';
import { journeyWorkflowId } from '../../core/ids';
import { customerEventSignal, JOURNEY_STOPPED, journeyStateQuery, pauseSignal, resumeSignal, stopSignal } from '../../core/journey-contract';
import type { JourneyDefinition } from '../../core/journey-definition';
import { assignSplit } from '../../core/split';
import { journeyWorkflow } from '../../workflows/journey';
import { journeyWorker, startTimeSkipping, stateWhen } from '../support/time-skipping';

const HOUR = 3_600_000;
const EventType = temporal.api.enums.v1.EventType;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const calls: { name: string; input: unknown }[] = [];
let branchAnswer = -1;
let waitAnswer: (from: string) => string | null = () => null;
/** When the send activity holds a send for quiet hours, until then; null sends it. */
let quietAnswer: (input: SendInput) => Promise<string | null> = async () => null;
const activities: Partial<Activities> = {
  async send(input) {
    calls.push({ name: 'send', input });
    // The journey was stopped, and the run missed the signal (see the test of that name).
    if (input.customerId.startsWith('missed-stop')) return { status: 'skipped', reason: JOURNEY_STOPPED };
    const quietUntil = await quietAnswer(input);
    if (quietUntil) return { status: 'deferred', retryAt: quietUntil, reason: 'quiet-hours' };
    return { status: 'sent', messageId: input.key };
  },
  async evaluateBranch(input) {
    calls.push({ name: 'evaluateBranch', input });
    return branchAnswer;
  },
  async resolveWait(input) {
    calls.push({ name: 'resolveWait', input });
    return waitAnswer(input.from);
  },
};

let n = 0;
async function run(definition: JourneyDefinition, drive?: (h: WorkflowHandle<typeof journeyWorkflow>) => Promise<void>, customerId = `c${++n}`) {
  const { worker, taskQueue } = await journeyWorker(env, activities);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, {
      workflowId: journeyWorkflowId('steps', customerId),
      taskQueue,
      args: [{ journeyId: 'steps', journeyVersion: 1, customerId, entry: 1, definition }],
    });
    await drive?.(handle);
    return handle.result();
  });
}


const send = (id: string, next?: string) => ({ id, type: 'send' as const, channel: 'email' as const, template: id, next });

test('when a branch case matches, then the run takes its path, and the default when none does', async () => {
  const definition: JourneyDefinition = {
    name: 'Branch',
    steps: [
      { id: 'which', type: 'branch', cases: [{ when: { segment: 'vip' }, next: 'vip' }, { when: { rule: { attribute: 'plan', op: 'eq', value: 'pro' } }, next: 'pro' }], default: 'other' },
      send('vip'),
      send('pro'),
      send('other'),
    ],
  };
  branchAnswer = 1;
  expect((await run(definition)).path).toEqual(['which', 'pro']);
  const asked = calls.filter((c) => c.name === 'evaluateBranch').pop()!.input as { cases: unknown[] };
  expect(asked.cases).toEqual([{ segment: 'vip' }, { rule: { attribute: 'plan', op: 'eq', value: 'pro' } }]);
  branchAnswer = -1;
  expect((await run(definition)).path).toEqual(['which', 'other']);
});

test('when customers reach a split, then each takes the path its hash assigns, and the holdout ends the journey', async () => {
  const split: JourneyDefinition = {
    name: 'Experiment',
    steps: [
      { id: 'ab', type: 'split', paths: [{ name: 'a', weight: 1, next: 'a' }, { name: 'b', weight: 1, next: 'b' }], holdout: { weight: 1 } },
      send('a'),
      send('b'),
    ],
  };
  const step = split.steps[0] as Extract<JourneyDefinition['steps'][number], { type: 'split' }>;
  // Find one customer for each of the three outcomes.
  const byPath = new Map<string, string>();
  for (let i = 0; byPath.size < 3; i++) byPath.set(assignSplit(step, 'steps', `split-${i}`), `split-${i}`);
  for (const [path, customerId] of byPath) {
    const result = await run(split, undefined, customerId);
    expect(result.splits).toEqual({ ab: path });
    if (path === 'holdout') {
      expect(result).toMatchObject({ path: ['ab'], status: 'completed', exitReason: 'holdout' });
    } else {
      expect(result.path).toEqual(['ab', path]);
    }
  }
});

test('when a run reaches an exit step, then it ends there', async () => {
  const result = await run({ name: 'Exit', steps: [{ id: 'out', type: 'exit' }] });
  expect(result).toMatchObject({ path: ['out'], status: 'completed', exitReason: 'exit-step', sends: [] });
});

test('when a wait has a target moment, then the run waits until it, and goes straight on without one', async () => {
  const definition: JourneyDefinition = {
    name: 'Until',
    steps: [{ id: 'morning', type: 'wait', untilLocalTime: { time: '09:00', weekdays: ['mon'] }, next: 'hello' }, send('hello')],
  };
  waitAnswer = (from) => new Date(Date.parse(from) + 5 * HOUR).toISOString();
  await run(definition, async (handle) => {
    const state = await stateWhen(handle, (s) => s.waitingUntil !== undefined);
    expect(state.currentStep).toBe('morning');
  });
  const [resolve, hello] = calls.slice(-2) as { name: string; input: { from?: string } }[];
  expect(resolve.name).toBe('resolveWait');
  expect(resolve.input).toMatchObject({ wait: { untilLocalTime: { time: '09:00', weekdays: ['mon'] } } });
  expect(hello.name).toBe('send');

  waitAnswer = () => null;
  const straight = await run({ name: 'Attr', steps: [{ id: 'renewal', type: 'wait', untilAttribute: 'renewsAt', next: 'hello' }, send('hello')] });
  expect(straight.path).toEqual(['renewal', 'hello']);
});

test('when a run is stopped while it waits, then it ends at once as stopped and sends nothing more', async () => {
  const result = await run(
    { name: 'Stop', steps: [{ id: 'long', type: 'wait', duration: '30d', next: 'late' }, send('late')] },
    async (handle) => {
      await stateWhen(handle, (s) => s.status === 'waiting');
      await handle.signal(stopSignal, { reason: 'test' });
    },
  );
  expect(result).toMatchObject({ status: 'stopped', exitReason: 'stopped', path: ['long'], sends: [] });
});

test('when a send finds its journey stopped (the run missed the stop signal), then the run ends as stopped there', async () => {
  const result = await run(
    { name: 'Missed stop', steps: [send('first', 'later'), { id: 'later', type: 'wait', duration: '1d', next: 'second' }, send('second')] },
    undefined,
    'missed-stop-1',
  );
  expect(result).toMatchObject({ status: 'stopped', exitReason: 'stopped', path: ['first'], sends: [{ stepId: 'first', status: 'skipped', reason: 'journey-stopped' }] });
});

test('when the exit event arrives, then the run leaves the journey wherever it is', async () => {
  const result = await run(
    { name: 'Exit on event', settings: { exitOnEvent: 'unsubscribed' }, steps: [{ id: 'long', type: 'wait', duration: '7d', next: 'late' }, send('late')] },
    async (handle) => {
      await stateWhen(handle, (s) => s.status === 'waiting');
      await handle.signal(customerEventSignal, { id: 'u1', name: 'unsubscribed', timestamp: new Date().toISOString() });
    },
  );
  expect(result).toMatchObject({ status: 'exited', exitReason: 'exit-event', path: ['long'] });
});

test('when the goal event arrives within its window, then the run counts as converted, and exits if asked to', async () => {
  const steps: JourneyDefinition['steps'] = [{ id: 'long', type: 'wait', duration: '3d', next: 'late' }, send('late')];
  const purchase = { id: 'p1', name: 'purchase', timestamp: new Date().toISOString() };
  const drive = async (handle: WorkflowHandle<typeof journeyWorkflow>) => {
    await stateWhen(handle, (s) => s.status === 'waiting');
    await handle.signal(customerEventSignal, purchase);
    await stateWhen(handle, (s) => s.converted !== undefined || s.status !== 'waiting');
  };
  const stays = await run({ name: 'Goal', settings: { goal: { event: 'purchase', within: '7d' } }, steps }, drive);
  expect(stays).toMatchObject({ status: 'completed', path: ['long', 'late'], converted: { eventId: 'p1' } });
  const leaves = await run({ name: 'Goal exit', settings: { goal: { event: 'purchase', within: '7d', exitOnConversion: true } }, steps }, drive);
  expect(leaves).toMatchObject({ status: 'exited', exitReason: 'converted', path: ['long'] });
});

test('when a journey loops for long, then the run continues as new and keeps its place and visit count', async () => {
  const definition: JourneyDefinition = {
    name: 'Hourly',
    steps: [send('ping', 'hour'), { id: 'hour', type: 'wait', duration: '1h', next: 'ping' }],
  };
  const customerId = 'looper';
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const before = calls.length;
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, {
      workflowId: journeyWorkflowId('steps', customerId),
      taskQueue,
      args: [{ journeyId: 'steps', journeyVersion: 1, customerId, entry: 1, definition }],
    });
    // 1,000 steps per run: the 501st ping is in the second run.
    await env.sleep(520 * HOUR);
    const state = await stateWhen(handle, (s) => s.sends.length > 0 && s.path.length > 0 && calls.length - before >= 505);
    expect(state.path.length).toBeLessThanOrEqual(200);
    const description = await handle.describe();
    expect(description.runId).not.toBe(handle.firstExecutionRunId);
    await handle.terminate('test over');
  });
  const keys = calls.slice(before).filter((c) => c.name === 'send').map((c) => (c.input as { key: string }).key);
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys[500]).toBe(`${journeyWorkflowId('steps', customerId)}:ping:501`);
}, 300_000);

test('when an event is delivered again after the run continued as new, then the run hears it once', async () => {
  const definition: JourneyDefinition = {
    name: 'Clicks',
    steps: [
      { id: 'listen', type: 'waitForEvent', event: 'click', timeout: '1h', onEvent: 'clicked', onTimeout: 'listen' },
      send('clicked', 'listen'),
    ],
  };
  const customerId = 'clicker';
  const click = (id: string) => ({ id, name: 'click', timestamp: new Date().toISOString() });
  const { worker, taskQueue } = await journeyWorker(env, activities);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, {
      workflowId: journeyWorkflowId('steps', customerId),
      taskQueue,
      args: [{ journeyId: 'steps', journeyVersion: 1, customerId, entry: 1, definition }],
    });
    await stateWhen(handle, (s) => s.waitingFor !== undefined);
    await handle.signal(customerEventSignal, click('k1'));
    await stateWhen(handle, (s) => s.sends.length === 1 && s.waitingFor !== undefined);
    // 1,000 steps per run: a thousand hourly timeouts later the run has continued as new.
    await env.sleep(1_010 * HOUR);
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    const before = await stateWhen(handle, (s) => s.waitingFor !== undefined);

    await handle.signal(customerEventSignal, click('k1'));
    await signalHandled(handle);
    const after = await handle.query(journeyStateQuery);
    expect([after.currentStep, after.path.length, after.sends.length]).toEqual(['listen', before.path.length, 1]);
    // A new click is heard: the run was listening.
    await handle.signal(customerEventSignal, click('k2'));
    await stateWhen(handle, (s) => s.sends.length === 2);
    await handle.terminate('test over');
  });
}, 300_000);

/** Waits until the current run has completed a workflow task after its latest signal. */
async function signalHandled(handle: WorkflowHandle<typeof journeyWorkflow>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const events = (await handle.fetchHistory()).events ?? [];
    const signalled = events.map((e) => e.eventType).lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    if (events.slice(signalled + 1).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the signal was never handled');
}

test('when the journey is paused, then the run holds before its send until resumed, while its wait goes on', async () => {
  const before = calls.length;
  const result = await run({ name: 'Pause', steps: [{ id: 'hour', type: 'wait', duration: '1h', next: 'hello' }, send('hello')] }, async (handle) => {
    await stateWhen(handle, (s) => s.status === 'waiting');
    await handle.signal(pauseSignal);
    await env.sleep('2h');
    const held = await stateWhen(handle, (s) => s.currentStep === 'hello');
    expect(held.paused).toBe(true);
    expect(calls.slice(before).filter((c) => c.name === 'send')).toHaveLength(0);
    await handle.signal(resumeSignal);
  });
  expect(result).toMatchObject({ status: 'completed', path: ['hour', 'hello'] });
  expect(calls.slice(before).filter((c) => c.name === 'send')).toHaveLength(1);
});

test('when a send falls in quiet hours, then it waits for their end, and a transactional send does not', async () => {
  const before = calls.length;
  // The send activity holds a non-transactional send once, for eight hours, as quiet hours do.
  const held = new Set<string>();
  quietAnswer = async (input) => {
    if (!input.quietHours || input.transactional || held.has(input.key)) return null;
    held.add(input.key);
    // Eight hours of the test server's clock, which time skipping runs ahead of this one.
    return new Date((await env.currentTimeMs()) + 8 * HOUR).toISOString();
  };
  try {
    await run(
      {
        name: 'Quiet',
        settings: { quietHours: { start: '21:00', end: '08:00' } },
        steps: [{ ...send('receipt', 'promo'), transactional: true }, send('promo')],
      },
      async (handle) => {
        const state = await stateWhen(handle, (s) => s.currentStep === 'promo' && s.waitingUntil !== undefined);
        expect(Date.parse(state.waitingUntil!) - Date.now()).toBeGreaterThan(7 * HOUR);
      },
    );
  } finally {
    quietAnswer = async () => null;
  }
  const mine = calls.slice(before).map((c) => (c.name === 'send' ? `send:${(c.input as { stepId: string }).stepId}` : c.name));
  expect(mine).toEqual(['send:receipt', 'send:promo', 'send:promo']);
  expect(calls.slice(before)[1].input).toMatchObject({ quietHours: { start: '21:00', end: '08:00' } });
});
