// Real-time events and continuous entry on the real stack: an event reaches the customer's
// running journeys, event-entry journeys start on their event, segment-entry journeys enrol
// customers as they come to qualify.
import { WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { journeyWorkflowId } from '../../core/ids';
import { CustomerEvent, customerEventSignal, journeyStateQuery } from '../../core/journey-contract';
import type { JourneyDefinition } from '../../core/journey-definition';
import { backfillEntryRegistry } from '../../lib/entry-backfill';
import { createJourneyRuns } from '../../lib/journey-runs';
import { eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('journey-entry');
  await stack.api('PUT', '/v1/templates/hello-web', { channel: 'web', content: { title: 'Hello {{customer.id}}', body: 'Welcome.' } });
});
afterAll(async () => {
  await stack?.close();
});

async function hasRun(journeyId: string, customerId: string): Promise<boolean> {
  return (await stack.api('GET', `/v1/journeys/${journeyId}/runs/${customerId}`)).status === 200;
}

/** The IDs of the events the run was signalled, from its history (the run keeps each ID once). */
async function eventIdsHeard(handle: WorkflowHandle): Promise<string[]> {
  const signals = (await handle.fetchHistory()).events!.flatMap((e) => e.workflowExecutionSignaledEventAttributes ?? []);
  const ids = signals
    .filter((s) => s.signalName === customerEventSignal.name)
    .map((s) => defaultPayloadConverter.fromPayload<CustomerEvent>(s.input!.payloads![0] as never).id);
  return [...new Set(ids)].sort();
}

/** A live event-entry journey whose run waits a week, so it is running while the burst arrives. */
async function liveOnEvent(journeyId: string, event: string, reentry: unknown) {
  const saved = await stack.api('PUT', `/v1/journeys/${journeyId}`, {
    name: journeyId,
    entry: { type: 'event', event },
    settings: { reentry },
    steps: [{ id: 'week', type: 'wait', duration: '7d' }],
  });
  expect(saved.status).toBe(201);
  expect((await stack.api('POST', `/v1/journeys/${journeyId}/launch`, {})).body.live).toBe(true);
  await new Promise((r) => setTimeout(r, 2_100)); // the live-journey cache
}

