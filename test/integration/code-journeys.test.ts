// The code-first trial-expiry type through the API on the real stack: launched with typed
// input, its sends delivered by the real providers' local servers, counted in stats per step,
// paused, resumed, stopped, live by its entry event, archived, through the journey routes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CODE_JOURNEYS } from '../../core/code-journeys';
import { trialExpiry } from '../../core/code-journey-types/trial-expiry';
import { journeyStateQuery } from '../../core/journey-contract';
import { JOURNEY_STATE_REFRESH_MS } from '../../db/journey-state';
import { REPO_ROOT } from '../../dev/servers';
import { eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('code-journeys');
  const example = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, 'templates', file), 'utf8'));
  for (const t of ['trial-started', 'trial-ending-sms', 'trial-ending-web', 'trial-last-chance']) {
    expect((await stack.api('PUT', `/v1/templates/${t}`, example(`${t}.json`))).status).toBe(201);
  }
  expect((await stack.api('PUT', '/v1/segments/paying', example('paying-segment.json'))).status).toBe(201);
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const ID = trialExpiry.id;
const SECOND = 1_000;
const DAY = 86_400_000;

/** A fixed-offset zone where it is midday now, so the type's quiet hours (21:00 to 08:00) never hold a send here. */
function zoneAtMidday(): string {
  const offset = 12 - new Date().getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** A trial ending `ms` plus two days from now: the reminder (two days before) is `ms` away. */
const trialEnding = (ms: number) => new Date(Date.now() + 2 * DAY + ms).toISOString();

async function customer(id: string, fields: object) {
  expect((await stack.api('PUT', `/v1/customers/${id}`, { timeZone: zoneAtMidday(), ...fields })).status).toBe(201);
}

test('when the type is listed, then it is a journey of kind code, with its steps and input schema', async () => {
  const types = (await stack.api('GET', '/v1/code-journeys')).body.journeys;
  expect(types.map((t: { id: string }) => t.id)).toEqual(Object.keys(CODE_JOURNEYS));
  const type = types.find((t: { id: string }) => t.id === ID);
  expect(type).toMatchObject({ workflowType: 'trialExpiryWorkflow', steps: [...trialExpiry.steps], entry: { type: 'event', event: 'trial_started' } });
  expect(type.inputSchema.properties).toHaveProperty('remindBefore');
  const listed = (await stack.api('GET', '/v1/journeys?status=published')).body.items.filter((j: { kind: string }) => j.kind === 'code');
  expect(listed.map((j: { id: string }) => j.id)).toEqual(Object.keys(CODE_JOURNEYS).sort());
  expect((await stack.api('GET', `/v1/journeys/${ID}`)).body).toMatchObject({ id: ID, kind: 'code', version: 1, status: 'published' });
});

test('when a template or segment the type declares is deleted, then the answer is a 409 naming the type, and both stay', async () => {
  for (const path of ['/v1/templates/trial-ending-web', '/v1/segments/paying']) {
    const res = await stack.api('DELETE', path);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('"trial-expiry"');
    expect((await stack.api('GET', path)).status).toBe(200);
  }
});

test('when a launch gives input the schema refuses, then the answer is a 400 naming the field and nobody enters', async () => {
  await customer('trial-bad', { email: 'bad@example.test', attributes: { trialEndsAt: trialEnding(0) } });
  const res = await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { customerIds: ['trial-bad'], input: { remindBefore: 'two days before', colour: 'red' } });
  expect(res.status).toBe(400);
  expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['input', 'input.remindBefore']);
  expect((await stack.api('GET', `/v1/journeys/${ID}/runs/trial-bad`)).status).toBe(404);
  // Its code defines it: no JSON definition can be saved over it.
  expect((await stack.api('PUT', `/v1/journeys/${ID}`, { name: 'Trial', steps: [{ id: 'x', type: 'exit' }] })).status).toBe(409);
});

