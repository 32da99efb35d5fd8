// Engagement tracking, reached without an API key: the signed token is the credential
// (core/engagement-links.ts). An email's open pixel and click redirect, and the call an app makes
// when a push notification is opened. What they record is lib/engagement-events.ts.
import express, { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { readClickToken, readOpenToken } from '../../core/engagement-links';
import { TOKEN_PROBLEMS, type TokenProblem } from '../../core/signed-token';
import type { EngagementEvents } from '../../lib/engagement-events';
import { logger } from '../../lib/logger';
import { AppError } from '../errors';
import { json, named, type Operation } from '../openapi-spec';
import { parse, requestBody } from '../validate';

/** The smallest transparent GIF: 1x1, one colour. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const pushOpenedSchema = z
  .object({
    token: z.string().min(1).max(4_000).meta({ description: 'The `cairnOpenToken` of the notification’s FCM data' }),
  })
  .strict();

const pushOpenedResultSchema = named(
  'PushOpened',
  z.object({
    recorded: z.boolean().meta({ description: 'false: no sent message has this token’s send (a test send, or its customer was erased); nothing was stored' }),
  }),
);

/** Any origin: the token is the credential, never a cookie (web push calls from the site's service worker). */
const cors: RequestHandler = (req, res, next) => {
  res.set({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' });
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  next();
};

// The token (it names the send, and so the customer) stays out of Referer headers and caches.
const keepPrivate = (res: Response) => res.set({ 'Cache-Control': 'no-store, private', 'Referrer-Policy': 'no-referrer' });

const badLink = (what: string, reason: TokenProblem) => new AppError(404, 'not_found', `this ${what} ${TOKEN_PROBLEMS[reason]}`);

export function engagementRouter(deps: { secret: string; engagement: EngagementEvents }): Router {
  const router = Router();

  // A mail client or a proxy loads it, maybe many times: each load after the first is a duplicate.
  router.get('/t/o/:token', async (req, res) => {
    const read = readOpenToken(deps.secret, String(req.params.token));
    if (!read.ok) throw badLink('open pixel', read.reason);
    // The reader is owed the image whatever the store says: a failure is logged, not answered.
    await deps.engagement.opened(read.sendKey).catch((err) => logger.error({ err }, 'recording an email open failed'));
    keepPrivate(res).type('image/gif').send(PIXEL);
  });

  // Redirects only to the URL the token carries, which the rendered message held: never an open redirect.
  router.get('/t/c/:token', async (req, res) => {
    const read = readClickToken(deps.secret, String(req.params.token));
    if (!read.ok) throw badLink('link', read.reason);
    await deps.engagement.clicked(read.sendKey, read.url).catch((err) => logger.error({ err }, 'recording an email click failed'));
    keepPrivate(res).redirect(302, read.url);
  });

  // The app's call: errors are answered, so it can try again.
  router.use('/v1/push/opened', cors);
  router.post('/v1/push/opened', express.json({ limit: '8kb' }), async (req, res) => {
    const { token } = parse(pushOpenedSchema, requestBody(req));
    const read = readOpenToken(deps.secret, token);
    // The token is the call's credential: one this server did not sign is refused as such.
    if (!read.ok) throw new AppError(401, 'unauthorized', `the open token ${TOKEN_PROBLEMS[read.reason]}`);
    const outcome = await deps.engagement.opened(read.sendKey);
    res.json({ recorded: outcome === 'recorded' } satisfies z.infer<typeof pushOpenedResultSchema>);
  });

  return router;
}

const token = z.object({ token: z.string().meta({ description: 'The signed token of the tracking link' }) });

export const engagementOperations: Operation[] = [
  {
    method: 'get',
    path: '/t/o/{token}',
    summary: "An email's open pixel: records `message_opened` once per send and answers a 1x1 GIF (not cached)",
    auth: 'none',
    params: token,
    ok: { 200: { description: 'A transparent 1x1 GIF', content: { 'image/gif': { schema: z.string().meta({ format: 'binary' }) } } } },
    errors: { 404: 'Not a pixel this server signed (altered or malformed)' },
  },
  {
    method: 'get',
    path: '/t/c/{token}',
    summary: "An email's tracked link: records `message_clicked` once per send and link, then redirects to the link as the message held it",
    auth: 'none',
    params: token,
    ok: { 302: { description: 'To the original link (Location)', headers: { Location: { description: 'The link the rendered email held', schema: { type: 'string' } } } } },
    errors: { 404: 'Not a link this server signed (altered or malformed): no redirect' },
  },
  {
    method: 'post',
    path: '/v1/push/opened',
    summary: "The app's call when a push notification is opened: records `message_opened` once per send (no API key: the token is the credential)",
    description:
      'Send the `cairnOpenToken` from the notification’s FCM data. Repeated calls record nothing more. Any origin may call it (CORS), like the inbox.',
    auth: 'none',
    body: named('PushOpenedInput', pushOpenedSchema),
    ok: { 200: json('Recorded, or nothing to record', pushOpenedResultSchema) },
    errors: { 400: 'No JSON body, or no `token`', 401: 'The token is not an open token this server signed (altered or malformed)' },
  },
];
