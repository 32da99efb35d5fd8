// The step types of a journey definition. Pure; the workflow bundle imports the types only.
import { z } from 'zod';
import { BEST_TIME_WITHIN_MS, MIN_ENGAGEMENTS } from './best-time';
import { timeZoneSchema } from './locale';
import { BEST_CHANNEL, CHANNELS, type Channel } from './channels';
import { DURATION_DOC, OFFSET_DOC, parseDuration, parseOffset } from './duration';
import { ID_PATTERN, ID_RULE } from './ids';
import { attributeNameSchema, eventNameSchema } from './names';
import { segmentRuleSchema } from './segment-rules';

export const idSchema = z.string().regex(ID_PATTERN, `must use ${ID_RULE}`);

export const durationSchema = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, {
    message: 'must be a duration such as "30m", "2h", "2d", "1w" or "1d12h", at most ten years',
  })
  .meta(DURATION_DOC);

export const offsetSchema = z
  .string()
  .refine((text) => parseOffset(text) !== undefined, {
    message: 'must be an offset such as "-2d" (before) or "12h" (after), at most ten years',
  })
  .meta(OFFSET_DOC);

/** The step that follows; none ends the journey. */
const next = idSchema.optional();

const sendOptions = {
  id: idSchema,
  type: z.literal('send'),
  /** Receipts and the like: sent even in quiet hours, and not counted or held by frequency caps. */
  transactional: z.boolean().optional(),
  /** When a frequency cap holds the customer: skip the message (the default), or defer it until allowed. */
  whenCapped: z.enum(['skip', 'defer']).optional(),
  next,
};

/** A send on one channel, with maybe a fallback channel. */
export const channelSendStepSchema = z
  .object({
    ...sendOptions,
    channel: z.enum(CHANNELS),
    template: idSchema,
    /** Used when the customer cannot be reached on `channel` (no address there, or opted out). */
    fallback: z.object({ channel: z.enum(CHANNELS), template: idSchema }).strict().optional(),
  })
  .strict()
  .refine((s) => s.fallback?.channel !== s.channel, { message: 'the fallback must be another channel', path: ['fallback', 'channel'] });

/**
 * `channel: "best"`: sent on the listed channel the customer engages with most, among those
 * they can be reached on (core/best-channel.ts); `channels` is also the order tried for
 * customers without history. One template per listed channel.
 */
export const bestChannelSendStepSchema = z
  .object({
    ...sendOptions,
    channel: z.literal(BEST_CHANNEL),
    channels: z
      .array(z.enum(CHANNELS))
      .min(2)
      .max(CHANNELS.length)
      .refine((list) => new Set(list).size === list.length, 'must list each channel once')
      .meta({ description: 'The channels to choose from, in the order tried for customers without engagement history' }),
    templates: z
      .partialRecord(z.enum(CHANNELS), idSchema)
      .meta({ description: 'The template for each listed channel, by channel: {"email": "welcome-email", "push": "welcome-push"}' }),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const channel of s.channels) {
      if (!s.templates[channel]) ctx.addIssue({ code: 'custom', message: `give a ${channel} template: every listed channel needs one`, path: ['templates', channel] });
    }
    for (const channel of Object.keys(s.templates)) {
      if (!s.channels.includes(channel as Channel)) ctx.addIssue({ code: 'custom', message: `${channel} is not in channels`, path: ['templates', channel] });
    }
  });

export const sendStepSchema = z.discriminatedUnion('channel', [channelSendStepSchema, bestChannelSendStepSchema]);

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time such as "09:30"');

export const localTimeSchema = z
  .object({
    /** 24-hour local time, "09:30". */
    time: hhmm,
    /** The days it may fall on; all days when absent. */
    weekdays: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional(),
  })
  .strict();

/** Local hours in which no marketing message goes out; a send then waits for their end. */
const quietHoursShape = { start: hhmm, end: hhmm };
const distinctEnds = (q: { start: string; end: string }) => q.start !== q.end;
const distinctEndsError = { message: 'start and end must differ', path: ['end'] };

export const quietHoursSchema = z.object(quietHoursShape).strict().refine(distinctEnds, distinctEndsError);

/**
 * Account-wide quiet hours, for journeys without their own; `timeZone` is for customers
 * without a time zone of their own (default UTC).
 */
