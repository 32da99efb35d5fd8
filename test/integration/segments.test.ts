// Segment rules on the real embedded store: each operator compiled to a filter over stored customers,
// the in-memory evaluator agreeing with it, and the segment API routes on a minimal app.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import express from 'express';
import { createSegmentActivities } from '../../activities/segments';
import { storeCustomerReader } from '../../db/customer-reader';
import { FailureType } from '../../core/failures';
import { errorHandler } from '../../api/errors';
import { segmentsRouter } from '../../api/routes/segments';
import { compileSegment } from '../../core/segment-filter';
import { matchesSegment } from '../../core/segment-match';
import type { SegmentRule } from '../../core/segment-rules';
import { connectDatabase, Database } from '../../db/connect';
import type { SegmentModels } from '../../db/segment-model';
import { generatedRules, sampleCustomers } from '../support/segment-samples';
import { testEnv } from '../support/test-env';

const NOW = new Date();
let db: Database;
let models: SegmentModels;
let stored: Awaited<ReturnType<typeof loadCustomers>>;

const loadCustomers = () => db.models.customers.find().lean();

beforeAll(async () => {
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_segments_${process.pid}`);
  models = { customers: db.models.customers, segments: db.models.segments };
  await db.models.customers.insertMany(sampleCustomers(NOW));
  stored = await loadCustomers();
});
afterAll(async () => {
  await db?.connection.dropDatabase();
  await db?.close();
});

/** The customers the compiled filter selects in the store, and those the evaluator picks. */
async function bothWays(rule: SegmentRule) {
  const found = await db.models.customers.find(compileSegment(rule, NOW)).select({ _id: 1 }).lean();
  return {
    query: found.map((c) => c._id).sort(),
    memory: stored.filter((c) => matchesSegment(rule, c, NOW)).map((c) => c._id).sort(),
  };
}

const stalledAfterOnboarding: SegmentRule = {
  and: [
    { attribute: 'onboardingStep', op: 'gte', value: 4 },
    { attribute: 'reportsCreated', op: 'between', value: [1, 20] },
    { event: 'report:created', op: 'didNot', within: '7d' },
  ],
};

describe('the compiled filter and the evaluator, on the store', () => {
  it.each<[string, SegmentRule, string[]]>([
    // Demographic
    ['attribute eq (an array matches by element)', { attribute: 'plan', op: 'eq', value: 'pro' }, ['ada', 'eve', 'finn']],
    ['attribute eq on a boolean', { attribute: 'beta', op: 'eq', value: false }, ['bob']],
    ['attribute eq never crossing types', { attribute: 'seats', op: 'eq', value: '12' }, ['eve']],
    ['attribute ne (missing matches)', { attribute: 'plan', op: 'ne', value: 'pro' }, ['bob', 'chloe', 'dan']],
    ['attribute in', { attribute: 'plan', op: 'in', value: ['free', 'team'] }, ['bob', 'chloe', 'eve']],
    ['attribute notIn', { attribute: 'plan', op: 'notIn', value: ['free', 'team'] }, ['ada', 'dan', 'finn']],
    ['attribute gt on numbers only', { attribute: 'seats', op: 'gt', value: 5 }, ['ada', 'chloe']],
    ['attribute gte', { attribute: 'seats', op: 'gte', value: 5 }, ['ada', 'chloe', 'finn']],
    ['attribute lt', { attribute: 'seats', op: 'lt', value: 12 }, ['bob', 'finn']],
    ['attribute lte', { attribute: 'seats', op: 'lte', value: 12 }, ['ada', 'bob', 'finn']],
    ['attribute gt on ISO dates', { attribute: 'signupDate', op: 'gt', value: '2024-01-01' }, ['ada', 'bob']],
    ['attribute between, inclusive', { attribute: 'seats', op: 'between', value: [5, 12] }, ['ada', 'finn']],
    ['attribute between on ISO dates', { attribute: 'signupDate', op: 'between', value: ['2024-01-01', '2024-06-30'] }, ['ada']],
    ['attribute between, never on arrays', { attribute: 'scores', op: 'between', value: [10, 50] }, ['eve']],
    ['attribute exists', { attribute: 'company', op: 'exists' }, ['chloe', 'eve', 'finn']],
    ['attribute notExists', { attribute: 'company', op: 'notExists' }, ['ada', 'bob', 'dan']],
    ['attribute contains a substring taken literally', { attribute: 'company', op: 'contains', value: 'a.b' }, ['finn']],
    ['attribute contains regex metacharacters', { attribute: 'company', op: 'contains', value: '(EU)' }, ['chloe']],
    ['attribute contains an array element', { attribute: 'tags', op: 'contains', value: 'early' }, ['ada', 'finn']],
    ['attribute contains only whole array elements', { attribute: 'tags', op: 'contains', value: 'ear' }, []],
    // Behavioural
    ['did, ever', { event: 'purchase', op: 'did' }, ['ada', 'bob', 'eve']],
    ['did within 7d', { event: 'purchase', op: 'did', within: '7d' }, ['ada']],
    ['did within 30d', { event: 'purchase', op: 'did', within: '30d' }, ['ada', 'bob']],
    ['did not, ever', { event: 'purchase', op: 'didNot' }, ['chloe', 'dan', 'finn']],
    ['did not within 7d (never performed matches)', { event: 'purchase', op: 'didNot', within: '7d' }, ['bob', 'chloe', 'dan', 'eve', 'finn']],
    ['at least 3 times', { event: 'purchase', op: 'atLeast', count: 3 }, ['ada', 'eve']],
    ['at most once (never performed matches)', { event: 'purchase', op: 'atMost', count: 1 }, ['bob', 'chloe', 'dan', 'finn']],
    ['an event name with a colon', { event: 'report:created', op: 'did', within: '7d' }, ['finn']],
    // Situational
    ['time zone in a list', { timeZoneIn: ['Europe/London', 'Europe/Paris'] }, ['ada', 'chloe']],
    ['locale in a list', { localeIn: ['en-US', 'de'] }, ['bob', 'finn']],
    ['language prefix en (not enm)', { languageIn: ['en'] }, ['ada', 'bob']],
    ['language prefix fr or de', { languageIn: ['fr', 'de'] }, ['chloe', 'finn']],
    ['a push token on ios', { pushPlatform: 'ios' }, ['ada', 'finn']],
    ['a push token on web', { pushPlatform: 'web' }, ['eve', 'finn']],
    ['last seen within 7d (the bound included)', { lastSeenWithin: '7d' }, ['ada', 'eve', 'finn']],
    ['last seen not within 7d (never seen matches)', { lastSeenNotWithin: '7d' }, ['bob', 'chloe', 'dan']],
    ['reachable by email', { reachableOn: 'email' }, ['ada', 'finn']],
    ['reachable by sms', { reachableOn: 'sms' }, ['ada', 'chloe']],
    ['reachable by push', { reachableOn: 'push' }, ['ada', 'chloe']],
    ['reachable on the web inbox', { reachableOn: 'web' }, ['ada', 'bob', 'chloe', 'dan', 'eve']],
    // Product use: onboarding and feature counters as attributes, feature use as events
    ['onboarded, some reports, none this week', stalledAfterOnboarding, ['ada']],
    // Combinators
    ['and', { and: [{ reachableOn: 'email' }, { attribute: 'plan', op: 'eq', value: 'pro' }] }, ['ada', 'finn']],
    ['or', { or: [{ timeZoneIn: ['UTC'] }, { event: 'purchase', op: 'atLeast', count: 5 }] }, ['eve', 'finn']],
    ['not', { not: { reachableOn: 'email' } }, ['bob', 'chloe', 'dan', 'eve']],
    [
      'not over or over not',
      { not: { or: [{ not: { attribute: 'company', op: 'exists' } }, { languageIn: ['fr'] }] } },
      ['eve', 'finn'],
    ],
  ])('when the rule is %s, then the query and the evaluator select the expected customers', async (_what, rule, expected) => {
    const { query, memory } = await bothWays(rule);
    expect(query).toEqual(expected);
    expect(memory).toEqual(expected);
  });

  it('when 300 generated rules run both ways over the sample customers, then they always agree', async () => {
    const disagreements: object[] = [];
    for (const rule of generatedRules(2026, 300)) {
      const { query, memory } = await bothWays(rule);
      if (JSON.stringify(query) !== JSON.stringify(memory)) disagreements.push({ rule, query, memory });
    }
    expect(disagreements).toEqual([]);
  });
});

describe('segment membership in the branch activity', () => {
  const warnings: string[] = [];
  const activities = () => createSegmentActivities({ customer: storeCustomerReader(models.customers), segments: models.segments, now: () => NOW, warn: (message) => void warnings.push(message) });
  /** Whether the customer is in the segment now: the branch activity with that one case. */
  const inSegment = async (segmentId: string, customerId: string) =>
    (await activities().evaluateBranch({ customerId, cases: [{ segment: segmentId }] })) === 0;

  beforeAll(async () => {
    await models.segments.create({ _id: 'stalled', name: 'Stalled after onboarding', rule: stalledAfterOnboarding });
    // Written past the API: the activity must refuse it rather than evaluate it.
    await models.segments.create({ _id: 'tampered', name: 'T', rule: { attribute: 'plan.x', op: 'where', value: 'sleep(1)' } });
  });
  beforeEach(() => void (warnings.length = 0));

  test('when the customer matches the rule, then they are in the segment, and one who does not is not', async () => {
    expect(await inSegment('stalled', 'ada')).toBe(true);
    expect(await inSegment('stalled', 'finn')).toBe(false);
  });

  test('when the customer no longer exists, then they are in no segment', async () => {
    expect(await inSegment('stalled', 'gone')).toBe(false);
  });

  test('when a case names a deleted segment, then that case does not hold, the next case that holds is taken, and a warning says why', async () => {
    const cases = [{ segment: 'ghost' }, { segment: 'stalled' }];
    expect(await activities().evaluateBranch({ customerId: 'ada', cases })).toBe(1);
    expect(await activities().evaluateBranch({ customerId: 'finn', cases })).toBe(-1);
    expect(warnings).toEqual([
      'segment "ghost" does not exist: the branch case naming it does not hold',
      'segment "ghost" does not exist: the branch case naming it does not hold',
    ]);
  });

  test('when the segment holds an invalid rule, then the activity fails without retry', async () => {
    const failure = await inSegment('tampered', 'ada').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureType.SegmentRuleInvalid, nonRetryable: true });
  });
});

describe('the segment API', () => {
  let server: Server;
  let baseUrl: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.use('/v1/segments', segmentsRouter({ ...models, journeys: db.models.journeys, eventWindows: db.models.eventWindows, events: db.models.events, suppressions: db.models.suppressions }));
    app.use(errorHandler);
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/segments`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const proByEmail = { and: [{ reachableOn: 'email' }, { attribute: 'plan', op: 'eq', value: 'pro' }] };

  test('when a segment is saved twice, then it is created (201), then replaced whole (200)', async () => {
    const created = await api('PUT', '/pro-email', { name: 'Pro by email', description: 'draft', rule: proByEmail });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'pro-email', name: 'Pro by email', description: 'draft', rule: proByEmail });
    const replaced = await api('PUT', '/pro-email', { name: 'Pro customers by email', rule: proByEmail });
    expect(replaced.status).toBe(200);
    const read = await api('GET', '/pro-email');
    expect(read.body).toMatchObject({ id: 'pro-email', name: 'Pro customers by email', rule: proByEmail });
    expect(read.body.description).toBeUndefined();
  });

  test('when a segment is previewed, then the count and sample come from the compiled filter', async () => {
    await api('PUT', '/pro-email', { name: 'Pro by email', rule: proByEmail });
    const res = await api('POST', '/pro-email/preview');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ count: 2, sample: ['ada', 'finn'] });
  });

  test('when membership is checked, then the evaluator answers for that one customer', async () => {
    await api('PUT', '/pro-email', { name: 'Pro by email', rule: proByEmail });
    expect((await api('GET', '/pro-email/members/ada')).body).toEqual({ member: true });
    expect((await api('GET', '/pro-email/members/bob')).body).toEqual({ member: false });
  });

  test.each<[string, unknown, string[]]>([
    ['a raw operator as a value', { attribute: 'plan', op: 'eq', value: { $ne: null } }, ['rule.value']],
    ['a $where key', { $where: 'sleep(1000)' }, ['rule.$where']],
    ['a $where key inside a condition', { or: [{ attribute: 'plan', op: 'exists', $where: '1' }] }, ['rule.or[0].$where']],
    ['an operator as an attribute name', { and: [{ attribute: '$where', op: 'exists' }] }, ['rule.and[0].attribute']],
    ['a dotted attribute name', { attribute: 'plan.$ne', op: 'exists' }, ['rule.attribute']],
    ['an operator as the op', { attribute: 'plan', op: '$gt', value: '' }, ['rule.op']],
    ['an operator object instead of a list', { or: { $gt: '' } }, ['rule.or']],
  ])('when a rule has %s, then the API answers 400 naming the field and saves nothing', async (_what, rule, fields) => {
    const res = await api('PUT', '/injected', { name: 'Injected', rule });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
    expect((await api('GET', '/injected')).status).toBe(404);
  });

  test.each([
    ['GET', '/ghost'],
    ['POST', '/ghost/preview'],
    ['GET', '/ghost/members/ada'],
  ])('when %s %s names an unknown segment, then the API answers 404', async (method, path) => {
    const res = await api(method, path);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('segment "ghost" does not exist');
  });

  test('when membership is checked for an unknown customer, then the API answers 404', async () => {
    await api('PUT', '/pro-email', { name: 'Pro by email', rule: proByEmail });
    const res = await api('GET', '/pro-email/members/nobody');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('customer "nobody" does not exist');
  });

  // Last: it adds customers.
  test('when more than 20 customers match, then the preview counts them all and samples the first 20 by ID', async () => {
    const bulk = Array.from({ length: 25 }, (_, i) => ({ _id: `bulk-${String(i).padStart(2, '0')}`, attributes: { cohort: 'bulk' } }));
    await db.models.customers.insertMany(bulk);
    await api('PUT', '/everyone-web', { name: 'Web inbox', rule: { reachableOn: 'web' } });
    const res = await api('POST', '/everyone-web/preview');
    const ids = ['ada', 'bob', ...bulk.map((c) => c._id), 'chloe', 'dan', 'eve'];
    expect(res.body).toEqual({ count: 30, sample: ids.slice(0, 20) });
  });
});
