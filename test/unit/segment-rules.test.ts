import { compileSegment } from '../../core/segment-filter';
import { matchesSegment } from '../../core/segment-match';
import { languagePattern, MAX_RULE_DEPTH, SegmentRule, segmentRuleSchema } from '../../core/segment-rules';
import { whereMatches, windowKey } from '../../core/event-windows';
import { generatedRules, operatorsIn, sampleCustomers } from '../support/segment-samples';

const NOW = new Date('2026-06-15T12:00:00Z');
const DAY = 86_400_000;

/** The dotted paths of the issues of a rule the schema must refuse. */
function refusedAt(rule: unknown): string[] {
  const result = segmentRuleSchema.safeParse(rule);
  if (result.success) throw new Error(`expected the rule to be refused: ${JSON.stringify(rule)}`);
  return result.error.issues.map((issue) => issue.path.join('.'));
}

const nested = (levels: number): unknown => {
  let rule: unknown = { reachableOn: 'email' };
  for (let i = 1; i < levels; i++) rule = { not: rule };
  return rule;
};

/** Product use, as attributes kept by the product and events it sends. */
const activatedButStalled: SegmentRule = {
  and: [
    { attribute: 'onboardingStep', op: 'gte', value: 4 },
    { attribute: 'reportsCreated', op: 'between', value: [1, 20] },
    { event: 'report:created', op: 'didNot', within: '7d' },
  ],
};

