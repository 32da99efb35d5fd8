// A journey with every step type, end to end through the API on the real stack, and numbers
// that add up.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CODE_JOURNEYS } from '../../core/code-journeys';
import { journeyStateQuery } from '../../core/journey-contract';
import { REPO_ROOT } from '../../dev/servers';
import { eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('journey-engine');
});
afterAll(async () => {
  await stack?.close();
});

const handle = (customerId: string) => stack.run('everything', customerId);

test('when a journey uses every step type, then each customer takes the right path and the stats add up', async () => {
  const soon = new Date(Date.now() + 1_500).toISOString();
  const customers: [string, object][] = [
    ['vip-1', { email: 'vip1@example.test', attributes: { plan: 'vip', followUpAt: soon } }],
    ['vip-2', { email: 'vip2@example.test', attributes: { plan: 'vip', followUpAt: soon } }],
    ['vip-3', { email: 'vip3@example.test', attributes: { plan: 'vip', followUpAt: soon } }],
    ['buyer', { email: 'buyer@example.test', attributes: { plan: 'free', followUpAt: soon } }],
    ['leaver', { email: 'leaver@example.test', attributes: { plan: 'free' } }],
    ['stopped', { attributes: { plan: 'free' } }],
  ];
  for (const [id, body] of customers) await stack.api('PUT', `/v1/customers/${id}`, body);
  await stack.api('PUT', '/v1/segments/vip', { name: 'VIP', rule: { attribute: 'plan', op: 'eq', value: 'vip' } });
  await stack.api('PUT', '/v1/templates/offer', { channel: 'email', content: { subject: 'An offer', text: 'For you.' } });
  await stack.api('PUT', '/v1/templates/tip', { channel: 'web', content: { title: 'A tip', body: 'Try this.' } });
  const saved = await stack.api('PUT', '/v1/journeys/everything', {
    name: 'Everything',
    settings: { exitOnEvent: 'unsubscribed', goal: { event: 'purchase', within: '7d' } },
    steps: [
      { id: 'which', type: 'branch', cases: [{ when: { segment: 'vip' }, next: 'ab' }], default: 'tip' },
      { id: 'ab', type: 'split', paths: [{ name: 'offer', weight: 1, next: 'offer' }, { name: 'tip', weight: 1, next: 'tip' }] },
      { id: 'offer', type: 'send', channel: 'email', template: 'offer', next: 'wait-buy' },
      { id: 'tip', type: 'send', channel: 'web', template: 'tip', next: 'wait-buy' },
      { id: 'wait-buy', type: 'waitForEvent', event: 'purchase', timeout: '3s', onEvent: 'done', onTimeout: 'follow-up' },
      { id: 'follow-up', type: 'wait', untilAttribute: 'followUpAt', next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  });
  expect(saved.status).toBe(201);
  const launch = await stack.api('POST', '/v1/journeys/everything/launch', { customerIds: customers.map(([id]) => id) });
  expect(launch.body.entered).toHaveLength(6);

  // While they wait for a purchase: one buys, one unsubscribes, one is stopped.
  for (const id of ['buyer', 'leaver', 'stopped']) {
    await eventually(async () => expect((await handle(id).query(journeyStateQuery)).currentStep).toBe('wait-buy'));
  }
  await stack.api('POST', '/v1/events', { id: 'buy-1', customerId: 'buyer', name: 'purchase' });
  await stack.api('POST', '/v1/events', { id: 'unsub-1', customerId: 'leaver', name: 'unsubscribed' });
  expect((await stack.api('POST', '/v1/journeys/everything/runs/stopped/stop')).status).toBe(202);

  const results = Object.fromEntries(await Promise.all(customers.map(async ([id]) => [id, await handle(id).result()] as const)));
  expect(results.buyer).toMatchObject({ status: 'completed', path: ['which', 'tip', 'wait-buy', 'done'], converted: { eventId: 'buy-1' } });
  expect(results.leaver).toMatchObject({ status: 'exited', exitReason: 'exit-event', path: ['which', 'tip', 'wait-buy'] });
  expect(results.stopped).toMatchObject({ status: 'stopped', path: ['which', 'tip', 'wait-buy'] });
  for (const id of ['vip-1', 'vip-2', 'vip-3']) {
    const path = results[id].splits.ab;
    expect(results[id].path).toEqual(['which', 'ab', path, 'wait-buy', 'follow-up', 'done']);
  }
  const offers = ['vip-1', 'vip-2', 'vip-3'].filter((id) => results[id].splits.ab === 'offer').length;
  expect(stack.sink.messages).toHaveLength(offers);

  const stats = await eventually(async () => {
    const res = await stack.api('GET', '/v1/journeys/everything/stats');
    expect(res.body.completed).toBe(4);
    return res.body;
  });
  expect(stats).toMatchObject({ entered: 6, running: 0, waiting: 0, completed: 4, exited: 1, stopped: 1, converted: 1 });
  expect(stats.steps.which).toMatchObject({ entered: 6, now: 0 });
  expect(stats.steps.ab.entered).toBe(3);
  expect(stats.splits.ab.offer + stats.splits.ab.tip).toBe(3);
  expect(stats.splits.ab.offer).toBe(offers);
  expect(stats.steps.offer.entered).toBe(offers);
  expect(stats.steps.tip.entered).toBe(6 - offers);
  expect(stats.steps['wait-buy'].entered).toBe(6);
  expect(stats.steps['follow-up'].entered).toBe(3);
  expect(stats.steps.done.entered).toBe(4);
  expect(stats.steps.offer.deliveries?.sent ?? 0).toBe(offers);
  expect(stats.steps.tip.deliveries.sent).toBe(6 - offers);
}, 120_000);

test('when a code-first journey is launched through the API, then its run reads like any journey run', async () => {
  const example = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, 'templates', file), 'utf8'));
  for (const t of ['onboarding-welcome', 'onboarding-nudge', 'onboarding-pro-tips', 'onboarding-basics']) {
    expect((await stack.api('PUT', `/v1/templates/${t}`, example(`${t}.json`))).status).toBe(201);
  }
  expect((await stack.api('PUT', '/v1/segments/power-users', example('power-users-segment.json'))).status).toBe(201);
  await stack.api('PUT', '/v1/customers/newbie', { email: 'newbie@example.test', attributes: { firstName: 'Nia', projectsCreated: 3 } });
  await stack.api('POST', '/v1/events', { id: 'export-1', customerId: 'newbie', name: 'report_exported' });

  // Every registered type is listed (an engineer's new type joins the list, and this test holds).
  expect((await stack.api('GET', '/v1/code-journeys')).body.journeys.map((j: { id: string }) => j.id)).toEqual(Object.keys(CODE_JOURNEYS));
  const launch = await stack.api('POST', '/v1/code-journeys/onboarding/launch', { customerIds: ['newbie'] });
  expect(launch.status).toBe(202);
  expect(launch.body.entered).toEqual(['newbie']);
  expect((await stack.api('POST', '/v1/code-journeys/nope/launch', { customerIds: ['newbie'] })).status).toBe(404);

  const run = stack.run('onboarding', 'newbie');
  await eventually(async () => expect((await run.query(journeyStateQuery)).currentStep).toBe('first-project'));
  await stack.api('POST', '/v1/events', { id: 'project-1', customerId: 'newbie', name: 'project_created' });
  await run.result();

  const view = await stack.api('GET', '/v1/journeys/onboarding/runs/newbie');
  expect(view.body.state).toMatchObject({ status: 'completed', path: ['welcome', 'first-project', 'power-user', 'pro-tips'], converted: { eventId: 'project-1' } });
  expect(stack.sink.messages.find((m) => m.to[0] === 'newbie@example.test')?.subject).toBe('Welcome aboard, Nia');
  expect((await stack.api('GET', '/v1/customers/newbie/inbox')).body.messages[0].title).toBe('Pro tips for power users');
});

