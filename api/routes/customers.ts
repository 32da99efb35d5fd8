import { Router } from 'express';
import { z } from 'zod';
import { CHANNELS } from '../../core/channels';
import { ID_PATTERN } from '../../core/ids';
import type { CustomerDoc, Models } from '../../db/models';
import { compileSegment } from '../../core/segment-filter';
import { notFound } from '../errors';
import { DEFAULT_PAGE_SIZE, listPage, pageQuerySchema, pageSchema } from '../list-page';
import { queryableRule } from '../segment-rule';
import { parse, pathId, requestBody } from '../validate';
import { upsertById } from '../../db/upsert';
import type { JourneyEntry } from '../../lib/journey-entry';
import { customerBatchSchema, customerBodySchema, customerUpdate } from '../customer-input';
import { inboxMessageSchema, inboxMessageView } from '../inbox-schemas';
import { idParam, json, named, type Operation } from '../openapi-spec';

const customerViewSchema = named(
  'Customer',
  z.object({
    id: z.string(),
    email: z.string().optional(),
    phone: z.string().optional(),
    timeZone: z.string().optional(),
    locale: z.string().optional(),
    pushTokens: z.array(z.object({ token: z.string(), platform: z.enum(['ios', 'android', 'web']) })),
    consent: z.partialRecord(z.enum(CHANNELS), z.boolean()),
    attributes: z.record(z.string(), z.unknown()),
    /** Per event name: count, first and last time. */
    events: z.record(z.string(), z.object({ count: z.number().int(), first: z.date(), last: z.date() })),
    lastSeenAt: z.date().optional(),
    createdAt: z.date(),
    updatedAt: z.date(),
  }),
);

const customerListQuerySchema = pageQuerySchema.extend({
  segmentId: idParam("Only the segment's members now (its rule as it matches at the request)").optional(),
});
const customerPageSchema = named('CustomerPage', pageSchema(customerViewSchema));

const batchAnswerSchema = z.object({ created: z.number().int(), updated: z.number().int() });
const customerInboxSchema = z.object({ messages: z.array(inboxMessageSchema.extend({ journeyId: z.string() })) });

export function customerView(doc: CustomerDoc): z.infer<typeof customerViewSchema> {
  return {
    id: doc._id,
    email: doc.email,
    phone: doc.phone,
    timeZone: doc.timeZone,
    locale: doc.locale,
    pushTokens: doc.pushTokens ?? [],
    consent: doc.consent ?? {},
    attributes: doc.attributes ?? {},
    events: doc.events ?? {},
    lastSeenAt: doc.lastSeenAt,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/**
 * `/:id`, except the batch route's own path (in any case, as routes match): a fixed path wins
 * over `{id}` (as in the OpenAPI document), so OPTIONS on it names the batch route's methods only.
 */
const ONE_CUSTOMER = /^\/(?!batch\/?$)(?<id>[^/]+)\/?$/i;

export function customersRouter(models: Models, entry: Pick<JourneyEntry, 'customersChanged'>): Router {
  const router = Router();

  /** Up to 1,000 customers in one request: all are validated before any is written. */
  router.post('/batch', async (req, res) => {
    const { customers } = parse(customerBatchSchema, requestBody(req));
    const result = await models.customers.bulkWrite(
      customers.map(({ id, ...fields }) => ({
        updateOne: { filter: { _id: id }, update: { ...customerUpdate(fields), $setOnInsert: { createdAt: new Date() }, $currentDate: { updatedAt: true } }, upsert: true },
      })),
      { ordered: false, timestamps: false },
    );
    await entry.customersChanged(customers.map((c) => c.id));
    res.json({ created: result.upsertedCount, updated: result.matchedCount } satisfies z.infer<typeof batchAnswerSchema>);
  });

  /** Identify: creates the customer or merges the given fields into it (`{}`: none). */
  router.put(ONE_CUSTOMER, async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(customerBodySchema, requestBody(req));
    const { doc, created } = await upsertById(models.customers, id, customerUpdate(body));
    // A failure here fails the request: the client's retry rewrites the same fields and tries again.
    await entry.customersChanged([doc]);
    res.status(created ? 201 : 200).json(customerView(doc));
  });

  /** Every customer, or a segment's members now, in ID order. */
  router.get('/', async (req, res) => {
    const query = parse(customerListQuerySchema, req.query);
    let filter = {};
    if (query.segmentId !== undefined) {
      const segment = await models.segments.findById(query.segmentId).lean();
      if (!segment) throw notFound(`segment "${query.segmentId}"`);
      filter = compileSegment(queryableRule(segment, 'listing its members'), new Date());
    }
    const { docs, next } = await listPage(models.customers, filter, query);
    res.json({ items: docs.map(customerView), next } satisfies z.infer<typeof customerPageSchema>);
  });

  router.get(ONE_CUSTOMER, async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const doc = await models.customers.findById(id).lean();
    if (!doc) throw notFound(`customer "${id}"`);
    res.json(customerView(doc));
  });

  /** The customer's web inbox, newest first. */
  router.get('/:id/inbox', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    if (!(await models.customers.exists({ _id: id }))) throw notFound(`customer "${id}"`);
    const messages = await models.inbox.find({ customerId: id }).sort({ createdAt: -1 }).limit(100).lean();
    res.json({
      // The customer's own view, plus which journey sent each message.
      messages: messages.map((m) => ({ ...inboxMessageView(m), journeyId: m.journeyId })),
    } satisfies z.infer<typeof customerInboxSchema>);
  });

  return router;
}

