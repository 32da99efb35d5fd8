// What the API accepts about a customer, and how it becomes one atomic MongoDB update.
import { z } from 'zod';
import { CHANNELS } from '../core/channels';
import { idSchema } from '../core/journey-definition';
import { canonicalLocale, timeZoneSchema } from '../core/locale';
import { ATTRIBUTE_NAME, attributeNameSchema } from '../core/names';

const scalar = z.union([z.string().max(10_000), z.number(), z.boolean()]);

/** Values a marketer can store: scalars and flat arrays; no nested objects, so no operators. */
export const attributeValues = (max: number) =>
  z
    .record(attributeNameSchema, z.union([scalar, z.array(scalar).max(1000), z.null()]))
    .refine((a) => Object.keys(a).length <= max, `at most ${max} entries per request`)
    .meta({ maxProperties: max, propertyNames: { pattern: ATTRIBUTE_NAME.source } });

export const emailSchema = z.email().max(254);
export const phoneSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as "+447700900123"');
/** A device's FCM registration token. */
export const pushTokenSchema = z.string().min(1).max(4096);

export const customerFieldsSchema = z
  .object({
    // null removes a field.
    email: emailSchema.nullable().optional(),
    phone: phoneSchema.nullable().optional(),
    timeZone: timeZoneSchema.nullable().optional(),
    locale: z
      .string()
      .max(35)
      .refine((tag) => canonicalLocale(tag) !== undefined, 'must be a BCP 47 language tag such as "en-GB"')
      .transform((tag) => canonicalLocale(tag)!)
      .nullable()
      .optional(),
    /** Replaces the customer's push tokens. */
    pushTokens: z
      .array(z.object({ token: pushTokenSchema, platform: z.enum(['ios', 'android', 'web']) }).strict())
      .max(20)
      .nullable()
      .optional(),
    /** Per channel: false opts the customer out, true opts back in. */
    consent: z.partialRecord(z.enum(CHANNELS), z.boolean()).optional(),
    /** Merged into the stored attributes; null removes one. */
    attributes: attributeValues(200).optional(),
  })
  .strict();

export const customerBodySchema = customerFieldsSchema;

export const MAX_BATCH = 1000;

export const customerBatchSchema = z
  .object({
    customers: z
      .array(customerFieldsSchema.extend({ id: idSchema }))
      .min(1)
      .max(MAX_BATCH)
      .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'must not repeat a customer ID')
      .meta({ description: 'Each customer ID at most once' }),
  })
  .strict();

export type CustomerFields = z.infer<typeof customerFieldsSchema>;

/** One $set/$unset update: fields merge into the stored customer, null removes. */
export function customerUpdate(fields: CustomerFields): { $set?: Record<string, unknown>; $unset?: Record<string, ''> } {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  const assign = (path: string, value: unknown) => {
    if (value === null) $unset[path] = '';
    else if (value !== undefined) $set[path] = value;
  };
  assign('email', fields.email);
  assign('phone', fields.phone);
  assign('timeZone', fields.timeZone);
  assign('locale', fields.locale);
  assign('pushTokens', fields.pushTokens);
  for (const [channel, value] of Object.entries(fields.consent ?? {})) assign(`consent.${channel}`, value);
  for (const [key, value] of Object.entries(fields.attributes ?? {})) assign(`attributes.${key}`, value);
  // Empty operators are refused by some servers: leave them out.
  return { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) };
}
