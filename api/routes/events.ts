import { Router } from 'express';
import { z } from 'zod';
import { idSchema } from '../../core/journey-definition';
import { eventNameSchema } from '../../core/names';
import { attributeValues } from '../customer-input';
import type { EventIngest } from '../../lib/event-ingest';
import { json, named, type Operation } from '../openapi-spec';
import { parse } from '../validate';
import { suppressedCustomer } from '../suppressed';

const FUTURE_TOLERANCE_MS = 3_600_000;

export const eventSchema = z
  .object({
    /** Your ID for the event: sending it again is harmless. */
    id: idSchema,
    customerId: idSchema,
    name: eventNameSchema,
    /** When it happened (ISO 8601 with offset); default: when it arrives. */
    timestamp: z.iso
      .datetime({ offset: true })
      .transform((t) => new Date(t))
      .refine((t) => t.getTime() <= Date.now() + FUTURE_TOLERANCE_MS, 'must not be more than an hour in the future')
      .meta({ description: 'When it happened, ISO 8601 with an offset: at most an hour in the future (else 400); default: when it arrives' })
      .optional(),
    properties: attributeValues(100).optional(),
  })
  .strict();

export const MAX_EVENT_BATCH = 1000;

export const eventBatchSchema = z
  .object({
    events: z
      .array(eventSchema)
      .min(1)
      .max(MAX_EVENT_BATCH)
      .refine((list) => new Set(list.map((e) => e.id)).size === list.length, 'must not repeat an event ID')
      .meta({ description: 'Each event ID at most once' }),
  })
  .strict();

export function eventsRouter(events: Pick<EventIngest, 'ingest'>): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const event = parse(eventSchema, req.body);
    const result = await events.ingest([event]);
    // Not a 2xx that looks stored: the event was dropped, and the answer says why and what to do.
    if (result.suppressed > 0) throw suppressedCustomer(event.customerId, 'its events are not stored');
    res.status(202).json(result satisfies z.infer<typeof ingestResultSchema>);
  });

  /** Up to 1,000 events: all are validated before any is stored. */
  router.post('/batch', async (req, res) => {
    const { events: batch } = parse(eventBatchSchema, req.body);
    res.status(202).json((await events.ingest(batch)) satisfies z.infer<typeof ingestResultSchema>);
  });

  return router;
}

const ingestResultSchema = named(
  'IngestResult',
  z.object({
    /** Events stored now. */
    accepted: z.number().int(),
    /** Events whose ID was already stored. */
    duplicates: z.number().int(),
    suppressed: z.number().int().meta({ description: 'Events of erased, suppressed customers: not stored (see DELETE /v1/customers/{id})' }),
    suppressedEvents: z.array(z.string()).meta({ description: 'Their event IDs' }),
  }),
);

export const eventOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/events',
    summary: "Track one event; it updates the customer's roll-ups (a resent event ID is ignored)",
    auth: 'apiKey',
    body: named('EventInput', eventSchema),
    ok: { 202: json('Stored', ingestResultSchema) },
    errors: { 409: 'The customer was erased and is suppressed: the event is not stored (`customer_suppressed`; lift with DELETE /v1/suppressions/{customerId})' },
  },
  {
    method: 'post',
    path: '/v1/events/batch',
    summary: 'Track up to 1,000 events; all are validated before any is stored',
    description: 'Events of erased, suppressed customers are not stored: the answer counts and lists them (`suppressed`, `suppressedEvents`), and the others are stored.',
    auth: 'apiKey',
    body: named('EventBatchInput', eventBatchSchema),
    ok: { 202: json('Stored', ingestResultSchema) },
  },
];
