// Previews and test sends on the real stack: rendering with a stored or inline customer and an
// event, and test sends through the real SMTP, Twilio and FCM clients and the inbox, outside
// the ledger and the frequency caps.
import { Stack, startStack } from '../support/stack';

let stack: Stack;
/** The same stack's API with only email and the web inbox configured, for the refusal. */
let bare: Stack;

beforeAll(async () => {
  stack = await startStack('template-tries', { worker: false });
  const templates: [string, object][] = [
    ['cart-mail', { channel: 'email', content: { subject: 'Your {{event.properties.item}}, {{customer.firstName}}', html: '<p>{{custmer.name}}</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>' } }],
    ['cart-sms', { channel: 'sms', content: { body: 'Hi {{customer.firstName}}, {{event.name}} at {{event.timestamp}}' } }],
    ['cart-push', { channel: 'push', content: { title: 'Hi {{customer.firstName}}', body: 'Back for your cart?', link: 'https://shop.example/cart' } }],
    ['cart-web', { channel: 'web', content: { title: 'Welcome {{customer.firstName}}', body: 'Your cart: {{event.properties.item}}' } }],
  ];
  for (const [id, body] of templates) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
  expect((await stack.api('PUT', '/v1/customers/ada', { email: 'ada@example.test', attributes: { firstName: 'Ada' } })).status).toBe(201);
});
afterAll(async () => {
  await stack?.close();
  await bare?.close();
});

const event = { name: 'cart_abandoned', timestamp: '2026-01-02T03:04:05Z', properties: { item: 'teapot' } };

test('when a template is previewed for a stored customer with an event, then every field renders and unknown variables are warned of', async () => {
  const res = await stack.api('POST', '/v1/templates/cart-mail/preview', { customerId: 'ada', event });
  expect(res.status).toBe(200);
  expect(res.body.content.subject).toBe('Your teapot, Ada');
  expect(res.body.content.html).toBe(`<p></p><a href="${stack.baseUrl}/unsubscribe/preview-placeholder">Unsubscribe</a>`);
  // The text part the email adapter would make from the HTML.
  expect(res.body.content.text).toContain('Unsubscribe');
  expect(res.body.warnings.map((w: { field: string }) => w.field)).toEqual(['content.html']);
  expect(res.body.warnings[0].message).toContain('custmer.name');
});

test('when a template is previewed for an inline customer without the data it reads, then the empty fields are warned of', async () => {
  const res = await stack.api('POST', '/v1/templates/cart-web/preview', { customer: { attributes: { firstName: 'Lin' } } });
  expect(res.status).toBe(200);
  expect(res.body.content).toEqual({ title: 'Welcome Lin', body: 'Your cart: ' });
  expect(res.body.warnings).toEqual([]);
  const sms = await stack.api('POST', '/v1/templates/cart-sms/preview', { customer: { id: 'walk-in' }, event: { name: 'cart_abandoned', timestamp: '2026-01-02T03:04:05Z' } });
  expect(sms.body.content.body).toBe('Hi , cart_abandoned at 2026-01-02T03:04:05Z');
  const blank = await stack.api('POST', '/v1/templates/cart-push/preview', { customer: {} });
  expect(blank.body.content.title).toBe('Hi ');
  // A blank web title would refuse the send: warned of.
  const web = await stack.api('PUT', '/v1/templates/only-name', { channel: 'web', content: { title: '{{customer.firstName}}', body: 'x' } });
  expect(web.status).toBe(201);
  const empty = await stack.api('POST', '/v1/templates/only-name/preview', { customer: {} });
  expect(empty.body.warnings).toEqual([{ field: 'content.title', message: 'renders empty' }]);
});

test('when a preview names no customer, both, or unknown ones, then it is refused naming the field', async () => {
  expect((await stack.api('POST', '/v1/templates/cart-web/preview', {})).body.error.details[0].field).toBe('customerId');
  const both = await stack.api('POST', '/v1/templates/cart-web/preview', { customerId: 'ada', customer: {} });
  expect([both.status, both.body.error.details[0].field]).toEqual([400, 'customer']);
  expect((await stack.api('POST', '/v1/templates/nope/preview', { customerId: 'ada' })).status).toBe(404);
  const who = await stack.api('POST', '/v1/templates/cart-web/preview', { customerId: 'nobody' });
  expect([who.status, who.body.error.message]).toEqual([404, 'customerId: customer "nobody" does not exist']);
});