/** The batch route's path is no customer ID (see ONE_CUSTOMER). */
const customerId = z.object({
  id: idParam('Your ID for the customer (any but "batch")').meta({ pattern: `^(?![Bb][Aa][Tt][Cc][Hh]$)${ID_PATTERN.source.slice(1)}` }),
});

export const customerOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/customers',
    summary: `Customers in ID order, a page at a time (${DEFAULT_PAGE_SIZE} unless \`limit\` says otherwise): all, or a segment's members`,
    description:
      "With `segmentId`, each page applies the segment's rule as it stands when the page is read: a customer who joins or leaves between pages is listed or not by the page their ID falls in.",
    auth: 'apiKey',
    query: customerListQuerySchema,
    ok: { 200: json('A page of customers', customerPageSchema) },
    errors: { 404: 'No such segment', 409: 'The segment holds a rule that no longer validates: save it again' },
  },
  {
    method: 'post',
    path: '/v1/customers/batch',
    summary: 'Create or update up to 1,000 customers; all are validated before any is written',
    description: 'Each customer ID at most once in a batch (else 400).',
    auth: 'apiKey',
    body: named('CustomerBatchInput', customerBatchSchema),
    ok: { 200: json('Written', batchAnswerSchema) },
  },
  {
    method: 'put',
    path: '/v1/customers/{id}',
    summary: 'Create a customer or merge fields into it (null removes a field; `{}` creates it with none)',
    auth: 'apiKey',
    params: customerId,
    body: named('CustomerInput', customerBodySchema),
    ok: { 200: json('Updated', customerViewSchema), 201: json('Created', customerViewSchema) },
    errors: { 400: 'Invalid input, or no JSON body: `error.details` names each wrong field' },
  },
  {
    method: 'get',
    path: '/v1/customers/{id}',
    summary: 'Read a customer',
    auth: 'apiKey',
    params: customerId,
    ok: { 200: json('The customer', customerViewSchema) },
    errors: { 404: 'No such customer' },
  },
  {
    method: 'get',
    path: '/v1/customers/{id}/inbox',
    summary: "The customer's web inbox, newest first (100 at most), with the journey that sent each message",
    auth: 'apiKey',
    params: z.object({ id: idParam('Customer ID') }),
    ok: { 200: json('Messages', customerInboxSchema) },
    errors: { 404: 'No such customer' },
  },
];
