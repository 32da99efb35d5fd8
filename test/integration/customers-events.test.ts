// Customers with every kind of address and consent, batch upserts, and event ingest with the
// per-customer roll-ups that behavioural segments read.
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('customers-events');
});
afterAll(async () => {
  await stack?.close();
});

describe('customers', () => {
  test('when a customer has a phone, locale, push tokens and consent, then they are stored and shown', async () => {
    const res = await stack.api('PUT', '/v1/customers/full', {
      email: 'full@example.test',
      phone: '+447700900123',
      locale: 'en-gb',
      timeZone: 'Europe/London',
      pushTokens: [{ token: 'tok-1', platform: 'ios' }],
      consent: { email: false },
      attributes: { plan: 'pro' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      phone: '+447700900123',
      locale: 'en-GB',
      pushTokens: [{ token: 'tok-1', platform: 'ios' }],
      consent: { email: false },
    });
    const again = await stack.api('PUT', '/v1/customers/full', { consent: { web: false, email: true } });
    expect(again.body.consent).toEqual({ email: true, web: false });
    expect(again.body.attributes).toEqual({ plan: 'pro' });
  });

  test.each([
    ['a phone number not in E.164', { phone: '07700 900123' }, 'phone'],
    ['a locale that is not a language tag', { locale: 'english please' }, 'locale'],
    ['a push token on an unknown platform', { pushTokens: [{ token: 't', platform: 'pager' }] }, 'pushTokens[0].platform'],
    ['consent for an unknown channel', { consent: { fax: false } }, 'consent'],
  ])('when a customer has %s, then the API answers 400 naming it', async (_what, body, field) => {
    const res = await stack.api('PUT', '/v1/customers/wrong', body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
  });

  test('when a batch of customers is upserted, then new ones are created and known ones merged', async () => {
    await stack.api('PUT', '/v1/customers/b1', { attributes: { a: 1 } });
    const res = await stack.api('POST', '/v1/customers/batch', {
      customers: [
        { id: 'b1', attributes: { b: 2 } },
        { id: 'b2', email: 'b2@example.test' },
        { id: 'b3', timeZone: 'UTC' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ created: 2, updated: 1, suppressed: [] });
    expect((await stack.api('GET', '/v1/customers/b1')).body.attributes).toEqual({ a: 1, b: 2 });
    const b2 = (await stack.api('GET', '/v1/customers/b2')).body;
    expect(b2.email).toBe('b2@example.test');
    expect(Date.parse(b2.createdAt)).toBeGreaterThan(0);
  });

  test('when one customer in a batch is invalid, then the API answers 400 naming it and writes none', async () => {
    const res = await stack.api('POST', '/v1/customers/batch', {
      customers: [{ id: 'ok-1' }, { id: 'bad-1', email: 'nope' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('customers[1].email');
    expect((await stack.api('GET', '/v1/customers/ok-1')).status).toBe(404);
  });
});

describe('events', () => {
  test('when events are tracked, then the customer roll-ups count them with first and last times', async () => {
    await stack.api('PUT', '/v1/customers/shopper', { email: 'shopper@example.test' });
    const batch = await stack.api('POST', '/v1/events/batch', {
      events: [
        { id: 'e1', customerId: 'shopper', name: 'order_completed', timestamp: '2026-01-10T10:00:00Z', properties: { total: 30 } },
        { id: 'e2', customerId: 'shopper', name: 'order_completed', timestamp: '2026-01-05T09:00:00Z' },
        { id: 'e3', customerId: 'shopper', name: 'viewed_pricing', timestamp: '2026-01-12T08:00:00Z' },
      ],
    });
    expect(batch.status).toBe(202);
    expect(batch.body).toEqual({ accepted: 3, duplicates: 0, suppressed: 0, suppressedEvents: [] });
    const one = await stack.api('POST', '/v1/events', { id: 'e4', customerId: 'shopper', name: 'order_completed', timestamp: '2026-01-20T10:00:00Z' });
    expect(one.body).toEqual({ accepted: 1, duplicates: 0, suppressed: 0, suppressedEvents: [] });

    const customer = (await stack.api('GET', '/v1/customers/shopper')).body;
    expect(customer.events).toEqual({
      order_completed: { count: 3, first: '2026-01-05T09:00:00.000Z', last: '2026-01-20T10:00:00.000Z' },
      viewed_pricing: { count: 1, first: '2026-01-12T08:00:00.000Z', last: '2026-01-12T08:00:00.000Z' },
    });
    expect(customer.lastSeenAt).toBe('2026-01-20T10:00:00.000Z');
  });

  test('when an event is sent again, then it is stored once and counted once', async () => {
    const event = { id: 'dup-1', customerId: 'repeat', name: 'login' };
    expect((await stack.api('POST', '/v1/events', event)).body).toEqual({ accepted: 1, duplicates: 0, suppressed: 0, suppressedEvents: [] });
    expect((await stack.api('POST', '/v1/events', event)).body).toEqual({ accepted: 0, duplicates: 1, suppressed: 0, suppressedEvents: [] });
    const mixed = await stack.api('POST', '/v1/events/batch', { events: [event, { ...event, id: 'dup-2' }] });
    expect(mixed.body).toEqual({ accepted: 1, duplicates: 1, suppressed: 0, suppressedEvents: [] });
    // An event for an unknown customer creates the customer.
    const customer = (await stack.api('GET', '/v1/customers/repeat')).body;
    expect(customer.events.login.count).toBe(2);
    expect(await stack.db.models.events.countDocuments({ customerId: 'repeat' })).toBe(2);
  });

  test.each([
    ['a name with a dot', { id: 'x1', customerId: 'c', name: 'order.completed' }, 'name'],
    ['a name starting with $', { id: 'x2', customerId: 'c', name: '$where' }, 'name'],
    ['a timestamp without a time zone', { id: 'x3', customerId: 'c', name: 'a', timestamp: '2026-01-01T10:00:00' }, 'timestamp'],
    ['a timestamp in the future', { id: 'x4', customerId: 'c', name: 'a', timestamp: '2099-01-01T10:00:00Z' }, 'timestamp'],
    ['a nested property object', { id: 'x5', customerId: 'c', name: 'a', properties: { cart: { $gt: 1 } } }, 'properties.cart'],
  ])('when an event has %s, then the API answers 400 naming it and stores nothing', async (_what, body, field) => {
    const res = await stack.api('POST', '/v1/events', body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
    expect(await stack.db.models.events.findById(body.id).lean()).toBeNull();
  });
});

test('when a batch holds a thousand customers or hundreds of events over hundreds of customers, then it is written whole', async () => {
  const customers = Array.from({ length: 1000 }, (_, i) => ({ id: `bulk-${i}`, attributes: { n: i } }));
  const res = await stack.api('POST', '/v1/customers/batch', { customers });
  expect(res.body).toEqual({ created: 1000, updated: 0, suppressed: [] });
  const events = Array.from({ length: 500 }, (_, i) => ({ id: `bulk-event-${i}`, customerId: `bulk-${i % 250}`, name: 'page_viewed' }));
  expect((await stack.api('POST', '/v1/events/batch', { events })).body).toEqual({ accepted: 500, duplicates: 0, suppressed: 0, suppressedEvents: [] });
  expect((await stack.api('GET', '/v1/customers/bulk-7')).body.events.page_viewed.count).toBe(2);
});
