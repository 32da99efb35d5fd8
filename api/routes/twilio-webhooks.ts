// Twilio's webhooks: message status callbacks and inbound SMS (opt-out keywords). Mounted outside
// the API-key check: each request proves it comes from Twilio by its X-Twilio-Signature instead.
import express, { type RequestHandler, Router } from 'express';
import twilio from 'twilio';
import { z } from 'zod';
import { STATUS_RANK } from '../../core/delivery-status';
import { recordDeliveryStatus } from '../../db/delivery-reports';
import type { Models } from '../../db/models';
import { setConsent } from '../../lib/consent';
import type { JourneyEntry } from '../../lib/journey-entry';
import { text, type Operation } from '../openapi-spec';

export interface TwilioWebhookDeps {
  models: Models;
  authToken: string;
  /** The base URL Twilio calls us at (CAIRN_PUBLIC_URL): signatures cover the full URL. */
  publicUrl: string;
  /** Told of consent changes, so segment-based journeys see them. */
  entry?: Pick<JourneyEntry, 'customersChanged'>;
}

/** Twilio's standard keywords, matched against the whole message; Twilio sends the confirmations. */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP', 'OPTIN']);

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

export function twilioWebhooksRouter(deps: TwilioWebhookDeps): Router {
  const router = Router();
  const { deliveries, deliveryReports, customers } = deps.models;
  router.use(express.urlencoded({ extended: false }));
  router.use(verifySignature(deps.authToken, deps.publicUrl.replace(/\/+$/, '')));

  // Always 2xx once signed: Twilio retries other answers, and an unknown key stays unknown.
  router.post('/status', async (req, res) => {
    const key = typeof req.query.key === 'string' ? req.query.key : undefined;
    const params = formOf(req.body);
    const status = params.MessageStatus ?? params.SmsStatus;
    const rank = status === undefined ? undefined : STATUS_RANK[status];
    // One record per status, written once: callbacks in any order, twice, or at the same
    // moment leave the same records (db/delivery-reports.ts).
    const send = key && status && rank !== undefined ? await deliveries.findById(key, { journeyId: 1, stepId: 1 }).lean() : null;
    if (send) {
      await recordDeliveryStatus(deliveryReports, {
        key: key!,
        status: status!,
        channel: 'sms',
        journeyId: send.journeyId,
        stepId: send.stepId,
        ...(params.MessageSid ? { providerMessageId: params.MessageSid } : {}),
        ...(params.ErrorCode ? { errorCode: params.ErrorCode } : {}),
      });
    }
    res.status(204).end();
  });

  router.post('/inbound', async (req, res) => {
    const params = formOf(req.body);
    const keyword = (params.Body ?? '').trim().toUpperCase();
    const consent = OPT_OUT.has(keyword) ? false : OPT_IN.has(keyword) ? true : undefined;
    if (consent !== undefined && params.From) {
      // Everyone with that number: a shared phone opts out (or back in) for all of them.
      const holders = await customers.find({ phone: params.From }, { _id: 1 }).lean();
      await setConsent(deps, holders.map((c) => c._id), 'sms', consent);
    }
    res.type('text/xml').send(EMPTY_TWIML);
  });

  return router;
}

function verifySignature(authToken: string, publicUrl: string): RequestHandler {
  return (req, res, next) => {
    const signature = req.header('x-twilio-signature');
    const problem = !signature
      ? { code: 'missing_signature', message: 'the X-Twilio-Signature header is missing' }
      : !twilio.validateRequest(authToken, signature, publicUrl + req.originalUrl, paramsOf(req.body))
        ? { code: 'invalid_signature', message: 'the X-Twilio-Signature header does not match this request' }
        : undefined;
    if (problem) {
      res.status(403).json({ error: problem });
      return;
    }
    next();
  };
}

/** The form fields as parsed, repeated ones as arrays: the signature covers every value. */
function paramsOf(body: unknown): Record<string, string | string[]> {
  return body && typeof body === 'object' ? (body as Record<string, string | string[]>) : {};
}

/** The form fields, one value each (Twilio repeats none of those we read). */
function formOf(body: unknown): Record<string, string> {
  if (!body || typeof body !== 'object') return {};
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]));
}

const form = (schema: z.ZodObject) => ({ mediaType: 'application/x-www-form-urlencoded', schema });

/** Served only when Twilio is configured (TWILIO_AUTH_TOKEN). */
export const twilioWebhookOperations: Operation[] = [
  {
    method: 'post',
    path: '/webhooks/twilio/status',
    summary: "Twilio's message status callback: keeps the reported status for the send (delivery_reports)",
    auth: 'twilioSignature',
    query: z.object({ key: z.string().optional().meta({ description: "The send's idempotency key, set in the callback URL" }) }),
    body: form(z.object({ MessageSid: z.string().optional(), MessageStatus: z.string().optional(), ErrorCode: z.string().optional() })),
    ok: { 204: { description: 'Recorded (or an unknown key or status, ignored)' } },
  },
  {
    method: 'post',
    path: '/webhooks/twilio/inbound',
    summary: 'An inbound text: STOP and the other opt-out keywords set consent.sms to false, START and the others back to true',
    auth: 'twilioSignature',
    body: form(z.object({ From: z.string().optional(), Body: z.string().optional() })),
    ok: { 200: text('Empty TwiML', 'text/xml') },
  },
];
