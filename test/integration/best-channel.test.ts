// Best-channel sends on the real stack: opens and clicks ingested through the API, a journey
// whose send says "channel": "best", Temporal, the worker, and the local SMTP, Twilio and FCM
// servers. Each customer gets one message, on the channel their history favours among those
// they can be reached on; the ledger, the explanation, stats and a simulation say which and why.
import { createSend, type SendInput } from '../../activities/send';
import { journeyWorkflowId } from '../../core/ids';
import { createChannelAdapters } from '../../lib/delivery-channels';
import { storeSendDeps } from '../../workers/activity-deps';
import { eventually, FCM_PROJECT, SIGNING_SECRET, Stack, startStack, TWILIO } from '../support/stack';

let stack: Stack;

const STEP = { id: 'hello', type: 'send', channel: 'best', channels: ['email', 'push', 'sms'], templates: { email: 'bc-email', push: 'bc-push', sms: 'bc-sms' } };

beforeAll(async () => {
  stack = await startStack('best-channel');
  const templates: [string, object][] = [
    ['bc-email', { channel: 'email', content: { subject: 'Hello {{customer.firstName}}', html: '<p>Hi</p><a href="{{unsubscribeUrl}}">Unsubscribe</a>' } }],
    ['bc-push', { channel: 'push', content: { title: 'Hello', body: 'Hi {{customer.firstName}}' } }],
    ['bc-sms', { channel: 'sms', content: { body: 'Hi {{customer.firstName}}' } }],
  ];
  for (const [id, body] of templates) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
});
afterAll(async () => {
  await stack?.close();
});

/** A customer reachable on every channel unless `fields` says otherwise, with these opens and clicks. */
async function customer(id: string, fields: object, engagement: [name: 'message_opened' | 'message_clicked', channel: string, times: number][]) {
  const body = { email: `${id}@example.test`, phone: '+15005550100', pushTokens: [{ token: `tok-${id}`, platform: 'ios' }], attributes: { firstName: id }, ...fields };
  expect((await stack.api('PUT', `/v1/customers/${id}`, body)).status).toBe(201);
  const events = engagement.flatMap(([name, channel, times]) =>
    Array.from({ length: times }, (_, i) => ({ id: `${id}-${name}-${channel}-${i}`, customerId: id, name, properties: { channel } })),
  );
  if (events.length > 0) expect((await stack.api('POST', '/v1/events/batch', { events })).status).toBeLessThan(300);
  // The roll-up is on the customer once the ingest has folded the events in.
  await eventually(async () => {
    const doc = await stack.db.models.customers.findById(id).lean();
    const counted = Object.values(doc?.engagement?.channels ?? {}).reduce((n, c) => n + (c.opened ?? 0) + (c.clicked ?? 0), 0);
    expect(counted).toBe(events.length);
  });
}

const messages = async (id: string) => (await stack.api('GET', `/v1/customers/${id}/messages`)).body.items;
const pushesTo = (id: string) => stack.fcm.messages.filter((m) => m.token === `tok-${id}`);
const mailsTo = (id: string) => stack.sink.messages.filter((m) => m.to.includes(`${id}@example.test`));

