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
import { readSuppression, suppressedAmong } from '../../db/suppressions';
import { suppressedCustomer } from '../suppressed';
import { customerExportSchema, writeCustomerExport } from '../customer-export';
import type { CustomerErasure } from '../../lib/customer-erasure';
import type { CustomerRuns } from '../../lib/customer-runs';

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

const batchAnswerSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  suppressed: z.array(z.string()).meta({ description: 'Erased, suppressed customers of the batch: not written (see DELETE /v1/customers/{id})' }),
});
const erasureSchema = named(
  'CustomerErasure',
  z.object({
    customerId: z.string(),
    customerHash: z.string().meta({ description: 'The hash the suppression keeps instead of the ID (SHA-256)' }),
    suppressedAt: z.date().meta({ description: 'Since when ingest refuses the customer (the first erasure)' }),
    erased: z
      .object({
        profile: z.boolean().meta({ description: 'A profile (with consent and event roll-ups) was deleted' }),
        events: z.number().int(),
        inboxMessages: z.number().int(),
        sends: z.number().int().meta({ description: 'Ledger rows, with their provider reports, kept as numbers only' }),
        journeyRuns: z.number().int().meta({ description: 'Runs deleted from Temporal, histories included' }),
        runsStopped: z.number().int().meta({ description: 'Of those, runs still running, stopped first' }),
      })
      .meta({ description: 'What this request removed: a repeated erasure finds nothing left' }),
  }),
);

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

export function customersRouter(
  models: Models,
  entry: Pick<JourneyEntry, 'customersChanged'>,
  privacy: { erasure: CustomerErasure; customerRuns: Pick<CustomerRuns, 'list'> },
): Router {
  const router = Router();

  /** Up to 1,000 customers in one request: all are validated before any is written. */
  router.post('/batch', async (req, res) => {
    const { customers: all } = parse(customerBatchSchema, requestBody(req));
    const before = await suppressedAmong(models.suppressions, all.map((c) => c.id));
    const customers = all.filter((c) => !before.has(c.id));
    const result =
      customers.length === 0
        ? { upsertedCount: 0, matchedCount: 0 }
        : await models.customers.bulkWrite(
            customers.map(({ id, ...fields }) => ({
              updateOne: { filter: { _id: id }, update: { ...customerUpdate(fields), $setOnInsert: { createdAt: new Date() }, $currentDate: { updatedAt: true } }, upsert: true },
            })),
            { ordered: false, timestamps: false },
          );
    // An erasure begun meanwhile may have deleted a customer before this write created it again.
    const late = await dropErasedMeanwhile(models, customers.map((c) => c.id));
    await entry.customersChanged(customers.map((c) => c.id).filter((id) => !late.has(id)));
    res.json({ created: result.upsertedCount, updated: result.matchedCount, suppressed: [...before, ...late] } satisfies z.infer<typeof batchAnswerSchema>);
  });

  /** Identify: creates the customer or merges the given fields into it (`{}`: none). */
  router.put(ONE_CUSTOMER, async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(customerBodySchema, requestBody(req));
    if (await readSuppression(models.suppressions, id)) throw suppressedCustomer(id, 'they cannot be created again');
    const { doc, created } = await upsertById(models.customers, id, customerUpdate(body));
    if ((await dropErasedMeanwhile(models, [id])).size > 0) throw suppressedCustomer(id, 'they cannot be created again');
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

  /**
   * Erasure: answers once it is done (runs stopped and deleted, sends settled, data gone), so
   * nothing is sent and nothing of the customer is left after the answer. No 404: a customer
   * without a profile may still have events, sends or runs, and asking again is harmless.
   */
  router.delete(ONE_CUSTOMER, async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const report = await privacy.erasure(id);
    res.json({ customerId: id, ...report } satisfies z.infer<typeof erasureSchema>);
  });

  /** Everything held about the customer, as one JSON download (GDPR access). */
  router.get('/:id/export', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    await writeCustomerExport({ models, runs: privacy.customerRuns, customerView }, id, res);
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

/** Deletes the customers among `ids` suppressed by now (an erasure under way); returns them. */
async function dropErasedMeanwhile(models: Pick<Models, 'customers' | 'suppressions'>, ids: string[]): Promise<Set<string>> {
  const late = await suppressedAmong(models.suppressions, ids);
  if (late.size > 0) await models.customers.deleteMany({ _id: { $in: [...late] } });
  return late;
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
    description: 'Each customer ID at most once in a batch (else 400). Erased, suppressed customers are not written: the answer lists them (`suppressed`).',
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
    errors: {
      400: 'Invalid input, or no JSON body: `error.details` names each wrong field',
      409: 'The customer was erased and is suppressed (`customer_suppressed`): lift it with DELETE /v1/suppressions/{id} first',
    },
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
    method: 'delete',
    path: '/v1/customers/{id}',
    summary: 'Erase a customer (GDPR): stop and delete their runs, delete their data, and suppress them so nothing creates them again',
    description:
      "Answers once the erasure is done: their journey runs are stopped (no message goes out after the answer) and deleted from Temporal; profile, consent, roll-ups, events, inbox messages, entries and cap places are deleted; ledger rows and provider reports keep only what journey stats count. A suppression (a hash of the ID) then refuses the customer's events and identifies (409 `customer_suppressed`) until lifted with DELETE /v1/suppressions/{customerId}. Never 404: a customer known only by events or sends is erased too, and erasing again is harmless.",
    auth: 'apiKey',
    params: customerId,
    ok: { 200: json('Erased', erasureSchema) },
  },
  {
    method: 'get',
    path: '/v1/customers/{id}/export',
    summary: 'Everything held about the customer, as one JSON document (GDPR access)',
    description:
      'Profile (with consent and event roll-ups), suppression, journey runs, inbox messages, sends with their explanation and provider reports, and every event, oldest first. Streamed, never truncated: `counts` at the end says how many of each were written; a failure part-way breaks the connection rather than end the document. A customer Cairn holds nothing about gets an empty export, not a 404.',
    auth: 'apiKey',
    params: z.object({ id: idParam('Customer ID') }),
    ok: { 200: json('The export (sent as an attachment)', customerExportSchema(customerViewSchema)) },
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
