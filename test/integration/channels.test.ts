// The four channels on the real stack: a journey delivers through the real twilio and
// firebase-admin clients, nodemailer and the inbox to the local provider servers; STOP, the
// one-click unsubscribe link and the account's quiet hours take effect on sends under way.
import { temporal } from '@temporalio/proto';
import { CHANNELS } from '../../core/channels';
import { channelTaskQueue } from '../../core/journey-contract';
import { readDeliveryReport } from '../../db/delivery-reports';
import { DEFAULT_SEND_RATES } from '../../lib/config';
import { eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
const WEB_TOKEN = 'web-device-token-0001';
const ANDROID_TOKEN = 'android-device-token-0002';

beforeAll(async () => {
  stack = await startStack('channels');
  const templates: [string, object][] = [
    ['hello-sms', { channel: 'sms', content: { body: 'Hi {{customer.firstName}}, your order shipped.' } }],
    ['hello-push', { channel: 'push', content: { title: 'Shipped', body: 'Order for {{customer.firstName}}', link: 'https://shop.example/orders' } }],
    ['hello-web', { channel: 'web', content: { title: 'Welcome', body: 'Hello {{customer.firstName}}' } }],
    ['hello-email', { channel: 'email', content: { subject: 'Hello {{customer.firstName}}', html: '<p>Hi</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>' } }],
  ];
  for (const [id, body] of templates) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
});
afterAll(async () => {
  await stack?.close();
});

const send = (id: string, channel: string, template: string, next?: string) => ({ id, type: 'send', channel, template, ...(next ? { next } : {}) });

async function runJourney(journeyId: string, steps: object[], customerId: string, settings?: object) {
  expect((await stack.api('PUT', `/v1/journeys/${journeyId}`, { name: journeyId, steps, ...(settings ? { settings } : {}) })).status).toBe(201);
  expect((await stack.api('POST', `/v1/journeys/${journeyId}/launch`, { customerIds: [customerId] })).status).toBe(202);
  return stack.run(journeyId, customerId);
}

test('when a journey sends on every channel, then each provider receives it through its real client', async () => {
  await stack.api('PUT', '/v1/customers/ada', {
    email: 'ada@example.test',
    phone: '+15550100001',
    pushTokens: [
      { token: WEB_TOKEN, platform: 'web' },
      { token: ANDROID_TOKEN, platform: 'android' },
    ],
    attributes: { firstName: 'Ada' },
  });
  const run = await runJourney(
    'all-channels',
    [send('text', 'sms', 'hello-sms', 'push'), send('push', 'push', 'hello-push', 'web'), send('web', 'web', 'hello-web', 'mail'), send('mail', 'email', 'hello-email')],
    'ada',
  );
  const result = await run.result();
  expect(result.sends.map((s) => [s.stepId, s.status])).toEqual([
    ['text', 'sent'],
    ['push', 'sent'],
    ['web', 'sent'],
    ['mail', 'sent'],
  ]);

  const [text] = stack.twilio.messages.filter((m) => m.to === '+15550100001');
  expect(text.body).toBe('Hi Ada, your order shipped.');
  expect(text.statusCallback).toContain(`${stack.baseUrl}/webhooks/twilio/status?key=`);
  // Twilio's signed status callbacks reach the API and are kept by the send's key.
  const smsKey = 'journey:all-channels:ada:1:text:1';
  await eventually(async () => {
    const report = await readDeliveryReport(stack.db.models.deliveryReports, smsKey);
    expect(report.status).toBe('delivered');
    expect(Object.keys(report.statuses).sort()).toEqual(['delivered', 'sent']);
  });
  expect((await stack.db.models.deliveries.findById(smsKey).lean())?.detail).toEqual({ segments: 1, encoding: 'GSM-7' });
  const stats = (await stack.api('GET', '/v1/journeys/all-channels/stats')).body;
  expect(stats.steps.text).toMatchObject({ deliveries: { sent: 1 }, provider: { delivered: 1 } });

  const pushes = stack.fcm.messages.filter((m) => m.token === WEB_TOKEN || m.token === ANDROID_TOKEN);
  expect(pushes.map((p) => p.token).sort()).toEqual([ANDROID_TOKEN, WEB_TOKEN]);
  expect(pushes[0].message.notification).toEqual({ title: 'Shipped', body: 'Order for Ada' });

  const token = (await stack.api('POST', '/v1/customers/ada/inbox-token', {})).body.token;
  const inbox = await fetch(`${stack.baseUrl}/inbox/messages`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ messages: { title: string; body: string }[]; unread: number }>);
  expect(inbox.messages.map((m) => [m.title, m.body])).toEqual([['Welcome', 'Hello Ada']]);
  expect(inbox.unread).toBe(1);

  const [mail] = stack.sink.messages.filter((m) => m.to.includes('ada@example.test'));
  expect(mail.headers['list-unsubscribe']).toMatch(new RegExp(`^<${stack.baseUrl}/unsubscribe/[^>]+>$`));
  expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
  expect(mail.html).toContain(`${stack.baseUrl}/unsubscribe/`);
  // The template has HTML only: the text part is made from it, links kept.
  expect(mail.text).toMatch(new RegExp(`^Hi\\n\\nUnsubscribe \\(${stack.baseUrl}/unsubscribe/[^)]+\\)$`));
});

