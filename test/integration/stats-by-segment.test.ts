// Journey stats broken down by a segment on the real stack: customers in and out of a segment
// built from ingested events (a windowed, filtered count) and an attribute, an A/B split whose
// paths the test knows in advance (assignment is a hash), and stats with and without
// `?segmentId=` through the API, worker, Temporal and the store.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { journeyStateQuery } from '../../core/journey-contract';
import type { SplitStep } from '../../core/journey-steps';
import { compileSegment } from '../../core/segment-filter';
import type { SegmentRule } from '../../core/segment-rules';
import { assignSplit } from '../../core/split';
import { createJourneyStats, JOURNEY_WORKFLOW_TYPE } from '../../lib/journey-stats';
import { REPO_ROOT } from '../../dev/servers';
import { eventually, Stack, startStack } from '../support/stack';

const JOURNEY = 'bs-offer';
const SPLIT: SplitStep = {
  id: 'ab',
  type: 'split',
  paths: [
    { name: 'A', weight: 1, next: 'send-a' },
    { name: 'B', weight: 1, next: 'send-b' },
  ],
};
const DAY = 86_400_000;

/** The first `n` IDs `<prefix>1`, `<prefix>2`... that the split sends down `path`. */
function takingPath(prefix: string, splitPath: string, n: number): string[] {
  const ids: string[] = [];
  for (let i = 1; ids.length < n; i++) if (assignSplit(SPLIT, JOURNEY, `${prefix}${i}`) === splitPath) ids.push(`${prefix}${i}`);
  return ids;
}

// In the segment: two on path A, one on B. Out of it: one on A, three on B.
const inA = takingPath('bs-in-a', 'A', 2);
const inB = takingPath('bs-in-b', 'B', 1);
const outA = takingPath('bs-out-a', 'A', 1);
const outB = takingPath('bs-out-b', 'B', 3);
const members = [...inA, ...inB];
const everyone = [...members, ...outA, ...outB];
// Within the segment A converts; outside it B does: the audience view shows what the totals hide.
const buyers = [...inA, ...outB.slice(0, 2)];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('stats-by-segment');
});
afterAll(async () => {
  await stack?.close();
});

let seq = 0;
async function views(customerId: string, category: string, ...daysAgo: number[]) {
  const events = daysAgo.map((days) => ({
    id: `bs-view-${++seq}`,
    customerId,
    name: 'bs_product_viewed',
    timestamp: new Date(Date.now() - days * DAY).toISOString(),
    properties: { category },
  }));
  expect((await stack.api('POST', '/v1/events/batch', { events })).status).toBe(202);
}

const stats = async (journeyId: string, query = '') => stack.api('GET', `/v1/journeys/${journeyId}/stats${query}`);

