// The web inbox as the customer's browser sees it, authenticated by a signed inbox token rather
// than an API key: the site's server issues the token (POST /v1/customers/:id/inbox-token) and
// hands it to the page. Called cross-origin from the customer's site.
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { StreamPosition } from '../../core/inbox-cursor';
import type { Models } from '../../db/models';
import { createInboxFeed } from '../../lib/inbox-feed';
import type { EngagementEvents } from '../../lib/engagement-events';
import { AppError, notFound } from '../errors';
import { publicFile } from '../public-files';
import { inboxAuth, issueInboxToken, requireInboxToken } from '../inbox-auth';
import {
  inboxListQuerySchema,
  inboxListResponseSchema,
  inboxMessageView,
  inboxMessageSchema,
  inboxReadAllResponseSchema,
  inboxTokenBodySchema,
  inboxTokenResponseSchema,
} from '../inbox-schemas';
import { idParam, json, named, text, type Operation } from '../openapi-spec';
import { parse, pathId } from '../validate';
import { inboxStream } from './inbox-stream';

/** Any origin: the token travels in a header or the URL, never in a cookie, so CORS guards nothing here. */
const cors: RequestHandler = (req, res, next) => {
  res.set({
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID',
    'Access-Control-Max-Age': '600',
  });
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  next();
};

export interface InboxRouterDeps {
  models: Models;
  secret: string;
  /** Reads and link clicks as `message_opened` and `message_clicked` events (lib/engagement-events.ts). */
  engagement: Pick<EngagementEvents, 'opened' | 'openedAll' | 'clicked'>;
  /** How often the shared poller looks for new messages while streams are open. Default 1,000. */
  pollIntervalMs?: number;
  /** How late a message may appear after its createdAt (write latency and clock skew). Default 10,000. */
  overlapMs?: number;
  /** Default 15,000. */
  heartbeatMs?: number;
}

export type InboxRouter = Router & {
  /** Ends every open stream (their browsers reconnect elsewhere): call before server.close(). */
  closeStreams(): void;
};

/** Mount at /inbox, outside API-key auth. Parses no bodies: no route takes one. */
export function inboxRouter(deps: InboxRouterDeps): InboxRouter {
  const { models } = deps;
  const feed = createInboxFeed(models.inbox, { pollIntervalMs: deps.pollIntervalMs, overlapMs: deps.overlapMs });
  const openStreams = new Set<() => void>();
  const router = Router();
  router.use(cors);

  router.get('/cairn-inbox.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'public, max-age=300').send(publicFile('cairn-inbox.js'));
  });

  router.use(requireInboxToken(deps.secret));

  /** The message, when it is in this customer's inbox: another's is as absent as one that never was. */
  async function ownMessage(id: string, customerId: string) {
    const found = await models.inbox.findById(id).lean();
    if (!found || found.customerId !== customerId) throw notFound(`inbox message "${id}"`);
    return found;
  }

  /** Newest first. */
  router.get('/messages', async (req, res) => {
    const { customerId } = inboxAuth(res);
    const query = parse(inboxListQuerySchema, req.query);
    const listedAt = Date.now();
    let older = {};
    if (query.before) {
      const from = await models.inbox.findById(query.before, { customerId: 1, createdAt: 1 }).lean();
      if (!from || from.customerId !== customerId) throw new AppError(400, 'invalid_request', `before: no message "${query.before}" in this inbox`);
      older = { $or: [{ createdAt: { $lt: from.createdAt } }, { createdAt: from.createdAt, _id: { $lt: from._id } }] };
    }
    const [found, unread] = await Promise.all([
      models.inbox.find({ customerId, ...older }).sort({ createdAt: -1, _id: -1 }).limit(query.limit + 1).lean(),
      models.inbox.countDocuments({ customerId, readAt: null }),
    ]);
    const page = found.slice(0, query.limit);
    let lastEventId: string | undefined;
    if (!query.before) {
      // The browser has this page; a stream resumed here sends only what it lacks.
      const position = StreamPosition.at(listedAt - feed.overlapMs);
      for (const m of page) if (position.lacks(m)) position.delivered(m);
      lastEventId = position.encode();
    }
    res.json({
      messages: page.map(inboxMessageView),
      unread,
      ...(found.length > query.limit ? { nextBefore: page[page.length - 1]._id } : {}),
      ...(lastEventId ? { lastEventId } : {}),
    } satisfies z.infer<typeof inboxListResponseSchema>);
  });

  /** Idempotent: the first read's time stays. A read is the message's open (recorded once). */
  router.post('/messages/:id/read', async (req, res) => {
    const { customerId } = inboxAuth(res);
    const id = req.params.id;
    const found = await ownMessage(id, customerId);
    // Every read, not only the first: one whose recording failed is recorded when read again.
    if (!found.test) await deps.engagement.opened(id);
    if (found.readAt) {
      res.json(inboxMessageView(found));
      return;
    }
    const readAt = new Date();
    const { modifiedCount } = await models.inbox.updateOne({ _id: id, readAt: null }, { $set: { readAt } });
    if (modifiedCount === 1) {
      feed.publishRead(customerId, [{ id, readAt }]);
      res.json(inboxMessageView({ ...found, readAt }));
      return;
    }
    // Another request read it first: answer with its time.
    res.json(inboxMessageView((await models.inbox.findById(id).lean()) ?? found));
  });

  /**
   * The message's link was followed: records `message_clicked` (and its open) once per message.
   * The link is the one stored with the message; the request names only the message.
   */
  router.post('/messages/:id/click', async (req, res) => {
    const id = req.params.id;
    const found = await ownMessage(id, inboxAuth(res).customerId);
    if (!found.link) throw new AppError(409, 'no_link', `inbox message "${id}" has no link to click`);
    if (!found.test) await deps.engagement.clicked(id, found.link);
    res.json(inboxMessageView(found));
  });

  router.post('/read-all', async (_req, res) => {
    const { customerId } = inboxAuth(res);
    const readAt = new Date();
    const unread = (await models.inbox.find({ customerId, readAt: null }, { _id: 1 }).lean()).map((m) => m._id);
    let read = 0;
    if (unread.length > 0) {
      // The opens first: a read-all that fails after marking them read would find none unread
      // when tried again, and the opens would be lost. Recorded twice, an open counts once.
      await deps.engagement.openedAll(unread);
      // Only the messages listed: one that arrives meanwhile has not been seen, so stays unread.
      read = (await models.inbox.updateMany({ customerId, _id: { $in: unread }, readAt: null }, { $set: { readAt } })).modifiedCount;
      feed.publishRead(customerId, unread.map((id) => ({ id, readAt })));
    }
    res.json({ read, readAt: readAt.toISOString() } satisfies z.infer<typeof inboxReadAllResponseSchema>);
  });

  router.get('/stream', inboxStream({ inbox: models.inbox, feed, openStreams, heartbeatMs: deps.heartbeatMs ?? 15_000 }));

  return Object.assign(router, {
    closeStreams() {
      for (const end of [...openStreams]) end();
    },
  });
}

