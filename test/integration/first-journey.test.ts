// The walking skeleton end to end: API → Temporal → worker → MongoDB → SMTP sink.
import { journeyWorkflowId } from '../../core/ids';
import { emailMessageId } from '../../activities/channels/email';
import { API_KEY, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('first-journey');
});
afterAll(async () => {
  await stack?.close();
});

const customers = [
  { id: 'ada', email: 'ada@example.test', attributes: { firstName: 'Ada', plan: 'pro' } },
  { id: 'grace', email: 'grace@example.test', attributes: { firstName: 'Grace', plan: 'free' } },
  // No email address: the email step is skipped for her, the web step still reaches her.
  { id: 'linus', attributes: { firstName: 'Linus', plan: 'free' } },
];

async function setUpJourney() {
  for (const { id, ...body } of customers) {
    expect((await stack.api('PUT', `/v1/customers/${id}`, { ...body, timeZone: 'Europe/Paris' })).status).toBe(201);
  }
  expect(
    (
      await stack.api('PUT', '/v1/templates/welcome-email', {
        channel: 'email',
        content: {
          subject: 'Welcome, {{customer.firstName}}!',
          html: '<p>Hello {{customer.firstName}}, you are on the {{customer.plan}} plan.</p>',
          text: 'Hello {{customer.firstName}}, you are on the {{customer.plan}} plan.',
        },
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await stack.api('PUT', '/v1/templates/tips-web', {
        channel: 'web',
        content: { title: 'Tips for {{customer.firstName}}', body: 'Try the {{customer.plan}} features.', link: '/tips' },
      })
    ).status,
  ).toBe(201);
  const journey = await stack.api('PUT', '/v1/journeys/welcome', {
    name: 'Welcome series',
    steps: [
      { id: 'welcome', type: 'send', channel: 'email', template: 'welcome-email', next: 'pause' },
      { id: 'pause', type: 'wait', duration: '2s', next: 'tips' },
      { id: 'tips', type: 'send', channel: 'web', template: 'tips-web' },
    ],
  });
  expect(journey.status).toBe(201);
  expect(journey.body.version).toBe(1);
}

async function finished(customerId: string) {
  return stack.run('welcome', customerId).result();
}

test('when a journey is launched at customers, then each gets exactly the messages the journey sends', async () => {
  await setUpJourney();
  const launch = await stack.api('POST', '/v1/journeys/welcome/launch', { customerIds: customers.map((c) => c.id) });
  expect(launch.status).toBe(202);
  expect(launch.body.entered.sort()).toEqual(['ada', 'grace', 'linus']);
  expect(launch.body.alreadyEntered).toEqual([]);

  // While the run waits, the API shows where it is and until when.
  const waiting = await stack.api('GET', '/v1/journeys/welcome/runs/ada');
  expect(waiting.status).toBe(200);
  expect(waiting.body.status).toBe('RUNNING');

  await Promise.all(customers.map((c) => finished(c.id)));

  // Email: one message each for Ada and Grace, rendered with their data, none for Linus.
  const mail = stack.sink.messages;
  expect(mail.map((m) => m.to[0]).sort()).toEqual(['ada@example.test', 'grace@example.test']);
  const ada = mail.find((m) => m.to[0] === 'ada@example.test')!;
  expect(ada.subject).toBe('Welcome, Ada!');
  expect(ada.text?.trim()).toBe('Hello Ada, you are on the pro plan.');
  expect(ada.html).toContain('<p>Hello Ada, you are on the pro plan.</p>');
  expect(ada.from).toMatch(/Cairn.*<journeys@example\.test>/);
  expect(ada.messageId).toBe(emailMessageId(`${journeyWorkflowId('welcome', 'ada')}:welcome:1`, 'example.test'));

  // Web: one inbox message each, readable through the API.
  for (const c of customers) {
    const inbox = await stack.api('GET', `/v1/customers/${c.id}/inbox`);
    expect(inbox.status).toBe(200);
    expect(inbox.body.messages).toHaveLength(1);
    expect(inbox.body.messages[0]).toMatchObject({
      journeyId: 'welcome',
      title: `Tips for ${c.attributes.firstName}`,
      body: `Try the ${c.attributes.plan} features.`,
      link: '/tips',
    });
  }

  // The run's state: the path it took and what each send did.
  const run = await stack.api('GET', '/v1/journeys/welcome/runs/linus');
  expect(run.body.status).toBe('COMPLETED');
  expect(run.body.state).toMatchObject({ status: 'completed', path: ['welcome', 'pause', 'tips'], journeyVersion: 1 });
  expect(run.body.state.sends.map((s: { stepId: string; status: string; reason?: string }) => [s.stepId, s.status, s.reason])).toEqual([
    ['welcome', 'skipped', 'unreachable'],
    ['tips', 'sent', undefined],
  ]);

  // The ledger holds one record per send, in its final state.
  const ledger = await stack.db.models.deliveries.find({ journeyId: 'welcome' }).lean();
  expect(ledger).toHaveLength(6);
  expect(ledger.filter((d) => d.state === 'sent')).toHaveLength(5);
  expect(ledger.every((d) => d.attempts === 1)).toBe(true);
});

test('when the same customers are launched again, then nobody enters twice and nothing more is sent', async () => {
  const again = await stack.api('POST', '/v1/journeys/welcome/launch', { customerIds: ['grace', 'ada'] });
  expect(again.status).toBe(202);
  expect(again.body.entered).toEqual([]);
  expect(again.body.alreadyEntered.sort()).toEqual(['ada', 'grace']);
  await new Promise((r) => setTimeout(r, 500));
  expect(stack.sink.messages).toHaveLength(2);
});

test('when the journey is edited, then it gets a new version and the run keeps the one it started with', async () => {
  const edited = await stack.api('PUT', '/v1/journeys/welcome', {
    name: 'Welcome series v2',
    steps: [{ id: 'tips', type: 'send', channel: 'web', template: 'tips-web' }],
  });
  expect(edited.status).toBe(200);
  expect(edited.body.version).toBe(2);
  const run = await stack.api('GET', '/v1/journeys/welcome/runs/ada');
  expect(run.body.state.journeyVersion).toBe(1);
});

test('when a recipient address is refused by the SMTP server, then the send is recorded as failed and the journey goes on', async () => {
  await stack.api('PUT', '/v1/customers/bounce', { email: 'nobody@rejected.test' });
  await stack.api('PUT', '/v1/journeys/bounce', {
    name: 'Bounce',
    steps: [
      { id: 'hello', type: 'send', channel: 'email', template: 'welcome-email', next: 'tips' },
      { id: 'tips', type: 'send', channel: 'web', template: 'tips-web' },
    ],
  });
  await stack.api('POST', '/v1/journeys/bounce/launch', { customerIds: ['bounce'] });
  const result = await stack.run('bounce', 'bounce').result();
  expect(result.sends.map((s) => s.status)).toEqual(['failed', 'sent']);
  expect(result.sends[0].reason).toMatch(/550|mailbox unavailable/);
  const record = await stack.db.models.deliveries.findById(`${journeyWorkflowId('bounce', 'bounce')}:hello:1`).lean();
  expect(record).toMatchObject({ state: 'failed', failureType: 'ChannelPermanentRejection', attempts: 1 });
});

test('when the API key is missing or wrong, then the API answers 401', async () => {
  expect((await stack.api('GET', '/v1/customers/ada', undefined, null)).status).toBe(401);
  const wrong = await stack.api('GET', '/v1/customers/ada', undefined, `${API_KEY}x`);
  expect(wrong.status).toBe(401);
  expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
});

test('when Temporal and MongoDB answer, then /readyz is ready and /healthz needs no key', async () => {
  expect((await stack.api('GET', '/healthz', undefined, null)).status).toBe(200);
  const ready = await stack.api('GET', '/readyz', undefined, null);
  expect(ready.body).toEqual({ status: 'ready', checks: { mongodb: true, temporal: true } });
});

test('when a customer opted out of a channel or has no address there, then the fallback channel is used, or the send is skipped', async () => {
  await stack.api('PUT', '/v1/customers/optout', { email: 'optout@example.test', consent: { email: false } });
  await stack.api('PUT', '/v1/customers/nomail', {});
  await stack.api('PUT', '/v1/customers/both-out', { email: 'x@example.test', consent: { email: false, web: false } });
  await stack.api('PUT', '/v1/journeys/fallback', {
    name: 'Fallback',
    steps: [{ id: 'hello', type: 'send', channel: 'email', template: 'welcome-email', fallback: { channel: 'web', template: 'tips-web' } }],
  });
  await stack.api('PUT', '/v1/journeys/no-fallback', {
    name: 'No fallback',
    steps: [{ id: 'hello', type: 'send', channel: 'email', template: 'welcome-email' }],
  });
  const before = stack.sink.messages.length;
  await stack.api('POST', '/v1/journeys/fallback/launch', { customerIds: ['optout', 'nomail', 'both-out'] });
  await stack.api('POST', '/v1/journeys/no-fallback/launch', { customerIds: ['optout'] });
  const result = async (journeyId: string, customerId: string) =>
    stack.run(journeyId, customerId).result();

  expect((await result('fallback', 'optout')).sends[0]).toMatchObject({ status: 'sent', channel: 'web' });
  expect((await result('fallback', 'nomail')).sends[0]).toMatchObject({ status: 'sent', channel: 'web' });
  expect((await result('fallback', 'both-out')).sends[0]).toMatchObject({ status: 'skipped', reason: 'unsubscribed' });
  expect((await result('no-fallback', 'optout')).sends[0]).toMatchObject({ status: 'skipped', reason: 'unsubscribed' });
  expect(stack.sink.messages.length).toBe(before);
  expect((await stack.api('GET', '/v1/customers/optout/inbox')).body.messages).toHaveLength(1);
  const record = await stack.db.models.deliveries.findById(`${journeyWorkflowId('fallback', 'nomail')}:hello:1`).lean();
  expect(record).toMatchObject({ state: 'sent', channel: 'web' });
});
