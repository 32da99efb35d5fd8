// Compiles a segment rule to a MongoDB filter over the `customers` collection. Pure.
//
// Only a portable core of operators, which MongoDB, the embedded store and DocumentDB-like
// services run the same way: $and $or $nor $eq $ne $in $nin $gt $gte $lt $lte $exists $regex,
// and $elemMatch with a single operator (push tokens are matched through dotted array paths,
// and `between` does not look into arrays, as some servers test several operators inside
// $elemMatch against different elements). Operator names are constants here; user text reaches the filter only
// as values, or as path segments through the validated attribute and event name patterns.
import {
  AttributeCondition,
  EventCondition,
  escapeRegExp,
  languagePattern,
  SegmentRule,
  seriesOf,
  windowStart,
} from './segment-rules';
import { windowKey } from './event-windows';
import type { Channel } from './channels';

export type SegmentFilter = Record<string, unknown>;

/** The MongoDB filter that selects the rule's customers at `now` (windows count back from it). */
export function compileSegment(rule: SegmentRule, now: Date): SegmentFilter {
  if ('and' in rule) return { $and: rule.and.map((r) => compileSegment(r, now)) };
  if ('or' in rule) return { $or: rule.or.map((r) => compileSegment(r, now)) };
  if ('not' in rule) return { $nor: [compileSegment(rule.not, now)] };
  if ('attribute' in rule) return attributeFilter(rule);
  if ('event' in rule) return eventFilter(rule, now);
  if ('timeZoneIn' in rule) return { timeZone: { $in: rule.timeZoneIn } };
  if ('localeIn' in rule) return { locale: { $in: rule.localeIn } };
  if ('languageIn' in rule) return { locale: { $regex: languagePattern(rule.languageIn), $options: 'i' } };
  if ('pushPlatform' in rule) return { 'pushTokens.platform': { $eq: rule.pushPlatform } };
  if ('lastSeenWithin' in rule) return { lastSeenAt: { $gte: windowStart(now, rule.lastSeenWithin) } };
  if ('lastSeenNotWithin' in rule) return { $nor: [{ lastSeenAt: { $gte: windowStart(now, rule.lastSeenNotWithin) } }] };
  return reachableFilter(rule.reachableOn);
}

/** An address on the channel, and consent not withdrawn (missing consent counts as given). */
function reachableFilter(channel: Channel): SegmentFilter {
  // `$gt: ''` matches non-empty strings only: comparisons never cross BSON types.
  switch (channel) {
    case 'email':
      return { email: { $gt: '' }, 'consent.email': { $ne: false } };
    case 'sms':
      return { phone: { $gt: '' }, 'consent.sms': { $ne: false } };
    case 'push':
      return { 'pushTokens.token': { $gt: '' }, 'consent.push': { $ne: false } };
    case 'web':
      // The web inbox is addressed by customer ID: every customer has an address there.
      return { 'consent.web': { $ne: false } };
  }
}

const COMPARISONS = { eq: '$eq', ne: '$ne', in: '$in', notIn: '$nin', gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' } as const;

/**
 * On an array attribute the operators ask about its elements, as MongoDB does: `eq` is "one
 * element equals", `ne` is "no element equals", `gt` is "one element is greater", `contains` is
 * "one element is exactly the value". `between` is for single values and never matches an array.
 */
function attributeFilter(condition: AttributeCondition): SegmentFilter {
  const path = `attributes.${condition.attribute}`;
  // `<path>.0` exists only on a non-empty array: the way to tell scalars without $type.
  const scalarOnly = { [`${path}.0`]: { $exists: false } };
  switch (condition.op) {
    case 'exists':
    case 'notExists':
      return { [path]: { $exists: condition.op === 'exists' } };
    case 'between': {
      // Single values only: on an array, one element could pass the low bound and another the high.
      const [low, high] = condition.value;
      return { [path]: { $gte: low, $lte: high }, ...scalarOnly };
    }
    case 'contains': {
      const element = { [path]: { $elemMatch: { $eq: condition.value } } };
      if (typeof condition.value !== 'string') return element;
      return { $or: [{ [path]: { $regex: escapeRegExp(condition.value) }, ...scalarOnly }, element] };
    }
    default:
      return { [path]: { [COMPARISONS[condition.op]]: condition.value } };
  }
}

/**
 * From the per-customer roll-up `events.<name>: { count, first, last }`, or, for a counted or
 * filtered window, from the kept times `windows.<key>` (newest first): "at least n" is "the n-th
 * newest is inside the window", "at most n" is "the (n+1)-th newest is not".
 */
function eventFilter(condition: EventCondition, now: Date): SegmentFilter {
  const path = `events.${condition.event}`;
  const series = seriesOf(condition);
  if (series) {
    const inside = (n: number) => ({ [`windows.${windowKey(series)}.${n - 1}`]: { $gte: windowStart(now, condition.within!) } });
    switch (condition.op) {
      case 'did':
        return inside(1);
      case 'didNot':
        return { $nor: [inside(1)] };
      case 'atLeast':
        return inside(condition.count);
      case 'atMost':
        return { $nor: [inside(condition.count + 1)] };
    }
  }
  switch (condition.op) {
    case 'did':
    case 'didNot': {
      const performed = condition.within
        ? { [`${path}.last`]: { $gte: windowStart(now, condition.within) } }
        : { [`${path}.count`]: { $gte: 1 } };
      // $nor also matches customers without the roll-up: never performed is "did not".
      return condition.op === 'did' ? performed : { $nor: [performed] };
    }
    case 'atLeast':
      return { [`${path}.count`]: { $gte: condition.count } };
    case 'atMost':
      return { $nor: [{ [`${path}.count`]: { $gt: condition.count } }] };
  }
}
