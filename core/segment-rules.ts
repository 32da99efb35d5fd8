// The segment rule language: which customers a segment holds, written as JSON by a marketer (or
// a UI). Validated here at the edge, stored with the segment, then compiled to a MongoDB filter
// (segment-filter.ts) or evaluated against one customer (segment-match.ts). Pure: no I/O, no clock.
import { z } from 'zod';
import { DURATION_DOC, parseDuration } from './duration';
import { canonicalLocale, timeZoneSchema } from './locale';
import { ATTRIBUTE_NAME, attributeNameSchema, eventNameSchema } from './names';
import { KEPT_WINDOW, KEPT_WINDOW_MS, MAX_WHERE_PROPERTIES, MAX_WHERE_VALUES, WINDOW_CAP, type WindowSeries, windowKey } from './event-windows';
import { CHANNELS } from './channels';

/** Bounds that keep a stored rule cheap to compile, evaluate and run as a query. */
export const MAX_RULE_DEPTH = 8;
/** Conditions and combinators (and, or, not) together. */
export const MAX_RULE_NODES = 100;
const MAX_BRANCHES = 50;
const MAX_VALUES = 500;

export const PUSH_PLATFORMS = ['ios', 'android', 'web'] as const;

// A NUL cannot travel in a BSON regex, and no real attribute value needs one.
const text = z
  .string()
  .max(1000)
  .refine((s) => !s.includes('\0'), 'must not contain the NUL character')
  .meta({ pattern: '^[^\\u0000]*$' });
const scalar = z.union([text, z.number(), z.boolean()], { error: 'must be a string, number or boolean' });
const orderable = z.union([text, z.number()], { error: 'must be a number or a string' });
const attributeName = attributeNameSchema;
const eventName = eventNameSchema;
const duration = z
  .string()
  .refine((t) => parseDuration(t) !== undefined, 'must be a duration such as "12h", "7d", "30d" or "2w", at most ten years')
  .meta(DURATION_DOC);
const list = <T extends z.ZodType>(item: T, max = MAX_VALUES) => z.array(item).min(1).max(max);

