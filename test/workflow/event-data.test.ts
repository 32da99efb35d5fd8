// Event data for templates under the time-skipping server: the send activity's input carries
// the event that entered the customer (`event`) and the one that ended each waitForEvent step
// (`events.<stepId>`), across continue-as-new too.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../activities';
import type { SendInput } from '../../activities/send';
import { journeyWorkflowId } from '../../core/ids';
import { CustomerEvent, customerEventSignal, journeyStateQuery } from '../../core/journey-contract';
import type { JourneyDefinition } from '../../core/journey-definition';
import { journeyWorkflow } from '../../workflows/journey';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const sends: SendInput[] = [];
const activities: Pick<Activities, 'send'> = {
  async send(input) {
    sends.push(input);
    return { status: 'sent', messageId: input.key };
  },
};
const sendOf = (customerId: string, stepId: string) => sends.find((s) => s.customerId === customerId && s.stepId === stepId);

const cart: CustomerEvent = { id: 'cart-1', name: 'cart_abandoned', timestamp: '2026-03-01T10:00:00.000Z', properties: { cartTotal: 42.5, items: ['mug'] } };
const paid: CustomerEvent = { id: 'pay-1', name: 'payment_added', timestamp: '2026-03-01T11:00:00.000Z', properties: { method: 'card' } };
const asTemplate = ({ name, timestamp, properties }: CustomerEvent) => ({ name, timestamp, properties });

/** Mails at once, waits for a payment method, then thanks or nudges. */
const abandonedCart: JourneyDefinition = {
  name: 'Abandoned cart',
  entry: { type: 'event', event: 'cart_abandoned' },
  steps: [
    { id: 'hello', type: 'send', channel: 'email', template: 'cart', next: 'wait-pay' },
    { id: 'wait-pay', type: 'waitForEvent', event: 'payment_added', timeout: '1d', onEvent: 'thanks', onTimeout: 'nudge' },
    { id: 'thanks', type: 'send', channel: 'sms', template: 'thanks' },
    { id: 'nudge', type: 'send', channel: 'email', template: 'nudge' },
  ],
};

let customers = 0;
async function run(definition: JourneyDefinition, entryEvent: CustomerEvent | undefined, drive: (handle: WorkflowHandle<typeof journeyWorkflow>) => Promise<void>) {
  const customerId = `ev${++customers}`;
  const { worker, taskQueue } = await journeyWorker(env, activities);
  return worker.runUntil(async () => {
    const options = {
      workflowId: journeyWorkflowId('cart', customerId),
      taskQueue,
      args: [{ journeyId: 'cart', journeyVersion: 1, customerId, entry: 1, definition }] as Parameters<typeof journeyWorkflow>,
    };
    // An event-entry run starts as ingest starts it: signal-with-start, the event its first signal.
    const started = entryEvent
      ? await env.client.workflow.signalWithStart(journeyWorkflow, { ...options, signal: customerEventSignal, signalArgs: [entryEvent] })
      : await env.client.workflow.start(journeyWorkflow, options);
    const handle = env.client.workflow.getHandle<typeof journeyWorkflow>(started.workflowId);
    await drive(handle);
    return { customerId, result: await handle.result() };
  });
}

async function whenWaiting(handle: WorkflowHandle<typeof journeyWorkflow>, event: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await handle.query(journeyStateQuery)).waitingFor?.event === event) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the run never waited for ${event}`);
}

test('when an event enters the customer, then every send carries it, and sends after a waitForEvent step carry its event', async () => {
  const { customerId, result } = await run(abandonedCart, cart, async (handle) => {
    await whenWaiting(handle, 'payment_added');
    await handle.signal(customerEventSignal, paid);
  });
  expect(result.path).toEqual(['hello', 'wait-pay', 'thanks']);
  // The first step is a send: the entry event is heard before it.
  expect(sendOf(customerId, 'hello')).toMatchObject({ event: asTemplate(cart) });
  expect(sendOf(customerId, 'hello')).not.toHaveProperty('events');
  expect(sendOf(customerId, 'thanks')).toMatchObject({ event: asTemplate(cart), events: { 'wait-pay': asTemplate(paid) } });
  // Templates read no event ID.
  expect(sendOf(customerId, 'thanks')!.event).not.toHaveProperty('id');
});

test('when a run is launched, then it has no entry event, even when an event of that name comes later; a timeout records none', async () => {
  const { customerId, result } = await run(abandonedCart, undefined, async (handle) => {
    await whenWaiting(handle, 'payment_added');
    await handle.signal(customerEventSignal, { ...cart, id: 'cart-late' });
  });
  expect(result.path).toEqual(['hello', 'wait-pay', 'nudge']);
  for (const stepId of ['hello', 'nudge']) {
    expect(sendOf(customerId, stepId)).toBeDefined();
    expect(sendOf(customerId, stepId)).not.toHaveProperty('event');
    expect(sendOf(customerId, stepId)).not.toHaveProperty('events');
  }
});

test('when the run continues as new, then the next run still sends with the entry event and the waitForEvent event', async () => {
  // A one-second wait in a loop passes the 1,000 steps a run takes before it continues as new.
  const looping: JourneyDefinition = {
    name: 'Abandoned cart, looping',
    entry: { type: 'event', event: 'cart_abandoned' },
    steps: [
      { id: 'wait-pay', type: 'waitForEvent', event: 'payment_added', timeout: '1d', onEvent: 'idle', onTimeout: 'idle' },
      { id: 'idle', type: 'waitForEvent', event: 'go', timeout: '1s', onEvent: 'mail', onTimeout: 'idle' },
      { id: 'mail', type: 'send', channel: 'email', template: 'cart' },
    ],
  };
  const { customerId, result } = await run(looping, cart, async (handle) => {
    await whenWaiting(handle, 'payment_added');
    const firstRunId = (await handle.describe()).runId;
    await handle.signal(customerEventSignal, paid);
    // Time skips only while someone awaits the result.
    const done = handle.result();
    for (let i = 0; (await handle.describe()).runId === firstRunId; i++) {
      if (i > 2_400) throw new Error('the run never continued as new');
      await new Promise((r) => setTimeout(r, 25));
    }
    await handle.signal(customerEventSignal, { id: 'go-1', name: 'go', timestamp: new Date().toISOString() });
    await done;
  });
  expect(result.path.at(-1)).toBe('mail');
  expect(result.path).not.toContain('wait-pay'); // the latest run began after it
  expect(sendOf(customerId, 'mail')).toMatchObject({ event: asTemplate(cart), events: { 'wait-pay': asTemplate(paid), idle: { name: 'go' } } });
}, 120_000);