test('when a journey is paused, then nobody enters and runs hold their sends until it resumes; archived, it is read-only', async () => {
  await stack.api('PUT', '/v1/customers/pia', {});
  await stack.api('PUT', '/v1/customers/pat', {});
  await stack.api('PUT', '/v1/journeys/pausable', {
    name: 'Pausable',
    steps: [{ id: 'pause-wait', type: 'wait', duration: '1s', next: 'hello' }, { id: 'hello', type: 'send', channel: 'web', template: 'tip' }],
  });
  await stack.api('POST', '/v1/journeys/pausable/launch', { customerIds: ['pia'] });
  const paused = await stack.api('POST', '/v1/journeys/pausable/pause');
  // The run may be too new for Temporal's listing to reach it; then its send finds the pause itself.
  expect(paused.body).toMatchObject({ journeyId: 'pausable', paused: true });
  expect((await stack.api('GET', '/v1/journeys/pausable')).body.paused).toBe(true);

  // The wait runs out, the send holds.
  const pia = stack.run('pausable', 'pia');
  await eventually(async () => expect(await pia.query(journeyStateQuery)).toMatchObject({ currentStep: 'hello' }));
  await new Promise((r) => setTimeout(r, 1_500));
  expect((await stack.api('GET', '/v1/customers/pia/inbox')).body.messages).toHaveLength(0);
  const refused = await stack.api('POST', '/v1/journeys/pausable/launch', { customerIds: ['pat'] });
  expect(refused.status).toBe(409);

  expect((await stack.api('POST', '/v1/journeys/pausable/resume')).body).toMatchObject({ paused: false });
  await pia.result();
  expect((await stack.api('GET', '/v1/customers/pia/inbox')).body.messages).toHaveLength(1);

  expect((await stack.api('POST', '/v1/journeys/pausable/archive')).body).toMatchObject({ archived: true });
  expect((await stack.api('PUT', '/v1/journeys/pausable', { name: 'Again', steps: [{ id: 'x', type: 'exit' }] })).status).toBe(409);
  expect((await stack.api('POST', '/v1/journeys/pausable/launch', { customerIds: ['pat'] })).status).toBe(409);
});