test('when stats are asked for a segment, then every number counts only its current members, a segment of everyone gives the plain numbers, and an erased customer is in no segment', async () => {
  for (const id of everyone) await stack.api('PUT', `/v1/customers/${id}`, { email: `${id}@example.test`, attributes: { plan: 'pro' } });
  // Out of the segment: on plan free with the views, or on pro without two shoe views this week.
  for (const id of outA) await stack.api('PUT', `/v1/customers/${id}`, { attributes: { plan: 'free' } });
  for (const [i, id] of outB.entries()) {
    if (i === 0) await stack.api('PUT', `/v1/customers/${id}`, { attributes: { plan: 'free' } });
    if (i === 1) await views(id, 'shoes', 1, 9); // the second view is outside the week
    if (i === 2) await views(id, 'hats', 1, 2);
  }
  for (const id of [...members, ...outA, outB[0]]) await views(id, 'shoes', 0.5, 3);
  // A member who never entered the journey: not counted among its members.
  await stack.api('PUT', '/v1/customers/bs-bystander', { attributes: { plan: 'pro' } });
  await views('bs-bystander', 'shoes', 1, 2);

  const shoeFans = {
    and: [
      { event: 'bs_product_viewed', where: { category: 'shoes' }, op: 'atLeast', count: 2, within: '7d' },
      { attribute: 'plan', op: 'eq', value: 'pro' },
    ],
  };
  expect((await stack.api('PUT', '/v1/segments/bs-shoe-fans', { name: 'Pro shoe fans', rule: shoeFans })).status).toBe(201);
  expect((await stack.api('PUT', '/v1/segments/bs-all', { name: 'Everyone on the web', rule: { reachableOn: 'web' } })).status).toBe(201);
  expect((await stack.api('POST', '/v1/segments/bs-shoe-fans/preview')).body.sample).toEqual([...members, 'bs-bystander'].sort());

  await stack.api('PUT', '/v1/templates/bs-a', { channel: 'email', content: { subject: 'Offer A', text: 'A.' } });
  await stack.api('PUT', '/v1/templates/bs-b', { channel: 'web', content: { title: 'Offer B', body: 'B.' } });
  const saved = await stack.api('PUT', `/v1/journeys/${JOURNEY}`, {
    name: 'Shoe offer',
    settings: { goal: { event: 'bs_purchase', within: '7d' } },
    steps: [
      SPLIT,
      { id: 'send-a', type: 'send', channel: 'email', template: 'bs-a', next: 'wait-buy' },
      { id: 'send-b', type: 'send', channel: 'web', template: 'bs-b', next: 'wait-buy' },
      { id: 'wait-buy', type: 'waitForEvent', event: 'bs_purchase', timeout: '1h', onEvent: 'done', onTimeout: 'done' },
      { id: 'done', type: 'exit' },
    ],
  });
  expect(saved.status).toBe(201);
  expect((await stack.api('POST', `/v1/journeys/${JOURNEY}/launch`, { customerIds: everyone })).body.entered).toHaveLength(everyone.length);
  for (const id of everyone) {
    await eventually(async () => expect((await stack.run(JOURNEY, id).query(journeyStateQuery)).currentStep).toBe('wait-buy'));
  }
  for (const id of buyers) await stack.api('POST', '/v1/events', { id: `bs-buy-${id}`, customerId: id, name: 'bs_purchase' });
  for (const id of buyers) expect(await stack.run(JOURNEY, id).result()).toMatchObject({ status: 'completed', converted: { eventId: `bs-buy-${id}` } });

  const plain = await eventually(async () => {
    const res = await stats(JOURNEY);
    expect(res.body).toMatchObject({ completed: buyers.length, waiting: everyone.length - buyers.length });
    return res.body;
  });
  expect(plain).toMatchObject({ entered: 7, converted: 4, splits: { ab: { A: 3, B: 4 } } });
  expect(plain.steps['send-a'].deliveries.sent).toBe(3);
  expect(plain.steps['send-b'].deliveries.sent).toBe(4);
  expect(plain.segment).toBeUndefined();

  const fans = await stats(JOURNEY, '?segmentId=bs-shoe-fans');
  expect(fans.status).toBe(200);
  expect(fans.body).toMatchObject({
    journeyId: JOURNEY,
    segment: { id: 'bs-shoe-fans', name: 'Pro shoe fans', members: 3 },
    entered: 3,
    running: 0,
    waiting: 1,
    completed: 2,
    exited: 0,
    stopped: 0,
    converted: 2,
    splits: { ab: { A: 2, B: 1 } },
  });
  expect(fans.body.steps).toMatchObject({
    ab: { entered: 3, now: 0 },
    'send-a': { entered: 2, now: 0, deliveries: { sent: 2 }, byChannelUsed: { email: 2 } },
    'send-b': { entered: 1, now: 0, deliveries: { sent: 1 }, byChannelUsed: { web: 1 } },
    'wait-buy': { entered: 3, now: 1 },
    done: { entered: 2, now: 0 },
  });

  // One tally over listed runs, the same questions as the counts: a segment of everyone agrees with them.
  const all = await stats(JOURNEY, '?segmentId=bs-all');
  const { segment, ...numbers } = all.body;
  expect(segment).toEqual({ id: 'bs-all', name: 'Everyone on the web', members: everyone.length });
  expect(numbers).toEqual(plain);

  // Many members list all the journey's runs once instead of theirs by customer ID: the same numbers.
  const listingAll = createJourneyStats(stack.client, stack.db.models, { listAllRunsAbove: 0 });
  const shape = { workflowType: JOURNEY_WORKFLOW_TYPE, steps: [{ id: 'ab', splitPaths: ['A', 'B'] }, ...['send-a', 'send-b', 'wait-buy', 'done'].map((id) => ({ id }))] };
  for (const [segmentId, rule] of [['bs-shoe-fans', shoeFans], ['bs-all', { reachableOn: 'web' }]] as const) {
    const { stats: numbers, members } = await listingAll.segmentStats(JOURNEY, shape, compileSegment(rule as SegmentRule, new Date()));
    const { segment: viaApi, ...apiNumbers } = (await stats(JOURNEY, `?segmentId=${segmentId}`)).body;
    expect([numbers, members]).toEqual([apiNumbers, viaApi.members]);
  }

  // Membership is evaluated at the request: a member who moves to plan free leaves the numbers.
  await stack.api('PUT', `/v1/customers/${inB[0]}`, { attributes: { plan: 'free' } });
  const after = await stats(JOURNEY, '?segmentId=bs-shoe-fans');
  expect(after.body).toMatchObject({ segment: { members: 2 }, entered: 2, waiting: 0, splits: { ab: { A: 2, B: 0 } } });
  expect(after.body.steps['send-b'].deliveries).toBeUndefined();

  const waiters = everyone.filter((c) => !buyers.includes(c));
  for (const id of waiters) await stack.api('POST', `/v1/journeys/${JOURNEY}/runs/${id}/stop`);
  await eventually(async () => expect((await stats(JOURNEY)).body.stopped).toBe(waiters.length));

  // An erased customer's run stays in the plain numbers (kept by erasure) and in no segment's.
  expect((await stack.api('DELETE', `/v1/customers/${outA[0]}`)).status).toBe(200);
  const erased = await eventually(async () => {
    const res = await stats(JOURNEY, '?segmentId=bs-all');
    expect(res.body.segment.members).toBe(everyone.length - 1);
    expect(res.body.entered).toBe(everyone.length - 1);
    return res.body;
  });
  expect(erased).toMatchObject({ stopped: waiters.length - 1, splits: { ab: { A: 2, B: 4 } } });
  expect((await stats(JOURNEY)).body).toMatchObject({ entered: everyone.length, stopped: waiters.length, splits: { ab: { A: 3, B: 4 } } });
}, 240_000);