const burstIds = (prefix: string) => Array.from({ length: 20 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

test('when a customer does the awaited event, then their running journey takes the event path', async () => {
  await stack.api('PUT', '/v1/customers/ann', {});
  await stack.api('PUT', '/v1/journeys/checkout', {
    name: 'Checkout',
    steps: [
      { id: 'wait-order', type: 'waitForEvent', event: 'order_completed', timeout: '1h', onEvent: 'thanks' },
      { id: 'thanks', type: 'send', channel: 'web', template: 'hello-web' },
    ],
  });
  await stack.api('POST', '/v1/journeys/checkout/launch', { customerIds: ['ann'] });
  await eventually(async () => expect((await stack.run('checkout', 'ann').query(journeyStateQuery)).waitingFor).toBeDefined());

  const res = await stack.api('POST', '/v1/events', { id: 'ann-order-1', customerId: 'ann', name: 'order_completed' });
  expect(res.status).toBe(202);
  const result = await stack.run('checkout', 'ann').result();
  expect(result.path).toEqual(['wait-order', 'thanks']);
  // The batch is recorded as dispatched, so the sweep leaves it alone.
  const { batch } = (await stack.db.models.events.findById('ann-order-1').lean())!;
  expect(await stack.db.models.eventBatches.findById(batch).lean()).not.toBeNull();
});

test('when an event-entry journey is live, then its event enters the customer once', async () => {
  await stack.api('PUT', '/v1/journeys/on-signup', {
    name: 'On sign-up',
    entry: { type: 'event', event: 'signed_up' },
    steps: [{ id: 'hello', type: 'send', channel: 'web', template: 'hello-web' }],
  });
  // Not live yet: the event enters nobody.
  await stack.api('POST', '/v1/events', { id: 'bo-early', customerId: 'bo', name: 'signed_up' });
  expect(await hasRun('on-signup', 'bo')).toBe(false);

  const live = await stack.api('POST', '/v1/journeys/on-signup/launch', {});
  expect(live.status).toBe(202);
  expect(live.body.live).toBe(true);
  await new Promise((r) => setTimeout(r, 2_100)); // the live-journey cache

  await stack.api('POST', '/v1/events', { id: 'cy-1', customerId: 'cy', name: 'signed_up' });
  const result = await stack.run('on-signup', 'cy').result();
  expect(result.sends.map((s) => s.status)).toEqual(['sent']);
  // A second sign-up event does not enter the customer again.
  await stack.api('POST', '/v1/events', { id: 'cy-2', customerId: 'cy', name: 'signed_up' });
  const inbox = await stack.api('GET', '/v1/customers/cy/inbox');
  expect(inbox.body.messages).toHaveLength(1);
});

test('when a segment-entry journey is live, then customers enter as they come to qualify, until entries stop', async () => {
  await stack.api('PUT', '/v1/segments/vip', { name: 'VIP', rule: { attribute: 'plan', op: 'eq', value: 'vip' } });
  await stack.api('PUT', '/v1/segments/buyers', { name: 'Buyers', rule: { event: 'purchase', op: 'atLeast', count: 2 } });
  await stack.api('PUT', '/v1/customers/early-vip', { attributes: { plan: 'vip' } });
  for (const [journeyId, segmentId] of [
    ['vip-welcome', 'vip'],
    ['buyer-thanks', 'buyers'],
  ]) {
    const saved = await stack.api('PUT', `/v1/journeys/${journeyId}`, {
      name: journeyId,
      entry: { type: 'segment', segmentId },
      steps: [{ id: 'hello', type: 'send', channel: 'web', template: 'hello-web' }],
    });
    expect(saved.status).toBe(201);
    const launched = await stack.api('POST', `/v1/journeys/${journeyId}/launch`, {});
    expect(launched.body).toMatchObject({ live: true, launch: { segmentId } });
  }
  // The launch enters the members there already.
  await eventually(async () => expect(await hasRun('vip-welcome', 'early-vip')).toBe(true));
  await new Promise((r) => setTimeout(r, 2_100)); // the live-journey cache

  // Attribute change: becomes VIP → enters; a non-VIP change enters nobody.
  await stack.api('PUT', '/v1/customers/new-vip', { attributes: { plan: 'free' } });
  expect(await hasRun('vip-welcome', 'new-vip')).toBe(false);
  await stack.api('PUT', '/v1/customers/new-vip', { attributes: { plan: 'vip' } });
  expect(await hasRun('vip-welcome', 'new-vip')).toBe(true);
  await stack.api('POST', '/v1/customers/batch', { customers: [{ id: 'batch-vip', attributes: { plan: 'vip' } }] });
  expect(await hasRun('vip-welcome', 'batch-vip')).toBe(true);

  // Behaviour: the second purchase makes a buyer.
  await stack.api('POST', '/v1/events', { id: 'p1', customerId: 'shopper', name: 'purchase' });
  expect(await hasRun('buyer-thanks', 'shopper')).toBe(false);
  await stack.api('POST', '/v1/events', { id: 'p2', customerId: 'shopper', name: 'purchase' });
  expect(await hasRun('buyer-thanks', 'shopper')).toBe(true);

  // Entries stopped: a new VIP is not entered.
  expect((await stack.api('POST', '/v1/journeys/vip-welcome/stop-entries')).body).toEqual({ journeyId: 'vip-welcome', live: false });
  await new Promise((r) => setTimeout(r, 2_100));
  await stack.api('PUT', '/v1/customers/late-vip', { attributes: { plan: 'vip' } });
  expect(await hasRun('vip-welcome', 'late-vip')).toBe(false);
});

test('when a journey enters through the API, then launching it without customers or a segment is refused', async () => {
  await stack.api('PUT', '/v1/journeys/plain', { name: 'Plain', steps: [{ id: 'hello', type: 'send', channel: 'web', template: 'hello-web' }] });
  const res = await stack.api('POST', '/v1/journeys/plain/launch', {});
  expect(res.status).toBe(400);
  expect(res.body.error.details[0].field).toBe('customerIds');
});

test('when a journey names an entry segment that does not exist, then saving it is refused naming entry.segmentId', async () => {
  const res = await stack.api('PUT', '/v1/journeys/ghostly', {
    name: 'Ghostly',
    entry: { type: 'segment', segmentId: 'ghost' },
    steps: [{ id: 'hello', type: 'send', channel: 'web', template: 'hello-web' }],
  });
  expect(res.status).toBe(400);
  expect(res.body.error.details[0].field).toBe('entry.segmentId');
});

test('when a customer stops matching the entry segment of a journey that exits on leaving it, then their run exits', async () => {
  await stack.api('PUT', '/v1/segments/trial', { name: 'On trial', rule: { attribute: 'plan', op: 'eq', value: 'trial' } });
  const saved = await stack.api('PUT', '/v1/journeys/trial-nurture', {
    name: 'Trial nurture',
    entry: { type: 'segment', segmentId: 'trial' },
    settings: { exitOnLeavingSegment: true },
    steps: [{ id: 'week', type: 'wait', duration: '7d', next: 'hello' }, { id: 'hello', type: 'send', channel: 'web', template: 'hello-web' }],
  });
  expect(saved.status).toBe(201);
  await stack.api('PUT', '/v1/customers/tria', { attributes: { plan: 'trial' } });
  await stack.api('POST', '/v1/journeys/trial-nurture/launch', {});
  await eventually(async () => expect(await hasRun('trial-nurture', 'tria')).toBe(true));
  await new Promise((r) => setTimeout(r, 2_100)); // the journey cache

  await stack.api('PUT', '/v1/customers/tria', { attributes: { plan: 'pro' } });
  const result = await stack.run('trial-nurture', 'tria').result();
  expect(result).toMatchObject({ status: 'exited', exitReason: 'left-segment', path: ['week'] });
});

test('when exitOnLeavingSegment is set without a segment entry, then the definition is refused naming it', async () => {
  const res = await stack.api('PUT', '/v1/journeys/odd', {
    name: 'Odd',
    settings: { exitOnLeavingSegment: true },
    steps: [{ id: 'x', type: 'exit' }],
  });
  expect(res.status).toBe(400);
  expect(res.body.error.details[0].field).toBe('settings.exitOnLeavingSegment');
});

test('when a journey allows re-entry, then a customer enters again once their run has ended and the cooldown passed', async () => {
  await stack.api('PUT', '/v1/customers/rita', {});
  const steps = [{ id: 'hello', type: 'send', channel: 'web', template: 'hello-web' }];
  await stack.api('PUT', '/v1/journeys/again', { name: 'Again', settings: { reentry: 'always' }, steps });
  for (const entry of [1, 2]) {
    const launch = await stack.api('POST', '/v1/journeys/again/launch', { customerIds: ['rita'] });
    expect(launch.body.entered).toEqual(['rita']);
    await stack.run('again', 'rita', entry).result();
  }
  const latest = await stack.api('GET', '/v1/journeys/again/runs/rita');
  expect(latest.body.workflowId).toBe(journeyWorkflowId('again', 'rita', 2));
  expect((await stack.api('GET', '/v1/customers/rita/inbox')).body.messages).toHaveLength(2);

  await stack.api('PUT', '/v1/journeys/cooled', { name: 'Cooled', settings: { reentry: { after: '3s' } }, steps });
  await stack.api('POST', '/v1/journeys/cooled/launch', { customerIds: ['rita'] });
  await stack.run('cooled', 'rita', 1).result();
  expect((await stack.api('POST', '/v1/journeys/cooled/launch', { customerIds: ['rita'] })).body.alreadyEntered).toEqual(['rita']);
  await new Promise((r) => setTimeout(r, 3_100));
  expect((await stack.api('POST', '/v1/journeys/cooled/launch', { customerIds: ['rita'] })).body.entered).toEqual(['rita']);
});

test('when a journey allows re-entry but the customer is still in it, then they do not enter twice at once', async () => {
  await stack.api('PUT', '/v1/customers/stay', {});
  await stack.api('PUT', '/v1/journeys/long-again', {
    name: 'Long again',
    settings: { reentry: 'always' },
    steps: [{ id: 'long', type: 'wait', duration: '30d' }],
  });
  const both = await Promise.all([
    stack.api('POST', '/v1/journeys/long-again/launch', { customerIds: ['stay'] }),
    stack.api('POST', '/v1/journeys/long-again/launch', { customerIds: ['stay'] }),
  ]);
  expect(both.flatMap((r) => r.body.entered)).toEqual(['stay']);
  expect(both.flatMap((r) => r.body.alreadyEntered)).toEqual(['stay']);
});

test("when a customer is on a second entry, then stopping their run stops that entry, not the first", async () => {
  await stack.api('PUT', '/v1/customers/twice', {});
  const steps = [{ id: 'hello', type: 'send', channel: 'web', template: 'hello-web', next: 'long' }, { id: 'long', type: 'wait', duration: '30d' }];
  await stack.api('PUT', '/v1/journeys/twice', { name: 'Twice', settings: { reentry: 'always' }, steps });
  await stack.api('POST', '/v1/journeys/twice/launch', { customerIds: ['twice'] });
  expect((await stack.api('POST', '/v1/journeys/twice/runs/twice/stop')).status).toBe(202);
  await stack.run('twice', 'twice', 1).result();
  expect((await stack.api('POST', '/v1/journeys/twice/launch', { customerIds: ['twice'] })).body.entered).toEqual(['twice']);

  expect((await stack.api('POST', '/v1/journeys/twice/runs/twice/stop')).status).toBe(202);
  expect((await stack.run('twice', 'twice', 2).result()).status).toBe('stopped');
});

test('when an event arrives 50 ms after the customer entered, then their run hears it (routed through the entry registry)', async () => {
  await stack.api('PUT', '/v1/customers/quick', {});
  await stack.api('PUT', '/v1/journeys/cancellable', {
    name: 'Cancellable',
    settings: { exitOnEvent: 'cancelled' },
    steps: [{ id: 'later', type: 'wait', duration: '7d', next: 'hello' }, { id: 'hello', type: 'send', channel: 'web', template: 'hello-web' }],
  });
  expect((await stack.api('POST', '/v1/journeys/cancellable/launch', { customerIds: ['quick'] })).status).toBe(202);
  await new Promise((r) => setTimeout(r, 50));
  expect((await stack.api('POST', '/v1/events', { id: 'quick-cancel', customerId: 'quick', name: 'cancelled' })).status).toBe(202);
  expect(await stack.run('cancellable', 'quick').result()).toMatchObject({ status: 'exited', path: ['later'] });
});

test('when an event is one no journey of the customer hears, then their run gets no signal', async () => {
  await stack.api('PUT', '/v1/customers/idle', {});
  await stack.api('PUT', '/v1/journeys/waits-for-order', {
    name: 'Waits for an order',
    steps: [{ id: 'wait-order', type: 'waitForEvent', event: 'order_completed', timeout: '1d' }],
  });
  await stack.api('POST', '/v1/journeys/waits-for-order/launch', { customerIds: ['idle'] });
  const handle = stack.run('waits-for-order', 'idle');
  await eventually(async () => expect((await handle.query(journeyStateQuery)).waitingFor).toBeDefined());

  await stack.api('POST', '/v1/events/batch', {
    events: [
      { id: 'idle-scroll', customerId: 'idle', name: 'page_scrolled' },
      { id: 'idle-order', customerId: 'idle', name: 'order_completed' },
    ],
  });
  await handle.result();
  const signals = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes);
  expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes!.signalName)).toEqual(['customerEvent']);
});

