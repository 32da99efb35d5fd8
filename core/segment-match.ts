// Evaluates a segment rule against one customer in memory, with the same answers as the MongoDB
// filter from segment-filter.ts (test/unit/segment-rules.test.ts and the integration test check
// that they agree). Pure: `now` is a parameter.
import {
  type AttributeCondition,
  type EventCondition,
  languagePattern,
  type SegmentRule,
  seriesOf,
  windowStart,
} from './segment-rules';
import { nthNewest, windowKey } from './event-windows';
import type { Channel } from './channels';

/** The customer fields rules read; loose on purpose, since a stored document may hold anything. */
export interface SegmentCustomer {
  email?: unknown;
  phone?: unknown;
  timeZone?: unknown;
  locale?: unknown;
  attributes?: unknown;
  pushTokens?: unknown;
  consent?: unknown;
  events?: unknown;
  /** Kept event times per series, newest first (core/event-windows.ts). */
  windows?: unknown;
  lastSeenAt?: unknown;
}

/**
 * The customer fields `matchesSegment` reads for the rule (top-level names): a read that
 * projects these gives the same answers as the whole document.
 */
export function fieldsRead(rule: SegmentRule): (keyof SegmentCustomer)[] {
  const fields = new Set<keyof SegmentCustomer>();
  const visit = (r: SegmentRule): void => {
    if ('and' in r) r.and.forEach(visit);
    else if ('or' in r) r.or.forEach(visit);
    else if ('not' in r) visit(r.not);
    else if ('attribute' in r) fields.add('attributes');
    else if ('event' in r) fields.add(seriesOf(r) ? 'windows' : 'events');
    else if ('timeZoneIn' in r) fields.add('timeZone');
    else if ('localeIn' in r || 'languageIn' in r) fields.add('locale');
    else if ('pushPlatform' in r) fields.add('pushTokens');
    else if ('lastSeenWithin' in r || 'lastSeenNotWithin' in r) fields.add('lastSeenAt');
    else {
      fields.add('consent');
      const address = ({ email: 'email', sms: 'phone', push: 'pushTokens', web: undefined } as const)[r.reachableOn];
      if (address) fields.add(address);
    }
  };
  visit(rule);
  return [...fields];
}

export function matchesSegment(rule: SegmentRule, customer: SegmentCustomer, now: Date): boolean {
  if ('and' in rule) return rule.and.every((r) => matchesSegment(r, customer, now));
  if ('or' in rule) return rule.or.some((r) => matchesSegment(r, customer, now));
  if ('not' in rule) return !matchesSegment(rule.not, customer, now);
  if ('attribute' in rule) return matchesAttribute(rule, customer);
  if ('event' in rule) return matchesEvent(rule, customer, now);
  if ('timeZoneIn' in rule) return typeof customer.timeZone === 'string' && rule.timeZoneIn.includes(customer.timeZone);
  if ('localeIn' in rule) return typeof customer.locale === 'string' && rule.localeIn.includes(customer.locale);
  if ('languageIn' in rule) {
    return typeof customer.locale === 'string' && new RegExp(languagePattern(rule.languageIn), 'i').test(customer.locale);
  }
  if ('pushPlatform' in rule) return valuesIn(pushTokens(customer), 'platform').includes(rule.pushPlatform);
  if ('lastSeenWithin' in rule) return since(customer.lastSeenAt, windowStart(now, rule.lastSeenWithin));
  if ('lastSeenNotWithin' in rule) return !since(customer.lastSeenAt, windowStart(now, rule.lastSeenNotWithin));
  return reachable(customer, rule.reachableOn);
}