test('when FCM says a device is gone, then its token is removed and the other device still gets the push', async () => {
  await stack.api('PUT', '/v1/customers/grace', {
    pushTokens: [
      { token: 'grace-old-phone', platform: 'ios' },
      { token: 'grace-new-phone', platform: 'ios' },
    ],
    attributes: { firstName: 'Grace' },
  });
  stack.fcm.unregister('grace-old-phone');
  const result = await (await runJourney('push-cleanup', [send('push', 'push', 'hello-push')], 'grace')).result();
  expect(result.sends[0].status).toBe('sent');
  expect(stack.fcm.messages.filter((m) => m.token?.startsWith('grace-')).map((m) => m.token)).toEqual(['grace-new-phone']);
  const grace = await stack.api('GET', '/v1/customers/grace');
  expect(grace.body.pushTokens).toEqual([{ token: 'grace-new-phone', platform: 'ios' }]);
});

test('when a customer texts STOP during a wait, then the scheduled text is not sent; START brings texts back', async () => {
  await stack.api('PUT', '/v1/customers/lin', { phone: '+15550100002', attributes: { firstName: 'Lin' } });
  const steps = [{ id: 'pause', type: 'wait', duration: '4s', next: 'text' }, send('text', 'sms', 'hello-sms')];
  const run = await runJourney('stop-keyword', steps, 'lin');

  const stop = await stack.twilio.sendInbound({ from: '+15550100002', body: ' stop ', webhookUrl: `${stack.baseUrl}/webhooks/twilio/inbound` });
  expect(stop.status).toBe(200);
  expect((await stack.api('GET', '/v1/customers/lin')).body.consent).toEqual({ sms: false });
  const result = await run.result();
  expect(result.sends[0]).toMatchObject({ status: 'skipped', reason: 'unsubscribed' });
  expect(stack.twilio.messages.filter((m) => m.to === '+15550100002')).toHaveLength(0);

  // An unsigned request changes nothing.
  const forged = await fetch(`${stack.baseUrl}/webhooks/twilio/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ From: '+15550100002', Body: 'START' }),
  });
  expect(forged.status).toBe(403);
  expect((await stack.api('GET', '/v1/customers/lin')).body.consent).toEqual({ sms: false });

  await stack.twilio.sendInbound({ from: '+15550100002', body: 'START', webhookUrl: `${stack.baseUrl}/webhooks/twilio/inbound` });
  expect((await stack.api('GET', '/v1/customers/lin')).body.consent).toEqual({ sms: true });
});

test('when a customer follows the one-click unsubscribe link, then later emails are skipped and the fallback channel is used', async () => {
  await stack.api('PUT', '/v1/customers/mo', { email: 'mo@example.test', attributes: { firstName: 'Mo' } });
  await (await runJourney('newsletter', [send('mail', 'email', 'hello-email')], 'mo')).result();
  const [mail] = stack.sink.messages.filter((m) => m.to.includes('mo@example.test'));
  const link = /^<(.+)>$/.exec(mail.headers['list-unsubscribe'])![1];

  // What a mail client's unsubscribe button does (RFC 8058).
  const click = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(click.status).toBe(200);
  expect((await stack.api('GET', '/v1/customers/mo')).body.consent).toEqual({ email: false });

  const steps = [{ id: 'mail', type: 'send', channel: 'email', template: 'hello-email', fallback: { channel: 'web', template: 'hello-web' }, next: 'again' }, send('again', 'email', 'hello-email')];
  const result = await (await runJourney('after-unsubscribe', steps, 'mo')).result();
  expect(result.sends.map((s) => [s.status, s.status === 'sent' ? s.channel : s.reason])).toEqual([
    ['sent', 'web'],
    ['skipped', 'unsubscribed'],
  ]);
  expect(stack.sink.messages.filter((m) => m.to.includes('mo@example.test'))).toHaveLength(1);
});

test('when a template renders a blank message or a refused link for a customer, then the send fails with the field named and nothing is delivered', async () => {
  // Saved before templates were checked: it reads the prototype, and renders blank.
  await stack.db.models.templates.create({ _id: 'blank-web', channel: 'web', content: { title: '{{#with __proto__}}x{{/with}}', body: 'Hello' } });
  const saved: [string, object][] = [
    ['nickname-sms', { channel: 'sms', content: { body: '{{customer.nickname}}' } }],
    ['site-push', { channel: 'push', content: { title: 'Hi', body: 'Tap', link: '{{customer.site}}' } }],
  ];
  for (const [id, body] of saved) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
  await stack.api('PUT', '/v1/customers/blank', {
    phone: '+15550100009',
    pushTokens: [{ token: 'blank-device', platform: 'web' }],
    attributes: { nickname: ' \n ', site: 'javascript:alert(document.cookie)' },
  });

  const steps = [send('web', 'web', 'blank-web', 'text'), send('text', 'sms', 'nickname-sms', 'push'), send('push', 'push', 'site-push')];
  const result = await (await runJourney('renders-blank', steps, 'blank')).result();
  expect(result.sends.map((s) => [s.stepId, s.status, s.status === 'failed' ? s.reason : undefined])).toEqual([
    ['web', 'failed', 'rendered-empty:title'],
    ['text', 'failed', 'rendered-empty:body'],
    ['push', 'failed', 'rendered-bad-link:link'],
  ]);
  const failed = await stack.db.models.deliveries.find({ journeyId: 'renders-blank' }, { state: 1, reason: 1 }).sort({ _id: 1 }).lean();
  expect(failed.map((d) => [d.state, d.reason])).toEqual([
    ['failed', 'rendered-bad-link:link'],
    ['failed', 'rendered-empty:body'],
    ['failed', 'rendered-empty:title'],
  ]);
  expect(await stack.db.models.inbox.countDocuments({ customerId: 'blank' })).toBe(0);
  expect(stack.twilio.messages.filter((m) => m.to === '+15550100009')).toHaveLength(0);
  expect(stack.fcm.messages.filter((m) => m.token === 'blank-device')).toHaveLength(0);
});

test("when a send falls in the account's quiet hours, then it goes out when they end", async () => {
  // Quiet from this minute to the next, in UTC (the customer has no time zone): ends within a minute.
  const now = new Date();
  const hhmm = (d: Date) => d.toISOString().slice(11, 16);
  const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  expect((await stack.api('PUT', '/v1/settings/quiet-hours', { start: hhmm(now), end: hhmm(end) })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 5_100)); // workers read the setting at most every five seconds
  await stack.api('PUT', '/v1/customers/night-owl', { email: 'owl@example.test', attributes: { firstName: 'Owl' } });
  try {
    const run = await runJourney('late-night', [send('mail', 'email', 'hello-email')], 'night-owl');
    const result = await run.result();
    expect(result.sends[0].status).toBe('sent');
    const [mail] = stack.sink.messages.filter((m) => m.to.includes('owl@example.test'));
    expect(Date.parse(mail.receivedAt)).toBeGreaterThanOrEqual(end.getTime());
  } finally {
    expect((await stack.api('DELETE', '/v1/settings/quiet-hours')).status).toBe(204);
  }
}, 120_000);

test("when the worker runs, then each channel's send queue is polled with that channel's rate limit", async () => {
  for (const channel of CHANNELS) {
    const queue = await eventually(async () => {
      const described = await stack.client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: channelTaskQueue(stack.taskQueue, channel) },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      expect(described.pollers?.length).toBeGreaterThan(0);
      return described;
    });
    expect(queue.pollers!.map((p) => p.ratePerSecond)).toEqual(queue.pollers!.map(() => DEFAULT_SEND_RATES[channel]));
  }
});
