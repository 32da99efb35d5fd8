import { Router } from 'express';
import { z } from 'zod';
import { idSchema, JourneyDefinition, type JourneyEntry } from '../../core/journey-definition';
import { JOURNEY_STATE_REFRESH_MS } from '../../db/journey-state';
import type { JourneyDoc, Models } from '../../db/models';
import type { JourneyEntry as JourneyEntryService } from '../../lib/journey-entry';
import type { CodeRunTemplate, RunTemplate } from '../../lib/journey-runs';
import type { JourneyRuns } from '../../lib/journey-runs';
import type { Launches } from '../../lib/launches';
import { conflict, invalid, notFound } from '../errors';
import {
  launchAnswerSchema,
  launchProgressSchema,
  pauseAnswerSchema,
  runStopAnswerSchema,
  stopAnswerSchema,
  stopEntriesAnswerSchema,
  type LaunchAnswer,
} from '../journey-schemas';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { queryableRule } from '../segment-rule';
import { parse, pathId } from '../validate';

export const MAX_LAUNCH_CUSTOMERS = 1000;
/** How long a stop waits for the journey's launches to end before it answers anyway. */
const LAUNCH_STOP_WAIT_MS = 30_000;

const customerIdsSchema = z
  .array(idSchema)
  .min(1)
  .max(MAX_LAUNCH_CUSTOMERS)
  .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a customer')
  .meta({ uniqueItems: true, description: 'Customers who exist, each once' });

/** Whom a launch enters: listed customers, or a segment; neither puts the journey live. */
export const launchTargets = {
  /** Enter these customers now. */
  customerIds: customerIdsSchema.optional(),
  /** Or enter every member of this segment, page by page, in the background. */
  segmentId: idSchema.optional(),
};

/** A launch body: its targets (at most one of them) and what else the journey's kind takes. */
export function launchBody<Shape extends typeof launchTargets>(shape: Shape) {
  return z
    .object(shape)
    .strict()
    .refine((b: { customerIds?: unknown; segmentId?: unknown }) => b.customerIds === undefined || b.segmentId === undefined, {
      message: 'give customerIds or segmentId, not both',
      path: ['customerIds'],
    })
    .meta({ not: { required: ['customerIds', 'segmentId'] } });
}

export const launchBodySchema = launchBody(launchTargets);

/** Launching and stopping a journey: at listed customers, at a segment, or by its own entry (going live). */
type LaunchDeps = { models: Models; runs: JourneyRuns; launches: Launches; entry: Pick<JourneyEntryService, 'journeysChanged'> };