test('when an ingest request died after storing its events, then the scheduled sweep delivers them to the runs that hear them', async () => {
  await stack.api('PUT', '/v1/customers/orphan', {});
  await stack.api('PUT', '/v1/journeys/waits-for-payment', {
    name: 'Waits for a payment',
    steps: [{ id: 'wait-payment', type: 'waitForEvent', event: 'payment_made', timeout: '1d', onEvent: 'thanks' }, { id: 'thanks', type: 'send', channel: 'web', template: 'hello-web' }],
  });
  await stack.api('POST', '/v1/journeys/waits-for-payment/launch', { customerIds: ['orphan'] });
  const handle = stack.run('waits-for-payment', 'orphan');
  await eventually(async () => expect((await handle.query(journeyStateQuery)).waitingFor).toBeDefined());

  // What a request killed right after its insert leaves: the event, nothing else.
  const receivedAt = new Date(Date.now() - 90_000);
  await stack.db.models.events.create({ _id: 'orphan-pay', customerId: 'orphan', name: 'payment_made', timestamp: new Date(), receivedAt, batch: 'died-after-insert' });
  await stack.sweepNow();
  expect((await handle.result()).path).toEqual(['wait-payment', 'thanks']);
  expect((await stack.api('GET', '/v1/customers/orphan')).body.events.payment_made.count).toBe(1);
});