test('when the segment is unknown, then 404 names it; when its ID is malformed, then 400 names the parameter; when its stored rule is invalid, then 409', async () => {
  const unknown = await stats(JOURNEY, '?segmentId=bs-nope');
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.message).toContain('segment "bs-nope"');
  for (const bad of ['has%20space', '', 'a'.repeat(129), '-leading']) {
    const res = await stats(JOURNEY, `?segmentId=${bad}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['segmentId']);
  }
  const twice = await stats(JOURNEY, '?segmentId=bs-all&segmentId=bs-all');
  expect(twice.status).toBe(400);
  expect((await stats('bs-no-journey', '?segmentId=bs-all')).status).toBe(404);
  await stack.db.models.segments.create({ _id: 'bs-tampered', name: 'T', rule: { attribute: 'plan', op: 'where', value: 'sleep(1)' } });
  const tampered = await stats(JOURNEY, '?segmentId=bs-tampered');
  expect([tampered.status, tampered.body.error.message]).toEqual([409, expect.stringMatching(/^segment "bs-tampered" holds an invalid rule .*: save the segment again before breaking stats down by it$/)]);
});

test('when a code-first journey is broken down by a segment, then only its members\' runs count', async () => {
  const example = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, 'templates', file), 'utf8'));
  for (const t of ['onboarding-welcome', 'onboarding-nudge', 'onboarding-pro-tips', 'onboarding-basics']) {
    await stack.api('PUT', `/v1/templates/${t}`, example(`${t}.json`));
  }
  await stack.api('PUT', '/v1/segments/power-users', example('power-users-segment.json'));
  await stack.api('PUT', '/v1/segments/bs-vip', { name: 'VIP', rule: { attribute: 'tier', op: 'eq', value: 'vip' } });
  await stack.api('PUT', '/v1/customers/bs-code-vip', { email: 'bs-code-vip@example.test', attributes: { firstName: 'Vi', tier: 'vip' } });
  await stack.api('PUT', '/v1/customers/bs-code-other', { email: 'bs-code-other@example.test', attributes: { firstName: 'Ot' } });
  const launched = await stack.api('POST', '/v1/code-journeys/onboarding/launch', { customerIds: ['bs-code-vip', 'bs-code-other'] });
  expect(launched.body.entered).toHaveLength(2);

  // Other test files' onboarding runs share the Temporal server; none of their customers is stored here.
  const vip = await eventually(async () => {
    const res = await stats('onboarding', '?segmentId=bs-vip');
    expect(res.body.steps['first-project'].now).toBe(1);
    return res.body;
  });
  expect(vip).toMatchObject({ segment: { id: 'bs-vip', members: 1 }, entered: 1, waiting: 1, steps: { welcome: { entered: 1, deliveries: { sent: 1 } } } });
  expect((await stats('onboarding')).body.entered).toBeGreaterThanOrEqual(2);

  for (const id of ['bs-code-vip', 'bs-code-other']) await stack.api('POST', `/v1/journeys/onboarding/runs/${id}/stop`);
}, 120_000);
