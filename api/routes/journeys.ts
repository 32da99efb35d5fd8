import { Router } from 'express';
import { z } from 'zod';
import type { Channel } from '../../core/channels';
import { notConfiguredMessage } from '../../lib/config';
import { JourneyDefinition, journeyDefinitionSchema, parseJourneyDefinition } from '../../core/journey-definition';
import { fieldPath } from '../../core/field-path';
import { inlineRules, segmentUses, templateUses } from '../../core/journey-references';
import { keepSeriesOf } from '../../lib/event-windows';
import { journeyStatus, journeyStatusFilter } from '../../core/journey-status';
import { saveJourneyVersion } from '../../db/journey-versions';
import { upsertById } from '../../db/upsert';
import type { JourneyDoc, Models } from '../../db/models';
import type { JourneyEntry } from '../../lib/journey-entry';
import type { JourneyRuns } from '../../lib/journey-runs';
import { codeJourneySteps, JOURNEY_WORKFLOW_TYPE, LIST_ALL_RUNS_ABOVE, statsStep, type JourneyStatsReader, type StatsShape } from '../../lib/journey-stats';
import { CODE_JOURNEYS } from '../../core/code-journeys';
import { conflict, FieldError, invalid, notFound } from '../errors';
import { journeyStatsSchema, journeyStatusSchema, journeySummarySchema, journeyViewSchema, runSummarySchema, runViewSchema } from '../journey-schemas';
import { DEFAULT_PAGE_SIZE, listPage, pageQuerySchema, pageSchema } from '../list-page';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId } from '../validate';
import { compileSegment } from '../../core/segment-filter';
import { queryableRule } from '../segment-rule';
import { MEMBER_CHUNK } from '../../db/segment-members';
import { entriesOfJourney } from '../../lib/customer-runs';