test('when runs started before the entry registry held every entry, then the one-off backfill registers them', async () => {
  await stack.api('PUT', '/v1/customers/veteran', {});
  await stack.api('PUT', '/v1/journeys/long-wait', { name: 'Long wait', steps: [{ id: 'month', type: 'wait', duration: '30d' }] });
  await stack.api('POST', '/v1/journeys/long-wait/launch', { customerIds: ['veteran'] });
  await stack.db.models.journeyEntries.deleteOne({ _id: 'long-wait:veteran' });

  const listed = `WorkflowId = "journey:long-wait:veteran:1" AND ExecutionStatus = "Running"`;
  await eventually(async () => expect((await stack.client.workflow.count(listed)).count).toBe(1));
  expect(await backfillEntryRegistry(stack.client, stack.taskQueue, stack.db.models)).toBeGreaterThanOrEqual(1);
  expect(await stack.db.models.journeyEntries.findById('long-wait:veteran').lean()).toMatchObject({ last: 1 });
  // Once done, it does not run again.
  await stack.db.models.journeyEntries.deleteOne({ _id: 'long-wait:veteran' });
  expect(await backfillEntryRegistry(stack.client, stack.taskQueue, stack.db.models)).toBe(0);
});

test.each([['never'], ['always'], [{ after: '1h' }]])(
  'when 20 entry events for one customer arrive at once (re-entry %j), then one run is entered, counted once, and hears all 20',
  async (reentry) => {
    const journeyId = `burst-${typeof reentry === 'string' ? reentry : 'after'}`;
    await liveOnEvent(journeyId, 'clicked', reentry);
    const ids = burstIds(journeyId);
    const answers = await Promise.all(ids.map((id) => stack.api('POST', '/v1/events', { id, customerId: 'burst', name: 'clicked' })));
    expect(answers.map((a) => a.body)).toEqual(ids.map(() => ({ accepted: 1, duplicates: 0, suppressed: 0, suppressedEvents: [] })));

    expect(await stack.db.models.journeyEntries.findById(`${journeyId}:burst`).lean()).toMatchObject({ last: 1 });
    expect((await stack.run(journeyId, 'burst').describe()).status.name).toBe('RUNNING');
    await expect(stack.run(journeyId, 'burst', 2).describe()).rejects.toThrow(WorkflowNotFoundError);
    await eventually(async () => expect((await stack.api('GET', `/v1/journeys/${journeyId}/stats`)).body.entered).toBe(1));
    // Every event reached the run: those that lost the entry were signalled into it. (Signals
    // that arrive during a workflow task enter the history once it completes.)
    await eventually(async () => expect(await eventIdsHeard(stack.run(journeyId, 'burst'))).toEqual(ids));
  },
);