describe('segmentRuleSchema', () => {
  it.each<[string, unknown]>([
    ['an attribute comparison', { attribute: 'plan', op: 'eq', value: 'pro' }],
    ['a list membership', { attribute: 'plan', op: 'notIn', value: ['free', 'trial'] }],
    ['a date range on an ISO date attribute', { attribute: 'signupDate', op: 'between', value: ['2024-01-01', '2024-12-31'] }],
    ['an existence check', { attribute: 'company', op: 'notExists' }],
    ['an event in a window', { event: 'purchase', op: 'did', within: '30d' }],
    ['an event count', { event: 'sign-up:done', op: 'atMost', count: 0 }],
    ['situational conditions', { or: [{ timeZoneIn: ['Europe/Paris'] }, { localeIn: ['en-GB'] }, { languageIn: ['fr'] }] }],
    ['channel conditions', { and: [{ pushPlatform: 'ios' }, { reachableOn: 'push' }, { not: { lastSeenWithin: '1d' } }] }],
    ['a product-use rule', activatedButStalled],
    ['the same product three times in five days', { event: 'product_viewed', where: { productId: 'sku-123' }, op: 'atLeast', count: 3, within: '5d' }],
    ['a category twice this week', { event: 'product_viewed', where: { category: { in: ['shoes', 'boots'] } }, op: 'atLeast', count: 2, within: '7d' }],
    ['a windowed count without a filter', { event: 'login', op: 'atMost', count: 99, within: '90d' }],
    ['a filtered did not', { event: 'order_completed', where: { coupon: true, total: 0, channel: 'web' }, op: 'didNot', within: '30d' }],
    ['a window longer than kept on a plain did', { event: 'purchase', op: 'did', within: '365d' }],
    [`${MAX_RULE_DEPTH} levels of nesting`, nested(MAX_RULE_DEPTH)],
  ])('when the rule is %s, then it parses to the same data', (_what, rule) => {
    expect(segmentRuleSchema.parse(rule)).toEqual(rule);
  });

  it.each<[string, unknown, string[]]>([
    ['a raw operator as the value', { attribute: 'plan', op: 'eq', value: { $ne: null } }, ['value']],
    ['a $where key alone', { $where: 'sleep(1000)' }, ['$where']],
    ['a $where key next to a condition', { attribute: 'plan', op: 'eq', value: 'pro', $where: '1' }, ['$where']],
    ['an operator as the op', { attribute: 'plan', op: '$ne', value: 'x' }, ['op']],
    ['an attribute name with a dot', { and: [{ attribute: 'a.b', op: 'exists' }] }, ['and.0.attribute']],
    ['an attribute name starting with $', { attribute: '$where', op: 'exists' }, ['attribute']],
    ['an event name with a dot', { event: 'a.$b', op: 'did' }, ['event']],
    ['an operator object instead of a list', { or: { $gt: '' } }, ['or']],
    ['an empty and', { and: [] }, ['and']],
    ['two conditions in one object', { timeZoneIn: ['UTC'], reachableOn: 'email' }, ['']],
    ['a field the condition does not have', { attribute: 'plan', op: 'exists', value: 1 }, ['value']],
    ['a nested object value in a list', { attribute: 'plan', op: 'in', value: ['a', { $gt: 1 }] }, ['value.1']],
    ['a range low above high', { attribute: 'seats', op: 'between', value: [10, 1] }, ['value']],
    ['a range mixing types', { attribute: 'seats', op: 'between', value: [1, 'z'] }, ['value']],
    ['a bad window', { event: 'purchase', op: 'did', within: 'soon' }, ['within']],
    ['a non-canonical locale', { localeIn: ['en-gb'] }, ['localeIn.0']],
    ['an unknown time zone', { timeZoneIn: ['Mars/Olympus'] }, ['timeZoneIn.0']],
    ['a language with a region', { languageIn: ['en-GB'] }, ['languageIn.0']],
    ['a count of zero for atLeast', { event: 'purchase', op: 'atLeast', count: 0 }, ['count']],
    ['not an object', 'plan = pro', ['']],
    ['a where without a window', { event: 'product_viewed', op: 'did', where: { productId: 'a' } }, ['within']],
    ['a where on a count without a window', { event: 'product_viewed', op: 'atLeast', count: 3, where: { productId: 'a' } }, ['within']],
    ['a counted window longer than kept', { event: 'product_viewed', op: 'atLeast', count: 3, within: '91d' }, ['within']],
    ['a filtered window longer than kept', { event: 'product_viewed', op: 'didNot', within: '13w', where: { category: 'shoes' } }, ['within']],
    ['a windowed count above the times kept', { event: 'product_viewed', op: 'atLeast', count: 101, within: '5d' }, ['count']],
    ['a windowed atMost at the times kept', { event: 'product_viewed', op: 'atMost', count: 100, within: '5d' }, ['count']],
    ['a where on four properties', { event: 'v', op: 'did', within: '1d', where: { a: 1, b: 2, c: 3, d: 4 } }, ['where']],
    ['an empty where', { event: 'v', op: 'did', within: '1d', where: {} }, ['where']],
    ['a where property with a dot', { event: 'v', op: 'did', within: '1d', where: { 'a.b': 1 } }, ['where.a.b']],
    ['a where value that is an operator', { event: 'v', op: 'did', within: '1d', where: { a: { $gt: 1 } } }, ['where.a']],
    ['an empty in', { event: 'v', op: 'did', within: '1d', where: { a: { in: [] } } }, ['where.a.in']],
  ])('when the rule has %s, then it is refused naming the field', (_what, rule, paths) => {
    expect(refusedAt(rule)).toEqual(paths);
  });

  it(`when rules nest deeper than ${MAX_RULE_DEPTH} levels, then the rule is refused at the level too deep`, () => {
    expect(refusedAt(nested(MAX_RULE_DEPTH + 1))).toEqual([Array(MAX_RULE_DEPTH).fill('not').join('.')]);
  });

  it('when a rule has more than 100 parts, then it is refused once, as a whole', () => {
    const wide = { or: Array.from({ length: 40 }, () => ({ and: [{ pushPlatform: 'ios' }, { pushPlatform: 'web' }] })) };
    expect(refusedAt(wide)).toEqual(['']);
  });
});