test('when trials are launched with input, then each customer takes their path, the texts and mails go out, and stats count every step', async () => {
  await customer('trial-ann', { email: 'ann@example.test', phone: '+447700900301', attributes: { firstName: 'Ann', trialEndsAt: trialEnding(3 * SECOND) } });
  await customer('trial-bo', { email: 'bo@example.test', attributes: { firstName: 'Bo', trialEndsAt: trialEnding(3 * SECOND) } });
  await customer('trial-pat', { email: 'pat@example.test', phone: '+447700900302', attributes: { firstName: 'Pat', billing: 'paying', trialEndsAt: trialEnding(SECOND) } });
  const launch = await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { customerIds: ['trial-ann', 'trial-bo', 'trial-pat'], input: { upgradeWithin: '2s' } });
  expect(launch.status).toBe(202);
  expect(launch.body).toMatchObject({ journeyId: ID, version: 1, entered: expect.arrayContaining(['trial-ann', 'trial-bo', 'trial-pat']) });

  const results = Object.fromEntries(await Promise.all(['trial-ann', 'trial-bo', 'trial-pat'].map(async (id) => [id, await stack.run(ID, id).result()] as const)));
  expect(results['trial-ann'].path).toEqual([...trialExpiry.steps]);
  expect(results['trial-pat'].path).toEqual(['trial-started', 'before-trial-ends', 'paying']);
  // Bo has no phone: the reminder went to the web inbox, its fallback.
  expect(results['trial-bo'].sends.find((s) => s.stepId === 'reminder')).toMatchObject({ status: 'sent', channel: 'web' });
  expect((await stack.api('GET', '/v1/customers/trial-bo/inbox')).body.messages[0].title).toBe('Your trial ends in two days');
  expect(stack.twilio.messages.filter((m) => m.to === '+447700900301').map((m) => m.body)).toEqual([expect.stringContaining('Hi Ann, your trial ends in two days')]);
  expect(stack.sink.messages.filter((m) => m.to[0].endsWith('@example.test') && m.subject?.startsWith('Your trial has started'))).toHaveLength(3);

  const stats = await eventually(async () => {
    const res = await stack.api('GET', `/v1/journeys/${ID}/stats`);
    expect(res.status).toBe(200);
    expect(res.body.completed).toBe(3);
    return res.body;
  });
  expect(Object.keys(stats.steps).sort()).toEqual([...trialExpiry.steps].sort());
  expect(stats.steps['trial-started']).toMatchObject({ entered: 3, deliveries: { sent: 3 } });
  expect(stats.steps.paying.entered).toBe(3);
  expect(stats.steps.reminder).toMatchObject({ entered: 2, deliveries: { sent: 2 }, byChannelUsed: { sms: 1, web: 1 }, fallbacks: 1 });
  // No push tokens: the last push is skipped for both, and counted as such.
  expect(stats.steps['last-chance']).toMatchObject({ entered: 2, deliveries: { skipped: 2 } });

  // Its runs are listed as any journey's, a page at a time, with where each ended.
  const first = await stack.api('GET', `/v1/journeys/${ID}/runs?limit=2`);
  const second = await stack.api('GET', `/v1/journeys/${ID}/runs?limit=2&after=${first.body.next}`);
  const listed = [...first.body.items, ...second.body.items];
  expect(listed.map((r: { customerId: string }) => r.customerId)).toEqual(['trial-ann', 'trial-bo', 'trial-pat']);
  expect(listed.find((r: { customerId: string }) => r.customerId === 'trial-pat')).toMatchObject({
    entry: 1,
    workflowId: `journey:${ID}:trial-pat:1`,
    status: 'COMPLETED',
    runStatus: 'completed',
    step: 'paying',
  });
  expect(second.body.next).toBeUndefined();
}, 120_000);

test('when the type is paused, resumed and stopped through the journey routes, then its runs hold, go on, and end', async () => {
  await customer('trial-cy', { email: 'cy@example.test', attributes: { trialEndsAt: trialEnding(10 * DAY) } });
  await customer('trial-di', { email: 'di@example.test', attributes: { trialEndsAt: trialEnding(10 * DAY) } });
  expect((await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { customerIds: ['trial-cy'] })).status).toBe(202);
  const cy = stack.run(ID, 'trial-cy');
  await eventually(async () => expect((await cy.query(journeyStateQuery)).currentStep).toBe('before-trial-ends'));

  const paused = await stack.api('POST', `/v1/journeys/${ID}/pause`);
  expect(paused).toMatchObject({ status: 202, body: { journeyId: ID, paused: true } });
  expect((await stack.api('GET', `/v1/journeys/${ID}`)).body.status).toBe('paused');
  expect((await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { customerIds: ['trial-di'] })).status).toBe(409);
  await eventually(async () => expect((await cy.query(journeyStateQuery)).paused).toBe(true));
  expect((await stack.api('POST', `/v1/journeys/${ID}/resume`)).body).toMatchObject({ paused: false });
  await eventually(async () => expect((await cy.query(journeyStateQuery)).paused).toBeUndefined());

  const stopped = await stack.api('POST', `/v1/journeys/${ID}/stop`);
  expect(stopped.status).toBe(202);
  expect(await cy.result()).toMatchObject({ status: 'stopped', exitReason: 'stopped' });
  expect((await stack.api('GET', `/v1/journeys/${ID}/runs/trial-cy`)).body.state).toMatchObject({ status: 'stopped' });
  // Launched again, it runs again; the stopped run stays stopped.
  expect((await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { customerIds: ['trial-di'] })).body.entered).toEqual(['trial-di']);
  expect((await stack.api('GET', `/v1/journeys/${ID}`)).body.status).toBe('published');
  expect((await stack.api('POST', `/v1/journeys/${ID}/runs/trial-di/stop`)).status).toBe(202);
}, 120_000);

