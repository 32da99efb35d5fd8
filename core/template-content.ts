// What a template holds on each channel. Pure; the API validates with these schemas.
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

export type EmailContent = z.infer<typeof emailContentSchema>;
export type WebContent = z.infer<typeof webContentSchema>;
export type TemplateContent = EmailContent | WebContent;
