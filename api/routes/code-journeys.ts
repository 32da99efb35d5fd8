import { Router } from 'express';
import { z } from 'zod';
import { CODE_JOURNEYS } from '../../core/code-journeys';
import type { Models } from '../../db/models';
import type { JourneyRuns } from '../../lib/journey-runs';
import { notFound } from '../errors';
import { launchOutcomeSchema } from '../journey-schemas';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId } from '../validate';
import { customerIdsSchema, enterCustomers } from './launches';

export const codeLaunchBodySchema = z.object({ customerIds: customerIdsSchema }).strict();

/** Journeys written in TypeScript (workflows/code-first/): list them, and enter customers. */
export function codeJourneysRouter(deps: { models: Models; runs: JourneyRuns }): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({ journeys: Object.entries(CODE_JOURNEYS).map(([id, j]) => ({ id, ...j })) } satisfies z.infer<typeof codeJourneysSchema>);
  });

  /** Their runs then read like any journey's: GET /v1/journeys/{id}/runs/{customerId}. */
  router.post('/:id/launch', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const journey = CODE_JOURNEYS[id];
    if (!journey) throw notFound(`code-first journey "${id}"`);
    const { customerIds } = parse(codeLaunchBodySchema, req.body);
    const outcome = await enterCustomers(deps.models, deps.runs, { journeyId: id, workflowType: journey.workflowType }, customerIds);
    res.status(202).json({ journeyId: id, ...outcome } satisfies z.infer<typeof launchOutcomeSchema>);
  });

  return router;
}

const codeJourneysSchema = z.object({
  journeys: z.array(z.object({ id: z.string(), workflowType: z.string(), description: z.string(), listensTo: z.array(z.string()).readonly() })),
});

export const codeJourneyOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/code-journeys',
    summary: 'The code-first journey types this deployment runs',
    auth: 'apiKey',
    ok: { 200: json('The types', codeJourneysSchema) },
  },
  {
    method: 'post',
    path: '/v1/code-journeys/{id}/launch',
    summary: 'Enter up to 1,000 customers into a code-first journey; runs read at /v1/journeys/{id}/runs/{customerId}',
    auth: 'apiKey',
    params: z.object({ id: idParam('Code-first journey ID, e.g. onboarding') }),
    body: named('CodeLaunchInput', codeLaunchBodySchema),
    ok: { 202: json('Runs started', launchOutcomeSchema) },
    errors: { 400: 'Invalid input, or a listed customer does not exist: `error.details` names each', 404: 'No such code-first journey' },
  },
];
