// POST /v1/journeys/{id}/simulate: one customer's run of the journey on the real workflow code,
// in simulated time, sending nothing and writing nothing (lib/journey-simulation.ts).
import { Router } from 'express';
import { z } from 'zod';
import { BEST_CHANNEL, CHANNELS } from '../../core/channels';
import { DURATION_DOC, parseDuration } from '../../core/duration';
import { idSchema, type JourneyDefinition } from '../../core/journey-definition';
import { eventNameSchema } from '../../core/names';
import { SEND_OUTCOMES } from '../../core/send-explanation';
import type { CustomerDoc, Models } from '../../db/models';
import { MAX_HORIZON_MS, MAX_SIMULATION_EVENTS, type JourneySimulator, type SimulationResult } from '../../lib/journey-simulation';
import { SimulationUnavailableError } from '../../lib/simulation-hosts';
import { attributeValues, customerFieldsSchema, type CustomerFields } from '../customer-input';
import { AppError, conflict, notFound } from '../errors';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId, requestBody } from '../validate';
import { channelChoiceSchema } from './deliveries';

const MAX_HORIZON_DAYS = MAX_HORIZON_MS / 86_400_000;
const DEFAULT_HORIZON = '30d';
/** The ID an inline customer takes when the request names none. */
const INLINE_CUSTOMER_ID = 'simulated-customer';

const durationUpTo = (maxMs: number, words: string) =>
  z
    .string()
    .refine((text) => parseDuration(text) !== undefined, 'must be a duration such as "2d" or "1d12h", more than zero')
    .refine((text) => (parseDuration(text) ?? 0) <= maxMs, words)
    .meta({ pattern: DURATION_DOC.pattern, description: `${DURATION_DOC.description}; ${words}` });

const simulationEventSchema = z
  .object({
    name: eventNameSchema,
    /** How long after the customer enters the event happens. */
    after: durationUpTo(MAX_HORIZON_MS, 'at most the horizon'),
    properties: attributeValues(100).optional(),
  })
  .strict();

const simulationBodySchema = named(
  'SimulationRequest',
  z
    .object({
      /** A stored customer, read once and never written; their past sends count against the caps. */
      customerId: idSchema.optional(),
      /** A customer given in full, used as is (nothing of the store's customers is read). */
      customer: customerFieldsSchema.extend({ id: idSchema.optional() }).optional(),
      /** `published` (the default) or the journey's `draft`. */
      definition: z.enum(['published', 'draft']).default('published'),
      /** Events the customer does, in any order, each `after` the entry. */
      events: z.array(simulationEventSchema).max(MAX_SIMULATION_EVENTS).default([]),
      /** How long to simulate (default 30d, at most 366d); the answer says where the run waits then. */
      horizon: durationUpTo(MAX_HORIZON_MS, `at most ${MAX_HORIZON_DAYS}d`).default(DEFAULT_HORIZON),
      /** For a journey entered by an event: the properties of that event. */
      entryEvent: z.object({ properties: attributeValues(100).optional() }).strict().optional(),
    })
    .strict()
    .superRefine((body, ctx) => {
      if ((body.customerId === undefined) === (body.customer === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'give exactly one of customerId (a stored customer) and customer (a profile)' });
      }
      const horizon = parseDuration(body.horizon);
      body.events.forEach((event, index) => {
        const after = parseDuration(event.after);
        if (horizon !== undefined && after !== undefined && after > horizon) {
          ctx.addIssue({ code: 'custom', path: ['events', index, 'after'], message: `is after the horizon (${body.horizon})` });
        }
      });
    })
    .meta({
      description: 'Exactly one of `customerId` and `customer`; every event `after` at most the `horizon`',
      oneOf: [{ required: ['customerId'] }, { required: ['customer'] }],
    }),
);

const renderedSchema = z.record(z.string(), z.unknown()).meta({ description: "The template's fields as rendered for this customer: subject, html, text (email); body (SMS); title, body (push, web)..." });
const deferralSchema = z.object({ at: z.string(), until: z.string(), reason: z.string(), explanation: z.string() });
const stepBase = { stepId: z.string(), at: z.string().meta({ description: 'When the run entered the step (simulated time)' }), next: z.string().optional() };
const simulatedStepSchema = z.discriminatedUnion('type', [
  z.object({
    ...stepBase,
    type: z.literal('send'),
    channel: z.enum([...CHANNELS, BEST_CHANNEL]),
    outcome: z.enum(SEND_OUTCOMES),
    usedChannel: z.enum(CHANNELS).optional(),
    choice: channelChoiceSchema.optional(),
    reason: z.string().optional(),
    explanation: z.string(),
    decidedAt: z.string().optional(),
    message: z.object({ address: z.string(), content: renderedSchema }).optional(),
    deferrals: z.array(deferralSchema),
  }),
  z.object({ ...stepBase, type: z.literal('wait'), until: z.string().optional(), reason: z.string().optional(), explanation: z.string() }),
  z.object({ ...stepBase, type: z.literal('waitForEvent'), event: z.string(), until: z.string(), outcome: z.enum(['event', 'timeout', 'waiting', 'ended']), explanation: z.string() }),
  z.object({ ...stepBase, type: z.literal('branch'), case: z.union([z.number().int(), z.literal('default')]), explanation: z.string() }),
  z.object({ ...stepBase, type: z.literal('split'), path: z.string().optional(), explanation: z.string() }),
  z.object({ ...stepBase, type: z.literal('exit'), explanation: z.string() }),
]);
const simulationResultSchema = named(
  'SimulationResult',
  z.object({
    journeyId: z.string(),
    version: z.union([z.number().int(), z.literal('draft')]),
    customerId: z.string(),
    startedAt: z.string(),
    horizonAt: z.string(),
    steps: z.array(simulatedStepSchema),
    events: z.array(z.object({ name: z.string(), at: z.string(), properties: z.record(z.string(), z.unknown()).optional(), delivered: z.boolean() })),
    end: z.object({
      status: z.enum(['completed', 'exited', 'waiting']),
      reason: z.enum(['exit-event', 'left-segment', 'converted', 'exit-step', 'holdout', 'stopped']).optional(),
      at: z.string(),
      stepId: z.string().optional(),
      explanation: z.string(),
    }),
    converted: z.object({ at: z.string() }).optional(),
    notes: z.array(z.string()),
  }),
);

