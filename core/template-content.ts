// What a template holds on each channel. Pure; the API validates with these schemas.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Channel } from './channels';

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

/** What an email tracks (README "Engagement tracking"): both on unless set to false. */
export const emailTrackingSchema = z
  .object({
    opens: z.boolean().optional().meta({ description: 'Add an open pixel to the HTML part (default true)' }),
    clicks: z.boolean().optional().meta({ description: "Send the HTML part's web links through the signed click redirect (default true)" }),
  })
  .strict();

/** A template as the API takes it (and the cairn CLI reads it from a file): a channel and its content. */
export const templateBodySchema = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('email'), content: emailContentSchema, tracking: emailTrackingSchema.optional() }).strict(),
  z.object({ channel: z.literal('sms'), content: smsContentSchema }).strict(),
  z.object({ channel: z.literal('push'), content: pushContentSchema }).strict(),
  z.object({ channel: z.literal('web'), content: webContentSchema }).strict(),
]);
export type TemplateBody = z.infer<typeof templateBodySchema>;

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

/** Fields holding a URL. The message's other fields are its text. */
export const LINK_FIELDS: ReadonlySet<string> = new Set(['link', 'imageUrl']);

/** Hosts a link may reach over plain http: this machine, for development. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1']);

/**
 * A web inbox link may be relative (`/tips`): the inbox script resolves it against the page it
 * shows on, the customer's own site. It is checked as resolved against this stand-in page.
 */
const INBOX_PAGE = 'https://inbox-page.invalid/';

/**
 * Why a link may not go out, or undefined: https: only (a `javascript:` link runs script where
 * it is opened), http: for this machine, and in the web inbox a link relative to its page.
 */
export function linkProblem(channel: Channel, value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value, channel === 'web' ? INBOX_PAGE : undefined);
  } catch {
    return 'must be an absolute https: URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') return LOCAL_HOSTS.has(url.hostname) ? undefined : 'http: is allowed for localhost and 127.0.0.1 only: use https:';
  return `${url.protocol} links are not allowed: use https:`;
}

/**
 * Why rendered content must not go out, as the send's failure reason, or undefined when it may:
 * `rendered-empty:<field>` when a text field renders blank (the customer would get an empty
 * message), `rendered-bad-link:<field>` when a link renders to what linkProblem refuses. A link
 * that renders to nothing is left out of the message.
 */
export function renderedProblem(channel: Channel, content: Readonly<Record<string, string | undefined>>): string | undefined {
  const [first] = renderedProblems(channel, content);
  return first && `rendered-${first.problem}:${first.field}`;
}

export interface RenderedProblem {
  field: string;
  problem: 'empty' | 'bad-link';
  message: string;
}

/** Every field renderedProblem would refuse, in field order (a preview shows them all). */
export function renderedProblems(channel: Channel, content: Readonly<Record<string, string | undefined>>): RenderedProblem[] {
  return Object.entries(content).flatMap(([field, value]): RenderedProblem[] => {
    if (value === undefined) return [];
    if (!LINK_FIELDS.has(field)) return value.trim() === '' ? [{ field, problem: 'empty' as const, message: 'renders empty' }] : [];
    const bad = value === '' ? undefined : linkProblem(channel, value);
    return bad ? [{ field, problem: 'bad-link' as const, message: `renders to a link that cannot go out: ${bad}` }] : [];
  });
}
