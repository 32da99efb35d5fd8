// Windowed counts with property filters on the real stack: events through the API, kept times
// folded by ingest and backfilled when a segment is saved, then the rule answered by preview,
// membership, launch, branch, live entry, and exit when membership lapses with time alone.
import { windowKey } from '../../core/event-windows';
import { foldBatch } from '../../lib/event-rollups';
import { keepSeriesOf, keptSeriesReader } from '../../lib/event-windows';
import { createJourneyEntry } from '../../lib/journey-entry';
import { createJourneyRuns } from '../../lib/journey-runs';
import { eventually, Stack, startStack } from '../support/stack';

const DAY = 86_400_000;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('event-windows');
  await stack.api('PUT', '/v1/templates/ew-hello', { channel: 'web', content: { title: 'Hello {{customer.id}}', body: 'Still looking?' } });
});
afterAll(async () => {
  await stack?.close();
});

const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
let seq = 0;
/** One product view per age in days, through the events API. */
async function views(customerId: string, properties: Record<string, unknown>, ...daysAgo: number[]) {
  const events = daysAgo.map((days) => ({ id: `ew-${customerId}-${++seq}`, customerId, name: 'ew_viewed', timestamp: ago(days), properties }));
  const res = await stack.api('POST', '/v1/events/batch', { events });
  expect(res.status).toBe(202);
  expect(res.body.accepted).toBe(events.length);
}
const preview = async (segmentId: string) => (await stack.api('POST', `/v1/segments/${segmentId}/preview`)).body.sample as string[];
const member = async (segmentId: string, customerId: string) => (await stack.api('GET', `/v1/segments/${segmentId}/members/${customerId}`)).body.member as boolean;
const hasRun = async (journeyId: string, customerId: string) => (await stack.api('GET', `/v1/journeys/${journeyId}/runs/${customerId}`)).status === 200;

const sameProductThrice = { event: 'ew_viewed', where: { productId: 'sku-123' }, op: 'atLeast', count: 3, within: '5d' };
const shoesTwiceThisWeek = { event: 'ew_viewed', where: { category: { in: ['shoes', 'sneakers'] } }, op: 'atLeast', count: 2, within: '7d' };

describe('the seed examples', () => {
  test('when views were logged before the segment was saved and after, then "the same product three times in five days" holds exactly', async () => {
    const sku = { productId: 'sku-123', category: 'shoes' };
    await views('ew-ada', sku, 0.1, 2, 4.5);
    await views('ew-bob', sku, 1, 3);
    await views('ew-cy', sku, 1, 2, 5.5, 6);
    await views('ew-dee', { productId: 'sku-999', category: 'shoes' }, 0.1, 0.2, 0.3);
    const saved = await stack.api('PUT', '/v1/segments/ew-same-product', { name: 'Viewed sku-123 three times in five days', rule: sameProductThrice });
    expect(saved.status).toBe(201);
    // Backfilled from the log before the save answered.
    expect(await preview('ew-same-product')).toEqual(['ew-ada']);

    // A third view after the save is folded by ingest, beside the backfilled two.
    await views('ew-bob', sku, 0);
    expect(await preview('ew-same-product')).toEqual(['ew-ada', 'ew-bob']);
    expect([await member('ew-same-product', 'ew-bob'), await member('ew-same-product', 'ew-cy')]).toEqual([true, false]);
  });

  test('when a category is viewed twice this week, then "browsed a category twice this week" holds, with `in` over the category names', async () => {
    await views('ew-eli', { productId: 'a', category: 'sneakers' }, 1);
    await views('ew-eli', { productId: 'b', category: 'shoes' }, 6);
    await views('ew-fay', { productId: 'c', category: 'shoes' }, 1, 8);
    await views('ew-gus', { productId: 'd', category: 'hats' }, 1, 2);
    expect((await stack.api('PUT', '/v1/segments/ew-shoes-twice', { name: 'Shoes twice this week', rule: shoesTwiceThisWeek })).status).toBe(201);
    const sample = await preview('ew-shoes-twice');
    expect(sample.filter((id) => ['ew-eli', 'ew-fay', 'ew-gus'].includes(id))).toEqual(['ew-eli']);
    expect(sample).toContain('ew-ada'); // two shoe views this week among the first test's
  });
});

test('when customers open messages on several channels, then "prefers email over push" holds for those who open email and not push', async () => {
  const opened = async (customerId: string, channel: string, ...daysAgo: number[]) => {
    const events = daysAgo.map((days) => ({ id: `ew-${customerId}-${++seq}`, customerId, name: 'message_opened', timestamp: ago(days), properties: { channel, journeyId: 'ew-news', stepId: 'mail' } }));
    expect((await stack.api('POST', '/v1/events/batch', { events })).body.accepted).toBe(events.length);
  };
  await opened('ew-pia', 'email', 1, 12);
  await opened('ew-pia', 'push', 45); // a push opened long ago does not count against her
  await opened('ew-quin', 'email', 2, 3);
  await opened('ew-quin', 'push', 4);
  await opened('ew-rae', 'email', 5);
  const prefersEmail = {
    and: [
      { event: 'message_opened', where: { channel: 'email' }, op: 'atLeast', count: 2, within: '30d' },
      { event: 'message_opened', where: { channel: 'push' }, op: 'didNot', within: '30d' },
    ],
  };
  expect((await stack.api('PUT', '/v1/segments/ew-prefers-email', { name: 'Prefers email over push', rule: prefersEmail })).status).toBe(201);
  expect((await preview('ew-prefers-email')).filter((id) => ['ew-pia', 'ew-quin', 'ew-rae'].includes(id))).toEqual(['ew-pia']);
});

