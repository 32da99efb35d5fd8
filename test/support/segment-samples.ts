// Sample customers and generated rules shared by the segment unit and integration tests.
import type { SegmentRule } from '../../core/segment-rules';
import { type EventWhere, windowKey } from '../../core/event-windows';

const DAY = 86_400_000;

/** The kept series the samples hold times for (core/event-windows.ts), and the generated rules read. */
export const SAMPLE_WHERES: (EventWhere | undefined)[] = [
  { productId: 'sku-123' },
  { category: 'shoes' },
  { category: { in: ['shoes', 'boots'] } },
  // The same series as the one above, written otherwise: one key.
  { category: { in: ['boots', 'shoes', 'boots'] } },
  { category: 'shoes', price: 50 },
  undefined,
];
const key = (where: EventWhere | undefined) => windowKey({ event: 'product_viewed', where: where ?? {} });

/** Customer documents as stored, with dates counted back from `now`. */
export function sampleCustomers(now: Date) {
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  return [
    {
      _id: 'ada',
      email: 'ada@example.test',
      phone: '+447700900001',
      timeZone: 'Europe/London',
      locale: 'en-GB',
      attributes: { plan: 'pro', seats: 12, beta: true, tags: ['vip', 'early'], signupDate: '2024-03-01', onboardingStep: 4, reportsCreated: 15 },
      pushTokens: [{ token: 'tok-ada', platform: 'ios' }],
      consent: { email: true },
      events: {
        purchase: { count: 3, first: ago(40), last: ago(2) },
        'report:created': { count: 15, first: ago(60), last: ago(10) },
        product_viewed: { count: 9, first: ago(80), last: ago(0.5) },
      },
      windows: {
        [key({ productId: 'sku-123' })]: [ago(0.5), ago(2), ago(4.9), ago(6)],
        [key({ category: 'shoes' })]: [ago(0.5), ago(2), ago(4.9), ago(6), ago(29), ago(80)],
        [key({ category: { in: ['shoes', 'boots'] } })]: [ago(0.5), ago(2), ago(3), ago(4.9), ago(6), ago(29), ago(80)],
        [key({ category: 'shoes', price: 50 })]: [ago(6)],
        [key(undefined)]: [ago(0.5), ago(2), ago(3), ago(4.9), ago(6), ago(7.5), ago(20), ago(29), ago(80)],
      },
      lastSeenAt: ago(0.5),
    },
    {
      _id: 'bob',
      email: 'bob@example.test',
      timeZone: 'America/New_York',
      locale: 'en-US',
      attributes: { plan: 'free', seats: 1, beta: false, tags: ['trial'], signupDate: '2024-11-20', onboardingStep: 1, scores: [1, 100] },
      consent: { email: false },
      events: { purchase: { count: 1, first: ago(20), last: ago(20) }, product_viewed: { count: 2, first: ago(6), last: ago(1) } },
      windows: {
        [key({ productId: 'sku-123' })]: [ago(1), ago(6)],
        [key({ category: { in: ['shoes', 'boots'] } })]: [ago(1)],
        [key(undefined)]: [ago(1), ago(6)],
      },
      lastSeenAt: ago(20),
    },
    {
      _id: 'chloe',
      phone: '+33612345678',
      timeZone: 'Europe/Paris',
      locale: 'fr-FR',
      attributes: { plan: 'team', seats: 30, company: 'Acme (EU) Ltd.', signupDate: '2023-07-14', scores: [20] },
      pushTokens: [{ token: 'tok-chloe', platform: 'android' }],
      consent: {},
      events: {},
      lastSeenAt: ago(40),
    },
    // Knows nothing and did nothing: matches every "did not" and "not within".
    { _id: 'dan', attributes: {} },
    {
      _id: 'eve',
      email: '',
      locale: 'enm',
      attributes: { plan: ['pro', 'team'], seats: '12', tags: [], company: 'axb', scores: 30 },
      pushTokens: [{ token: '', platform: 'web' }],
      consent: { push: true, sms: false },
      phone: '+15550100',
      events: { purchase: { count: 7, first: ago(300), last: ago(100) } },
      // Not what a fold writes: neither evaluator takes these for times.
      windows: { [key({ productId: 'sku-123' })]: 'soon', [key(undefined)]: [ago(1).toISOString(), 3] },
      lastSeenAt: ago(7),
    },
    {
      _id: 'finn',
      email: 'finn@example.test',
      timeZone: 'UTC',
      locale: 'de',
      attributes: { plan: 'pro', seats: 5, company: 'a.b*c', tags: ['early', 'beta'], reportsCreated: 0, onboardingStep: 5 },
      pushTokens: [
        { token: 'tok-finn-web', platform: 'web' },
        { token: 'tok-finn-ios', platform: 'ios' },
      ],
      consent: { push: false, web: false },
      events: { 'report:created': { count: 1, first: ago(3), last: ago(3) }, login: { count: 2, first: ago(9), last: ago(8) } },
      windows: { [key({ category: 'shoes' })]: [], [key(undefined)]: [ago(89)] },
      lastSeenAt: ago(3),
    },
  ];
}

