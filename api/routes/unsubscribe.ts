// The target of unsubscribe links and List-Unsubscribe headers (RFC 8058), reached without an
// API key: the signed token in the path is the authority. GET only shows a page, because mail
// scanners open every link; the opt-out happens on POST, from the page's button or from the
// mailbox provider's one-click request (body `List-Unsubscribe=One-Click`).
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { CHANNELS } from '../../core/channels';
import type { Channel } from '../../core/channels';
import { TOKEN_PROBLEMS } from '../../core/signed-token';
import { readUnsubscribeToken, type UnsubscribeRequest } from '../../core/unsubscribe-links';
import type { CustomerDoc, Models } from '../../db/models';
import type { JourneyEntry } from '../../lib/journey-entry';
import { AppError, errorBodySchema } from '../errors';
import { text, type Operation } from '../openapi-spec';
import { setConsent } from '../../lib/consent';

export interface UnsubscribeRouterDeps {
  models: Models;
  secret: string;
  /** Re-evaluates segment membership (journeys that exit on leaving a reachable-by-email segment). */
  entry?: Pick<JourneyEntry, 'customersChanged'>;
}

const WHAT: Record<Channel, string> = {
  email: 'marketing email',
  sms: 'marketing text messages',
  push: 'marketing push notifications',
  web: 'messages in your inbox on our site',
};

/** Mount at /unsubscribe, outside API-key auth. Parses its own form bodies. */
export function unsubscribeRouter(deps: UnsubscribeRouterDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '2kb' }));

  router.get('/:token', async (req, res) => {
    const found = await checked(deps, req, res);
    if (!found) return;
    const { request, consent } = found;
    const already = consent?.[request.channel] === false;
    page(res, 200, 'Unsubscribe', [
      already
        ? `<p>You are already unsubscribed from ${WHAT[request.channel]}.</p>`
        : `<p>Press the button to stop receiving ${WHAT[request.channel]} from us. Messages about your account and orders still reach you.</p>`,
      already ? '' : '<form method="post"><button type="submit">Unsubscribe</button></form>',
    ]);
  });

  /** Idempotent: unsubscribing twice is unsubscribed. */
  router.post('/:token', async (req, res) => {
    const found = await checked(deps, req, res);
    if (!found) return;
    const { customerId, channel } = found.request;
    await setConsent(deps, [customerId], channel, false);
    if (wantsHtml(req)) page(res, 200, 'Unsubscribed', [`<p>You are unsubscribed from ${WHAT[channel]}.</p>`]);
    else res.json({ unsubscribed: true, channel } satisfies z.infer<typeof unsubscribedSchema>);
  });

  return router;
}

/** The token's request and the customer's consent now, or undefined once a 400 or 404 has been answered. */
async function checked(
  deps: UnsubscribeRouterDeps,
  req: Request,
  res: Response,
): Promise<{ request: UnsubscribeRequest; consent: CustomerDoc['consent'] } | undefined> {
  const read = readUnsubscribeToken(deps.secret, String(req.params.token));
  if (!read.ok) {
    fail(req, res, 400, 'invalid_token', `this unsubscribe link ${TOKEN_PROBLEMS[read.reason]}`);
    return undefined;
  }
  const customer = await deps.models.customers.findById(read.request.customerId, { consent: 1 }).lean();
  if (!customer) {
    fail(req, res, 404, 'not_found', 'this unsubscribe link is for someone we no longer know');
    return undefined;
  }
  return { request: read.request, consent: customer.consent };
}

// Browsers get pages; mailbox providers and scripts (no Accept header, or any type) get JSON.
const wantsHtml = (req: Request) => req.accepts(['json', 'html']) === 'html';

function fail(req: Request, res: Response, status: number, code: string, message: string): void {
  if (!wantsHtml(req)) throw new AppError(status, code, message);
  page(res, status, 'Unsubscribe', [`<p>Sorry: ${escapeHtml(message)}.</p>`]);
}

function page(res: Response, status: number, title: string, body: string[]): void {
  res
    .status(status)
    .set({
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      // The token is in the URL: keep it out of Referer headers.
      'Referrer-Policy': 'no-referrer',
    })
    .type('html')
    .send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
button { font: inherit; padding: .5rem 1.25rem; border: 0; border-radius: .25rem; background: #222; color: #fff; cursor: pointer; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body.join('\n')}
</body>
</html>
`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const unsubscribedSchema = z.object({ unsubscribed: z.literal(true), channel: z.enum(CHANNELS) });
const token = z.object({ token: z.string().meta({ description: 'From the List-Unsubscribe link' }) });
/** A page for browsers (Accept: text/html), the JSON error shape for the rest. */
const refusal = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorBodySchema }, 'text/html': { schema: z.string() } },
});
const refusals = { 400: refusal('The link is not valid (altered or expired)'), 404: refusal('The link is for a customer who no longer exists') };

export const unsubscribeOperations: Operation[] = [
  {
    method: 'get',
    path: '/unsubscribe/{token}',
    summary: 'A confirmation page; changes nothing (link scanners follow links)',
    auth: 'none',
    params: token,
    ok: { 200: text('The page', 'text/html'), ...refusals },
  },
  {
    method: 'post',
    path: '/unsubscribe/{token}',
    summary: 'Unsubscribe from the channel (RFC 8058 one-click: body `List-Unsubscribe=One-Click`); JSON or HTML by Accept',
    auth: 'none',
    params: token,
    body: {
      mediaType: 'application/x-www-form-urlencoded',
      schema: z.object({ 'List-Unsubscribe': z.literal('One-Click').optional() }),
      required: false,
    },
    ok: {
      200: { description: 'Unsubscribed', content: { 'application/json': { schema: unsubscribedSchema }, 'text/html': { schema: z.string() } } },
      ...refusals,
    },
  },
];