describe('compileSegment', () => {
  const cutoff = (days: number) => new Date(NOW.getTime() - days * DAY);

  it.each<[string, SegmentRule, object]>([
    ['eq', { attribute: 'plan', op: 'eq', value: 'pro' }, { 'attributes.plan': { $eq: 'pro' } }],
    ['notIn', { attribute: 'plan', op: 'notIn', value: ['a', 1] }, { 'attributes.plan': { $nin: ['a', 1] } }],
    ['exists', { attribute: 'plan', op: 'exists' }, { 'attributes.plan': { $exists: true } }],
    [
      'between, on single values only',
      { attribute: 'seats', op: 'between', value: [1, 9] },
      { 'attributes.seats': { $gte: 1, $lte: 9 }, 'attributes.seats.0': { $exists: false } },
    ],
    [
      'contains with regex metacharacters, escaped',
      { attribute: 'company', op: 'contains', value: 'a.b*(c)' },
      { $or: [{ 'attributes.company': { $regex: 'a\\.b\\*\\(c\\)' }, 'attributes.company.0': { $exists: false } }, { 'attributes.company': { $elemMatch: { $eq: 'a.b*(c)' } } }] },
    ],
    ['did ever', { event: 'purchase', op: 'did' }, { 'events.purchase.count': { $gte: 1 } }],
    ['did not within a window, as $nor', { event: 'purchase', op: 'didNot', within: '7d' }, { $nor: [{ 'events.purchase.last': { $gte: cutoff(7) } }] }],
    ['at most', { event: 'purchase', op: 'atMost', count: 2 }, { $nor: [{ 'events.purchase.count': { $gt: 2 } }] }],
    [
      'the same product three times in five days, as the third newest kept time',
      { event: 'product_viewed', where: { productId: 'sku-123' }, op: 'atLeast', count: 3, within: '5d' },
      { [`windows.${windowKey({ event: 'product_viewed', where: { productId: 'sku-123' } })}.2`]: { $gte: cutoff(5) } },
    ],
    [
      'at most two views this week, as the third newest not inside',
      { event: 'product_viewed', op: 'atMost', count: 2, within: '7d' },
      { $nor: [{ [`windows.${windowKey({ event: 'product_viewed', where: {} })}.2`]: { $gte: cutoff(7) } }] },
    ],
    [
      'a filtered did not, as the newest not inside',
      { event: 'product_viewed', where: { category: 'shoes' }, op: 'didNot', within: '1d' },
      { $nor: [{ [`windows.${windowKey({ event: 'product_viewed', where: { category: 'shoes' } })}.0`]: { $gte: cutoff(1) } }] },
    ],
    ['a language prefix, anchored', { languageIn: ['en', 'pt'] }, { locale: { $regex: '^(?:en|pt)(?:-|$)', $options: 'i' } }],
    ['a push platform', { pushPlatform: 'ios' }, { 'pushTokens.platform': { $eq: 'ios' } }],
    ['reachable by email', { reachableOn: 'email' }, { email: { $gt: '' }, 'consent.email': { $ne: false } }],
    ['not, as $nor', { not: { lastSeenWithin: '30d' } }, { $nor: [{ lastSeenAt: { $gte: cutoff(30) } }] }],
  ])('when compiling %s, then the filter is as expected', (_what, rule, filter) => {
    expect(compileSegment(rule, NOW)).toEqual(filter);
  });

  it('when a value looks like an operator or a script, then it stays a plain value', () => {
    const filter = compileSegment({ attribute: 'plan', op: 'eq', value: '{"$where": "sleep(1)"}' }, NOW);
    expect(filter).toEqual({ 'attributes.plan': { $eq: '{"$where": "sleep(1)"}' } });
  });

  it('when 500 rules are generated for the property tests, then the schema accepts every one', () => {
    for (const rule of generatedRules(7, 500)) expect(segmentRuleSchema.safeParse(rule).error).toBeUndefined();
  });

  it('when 500 generated rules are compiled, then only the portable operators appear', () => {
    const allowed = new Set(['$and', '$or', '$nor', '$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$regex', '$options', '$elemMatch']);
    for (const rule of generatedRules(7, 500)) {
      for (const op of operatorsIn(compileSegment(rule, NOW))) expect(allowed).toContain(op);
    }
  });
});