export const accountQuietHoursSchema = z
  .object({ ...quietHoursShape, timeZone: timeZoneSchema.optional() })
  .strict()
  .refine(distinctEnds, distinctEndsError);

/**
 * A date the customer carries in an attribute, moved by `offset`: `{"attribute": "trialEndsAt",
 * "offset": "-2d"}` is two days before the trial ends.
 */
export const attributeDateSchema = z.object({ attribute: attributeNameSchema, offset: offsetSchema.optional() }).strict();

/**
 * The hour within `within` at which the customer has engaged most (opens, clicks, sessions);
 * `default`, a local time, for customers with too little history (core/best-time.ts).
 */
export const bestTimeSchema = z
  .object({
    within: durationSchema.refine(
      (text) => {
        const ms = parseDuration(text);
        return ms === undefined || (ms >= BEST_TIME_WITHIN_MS.min && ms <= BEST_TIME_WITHIN_MS.max);
      },
      { message: 'must be from 1h to 7d' },
    )
      .meta({ ...DURATION_DOC, description: 'How far ahead to look for the best hour: a duration from 1h to 7d, such as "1d"' }),
    default: hhmm.meta({ description: "The local time (24-hour, in the customer's time zone) for customers with too little history, such as \"10:00\"" }),
  })
  .strict()
  .meta({
    description: `The hour within \`within\` at which the customer has engaged most (opens, clicks, sessions, by hour of the week); \`default\` for customers with fewer than ${MIN_ENGAGEMENTS} engagements`,
  });

/** Waits for a duration, until a moment, until a date the customer carries, until a local time, or until the customer's best time. */
export const waitStepSchema = z
  .object({
    id: idSchema,
    type: z.literal('wait'),
    duration: durationSchema.optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    /**
     * An attribute holding an ISO 8601 date, by name or with an offset (`{attribute, offset}`);
     * a customer without one, or whose moment has passed, goes straight on.
     */
    untilAttribute: z.union([attributeNameSchema, attributeDateSchema]).optional(),
    /** The next such local time in the customer's time zone (or the journey's default). */
    untilLocalTime: localTimeSchema.optional(),
    /** The hour within a window at which the customer has engaged most, or a default local time. */
    untilBestTime: bestTimeSchema.optional(),
    next,
  })
  .strict()
  .refine(
    (s) => [s.duration, s.until, s.untilAttribute, s.untilLocalTime, s.untilBestTime].filter((v) => v !== undefined).length === 1,
    { message: 'give exactly one of duration, until, untilAttribute, untilLocalTime, untilBestTime', path: ['duration'] },
  );