/** An inline profile as the customer document a run reads (null fields are absent). */
function inlineCustomer(fields: CustomerFields & { id?: string }, now: Date): CustomerDoc {
  const attributes = Object.fromEntries(Object.entries(fields.attributes ?? {}).filter(([, v]) => v !== null));
  const consent = Object.fromEntries(Object.entries(fields.consent ?? {}));
  return {
    _id: fields.id ?? INLINE_CUSTOMER_ID,
    ...(fields.email ? { email: fields.email } : {}),
    ...(fields.phone ? { phone: fields.phone } : {}),
    ...(fields.timeZone ? { timeZone: fields.timeZone } : {}),
    ...(fields.locale ? { locale: fields.locale } : {}),
    ...(fields.pushTokens ? { pushTokens: fields.pushTokens } : {}),
    ...(Object.keys(consent).length ? { consent } : {}),
    attributes,
    createdAt: now,
    updatedAt: now,
  };
}

export function journeySimulationsRouter(deps: { models: Models; simulate?: JourneySimulator }): Router {
  const { models } = deps;
  const router = Router();

  router.post('/:id/simulate', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(simulationBodySchema, requestBody(req));
    const journey = await models.journeys.findById(id).lean();
    if (!journey) throw notFound(`journey "${id}"`);
    const definition = (body.definition === 'draft' ? journey.draft : journey.definition) as JourneyDefinition | undefined;
    if (!definition) {
      throw conflict(body.definition === 'draft' ? `journey "${id}" has no draft` : `journey "${id}" has no published version: simulate its draft ("definition": "draft")`);
    }
    let customer: CustomerDoc;
    if (body.customerId !== undefined) {
      const stored = await models.customers.findById(body.customerId).lean();
      if (!stored) throw notFound(`customer "${body.customerId}"`);
      customer = stored;
    } else customer = inlineCustomer(body.customer!, new Date());
    if (body.entryEvent && definition.entry?.type !== 'event') {
      throw conflict(`journey "${id}" is not entered by an event: entryEvent does not apply`);
    }
    if (!deps.simulate) throw new AppError(503, 'unavailable', 'this API runs no simulations');
    try {
      const result = await deps.simulate({
        journeyId: id,
        version: body.definition === 'draft' ? 'draft' : journey.version,
        definition,
        customer,
        inline: body.customer !== undefined,
        events: body.events
          .map((e) => ({ name: e.name, afterMs: parseDuration(e.after)!, ...(e.properties ? { properties: e.properties } : {}) }))
          .sort((a, b) => a.afterMs - b.afterMs),
        ...(body.entryEvent?.properties ? { entryProperties: body.entryEvent.properties } : {}),
        horizonMs: parseDuration(body.horizon)!,
      });
      res.json(result satisfies SimulationResult satisfies z.infer<typeof simulationResultSchema>);
    } catch (err) {
      if (!(err instanceof SimulationUnavailableError)) throw err;
      if (err.retryAfterS) res.set('Retry-After', String(err.retryAfterS));
      throw new AppError(503, 'unavailable', err.message);
    }
  });

  return router;
}

export const journeySimulationOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/journeys/{id}/simulate',
    summary: "Simulate one customer's run: the real workflow in simulated time, with an event timeline; sends nothing, writes nothing",
    description:
      'Runs the journey (published, or its draft) for a stored customer or a profile given inline, on a time-skipping Temporal server, ' +
      'with the real send decisions: templates rendered, consent, addresses and fallback, quiet hours, frequency caps (counting the ' +
      "stored customer's past sends), branch segments. Each event of the timeline reaches the run `after` its entry, as ingest would " +
      'deliver it. The answer is the path with simulated times, each message as rendered or why it was skipped or deferred, and how the run ended or where it waits at the horizon.',
    auth: 'apiKey',
    params: z.object({ id: idParam('Journey ID') }),
    body: simulationBodySchema,
    ok: { 200: json('The simulated run', simulationResultSchema) },
    errors: {
      404: 'No such journey, or no such customer (`customerId`)',
      409: 'The journey has no published version (or no draft, when asked for it), or `entryEvent` is given for a journey not entered by an event',
      503: 'Every simulation slot is busy (Retry-After says when to try again), or this installation cannot simulate (no test server or workflow bundle)',
    },
  },
];