export const attributeConditionSchema = z.discriminatedUnion(
  'op',
  [
    z.object({ attribute: attributeName, op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains']), value: scalar }).strict(),
    z.object({ attribute: attributeName, op: z.enum(['in', 'notIn']), value: list(scalar) }).strict(),
    /** Inclusive, on single values: an array attribute is never between. */
    z
      .object({ attribute: attributeName, op: z.literal('between'), value: z.tuple([orderable, orderable]) })
      .strict()
      .refine(({ value: [low, high] }) => typeof low === typeof high && low <= high, {
        path: ['value'],
        message: 'must be [low, high] (inclusive): two numbers or two strings such as ISO dates, low first',
      }),
    z.object({ attribute: attributeName, op: z.enum(['exists', 'notExists']) }).strict(),
  ],
  { error: 'must be one of eq, ne, in, notIn, gt, gte, lt, lte, between, exists, notExists, contains' },
);

const propertyName = z
  .string()
  .regex(ATTRIBUTE_NAME, 'property names use letters, digits and _ (at most 64, not starting with a digit)');
/** Equality, or `{"in": [...]}`, per event property; values compare with their type ("3" is not 3). */
const eventWhere = z
  .record(propertyName, z.union([scalar, z.object({ in: list(scalar, MAX_WHERE_VALUES) }).strict()], { error: 'must be a string, number or boolean, or {"in": [...]} of them' }))
  .refine((where) => Object.keys(where).length >= 1 && Object.keys(where).length <= MAX_WHERE_PROPERTIES, {
    message: `must name 1 to ${MAX_WHERE_PROPERTIES} event properties`,
  })
  .meta({ minProperties: 1, maxProperties: MAX_WHERE_PROPERTIES, propertyNames: { pattern: ATTRIBUTE_NAME.source } });
const keptWithin = `at most ${KEPT_WINDOW} (event times are kept that long for counted and filtered conditions)`;

/**
 * Counted (`atLeast`, `atMost`) and filtered (`where`) conditions with a window read the kept
 * event times (core/event-windows.ts): the window is bounded by how long they are kept, and the
 * count by how many are kept.
 */
function checkWindow(condition: { op: string; count?: number; within?: string; where?: unknown }, ctx: z.RefinementCtx): void {
  const windowed = condition.where !== undefined || (condition.within !== undefined && condition.count !== undefined);
  if (condition.where !== undefined && condition.within === undefined) {
    ctx.addIssue({ code: 'custom', path: ['within'], message: `is required with "where": events are filtered by their properties over a window of ${keptWithin}` });
  }
  if (!windowed || condition.within === undefined) return;
  const ms = parseDuration(condition.within);
  if (ms !== undefined && ms > KEPT_WINDOW_MS) ctx.addIssue({ code: 'custom', path: ['within'], message: `must be ${keptWithin}` });
  const most = condition.op === 'atMost' ? WINDOW_CAP - 1 : WINDOW_CAP;
  if (condition.count !== undefined && condition.count > most) {
    ctx.addIssue({ code: 'custom', path: ['count'], message: `must be at most ${most} with "within" (${WINDOW_CAP} event times are kept per customer)` });
  }
}

const windowDoc = {
  dependentRequired: { where: ['within'] },
  description:
    `With \`where\` (event properties: equality or {"in": [...]}), \`within\` is required. With \`where\`, or with a count and \`within\`, ` +
    `\`within\` is ${keptWithin}, and a count at most ${WINDOW_CAP} (atLeast) or ${WINDOW_CAP - 1} (atMost)`,
};

export const eventConditionSchema = z.discriminatedUnion(
  'op',
  [
    /** Without `within`: ever (or never). With `where`, `within` is required. */
    z
      .object({ event: eventName, op: z.enum(['did', 'didNot']), within: duration.optional(), where: eventWhere.optional() })
      .strict()
      .superRefine(checkWindow)
      .meta(windowDoc),
    /** Without `within`: all-time counts, from the customer's event roll-up. */
    z
      .object({ event: eventName, op: z.literal('atLeast'), count: z.int().min(1).max(1e9), within: duration.optional(), where: eventWhere.optional() })
      .strict()
      .superRefine(checkWindow)
      .meta(windowDoc),
    z
      .object({ event: eventName, op: z.literal('atMost'), count: z.int().min(0).max(1e9), within: duration.optional(), where: eventWhere.optional() })
      .strict()
      .superRefine(checkWindow)
      .meta(windowDoc),
  ],
  { error: 'must be one of did, didNot, atLeast, atMost' },
);

const timeZone = timeZoneSchema;
const localeTag = z.string().max(35).superRefine((tag, ctx) => {
  const canonical = canonicalLocale(tag);
  if (canonical !== tag) {
    ctx.addIssue({ code: 'custom', message: canonical ? `write it "${canonical}"` : 'must be a BCP 47 tag such as "en-GB"' });
  }
});
const language = z.string().regex(/^[a-z]{2,3}$/, 'must be a language code in lower case, such as "en"');

/** Each condition kind is named by the one key that only it has. */
const conditionSchemas = {
  attribute: attributeConditionSchema,
  event: eventConditionSchema,
  timeZoneIn: z.object({ timeZoneIn: list(timeZone) }).strict(),
  localeIn: z.object({ localeIn: list(localeTag) }).strict(),
  /** "en" matches "en", "en-GB", "en-US"... */
  languageIn: z.object({ languageIn: list(language) }).strict(),
  pushPlatform: z.object({ pushPlatform: z.enum(PUSH_PLATFORMS) }).strict(),
  lastSeenWithin: z.object({ lastSeenWithin: duration }).strict(),
  /** Also matches customers never seen. */
  lastSeenNotWithin: z.object({ lastSeenNotWithin: duration }).strict(),
  /** An address on the channel, and consent not withdrawn. */
  reachableOn: z.object({ reachableOn: z.enum(CHANNELS) }).strict(),
};

export type AttributeCondition = z.infer<typeof attributeConditionSchema>;
export type EventCondition = z.infer<typeof eventConditionSchema>;
export type SegmentCondition = z.infer<(typeof conditionSchemas)[keyof typeof conditionSchemas]>;
export type SegmentRule = SegmentCondition | { and: SegmentRule[] } | { or: SegmentRule[] } | { not: SegmentRule };

/** The language's shape, for types and the OpenAPI document; segmentRuleSchema adds the checks. */
export const segmentRuleShape: z.ZodType<SegmentRule> = z.lazy(() =>
  z.union([
    z.object({ and: z.array(segmentRuleShape).min(1).max(MAX_BRANCHES) }).strict(),
    z.object({ or: z.array(segmentRuleShape).min(1).max(MAX_BRANCHES) }).strict(),
    z.object({ not: segmentRuleShape }).strict(),
    conditionSchemas.attribute,
    conditionSchemas.event,
    conditionSchemas.timeZoneIn,
    conditionSchemas.localeIn,
    conditionSchemas.languageIn,
    conditionSchemas.pushPlatform,
    conditionSchemas.lastSeenWithin,
    conditionSchemas.lastSeenNotWithin,
    conditionSchemas.reachableOn,
  ]),
);

/**
 * A segment rule. Walks the input first, so that a refusal names the exact field (a plain union
 * would only say "Invalid input" about the whole rule) and so that depth and size are bounded
 * before anything recurses.
 */
export const segmentRuleSchema = z.preprocess((value, ctx) => {
  for (const issue of ruleIssues(value)) ctx.addIssue({ code: 'custom', input: value, ...issue });
  return value;
}, segmentRuleShape);

/** A segment as the API takes it (and the cairn CLI reads it from a file): a name and a rule. */
export const segmentBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200).meta({ pattern: '\\S', description: 'Not blank' }),
    description: z.string().max(2000).optional(),
    rule: segmentRuleSchema,
  })
  .strict();