test('when a windowed rule is invalid, then saving the segment answers 400 naming the field', async () => {
  const cases: [object, string][] = [
    [{ ...sameProductThrice, within: '120d' }, 'rule.within'],
    [{ event: 'ew_viewed', where: { productId: 'x' }, op: 'atLeast', count: 3 }, 'rule.within'],
    [{ ...sameProductThrice, count: 500 }, 'rule.count'],
    [{ ...sameProductThrice, where: { a: 1, b: 2, c: 3, d: 4 } }, 'rule.where'],
    [{ ...sameProductThrice, op: 'between' }, 'rule.op'],
  ];
  for (const [rule, field] of cases) {
    const res = await stack.api('PUT', '/v1/segments/ew-bad', { name: 'Bad', rule });
    expect([res.status, res.body.error.details.map((d: { field: string }) => d.field)]).toEqual([400, [field]]);
  }
  expect((await stack.api('GET', '/v1/segments/ew-bad')).status).toBe(404);
});

test('when a batch is folded again, or a backfill runs again (by a save or by the sweep), then no time is counted twice', async () => {
  const key = windowKey({ event: 'ew_viewed', where: { productId: 'sku-123' } });
  const times = async () => ((await stack.db.models.customers.findById('ew-ada').lean())!.windows?.[key] ?? []).length;
  const before = await times();
  expect(before).toBe(3);
  // The sweep's re-fold of a batch the request already folded: the marker turns it away.
  const stored = await stack.db.models.events.find({ customerId: 'ew-ada' }).lean();
  const batch = { id: stored[0].batch, receivedAt: stored[0].receivedAt, sweptThrough: new Date(0) };
  await foldBatch(stack.db.models.customers, batch, stored.filter((e) => e.batch === batch.id), new Set(), await keptSeriesReader(stack.db.models)());
  // The backfill of the series, run again as after a crash: each customer's fill marker turns it away.
  await stack.db.models.eventWindows.updateOne({ _id: key }, { $unset: { filledAt: '' } });
  await keepSeriesOf(stack.db.models, [sameProductThrice as never]);
  expect(await times()).toBe(before);
  // A save that died before its backfill finished: the worker's sweep finishes it, adding nothing twice.
  await stack.db.models.eventWindows.updateOne({ _id: key }, { $unset: { filledAt: '' } });
  await stack.sweepNow();
  expect((await stack.db.models.eventWindows.findById(key).lean())?.filledAt).toBeInstanceOf(Date);
  expect(await times()).toBe(before);
});

test('when a request died after storing a new customer\'s views and before folding them, then the backfill creates the customer with their times, and the sweep\'s late fold adds the roll-ups', async () => {
  // The request stored the batch a minute ago and died: no customer document yet.
  const receivedAt = new Date(Date.now() - 61_000);
  const viewed = (n: number) => ({ _id: `ew-died-${n}`, customerId: 'ew-ivy', name: 'ew_viewed', timestamp: new Date(Date.now() - n * DAY), properties: { productId: 'sku-died' }, receivedAt, batch: 'ew-died-batch' });
  await stack.db.models.events.insertMany([viewed(1), viewed(2)]);
  expect(await stack.db.models.customers.findById('ew-ivy').lean()).toBeNull();
  const rule = { event: 'ew_viewed', where: { productId: 'sku-died' }, op: 'atLeast', count: 2, within: '5d' };
  expect((await stack.api('PUT', '/v1/segments/ew-died', { name: 'Died mid-request', rule })).status).toBe(201);
  expect(await preview('ew-died')).toEqual(['ew-ivy']);
  await stack.sweepNow();
  const ivy = (await stack.db.models.customers.findById('ew-ivy').lean())!;
  expect([ivy.events?.ew_viewed.count, ivy.windows?.[windowKey({ event: 'ew_viewed', where: { productId: 'sku-died' } })]?.length]).toEqual([2, 2]);
  expect(await member('ew-died', 'ew-ivy')).toBe(true);
});

