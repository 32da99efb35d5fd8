import { Router } from 'express';
import type { CustomerDoc, Models } from '../../db/models';
import { notFound } from '../errors';
import { parse, pathId, requestBody } from '../validate';
import { upsertById } from '../../db/upsert';
import type { JourneyEntry } from '../../lib/journey-entry';
import { customerBatchSchema, customerBodySchema, customerUpdate } from '../customer-input';
import { inboxMessageView } from '../inbox-schemas';

export function customerView(doc: CustomerDoc) {
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
    res.json({ created: result.upsertedCount, updated: result.matchedCount });
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
    });
  });

  return router;
}