test('when 20 event entries of one customer race in one process, then exactly one answers entered and the run hears all 20', async () => {
  await liveOnEvent('race-again', 'tapped', 'always');
  const journey = (await stack.db.models.journeys.findById('race-again').lean())!;
  const template = { journeyId: journey._id, journeyVersion: journey.version, definition: journey.definition as JourneyDefinition };
  const runs = createJourneyRuns(stack.client, stack.taskQueue, stack.db.models.journeyEntries);
  const ids = burstIds('race');
  const entered = await Promise.all(ids.map((id) => runs.start(template, 'racer', { id, name: 'tapped', timestamp: new Date().toISOString() })));
  expect(entered.filter(Boolean)).toHaveLength(1);
  await eventually(async () => expect(await eventIdsHeard(stack.run('race-again', 'racer'))).toEqual(ids));
  await expect(stack.run('race-again', 'racer', 2).describe()).rejects.toThrow(WorkflowNotFoundError);
});

test('when an entry was registered but its run never started (a crash in between), then the next entry event starts it', async () => {
  await liveOnEvent('healed', 'opened', 'never');
  await stack.db.models.journeyEntries.create({ _id: 'healed:lazarus', last: 1, lastEnteredAt: new Date() });
  expect((await stack.api('POST', '/v1/events', { id: 'lazarus-1', customerId: 'lazarus', name: 'opened' })).status).toBe(202);
  await eventually(async () => expect(await eventIdsHeard(stack.run('healed', 'lazarus'))).toEqual(['lazarus-1']));
});
