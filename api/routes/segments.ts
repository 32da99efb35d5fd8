// Segments: saved rules over customers (core/segment-rules.ts). A preview runs the rule as a
// MongoDB filter over every customer; a membership check evaluates it in memory for one.
import { Router } from 'express';
import { z } from 'zod';
import { segmentUses } from '../../core/journey-references';
import { compileSegment } from '../../core/segment-filter';
import { matchesSegment } from '../../core/segment-match';
import { segmentBodySchema, segmentRuleShape } from '../../core/segment-rules';
import { SegmentDoc, SegmentModels } from '../../db/segment-model';
import type { Models } from '../../db/models';
import { upsertById } from '../../db/upsert';
import { notFound } from '../errors';
import { queryableRule } from '../segment-rule';
import { keepSeriesOf } from '../../lib/event-windows';
import { refuseIfNamed } from '../in-use';
import { DEFAULT_PAGE_SIZE, listPage, pageQuerySchema, pageSchema } from '../list-page';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId } from '../validate';

/** How many customer IDs a preview shows. */
export const PREVIEW_SAMPLE_SIZE = 20;

const segmentViewSchema = named(
  'Segment',
  z.object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    rule: z.record(z.string(), z.unknown()).meta({ description: 'A SegmentRule, as saved' }),
    createdAt: z.date(),
    updatedAt: z.date(),
  }),
);
const previewSchema = z.object({ count: z.number().int(), sample: z.array(z.string()) });
const membershipSchema = z.object({ member: z.boolean() });

export function segmentView(doc: SegmentDoc): z.infer<typeof segmentViewSchema> {
  return {
    id: doc._id,
    name: doc.name,
    description: doc.description,
    rule: doc.rule,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

/** A segment in a list: the single view without its rule. */
const segmentSummarySchema = named('SegmentSummary', segmentViewSchema.omit({ rule: true }));
function segmentSummary(doc: SegmentDoc): z.infer<typeof segmentSummarySchema> {
  const { rule, ...summary } = segmentView(doc);
  return summary;
}

const segmentPageSchema = named('SegmentPage', pageSchema(segmentSummarySchema));

/** Segments and their customers, and the journeys that may name a segment (deleting one checks them). */
export type SegmentRouterModels = SegmentModels & Pick<Models, 'journeys' | 'eventWindows' | 'events' | 'suppressions'>;

export function segmentsRouter(deps: SegmentRouterModels): Router {
  const router = Router();

  async function load(rawId: unknown): Promise<SegmentDoc> {
    const id = pathId(rawId, 'id');
    const doc = await deps.segments.findById(id).lean();
    if (!doc) throw notFound(`segment "${id}"`);
    return doc;
  }

  /** Creates the segment or replaces it whole. */
  router.put('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(segmentBodySchema, req.body ?? {});
    // A rule that counts events over a window is exact once saved: the times it reads are kept
    // and backfilled from the event log before the segment is (lib/event-windows.ts).
    await keepSeriesOf(deps, [body.rule]);
    const { description, ...fields } = body;
    const update = description === undefined ? { $set: fields, $unset: { description: '' } } : { $set: { ...fields, description } };
    const { doc, created } = await upsertById(deps.segments, id, update);
    res.status(created ? 201 : 200).json(segmentView(doc));
  });

  /** Every segment, in ID order. */
  router.get('/', async (req, res) => {
    const { docs, next } = await listPage(deps.segments, {}, parse(pageQuerySchema, req.query));
    res.json({ items: docs.map(segmentSummary), next } satisfies z.infer<typeof segmentPageSchema>);
  });

  router.get('/:id', async (req, res) => {
    res.json(segmentView(await load(req.params.id)));
  });

  router.delete('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    if (!(await deps.segments.exists({ _id: id }))) throw notFound(`segment "${id}"`);
    await refuseIfNamed(deps.journeys, 'segment', id, (definition) => segmentUses(definition).map((use) => use.segmentId), (type) => [
      ...(type.segments ?? []),
      ...(type.entry?.type === 'segment' ? [type.entry.segmentId] : []),
    ]);
    await deps.segments.deleteOne({ _id: id });
    res.status(204).end();
  });

  /** How many customers are in the segment now, and the first few of them by ID. */
  router.post('/:id/preview', async (req, res) => {
    const filter = compileSegment(queryableRule(await load(req.params.id), 'previewing it'), new Date());
    const [count, sample] = await Promise.all([
      deps.customers.countDocuments(filter),
      deps.customers.find(filter).sort({ _id: 1 }).limit(PREVIEW_SAMPLE_SIZE).select({ _id: 1 }).lean<{ _id: string }[]>(),
    ]);
    res.json({ count, sample: sample.map((c) => c._id) } satisfies z.infer<typeof previewSchema>);
  });

  router.get('/:id/members/:customerId', async (req, res) => {
    const customerId = pathId(req.params.customerId, 'customerId');
    const segment = await load(req.params.id);
    const customer = await deps.customers.findById(customerId).lean();
    if (!customer) throw notFound(`customer "${customerId}"`);
    res.json({ member: matchesSegment(queryableRule(segment, 'asking who is in it'), customer, new Date()) } satisfies z.infer<typeof membershipSchema>);
  });

  return router;
}

