// Frequency caps: at most `limit` messages per customer in a rolling `window`, on some channels
// or across all of them. Pure: the rules' schema and the arithmetic; activities/caps.ts keeps
// the counts.
import { z } from 'zod';
import { CHANNELS, type Channel } from './channels';
import { DURATION_DOC, parseDuration } from './duration';
import { idSchema } from './journey-steps';

export const capRuleSchema = z
  .object({
    id: idSchema,
    /** The channels the rule counts and limits; all channels when absent. */
    channels: z.array(z.enum(CHANNELS)).min(1).optional(),
    limit: z.number().int().min(1).max(1000),
    window: z
      .string()
      .refine((w) => parseDuration(w) !== undefined, 'must be a duration such as "1d" or "1w"')
      .meta(DURATION_DOC),
  })
  .strict();

export const capRulesSchema = z
  .object({
    rules: z
      .array(capRuleSchema)
      .max(20)
      .refine((rules) => new Set(rules.map((r) => r.id)).size === rules.length, 'rule IDs must differ')
      .meta({ description: 'Each rule ID at most once' }),
  })
  .strict();

export type CapRule = z.infer<typeof capRuleSchema>;

export function rulesFor(rules: CapRule[], channel: Channel): CapRule[] {
  return rules.filter((rule) => !rule.channels || rule.channels.includes(channel));
}

export function windowMs(rule: CapRule): number {
  return parseDuration(rule.window)!;
}

/** The places sends hold under each rule (rule ID → newest `limit` places, oldest first): time in ms and send key. */
export type HeldPlaces = Record<string, { t: number; k: string }[]>;

/**
 * Whether the rule lets one more send in at `t`: its list is not full, or its oldest place has
 * left the window. Places inside the window are never the ones cut. activities/caps.ts asks the
 * same in its conditional update; the simulation's reserver asks it here.
 */
export function ruleAdmits(rule: CapRule, places: readonly { t: number }[], t: number): boolean {
  return places.length < rule.limit || places[0].t <= t - windowMs(rule);
}

/** A refused send's binding rule: the one whose place frees last, and when (a second from now at the soonest). */
export function capRefusal(applicable: CapRule[], held: HeldPlaces, t: number): { rule: string; retryAt: Date } {
  const waits = applicable.map((rule) => {
    const inWindow = (held[rule.id] ?? []).map((place) => place.t).filter((x) => x > t - windowMs(rule)).sort((a, b) => a - b);
    return { rule: rule.id, free: inWindow.length < rule.limit ? t : inWindow[inWindow.length - rule.limit] + windowMs(rule) };
  });
  const binding = waits.reduce((a, b) => (b.free > a.free ? b : a));
  return { rule: binding.rule, retryAt: new Date(Math.max(binding.free, t + 1_000)) };
}
