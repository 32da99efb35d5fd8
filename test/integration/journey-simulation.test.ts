// Journey simulation through the real API and store: the journey's real workflow runs on a
// time-skipping server with the real send decisions (quiet hours, caps, consent, rendering), the
// timeline's events reach it as ingest would, and nothing is written or sent.
import { hourOfWeek } from '../../core/engagement';
import { SIMULATED_ONBOARDING_TEMPLATES, simulatedOnboarding } from '../support/journeys';
import { Stack, startStack } from '../support/stack';

let stack: Stack;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Simulated times drift from the computed ones by the real time the run's work takes. */
const SLACK_MS = 120_000;

beforeAll(async () => {
  stack = await startStack('journey-simulation');
  for (const [id, body] of Object.entries(SIMULATED_ONBOARDING_TEMPLATES)) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
  // Two emails a week: a past send (a place the customer holds in the store) and the welcome fill it.
  expect((await stack.api('PUT', '/v1/settings/frequency-caps', { rules: [{ id: 'email-weekly', channels: ['email'], limit: 2, window: '7d' }] })).status).toBe(200);
  expect(
    (await stack.api('PUT', '/v1/customers/sim-ada', { email: 'ada@example.test', phone: '+447700900123', timeZone: 'UTC', consent: { sms: false }, attributes: { firstName: 'Ada', plan: 'pro' } }))
      .status,
  ).toBe(201);
  await stack.db.models.frequency.create({ _id: 'sim-ada', held: { 'email-weekly': [{ t: Date.now() - DAY, k: 'journey:earlier:sim-ada:1:mail:1' }] } });
});
afterAll(async () => {
  await stack?.close();
});

/** Every document of every collection of the test's database, in `_id` order. */
async function storeContents(): Promise<string> {
  const db = stack.db.connection.db!;
  const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
  const all: Record<string, unknown[]> = {};
  for (const name of names) all[name] = await db.collection(name).find({}).sort({ _id: 1 }).toArray();
  return JSON.stringify(all);
}

const near = (actual: string | undefined, expected: number) => {
  expect(actual).toBeDefined();
  expect(Math.abs(Date.parse(actual!) - expected)).toBeLessThan(SLACK_MS);
};

