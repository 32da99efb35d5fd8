// Event ingest on the real store, with failures injected between its steps: whatever step a
// request dies in, the sweep finishes its events without any resend, each rolled up exactly
// once and dispatched; finishing again changes nothing. Dispatch here is a recorder: the real
// one (signals and entries through Temporal) is covered by journey-entry.test.ts.
import { connectDatabase, Database } from '../../db/connect';
import type { Models } from '../../db/models';
import { foldBatch } from '../../lib/event-rollups';
import { createEventIngest, EventDispatch, IncomingEvent, SWEEP_SETTING, StoredEvent } from '../../lib/event-ingest';
import { testEnv } from '../support/test-env';

let db: Database;
beforeAll(async () => {
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_event_ingest_${process.pid}`);
});
afterAll(async () => {
  await db?.connection.dropDatabase();
  await db?.close();
});

/** A dispatch that plans every customer and records what it was given; `failNext` makes it throw once. */
function recordingDispatch() {
  const dispatched: string[] = [];
  let failNext = false;
  const dispatch: EventDispatch = {
    plan: async (events) => new Set(events.map((e) => e.customerId)),
    async dispatch(events: StoredEvent[]) {
      if (failNext) {
        failNext = false;
        throw new Error('injected: dispatch failed');
      }
      dispatched.push(...events.map((e) => e._id));
    },
  };
  return { dispatch, dispatched, failOnce: () => void (failNext = true) };
}

type Partly = (original: (...args: unknown[]) => Promise<unknown>, args: unknown[]) => Promise<unknown>;

/**
 * The model with one method replaced, on the model or on its driver collection (`collection.`
 * before the name): it fails once, after doing `partly` of the work if given.
 */
function failingOnce<M extends object>(model: M, method: string, partly?: Partly): M {
  const [owner, name] = method.startsWith('collection.') ? ['collection', method.slice('collection.'.length)] : [undefined, method];
  if (owner) {
    const collection = failingOnce((model as { collection: object }).collection, name, partly);
    return new Proxy(model, { get: (target, prop, receiver) => (prop === 'collection' ? collection : bound(target, prop, receiver)) });
  }
  let failed = false;
  return new Proxy(model, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== name || failed) return bound(target, prop, receiver);
      return async (...args: unknown[]) => {
        failed = true;
        if (partly) await partly((value as (...a: unknown[]) => Promise<unknown>).bind(target), args);
        throw new Error(`injected: ${method} failed`);
      };
    },
  });
}

function bound(target: object, prop: string | symbol, receiver: unknown) {
  const value = Reflect.get(target, prop, receiver);
  return typeof value === 'function' ? value.bind(target) : value;
}

const SCENARIOS: [string, (models: Models) => Partial<Models>, 'request fails' | 'request succeeds'][] = [
  ['after the insert, before any roll-up', (m) => ({ customers: failingOnce(m.customers, 'collection.bulkWrite') }), 'request fails'],
  [
    'half-way through the roll-ups (one customer folded)',
    (m) => ({ customers: failingOnce(m.customers, 'collection.bulkWrite', (bulkWrite, [ops, options]) => bulkWrite((ops as unknown[]).slice(0, 1), options)) }),
    'request fails',
  ],
  ['after the roll-ups, in dispatch', () => ({}), 'request succeeds'],
  ['after dispatch, before it is recorded', (m) => ({ eventBatches: failingOnce(m.eventBatches, 'create') }), 'request fails'],
];

describe.each(SCENARIOS)('when an ingest request dies %s', (where, inject, outcome) => {
  const tag = where.replace(/\W+/g, '-');
  const events: IncomingEvent[] = ['a', 'b', 'c'].flatMap((c) => [1, 2].map((n) => ({ id: `${tag}-${c}${n}`, customerId: `${tag}-${c}`, name: 'viewed' })));

  test(`then the sweep finishes every event once, with no resend (${outcome})`, async () => {
    await db.models.settings.deleteOne({ _id: SWEEP_SETTING });
    const recorder = recordingDispatch();
    if (where.includes('in dispatch')) recorder.failOnce();
    const broken = createEventIngest({ ...db.models, ...inject(db.models) }, recorder.dispatch, () => undefined);
    const request = broken.ingest(events);
    if (outcome === 'request fails') await expect(request).rejects.toThrow(/injected/);
    else await expect(request).resolves.toEqual({ accepted: 6, duplicates: 0, suppressed: 0, suppressedEvents: [] });

    // The sweep runs in another process in production: a fresh ingest over the same store.
    const sweep = createEventIngest(db.models, recorder.dispatch);
    const later = new Date(Date.now() + 61_000);
    const first = await sweep.finishEvents(later);
    expect(first.finished).toBe(1);
    for (const c of ['a', 'b', 'c']) {
      const customer = await db.models.customers.findById(`${tag}-${c}`).lean();
      expect(customer?.events?.viewed.count).toBe(2);
    }
    expect(new Set(recorder.dispatched)).toEqual(new Set(events.map((e) => e.id)));
    expect(await db.models.eventBatches.countDocuments({ _id: (await db.models.events.findById(events[0].id).lean())!.batch })).toBe(1);

    // Finishing again changes nothing and dispatches nothing more.
    const dispatchedBefore = recorder.dispatched.length;
    expect((await sweep.finishEvents(later)).finished).toBe(0);
    expect((await db.models.customers.findById(`${tag}-a`).lean())?.events?.viewed.count).toBe(2);
    expect(recorder.dispatched).toHaveLength(dispatchedBefore);
  });
});

test('when nothing listens for an event, then ingest writes the events and one roll-up per customer, and dispatches nothing', async () => {
  let planned = 0;
  let dispatchCalls = 0;
  const ingest = createEventIngest(db.models, {
    plan: async () => (planned++, new Set()),
    dispatch: async () => void dispatchCalls++,
  });
  const events = Array.from({ length: 40 }, (_, i) => ({ id: `quiet-${i}`, customerId: `quiet-${i % 4}`, name: 'scrolled' }));
  const writes: string[] = [];
  const WRITES = ['insertMany', 'insertOne', 'bulkWrite', 'create', 'updateOne', 'updateMany', 'findOneAndUpdate'];
  const recording = <T extends object>(target: T, name: string): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        if (prop === 'collection') return recording((t as { collection: object }).collection, `${name}.collection`);
        const value = Reflect.get(t, prop, receiver);
        if (typeof value !== 'function') return value;
        if (WRITES.includes(String(prop))) writes.push(`${name}.${String(prop)}`);
        return value.bind(t);
      },
    });
  const monitored = { ...db.models };
  for (const name of ['events', 'customers', 'eventBatches'] as const) monitored[name] = recording(db.models[name], name) as never;
  await createEventIngest(monitored, { plan: async () => new Set(), dispatch: async () => void dispatchCalls++ }).ingest(events);
  expect(writes).toEqual(['events.collection.insertMany', 'customers.collection.bulkWrite']);
  expect(dispatchCalls).toBe(0);
  expect((await db.models.customers.findById('quiet-3').lean())?.events?.scrolled.count).toBe(10);
  // The sweep finds nothing to do for it.
  await db.models.settings.deleteOne({ _id: SWEEP_SETTING });
  expect((await ingest.finishEvents(new Date(Date.now() + 61_000))).finished).toBe(0);
  expect(planned).toBe(0);
});

test('when a batch is folded twice, or by two sweeps at once, then each customer counts it once', async () => {
  const receivedAt = new Date(Date.now() - 120_000);
  const events = ['x', 'y'].flatMap((c) => [1, 2, 3].map((n) => ({ _id: `twice-${c}${n}`, customerId: `twice-${c}`, name: 'clicked', timestamp: receivedAt, receivedAt, batch: 'twice-batch' })));
  const batch = { id: 'twice-batch', receivedAt, sweptThrough: new Date(0) };
  await foldBatch(db.models.customers, batch, events, new Set());
  await foldBatch(db.models.customers, batch, events, new Set());
  expect((await db.models.customers.findById('twice-x').lean())?.events?.clicked.count).toBe(3);

  // A batch its request left unfolded, finished by two sweeps racing.
  const crashed = events.map((e) => ({ ...e, _id: `raced-${e._id}`, customerId: `raced-${e.customerId}`, batch: 'raced-batch' }));
  await db.models.events.insertMany(crashed);
  await db.models.settings.deleteOne({ _id: SWEEP_SETTING });
  const later = new Date(Date.now() + 61_000);
  await Promise.all([createEventIngest(db.models).finishEvents(later), createEventIngest(db.models).finishEvents(later)]);
  for (const c of ['x', 'y']) expect((await db.models.customers.findById(`raced-twice-${c}`).lean())?.events?.clicked.count).toBe(3);
});

test('when opens, clicks and sessions are ingested, then the same update counts them by hour of week and channel, once each', async () => {
  // Tuesday 2026-03-03 18:20 UTC is hour of week 24 + 18 = 42; Wednesday 09:05 UTC is 57.
  const tue = new Date('2026-03-03T18:20:00.000Z');
  const wed = new Date('2026-03-04T09:05:00.000Z');
  const events: IncomingEvent[] = [
    { id: 'eng-1', customerId: 'eng-ada', name: 'message_opened', timestamp: tue, properties: { channel: 'email', sendKey: 'k1' } },
    { id: 'eng-2', customerId: 'eng-ada', name: 'message_clicked', timestamp: tue, properties: { channel: 'email', sendKey: 'k1' } },
    { id: 'eng-3', customerId: 'eng-ada', name: 'message_opened', timestamp: wed, properties: { channel: 'push', sendKey: 'k2' } },
    { id: 'eng-4', customerId: 'eng-ada', name: 'session_started', timestamp: wed },
    { id: 'eng-5', customerId: 'eng-ada', name: 'message_opened', timestamp: wed, properties: { channel: 'fax' } },
    { id: 'eng-6', customerId: 'eng-ada', name: 'viewed', timestamp: wed, properties: { channel: 'email' } },
  ];
  const ingest = createEventIngest(db.models, { plan: async () => new Set(), dispatch: async () => undefined });
  await ingest.ingest(events);
  // A resent batch is all duplicates: nothing counts twice.
  expect(await ingest.ingest(events)).toMatchObject({ accepted: 0, duplicates: 6 });
  const customer = (await db.models.customers.findById('eng-ada').lean())!;
  expect(customer.engagement?.hours).toEqual({ h42: 2, h57: 3 });
  expect(customer.engagement?.channels).toEqual({
    email: { opened: 1, clicked: 1, last: tue },
    push: { opened: 1, last: wed },
  });
  expect(customer.events?.message_opened.count).toBe(3);
});
