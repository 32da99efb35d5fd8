import { Router } from 'express';
import { z } from 'zod';
import { idSchema, JourneyDefinition, journeyDefinitionSchema } from '../../core/journey-definition';
import type { JourneyDoc, Models } from '../../db/models';
import { FieldError, invalid, notFound } from '../errors';
import type { JourneyRuns } from '../../lib/journey-runs';
import type { Launches } from '../../lib/launches';
import { parse, pathId } from '../validate';
import { saveJourneyVersion } from '../../db/journey-versions';

export const MAX_LAUNCH_CUSTOMERS = 1000;

export const launchBodySchema = z
  .object({
    /** Enter these customers now. */
    customerIds: z
      .array(idSchema)
      .min(1)
      .max(MAX_LAUNCH_CUSTOMERS)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a customer')
      .optional(),
    /** Or enter every member of this segment, page by page, in the background. */
    segmentId: idSchema.optional(),
  })
  .strict()
  .refine((b) => (b.customerIds === undefined) !== (b.segmentId === undefined), {
    message: 'give either customerIds or segmentId',
    path: ['customerIds'],
  });

export function journeyView(doc: JourneyDoc) {
  return { id: doc._id, version: doc.version, definition: doc.definition, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

/** Checks what the schema cannot: every template a step names exists, on the step's channel. */
async function checkReferences(models: Models, definition: JourneyDefinition): Promise<FieldError[]> {
  const ids = [...new Set(definition.steps.flatMap((s) => (s.type === 'send' ? [s.template] : [])))];
  const found = await models.templates.find({ _id: { $in: ids } }, { channel: 1 }).lean();
  const channelOf = new Map(found.map((t) => [t._id, t.channel]));
  const errors: FieldError[] = [];
  definition.steps.forEach((step, i) => {
    if (step.type !== 'send') return;
    const channel = channelOf.get(step.template);
    if (channel === undefined) {
      errors.push({ field: `steps[${i}].template`, message: `step "${step.id}": template "${step.template}" does not exist` });
    } else if (channel !== step.channel) {
      errors.push({
        field: `steps[${i}].template`,
        message: `step "${step.id}": template "${step.template}" is for ${channel}, not ${step.channel}`,
      });
    }
  });
  return errors;
}

export function journeysRouter(models: Models, runs: JourneyRuns, launches: Launches): Router {
  const router = Router();

  /** Creates the journey or replaces its definition as a new version; running runs keep theirs. */
  router.put('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const definition = parse(journeyDefinitionSchema, req.body);
    const referenceErrors = await checkReferences(models, definition);
    if (referenceErrors.length > 0) throw invalid(referenceErrors);

    const { doc, created } = await saveJourneyVersion(models, id, definition);
    res.status(created ? 201 : 200).json(journeyView(doc));
  });

  router.get('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const doc = await models.journeys.findById(id).lean();
    if (!doc) throw notFound(`journey "${id}"`);
    res.json(journeyView(doc));
  });

  /** Enters customers, or a whole segment, into the journey's current version. Safe to repeat. */
  router.post('/:id/launch', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(launchBodySchema, req.body);
    const journey = await models.journeys.findById(id).lean();
    if (!journey) throw notFound(`journey "${id}"`);

    if (body.segmentId !== undefined) {
      const segment = await models.segments.findById(body.segmentId).lean();
      if (!segment) throw invalid([{ field: 'segmentId', message: `segment "${body.segmentId}" does not exist` }]);
      const launch = await launches.start({
        journeyId: id,
        journeyVersion: journey.version,
        segmentId: segment._id,
        rule: segment.rule,
        asOf: new Date().toISOString(),
      });
      res.status(202).json({ journeyId: id, version: journey.version, launch: { ...launch, segmentId: segment._id, progress: `/v1/journeys/${id}/launches/${segment._id}` } });
      return;
    }

    const customerIds = body.customerIds!;
    const known = await models.customers.find({ _id: { $in: customerIds } }, { _id: 1 }).lean();
    const knownIds = new Set(known.map((c) => c._id));
    const unknown = customerIds.flatMap((cid, i) =>
      knownIds.has(cid) ? [] : [{ field: `customerIds[${i}]`, message: `customer "${cid}" does not exist` }],
    );
    if (unknown.length > 0) throw invalid(unknown);

    const outcome = await runs.launch(
      { journeyId: id, journeyVersion: journey.version, definition: journey.definition as JourneyDefinition },
      customerIds,
    );
    res.status(202).json({ journeyId: id, version: journey.version, ...outcome });
  });

  /** A segment launch's progress: counted, entered, already entered, done. */
  router.get('/:id/launches/:segmentId', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const segmentId = pathId(req.params.segmentId, 'segmentId');
    const launch = await launches.describe(id, segmentId);
    if (!launch) throw notFound(`a launch of journey "${id}" at segment "${segmentId}"`);
    res.json(launch);
  });

  /** One customer's run: where it is, what it sent, what it waits for. */
  router.get('/:id/runs/:customerId', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const customerId = pathId(req.params.customerId, 'customerId');
    const run = await runs.describe(id, customerId);
    if (!run) throw notFound(`a run of journey "${id}" for customer "${customerId}"`);
    res.json(run);
  });

  return router;
}
