// The JSON of the browser-facing inbox API (api/routes/inbox.ts), for validation and OpenAPI.
import { z } from 'zod';
import type { InboxMessageDoc } from '../db/models';

const DAY_S = 86_400;
const isoDate = z.iso.datetime();

export const inboxMessageSchema = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  link: z.string().optional(),
  createdAt: isoDate,
  readAt: isoDate.optional(),
});

export const inboxListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** A message ID from the previous page: the messages older than it. */
  before: z.string().min(1).max(2_000).optional(),
});

export const inboxListResponseSchema = z.object({
  messages: z.array(inboxMessageSchema),
  unread: z.number().int(),
  /** Pass as `before` for the next page; absent on the last page. */
  nextBefore: z.string().optional(),
  /** First page only: pass to /inbox/stream as `lastEventId` to hear of every message after this list. */
  lastEventId: z.string().optional(),
});

export const inboxReadAllResponseSchema = z.object({ read: z.number().int(), readAt: isoDate });

/** The data of the stream's `event: read`. */
export const inboxReadEventSchema = z.object({ ids: z.array(z.string()), readAt: isoDate });

export const inboxTokenBodySchema = z
  .object({ expiresInSeconds: z.number().int().min(60).max(365 * DAY_S).default(30 * DAY_S) })
  .strict();

export const inboxTokenResponseSchema = z.object({ token: z.string(), expiresAt: isoDate });

export type InboxMessageView = z.infer<typeof inboxMessageSchema>;

/** No journey ID: that is the sender's business, not the customer's. */
export function inboxMessageView(m: InboxMessageDoc): InboxMessageView {
  return {
    id: m._id,
    title: m.title,
    body: m.body,
    ...(m.link ? { link: m.link } : {}),
    createdAt: m.createdAt.toISOString(),
    ...(m.readAt ? { readAt: m.readAt.toISOString() } : {}),
  };
}