/** The launch and stop routes, and the launch itself, which code-first launches share. */
export function launchRoutes(deps: LaunchDeps) {
  const { models, runs, launches } = deps;
  const router = Router();

  router.post('/:id/launch', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(launchBodySchema, req.body ?? {});
    const journey = await models.journeys.findById(id).lean();
    if (!journey) throw notFound(`journey "${id}"`);
    if (journey.kind === 'code') throw conflict(`journey "${id}" is code-first: launch it with POST /v1/code-journeys/${id}/launch`);
    if (!journey.archived && !journey.paused && !journey.definition) {
      throw conflict(`journey "${id}" has no published version: publish its draft first`);
    }
    const definition = journey.definition as JourneyDefinition;
    const run = { journeyId: id, journeyVersion: journey.version, definition };
    res.status(202).json(await launch(journey, run, definition?.entry, body));
  });

  /**
   * Launches a journey, JSON or code-first (api/routes/code-journeys.ts): at the listed
   * customers, at a segment in the background, or (neither) live by its own entry, which also
   * launches at its entry segment's members. `run` is what every run gets.
   */
  async function launch(
    journey: JourneyDoc,
    run: RunTemplate | CodeRunTemplate,
    entry: JourneyEntry = { type: 'api' },
    body: z.infer<typeof launchBodySchema>,
  ): Promise<LaunchAnswer> {
    const id = journey._id;
    if (journey.archived) throw conflict(`journey "${id}" is archived`);
    if (journey.paused) throw conflict(`journey "${id}" is paused: resume it first`);
    if (journey.stopped) {
      // Launching a stopped journey starts it again; the runs the stop ended stay ended.
      await models.journeys.updateOne({ _id: id }, { $unset: { stopped: 1 } });
      deps.entry.journeysChanged();
    }
    const head = { journeyId: id, version: journey.version };
    const input = 'input' in run ? { input: run.input } : {};

    if (body.customerIds) return { ...head, ...(await enterCustomers(models, runs, run, body.customerIds)) };

    if (body.segmentId === undefined) {
      if (entry.type === 'api') {
        throw invalid([{ field: 'customerIds', message: 'this journey enters customers through the API: give customerIds or segmentId' }]);
      }
      // Going live: from now on customers enter as they qualify (see lib/journey-entry.ts); a
      // code-first type's entries get this launch's input.
      await models.journeys.updateOne({ _id: id }, { $set: { live: true, ...('input' in run ? { liveInput: run.input as Record<string, unknown> } : {}) } });
      deps.entry.journeysChanged();
    }
    const segmentId = body.segmentId ?? (entry.type === 'segment' ? entry.segmentId : undefined);
    if (segmentId === undefined) return { ...head, live: true };
    const segment = await models.segments.findById(segmentId).lean();
    if (!segment) throw invalid([{ field: 'segmentId', message: `segment "${segmentId}" does not exist` }]);
    const rule = queryableRule(segment, 'launching at it');
    const started = await launches.start({ journeyId: id, journeyVersion: journey.version, segmentId, rule, asOf: new Date().toISOString(), ...input });
    return {
      ...head,
      ...(body.segmentId === undefined ? { live: true } : {}),
      launch: { ...started, segmentId, progress: `/v1/journeys/${id}/launches/${segmentId}` },
    };
  }

  /** Stops new entries of a live journey; runs already under way go on. */
  router.post('/:id/stop-entries', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const result = await models.journeys.updateOne({ _id: id }, { $set: { live: false } });
    if (result.matchedCount === 0) throw notFound(`journey "${id}"`);
    deps.entry.journeysChanged();
    res.json({ journeyId: id, live: false } satisfies z.infer<typeof stopEntriesAnswerSchema>);
  });

  /**
   * Stops the journey until it is launched again: no new entries, its launches end, its runs
   * send nothing more, and every run under way ends through its own logic.
   */
  router.post('/:id/stop', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const result = await models.journeys.updateOne({ _id: id }, { $set: { live: false, stopped: true } });
    if (result.matchedCount === 0) throw notFound(`journey "${id}"`);
    res.status(202).json({ journeyId: id, live: false, ...(await stopped(id, 'journey stopped')) } satisfies z.infer<typeof stopAnswerSchema>);
  });

  /** Pauses the journey: nobody enters, runs hold before their next send; waits go on. */
  router.post('/:id/pause', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    await setFlag(models, id, { paused: true });
    deps.entry.journeysChanged();
    res.status(202).json({ journeyId: id, paused: true, signalled: await runs.pauseAll(id, true) } satisfies z.infer<typeof pauseAnswerSchema>);
  });

  /** Resumes a paused journey: held sends go out, entries start again. */
  router.post('/:id/resume', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    await setFlag(models, id, { paused: false });
    deps.entry.journeysChanged();
    res.status(202).json({ journeyId: id, paused: false, signalled: await runs.pauseAll(id, false) } satisfies z.infer<typeof pauseAnswerSchema>);
  });

  /** Archives the journey: stopped for good, read-only, kept with its versions and numbers. */
  router.post('/:id/archive', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    await setFlag(models, id, { archived: true, live: false });
    res.status(202).json({ journeyId: id, archived: true, ...(await stopped(id, 'journey archived')) } satisfies z.infer<typeof stopAnswerSchema>);
  });

  /** Stops one customer's run. */
  router.post('/:id/runs/:customerId/stop', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const customerId = pathId(req.params.customerId, 'customerId');
    if (!(await runs.stop(id, customerId, 'stopped through the API'))) {
      throw notFound(`a running run of journey "${id}" for customer "${customerId}"`);
    }
    res.status(202).json({ journeyId: id, customerId, stopping: true } satisfies z.infer<typeof runStopAnswerSchema>);
  });

  /**
   * Makes a stop hold before it is answered: every process has seen it (entry and sends read
   * journeys through caches of JOURNEY_STATE_REFRESH_MS) and the journey's launches have ended,
   * so no run starts and no message is handed over after the answer. Then asks the runs under
   * way to stop; a run too new to be listed yet sends nothing more anyway.
   */
  async function stopped(id: string, reason: string) {
    deps.entry.journeysChanged();
    const [launchesRunning] = await Promise.all([
      launches.whenStopped(id, LAUNCH_STOP_WAIT_MS),
      new Promise((resolve) => setTimeout(resolve, JOURNEY_STATE_REFRESH_MS + 250)),
    ]);
    return { stopping: await runs.stopAll(id, reason), ...(launchesRunning > 0 ? { launchesStillRunning: launchesRunning } : {}) };
  }

  /** A segment launch's progress: counted, entered, already entered, done. */
  router.get('/:id/launches/:segmentId', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const segmentId = pathId(req.params.segmentId, 'segmentId');
    const launch = await launches.describe(id, segmentId);
    if (!launch) throw notFound(`a launch of journey "${id}" at segment "${segmentId}"`);
    res.json(launch satisfies z.infer<typeof launchProgressSchema>);
  });

  return { router, launch };
}