interface RuleIssue {
  path: (string | number)[];
  message: string;
}

const COMBINATORS = ['and', 'or', 'not'];
const KINDS = [...COMBINATORS, ...Object.keys(conditionSchemas)];

function ruleIssues(root: unknown): RuleIssue[] {
  const issues: RuleIssue[] = [];
  let nodes = 0;
  const visit = (node: unknown, path: (string | number)[], depth: number): void => {
    if (++nodes > MAX_RULE_NODES) {
      if (nodes === MAX_RULE_NODES + 1) issues.push({ path: [], message: `a rule has at most ${MAX_RULE_NODES} parts (conditions, and, or, not)` });
      return;
    }
    if (depth > MAX_RULE_DEPTH) return void issues.push({ path, message: `rules nest at most ${MAX_RULE_DEPTH} levels deep` });
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      return void issues.push({ path, message: 'must be a rule object' });
    }
    const keys = Object.keys(node);
    const operators = keys.filter((key) => key.startsWith('$'));
    if (operators.length > 0) {
      for (const key of operators) issues.push({ path: [...path, key], message: 'MongoDB operators are not part of the rule language' });
      return;
    }
    const kinds = keys.filter((key) => KINDS.includes(key));
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? 'none' : kinds.join(', ');
      return void issues.push({ path, message: `must have exactly one of ${KINDS.join(', ')} (found ${found})` });
    }
    const [kind] = kinds;
    const record = node as Record<string, unknown>;
    if (COMBINATORS.includes(kind)) {
      for (const key of keys) if (key !== kind) issues.push({ path: [...path, key], message: `is not allowed next to "${kind}"` });
      if (kind === 'not') return visit(record.not, [...path, 'not'], depth + 1);
      const branches = record[kind];
      if (!Array.isArray(branches) || branches.length === 0 || branches.length > MAX_BRANCHES) {
        return void issues.push({ path: [...path, kind], message: `must be a list of 1 to ${MAX_BRANCHES} rules` });
      }
      branches.forEach((branch, i) => visit(branch, [...path, kind, i], depth + 1));
      return;
    }
    const result = conditionSchemas[kind as keyof typeof conditionSchemas].safeParse(node);
    for (const issue of result.error?.issues ?? []) {
      // Name each unknown key as its own field rather than the condition as a whole.
      const at = [...path, ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) issues.push({ path: [...at, key], message: 'is not a field of this condition' });
      } else {
        issues.push({ path: at, message: issue.message });
      }
    }
  };
  visit(root, [], 1);
  return issues;
}

/** The instant a window such as "7d" opens, counted back from now. Durations were validated. */
export function windowStart(now: Date, within: string): Date {
  return new Date(now.getTime() - parseDuration(within)!);
}

/**
 * The kept series (core/event-windows.ts) a condition reads, or undefined when it reads the
 * all-time roll-up: a `where`, or a count with a window. `did`/`didNot` with a window and no
 * `where` read the roll-up's last time, which is kept for ever.
 */
export function seriesOf(condition: EventCondition): WindowSeries | undefined {
  if (condition.within === undefined) return undefined;
  if (condition.where === undefined && (condition.op === 'did' || condition.op === 'didNot')) return undefined;
  return { event: condition.event, where: condition.where ?? {} };
}

/** Every series the rule reads, once each by key. */
export function seriesRead(rule: SegmentRule): Map<string, WindowSeries> {
  const found = new Map<string, WindowSeries>();
  const visit = (r: SegmentRule): void => {
    if ('and' in r) r.and.forEach(visit);
    else if ('or' in r) r.or.forEach(visit);
    else if ('not' in r) visit(r.not);
    else if ('event' in r) {
      const series = seriesOf(r);
      if (series) found.set(windowKey(series), series);
    }
  };
  visit(rule);
  return found;
}

/**
 * True when the rule's answer can change with time alone, no event or profile change needed:
 * it has a window (`within`, `lastSeenWithin`, `lastSeenNotWithin`).
 */
export function changesWithTime(rule: SegmentRule): boolean {
  if ('and' in rule) return rule.and.some(changesWithTime);
  if ('or' in rule) return rule.or.some(changesWithTime);
  if ('not' in rule) return changesWithTime(rule.not);
  if ('event' in rule) return rule.within !== undefined;
  return 'lastSeenWithin' in rule || 'lastSeenNotWithin' in rule;
}

/** Escapes every regex metacharacter, so user text only ever matches itself. */
export function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Anchored: "en" matches "en" and "en-GB", never "eng". Matched case-insensitively. */
export function languagePattern(languages: readonly string[]): string {
  return `^(?:${languages.map(escapeRegExp).join('|')})(?:-|$)`;
}
