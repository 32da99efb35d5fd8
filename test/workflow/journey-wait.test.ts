// The journey interpreter under the time-skipping server: days of journey time in seconds.
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities, SendInput } from '../../activities';
import { journeyWorkflowId } from '../../core/ids';
import { JourneyRunInput, JourneyRunState, journeyStateQuery } from '../../core/journey-contract';
import type { JourneyDefinition } from '../../core/journey-definition';
import { journeyWorkflow } from '../../workflows/journey';
import { sendWaitSend, weeklyDigest } from '../support/journeys';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

interface Call {
  input: SendInput;
  scheduledAt: number;
}

/** Fake activities that record each send with the (skipped) time it was scheduled. */
function recordingActivities(outcome: (input: SendInput) => Awaited<ReturnType<Activities['send']>> = () => ({ status: 'sent', messageId: 'm' })) {
  const calls: Call[] = [];
  const activities: Pick<Activities, 'send'> = {
    async send(input) {
      calls.push({ input, scheduledAt: Context.current().info.scheduledTimestampMs });
      return outcome(input);
    },
  };
  return { calls, activities };
}

function input(definition: JourneyDefinition, customerId = 'c1'): JourneyRunInput {
  return { journeyId: 'j1', journeyVersion: 3, customerId, entry: 1, definition };
}

test('when a journey waits two days, then the next send goes out two days after the first', async () => {
  const { calls, activities } = recordingActivities();
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const workflowId = journeyWorkflowId('j1', 'c1');

  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, { workflowId, taskQueue, args: [input(sendWaitSend)] });
    return handle.result();
  });

  expect(result.path).toEqual(['welcome', 'two-days', 'tips']);
  expect(result.sends.map((s) => [s.stepId, s.status])).toEqual([
    ['welcome', 'sent'],
    ['tips', 'sent'],
  ]);
  expect(calls.map((c) => c.input.key)).toEqual([`${workflowId}:welcome:1`, `${workflowId}:tips:1`]);
  expect(calls[1].scheduledAt - calls[0].scheduledAt).toBeGreaterThanOrEqual(2 * DAY);
  expect(calls[1].scheduledAt - calls[0].scheduledAt).toBeLessThan(2 * DAY + 60_000);
  expect(calls[1].input).toMatchObject({ journeyId: 'j1', customerId: 'c1', stepId: 'tips', channel: 'web', templateId: 'tips' });
});

test('when a run is waiting, then its state query shows the wait step and when it ends', async () => {
  const { activities } = recordingActivities();
  const { worker, taskQueue } = await journeyWorker(env, activities);

  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, {
      workflowId: journeyWorkflowId('j1', 'c2'),
      taskQueue,
      args: [input(sendWaitSend, 'c2')],
    });
    // Without auto time-skipping (no result() awaited yet), the run sits in its wait.
    const state = await waitForState(handle, (s) => s.currentStep === 'two-days');
    expect(state).toMatchObject({ status: 'waiting', path: ['welcome', 'two-days'], journeyVersion: 3, customerId: 'c2' });
    const waitingUntil = Date.parse(state.waitingUntil!);
    const startedAt = Date.parse(state.sends[0].at);
    expect(waitingUntil - startedAt).toBeGreaterThanOrEqual(2 * DAY - 1_000);
    expect(waitingUntil - startedAt).toBeLessThanOrEqual(2 * DAY + 1_000);

    await handle.result();
    const done = await handle.query(journeyStateQuery);
    expect(done.status).toBe('completed');
    expect(done.currentStep).toBeUndefined();
    expect(done.waitingUntil).toBeUndefined();
  });
});

test('when a send fails for good, then the run records it and goes on to the next step', async () => {
  const { activities } = recordingActivities((i) => {
    if (i.stepId === 'welcome') throw ApplicationFailure.nonRetryable('template "welcome" does not exist', 'TemplateNotFound');
    return { status: 'skipped', reason: 'unreachable' };
  });
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const result = await worker.runUntil(
    env.client.workflow.execute(journeyWorkflow, { workflowId: journeyWorkflowId('j1', 'c3'), taskQueue, args: [input(sendWaitSend, 'c3')] }),
  );
  expect(result.sends.map((s) => [s.stepId, s.status, s.reason])).toEqual([
    ['welcome', 'failed', 'template "welcome" does not exist'],
    ['tips', 'skipped', 'unreachable'],
  ]);
});

test('when a journey loops through a wait, then each visit of a step gets its own idempotency key', async () => {
  const { calls, activities } = recordingActivities();
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const workflowId = journeyWorkflowId('j1', 'c4');
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, { workflowId, taskQueue, args: [input(weeklyDigest, 'c4')] });
    await env.sleep('15d');
    await waitForState(handle, (s) => s.sends.length >= 3);
    await handle.terminate('test over');
  });
  expect(calls.slice(0, 3).map((c) => c.input.key)).toEqual([`${workflowId}:digest:1`, `${workflowId}:digest:2`, `${workflowId}:digest:3`]);
});

async function waitForState(handle: WorkflowHandle<typeof journeyWorkflow>, predicate: (state: JourneyRunState) => boolean) {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(journeyStateQuery);
    if (predicate(state)) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('state never matched');
}