test('when a 30-day journey with five sends is simulated for a stored customer, then each step has its simulated time, each message is rendered or explained, and nothing is written or sent', async () => {
  const now = Date.now();
  // Quiet hours from an hour ago to two hours ahead (UTC): the welcome is held until they end.
  const journey = simulatedOnboarding(now);
  const quietEnd = journey.settings!.quietHours!.end;
  expect((await stack.api('PUT', '/v1/journeys/sim-onboarding', journey)).status).toBe(201);
  const before = await storeContents();

  const res = await stack.api('POST', '/v1/journeys/sim-onboarding/simulate', {
    customerId: 'sim-ada',
    events: [{ name: 'order_completed', after: '1d6h', properties: { orderId: 'A-17', total: 42 } }],
    horizon: '30d',
  });
  expect(res.status).toBe(200);
  const sim = res.body;
  const t0 = Date.parse(sim.startedAt);
  near(sim.startedAt, now);
  expect(sim).toMatchObject({ journeyId: 'sim-onboarding', version: 1, customerId: 'sim-ada', notes: [] });
  expect(sim.horizonAt).toBe(new Date(t0 + 30 * DAY).toISOString());
  expect(sim.steps.map((s: { stepId: string }) => s.stepId)).toEqual(['welcome', 'settle', 'wait-order', 'thanks', 'two-days', 'tip', 'ten-days', 'inbox', 'two-weeks', 'last']);
  const step = (id: string) => sim.steps.find((s: { stepId: string }) => s.stepId === id);

  // Quiet hours: held from entry until their end, then sent, rendered for Ada.
  const quietEndsAt = (() => {
    const end = new Date(t0);
    end.setUTCHours(Number(quietEnd.slice(0, 2)), Number(quietEnd.slice(3)), 0, 0);
    return end.getTime() <= t0 ? end.getTime() + DAY : end.getTime();
  })();
  const welcome = step('welcome');
  near(welcome.at, t0);
  expect(welcome).toMatchObject({ type: 'send', channel: 'email', outcome: 'sent', usedChannel: 'email', deferrals: [{ reason: 'quiet-hours', until: new Date(quietEndsAt).toISOString() }] });
  expect(welcome.deferrals[0].explanation).toContain('quiet hours');
  near(welcome.decidedAt, quietEndsAt);
  expect(welcome.message.address).toBe('ada@example.test');
  expect(welcome.message.content).toMatchObject({ subject: 'Welcome, Ada', text: 'Hi Ada' });
  expect(welcome.message.content.html).toContain(`${stack.baseUrl}/unsubscribe/`);
  // No live tracking: opening the simulated message must record nothing.
  expect(welcome.message.content.html).not.toContain(`${stack.baseUrl}/t/`);

  // The wait, then the order on day 1 (6 h in) ends the waitForEvent.
  const settle = step('settle');
  near(settle.at, quietEndsAt);
  expect(settle.until).toBe(new Date(Date.parse(settle.at) + 6 * HOUR).toISOString());
  const waitOrder = step('wait-order');
  expect(waitOrder).toMatchObject({ type: 'waitForEvent', event: 'order_completed', outcome: 'event', next: 'thanks' });
  expect(sim.events).toEqual([{ name: 'order_completed', at: expect.any(String), properties: { orderId: 'A-17', total: 42 }, delivered: true }]);
  near(sim.events[0].at, t0 + DAY + 6 * HOUR);

  // The cap: the past send and the welcome fill this week's two emails.
  const thanks = step('thanks');
  near(thanks.at, t0 + DAY + 6 * HOUR);
  expect(thanks).toMatchObject({ outcome: 'skipped', reason: 'capped:email-weekly', deferrals: [] });
  expect(thanks.explanation).toContain('frequency cap "email-weekly" (per 7d)');
  expect(thanks.message).toBeUndefined();

  // Consent: Ada opted out of SMS, and the step has no fallback.
  const tip = step('tip');
  near(tip.at, t0 + 3 * DAY + 6 * HOUR);
  expect(tip).toMatchObject({ channel: 'sms', outcome: 'skipped', reason: 'unsubscribed' });

  const inbox = step('inbox');
  near(inbox.at, t0 + 13 * DAY + 6 * HOUR);
  expect(inbox).toMatchObject({ outcome: 'sent', usedChannel: 'web', message: { address: 'sim-ada', content: { title: 'Hello Ada', body: 'Your plan: pro' } } });

  // Three weeks on, the cap's window has passed: the last email goes, with the order's data.
  const last = step('last');
  near(last.at, t0 + 27 * DAY + 6 * HOUR);
  expect(last).toMatchObject({ outcome: 'sent', message: { content: { subject: 'About order A-17', html: '<p>42 EUR</p>' } } });
  expect(sim.end).toMatchObject({ status: 'completed', explanation: 'the run reached the end of its last step' });
  near(sim.end.at, t0 + 27 * DAY + 6 * HOUR);

  // Nothing written, nothing sent.
  expect(await storeContents()).toBe(before);
  expect(stack.sink.messages).toEqual([]);
  expect(stack.twilio.messages).toEqual([]);
  expect(stack.fcm.requests).toBe(0);
});