// The rule language is recursive: one component that segments and journey branches reference.
named('SegmentRule', segmentRuleShape);
const segmentId = z.object({ id: idParam('Segment ID') });

export const segmentOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/segments',
    summary: `Segments in ID order, without their rules, a page at a time (${DEFAULT_PAGE_SIZE} unless \`limit\` says otherwise)`,
    auth: 'apiKey',
    query: pageQuerySchema,
    ok: { 200: json('A page of segments', segmentPageSchema) },
  },
  {
    method: 'put',
    path: '/v1/segments/{id}',
    summary: 'Create a segment or replace it (name, description, rule)',
    description:
      'A rule that counts events over a window (`within` with a count, or `where`) names kept series of event times. The first save naming a series ' +
      'not kept yet answers a few seconds later, once every process folds it and the events already logged (90 days) are backfilled: the segment is exact from then on.',
    auth: 'apiKey',
    params: segmentId,
    body: named('SegmentInput', segmentBodySchema),
    ok: { 200: json('Replaced', segmentViewSchema), 201: json('Created', segmentViewSchema) },
  },
  {
    method: 'get',
    path: '/v1/segments/{id}',
    summary: 'Read a segment',
    auth: 'apiKey',
    params: segmentId,
    ok: { 200: json('The segment', segmentViewSchema) },
    errors: { 404: 'No such segment' },
  },
  {
    method: 'delete',
    path: '/v1/segments/{id}',
    summary: 'Delete a segment that no journey uses',
    description: 'Refused while a journey that is not archived names it in its published definition or its draft (its entry segment, or a branch case).',
    auth: 'apiKey',
    params: segmentId,
    ok: { 204: { description: 'Deleted' } },
    errors: { 404: 'No such segment', 409: 'Journeys use the segment: the message names them' },
  },
  {
    method: 'post',
    path: '/v1/segments/{id}/preview',
    summary: `Count the customers in the segment now, with the first ${PREVIEW_SAMPLE_SIZE} IDs`,
    auth: 'apiKey',
    params: segmentId,
    ok: { 200: json('The preview', previewSchema) },
    errors: { 404: 'No such segment', 409: 'The stored rule no longer validates: save the segment again' },
  },
  {
    method: 'get',
    path: '/v1/segments/{id}/members/{customerId}',
    summary: 'Whether the customer is in the segment now',
    auth: 'apiKey',
    params: segmentId.extend({ customerId: idParam('Customer ID') }),
    ok: { 200: json('Membership', membershipSchema) },
    errors: { 404: 'No such segment or customer', 409: 'The stored rule no longer validates: save the segment again' },
  },
];