export type SampleCustomer = ReturnType<typeof sampleCustomers>[number];

/** Every operator name anywhere in a filter. */
export function operatorsIn(filter: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object' && !(node instanceof Date)) {
      for (const [key, value] of Object.entries(node)) {
        if (key.startsWith('$')) found.add(key);
        walk(value);
      }
    }
  };
  walk(filter);
  return found;
}

/** A small seeded PRNG (mulberry32), so a failing generated rule can be reproduced. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const some = <T>(items: readonly T[]): T[] => {
    const chosen = items.filter(() => next() < 0.4);
    return chosen.length > 0 ? chosen : [pick(items)];
  };
  return { next, pick, some };
}

const ATTRIBUTES = ['plan', 'seats', 'beta', 'tags', 'scores', 'signupDate', 'company', 'onboardingStep', 'reportsCreated', 'missing'];
const VALUES = ['pro', 'free', 'team', 'vip', 'early', 'trial', '12', 'Acme', '(EU)', 'a.b', 'x', 1, 4, 5, 12, 30, 0, true, false, '2024-01-01', '2024-06-30'];
const EVENTS = ['purchase', 'report:created', 'login', 'never', 'product_viewed'];
const WINDOWS = [undefined, '1d', '7d', '30d', '365d'];

/** `count` valid rules over the sample customers' fields, nested up to three levels. */
export function generatedRules(seed: number, count: number): SegmentRule[] {
  const r = random(seed);
  const leaf = (): SegmentRule => {
    switch (r.pick(['attribute', 'attribute', 'attribute', 'event', 'event', 'windowed', 'situational'])) {
      case 'attribute': {
        const attribute = r.pick(ATTRIBUTES);
        const op = r.pick(['eq', 'ne', 'in', 'notIn', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'notExists', 'contains'] as const);
        if (op === 'exists' || op === 'notExists') return { attribute, op };
        if (op === 'in' || op === 'notIn') return { attribute, op, value: r.some(VALUES) };
        if (op === 'between') {
          const pool: readonly (number | string)[] = r.pick([[0, 1, 4, 5, 12, 30], ['2024-01-01', '2024-06-30', '2025-01-01', 'a', 'pro', 'z']]);
          const [low, high] = [r.pick(pool), r.pick(pool)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          return { attribute, op, value: [low, high] };
        }
        return { attribute, op, value: r.pick(VALUES) };
      }
      case 'windowed': {
        const where = r.pick(SAMPLE_WHERES);
        const within = r.pick(['1d', '2d', '5d', '7d', '30d', '90d']);
        const op = r.pick(['did', 'didNot', 'atLeast', 'atMost'] as const);
        const filter = where ? { where } : {};
        if (op === 'atLeast') return { event: 'product_viewed', op, count: 1 + Math.floor(r.next() * 8), within, ...filter };
        if (op === 'atMost') return { event: 'product_viewed', op, count: Math.floor(r.next() * 8), within, ...filter };
        return where ? { event: 'product_viewed', op, within, where } : { event: 'product_viewed', op, within };
      }
      case 'event': {
        const event = r.pick(EVENTS);
        const op = r.pick(['did', 'didNot', 'atLeast', 'atMost'] as const);
        if (op === 'atLeast') return { event, op, count: 1 + Math.floor(r.next() * 8) };
        if (op === 'atMost') return { event, op, count: Math.floor(r.next() * 8) };
        const within = r.pick(WINDOWS);
        return within ? { event, op, within } : { event, op };
      }
      default:
        return r.pick<() => SegmentRule>([
          () => ({ timeZoneIn: r.some(['Europe/London', 'Europe/Paris', 'America/New_York', 'UTC', 'Asia/Tokyo']) }),
          () => ({ localeIn: r.some(['en-GB', 'en-US', 'fr-FR', 'de', 'enm']) }),
          () => ({ languageIn: r.some(['en', 'fr', 'de', 'es']) }),
          () => ({ pushPlatform: r.pick(['ios', 'android', 'web'] as const) }),
          () => ({ lastSeenWithin: r.pick(['1d', '7d', '30d']) }),
          () => ({ lastSeenNotWithin: r.pick(['1d', '7d', '30d']) }),
          () => ({ reachableOn: r.pick(['email', 'sms', 'push', 'web'] as const) }),
        ])();
    }
  };
  const rule = (depth: number): SegmentRule => {
    const roll = r.next();
    if (depth >= 3 || roll < 0.45) return leaf();
    if (roll < 0.6) return { not: rule(depth + 1) };
    const branches = Array.from({ length: 1 + Math.floor(r.next() * 3) }, () => rule(depth + 1));
    return roll < 0.8 ? { and: branches } : { or: branches };
  };
  return Array.from({ length: count }, () => rule(0));
}