test("when a draft is simulated for an inline profile, then segment conditions see the timeline's events, and an exit event ends the run", async () => {
  const draft = {
    name: 'Draft follow-up',
    settings: { exitOnEvent: 'account_closed' },
    steps: [
      { id: 'two-days', type: 'wait', duration: '2d', next: 'ordered' },
      { id: 'ordered', type: 'branch', cases: [{ when: { rule: { event: 'order_completed', op: 'did' } }, next: 'thanks' }], default: 'nudge' },
      { id: 'thanks', type: 'send', channel: 'web', template: 'sim-inbox', next: 'long' },
      { id: 'nudge', type: 'send', channel: 'web', template: 'sim-inbox', next: 'long' },
      { id: 'long', type: 'wait', duration: '20d' },
    ],
  };
  expect((await stack.api('PUT', '/v1/journeys/sim-draft/draft', draft)).status).toBe(201);
  const before = await storeContents();
  // No published version: only the draft can be simulated.
  expect((await stack.api('POST', '/v1/journeys/sim-draft/simulate', { customer: { attributes: { firstName: 'Bo' } } })).status).toBe(409);

  const res = await stack.api('POST', '/v1/journeys/sim-draft/simulate', {
    definition: 'draft',
    customer: { id: 'bo', attributes: { firstName: 'Bo', plan: 'free' } },
    events: [
      { name: 'account_closed', after: '5d' },
      { name: 'order_completed', after: '1d' },
    ],
    horizon: '10d',
  });
  expect(res.status).toBe(200);
  const sim = res.body;
  const t0 = Date.parse(sim.startedAt);
  expect(sim).toMatchObject({ version: 'draft', customerId: 'bo' });
  expect(sim.steps.map((s: { stepId: string; type: string }) => `${s.stepId}:${s.type}`)).toEqual(['two-days:wait', 'ordered:branch', 'thanks:send', 'long:wait']);
  expect(sim.steps[1]).toMatchObject({ case: 0, next: 'thanks' });
  expect(sim.steps[2]).toMatchObject({ outcome: 'sent', message: { content: { title: 'Hello Bo', body: 'Your plan: free' } } });
  expect(sim.events.map((e: { name: string; delivered: boolean }) => [e.name, e.delivered])).toEqual([
    ['order_completed', true],
    ['account_closed', true],
  ]);
  expect(sim.end).toMatchObject({ status: 'exited', reason: 'exit-event' });
  expect(sim.end.explanation).toContain('account_closed');
  near(sim.end.at, t0 + 5 * DAY);
  expect(await storeContents()).toBe(before);
});

test('when a branch counts events over a window with a property filter, then only the timeline events that pass the filter count', async () => {
  const twoShoeViews = { event: 'product_viewed', where: { category: 'shoes' }, op: 'atLeast', count: 2, within: '5d' };
  const draft = {
    name: 'Shoe browsers',
    steps: [
      { id: 'two-days', type: 'wait', duration: '2d', next: 'browsed' },
      { id: 'browsed', type: 'branch', cases: [{ when: { rule: twoShoeViews }, next: 'shoes' }], default: 'other' },
      { id: 'shoes', type: 'send', channel: 'web', template: 'sim-inbox' },
      { id: 'other', type: 'send', channel: 'web', template: 'sim-inbox' },
    ],
  };
  // Saving registers the rule's kept series (the simulation folds the timeline into it).
  expect((await stack.api('PUT', '/v1/journeys/sim-windows/draft', draft)).status).toBe(201);
  const simulate = async (categories: string[]) => {
    const res = await stack.api('POST', '/v1/journeys/sim-windows/simulate', {
      definition: 'draft',
      customer: { id: 'cy', attributes: { firstName: 'Cy', plan: 'free' } },
      events: categories.map((category, i) => ({ name: 'product_viewed', after: `${i + 1}h`, properties: { category } })),
      horizon: '3d',
    });
    expect(res.status).toBe(200);
    return res.body.steps.find((s: { stepId: string }) => s.stepId === 'browsed');
  };
  expect(await simulate(['shoes', 'hats', 'shoes'])).toMatchObject({ case: 0, next: 'shoes' });
  expect(await simulate(['shoes', 'hats', 'hats'])).toMatchObject({ next: 'other' });
});

test('when a journey entered by an event is simulated, then its templates read the entry event, and reaching the goal ends the run', async () => {
  const journey = {
    name: 'Upgrade nudges',
    entry: { type: 'event', event: 'trial_started' },
    settings: { goal: { event: 'upgraded', within: '7d', exitOnConversion: true } },
    steps: [
      { id: 'hello', type: 'send', channel: 'web', template: 'sim-trial', next: 'three-days' },
      { id: 'three-days', type: 'wait', duration: '3d', next: 'nudge' },
      { id: 'nudge', type: 'send', channel: 'web', template: 'sim-trial' },
    ],
  };
  expect((await stack.api('PUT', '/v1/templates/sim-trial', { channel: 'web', content: { title: 'Your {{event.properties.plan}} trial', body: 'Hi {{customer.firstName}}' } })).status).toBe(201);
  expect((await stack.api('PUT', '/v1/journeys/sim-trial', journey)).status).toBe(201);
  const res = await stack.api('POST', '/v1/journeys/sim-trial/simulate', {
    customerId: 'sim-ada',
    entryEvent: { properties: { plan: 'team' } },
    events: [{ name: 'upgraded', after: '2d' }],
  });
  expect(res.status).toBe(200);
  const t0 = Date.parse(res.body.startedAt);
  expect(res.body.steps.map((s: { stepId: string }) => s.stepId)).toEqual(['hello', 'three-days']);
  expect(res.body.steps[0].message.content).toEqual({ title: 'Your team trial', body: 'Hi Ada' });
  expect(res.body.end).toMatchObject({ status: 'exited', reason: 'converted' });
  near(res.body.converted.at, t0 + 2 * DAY);
  near(res.body.end.at, t0 + 2 * DAY);
});

