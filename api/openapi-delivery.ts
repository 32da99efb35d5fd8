// The delivery part of the OpenAPI document, merged in by api/openapi.ts: the customer's web
// inbox (browser-facing, with an inbox token), unsubscribe links and Twilio's webhooks.
import { z } from 'zod';
import { errorResponses, idParam, json, ok, ref } from './openapi-parts';
import {
  inboxListResponseSchema,
  inboxMessageSchema,
  inboxReadAllResponseSchema,
  inboxReadEventSchema,
  inboxTokenBodySchema,
  inboxTokenResponseSchema,
} from './inbox-schemas';

const inboxSecurity = [{ inboxToken: [] }];
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const form = (properties: Record<string, object>) => ({ 'application/x-www-form-urlencoded': { schema: { type: 'object', properties } } });
const twilioSignature = {
  name: 'X-Twilio-Signature',
  in: 'header',
  required: true,
  schema: { type: 'string' },
  description: "Twilio's signature of CAIRN_PUBLIC_URL + path and the form fields; a bad one is answered 403",
};

export const deliverySecuritySchemes = {
  inboxToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'A customer inbox token from POST /v1/customers/{id}/inbox-token (or `?token=` where a browser cannot set headers)',
  },
};

export function deliverySchemas(): Record<string, object> {
  const named = {
    InboxMessage: inboxMessageSchema,
    InboxList: inboxListResponseSchema,
    InboxReadAll: inboxReadAllResponseSchema,
    InboxReadEvent: inboxReadEventSchema,
    InboxTokenInput: inboxTokenBodySchema,
    InboxToken: inboxTokenResponseSchema,
  };
  return Object.fromEntries(Object.entries(named).map(([name, schema]) => [name, withoutDialect(z.toJSONSchema(schema, { io: 'input' }))]));
}

function withoutDialect(schema: Record<string, unknown>): object {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

export function deliveryPaths(): Record<string, object> {
  return {
    '/v1/customers/{id}/inbox-token': {
      parameters: [idParam('id', 'Customer ID')],
      post: {
        summary: "Issue a token for the customer's browser to read their web inbox (your server calls this, with the API key)",
        requestBody: { required: false, content: json(ref('InboxTokenInput')) },
        responses: { '200': ok('The token', ref('InboxToken')), ...errorResponses },
      },
    },
    '/inbox/messages': {
      get: {
        summary: "The token's customer's inbox, newest first, with the unread count",
        security: inboxSecurity,
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'before', in: 'query', schema: { type: 'string' }, description: '`nextBefore` of the previous page' },
        ],
        responses: { '200': ok('The messages', ref('InboxList')), ...errorResponses },
      },
    },
    '/inbox/messages/{id}/read': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        summary: 'Mark one message read (the first time counts)',
        security: inboxSecurity,
        responses: { '200': ok('The message', ref('InboxMessage')), ...errorResponses },
      },
    },
    '/inbox/read-all': {
      post: { summary: 'Mark every message read', security: inboxSecurity, responses: { '200': ok('Marked', ref('InboxReadAll')), ...errorResponses } },
    },
    '/inbox/stream': {
      get: {
        summary: 'Server-sent events: `message` (an InboxMessage) as each arrives, `read` (InboxReadEvent), `reset` (reload the list)',
        security: inboxSecurity,
        parameters: [
          { name: 'token', in: 'query', schema: { type: 'string' }, description: 'The inbox token, for EventSource' },
          { name: 'lastEventId', in: 'query', schema: { type: 'string' }, description: 'Resume after this event (or the Last-Event-ID header)' },
        ],
        responses: { '200': { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errorResponses },
      },
    },
    '/inbox/cairn-inbox.js': {
      get: {
        summary: 'The browser snippet that shows the inbox (see docs/web-inbox.md)',
        security: [],
        responses: { '200': { description: 'JavaScript', content: { 'text/javascript': { schema: { type: 'string' } } } } },
      },
    },
    '/unsubscribe/{token}': {
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' }, description: 'From the List-Unsubscribe link' }],
      get: {
        summary: 'A confirmation page; changes nothing (link scanners follow links)',
        security: [],
        responses: { '200': html('The page'), '400': html('The link is not valid'), '404': html('No such customer') },
      },
      post: {
        summary: 'Unsubscribe from email (RFC 8058 one-click: body `List-Unsubscribe=One-Click`); JSON or HTML by Accept',
        security: [],
        requestBody: { required: false, content: form({ 'List-Unsubscribe': { type: 'string', enum: ['One-Click'] } }) },
        responses: {
          '200': ok('Unsubscribed', { type: 'object', properties: { unsubscribed: { type: 'boolean' }, channel: { type: 'string' } } }),
          '400': ok('The link is not valid', ref('Error')),
          '404': ok('No such customer', ref('Error')),
        },
      },
    },
    '/webhooks/twilio/status': {
      post: {
        summary: "Twilio's message status callback: keeps the reported status for the send (delivery_reports). Served when Twilio is configured",
        security: [],
        parameters: [{ name: 'key', in: 'query', required: true, schema: { type: 'string' }, description: "The send's idempotency key" }, twilioSignature],
        requestBody: { required: true, content: form({ MessageSid: { type: 'string' }, MessageStatus: { type: 'string' }, ErrorCode: { type: 'string' } }) },
        responses: { '204': { description: 'Recorded (or unknown key)' }, '403': ok('Bad or missing signature', ref('Error')) },
      },
    },
    '/webhooks/twilio/inbound': {
      post: {
        summary: 'An inbound text: STOP and the other opt-out keywords set consent.sms to false, START and the others back to true. Served when Twilio is configured',
        security: [],
        parameters: [twilioSignature],
        requestBody: { required: true, content: form({ From: { type: 'string' }, Body: { type: 'string' } }) },
        responses: {
          '200': { description: 'Empty TwiML', content: { 'text/xml': { schema: { type: 'string' } } } },
          '403': ok('Bad or missing signature', ref('Error')),
        },
      },
    },
  };
}