export function journeyView(doc: JourneyDoc): z.infer<typeof journeyViewSchema> {
  const name = (doc.definition ?? doc.draft)?.name;
  return {
    id: doc._id,
    kind: doc.kind ?? 'json',
    ...(typeof name === 'string' ? { name } : {}),
    status: journeyStatus(doc),
    version: doc.version,
    live: doc.live ?? false,
    paused: doc.paused ?? false,
    stopped: doc.stopped ?? false,
    archived: doc.archived ?? false,
    definition: doc.definition,
    draft: doc.draft,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** The single view without its definitions, so a list and a read agree. */
function journeySummary(doc: JourneyDoc): z.infer<typeof journeySummarySchema> {
  const { definition, draft, ...summary } = journeyView(doc);
  return summary;
}

const journeyListQuerySchema = pageQuerySchema.extend({ status: journeyStatusSchema.optional() });
const journeyPageSchema = named('JourneyPage', pageSchema(journeySummarySchema));
const runPageSchema = named('RunPage', pageSchema(runSummarySchema));

/** Checks what the schema cannot: the templates and segments a definition names exist. */
async function checkReferences(models: Models, definition: JourneyDefinition, channels: readonly Channel[]): Promise<FieldError[]> {
  const uses = templateUses(definition);
  const found = await models.templates.find({ _id: { $in: [...new Set(uses.map((u) => u.template))] } }, { channel: 1 }).lean();
  const channelOf = new Map(found.map((t) => [t._id, t.channel]));
  const errors: FieldError[] = [];
  for (const use of uses) {
    if (!channels.includes(use.channel)) {
      errors.push({
        field: use.field.replace(/template$/, 'channel'),
        message: `step "${use.stepId}": ${notConfiguredMessage(use.channel)}`,
      });
      continue;
    }
    const channel = channelOf.get(use.template);
    if (channel === undefined) {
      errors.push({ field: use.field, message: `step "${use.stepId}": template "${use.template}" does not exist` });
    } else if (channel !== use.channel) {
      errors.push({ field: use.field, message: `step "${use.stepId}": template "${use.template}" is for ${channel}, not ${use.channel}` });
    }
  }
  const segmentRefs = segmentUses(definition);
  const known = new Set(
    (await models.segments.find({ _id: { $in: segmentRefs.map((r) => r.segmentId) } }, { _id: 1 }).lean()).map((d) => d._id),
  );
  for (const ref of segmentRefs) {
    if (known.has(ref.segmentId)) continue;
    const where = ref.stepId ? `step "${ref.stepId}": ` : '';
    errors.push({ field: ref.field, message: `${where}segment "${ref.segmentId}" does not exist` });
  }
  return errors;
}

/** What stats count a journey's runs by: its workflow type, and its steps with their split paths. */
function statsShape(doc: JourneyDoc): StatsShape {
  const type = doc.kind === 'code' ? CODE_JOURNEYS[doc._id] : undefined;
  if (type) return { workflowType: type.workflowType, steps: codeJourneySteps(type) };
  return { workflowType: JOURNEY_WORKFLOW_TYPE, steps: ((doc.definition as JourneyDefinition | undefined)?.steps ?? []).map(statsStep) };
}

/** Parses a definition, or answers 400 naming each problem. */
function parseDefinition(body: unknown): JourneyDefinition {
  const parsed = parseJourneyDefinition(body);
  if (parsed.issues) throw invalid(parsed.issues.map((issue) => ({ field: fieldPath(issue.path), message: issue.message })));
  return parsed.definition;
}

export function journeysRouter(deps: {
  models: Models;
  runs: JourneyRuns;
  stats: JourneyStatsReader;
  entry: Pick<JourneyEntry, 'journeysChanged'>;
  channels: readonly Channel[];
}): Router {
  const { models, runs, stats, channels } = deps;
  const router = Router();

  /**
   * A definition that passes the schema, the graph checks and the reference checks, for a
   * journey that is not archived (`journey`: the stored document, when the caller has read it).
   */
  async function validDefinition(id: string, body: unknown, journey?: Pick<JourneyDoc, 'archived' | 'kind'>): Promise<JourneyDefinition> {
    const definition = parseDefinition(body);
    const stored = journey ?? (await models.journeys.findById(id, { archived: 1, kind: 1 }).lean());
    if (CODE_JOURNEYS[id] || stored?.kind === 'code') throw conflict(`journey "${id}" is code-first: its code defines it (workflows/code-first/)`);
    if (stored?.archived) throw conflict(`journey "${id}" is archived`);
    const referenceErrors = await checkReferences(models, definition, channels);
    if (referenceErrors.length > 0) throw invalid(referenceErrors);
    return definition;
  }

  /** Saves and publishes in one step: a new version; running runs keep theirs. */
  router.put('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const definition = await validDefinition(id, req.body);
    await keepSeriesOf(models, inlineRules(definition));
    const { doc, created } = await saveJourneyVersion(models, id, definition);
    deps.entry.journeysChanged();
    res.status(created ? 201 : 200).json(journeyView(doc));
  });

  /** Saves a draft: checked like a publish, but launches and live entry keep using the published version. */
  router.put('/:id/draft', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const draft = await validDefinition(id, req.body);
    const { doc, created } = await upsertById(models.journeys, id, { $set: { draft } });
    res.status(created ? 201 : 200).json(journeyView(doc));
  });

  /** Checks a definition without saving anything: 200, or a 400 naming each problem. */
  router.post('/:id/validate', async (req, res) => {
    await validDefinition(pathId(req.params.id, 'id'), req.body);
    res.json({ valid: true } satisfies z.infer<typeof validSchema>);
  });

  /** Publishes the draft as the next version, checking its references again (templates may have changed). */
  router.post('/:id/publish', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const journey = await models.journeys.findById(id).lean();
    if (!journey) throw notFound(`journey "${id}"`);
    if (!journey.draft) throw conflict(`journey "${id}" has no draft to publish`);
    const definition = await validDefinition(id, journey.draft, journey);
    await keepSeriesOf(models, inlineRules(definition));
    const { doc } = await saveJourneyVersion(models, id, definition);
    deps.entry.journeysChanged();
    res.json(journeyView(doc));
  });

  /** Every journey, or those of one status, in ID order. */
  router.get('/', async (req, res) => {
    const query = parse(journeyListQuerySchema, req.query);
    const { docs, next } = await listPage(models.journeys, query.status ? journeyStatusFilter(query.status) : {}, query);
    res.json({ items: docs.map(journeySummary), next } satisfies z.infer<typeof journeyPageSchema>);
  });

  router.get('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const doc = await models.journeys.findById(id).lean();
    if (!doc) throw notFound(`journey "${id}"`);
    res.json(journeyView(doc));
  });

  /**
   * Numbers for the journey and each step: entered, on it now, outcomes, conversions, split
   * paths; with `segmentId`, those of the segment's members now.
   */
  router.get('/:id/stats', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const { segmentId } = parse(statsQuerySchema, req.query);
    const doc = await models.journeys.findById(id).lean();
    if (!doc) throw notFound(`journey "${id}"`);
    if (segmentId === undefined) {
      res.json((await stats.journeyStats(id, statsShape(doc))) satisfies z.infer<typeof journeyStatsSchema>);
      return;
    }
    const segment = await models.segments.findById(segmentId).lean();
    if (!segment) throw notFound(`segment "${segmentId}"`);
    const filter = compileSegment(queryableRule(segment, 'breaking stats down by it'), new Date());
    const { stats: numbers, members } = await stats.segmentStats(id, statsShape(doc), filter);
    res.json({ ...numbers, segment: { id: segment._id, name: segment.name, members } } satisfies z.infer<typeof journeyStatsSchema>);
  });

  /**
   * The journey's runs, a page at a time in customer ID order: each customer's latest entry,
   * from the entry registry, with where the run is.
   */
  router.get('/:id/runs', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const query = parse(pageQuerySchema, req.query);
    if (!(await models.journeys.exists({ _id: id }))) throw notFound(`journey "${id}"`);
    const { docs, next } = await listPage(models.journeyEntries, entriesOfJourney(id), query);
    res.json({ items: await runs.summaries(id, docs), next } satisfies z.infer<typeof runPageSchema>);
  });

  /** One customer's run: where it is, what it sent, what it waits for. */
  router.get('/:id/runs/:customerId', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const customerId = pathId(req.params.customerId, 'customerId');
    const run = await runs.describe(id, customerId);
    if (!run) throw notFound(`a run of journey "${id}" for customer "${customerId}"`);
    res.json(run satisfies z.infer<typeof runViewSchema>);
  });

  return router;
}

