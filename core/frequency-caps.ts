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
