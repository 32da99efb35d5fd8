// Event data in templates on the real stack: an event-entry journey renders the event that
// entered the customer (`{{event.*}}`) and the one that ended its waitForEvent step
// (`{{events.<stepId>.*}}`) in email, SMS, push and the web inbox, as the providers receive them.
import { journeyStateQuery } from '../../core/journey-contract';
import { eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('event-data');
});
afterAll(async () => {
  await stack?.close();
});

const templates: [string, object][] = [
  [
    'cart-email',
    {
      channel: 'email',
      content: {
        subject: 'You left {{event.properties.cartTotal}} EUR in your cart',
        html: '<p>{{#each event.properties.items}}<b>{{this}}</b> {{/each}}since {{event.timestamp}} ({{event.name}})</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>',
      },
    },
  ],
  ['cart-sms', { channel: 'sms', content: { body: 'Your cart: {{event.properties.cartTotal}} EUR. Finish checkout!' } }],
  ['paid-push', { channel: 'push', content: { title: 'Paid by {{events.wait-pay.properties.method}}', body: 'Cart of {{event.properties.cartTotal}} EUR' } }],
  ['paid-web', { channel: 'web', content: { title: 'Thanks', body: '{{events.wait-pay.properties.method}} for {{event.properties.cartTotal}} EUR' } }],
];

test('when an event enters the customer, then every channel renders it, and the waitForEvent event as events.<stepId>', async () => {
  for (const [id, body] of templates) {
    const saved = await stack.api('PUT', `/v1/templates/${id}`, body);
    expect(saved.status).toBe(201);
    expect(saved.body.warnings ?? []).toEqual([]);
  }
  await stack.api('PUT', '/v1/customers/eve', {
    email: 'eve@example.test',
    phone: '+15550100077',
    pushTokens: [{ token: 'eve-phone-token', platform: 'android' }],
  });
  const saved = await stack.api('PUT', '/v1/journeys/abandoned-cart', {
    name: 'Abandoned cart',
    entry: { type: 'event', event: 'cart_abandoned' },
    steps: [
      { id: 'mail', type: 'send', channel: 'email', template: 'cart-email', next: 'text' },
      { id: 'text', type: 'send', channel: 'sms', template: 'cart-sms', next: 'wait-pay' },
      { id: 'wait-pay', type: 'waitForEvent', event: 'payment_added', timeout: '1h', onEvent: 'push' },
      { id: 'push', type: 'send', channel: 'push', template: 'paid-push', next: 'web' },
      { id: 'web', type: 'send', channel: 'web', template: 'paid-web' },
    ],
  });
  expect(saved.status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/abandoned-cart/launch', {})).body.live).toBe(true);
  await new Promise((r) => setTimeout(r, 2_100)); // the live-journey cache

  const timestamp = '2026-03-01T10:00:00.000Z';
  const cart = { id: 'eve-cart-1', customerId: 'eve', name: 'cart_abandoned', timestamp, properties: { cartTotal: 42.5, items: ['mug', 'tea'] } };
  expect((await stack.api('POST', '/v1/events', cart)).status).toBe(202);
  const run = stack.run('abandoned-cart', 'eve');
  await eventually(async () => expect((await run.query(journeyStateQuery)).waitingFor?.event).toBe('payment_added'));
  await stack.api('POST', '/v1/events', { id: 'eve-pay-1', customerId: 'eve', name: 'payment_added', properties: { method: 'card' } });
  const result = await run.result();
  expect(result.sends.map((s) => [s.stepId, s.status])).toEqual([
    ['mail', 'sent'],
    ['text', 'sent'],
    ['push', 'sent'],
    ['web', 'sent'],
  ]);

  const [mail] = stack.sink.messages.filter((m) => m.to.includes('eve@example.test'));
  expect(mail.subject).toBe('You left 42.5 EUR in your cart');
  expect(mail.html).toContain(`<p><b>mug</b> <b>tea</b> since ${timestamp} (cart_abandoned)</p>`);
  const [text] = stack.twilio.messages.filter((m) => m.to === '+15550100077');
  expect(text.body).toBe('Your cart: 42.5 EUR. Finish checkout!');
  const [push] = stack.fcm.messages.filter((m) => m.token === 'eve-phone-token');
  expect(push.message.notification).toEqual({ title: 'Paid by card', body: 'Cart of 42.5 EUR' });
  const token = (await stack.api('POST', '/v1/customers/eve/inbox-token', {})).body.token;
  const inbox = (await fetch(`${stack.baseUrl}/inbox/messages`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as {
    messages: { title: string; body: string }[];
  };
  expect(inbox.messages.map((m) => [m.title, m.body])).toEqual([['Thanks', 'card for 42.5 EUR']]);
});
