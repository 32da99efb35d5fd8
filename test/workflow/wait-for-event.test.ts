// The waitForEvent step under the time-skipping server: the event path, the timeout path, and
// which events count.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../activities';
import { journeyWorkflowId } from '../../core/ids';
import { CustomerEvent, customerEventSignal, JourneyRunState, journeyStateQuery } from '../../core/journey-contract';
import type { JourneyDefinition } from '../../core/journey-definition';
import { journeyWorkflow } from '../../workflows/journey';
import { cartReminder } from '../support/journeys';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const sent: string[] = [];
const activities: Pick<Activities, 'send'> = {
  async send(input) {
    sent.push(`${input.customerId}:${input.stepId}`);
    return { status: 'sent', messageId: input.key };
  },
};

let customers = 0;
async function run(definition: JourneyDefinition, drive: (handle: WorkflowHandle<typeof journeyWorkflow>) => Promise<void>) {
  const customerId = `c${++customers}`;
  const { worker, taskQueue } = await journeyWorker(env, activities);
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(journeyWorkflow, {
      workflowId: journeyWorkflowId('cart', customerId),
      taskQueue,
      args: [{ journeyId: 'cart', journeyVersion: 1, customerId, entry: 1, definition }],
    });
    await drive(handle);
    return { customerId, result: await handle.result() };
  });
}

async function whenWaiting(handle: WorkflowHandle<typeof journeyWorkflow>): Promise<JourneyRunState> {
  for (let i = 0; i < 200; i++) {
    const state = await handle.query(journeyStateQuery);
    if (state.waitingFor) return state;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the run never reached its waitForEvent step');
}

const event = (name: string, id: string, properties?: Record<string, unknown>): CustomerEvent => ({
  id,
  name,
  timestamp: new Date().toISOString(),
  properties,
});

test('when the awaited event arrives in time, then the run takes the event path', async () => {
  const { customerId, result } = await run(cartReminder, async (handle) => {
    const state = await whenWaiting(handle);
    expect(state.waitingFor).toEqual({ event: 'order_completed', match: { source: 'web' } });
    expect(state.status).toBe('waiting');
    expect(Date.parse(state.waitingUntil!) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await handle.signal(customerEventSignal, event('order_completed', 'e1', { source: 'web', total: 12 }));
  });
  expect(result.path).toEqual(['wait-order', 'thanks']);
  expect(sent).toContain(`${customerId}:thanks`);
});

test('when the time runs out first, then the run takes the timeout path', async () => {
  const { result } = await run(cartReminder, async () => undefined);
  expect(result.path).toEqual(['wait-order', 'reminder']);
});

test('when only other events or non-matching properties arrive, then they do not count', async () => {
  const { result } = await run(cartReminder, async (handle) => {
    await whenWaiting(handle);
    await handle.signal(customerEventSignal, event('page_viewed', 'e2'));
    await handle.signal(customerEventSignal, event('order_completed', 'e3', { source: 'app' }));
  });
  expect(result.path).toEqual(['wait-order', 'reminder']);
});

test('when an event arrived before the step began, then it does not satisfy the wait', async () => {
  const early: JourneyDefinition = {
    name: 'Early',
    steps: [
      { id: 'pause', type: 'wait', duration: '1h', next: 'wait-order' },
      { id: 'wait-order', type: 'waitForEvent', event: 'order_completed', timeout: '1d', onEvent: 'thanks', onTimeout: 'reminder' },
      { id: 'thanks', type: 'send', channel: 'email', template: 'thanks' },
      { id: 'reminder', type: 'send', channel: 'email', template: 'reminder' },
    ],
  };
  const { result } = await run(early, async (handle) => {
    await handle.signal(customerEventSignal, event('order_completed', 'e4'));
  });
  expect(result.path).toEqual(['pause', 'wait-order', 'reminder']);
});