function matchesAttribute(condition: AttributeCondition, customer: SegmentCustomer): boolean {
  const attributes = customer.attributes;
  const present = isRecord(attributes) && Object.hasOwn(attributes, condition.attribute);
  const value = present ? attributes[condition.attribute] : undefined;
  // As in MongoDB, an array attribute answers through its elements.
  const any = (test: (element: unknown) => boolean) => present && (Array.isArray(value) ? value.some(test) : test(value));
  switch (condition.op) {
    case 'exists':
      return present;
    case 'notExists':
      return !present;
    case 'eq':
      return any((e) => e === condition.value);
    case 'ne':
      return !any((e) => e === condition.value);
    case 'in':
      return any((e) => (condition.value as unknown[]).includes(e));
    case 'notIn':
      return !any((e) => (condition.value as unknown[]).includes(e));
    case 'contains':
      if (Array.isArray(value)) return value.includes(condition.value);
      return typeof value === 'string' && typeof condition.value === 'string' && value.includes(condition.value);
    case 'between': {
      const [low, high] = condition.value;
      return present && typeof value === typeof low && (value as typeof low) >= low && (value as typeof high) <= high;
    }
    default: {
      // Comparisons never cross types (a number is neither above nor below a string), as in MongoDB.
      const bound = condition.value;
      const op = condition.op;
      return any((e) => {
        if (typeof e !== typeof bound) return false;
        const x = e as typeof bound;
        return op === 'gt' ? x > bound : op === 'gte' ? x >= bound : op === 'lt' ? x < bound : x <= bound;
      });
    }
  }
}

function matchesEvent(condition: EventCondition, customer: SegmentCustomer, now: Date): boolean {
  const series = seriesOf(condition);
  if (series) {
    // The n-th newest kept time is inside the window: the filter's comparison on the same place.
    const inside = (n: number) => since(nthNewest(customer.windows, windowKey(series), n), windowStart(now, condition.within!));
    switch (condition.op) {
      case 'did':
        return inside(1);
      case 'didNot':
        return !inside(1);
      case 'atLeast':
        return inside(condition.count);
      case 'atMost':
        return !inside(condition.count + 1);
    }
  }
  const events = customer.events;
  const rollUp = isRecord(events) && Object.hasOwn(events, condition.event) ? events[condition.event] : undefined;
  const count = isRecord(rollUp) && typeof rollUp.count === 'number' ? rollUp.count : undefined;
  switch (condition.op) {
    case 'did':
    case 'didNot': {
      const performed = condition.within
        ? isRecord(rollUp) && since(rollUp.last, windowStart(now, condition.within))
        : count !== undefined && count >= 1;
      return condition.op === 'did' ? performed : !performed;
    }
    case 'atLeast':
      return count !== undefined && count >= condition.count;
    case 'atMost':
      return !(count !== undefined && count > condition.count);
  }
}

function reachable(customer: SegmentCustomer, channel: Channel): boolean {
  const consent = isRecord(customer.consent) ? customer.consent[channel] : undefined;
  if (consent === false) return false;
  const nonEmpty = (value: unknown) => typeof value === 'string' && value !== '';
  switch (channel) {
    case 'email':
      return nonEmpty(customer.email);
    case 'sms':
      return nonEmpty(customer.phone);
    case 'push':
      return valuesIn(pushTokens(customer), 'token').some(nonEmpty);
    case 'web':
      return true;
  }
}

/** True when `value` is a date at or after `start`; MongoDB never compares dates with other types. */
function since(value: unknown, start: Date): boolean {
  return isDate(value) && value.getTime() >= start.getTime();
}

/** A Date of any realm: structuredClone (a simulation's profile) makes them in Node's own, not a sandbox's. */
function isDate(value: unknown): value is Date {
  return Object.prototype.toString.call(value) === '[object Date]';
}

/** The documents under `pushTokens`, read the way a dotted MongoDB path reads them. */
function pushTokens(customer: SegmentCustomer): Record<string, unknown>[] {
  const tokens = customer.pushTokens;
  if (Array.isArray(tokens)) return tokens.filter(isRecord);
  return isRecord(tokens) ? [tokens] : [];
}

/** `docs.<key>` as MongoDB resolves it: each document's value, arrays opened one level. */
function valuesIn(docs: Record<string, unknown>[], key: string): unknown[] {
  return docs.flatMap((doc) => {
    if (!Object.hasOwn(doc, key)) return [];
    const value = doc[key];
    return Array.isArray(value) ? value : [value];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isDate(value);
}
