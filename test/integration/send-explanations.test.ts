// Sends explained on the real stack: a customer's messages across journeys, newest first, with
// channel planned and used and each reason in words; a journey's sends filtered by outcome and
// reason; stats per channel used.
import { Stack, startStack } from '../support/stack';

let stack: Stack;

interface Item {
  key: string;
  journeyId: string;
  stepId: string;
  channelPlanned: string;
  channelUsed?: string;
  outcome: string;
  reason?: string;
  explanation: string;
  createdAt: string;
}

beforeAll(async () => {
  stack = await startStack('send-explanations');
  const templates: [string, object][] = [
    ['ex-sms', { channel: 'sms', content: { body: 'Hi {{customer.firstName}}' } }],
    ['ex-web', { channel: 'web', content: { title: 'Hello', body: 'Hi {{customer.firstName}}' } }],
    ['ex-email', { channel: 'email', content: { subject: 'Hello {{customer.firstName}}', html: '<p>Hi</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>' } }],
  ];
  for (const [id, body] of templates) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
  expect((await stack.api('PUT', '/v1/settings/frequency-caps', { rules: [{ id: 'web-once', channels: ['web'], limit: 1, window: '1d' }] })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 5_100)); // workers read the rules at most every five seconds
});
afterAll(async () => {
  await stack?.close();
});

const page = async (path: string) => {
  const res = await stack.api('GET', path);
  expect(res.status).toBe(200);
  return res.body as { items: Item[]; next?: string };
};

async function allPages(path: string, limit: number): Promise<Item[]> {
  const items: Item[] = [];
  let after: string | undefined;
  do {
    const got = await page(`${path}${path.includes('?') ? '&' : '?'}limit=${limit}${after ? `&after=${after}` : ''}`);
    expect(got.items.length).toBeLessThanOrEqual(limit);
    items.push(...got.items);
    after = got.next;
  } while (after);
  return items;
}

test('when a customer is sent, skipped, given a fallback and capped, then their messages explain each send, newest first', async () => {
  // No phone: SMS falls back to the web inbox, or is skipped without a fallback; the second web message is capped.
  await stack.api('PUT', '/v1/customers/lin', { email: 'lin@example.test', attributes: { firstName: 'Lin' } });
  const steps = [
    { id: 'mail', type: 'send', channel: 'email', template: 'ex-email', next: 'text' },
    { id: 'text', type: 'send', channel: 'sms', template: 'ex-sms', fallback: { channel: 'web', template: 'ex-web' }, next: 'bare' },
    { id: 'bare', type: 'send', channel: 'sms', template: 'ex-sms', next: 'again' },
    { id: 'again', type: 'send', channel: 'web', template: 'ex-web' },
  ];
  expect((await stack.api('PUT', '/v1/journeys/explain', { name: 'explain', steps })).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/explain/launch', { customerIds: ['lin'] })).status).toBe(202);
  const result = await stack.run('explain', 'lin').result();
  expect(result.sends.map((s) => s.status)).toEqual(['sent', 'sent', 'skipped', 'skipped']);

  const items = await allPages('/v1/customers/lin/messages', 3);
  // Newest first: createdAt descending (ties by key, descending).
  const order = [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (b.key < a.key ? -1 : 1));
  expect(items.map((i) => i.key)).toEqual(order.map((i) => i.key));
  const byStep = Object.fromEntries(items.map((i) => [i.stepId, i]));
  expect(items).toHaveLength(4);
  expect(byStep.mail).toMatchObject({ journeyId: 'explain', channelPlanned: 'email', channelUsed: 'email', outcome: 'sent', explanation: 'sent on email' });
  expect(byStep.text).toMatchObject({ channelPlanned: 'sms', channelUsed: 'web', outcome: 'sent', explanation: expect.stringMatching(/^fallback taken: sent on web/) });
  expect(byStep.bare).toMatchObject({ channelPlanned: 'sms', outcome: 'skipped', reason: 'unreachable', explanation: expect.stringContaining('no address') });
  expect(byStep.bare.channelUsed).toBeUndefined();
  expect(byStep.again).toMatchObject({
    channelPlanned: 'web',
    outcome: 'skipped',
    reason: 'capped:web-once',
    explanation: expect.stringContaining('frequency cap "web-once" (per 1d)'),
  });

  // The journey's sends, filtered.
  const keys = (list: Item[]) => list.map((i) => i.stepId).sort();
  expect(keys((await page('/v1/journeys/explain/deliveries?outcome=skipped&reason=capped')).items)).toEqual(['again']);
  expect(keys((await page('/v1/journeys/explain/deliveries?outcome=skipped&reason=unreachable')).items)).toEqual(['bare']);
  expect(keys((await page('/v1/journeys/explain/deliveries?outcome=sent')).items)).toEqual(['mail', 'text']);
  expect(keys((await page('/v1/journeys/explain/deliveries?outcome=failed')).items)).toEqual([]);
  expect(keys((await page('/v1/journeys/explain/deliveries?stepId=text')).items)).toEqual(['text']);
  expect(keys(await allPages('/v1/journeys/explain/deliveries', 1))).toEqual(['again', 'bare', 'mail', 'text']);

  // Stats: sends per channel used, the fallback visible.
  const stats = (await stack.api('GET', '/v1/journeys/explain/stats')).body;
  expect(stats.steps.text).toMatchObject({ deliveries: { sent: 1 }, byChannelUsed: { web: 1 }, fallbacks: 1 });
  expect(stats.steps.mail).toMatchObject({ byChannelUsed: { email: 1 } });
  expect(stats.steps.mail.fallbacks).toBeUndefined();
}, 120_000);

test('when an unsubscribed customer is skipped, then the reason filter finds it and the words say so', async () => {
  await stack.api('PUT', '/v1/customers/uma', { email: 'uma@example.test', consent: { email: false } });
  expect((await stack.api('PUT', '/v1/journeys/explain-unsub', { name: 'unsub', steps: [{ id: 'mail', type: 'send', channel: 'email', template: 'ex-email' }] })).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/explain-unsub/launch', { customerIds: ['uma'] })).status).toBe(202);
  await stack.run('explain-unsub', 'uma').result();
  const { items } = await page('/v1/journeys/explain-unsub/deliveries?outcome=skipped&reason=unsubscribed');
  expect(items).toEqual([expect.objectContaining({ customerId: 'uma', reason: 'unsubscribed', explanation: expect.stringContaining('unsubscribed') })]);
  expect((await page('/v1/journeys/explain-unsub/deliveries?reason=unreachable')).items).toEqual([]);
}, 60_000);

test('when the customer or journey is unknown, or the cursor is not one, then 404 and 400 say so', async () => {
  expect((await stack.api('GET', '/v1/customers/nobody/messages')).status).toBe(404);
  expect((await stack.api('GET', '/v1/journeys/nothing/deliveries')).status).toBe(404);
  const bad = await stack.api('GET', '/v1/customers/lin/messages?after=bm90LWEtY3Vyc29y');
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('after');
  const outcome = await stack.api('GET', '/v1/journeys/explain/deliveries?outcome=lost');
  expect(outcome.status).toBe(400);
  expect(JSON.stringify(outcome.body)).toContain('outcome');
});
