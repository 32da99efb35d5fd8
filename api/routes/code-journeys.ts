import { Router } from 'express';
import { z } from 'zod';
import { CODE_JOURNEYS } from '../../core/code-journeys';
import type { Models } from '../../db/models';
import type { JourneyRuns } from '../../lib/journey-runs';
import { notFound } from '../errors';
import { parse, pathId } from '../validate';
import { customerIdsSchema, enterCustomers } from './launches';

export const codeLaunchBodySchema = z.object({ customerIds: customerIdsSchema }).strict();

/** Journeys written in TypeScript (workflows/code-first/): list them, and enter customers. */
export function codeJourneysRouter(deps: { models: Models; runs: JourneyRuns }): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({ journeys: Object.entries(CODE_JOURNEYS).map(([id, j]) => ({ id, ...j })) });
  });

  /** Their runs then read like any journey's: GET /v1/journeys/{id}/runs/{customerId}. */
  router.post('/:id/launch', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const journey = CODE_JOURNEYS[id];
    if (!journey) throw notFound(`code-first journey "${id}"`);
    const { customerIds } = parse(codeLaunchBodySchema, req.body);
    const outcome = await enterCustomers(deps.models, deps.runs, { journeyId: id, workflowType: journey.workflowType }, customerIds);
    res.status(202).json({ journeyId: id, ...outcome });
  });

  return router;
}
