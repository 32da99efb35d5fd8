// Suppressions (db/suppressions.ts): erased customers whom ingest refuses. Read and lifted by
// the customer's ID; the store holds only its hash.
import { Router } from 'express';
import { z } from 'zod';
import type { Models } from '../../db/models';
import { liftSuppression, readSuppression } from '../../db/suppressions';
import { notFound } from '../errors';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { pathId } from '../validate';

const suppressionSchema = named(
  'Suppression',
  z.object({
    customerId: z.string(),
    customerHash: z.string().meta({ description: 'What the store keeps (SHA-256 of the ID)' }),
    suppressedAt: z.date(),
  }),
);

export function suppressionsRouter(models: Pick<Models, 'suppressions'>): Router {
  const router = Router();

  router.get('/:customerId', async (req, res) => {
    const id = pathId(req.params.customerId, 'customerId');
    const found = await readSuppression(models.suppressions, id);
    if (!found) throw notFound(`suppression of customer "${id}"`);
    res.json({ customerId: id, customerHash: found._id, suppressedAt: found.suppressedAt } satisfies z.infer<typeof suppressionSchema>);
  });

  /** Lifting accepts the customer again: nothing erased comes back, a new identify starts afresh. */
  router.delete('/:customerId', async (req, res) => {
    const id = pathId(req.params.customerId, 'customerId');
    if (!(await liftSuppression(models.suppressions, id))) throw notFound(`suppression of customer "${id}"`);
    res.status(204).end();
  });

  return router;
}

const params = z.object({ customerId: idParam('The erased customer’s ID') });

export const suppressionOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/suppressions/{customerId}',
    summary: 'Whether an erased customer is suppressed (ingest refuses them), and since when',
    auth: 'apiKey',
    params,
    ok: { 200: json('Suppressed', suppressionSchema) },
    errors: { 404: 'The customer is not suppressed' },
  },
  {
    method: 'delete',
    path: '/v1/suppressions/{customerId}',
    summary: 'Lift a suppression: events and identifies for the customer are accepted again (nothing erased comes back)',
    auth: 'apiKey',
    params,
    ok: { 204: { description: 'Lifted' } },
    errors: { 404: 'The customer is not suppressed' },
  },
];