const validSchema = z.object({ valid: z.literal(true) });
const statsQuerySchema = z.object({
  segmentId: idParam("Break the numbers down by this segment: only its members now (its rule as it matches at the request), not as at each customer's entry").optional(),
});
const journeyId = z.object({ id: idParam('Journey ID') });
const definition = named('JourneyDefinition', journeyDefinitionSchema);
const archived = { 409: 'The journey is archived, or is a code-first type (its code defines it)' };

export const journeyOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/journeys',
    summary: `Journeys in ID order, a page at a time (${DEFAULT_PAGE_SIZE} unless \`limit\` says otherwise), optionally of one status`,
    auth: 'apiKey',
    query: journeyListQuerySchema,
    ok: { 200: json('A page of journeys', journeyPageSchema) },
  },
  {
    method: 'put',
    path: '/v1/journeys/{id}',
    summary: 'Create a journey or save a new version of its definition (runs under way keep theirs)',
    description: 'Besides the schema: the steps form a graph the checks accept (every `next` names a step, no step is unreachable), and every template and segment named exists (else 400).',
    auth: 'apiKey',
    params: journeyId,
    body: definition,
    ok: { 200: json('New version saved', journeyViewSchema), 201: json('Created', journeyViewSchema) },
    errors: archived,
  },
  {
    method: 'put',
    path: '/v1/journeys/{id}/draft',
    summary: 'Save a draft, checked like a publish; launches keep using the published version',
    auth: 'apiKey',
    params: journeyId,
    body: definition,
    ok: { 200: json('Draft saved', journeyViewSchema), 201: json('Journey created with a draft', journeyViewSchema) },
    errors: archived,
  },
  {
    method: 'post',
    path: '/v1/journeys/{id}/validate',
    summary: 'Check a definition without saving it (the journey need not exist)',
    auth: 'apiKey',
    params: journeyId,
    body: definition,
    ok: { 200: json('Valid', validSchema) },
    errors: archived,
  },
  {
    method: 'post',
    path: '/v1/journeys/{id}/publish',
    summary: 'Publish the draft as the next version, checking its references again',
    auth: 'apiKey',
    params: journeyId,
    ok: { 200: json('Published', journeyViewSchema) },
    errors: {
      400: 'The draft names a template or segment that no longer fits: `error.details` names each',
      404: 'No such journey',
      409: 'The journey is archived, or has no draft',
    },
  },
  {
    method: 'get',
    path: '/v1/journeys/{id}',
    summary: 'Read a journey and its current version',
    auth: 'apiKey',
    params: journeyId,
    ok: { 200: json('The journey', journeyViewSchema) },
    errors: { 404: 'No such journey' },
  },
  {
    method: 'get',
    path: '/v1/journeys/{id}/stats',
    summary: 'Journey and per-step numbers: entered, on the step now, sends by outcome and by provider-reported status, statuses, conversions, split paths',
    description:
      "With `segmentId`, the same numbers for the segment's current members only (a variant that wins within an audience shows), and `segment` says which and how many of the journey's customers it holds. " +
      "Membership is the rule evaluated now, not at each customer's entry. Erased customers' kept numbers belong to no segment and are left out. " +
      `Cost: the journey's entries read from the store and one member query per ${MEMBER_CHUNK} of its customers, then the members' runs listed from Temporal visibility ` +
      `(all the journey's runs in one listing above ${LIST_ALL_RUNS_ABOVE} members), against one count query per number without it.`,
    auth: 'apiKey',
    params: journeyId,
    query: statsQuerySchema,
    ok: { 200: json('The numbers', journeyStatsSchema) },
    errors: { 404: 'No such journey, or no such segment', 409: "The segment's stored rule no longer validates: save the segment again" },
  },
  {
    method: 'get',
    path: '/v1/journeys/{id}/runs',
    summary: `The journey's runs (JSON or code-first), each customer's latest entry, in customer ID order, a page at a time (${DEFAULT_PAGE_SIZE} unless \`limit\` says otherwise)`,
    auth: 'apiKey',
    params: journeyId,
    query: pageQuerySchema,
    ok: { 200: json('A page of runs', runPageSchema) },
    errors: { 404: 'No such journey' },
  },
  {
    method: 'get',
    path: '/v1/journeys/{id}/runs/{customerId}',
    summary: "One customer's run: Temporal status, current step, path, sends, wait deadline",
    auth: 'apiKey',
    params: journeyId.extend({ customerId: idParam('Customer ID') }),
    ok: { 200: json('The run', runViewSchema) },
    errors: { 404: 'No run of this journey for this customer' },
  },
];