test('when an event takes the customer out of the entry segment, then a journey that exits on leaving it ends there', async () => {
  expect((await stack.api('PUT', '/v1/segments/sim-not-churned', { name: 'Not churned', rule: { event: 'churned', op: 'didNot' } })).status).toBe(201);
  const journey = {
    name: 'Retention',
    entry: { type: 'segment', segmentId: 'sim-not-churned' },
    settings: { exitOnLeavingSegment: true },
    steps: [
      { id: 'week', type: 'wait', duration: '7d', next: 'hello' },
      { id: 'hello', type: 'send', channel: 'web', template: 'sim-inbox' },
    ],
  };
  expect((await stack.api('PUT', '/v1/journeys/sim-retention', journey)).status).toBe(201);
  const res = await stack.api('POST', '/v1/journeys/sim-retention/simulate', { customer: { id: 'cy', attributes: { firstName: 'Cy' } }, events: [{ name: 'churned', after: '2d' }] });
  expect(res.status).toBe(200);
  expect(res.body.notes).toEqual([]);
  expect(res.body.steps.map((s: { stepId: string }) => s.stepId)).toEqual(['week']);
  expect(res.body.end).toMatchObject({ status: 'exited', reason: 'left-segment' });
  near(res.body.end.at, Date.parse(res.body.startedAt) + 2 * DAY);
});

test('when the horizon comes before the run ends, then the answer says where it waits', async () => {
  const journey = { name: 'Slow', steps: [{ id: 'month', type: 'wait', duration: '40d', next: 'hello' }, { id: 'hello', type: 'send', channel: 'web', template: 'sim-inbox' }] };
  expect((await stack.api('PUT', '/v1/journeys/sim-slow', journey)).status).toBe(201);
  const res = await stack.api('POST', '/v1/journeys/sim-slow/simulate', { customerId: 'sim-ada', horizon: '7d', events: [{ name: 'order_completed', after: '7d' }] });
  expect(res.status).toBe(200);
  expect(res.body.steps).toEqual([expect.objectContaining({ stepId: 'month', type: 'wait' })]);
  expect(res.body.end).toMatchObject({ status: 'waiting', stepId: 'month', at: res.body.horizonAt });
  expect(res.body.end.explanation).toContain('"month"');
});