test('when customers with different histories enter a best-channel send, then each gets one message on the channel they engage with most, and the ledger and explanation say why', async () => {
  await customer('bc-pusher', {}, [['message_opened', 'push', 3], ['message_clicked', 'push', 1], ['message_opened', 'email', 1]]);
  await customer('bc-reader', {}, [['message_opened', 'email', 2], ['message_clicked', 'email', 1], ['message_opened', 'push', 1]]);
  await customer('bc-new', {}, []);
  await customer('bc-nomail', { email: undefined }, []);
  // Push is her favourite, but she opted out of it: the most engaged of the rest.
  await customer('bc-optout', { consent: { push: false } }, [['message_opened', 'push', 5], ['message_opened', 'sms', 1]]);
  // Push again, but no device: the others, in order, as she has no history there.
  await customer('bc-notoken', { pushTokens: [] }, [['message_clicked', 'push', 4]]);
  const ids = ['bc-pusher', 'bc-reader', 'bc-new', 'bc-nomail', 'bc-optout', 'bc-notoken'];

  expect((await stack.api('PUT', '/v1/journeys/bc-welcome', { name: 'Best-channel welcome', steps: [STEP] })).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/bc-welcome/launch', { customerIds: ids })).status).toBeLessThan(300);
  const results = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await stack.run('bc-welcome', id).result()] as const)));

  const expected: Record<string, { channel: string; reason: string; passedOver?: object }> = {
    'bc-pusher': { channel: 'push', reason: 'most-engaged' },
    'bc-reader': { channel: 'email', reason: 'most-engaged' },
    'bc-new': { channel: 'email', reason: 'no-history' },
    'bc-nomail': { channel: 'push', reason: 'no-history', passedOver: { email: 'unreachable' } },
    'bc-optout': { channel: 'sms', reason: 'most-engaged', passedOver: { push: 'unsubscribed' } },
    'bc-notoken': { channel: 'email', reason: 'no-history', passedOver: { push: 'unreachable' } },
  };
  for (const [id, want] of Object.entries(expected)) {
    expect(results[id].sends).toEqual([expect.objectContaining({ stepId: 'hello', status: 'sent', channel: want.channel })]);
    const row = await stack.db.models.deliveries.findById(`${journeyWorkflowId('bc-welcome', id, 1)}:hello:1`).lean();
    expect(row).toMatchObject({ state: 'sent', channel: want.channel, plannedChannel: want.channel, choice: { channel: want.channel, reason: want.reason } });
    expect(row!.choice!.passedOver).toEqual(want.passedOver);
    // One message in all, on the chosen channel.
    const delivered = { email: mailsTo(id).length, push: pushesTo(id).length, sms: stack.twilio.messages.filter((m) => m.body === `Hi ${id}`).length };
    expect(delivered).toEqual({ email: 0, push: 0, sms: 0, [want.channel]: 1 });
  }
  expect((await stack.db.models.deliveries.findById(`${journeyWorkflowId('bc-welcome', 'bc-pusher', 1)}:hello:1`).lean())!.choice!.scores).toEqual({ email: 1, push: 4, sms: 0 });

  // The explanation, in words, with the choice as data.
  const [pusher] = await messages('bc-pusher');
  expect(pusher).toMatchObject({
    channelPlanned: 'push',
    channelUsed: 'push',
    outcome: 'sent',
    channelChoice: { channel: 'push', reason: 'most-engaged', scores: { email: 1, push: 4, sms: 0 } },
    explanation: 'sent on push, the channel the customer engages with most (opens and clicks: email 1, push 4, sms 0)',
  });
  // (The provider's report, when it came, follows.)
  expect((await messages('bc-optout'))[0].explanation).toMatch(
    /^sent on sms, the channel the customer engages with most \(opens and clicks: email 0, push 5, sms 1\); passed over: push \(unsubscribed\)($|; the provider reports)/,
  );
  expect((await messages('bc-nomail'))[0].explanation).toBe(
    "sent on push, first in the step's order the customer can be reached on: no opens or clicks on any of them yet; passed over: email (no address)",
  );

  // Stats count each message on the channel it went out on; a choice is not a fallback.
  const stats = (await stack.api('GET', '/v1/journeys/bc-welcome/stats')).body;
  expect(stats.steps.hello).toMatchObject({ deliveries: { sent: 6 }, byChannelUsed: { email: 3, push: 2, sms: 1 } });
  expect(stats.steps.hello.fallbacks).toBeUndefined();
});

test('when no listed channel reaches the customer, then the send is skipped with the first channel’s reason', async () => {
  await customer('bc-nowhere', { email: undefined, phone: undefined, pushTokens: [], consent: { sms: false } }, []);
  expect((await stack.api('PUT', '/v1/journeys/bc-nowhere', { name: 'Nowhere', steps: [{ ...STEP, channels: ['sms', 'email', 'push'] }] })).status).toBe(201);
  await stack.api('POST', '/v1/journeys/bc-nowhere/launch', { customerIds: ['bc-nowhere'] });
  expect((await stack.run('bc-nowhere', 'bc-nowhere').result()).sends).toEqual([expect.objectContaining({ status: 'skipped', reason: 'unsubscribed' })]);
  const [sent] = await messages('bc-nowhere');
  expect(sent).toMatchObject({ outcome: 'skipped', reason: 'unsubscribed' });
  expect(sent.channelChoice).toBeUndefined();
});