/** Property values an event must carry to count: equality on each named property. */
export const propertyMatchSchema = z
  .record(attributeNameSchema, z.union([z.string().max(1000), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).length <= 20, 'at most 20 properties');

export const waitForEventStepSchema = z
  .object({
    id: idSchema,
    type: z.literal('waitForEvent'),
    event: eventNameSchema,
    match: propertyMatchSchema.optional(),
    timeout: durationSchema,
    /** Where the customer goes when the event arrives in time; none ends the journey. */
    onEvent: idSchema.optional(),
    /** Where the customer goes when the time runs out; none ends the journey. */
    onTimeout: idSchema.optional(),
  })
  .strict();

/** A branch condition: membership of a saved segment, or an inline rule in the segment language. */
export const branchConditionSchema = z.union([
  z.object({ segment: idSchema }).strict(),
  z.object({ rule: segmentRuleSchema }).strict(),
]);

/** The first case whose condition holds for the customer at that moment wins; else `default`. */
export const branchStepSchema = z
  .object({
    id: idSchema,
    type: z.literal('branch'),
    cases: z.array(z.object({ when: branchConditionSchema, next }).strict()).min(1).max(20),
    default: next,
  })
  .strict();

/** The longest conversion window an optimizing split may watch: its runs stay open that long. */
export const MAX_OPTIMIZE_WINDOW_MS = 30 * 86_400_000;

/**
 * Moves customers toward the path that converts (Thompson sampling on each path's conversions
 * so far, core/split-optimize.ts); a path with thin evidence keeps `minShare`.
 */
export const splitOptimizeSchema = z
  .object({
    goal: eventNameSchema.meta({ description: 'The event that counts as a conversion for the path the customer took' }),
    within: durationSchema
      .refine((text) => (parseDuration(text) ?? 0) <= MAX_OPTIMIZE_WINDOW_MS, 'must be at most 30d')
      .meta({ description: 'How long after the split the goal counts: a duration such as "3d", at most 30d; the run stays open, listening, that long' }),
    minShare: z
      .number()
      .gt(0)
      .max(0.5)
      .optional()
      .meta({ description: 'The share each path keeps while it has fewer than 100 settled trials (default 0.1, or 0.5 / paths when smaller); times the number of paths, below 1' }),
    segments: z
      .array(idSchema)
      .min(1)
      .max(10)
      .refine((ids) => new Set(ids).size === ids.length, 'segments must differ')
      .meta({ uniqueItems: true, description: 'Saved segments to learn for separately (the first the customer is in), besides everyone else' })
      .optional(),
  })
  .strict()
  .meta({ description: 'Moves customers toward the path that converts (Thompson sampling); needs two paths or more' });

/** What an optimizing split needs of its paths, beside what splitOptimizeSchema checks alone. */
function refineSplitOptimize(split: { paths: readonly unknown[]; optimize?: z.infer<typeof splitOptimizeSchema> }, ctx: z.RefinementCtx): void {
  const { optimize, paths } = split;
  if (!optimize) return;
  if (paths.length < 2) ctx.addIssue({ code: 'custom', message: 'an optimizing split needs at least two paths', path: ['optimize'] });
  if (optimize.minShare && optimize.minShare * paths.length >= 1) {
    ctx.addIssue({
      code: 'custom',
      message: 'minShare times the number of paths must be below 1, or nothing is left to move toward the best path',
      path: ['optimize', 'minShare'],
    });
  }
}

/**
 * Weighted random paths, the same path for a customer every time; a holdout ends the journey.
 * With `optimize`, the weights set only the holdout's share (its weight over all weights), and
 * the optimizer divides the rest among the paths.
 */
export const splitStepSchema = z
  .object({
    id: idSchema,
    type: z.literal('split'),
    paths: z
      .array(z.object({ name: idSchema, weight: z.number().int().min(1).max(1000), next }).strict())
      .min(1)
      .max(10)
      .refine((paths) => new Set(paths.map((p) => p.name)).size === paths.length, 'path names must differ'),
    /** A control group that receives nothing more from this journey. */
    holdout: z.object({ weight: z.number().int().min(1).max(1000) }).strict().optional(),
    optimize: splitOptimizeSchema.optional(),
  })
  .strict()
  .superRefine(refineSplitOptimize);

/**
 * A code-first type's split (core/code-journey-type.ts) as far as its `optimize` goes: checked
 * the same way a JSON split step's is.
 */
export const codeSplitOptimizeSchema = z.object({ paths: z.array(z.unknown()), optimize: splitOptimizeSchema.optional() }).superRefine(refineSplitOptimize);

export const exitStepSchema = z.object({ id: idSchema, type: z.literal('exit') }).strict();

export const stepSchema = z.discriminatedUnion('type', [
  sendStepSchema,
  waitStepSchema,
  waitForEventStepSchema,
  branchStepSchema,
  splitStepSchema,
  exitStepSchema,
]);

export type SendStep = z.infer<typeof sendStepSchema>;
export type ChannelSendStep = z.infer<typeof channelSendStepSchema>;
export type BestChannelSendStep = z.infer<typeof bestChannelSendStepSchema>;
export type WaitStep = z.infer<typeof waitStepSchema>;
export type WaitForEventStep = z.infer<typeof waitForEventStepSchema>;
export type BranchStep = z.infer<typeof branchStepSchema>;
export type BranchCondition = z.infer<typeof branchConditionSchema>;
export type SplitStep = z.infer<typeof splitStepSchema>;
export type SplitOptimize = z.infer<typeof splitOptimizeSchema>;
export type ExitStep = z.infer<typeof exitStepSchema>;
export type LocalTime = z.infer<typeof localTimeSchema>;
export type BestTime = z.infer<typeof bestTimeSchema>;
export type AttributeDate = z.infer<typeof attributeDateSchema>;
export type QuietHours = z.infer<typeof quietHoursSchema>;
export type AccountQuietHours = z.infer<typeof accountQuietHoursSchema>;
export type Step = z.infer<typeof stepSchema>;