test('when a journey launches at a windowed segment and branches on an inline windowed rule, then members enter and take the branch they match', async () => {
  const saved = await stack.api('PUT', '/v1/journeys/ew-nudge', {
    name: 'Nudge',
    entry: { type: 'segment', segmentId: 'ew-same-product' },
    steps: [
      { id: 'shoes', type: 'branch', cases: [{ when: { rule: { event: 'ew_viewed', where: { category: 'shoes' }, op: 'atLeast', count: 2, within: '36h' } }, next: 'hello' }], default: 'done' },
      { id: 'hello', type: 'send', channel: 'web', template: 'ew-hello' },
      { id: 'done', type: 'exit' },
    ],
  });
  expect(saved.status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/ew-nudge/launch', {})).status).toBeLessThan(300);
  await eventually(async () => expect([await hasRun('ew-nudge', 'ew-ada'), await hasRun('ew-nudge', 'ew-bob')]).toEqual([true, true]));
  // Shoes twice in 36 hours: bob (now and a day ago), not ada (2.4 hours and two days ago).
  const ada = await stack.run('ew-nudge', 'ew-ada').result();
  const bob = await stack.run('ew-nudge', 'ew-bob').result();
  expect([ada.path, bob.path]).toEqual([
    ['shoes', 'done'],
    ['shoes', 'hello'],
  ]);
  expect(await hasRun('ew-nudge', 'ew-cy')).toBe(false);
});

test('when a live journey enters by a windowed segment, then the view that makes the count enters the customer', async () => {
  const saved = await stack.api('PUT', '/v1/journeys/ew-live', {
    name: 'Live',
    entry: { type: 'segment', segmentId: 'ew-shoes-twice' },
    steps: [{ id: 'hello', type: 'send', channel: 'web', template: 'ew-hello' }],
  });
  expect(saved.status).toBe(201);
  await stack.api('POST', '/v1/journeys/ew-live/launch', {});
  await new Promise((r) => setTimeout(r, 2_100)); // the live-journey cache
  await views('ew-hal', { category: 'shoes' }, 0.5);
  expect(await hasRun('ew-live', 'ew-hal')).toBe(false);
  await views('ew-hal', { category: 'sneakers' }, 0);
  expect(await hasRun('ew-live', 'ew-hal')).toBe(true);
});

describe('membership that lapses with time alone', () => {
  /** A journey entered by a windowed segment, exiting on leaving it, waiting a week before its send. */
  async function lapsingJourney(journeyId: string, segmentId: string, rule: object) {
    expect((await stack.api('PUT', `/v1/segments/${segmentId}`, { name: segmentId, rule })).status).toBe(201);
    const saved = await stack.api('PUT', `/v1/journeys/${journeyId}`, {
      name: journeyId,
      entry: { type: 'segment', segmentId },
      settings: { exitOnLeavingSegment: true },
      steps: [
        { id: 'week', type: 'wait', duration: '7d', next: 'hello' },
        { id: 'hello', type: 'send', channel: 'web', template: 'ew-hello' },
      ],
    });
    expect(saved.status).toBe(201);
  }

  test('when the third view ages out of the window, then the re-check tells the run, which exits, and only once', async () => {
    await lapsingJourney('ew-lapse', 'ew-lapse-seg', { event: 'ew_looked', where: { productId: 'sku-7' }, op: 'atLeast', count: 3, within: '5d' });
    const events = [0.5, 1, 4].map((days, i) => ({ id: `ew-ivy-look-${i}`, customerId: 'ew-ivy', name: 'ew_looked', timestamp: ago(days), properties: { productId: 'sku-7' } }));
    await stack.api('POST', '/v1/events/batch', { events });
    await stack.api('POST', '/v1/journeys/ew-lapse/launch', {});
    await eventually(async () => expect(await hasRun('ew-lapse', 'ew-ivy')).toBe(true));

    const entry = createJourneyEntry({ models: stack.db.models, runs: createJourneyRuns(stack.client, stack.taskQueue, stack.db.models.journeyEntries) });
    // Today the three views are inside five days: nobody is told.
    expect(await entry.recheckLapsed(new Date())).toBe(0);
    // A day and a half on, the view of four days ago is older than five days.
    const later = new Date(Date.now() + 1.5 * DAY);
    expect(await entry.recheckLapsed(later)).toBe(1);
    expect(await stack.run('ew-lapse', 'ew-ivy').result()).toMatchObject({ status: 'exited', exitReason: 'left-segment', path: ['week'] });
    // The entry is marked as told: the next pass does not signal it again.
    expect(await entry.recheckLapsed(later)).toBe(0);
  });

  test('when the worker\'s minute sweep runs after a window lapsed, then the run exits', async () => {
    // The third view is just inside five days at launch; a few seconds later it is not.
    await lapsingJourney('ew-sweep', 'ew-sweep-seg', { event: 'ew_glanced', op: 'atLeast', count: 3, within: '5d' });
    const edge = new Date(Date.now() - 5 * DAY + 15_000).toISOString();
    const events = [ago(0.5), ago(1), edge].map((timestamp, i) => ({ id: `ew-jo-glance-${i}`, customerId: 'ew-jo', name: 'ew_glanced', timestamp }));
    await stack.api('POST', '/v1/events/batch', { events });
    await stack.api('POST', '/v1/journeys/ew-sweep/launch', {});
    await eventually(async () => expect(await hasRun('ew-sweep', 'ew-jo')).toBe(true));
    await eventually(async () => expect(await member('ew-sweep-seg', 'ew-jo')).toBe(false));
    await stack.sweepNow();
    expect(await stack.run('ew-sweep', 'ew-jo').result()).toMatchObject({ status: 'exited', exitReason: 'left-segment' });
  });
});
