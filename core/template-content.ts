// What a template holds on each channel. Pure; the API validates with these schemas.
import { createHash } from 'node:crypto';
import { z } from 'zod';

const source = (max: number) => z.string().min(1).max(max);

export const emailContentSchema = z
  .object({
    subject: source(998),
    html: source(500_000).optional(),
    text: source(500_000).optional(),
  })
  .strict()
  .refine((c) => c.html !== undefined || c.text !== undefined, {
    message: 'an email template needs "html", "text" or both',
    path: ['html'],
  });

export const webContentSchema = z
  .object({
    title: source(200),
    body: source(10_000),
    link: source(2_000).optional(),
  })
  .strict();

/** An SMS body; long bodies go out as several segments (see core/sms-segments.ts). */
export const smsContentSchema = z.object({ body: source(1_600) }).strict();

/** A push notification: what the device shows, and where a tap leads. */
export const pushContentSchema = z
  .object({
    title: source(200),
    body: source(4_000),
    /** Opened on tap (web push and apps that handle links). */
    link: source(2_000).optional(),
    imageUrl: source(2_000).optional(),
  })
  .strict();

export type EmailContent = z.infer<typeof emailContentSchema>;
export type SmsContent = z.infer<typeof smsContentSchema>;
export type PushContent = z.infer<typeof pushContentSchema>;
export type WebContent = z.infer<typeof webContentSchema>;
export type TemplateContent = EmailContent | SmsContent | PushContent | WebContent;

/**
 * A fingerprint of rendered content, kept in the ledger when a message is handed to the
 * provider: a retry recognises what the earlier attempt sent even if a re-render differs.
 */
export function contentDigest(content: Readonly<Record<string, string | undefined>>): string {
  const fields = Object.keys(content)
    .filter((k) => content[k] !== undefined)
    .sort()
    .map((k) => [k, content[k]]);
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}
