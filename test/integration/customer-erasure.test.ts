// Erasure and export (GDPR) on the real stack: a customer with events, sends on email, SMS
// (with provider reports) and the web inbox, and a run waiting in a journey. The export holds
// every kind of data; the erasure stops and deletes the run, leaves nothing of the customer in
// any collection or in Temporal, keeps journey stats as they were, and suppresses the customer
// until the suppression is lifted. A send in flight when the erasure begins goes out before the
// answer, and its row is erased too.
import { journeyStateQuery, SA_CUSTOMER } from '../../core/journey-contract';
import { createWebChannel } from '../../activities/channels/web';
import { createSend } from '../../activities/send';
import { createCustomerErasure } from '../../lib/customer-erasure';
import { createEventIngest } from '../../lib/event-ingest';
import { createCustomerRuns } from '../../lib/customer-runs';
import { keepSeriesOf } from '../../lib/event-windows';
import { storeSendDeps } from '../../workers/activity-deps';
import { API_KEY, eventually, Stack, startStack } from '../support/stack';

let stack: Stack;

const ANN = { id: 'erz-ann', email: 'annika.erasure@example.test', phone: '+15550107781', firstName: 'Annika' };
const BOB = { id: 'erz-bob', email: 'bob.erasure@example.test', phone: '+15550107782', firstName: 'Bob' };
const JOURNEY = 'erz-welcome';

beforeAll(async () => {
  // A slow provider: the email of the in-flight test is still being handed over when its erasure begins.
  stack = await startStack('customer-erasure', { smtpDelayMs: 1_500 });
  const templates: [string, object][] = [
    ['erz-email', { channel: 'email', content: { subject: 'Hello {{customer.firstName}}', html: '<p>Hi {{customer.firstName}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>' } }],
    ['erz-sms', { channel: 'sms', content: { body: 'Hi {{customer.firstName}}' } }],
    ['erz-web', { channel: 'web', content: { title: 'Welcome', body: 'Hello {{customer.firstName}}' } }],
  ];
  for (const [id, body] of templates) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
  const steps = [
    { id: 'mail', type: 'send', channel: 'email', template: 'erz-email', next: 'text' },
    { id: 'text', type: 'send', channel: 'sms', template: 'erz-sms', next: 'inbox' },
    { id: 'inbox', type: 'send', channel: 'web', template: 'erz-web', next: 'pause' },
    { id: 'pause', type: 'wait', duration: '1d', next: 'later' },
    { id: 'later', type: 'send', channel: 'web', template: 'erz-web' },
  ];
  expect((await stack.api('PUT', `/v1/journeys/${JOURNEY}`, { name: 'Erasure welcome', steps })).status).toBe(201);
});
afterAll(async () => {
  await stack?.close();
});

/** Every document of every collection of the stack's database, as JSON text. */
async function everyDocument(): Promise<Record<string, string>> {
  const db = stack.db.connection.db!;
  const out: Record<string, string> = {};
  for (const { name } of await db.listCollections().toArray()) out[name] = JSON.stringify(await db.collection(name).find({}).toArray());
  return out;
}

/** The collections whose documents mention any of the values. */
async function mentioning(values: string[]): Promise<string[]> {
  return Object.entries(await everyDocument())
    .filter(([, text]) => values.some((v) => text.includes(v)))
    .map(([name]) => name);
}

const sentTo = (c: typeof ANN) => ({
  mail: stack.sink.messages.filter((m) => m.to.includes(c.email)).length,
  sms: stack.twilio.messages.filter((m) => m.to === c.phone).length,
});

/** The stats erasure must keep: everything but where runs are now (a stopped run moves from waiting to stopped). */
function keptStats(stats: { entered: number; converted: number; steps: Record<string, { entered: number; now: number }>; splits: unknown }) {
  return {
    entered: stats.entered,
    converted: stats.converted,
    splits: stats.splits,
    steps: Object.fromEntries(Object.entries(stats.steps).map(([id, { now: _now, ...step }]) => [id, step])),
  };
}