test('when a journey is drafted, then launches use the published version until the draft is published', async () => {
  const v1 = { name: 'Drafty', steps: [{ id: 'hello', type: 'send', channel: 'web', template: 'tip' }] };
  const v2 = { name: 'Drafty v2', steps: [{ id: 'pause', type: 'wait', duration: '1d', next: 'hello' }, { id: 'hello', type: 'send', channel: 'web', template: 'tip' }] };
  await stack.api('PUT', '/v1/customers/dee', {});
  await stack.api('PUT', '/v1/customers/dan', {});

  const drafted = await stack.api('PUT', '/v1/journeys/drafty/draft', v1);
  expect(drafted.status).toBe(201);
  expect(drafted.body).toMatchObject({ version: 0, draft: v1 });
  expect((await stack.api('POST', '/v1/journeys/drafty/launch', { customerIds: ['dee'] })).status).toBe(409);

  const invalid = await stack.api('POST', '/v1/journeys/drafty/validate', { name: 'X', steps: [{ id: 'a', type: 'send', channel: 'web', template: 'ghost' }] });
  expect(invalid.status).toBe(400);
  expect(invalid.body.error.details[0].field).toBe('steps[0].template');
  expect((await stack.api('POST', '/v1/journeys/drafty/validate', v2)).body).toEqual({ valid: true });

  expect((await stack.api('POST', '/v1/journeys/drafty/publish')).body).toMatchObject({ version: 1, definition: v1 });
  expect((await stack.api('POST', '/v1/journeys/drafty/publish')).status).toBe(409);
  await stack.api('PUT', '/v1/journeys/drafty/draft', v2);
  await stack.api('POST', '/v1/journeys/drafty/launch', { customerIds: ['dee'] });
  const dee = await stack.run('drafty', 'dee').result();
  expect(dee.path).toEqual(['hello']);

  expect((await stack.api('POST', '/v1/journeys/drafty/publish')).body).toMatchObject({ version: 2, definition: v2 });
  await stack.api('POST', '/v1/journeys/drafty/launch', { customerIds: ['dan'] });
  const dan = await stack.api('GET', '/v1/journeys/drafty/runs/dan');
  expect(dan.body.state).toMatchObject({ journeyVersion: 2, currentStep: 'pause' });
  expect(await stack.db.models.journeyVersions.countDocuments({ journeyId: 'drafty' })).toBe(2);
});
