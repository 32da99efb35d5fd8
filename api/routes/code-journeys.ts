import { Router } from 'express';
import { z } from 'zod';
import { CODE_JOURNEYS } from '../../core/code-journeys';
import { entrySchema, settingsSchema } from '../../core/journey-definition';
import { registerCodeJourneys } from '../../db/code-journey-records';
import type { JourneyDoc, Models } from '../../db/models';
import { conflict, notFound } from '../errors';
import { launchAnswerSchema, type LaunchAnswer } from '../journey-schemas';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId } from '../validate';
import { launchBody, type launchRoutes, launchTargets } from './launches';

export const codeLaunchBodySchema = launchBody({
  ...launchTargets,
  /** What every run of this launch (and, going live, every live entry) gets, checked by the type's schema. */
  input: z.record(z.string(), z.unknown()).optional().meta({ description: "The type's input (see GET /v1/code-journeys: `inputSchema`); fields it does not name are refused" }),
});

/**
 * Journeys written in TypeScript (workflows/code-first/): list them, and launch them with input.
 * Everything else (stats, pause, resume, stop, archive, runs) is at /v1/journeys/{id}, as for
 * any journey: each type has a journey record (db/code-journey-records.ts).
 */
export function codeJourneysRouter(deps: { models: Models; launch: ReturnType<typeof launchRoutes>['launch'] }): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({
      journeys: Object.values(CODE_JOURNEYS).map((t) => ({
        id: t.id,
        workflowType: t.workflowType,
        description: t.description,
        listensTo: [...t.listensTo],
        steps: [...t.steps],
        templates: [...t.templates],
        segments: [...(t.segments ?? [])],
        ...(t.entry ? { entry: t.entry } : {}),
        ...(t.settings ? { settings: t.settings } : {}),
        inputSchema: z.toJSONSchema(t.input, { io: 'input' }) as Record<string, unknown>,
      })),
    } satisfies z.infer<typeof codeJourneysSchema>);
  });

  router.post('/:id/launch', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const type = CODE_JOURNEYS[id];
    if (!type) throw notFound(`code-first journey "${id}"`);
    const body = parse(codeLaunchBodySchema, req.body ?? {});
    const input = parse(type.input, body.input ?? {}, 'input');
    const journey = await journeyRecord(id);
    const answer = await deps.launch(journey, { journeyId: id, workflowType: type.workflowType, input }, type.entry, body);
    res.status(202).json(answer satisfies LaunchAnswer);
  });

  /** The type's journey record; registered now if this process started before it was. */
  async function journeyRecord(id: string): Promise<JourneyDoc> {
    let journey = await deps.models.journeys.findById(id).lean();
    if (!journey) {
      await registerCodeJourneys(deps.models, [CODE_JOURNEYS[id]]);
      journey = await deps.models.journeys.findById(id).lean();
    }
    if (journey?.kind !== 'code') throw conflict(`journey "${id}" is a JSON journey, not the code-first type of that ID: rename one of them`);
    return journey;
  }

  return router;
}

const codeJourneysSchema = z.object({
  journeys: z.array(
    z.object({
      id: z.string(),
      workflowType: z.string(),
      description: z.string(),
      listensTo: z.array(z.string()),
      /** Every step ID the type runs: GET /v1/journeys/{id}/stats counts each. */
      steps: z.array(z.string()),
      /** The templates its sends use (fallbacks included): deleting one answers 409 while the type is not archived. */
      templates: z.array(z.string()),
      /** The segments its branches test: likewise. */
      segments: z.array(z.string()),
      entry: entrySchema.optional(),
      settings: settingsSchema.optional(),
      /** JSON Schema of the launch's `input`. */
      inputSchema: z.record(z.string(), z.unknown()),
    }),
  ),
});

export const codeJourneyOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/code-journeys',
    summary: 'The code-first journey types this deployment runs, with their steps, entry, settings and input schema',
    auth: 'apiKey',
    ok: { 200: json('The types', codeJourneysSchema) },
  },
  {
    method: 'post',
    path: '/v1/code-journeys/{id}/launch',
    summary:
      'Launch a code-first journey with input: up to 1,000 customers now, a segment in the background, or (no customers or segment) live by its own entry; nobody enters twice',
    description:
      'Runs read at /v1/journeys/{id}/runs/{customerId}; stats, pause, resume, stop and archive are the journey routes. `input` is checked by the type\'s schema (`inputSchema` in GET /v1/code-journeys), and a field it refuses is named as `input.<field>`.',
    auth: 'apiKey',
    params: z.object({ id: idParam('Code-first journey ID, e.g. onboarding') }),
    body: { mediaType: 'application/json', schema: named('CodeLaunchInput', codeLaunchBodySchema), required: false },
    ok: { 202: json('Runs started (customerIds), the launch started or joined (segmentId), or the journey is live', launchAnswerSchema) },
    errors: {
      400: 'Invalid input, a listed customer or the segment does not exist, or no customers for a type that enters through the API: `error.details` names each',
      404: 'No such code-first journey',
      409: 'The journey is archived or paused, a JSON journey holds its ID, or the segment holds a rule that no longer validates',
    },
  },
];