async function setFlag(models: Models, id: string, flags: Partial<Record<'paused' | 'archived' | 'live', boolean>>) {
  const journey = await models.journeys.findById(id, { archived: 1 }).lean();
  if (!journey) throw notFound(`journey "${id}"`);
  if (journey.archived) throw conflict(`journey "${id}" is archived`);
  await models.journeys.updateOne({ _id: id }, { $set: flags });
}

/** Listed customers must all exist: unknown ones are refused before anyone is entered. */
export async function enterCustomers(models: Models, runs: JourneyRuns, run: Parameters<JourneyRuns['launch']>[0], customerIds: string[]) {
  const known = await models.customers.find({ _id: { $in: customerIds } }, { _id: 1 }).lean();
  const knownIds = new Set(known.map((c) => c._id));
  const unknown = customerIds.flatMap((cid, i) =>
    knownIds.has(cid) ? [] : [{ field: `customerIds[${i}]`, message: `customer "${cid}" does not exist` }],
  );
  if (unknown.length > 0) throw invalid(unknown);
  return runs.launch(run, customerIds);
}

const journeyId = z.object({ id: idParam('Journey ID') });
const stateChange = (summary: string, description: string, answer: z.ZodType): Operation => ({
  method: 'post',
  path: `/v1/journeys/{id}/${summary}`,
  summary: description,
  auth: 'apiKey',
  params: journeyId,
  ok: { 202: json('Done', answer) },
  errors: { 404: 'No such journey', 409: 'The journey is archived' },
});

export const launchOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/journeys/{id}/launch',
    summary: 'Enter up to 1,000 customers now, or a whole segment in the background, or (empty body) put a segment- or event-entry journey live; nobody enters twice',
    auth: 'apiKey',
    params: journeyId,
    body: { mediaType: 'application/json', schema: named('LaunchInput', launchBodySchema), required: false },
    ok: { 202: json('Runs started (customerIds), the launch started or joined (segmentId), or the journey is live', launchAnswerSchema) },
    errors: {
      400: 'Invalid input, a listed customer or the segment does not exist, or no body for a journey that enters through the API: `error.details` names each',
      404: 'No such journey',
      409: 'The journey is archived, paused or unpublished, or the segment holds a rule that no longer validates',
    },
  },
  {
    method: 'post',
    path: '/v1/journeys/{id}/stop-entries',
    summary: 'Stop new entries of a live journey (segment or event entry); runs under way go on',
    auth: 'apiKey',
    params: journeyId,
    ok: { 200: json('Entries stopped', stopEntriesAnswerSchema) },
    errors: { 404: 'No such journey' },
  },
  {
    method: 'post',
    path: '/v1/journeys/{id}/stop',
    summary: 'Stop the journey until it is launched again: no new entries, its launches end, every run under way ends (status "stopped") and sends nothing more',
    description:
      'Answered once the stop holds (about two seconds): every process has seen it, the journey\'s segment launches have ended (status "stopped"; up to 30 s; `launchesStillRunning` counts those whose worker is down), and the runs Temporal lists were asked to stop. After the answer no run starts and no message is handed to a provider; a run the signal missed has its sends skipped with reason `journey-stopped`.',
    auth: 'apiKey',
    params: journeyId,
    ok: { 202: json('Stopped: `stopping` runs were asked to end', stopAnswerSchema) },
    errors: { 404: 'No such journey' },
  },
  stateChange('pause', 'Pause the journey: nobody enters, runs hold before their next send (waits go on)', pauseAnswerSchema),
  stateChange('resume', 'Resume a paused journey: held sends go out, entries start again', pauseAnswerSchema),
  stateChange('archive', 'Archive the journey: it stops as POST /v1/journeys/{id}/stop does, for good, and can no longer be edited or launched', stopAnswerSchema),
  {
    method: 'post',
    path: '/v1/journeys/{id}/runs/{customerId}/stop',
    summary: "Stop one customer's run",
    auth: 'apiKey',
    params: journeyId.extend({ customerId: idParam('Customer ID') }),
    ok: { 202: json('Stopping', runStopAnswerSchema) },
    errors: { 404: 'No running run of this journey for this customer' },
  },
  {
    method: 'get',
    path: '/v1/journeys/{id}/launches/{segmentId}',
    summary: "A segment launch's progress: status, estimated total, entered, already entered, cursor",
    auth: 'apiKey',
    params: journeyId.extend({ segmentId: idParam('Segment ID') }),
    ok: { 200: json('The launch', launchProgressSchema) },
    errors: { 404: 'No launch of this journey at this segment' },
  },
];