/**
 * Mount under /v1/customers, behind API-key auth: POST /:id/inbox-token → { token, expiresAt }.
 * Parses its own JSON body (a no-op when the API has parsed it already).
 */
export function customerInboxTokenRouter(deps: { models: Models; secret: string }): Router {
  const router = Router();
  router.post('/:id/inbox-token', express.json({ limit: '4kb' }), async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const { expiresInSeconds } = parse(inboxTokenBodySchema, req.body ?? {});
    if (!(await deps.models.customers.exists({ _id: id }))) throw notFound(`customer "${id}"`);
    const expiresAt = new Date(Date.now() + expiresInSeconds * 1_000);
    res.json({ token: issueInboxToken(deps.secret, id, expiresAt), expiresAt: expiresAt.toISOString() } satisfies z.infer<typeof inboxTokenResponseSchema>);
  });
  return router;
}

const messages = named('InboxList', inboxListResponseSchema);
named('InboxMessage', inboxMessageSchema);

export const inboxOperations: Operation[] = [
  {
    method: 'get',
    path: '/inbox/cairn-inbox.js',
    summary: 'The browser snippet that shows the inbox (see docs/web-inbox.md)',
    auth: 'none',
    ok: { 200: text('JavaScript', 'text/javascript') },
    errors: { 404: 'The snippet is not installed with this server' },
  },
  {
    method: 'get',
    path: '/inbox/messages',
    summary: "The token's customer's inbox, newest first, with the unread count",
    auth: 'inboxToken',
    query: inboxListQuerySchema,
    ok: { 200: json('The messages', messages) },
    errors: { 400: 'Invalid query, or `before` is no message of this inbox' },
  },
  {
    method: 'post',
    path: '/inbox/messages/{id}/read',
    summary: 'Mark one message read (the first time counts); records `message_opened` once per message',
    auth: 'inboxToken',
    params: z.object({ id: z.string().meta({ description: 'Message ID' }) }),
    ok: { 200: json('The message', inboxMessageSchema) },
    errors: { 404: 'No such message in this inbox' },
  },
  {
    method: 'post',
    path: '/inbox/messages/{id}/click',
    summary: "Record that the message's link was followed (`message_clicked`, once per message); call it before following the link",
    auth: 'inboxToken',
    params: z.object({ id: z.string().meta({ description: 'Message ID' }) }),
    ok: { 200: json('The message', inboxMessageSchema) },
    errors: { 404: 'No such message in this inbox', 409: 'The message has no link' },
  },
  {
    method: 'post',
    path: '/inbox/read-all',
    summary: 'Mark every message read',
    auth: 'inboxToken',
    ok: { 200: json('Marked', named('InboxReadAll', inboxReadAllResponseSchema)) },
  },
  {
    method: 'get',
    path: '/inbox/stream',
    summary: 'Server-sent events: `message` (an InboxMessage) as each arrives, `read` (InboxReadEvent), `reset` (reload the list)',
    auth: 'inboxToken',
    query: z.object({
      lastEventId: z
        .string()
        .regex(/^[A-Za-z0-9_-]{0,4000}$/)
        .optional()
        .meta({ description: "Resume after this event (or send the Last-Event-ID header): the `lastEventId` of the list, or an event's ID; empty or absent: from now" }),
    }),
    ok: { 200: text('The event stream; `read` events carry an InboxReadEvent', 'text/event-stream') },
    errors: { 400: '`lastEventId` (or Last-Event-ID) is not an event ID of this stream' },
  },
  {
    method: 'post',
    path: '/v1/customers/{id}/inbox-token',
    summary: "Issue a token for the customer's browser to read their web inbox (your server calls this, with the API key)",
    auth: 'apiKey',
    params: z.object({ id: idParam('Customer ID') }),
    body: { mediaType: 'application/json', schema: named('InboxTokenInput', inboxTokenBodySchema), required: false },
    ok: { 200: json('The token', named('InboxToken', inboxTokenResponseSchema)) },
    errors: { 404: 'No such customer' },
  },
];