describe('when a customer with events, sends on three channels and a waiting run is erased', () => {
  let exported: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  let statsBefore: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  let erasure: any; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    for (const c of [ANN, BOB]) {
      const profile = { email: c.email, phone: c.phone, consent: { push: false }, attributes: { firstName: c.firstName } };
      expect((await stack.api('PUT', `/v1/customers/${c.id}`, profile)).status).toBe(201);
    }
    const events = [1, 2, 3].map((n) => ({ id: `erz-ev-${n}`, customerId: ANN.id, name: 'viewed', properties: { page: `/pricing/${n}`, note: ANN.firstName } }));
    expect((await stack.api('POST', '/v1/events/batch', { events })).body).toMatchObject({ accepted: 3, suppressed: 0 });
    expect((await stack.api('POST', `/v1/journeys/${JOURNEY}/launch`, { customerIds: [ANN.id, BOB.id] })).status).toBe(202);
    for (const c of [ANN, BOB]) {
      await eventually(async () => expect((await stack.run(JOURNEY, c.id).query(journeyStateQuery)).currentStep).toBe('pause'));
    }
    // The SMS's provider reports are in.
    await eventually(async () => expect(await stack.db.models.deliveryReports.countDocuments({ key: `journey:${JOURNEY}:${ANN.id}:1:text:1` })).toBe(2));
    statsBefore = await eventually(async () => {
      const stats = (await stack.api('GET', `/v1/journeys/${JOURNEY}/stats`)).body;
      expect(stats).toMatchObject({ entered: 2, waiting: 2, steps: { text: { provider: { delivered: 2 } } } });
      return stats;
    });
    const res = await fetch(`${stack.baseUrl}/v1/customers/${ANN.id}/export`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`customer-${ANN.id}-export.json`);
    exported = (await res.json()) as typeof exported;

    erasure = await stack.api('DELETE', `/v1/customers/${ANN.id}`);
  });

  test('then the export taken before held every kind of data', () => {
    expect(exported).toMatchObject({
      customerId: ANN.id,
      suppression: { suppressed: false },
      profile: { id: ANN.id, email: ANN.email, phone: ANN.phone, attributes: { firstName: ANN.firstName }, consent: { push: false }, events: { viewed: { count: 3 } } },
      journeyRuns: [{ workflowId: `journey:${JOURNEY}:${ANN.id}:1`, journeyId: JOURNEY, status: 'RUNNING', journeyStatus: 'waiting' }],
      inboxMessages: [{ title: 'Welcome', body: `Hello ${ANN.firstName}`, journeyId: JOURNEY }],
      counts: { journeyRuns: 1, inboxMessages: 1, sends: 3, events: 3 },
    });
    expect(exported.events.map((e: { id: string; properties: object }) => [e.id, e.properties])).toEqual(
      [1, 2, 3].map((n) => [`erz-ev-${n}`, { page: `/pricing/${n}`, note: ANN.firstName }]),
    );
    const sends = Object.fromEntries(exported.sends.map((s: { stepId: string }) => [s.stepId, s]));
    expect(sends.mail).toMatchObject({ outcome: 'sent', explanation: 'sent on email', customerId: ANN.id });
    expect(sends.inbox).toMatchObject({ outcome: 'sent', channelUsed: 'web' });
    expect(sends.text).toMatchObject({ outcome: 'sent', providerStatus: 'delivered' });
    expect(sends.text.reports.map((r: { status: string }) => r.status).sort()).toEqual(['delivered', 'sent']);
    expect(sends.text.reports[0].providerMessageId).toMatch(/^SM/);
  });

  test('then the answer says what was erased, and the run was stopped and deleted from Temporal', async () => {
    expect(erasure.status).toBe(200);
    expect(erasure.body).toMatchObject({
      customerId: ANN.id,
      customerHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      erased: { profile: true, events: 3, inboxMessages: 1, sends: 3, journeyRuns: 1, runsStopped: 1 },
    });
    await eventually(async () => {
      await expect(stack.run(JOURNEY, ANN.id).describe()).rejects.toThrow();
      const listed = [];
      for await (const run of stack.client.workflow.list({ query: `${SA_CUSTOMER.name} = "${ANN.id}"` })) listed.push(run.workflowId);
      expect(listed).toEqual([]);
    });
    // The other customer's run goes on.
    expect((await stack.run(JOURNEY, BOB.id).describe()).status.name).toBe('RUNNING');
  });

  test('then no collection holds the customer ID, address, phone or name, and nothing was sent after', async () => {
    expect(await mentioning([ANN.id, ANN.email, ANN.phone, ANN.firstName])).toEqual([]);
    // Bob's data is all there.
    expect((await mentioning([BOB.email])).sort()).toEqual(['customers']);
    expect((await mentioning([BOB.id])).sort()).toEqual(['customers', 'deliveries', 'delivery_reports', 'inbox', 'journey_entries']);
    expect(sentTo(ANN)).toEqual({ mail: 1, sms: 1 });
  });

  test('then journey stats count what they counted before; the run moved from waiting to stopped', async () => {
    const after = await eventually(async () => {
      const stats = (await stack.api('GET', `/v1/journeys/${JOURNEY}/stats`)).body;
      expect(stats).toMatchObject({ waiting: 1, stopped: 1 });
      expect(keptStats(stats)).toEqual(keptStats(statsBefore));
      return stats;
    });
    expect(after.steps.text.deliveries).toEqual(statsBefore.steps.text.deliveries);
    expect(after.steps.text.provider).toEqual({ delivered: 2 });
  });

  test('then a late event is refused and creates nothing, and a batch counts it as suppressed', async () => {
    const one = await stack.api('POST', '/v1/events', { id: 'erz-late-1', customerId: ANN.id, name: 'viewed' });
    expect(one.status).toBe(409);
    expect(one.body.error).toMatchObject({ code: 'customer_suppressed', message: expect.stringContaining(`DELETE /v1/suppressions/${ANN.id}`) });
    const batch = await stack.api('POST', '/v1/events/batch', {
      events: [
        { id: 'erz-late-2', customerId: ANN.id, name: 'viewed' },
        { id: 'erz-bob-1', customerId: BOB.id, name: 'viewed' },
      ],
    });
    expect(batch).toMatchObject({ status: 202, body: { accepted: 1, duplicates: 0, suppressed: 1, suppressedEvents: ['erz-late-2'] } });
    expect((await stack.api('GET', `/v1/customers/${ANN.id}`)).status).toBe(404);
    expect(await mentioning([ANN.id])).toEqual([]);
  });

  test('then identify is refused with 409 naming the suppression, and a customer batch lists the customer as suppressed', async () => {
    const put = await stack.api('PUT', `/v1/customers/${ANN.id}`, { email: ANN.email });
    expect(put.status).toBe(409);
    expect(put.body.error.message).toContain(`DELETE /v1/suppressions/${ANN.id}`);
    const batch = await stack.api('POST', '/v1/customers/batch', { customers: [{ id: ANN.id, email: ANN.email }, { id: BOB.id, attributes: { plan: 'pro' } }] });
    expect(batch.body).toEqual({ created: 0, updated: 1, suppressed: [ANN.id] });
    expect(await mentioning([ANN.id, ANN.email])).toEqual([]);
  });

  test('then erasing again answers 200 with nothing left, and the export says suppressed and holds nothing', async () => {
    const again = await stack.api('DELETE', `/v1/customers/${ANN.id}`);
    expect(again.status).toBe(200);
    expect(again.body.erased).toEqual({ profile: false, events: 0, inboxMessages: 0, sends: 0, journeyRuns: 0, runsStopped: 0 });
    expect(again.body.suppressedAt).toBe(erasure.body.suppressedAt);
    const res = await stack.api('GET', `/v1/customers/${ANN.id}/export`);
    expect(res.body).toMatchObject({
      suppression: { suppressed: true, suppressedAt: erasure.body.suppressedAt },
      profile: null,
      journeyRuns: [],
      inboxMessages: [],
      sends: [],
      events: [],
      counts: { journeyRuns: 0, inboxMessages: 0, sends: 0, events: 0 },
    });
  });

  test('then the erasure is counted in the metrics', async () => {
    const res = await fetch(`${stack.baseUrl}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(await res.text()).toMatch(/^cairn_customers_erased_total [1-9]/m);
  });

  test('then once the suppression is lifted, the customer can be created again, afresh', async () => {
    expect((await stack.api('GET', `/v1/suppressions/${ANN.id}`)).body).toMatchObject({ customerId: ANN.id, customerHash: erasure.body.customerHash });
    expect((await stack.api('DELETE', `/v1/suppressions/${ANN.id}`)).status).toBe(204);
    expect((await stack.api('GET', `/v1/suppressions/${ANN.id}`)).status).toBe(404);
    expect((await stack.api('DELETE', `/v1/suppressions/${ANN.id}`)).status).toBe(404);
    const put = await stack.api('PUT', `/v1/customers/${ANN.id}`, { email: ANN.email });
    expect(put.status).toBe(201);
    expect(put.body.events).toEqual({});
    expect((await stack.api('POST', '/v1/events', { id: 'erz-late-1', customerId: ANN.id, name: 'viewed' })).status).toBe(202);
  });
});

test('when a customer is erased while their email is being handed to the provider, then it went out before the answer and its row is erased', async () => {
  const CAT = { id: 'erz-cat', email: 'cat.erasure@example.test' };
  expect((await stack.api('PUT', `/v1/customers/${CAT.id}`, { email: CAT.email })).status).toBe(201);
  const steps = [{ id: 'mail', type: 'send', channel: 'email', template: 'erz-email' }];
  expect((await stack.api('PUT', '/v1/journeys/erz-flight', { name: 'In flight', steps })).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/erz-flight/launch', { customerIds: [CAT.id] })).status).toBe(202);
  // The attempt holds its hand-off lease while the slow SMTP server takes the message.
  await eventually(async () => expect(await stack.db.models.deliveries.exists({ customerId: CAT.id, 'lease.owner': { $exists: true } })).toBeTruthy(), 30_000);

  const erased = await stack.api('DELETE', `/v1/customers/${CAT.id}`);
  expect(erased.status).toBe(200);
  expect(stack.sink.messages.filter((m) => m.to.includes(CAT.email))).toHaveLength(1);
  expect(erased.body.erased).toMatchObject({ profile: true, sends: 1, journeyRuns: 1 });
  expect(await mentioning([CAT.id, CAT.email])).toEqual([]);
  const stats = await eventually(async () => {
    const body = (await stack.api('GET', '/v1/journeys/erz-flight/stats')).body;
    expect(body.entered).toBe(1);
    return body;
  });
  expect(stats.steps.mail.deliveries).toEqual({ sent: 1 });
});

test('when a customer known only by an event and a ledger row is erased, then both go, without a 404', async () => {
  const GHOST = 'erz-ghost';
  const now = new Date();
  await stack.db.models.events.create({ _id: 'erz-ghost-ev', customerId: GHOST, name: 'viewed', timestamp: now, receivedAt: now, batch: 'b' });
  const key = `journey:erz-old:${GHOST}:1:mail:1`;
  await stack.db.models.deliveries.create({ _id: key, state: 'skipped', reason: 'unreachable', channel: 'email', customerId: GHOST, journeyId: 'erz-old', stepId: 'mail', attempts: 1 });
  const res = await stack.api('DELETE', `/v1/customers/${GHOST}`);
  expect(res.status).toBe(200);
  expect(res.body.erased).toEqual({ profile: false, events: 1, inboxMessages: 0, sends: 1, journeyRuns: 0, runsStopped: 0 });
  expect(await mentioning([GHOST])).toEqual([]);
  // The row is kept as a number: its journey, step, outcome and reason.
  expect(await stack.db.models.deliveries.find({ journeyId: 'erz-old' }, { _id: 0, createdAt: 0, updatedAt: 0 }).lean()).toEqual([
    { state: 'skipped', reason: 'unreachable', channel: 'email', customerId: '~erased', journeyId: 'erz-old', stepId: 'mail', attempts: 1 },
  ]);
});

test('when an erasure runs between a send reading the customer and claiming the send, then the send hands nothing over and leaves nothing', async () => {
  const DAN = { id: 'erz-dan', firstName: 'Dashiell' };
  expect((await stack.api('PUT', `/v1/customers/${DAN.id}`, { attributes: { firstName: DAN.firstName } })).status).toBe(201);
  const store = storeSendDeps(stack.db);
  const erase = createCustomerErasure({ models: stack.db.models, runs: createCustomerRuns(stack.client, stack.db.models) });
  let erased: Awaited<ReturnType<typeof erase>> | undefined;
  // The real send activity and ledger; the whole erasure runs just before the claim, after the
  // send has read the customer and rendered the message.
  const send = createSend({
    ...store,
    channels: { web: createWebChannel(stack.db.models.inbox) },
    ledger: {
      ...store.ledger,
      async claimForHandOff(...args) {
        erased = await erase(DAN.id);
        return store.ledger.claimForHandOff(...args);
      },
    },
  });
  const key = `journey:erz-race:${DAN.id}:1:inbox:1`;
  const result = await send({ key, journeyId: 'erz-race', customerId: DAN.id, stepId: 'inbox', channel: 'web', templateId: 'erz-web' });
  expect(result).toEqual({ status: 'skipped', reason: 'customer-erased' });
  expect(erased?.erased).toMatchObject({ profile: true, sends: 0 });
  expect(await stack.db.models.inbox.countDocuments({ customerId: DAN.id })).toBe(0);
  expect(await mentioning([DAN.id, DAN.firstName])).toEqual([]);
  // The send is kept as a number, skipped because the customer was erased.
  expect(await stack.db.models.deliveries.find({ journeyId: 'erz-race' }, { _id: 0, state: 1, reason: 1, customerId: 1 }).lean()).toEqual([
    { state: 'skipped', reason: 'customer-erased', customerId: '~erased' },
  ]);
  // A retry finds the customer gone and suppressed: it writes nothing at all.
  const again = createSend({ ...store, channels: { web: createWebChannel(stack.db.models.inbox) } });
  expect(await again({ key, journeyId: 'erz-race', customerId: DAN.id, stepId: 'inbox', channel: 'web', templateId: 'erz-web' })).toEqual({
    status: 'skipped',
    reason: 'customer-erased',
  });
  expect(await mentioning([DAN.id])).toEqual([]);
});

test('when an erasure runs between an event insert and its roll-up fold, then the fold does not leave the customer created again', async () => {
  const EVE = { id: 'erz-eve', firstName: 'Evangeline' };
  expect((await stack.api('PUT', `/v1/customers/${EVE.id}`, { attributes: { firstName: EVE.firstName } })).status).toBe(201);
  const erase = createCustomerErasure({ models: stack.db.models, runs: createCustomerRuns(stack.client, stack.db.models) });
  // The real ingest; the erasure runs once the event is stored, just before the fold that would create the customer again.
  const ingest = createEventIngest(stack.db.models, {
    async plan() {
      await erase(EVE.id);
      return new Set();
    },
    dispatch: async () => undefined,
  });
  const result = await ingest.ingest([{ id: 'erz-eve-ev', customerId: EVE.id, name: 'viewed', properties: { who: EVE.firstName } }]);
  expect(result).toEqual({ accepted: 0, duplicates: 0, suppressed: 1, suppressedEvents: ['erz-eve-ev'] });
  expect(await mentioning([EVE.id, EVE.firstName])).toEqual([]);
});

/**
 * The real erasure, with `meanwhile` run between its two passes over the runs: before the
 * profile is deleted, or after it (and before the rest of the data).
 */
function erasureWithMeanwhile(at: 'before-profile' | 'after-profile', meanwhile: () => Promise<unknown>) {
  const runs = createCustomerRuns(stack.client, stack.db.models);
  let passes = 0;
  return createCustomerErasure({
    models: stack.db.models,
    runs: {
      async erase(customerId, reason) {
        const pass = ++passes;
        if (pass === 2 && at === 'after-profile') await meanwhile();
        const erased = await runs.erase(customerId, reason);
        if (pass === 1 && at === 'before-profile') await meanwhile();
        return erased;
      },
    },
  });
}

test('when a launch that read the customer before the erasure starts their run after the runs were erased, then the erasure finds and deletes that run too', async () => {
  const FAY = { id: 'erz-fay', firstName: 'Fayette' };
  expect((await stack.api('PUT', `/v1/customers/${FAY.id}`, { attributes: { firstName: FAY.firstName } })).status).toBe(201);
  // A launch page that read the customer before the suppression starts their run only now.
  const erase = erasureWithMeanwhile('before-profile', async () => expect((await stack.api('POST', `/v1/journeys/${JOURNEY}/launch`, { customerIds: [FAY.id] })).status).toBe(202));
  const report = await erase(FAY.id);
  expect(report.erased).toMatchObject({ profile: true, journeyRuns: 1 });
  const listed = await stack.client.workflow.count(`${SA_CUSTOMER.name} = "${FAY.id}"`);
  expect(listed.count).toBe(0);
  expect(await mentioning([FAY.id, FAY.firstName])).toEqual([]);
});

test('when a segment save backfills a new windowed series while an erasure runs, then the backfill does not leave the erased customer created again', async () => {
  const GIL = { id: 'erz-gil', firstName: 'Gilberta' };
  expect((await stack.api('PUT', `/v1/customers/${GIL.id}`, { attributes: { firstName: GIL.firstName } })).status).toBe(201);
  expect((await stack.api('POST', '/v1/events', { id: 'erz-gil-1', customerId: GIL.id, name: 'erz_viewed', properties: { sku: 'erz-sku' } })).status).toBe(202);
  // Once the profile is gone and before the events are: a save's backfill reads them.
  const erase = erasureWithMeanwhile('after-profile', () => keepSeriesOf(stack.db.models, [{ event: 'erz_viewed', where: { sku: 'erz-sku' }, op: 'atLeast', count: 1, within: '5d' } as never]));
  expect((await erase(GIL.id)).erased).toMatchObject({ profile: true, events: 1 });
  expect(await mentioning([GIL.id, GIL.firstName])).toEqual([]);
});