test('when an attempt died after handing a best-channel send to push and the customer now favours email, then the retry settles it on push: one message, the first choice kept', async () => {
  await customer('bc-crash', {}, [['message_opened', 'push', 2]]);
  const { channels, close } = createChannelAdapters(stack.db.models, {
    email: { smtpUrl: `smtp://127.0.0.1:${stack.sink.port}`, from: 'Cairn <journeys@example.test>', messageIdDomain: 'example.test' },
    sms: { ...TWILIO, apiUrl: stack.twilio.url },
    push: { projectId: FCM_PROJECT, localAddress: stack.fcm.address, caFile: stack.fcm.caFile },
    publicUrl: stack.baseUrl,
    signingSecret: SIGNING_SECRET,
  });
  try {
    const deps = { ...storeSendDeps(stack.db), channels };
    const input: SendInput = {
      key: 'bc-crash-key',
      journeyId: 'bc-crash',
      customerId: 'bc-crash',
      stepId: 'hello',
      channel: 'email',
      templateId: 'bc-email',
      best: [
        { channel: 'email', templateId: 'bc-email' },
        { channel: 'push', templateId: 'bc-push' },
      ],
    };
    // What an attempt leaves when it dies while handing over: the choice and the hand-off, its lease run out.
    const choice = { channel: 'push' as const, reason: 'most-engaged' as const, scores: { email: 0, push: 2 } };
    const identity = { key: input.key, channel: 'push' as const, choice, customerId: 'bc-crash', journeyId: 'bc-crash', stepId: 'hello' };
    expect((await deps.ledger.claimForHandOff(identity, { channel: 'push', templateId: 'bc-push', digest: 'dead' }, 'dead-attempt')).handedOff).toBe(true);
    await stack.db.models.deliveries.updateOne({ _id: input.key }, { $set: { 'lease.until': new Date(Date.now() - 1_000) } });
    // Since then, email became her favourite.
    await stack.api('POST', '/v1/events/batch', {
      events: [1, 2, 3].map((i) => ({ id: `bc-crash-mail-${i}`, customerId: 'bc-crash', name: 'message_opened', properties: { channel: 'email' } })),
    });
    await eventually(async () => expect((await stack.db.models.customers.findById('bc-crash').lean())!.engagement!.channels!.email!.opened).toBe(3));

    const send = createSend(deps);
    // On the email queue, where she would be reached now: sent back to the push queue, where the hand-off is.
    expect(await send({ ...input, via: 'email' })).toEqual({ status: 'rerouted', channel: 'push' });
    const first = await send({ ...input, via: 'push' });
    expect(first).toMatchObject({ status: 'sent', channel: 'push', choice });
    // Another retry answers the recorded outcome and sends nothing more.
    expect(await send({ ...input, via: 'push' })).toEqual(first);
    expect(pushesTo('bc-crash')).toHaveLength(1);
    expect(mailsTo('bc-crash')).toHaveLength(0);
    expect(await stack.db.models.deliveries.findById(input.key).lean()).toMatchObject({ state: 'sent', channel: 'push', choice });
  } finally {
    await close();
  }
});