describe('matchesSegment', () => {
  const customers = sampleCustomers(NOW);
  const members = (rule: SegmentRule) => customers.filter((c) => matchesSegment(rule, c, NOW)).map((c) => c._id);

  it.each<[string, SegmentRule, string[]]>([
    ['did not purchase within 7d, which includes never', { event: 'purchase', op: 'didNot', within: '7d' }, ['bob', 'chloe', 'dan', 'eve', 'finn']],
    ['an array attribute equal to one of its elements', { attribute: 'plan', op: 'eq', value: 'team' }, ['chloe', 'eve']],
    ['ne on an array attribute, which means no element equals', { attribute: 'plan', op: 'ne', value: 'pro' }, ['bob', 'chloe', 'dan']],
    ['a number compared with a number only', { attribute: 'seats', op: 'gte', value: 12 }, ['ada', 'chloe']],
    ['contains a substring, taken literally', { attribute: 'company', op: 'contains', value: 'a.b' }, ['finn']],
    ['contains an array element', { attribute: 'tags', op: 'contains', value: 'early' }, ['ada', 'finn']],
    ['reachable by email with consent not false', { reachableOn: 'email' }, ['ada', 'finn']],
    ['reachable by push with a non-empty token', { reachableOn: 'push' }, ['ada', 'chloe']],
    ['the language en, not enm', { languageIn: ['en'] }, ['ada', 'bob']],
    ['the product-use rule', activatedButStalled, ['ada']],
    // The seed examples: ada's third newest sku-123 view is 4.9 days old, bob has two.
    ['the same product three times in five days', { event: 'product_viewed', where: { productId: 'sku-123' }, op: 'atLeast', count: 3, within: '5d' }, ['ada']],
    ['the same product three times in four days', { event: 'product_viewed', where: { productId: 'sku-123' }, op: 'atLeast', count: 3, within: '4d' }, []],
    ['a category twice this week', { event: 'product_viewed', where: { category: { in: ['boots', 'shoes'] } }, op: 'atLeast', count: 2, within: '7d' }, ['ada']],
    ['a category at most once this week, which includes never', { event: 'product_viewed', where: { category: { in: ['boots', 'shoes'] } }, op: 'atMost', count: 1, within: '7d' }, ['bob', 'chloe', 'dan', 'eve', 'finn']],
    ['a filtered view within the day', { event: 'product_viewed', where: { category: 'shoes' }, op: 'did', within: '1d' }, ['ada']],
    ['any view within 90 days', { event: 'product_viewed', op: 'did', within: '90d', where: { productId: 'sku-123' } }, ['ada', 'bob']],
  ])('when the rule is %s, then exactly the expected customers match', (_what, rule, expected) => {
    expect(members(rule)).toEqual(expected);
  });

  it('when a where says the same thing in another order or spelling, then it names the same kept series', () => {
    const a = windowKey({ event: 'v', where: { category: { in: ['shoes', 'boots', 'shoes'] }, price: 50 } });
    expect(windowKey({ event: 'v', where: { price: 50, category: { in: ['boots', 'shoes'] } } })).toBe(a);
    expect(windowKey({ event: 'v', where: { category: { in: ['shoes'] } } })).toBe(windowKey({ event: 'v', where: { category: 'shoes' } }));
    expect(windowKey({ event: 'v', where: { price: '50' } })).not.toBe(windowKey({ event: 'v', where: { price: 50 } }));
    expect(windowKey({ event: 'w', where: {} })).not.toBe(windowKey({ event: 'v', where: {} }));
    expect(a).toMatch(/^w[0-9a-z]{1,13}$/);
  });

  it('when event properties are matched against a where, then values compare with their type', () => {
    expect(whereMatches({ category: { in: ['shoes', 'boots'] }, price: 50 }, { category: 'boots', price: 50, extra: 1 })).toBe(true);
    expect(whereMatches({ price: 50 }, { price: '50' })).toBe(false);
    expect(whereMatches({ price: 50 }, undefined)).toBe(false);
    expect(whereMatches({ sale: false }, {})).toBe(false);
  });

  it('when a language pattern is built, then it only matches the language and its subtags', () => {
    const pattern = new RegExp(languagePattern(['en']), 'i');
    expect(['en', 'en-GB', 'EN-us'].map((l) => pattern.test(l))).toEqual([true, true, true]);
    expect(['enm', 'de-en', 'e'].map((l) => pattern.test(l))).toEqual([false, false, false]);
  });
});