async function noSendRecords() {
  expect(await stack.db.models.deliveries.countDocuments({})).toBe(0);
  expect(await stack.db.models.frequency.countDocuments({})).toBe(0);
}

test('when an email template is test-sent, then the SMTP sink gets it marked as a test, with no ledger row and no cap place', async () => {
  const res = await stack.api('POST', '/v1/templates/cart-mail/test-send', { to: 'qa@example.test', customerId: 'ada', event });
  expect(res.status).toBe(200);
  expect(res.body.content.subject).toBe('[Test] Your teapot, Ada');
  const [mail] = stack.sink.messages.filter((m) => m.to.includes('qa@example.test'));
  expect(mail.subject).toBe('[Test] Your teapot, Ada');
  expect(mail.headers['x-cairn-test']).toBe('1');
  expect(mail.headers['list-unsubscribe']).toBeUndefined();
  expect(mail.html).toContain('/unsubscribe/preview-placeholder');
  await noSendRecords();
});

test('when SMS, push and web templates are test-sent, then Twilio, FCM and the inbox get them marked as tests', async () => {
  const sms = await stack.api('POST', '/v1/templates/cart-sms/test-send', { to: '+15550100077', customer: { attributes: { firstName: 'Lin' } }, event });
  expect(sms.status).toBe(200);
  expect(stack.twilio.messages.find((m) => m.to === '+15550100077')?.body).toBe('[Test] Hi Lin, cart_abandoned at 2026-01-02T03:04:05Z');

  const push = await stack.api('POST', '/v1/templates/cart-push/test-send', { to: 'qa-device-token', customerId: 'ada' });
  expect(push.status).toBe(200);
  const [sent] = stack.fcm.messages.filter((m) => m.token === 'qa-device-token');
  expect(sent.message.notification).toEqual({ title: '[Test] Hi Ada', body: 'Back for your cart?' });
  expect(sent.message.data).toMatchObject({ cairnTest: '1', link: 'https://shop.example/cart' });

  // On web, `to` is the customer whose inbox gets it, and whose data it renders by default.
  const web = await stack.api('POST', '/v1/templates/cart-web/test-send', { to: 'ada', event });
  expect(web.status).toBe(200);
  const inbox = await stack.db.models.inbox.find({ customerId: 'ada' }).lean();
  expect(inbox.map((m) => [m.title, m.body, m.test])).toEqual([['[Test] Welcome Ada', 'Your cart: teapot', true]]);
  await noSendRecords();
});

test('when a test send has no `to`, a wrong one, an unknown template or blank content, then it is refused and nothing goes out', async () => {
  const before = stack.sink.messages.length;
  const missing = await stack.api('POST', '/v1/templates/cart-mail/test-send', { customerId: 'ada' });
  expect([missing.status, missing.body.error.details[0].field]).toEqual([400, 'to']);
  const wrong = await stack.api('POST', '/v1/templates/cart-mail/test-send', { to: '+15550100077' });
  expect([wrong.status, wrong.body.error.details[0].field]).toEqual([400, 'to']);
  expect((await stack.api('POST', '/v1/templates/nope/test-send', { to: 'qa@example.test' })).status).toBe(404);
  expect((await stack.api('POST', '/v1/templates/cart-web/test-send', { to: 'nobody' })).status).toBe(404);
  const blank = await stack.api('POST', '/v1/templates/only-name/test-send', { to: 'ada', customer: {} });
  expect([blank.status, blank.body.error.details[0].field]).toEqual([400, 'content.title']);
  expect(stack.sink.messages.length).toBe(before);
});

test('when the API has no provider for the channel, then a test send is refused with 409 naming the setting', async () => {
  bare = await startStack('template-tries-bare', { worker: false, apiChannels: ['email', 'web'] });
  expect((await bare.api('PUT', '/v1/templates/t-sms', { channel: 'sms', content: { body: 'Hi' } })).status).toBe(201);
  const res = await bare.api('POST', '/v1/templates/t-sms/test-send', { to: '+15550100078' });
  expect(res.status).toBe(409);
  expect(res.body.error.message).toBe('no provider is configured for channel sms (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM)');
  expect(bare.twilio.messages).toHaveLength(0);
});