test('when the type is launched at a segment with input, then its members enter in the background, each run with that input', async () => {
  for (const id of ['trial-gil', 'trial-hal']) await customer(id, { email: `${id}@example.test`, attributes: { cohort: 'spring', trialEndsAt: trialEnding(10 * DAY) } });
  await stack.api('PUT', '/v1/segments/spring-trials', { name: 'Spring trials', rule: { attribute: 'cohort', op: 'eq', value: 'spring' } });
  const launched = await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { segmentId: 'spring-trials', input: { remindBefore: '-5d' } });
  expect(launched).toMatchObject({ status: 202, body: { journeyId: ID, launch: { segmentId: 'spring-trials', progress: `/v1/journeys/${ID}/launches/spring-trials` } } });
  await eventually(async () => expect((await stack.api('GET', launched.body.launch.progress)).body.progress).toMatchObject({ status: 'completed', entered: 2 }));
  for (const id of ['trial-gil', 'trial-hal']) {
    const run = stack.run(ID, id);
    const state = await eventually(async () => {
      const s = await run.query(journeyStateQuery);
      expect(s.waitingUntil).toBeDefined();
      return s;
    });
    const trialEndsAt = (await stack.api('GET', `/v1/customers/${id}`)).body.attributes.trialEndsAt;
    expect(Date.parse(state.waitingUntil!)).toBe(Date.parse(trialEndsAt) - 5 * DAY);
    expect((await stack.api('POST', `/v1/journeys/${ID}/runs/${id}/stop`)).status).toBe(202);
  }
}, 120_000);

test('when the type goes live, then its entry event enters customers with the launch\'s input, until entries stop; archived, it is read-only', async () => {
  await customer('trial-eve', { email: 'eve@example.test', attributes: { trialEndsAt: trialEnding(10 * DAY) } });
  const live = await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { input: { remindBefore: '-3d' } });
  expect(live).toMatchObject({ status: 202, body: { journeyId: ID, live: true } });
  expect((await stack.api('GET', `/v1/journeys/${ID}`)).body.status).toBe('live');

  await stack.api('POST', '/v1/events', { id: 'trial-eve-1', customerId: 'trial-eve', name: 'trial_started' });
  const eve = stack.run(ID, 'trial-eve');
  const state = await eventually(async () => {
    const s = await eve.query(journeyStateQuery);
    expect(s.waitingUntil).toBeDefined();
    return s;
  });
  // The live entry's run got the input the launch gave: three days before the trial ends.
  const trialEndsAt = (await stack.api('GET', '/v1/customers/trial-eve')).body.attributes.trialEndsAt;
  expect(Date.parse(state.waitingUntil!)).toBe(Date.parse(trialEndsAt) - 3 * DAY);

  // A deployment whose schema refuses the stored input: the type enters no one until launched again.
  await stack.db.models.journeys.updateOne({ _id: ID }, { $set: { liveInput: { remindBefore: 'soon' } } });
  await new Promise((resolve) => setTimeout(resolve, JOURNEY_STATE_REFRESH_MS + SECOND));
  await customer('trial-gus', { email: 'gus@example.test', attributes: { trialEndsAt: trialEnding(10 * DAY) } });
  await stack.api('POST', '/v1/events', { id: 'trial-gus-1', customerId: 'trial-gus', name: 'trial_started' });
  expect((await stack.api('GET', `/v1/journeys/${ID}/runs/trial-gus`)).status).toBe(404);
  // Stored input the schema fills in: the run gets the defaults (two days before), not `{}`.
  await stack.db.models.journeys.updateOne({ _id: ID }, { $set: { liveInput: {} } });
  await new Promise((resolve) => setTimeout(resolve, JOURNEY_STATE_REFRESH_MS + SECOND));
  await customer('trial-ian', { email: 'ian@example.test', attributes: { trialEndsAt: trialEnding(10 * DAY) } });
  await stack.api('POST', '/v1/events', { id: 'trial-ian-1', customerId: 'trial-ian', name: 'trial_started' });
  const ian = await eventually(async () => {
    const s = await stack.run(ID, 'trial-ian').query(journeyStateQuery);
    expect(s.waitingUntil).toBeDefined();
    return s;
  });
  const ianEndsAt = (await stack.api('GET', '/v1/customers/trial-ian')).body.attributes.trialEndsAt;
  expect(Date.parse(ian.waitingUntil!)).toBe(Date.parse(ianEndsAt) - 2 * DAY);

  expect((await stack.api('POST', `/v1/journeys/${ID}/stop-entries`)).body).toMatchObject({ live: false });
  await customer('trial-fay', { email: 'fay@example.test', attributes: { trialEndsAt: trialEnding(10 * DAY) } });
  await stack.api('POST', '/v1/events', { id: 'trial-fay-1', customerId: 'trial-fay', name: 'trial_started' });

  expect((await stack.api('POST', `/v1/journeys/${ID}/archive`)).status).toBe(202);
  expect(await eve.result()).toMatchObject({ status: 'stopped' });
  expect((await stack.api('GET', `/v1/journeys/${ID}/runs/trial-fay`)).status).toBe(404);
  expect((await stack.api('POST', `/v1/code-journeys/${ID}/launch`, { customerIds: ['trial-fay'] })).status).toBe(409);
  expect((await stack.api('GET', `/v1/journeys/${ID}`)).body.status).toBe('archived');
}, 120_000);
