import { Router } from 'express';
import { z } from 'zod';
import type { CustomerDoc, Models } from '../../db/models';
import { notFound } from '../errors';
import { parse, pathId } from '../validate';
import { upsertById } from '../../db/upsert';

const ATTRIBUTE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const scalar = z.union([z.string().max(10_000), z.number(), z.boolean()]);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.includes('/') || zone === 'UTC';
  } catch {
    return false;
  }
}

export const customerBodySchema = z
  .object({
    /** null removes the address. */
    email: z.email().max(254).nullable().optional(),
    timeZone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris" or "UTC"')
      .nullable()
      .optional(),
    /** Merged into the stored attributes; null removes one. */
    attributes: z
      .record(
        z.string().regex(ATTRIBUTE_KEY, 'attribute names use letters, digits and _ (at most 64, not starting with a digit)'),
        z.union([scalar, z.array(scalar).max(1000), z.null()]),
      )
      .refine((a) => Object.keys(a).length <= 200, 'at most 200 attributes per request')
      .optional(),
  })
  .strict();

export function customerView(doc: CustomerDoc) {
  return {
    id: doc._id,
    email: doc.email,
    timeZone: doc.timeZone,
    attributes: doc.attributes ?? {},
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export function customersRouter(models: Models): Router {
  const router = Router();

  /** Identify: creates the customer or merges the given fields into it. */
  router.put('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(customerBodySchema, req.body ?? {});
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    const assign = (path: string, value: unknown) => {
      if (value === null) unset[path] = '';
      else if (value !== undefined) set[path] = value;
    };
    assign('email', body.email);
    assign('timeZone', body.timeZone);
    for (const [key, value] of Object.entries(body.attributes ?? {})) assign(`attributes.${key}`, value);

    const { doc, created } = await upsertById(models.customers, id, { $set: set, $unset: unset });
    res.status(created ? 201 : 200).json(customerView(doc));
  });

  router.get('/:id', async (req, res) => {
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
      messages: messages.map((m) => ({
        id: m._id,
        journeyId: m.journeyId,
        title: m.title,
        body: m.body,
        link: m.link,
        createdAt: m.createdAt,
        readAt: m.readAt,
      })),
    });
  });

  return router;
}