test("when a best-time wait is simulated, then the answer shows the hour chosen from the customer's engagement and why, or the default for a profile without history", async () => {
  // Five sessions a week ago, at an hour of the week about five hours ahead of now.
  const engaged = Math.floor((Date.now() - 7 * DAY + 5 * HOUR) / HOUR) * HOUR + 10 * 60_000;
  expect((await stack.api('PUT', '/v1/customers/sim-eve', { email: 'eve@example.test', timeZone: 'Europe/Paris' })).status).toBe(201);
  for (const i of [0, 1, 2, 3, 4]) {
    const timestamp = new Date(engaged + i * 60_000).toISOString();
    expect((await stack.api('POST', '/v1/events', { id: `sim-eve-${i}`, customerId: 'sim-eve', name: 'session_started', timestamp })).status).toBe(202);
  }
  const journey = { name: 'Best time', steps: [{ id: 'best', type: 'wait', untilBestTime: { within: '1d', default: '10:00' }, next: 'hello' }, { id: 'hello', type: 'send', channel: 'web', template: 'sim-inbox' }] };
  expect((await stack.api('PUT', '/v1/journeys/sim-best', journey)).status).toBe(201);

  const eve = (await stack.api('POST', '/v1/journeys/sim-best/simulate', { customerId: 'sim-eve', horizon: '2d' })).body;
  // The first hour start after entry at that hour of the week.
  let expected = Math.floor(Date.parse(eve.startedAt) / HOUR) * HOUR + HOUR;
  while (hourOfWeek(new Date(expected)) !== hourOfWeek(new Date(engaged))) expected += HOUR;
  const best = eve.steps[0];
  expect(best).toMatchObject({ stepId: 'best', type: 'wait', until: new Date(expected).toISOString(), next: 'hello' });
  expect(best.reason).toMatch(/^the customer's busiest hour in the window: \w+day \d\d:00 UTC \(5 of their 5 engagements\)$/);
  expect(best.explanation).toBe(`waits until ${best.until}: ${best.reason}`);
  expect(Date.parse(eve.steps[1].at)).toBeGreaterThanOrEqual(expected);

  // A profile without history: 10:00 in Kolkata (UTC+5:30, no daylight saving) is 04:30 UTC.
  const bo = (await stack.api('POST', '/v1/journeys/sim-best/simulate', { customer: { timeZone: 'Asia/Kolkata' }, horizon: '2d' })).body;
  const startedAt = Date.parse(bo.startedAt);
  let morning = Math.floor(startedAt / DAY) * DAY + 4.5 * HOUR;
  if (morning <= startedAt) morning += DAY;
  expect(bo.steps[0]).toMatchObject({ type: 'wait', until: new Date(morning).toISOString(), reason: 'too little history (0 engagements, fewer than 5): the default, 10:00 in Asia/Kolkata' });
});

test('when a simulation request is wrong, then the answer names what is wrong', async () => {
  const fields = async (body: unknown, id = 'sim-onboarding') => {
    const res = await stack.api('POST', `/v1/journeys/${id}/simulate`, body);
    expect(res.status).toBe(400);
    return res.body.error.details.map((d: { field: string }) => d.field);
  };
  expect(await fields({ customerId: 'sim-ada', horizon: '30 days' })).toEqual(['horizon']);
  expect(await fields({ customerId: 'sim-ada', horizon: '367d' })).toEqual(['horizon']);
  expect(await fields({ customerId: 'sim-ada', events: [{ name: 'x', after: 'soon' }] })).toEqual(['events[0].after']);
  expect(await fields({ customerId: 'sim-ada', horizon: '2d', events: [{ name: 'x', after: '1d' }, { name: 'y', after: '3d' }] })).toEqual(['events[1].after']);
  expect(await fields({ customerId: 'sim-ada', events: Array.from({ length: 101 }, () => ({ name: 'x', after: '1d' })) })).toEqual(['events']);
  expect(await fields({})).toEqual(['customerId']);
  expect(await fields({ customerId: 'sim-ada', customer: { email: 'a@example.test' } })).toEqual(['customerId']);
  expect(await fields({ customer: { email: 'not an address' } })).toEqual(['customer.email']);
  expect(await fields({ customerId: 'sim-ada', definition: 'latest' })).toEqual(['definition']);

  expect((await stack.api('POST', '/v1/journeys/sim-onboarding/simulate', { customerId: 'nobody' })).status).toBe(404);
  expect((await stack.api('POST', '/v1/journeys/no-such-journey/simulate', { customerId: 'sim-ada' })).status).toBe(404);
  expect((await stack.api('POST', '/v1/journeys/sim-onboarding/simulate', { customerId: 'sim-ada', definition: 'draft' })).status).toBe(409);
  expect((await stack.api('POST', '/v1/journeys/sim-onboarding/simulate', { customerId: 'sim-ada', entryEvent: {} })).status).toBe(409);
});

test('when more simulations are asked for than the API runs at once, then the extra one is refused with 503 and Retry-After', async () => {
  // The stack runs two at once; the third arrives while they run (each takes far longer than reaching the limit).
  const ask = () => stack.api('POST', '/v1/journeys/sim-onboarding/simulate', { customerId: 'sim-ada', events: [{ name: 'order_completed', after: '1d' }] });
  const answers = await Promise.all([ask(), ask(), ask()]);
  expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 503]);
  const busy = answers.find((a) => a.status === 503)!;
  expect(busy.headers.get('retry-after')).toBe('5');
  expect(busy.body.error.message).toContain('CAIRN_SIMULATIONS');
});