test('when a cap holds the chosen channel, then the send is capped on it (not moved to another channel), and a transactional one goes out', async () => {
  expect((await stack.api('PUT', '/v1/settings/frequency-caps', { rules: [{ id: 'bc-push-once', channels: ['push'], limit: 1, window: '1d' }] })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 5_100)); // workers read the rules at most every five seconds
  await customer('bc-capped', {}, [['message_opened', 'push', 2]]);
  const steps = [
    { ...STEP, id: 'first', next: 'second' },
    { ...STEP, id: 'second', next: 'receipt' },
    { ...STEP, id: 'receipt', transactional: true },
  ];
  expect((await stack.api('PUT', '/v1/journeys/bc-capped', { name: 'Capped', steps })).status).toBe(201);
  await stack.api('POST', '/v1/journeys/bc-capped/launch', { customerIds: ['bc-capped'] });
  const { sends } = await stack.run('bc-capped', 'bc-capped').result();
  expect(sends).toEqual([
    expect.objectContaining({ stepId: 'first', status: 'sent', channel: 'push' }),
    expect.objectContaining({ stepId: 'second', status: 'skipped', reason: 'capped:bc-push-once' }),
    expect.objectContaining({ stepId: 'receipt', status: 'sent', channel: 'push' }),
  ]);
  expect(pushesTo('bc-capped')).toHaveLength(2);
  expect(mailsTo('bc-capped')).toHaveLength(0);
  const capped = await stack.db.models.deliveries.findById(`${journeyWorkflowId('bc-capped', 'bc-capped', 1)}:second:1`).lean();
  expect(capped).toMatchObject({ state: 'skipped', reason: 'capped:bc-push-once', channel: 'push' });
  expect(capped!.choice).toBeUndefined();
  expect((await stack.api('PUT', '/v1/settings/frequency-caps', { rules: [] })).status).toBe(200);
});

test('when a best-channel journey is simulated for a stored customer, then the simulation shows the channel chosen and why', async () => {
  expect((await stack.api('PUT', '/v1/journeys/bc-sim', { name: 'Simulated', steps: [STEP] })).status).toBe(201);
  const res = await stack.api('POST', '/v1/journeys/bc-sim/simulate', { customerId: 'bc-reader' });
  expect(res.status).toBe(200);
  expect(res.body.steps[0]).toMatchObject({
    type: 'send',
    channel: 'best',
    outcome: 'sent',
    usedChannel: 'email',
    choice: { channel: 'email', reason: 'most-engaged', scores: { email: 3, push: 1, sms: 0 } },
    explanation: 'sent on email, the channel the customer engages with most (opens and clicks: email 3, push 1, sms 0)',
    message: { address: 'bc-reader@example.test' },
  });
});

test('when a best-channel send meets quiet hours, then it waits for their end and goes out on the chosen channel', async () => {
  // Quiet hours from an hour ago to two hours on, in UTC (the customers have no time zone).
  const hhmm = (offsetH: number) => new Date(Date.now() + offsetH * 3_600_000).toISOString().slice(11, 16);
  const settings = { quietHours: { start: hhmm(-1), end: hhmm(2) }, timeZone: 'UTC' };
  expect((await stack.api('PUT', '/v1/journeys/bc-quiet', { name: 'Quiet', settings, steps: [STEP] })).status).toBe(201);
  const res = await stack.api('POST', '/v1/journeys/bc-quiet/simulate', { customerId: 'bc-pusher' });
  expect(res.status).toBe(200);
  const [step] = res.body.steps;
  expect(step).toMatchObject({ outcome: 'sent', usedChannel: 'push', choice: { channel: 'push', reason: 'most-engaged' } });
  expect(step.deferrals).toEqual([expect.objectContaining({ reason: 'quiet-hours' })]);
  expect(Date.parse(step.decidedAt)).toBeGreaterThanOrEqual(Date.parse(step.deferrals[0].until));
});

test('when a per-channel template of a best-channel send is deleted, then it is refused as in use', async () => {
  const res = await stack.api('DELETE', '/v1/templates/bc-sms');
  expect(res.status).toBe(409);
  expect(JSON.stringify(res.body)).toContain('bc-welcome');
});

test.each([
  ['a listed channel without a template', { templates: { email: 'bc-email', push: 'bc-push' } }, ['steps[0].templates.sms']],
  ['a template of another channel', { templates: { email: 'bc-email', push: 'bc-sms', sms: 'bc-sms' } }, ['steps[0].templates.push']],
  ['a missing template', { templates: { email: 'bc-email', push: 'bc-ghost', sms: 'bc-sms' } }, ['steps[0].templates.push']],
  ['one channel', { channels: ['email'], templates: { email: 'bc-email' } }, ['steps[0].channels']],
  ['a single template besides', { template: 'bc-email' }, ['steps[0]']],
])('when a best-channel send has %s, then the API answers 400 naming the field', async (_what, fields, expected) => {
  const res = await stack.api('PUT', '/v1/journeys/bc-bad', { name: 'Bad', steps: [{ ...STEP, ...fields }] });
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(expected);
});
